#!/usr/bin/env python3
"""Makes the models the rewrite rules are tested and measured on (issue 5); written at
test/bench time, never committed.

Big models (exported by torch.onnx.export, the TorchScript exporter, random weights,
node names in PyTorch's /scope/Op form):
  resnet50        torchvision ResNet-50, opset 13
  mobilenetv2     torchvision MobileNetV2, opset 13
  efficientnetb0  torchvision EfficientNet-B0, opset 13
  bert13          4-layer BERT-style encoder (LayerNorm, erf GELU, attention with a padding
                  mask), opset 13 (LayerNorm exported decomposed)
  bert17          the same encoder at opset 17 (nn.LayerNorm becomes LayerNormalization)
  gpt6            6-layer GPT-style decoder, GPT-2's tanh GELU written out, causal mask, opset 13

Per-pattern models (one per rule family, a few nodes around the pattern, opset 13 unless
the name says otherwise):
  p_layernorm13, p_layernorm17 (hand-written LayerNorm, exported decomposed at both opsets),
  p_rmsnorm, p_gelu_erf, p_gelu_tanh, p_add_layernorm, p_add_layernorm17 (nn.LayerNorm as the
  opset-17 LayerNormalization op), p_bias_gelu, p_attention (BERT padding mask),
  p_attention_causal (GPT causal mask),
  p_conv_bn, p_convtranspose_bn, p_gemm_bn, p_matmul_add, p_conv_relu, p_conv_clip,
  p_conv_leakyrelu, p_conv_sigmoid, p_gemm_relu

Usage: make_rewrite_models.py OUT_DIR [NAME ...]   (default: all; 'big' or 'patterns' for a
group). Existing files are kept. Needs Debian's /usr/bin/python3 with torch, torchvision, onnx.
"""
import math
import os
import sys

import onnx

BIG = ["resnet50", "mobilenetv2", "efficientnetb0", "bert13", "bert17", "gpt6"]
PATTERNS = ["p_layernorm13", "p_layernorm17", "p_rmsnorm", "p_gelu_erf", "p_gelu_tanh",
            "p_add_layernorm", "p_add_layernorm17", "p_bias_gelu", "p_attention", "p_attention_causal", "p_conv_bn", "p_convtranspose_bn",
            "p_gemm_bn", "p_matmul_add", "p_conv_relu", "p_conv_clip", "p_conv_leakyrelu",
            "p_conv_sigmoid", "p_gemm_relu"]


def _export(module, example, path, input_names, output_names, dynamic_axes=None, opset=13,
            keep_bn=False):
    import torch

    module.eval()
    # In EVAL mode the exporter folds BatchNormalization into the Conv before it; PRESERVE
    # (with the module in eval mode) keeps it, as exports of models in other frameworks have it.
    mode = torch.onnx.TrainingMode.PRESERVE if keep_bn else torch.onnx.TrainingMode.EVAL
    with torch.no_grad():
        torch.onnx.export(module, example, path, input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic_axes or {},
                          opset_version=opset, do_constant_folding=True, training=mode)


# ---------------------------------------------------------------------------------------
# Transformer building blocks, written the way BERT/GPT-2 implementations write them, so
# the exports contain the subgraphs that ONNX Runtime's own fusions look for.

def _modules():
    import torch
    import torch.nn as nn

    class HandLayerNorm(nn.Module):
        """LayerNorm as TF-style BERT code writes it: exported decomposed at every opset."""

        def __init__(self, d, eps=1e-12):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(d) + 0.1 * torch.randn(d))
            self.bias = nn.Parameter(0.1 * torch.randn(d))
            self.eps = eps

        def forward(self, x):
            u = x.mean(-1, keepdim=True)
            s = (x - u).pow(2).mean(-1, keepdim=True)
            x = (x - u) / torch.sqrt(s + self.eps)
            return self.weight * x + self.bias

    class RMSNorm(nn.Module):
        """T5/LLaMA RMSNorm: x * rsqrt(mean(x^2) + eps) * weight."""

        def __init__(self, d, eps=1e-6):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(d) + 0.1 * torch.randn(d))
            self.eps = eps

        def forward(self, x):
            var = x.pow(2).mean(-1, keepdim=True)
            return self.weight * (x * torch.rsqrt(var + self.eps))

    class NewGELU(nn.Module):
        """GPT-2's tanh approximation, written out as in HF's NewGELUActivation."""

        def forward(self, x):
            return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) *
                                               (x + 0.044715 * torch.pow(x, 3.0))))

    class BertSelfAttention(nn.Module):
        def __init__(self, d, heads):
            super().__init__()
            self.heads, self.dh = heads, d // heads
            self.query = nn.Linear(d, d)
            self.key = nn.Linear(d, d)
            self.value = nn.Linear(d, d)

        def split(self, x):
            b, t, _ = x.size()
            return x.view(b, t, self.heads, self.dh).permute(0, 2, 1, 3)

        def forward(self, x, mask_add):
            q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.dh)
            scores = scores + mask_add
            probs = torch.softmax(scores, dim=-1)
            ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
            b, t = ctx.size(0), ctx.size(1)
            return ctx.view(b, t, self.heads * self.dh)

    class BertLayer(nn.Module):
        def __init__(self, d, heads, ff, ln):
            super().__init__()
            self.attention = BertSelfAttention(d, heads)
            self.attn_out = nn.Linear(d, d)
            self.ln1 = ln(d)
            self.intermediate = nn.Linear(d, ff)
            self.act = nn.GELU()
            self.output = nn.Linear(ff, d)
            self.ln2 = ln(d)

        def forward(self, x, mask_add):
            a = self.attn_out(self.attention(x, mask_add))
            x = self.ln1(a + x)
            h = self.output(self.act(self.intermediate(x)))
            return self.ln2(h + x)

    class Bert(nn.Module):
        def __init__(self, layers=4, d=256, heads=4, ff=1024, vocab=1000, positions=128,
                     ln=None):
            super().__init__()
            ln = ln or (lambda n: nn.LayerNorm(n, eps=1e-12))
            self.word = nn.Embedding(vocab, d)
            self.position = nn.Embedding(positions, d)
            self.token_type = nn.Embedding(2, d)
            self.emb_ln = ln(d)
            self.layer = nn.ModuleList([BertLayer(d, heads, ff, ln) for _ in range(layers)])
            self.pooler = nn.Linear(d, d)

        def forward(self, input_ids, attention_mask, token_type_ids):
            t = input_ids.size(1)
            pos = torch.arange(t, dtype=torch.long).unsqueeze(0)
            x = self.word(input_ids) + self.position(pos) + self.token_type(token_type_ids)
            x = self.emb_ln(x)
            mask_add = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
            for layer in self.layer:
                x = layer(x, mask_add)
            return x, torch.tanh(self.pooler(x[:, 0]))

    class GptAttention(nn.Module):
        def __init__(self, d, heads, positions):
            super().__init__()
            self.heads = heads
            self.c_attn = nn.Linear(d, 3 * d)
            self.c_proj = nn.Linear(d, d)
            self.register_buffer("bias", torch.tril(torch.ones(positions, positions))
                                 .view(1, 1, positions, positions))

        def forward(self, x):
            b, t, c = x.size()
            q, k, v = self.c_attn(x).split(c, dim=2)
            q = q.view(b, t, self.heads, c // self.heads).transpose(1, 2)
            k = k.view(b, t, self.heads, c // self.heads).transpose(1, 2)
            v = v.view(b, t, self.heads, c // self.heads).transpose(1, 2)
            a = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(c // self.heads))
            a = a.masked_fill(self.bias[:, :, :t, :t] == 0, float("-inf"))
            a = torch.softmax(a, dim=-1)
            y = (a @ v).transpose(1, 2).contiguous().view(b, t, c)
            return self.c_proj(y)

    class GptBlock(nn.Module):
        def __init__(self, d, heads, positions):
            super().__init__()
            self.ln_1 = nn.LayerNorm(d)
            self.attn = GptAttention(d, heads, positions)
            self.ln_2 = nn.LayerNorm(d)
            self.c_fc = nn.Linear(d, 4 * d)
            self.act = NewGELU()
            self.c_proj = nn.Linear(4 * d, d)

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.c_proj(self.act(self.c_fc(self.ln_2(x))))

    class Gpt(nn.Module):
        def __init__(self, layers=6, d=256, heads=4, vocab=1000, positions=128):
            super().__init__()
            self.wte = nn.Embedding(vocab, d)
            self.wpe = nn.Embedding(positions, d)
            self.h = nn.ModuleList([GptBlock(d, heads, positions) for _ in range(layers)])
            self.ln_f = nn.LayerNorm(d)
            self.lm_head = nn.Linear(d, vocab, bias=False)

        def forward(self, idx):
            t = idx.size(1)
            pos = torch.arange(0, t, dtype=torch.long).unsqueeze(0)
            x = self.wte(idx) + self.wpe(pos)
            for block in self.h:
                x = block(x)
            return self.lm_head(self.ln_f(x))

    return dict(HandLayerNorm=HandLayerNorm, RMSNorm=RMSNorm, NewGELU=NewGELU,
                BertSelfAttention=BertSelfAttention, Bert=Bert, Gpt=Gpt, GptAttention=GptAttention)


def export_big(name, path):
    import torch
    import torchvision

    torch.manual_seed(0)
    if name in ("resnet50", "mobilenetv2", "efficientnetb0"):
        ctor = {"resnet50": torchvision.models.resnet50,
                "mobilenetv2": torchvision.models.mobilenet_v2,
                "efficientnetb0": torchvision.models.efficientnet_b0}[name]
        _export(ctor(weights=None), torch.randn(1, 3, 224, 224), path, ["image"], ["logits"],
                {"image": {0: "batch"}, "logits": {0: "batch"}})
    elif name in ("bert13", "bert17"):
        m = _modules()
        ids = torch.randint(0, 1000, (1, 32))
        mask = torch.ones(1, 32, dtype=torch.long)
        tt = torch.zeros(1, 32, dtype=torch.long)
        dyn = {k: {0: "batch", 1: "sequence"} for k in ("input_ids", "attention_mask",
                                                       "token_type_ids", "last_hidden_state")}
        dyn["pooled"] = {0: "batch"}
        _export(m["Bert"](), (ids, mask, tt), path,
                ["input_ids", "attention_mask", "token_type_ids"], ["last_hidden_state", "pooled"],
                dyn, opset=13 if name == "bert13" else 17)
    elif name == "gpt6":
        m = _modules()
        _export(m["Gpt"](), torch.randint(0, 1000, (1, 32)), path, ["input_ids"], ["logits"],
                {"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}})
    else:
        raise ValueError(name)


def export_pattern(name, path):
    import torch
    import torch.nn as nn

    torch.manual_seed(0)
    m = _modules()
    d = 64
    seq = torch.randn(2, 8, d)

    def bn(c):
        b = nn.BatchNorm2d(c) if c else None
        return b

    def randomize_bn(b):
        # Non-trivial running statistics, or folding BN would be a no-op on the numbers.
        with torch.no_grad():
            b.running_mean.copy_(0.5 * torch.randn_like(b.running_mean))
            b.running_var.copy_(torch.rand_like(b.running_var) + 0.5)
            b.weight.copy_(torch.rand_like(b.weight) + 0.5)
            b.bias.copy_(0.5 * torch.randn_like(b.bias))
        return b

    class Seq(nn.Module):
        def __init__(self, *mods):
            super().__init__()
            self.body = nn.Sequential(*mods)

        def forward(self, x):
            # A trailing op keeps the pattern's output an inner value, as in a real network.
            return self.body(x) * 2.0

    opset = 13
    example, ins = seq, ["x"]
    if name in ("p_layernorm13", "p_layernorm17"):
        mod = Seq(nn.Linear(d, d), m["HandLayerNorm"](d, eps=1e-5))
        opset = 17 if name.endswith("17") else 13
    elif name == "p_rmsnorm":
        mod = Seq(nn.Linear(d, d), m["RMSNorm"](d))
    elif name == "p_gelu_erf":
        mod = Seq(nn.Linear(d, d, bias=False), nn.GELU())
    elif name == "p_gelu_tanh":
        mod = Seq(nn.Linear(d, d, bias=False), m["NewGELU"]())
    elif name == "p_bias_gelu":
        mod = Seq(nn.Linear(d, 4 * d), nn.GELU())
    elif name in ("p_add_layernorm", "p_add_layernorm17"):
        class AddLn(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(d, d)
                self.ln = nn.LayerNorm(d)

            def forward(self, x):
                return self.ln(self.fc(x) + x) * 2.0
        mod = AddLn()
        opset = 17 if name.endswith("17") else 13
    elif name == "p_attention":
        class Att(nn.Module):
            def __init__(self):
                super().__init__()
                self.attn = m["BertSelfAttention"](d, 4)
                self.out = nn.Linear(d, d)

            def forward(self, x, attention_mask):
                mask_add = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
                return self.out(self.attn(x, mask_add))
        mod = Att()
        example = (seq, torch.tensor([[1] * 8, [1] * 5 + [0] * 3], dtype=torch.long))
        ins = ["x", "attention_mask"]
    elif name == "p_attention_causal":
        mod = Seq(m["GptAttention"](d, 4, 16))
    elif name == "p_conv_bn":
        mod = Seq(nn.Conv2d(8, 16, 3, padding=1), randomize_bn(bn(16)))
        example = torch.randn(1, 8, 12, 12)
    elif name == "p_convtranspose_bn":
        mod = Seq(nn.ConvTranspose2d(8, 16, 3, stride=2), randomize_bn(bn(16)))
        example = torch.randn(1, 8, 6, 6)
    elif name == "p_gemm_bn":
        b = nn.BatchNorm1d(32)
        with torch.no_grad():
            b.running_mean.copy_(0.5 * torch.randn(32))
            b.running_var.copy_(torch.rand(32) + 0.5)
            b.weight.copy_(torch.rand(32) + 0.5)
            b.bias.copy_(0.5 * torch.randn(32))
        mod = Seq(nn.Linear(d, 32), b)
        example = torch.randn(4, d)
    elif name == "p_matmul_add":
        class MmAdd(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = nn.Parameter(torch.randn(d, 32) * 0.1)
                self.b = nn.Parameter(torch.randn(32) * 0.1)

            def forward(self, x):
                return torch.relu(torch.matmul(x, self.w) + self.b)
        mod = MmAdd()
        example = torch.randn(4, d)
    elif name in ("p_conv_relu", "p_conv_clip", "p_conv_leakyrelu", "p_conv_sigmoid"):
        act = {"p_conv_relu": nn.ReLU(), "p_conv_clip": nn.ReLU6(),
               "p_conv_leakyrelu": nn.LeakyReLU(0.1), "p_conv_sigmoid": nn.Sigmoid()}[name]
        mod = Seq(nn.Conv2d(8, 16, 3, padding=1), act)
        example = torch.randn(1, 8, 12, 12)
    elif name == "p_gemm_relu":
        mod = Seq(nn.Linear(d, 32), nn.ReLU())
        example = torch.randn(4, d)
    else:
        raise ValueError(name)
    _export(mod, example, path, ins, ["y"], None, opset, keep_bn=name.endswith("_bn"))


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    out = argv[1]
    names = argv[2:] or BIG + PATTERNS
    if names == ["big"]:
        names = BIG
    elif names == ["patterns"]:
        names = PATTERNS
    os.makedirs(out, exist_ok=True)
    for name in names:
        path = os.path.join(out, name + ".onnx")
        if os.path.exists(path):
            continue
        tmp = path + ".tmp"
        try:
            if name in BIG:
                export_big(name, tmp)
            elif name in PATTERNS:
                export_pattern(name, tmp)
            else:
                print(f"unknown model '{name}'", file=sys.stderr)
                return 2
        except Exception as e:  # e.g. an op this torch cannot export: say so, keep going
            print(f"{name}: export failed: {e}", file=sys.stderr)
            if os.path.exists(tmp):
                os.remove(tmp)
            continue
        os.replace(tmp, path)
        model = onnx.load(path, load_external_data=False)
        print(f"wrote {path} ({len(model.graph.node)} nodes, opset "
              f"{max(o.version for o in model.opset_import if o.domain in ('', 'ai.onnx'))})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
