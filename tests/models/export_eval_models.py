#!/usr/bin/env python3
"""Exports the model families the reference evaluator must cover, in small configurations,
with PyTorch's own outputs, for tests/test_eval_models.cpp; and the two benchmark models.

Coverage models (random weights, seeded; small sizes so the whole set exports and runs in
seconds, the op types are those of the full-size models):
  resnet, mobilenet_v3, efficientnet, convnext, densenet, squeezenet, shufflenet, vit, swin
      torchvision classifiers
  deeplabv3, lraspp      torchvision segmentation (MobileNetV3 backbones)
  bert13, bert17         a BERT-style encoder (embeddings, attention mask, erf GELU) at opset 13 / 17
  gpt                    a GPT-style decoder (causal mask, tanh GELU, tied head)
  transformer            torch.nn.Transformer (encoder + decoder, nn.MultiheadAttention)
  lstm                   bidirectional 2-layer LSTM, a GRU and a tanh RNN
Each goes to OUT/NAME/ as model.onnx, input_N.npy (graph input order) and output_N.npy
(PyTorch's outputs, graph output order).

Benchmark models (model.onnx only): resnet50 (torchvision, 1x3x224x224), bert (4-layer
BERT-style encoder, hidden 256, 4 heads, sequence 128), gpt_decoder (6-layer GPT-style decoder,
d 384, 6 heads, sequence 128), vit_b_16 and mobilenet_v2 (torchvision, 1x3x224x224) for
tests/bench/bench_eval.cpp.

Usage: export_eval_models.py OUT_DIR [NAME ...]   (default: every coverage model)
Needs Debian's /usr/bin/python3 with python3-torch, python3-torchvision, python3-onnx.
"""
import math
import os
import sys

import numpy as np

COVERAGE = ["resnet", "mobilenet_v3", "efficientnet", "convnext", "densenet", "squeezenet", "shufflenet", "vit", "swin",
            "deeplabv3", "lraspp", "bert13", "bert17", "gpt", "transformer", "lstm", "yolo"]
BENCH = ["resnet50", "bert", "gpt_decoder", "vit_b_16", "mobilenet_v2"]


def bert_module(layers, d, heads, inner, vocab=1000, positions=128, types=2):
    import torch
    import torch.nn as nn

    class SelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
            self.dense, self.norm = nn.Linear(d, d), nn.LayerNorm(d, eps=1e-12)

        def split(self, x):
            B, T, _ = x.shape
            return x.view(B, T, heads, d // heads).permute(0, 2, 1, 3)

        def forward(self, x, mask):
            q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d // heads) + mask
            ctx = torch.matmul(torch.softmax(scores, dim=-1), v).permute(0, 2, 1, 3).contiguous()
            ctx = ctx.view(x.shape[0], x.shape[1], d)
            return self.norm(self.dense(ctx) + x)

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.attention = SelfAttention()
            self.intermediate, self.output = nn.Linear(d, inner), nn.Linear(inner, d)
            self.norm = nn.LayerNorm(d, eps=1e-12)

        def forward(self, x, mask):
            x = self.attention(x, mask)
            return self.norm(self.output(nn.functional.gelu(self.intermediate(x))) + x)

    class Bert(nn.Module):
        def __init__(self):
            super().__init__()
            self.word, self.position, self.token_type = nn.Embedding(vocab, d), nn.Embedding(positions, d), nn.Embedding(types, d)
            self.norm = nn.LayerNorm(d, eps=1e-12)
            self.layer = nn.ModuleList([Layer() for _ in range(layers)])
            self.pooler = nn.Linear(d, d)

        def forward(self, input_ids, attention_mask, token_type_ids):
            T = input_ids.shape[1]
            pos = torch.arange(T, dtype=torch.long).unsqueeze(0)
            x = self.norm(self.word(input_ids) + self.position(pos) + self.token_type(token_type_ids))
            mask = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * -10000.0
            for layer in self.layer:
                x = layer(x, mask)
            return x, torch.tanh(self.pooler(x[:, 0]))

    torch.manual_seed(0)
    return Bert().eval()


def bert_inputs(batch, seq, vocab=1000):
    import torch

    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, vocab, (batch, seq), generator=g)
    mask = torch.ones(batch, seq, dtype=torch.long)
    mask[:, seq - seq // 4:] = 0  # right padding on the last quarter
    types = torch.zeros(batch, seq, dtype=torch.long)
    types[:, seq // 2:] = 1
    return ids, mask, types


def gpt_module(layers=2, d=32, heads=4, vocab=500, positions=64):
    import torch
    import torch.nn as nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.c_attn, self.c_proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.c_fc, self.mlp_proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
            self.register_buffer("bias", torch.tril(torch.ones(positions, positions)).view(1, 1, positions, positions))

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
            q, k, v = (t.view(B, T, heads, C // heads).transpose(1, 2) for t in (q, k, v))
            a = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // heads))
            a = a.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
            y = (torch.softmax(a, dim=-1) @ v).transpose(1, 2).contiguous().view(B, T, C)
            x = x + self.c_proj(y)
            return x + self.mlp_proj(nn.functional.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(positions, d)
            self.h = nn.ModuleList([Block() for _ in range(layers)])
            self.ln_f = nn.LayerNorm(d)

        def forward(self, idx):
            pos = torch.arange(idx.shape[1], dtype=torch.long).unsqueeze(0)
            x = self.wte(idx) + self.wpe(pos)
            for block in self.h:
                x = block(x)
            return self.ln_f(x) @ self.wte.weight.t()

    torch.manual_seed(0)
    return GPT().eval()


class Recurrent:
    @staticmethod
    def module():
        import torch
        import torch.nn as nn

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(8, 16, num_layers=2, bidirectional=True, batch_first=True)
                self.gru = nn.GRU(32, 12, batch_first=True)
                self.rnn = nn.RNN(12, 6, batch_first=True)

            def forward(self, x):
                y, (h, c) = self.lstm(x)
                y, _ = self.gru(y)
                y, hr = self.rnn(y)
                return y, h, c

        torch.manual_seed(0)
        return M().eval()


def yolo_module():
    """A small YOLOv8-style detector: Conv-BN-SiLU blocks, C2f (split, bottlenecks with residuals,
    concat), SPPF (chained 5x5 max pools), a 2x nearest upsampling and a sigmoid head."""
    import torch
    from torch import nn

    class CBS(nn.Module):
        def __init__(self, i, o, k=1, s=1):
            super().__init__()
            self.c, self.b, self.a = nn.Conv2d(i, o, k, s, k // 2, bias=False), nn.BatchNorm2d(o), nn.SiLU()

        def forward(self, x):
            return self.a(self.b(self.c(x)))

    class Bottleneck(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.a, self.b = CBS(c, c, 3), CBS(c, c, 3)

        def forward(self, x):
            return x + self.b(self.a(x))

    class C2f(nn.Module):
        def __init__(self, i, o, n=1):
            super().__init__()
            c = o // 2
            self.cv1, self.cv2 = CBS(i, 2 * c), CBS((2 + n) * c, o)
            self.m = nn.ModuleList(Bottleneck(c) for _ in range(n))

        def forward(self, x):
            y = list(self.cv1(x).chunk(2, 1))
            for m in self.m:
                y.append(m(y[-1]))
            return self.cv2(torch.cat(y, 1))

    class SPPF(nn.Module):
        def __init__(self, i, o):
            super().__init__()
            self.cv1, self.cv2, self.m = CBS(i, i // 2), CBS(i // 2 * 4, o), nn.MaxPool2d(5, 1, 2)

        def forward(self, x):
            x = self.cv1(x)
            y1 = self.m(x)
            y2 = self.m(y1)
            return self.cv2(torch.cat([x, y1, y2, self.m(y2)], 1))

    class Yolo(nn.Module):
        def __init__(self):
            super().__init__()
            self.b = nn.Sequential(CBS(3, 8, 3, 2), CBS(8, 16, 3, 2), C2f(16, 16), CBS(16, 32, 3, 2), C2f(32, 32), SPPF(32, 32))
            self.up = nn.Upsample(scale_factor=2, mode="nearest")
            self.h = C2f(32 + 16, 16)
            self.det = nn.Conv2d(16, 9, 1)

        def forward(self, x):
            f = None
            for i, m in enumerate(self.b):
                x = m(x)
                if i == 2:
                    f = x
            return torch.sigmoid(self.det(self.h(torch.cat([self.up(x), f], 1))))

    torch.manual_seed(0)
    m = Yolo().eval()
    for mod in m.modules():  # trained-looking statistics, so the folded BatchNorms are not the identity
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.2, 0.2)
            mod.running_var.uniform_(0.5, 1.5)
    return m


def make(name):
    """Returns (module, example inputs tuple, input names, output names, opset)."""
    import torch
    import torchvision
    from torchvision import models

    torch.manual_seed(0)
    img = lambda s=64: (torch.randn(1, 3, s, s, generator=torch.Generator().manual_seed(2)),)  # noqa: E731
    if name == "resnet":
        return models.resnet.ResNet(models.resnet.BasicBlock, [1, 1, 1, 1], num_classes=10), img(), ["image"], ["logits"], 13
    if name == "mobilenet_v3":
        return models.mobilenet_v3_small(width_mult=0.5, num_classes=10), img(), ["image"], ["logits"], 13
    if name == "efficientnet":
        return models.efficientnet_b0(num_classes=10), img(), ["image"], ["logits"], 13
    if name == "convnext":
        cfg = models.convnext.CNBlockConfig
        m = models.convnext.ConvNeXt([cfg(16, 32, 1), cfg(32, None, 1)], stochastic_depth_prob=0.0, num_classes=10)
        return m, img(), ["image"], ["logits"], 13
    if name == "densenet":
        return models.densenet.DenseNet(growth_rate=8, block_config=(2, 2), num_init_features=16, num_classes=10), img(), ["image"], ["logits"], 13
    if name == "squeezenet":
        return models.squeezenet1_1(num_classes=10), img(), ["image"], ["logits"], 13
    if name == "shufflenet":
        return models.shufflenet_v2_x0_5(num_classes=10), img(), ["image"], ["logits"], 13
    if name == "vit":
        m = models.vision_transformer.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16,
                                                        mlp_dim=32, num_classes=10)
        return m, img(32), ["image"], ["logits"], 13
    if name == "swin":
        m = models.swin_transformer.SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 1], num_heads=[2, 2],
                                                    window_size=[4, 4], stochastic_depth_prob=0.0, num_classes=10)
        return m, img(32), ["image"], ["logits"], 13
    if name == "deeplabv3":
        m = models.segmentation.deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=3, aux_loss=False)
        return m, img(), ["image"], ["out"], 13
    if name == "lraspp":
        m = models.segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=3)
        return m, img(), ["image"], ["out"], 13
    if name in ("bert13", "bert17"):
        return bert_module(2, 32, 4, 64), bert_inputs(2, 16), ["input_ids", "attention_mask", "token_type_ids"], \
            ["last_hidden_state", "pooler_output"], 13 if name == "bert13" else 17
    if name == "gpt":
        ids = torch.randint(0, 500, (1, 12), generator=torch.Generator().manual_seed(3))
        return gpt_module(), (ids,), ["input_ids"], ["logits"], 13
    if name == "transformer":
        m = torch.nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=32, dropout=0.0,
                                 batch_first=True)
        g = torch.Generator().manual_seed(4)
        src, tgt = torch.randn(2, 6, 16, generator=g), torch.randn(2, 5, 16, generator=g)

        class Wrap(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.t = m

            def forward(self, src, tgt):
                mask = torch.triu(torch.full((tgt.shape[1], tgt.shape[1]), float("-inf")), diagonal=1)
                return self.t(src, tgt, tgt_mask=mask)

        return Wrap(), (src, tgt), ["src", "tgt"], ["out"], 14
    if name == "lstm":
        x = torch.randn(2, 7, 8, generator=torch.Generator().manual_seed(5))
        return Recurrent.module(), (x,), ["x"], ["y", "h", "c"], 13
    if name == "yolo":
        return yolo_module(), img(), ["images"], ["out"], 17
    if name == "resnet50":
        return models.resnet50(), (torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(2)),), ["image"], ["logits"], 13
    if name == "bert":
        return bert_module(4, 256, 4, 1024, vocab=30522, positions=512), bert_inputs(1, 128, vocab=30522), \
            ["input_ids", "attention_mask", "token_type_ids"], ["last_hidden_state", "pooler_output"], 13
    if name == "gpt_decoder":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from make_models import _gpt_module
        return _gpt_module(6, 384, 6), (torch.zeros(1, 128, dtype=torch.long),), ["input_ids"], ["logits"], 14
    if name in ("vit_b_16", "mobilenet_v2"):
        image = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(2))
        return getattr(models, name)(), (image,), ["image"], ["logits"], 14
    raise KeyError(name)


def export(name, out_dir):
    import torch

    module, example, in_names, out_names, opset = make(name)
    module = module.eval()
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    tmp = os.path.join(d, "model.onnx.tmp")
    # Exported with autograd on: under no_grad, torch's inference fast path turns
    # nn.MultiheadAttention into one fused aten op that has no ONNX export.
    torch.onnx.export(module, example, tmp, input_names=in_names, output_names=out_names, opset_version=opset,
                      do_constant_folding=True)
    with torch.no_grad():
        if name not in BENCH:
            got = module(*example)
            if isinstance(got, dict):  # segmentation models return {"out": ...}
                got = [got["out"]]
            elif isinstance(got, torch.Tensor):
                got = [got]
            for i, t in enumerate(example):
                np.save(os.path.join(d, f"input_{i}.npy"), t.numpy())
            for i, t in enumerate(got):
                np.save(os.path.join(d, f"output_{i}.npy"), t.numpy())
    os.replace(tmp, os.path.join(d, "model.onnx"))


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 2
    out = argv[1]
    names = argv[2:] or COVERAGE
    failed = []
    for name in names:
        if name not in COVERAGE + BENCH:
            print(f"unknown model '{name}'", file=sys.stderr)
            return 2
        try:
            export(name, out)
            print(f"exported {name}", flush=True)
        except Exception as e:  # one model's exporter failure should not hide the others
            failed.append(name)
            print(f"{name}: export failed: {e}", file=sys.stderr, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
