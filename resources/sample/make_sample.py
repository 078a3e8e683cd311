#!/usr/bin/python3
# Writes resources/sample/sample.onnx, the model the studio offers to open first: a tiny
# image classifier with a convolutional stem, a residual block and one transformer block,
# so a first look at the graph shows convolutions, norms, activations, a skip connection,
# attention matmuls and PyTorch's /module/scope names. Random weights (seeded), opset 17.
#
# Needs Debian's python3-torch and python3-onnx:  /usr/bin/python3 resources/sample/make_sample.py
import io
import os
import sys
import warnings

import onnx
import onnx.numpy_helper
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "sample.onnx")

IMAGE = 64     # input is [batch, 3, 64, 64]
DIM = 48       # channels after the stem, also the transformer width
HEADS = 4
CLASSES = 10


class ConvBnAct(nn.Sequential):
    def __init__(self, cin, cout, stride=1, act=nn.ReLU):
        super().__init__(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), act())


class ResidualBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv1 = ConvBnAct(ch, ch)
        self.conv2 = nn.Sequential(nn.Conv2d(ch, ch, 3, 1, 1, bias=False), nn.BatchNorm2d(ch))
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(x + self.conv2(self.conv1(x)))


class Attention(nn.Module):
    def __init__(self, dim, heads, tokens):
        super().__init__()
        self.heads, self.tokens, self.head_dim = heads, tokens, dim // heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):  # [B, N, C]
        n, h, d = self.tokens, self.heads, self.head_dim
        # -1 for the batch keeps the exported Reshape shapes constant and the batch dynamic.
        q, k, v = self.qkv(x).reshape(-1, n, 3, h, d).permute(2, 0, 3, 1, 4).unbind(0)
        scores = torch.matmul(q, k.transpose(-2, -1)) * (d ** -0.5)
        out = torch.matmul(scores.softmax(dim=-1), v)  # [B, h, N, d]
        return self.proj(out.transpose(1, 2).reshape(-1, n, h * d))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class TransformerBlock(nn.Module):
    def __init__(self, dim, heads, tokens):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, tokens)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, dim * 2)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TinyHybrid(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = ConvBnAct(3, DIM // 2, stride=2, act=nn.Hardswish)  # 32x32
        self.block = ResidualBlock(DIM // 2)
        self.down = ConvBnAct(DIM // 2, DIM, stride=2, act=nn.SiLU)     # 16x16
        self.pool = nn.MaxPool2d(2)                                     # 8x8 = 64 tokens
        self.transformer = TransformerBlock(DIM, HEADS, (IMAGE // 8) ** 2)
        self.norm = nn.LayerNorm(DIM)
        self.head = nn.Linear(DIM, CLASSES)

    def forward(self, image):
        x = self.pool(self.down(self.block(self.stem(image))))
        x = x.reshape(-1, DIM, (IMAGE // 8) ** 2).transpose(1, 2)  # [B, 64 tokens, DIM]
        x = self.transformer(x)
        return self.head(self.norm(x).mean(dim=1)).softmax(dim=-1)


def main():
    torch.manual_seed(0)
    model = TinyHybrid().eval()
    # Norm parameters that look trained: BatchNorm statistics that are not the identity (so
    # folding it into the Conv changes the weights visibly) and distinct LayerNorm scales (the
    # exporter would otherwise share equal initializers through Identity nodes).
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.8, 1.2)
                m.bias.uniform_(-0.1, 0.1)
            elif isinstance(m, nn.LayerNorm):
                m.weight.uniform_(0.8, 1.2)
                m.bias.uniform_(-0.1, 0.1)
    image = torch.randn(1, 3, IMAGE, IMAGE)
    buf = io.BytesIO()
    # The exporter warns about constant folding with PRESERVE; the model is in eval mode, so the
    # folded parameters are the inference ones.
    warnings.filterwarnings("ignore", message="It is recommended that constant folding be turned off")
    torch.onnx.export(model, (image,), buf, opset_version=17, input_names=["image"], output_names=["probs"],
                      dynamic_axes={"image": {0: "batch"}, "probs": {0: "batch"}},
                      do_constant_folding=True,
                      # PRESERVE keeps BatchNormalization as its own node (EVAL would fold it into
                      # the Conv): Conv+BN folding is one of the rewrites the studio demonstrates.
                      training=torch.onnx.TrainingMode.PRESERVE)
    proto = onnx.load_from_string(buf.getvalue())
    proto.producer_name = "graft make_sample.py"
    proto.producer_version = torch.__version__
    proto.doc_string = ("Graft's sample model: a tiny conv + transformer image classifier with random "
                        "weights, for exploring the studio.")
    proto.graph.name = "tiny_hybrid"
    onnx.helper.set_model_props(proto, {"license": "CC0-1.0", "source": "resources/sample/make_sample.py"})
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, OUT)
    size = os.path.getsize(OUT)
    ops = sorted({n.op_type for n in proto.graph.node})
    print(f"{OUT}: {size} bytes, {len(proto.graph.node)} nodes, "
          f"{sum(onnx.numpy_helper.to_array(t).size for t in proto.graph.initializer)} parameters")
    print("ops:", ", ".join(ops))
    if size >= 1 << 20:
        sys.exit("sample.onnx must stay under 1 MB")


if __name__ == "__main__":
    main()
