#!/usr/bin/python3
"""Exports the corpus the rewriter is measured on against ONNX Runtime (issue 12): models of
the kinds people export, none of them tuned to Graft's rules. Written at test/bench time,
never committed. Random weights, the TorchScript exporter (torch.onnx.export).

Vision (opset 13, image [batch, 3, H, W] with a symbolic batch):
  resnet18, mobilenetv2, mobilenetv3, efficientnetb0, shufflenetv2, convnext13 (ConvNeXt-Tiny:
  channels-last LayerNorm written out at opset 13), vit (ViT with 4 layers, width 256),
  deeplabv3 (DeepLabV3-MobileNetV3-Large, 256x256), ssdlite (SSDLite320-MobileNetV3 backbone and
  heads, without the box decoding/NMS post-processing, which the exporter cannot trace)
Sequence models (symbolic batch and sequence):
  tenc13, tenc17  4-layer nn.TransformerEncoder (GELU, padding mask from attention_mask, int64
                  input_ids/attention_mask [batch, 128]); at 17 nn.LayerNorm is LayerNormalization
  bert13c, bert17c  BERT-style encoder (tests/models/make_rewrite_models.py's Bert, 2 layers)
  gpt4            GPT-2 style decoder, tanh GELU written out, 4 layers
  lstm            2-layer LSTM classifier over embeddings
  llama           LLaMA-style decoder: RMSNorm, rotary embeddings, SwiGLU, grouped-query attention

Small models for CTest (tests/test_rewrite_corpus.cpp):
  t_tenc17        the TransformerEncoder export that crashed onnx's shape inference (4 layers,
                  width 64, input_ids/attention_mask [batch, 128], opset 17)
  t_convnext13    a two-stage ConvNeXt (torchvision's blocks: LayerNorm2d in stem and downsampling,
                  channels-last nn.LayerNorm in the blocks) at opset 13, 32x32 images
  t_llama         one LLaMA-style layer (RMSNorm, rotary, SwiGLU, grouped-query attention)
  t_shape_chain   view()/reshape() on symbolic batch and sequence (attention heads split and merged,
                  a channel shuffle): Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains

Usage: make_corpus_models.py OUT_DIR [NAME ...]   (default: all; 'tests' for the small ones).
Existing files are kept.
"""
import math
import os
import sys

import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

VISION = ["resnet18", "mobilenetv2", "mobilenetv3", "efficientnetb0", "shufflenetv2", "convnext13",
          "vit", "deeplabv3", "ssdlite"]
SEQUENCE = ["tenc13", "tenc17", "bert13c", "bert17c", "gpt4", "lstm", "llama"]
# Small ones for CTest (seconds each): the same export forms at toy sizes.
TESTS = ["t_tenc17", "t_convnext13", "t_llama", "t_shape_chain"]
ALL = VISION + SEQUENCE + TESTS


def _export(module, example, path, input_names, output_names, dynamic_axes, opset=13, grad=False):
    import torch

    module.eval()
    # With gradients off, nn.TransformerEncoderLayer takes its fused fast path, which the
    # exporter cannot write: the encoder is exported with them on (the graph is the same).
    with torch.set_grad_enabled(grad):
        torch.onnx.export(module, example, path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=opset, do_constant_folding=True)


def shape_chain_module():
    import torch
    import torch.nn as nn

    class Chains(nn.Module):
        def __init__(self, d=32, heads=4):
            super().__init__()
            self.heads, self.dh = heads, d // heads
            self.qkv = nn.Linear(d, 3 * d)
            self.out = nn.Linear(d, d)
            self.conv = nn.Conv2d(d, d, 1)

        def forward(self, x):
            b, t, c = x.size()
            q, k, v = self.qkv(x).split(c, dim=2)
            q = q.view(b, t, self.heads, self.dh).transpose(1, 2)
            k = k.view(b, t, self.heads, self.dh).transpose(1, 2)
            v = v.view(b, t, self.heads, self.dh).transpose(1, 2)
            a = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(self.dh), dim=-1)
            y = (a @ v).transpose(1, 2).reshape(b, t, c)
            y = self.out(y)
            # A channel shuffle on a [b, c, t, 1] view, as ShuffleNet writes it.
            z = self.conv(y.transpose(1, 2).unsqueeze(-1))
            n, ch, h, w = z.size()
            z = z.view(n, 2, ch // 2, h, w).transpose(1, 2).contiguous().view(n, -1, h, w)
            return z.flatten(1)

    return Chains()


def transformer_encoder(layers=4, d=128, heads=4, ff=512, vocab=1000, positions=128):
    import torch
    import torch.nn as nn

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, d)
            self.pos = nn.Embedding(positions, d)
            layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.1, activation="gelu", batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
            self.head = nn.Linear(d, 2)

        def forward(self, input_ids, attention_mask):
            t = input_ids.size(1)
            pos = torch.arange(t, dtype=torch.long).unsqueeze(0)
            x = self.embed(input_ids) + self.pos(pos)
            x = self.encoder(x, src_key_padding_mask=attention_mask == 0)
            return self.head(x[:, 0])

    return Encoder()


def llama(layers=2, d=128, heads=4, kv_heads=2, ff=352, vocab=1000, positions=256, eps=1e-6):
    import torch
    import torch.nn as nn

    class RMSNorm(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(d) + 0.1 * torch.randn(d))

        def forward(self, x):
            var = x.pow(2).mean(-1, keepdim=True)
            return self.weight * (x * torch.rsqrt(var + eps))

    def rotate_half(x):
        x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
        return torch.cat((-x2, x1), dim=-1)

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.dh = d // heads
            self.q_proj = nn.Linear(d, heads * self.dh, bias=False)
            self.k_proj = nn.Linear(d, kv_heads * self.dh, bias=False)
            self.v_proj = nn.Linear(d, kv_heads * self.dh, bias=False)
            self.o_proj = nn.Linear(heads * self.dh, d, bias=False)

        def forward(self, x, cos, sin, mask):
            b, t, _ = x.shape
            q = self.q_proj(x).view(b, t, heads, self.dh).transpose(1, 2)
            k = self.k_proj(x).view(b, t, kv_heads, self.dh).transpose(1, 2)
            v = self.v_proj(x).view(b, t, kv_heads, self.dh).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            rep = heads // kv_heads
            k = k[:, :, None].expand(b, kv_heads, rep, t, self.dh).reshape(b, heads, t, self.dh)
            v = v[:, :, None].expand(b, kv_heads, rep, t, self.dh).reshape(b, heads, t, self.dh)
            a = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.dh) + mask
            a = torch.softmax(a, dim=-1)
            y = torch.matmul(a, v).transpose(1, 2).reshape(b, t, heads * self.dh)
            return self.o_proj(y)

    class Mlp(nn.Module):
        def __init__(self):
            super().__init__()
            self.gate_proj = nn.Linear(d, ff, bias=False)
            self.up_proj = nn.Linear(d, ff, bias=False)
            self.down_proj = nn.Linear(ff, d, bias=False)

        def forward(self, x):
            return self.down_proj(nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.input_layernorm = RMSNorm()
            self.self_attn = Attention()
            self.post_attention_layernorm = RMSNorm()
            self.mlp = Mlp()

        def forward(self, x, cos, sin, mask):
            x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
            return x + self.mlp(self.post_attention_layernorm(x))

    class Llama(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed_tokens = nn.Embedding(vocab, d)
            self.layers = nn.ModuleList([Block() for _ in range(layers)])
            self.norm = RMSNorm()
            self.lm_head = nn.Linear(d, vocab, bias=False)
            dh = d // heads
            inv = 1.0 / (10000 ** (torch.arange(0, dh, 2).float() / dh))
            freqs = torch.outer(torch.arange(positions).float(), inv)
            emb = torch.cat((freqs, freqs), dim=-1)
            self.register_buffer("cos_cached", emb.cos()[None, None])
            self.register_buffer("sin_cached", emb.sin()[None, None])
            causal = torch.full((positions, positions), float("-inf")).triu(1)
            self.register_buffer("causal", causal[None, None])

        def forward(self, input_ids):
            t = input_ids.shape[1]
            x = self.embed_tokens(input_ids)
            cos, sin = self.cos_cached[:, :, :t], self.sin_cached[:, :, :t]
            mask = self.causal[:, :, :t, :t]
            for layer in self.layers:
                x = layer(x, cos, sin, mask)
            return self.lm_head(self.norm(x))

    return Llama()


def export(name, path):
    import torch
    import torch.nn as nn
    import torchvision

    torch.manual_seed(0)
    img = {"image": {0: "batch"}, "logits": {0: "batch"}}
    if name in ("resnet18", "mobilenetv2", "mobilenetv3", "efficientnetb0", "shufflenetv2", "convnext13"):
        ctor = {"resnet18": torchvision.models.resnet18, "mobilenetv2": torchvision.models.mobilenet_v2,
                "mobilenetv3": torchvision.models.mobilenet_v3_small,
                "efficientnetb0": torchvision.models.efficientnet_b0,
                "shufflenetv2": torchvision.models.shufflenet_v2_x1_0,
                "convnext13": torchvision.models.convnext_tiny}[name]
        _export(ctor(weights=None), torch.randn(1, 3, 224, 224), path, ["image"], ["logits"], img)
    elif name == "vit":
        m = torchvision.models.VisionTransformer(image_size=224, patch_size=16, num_layers=4, num_heads=4,
                                                 hidden_dim=256, mlp_dim=1024, num_classes=100)
        _export(m, torch.randn(1, 3, 224, 224), path, ["image"], ["logits"], img, grad=True)
    elif name == "deeplabv3":
        m = torchvision.models.segmentation.deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None,
                                                                        aux_loss=False)

        class Out(nn.Module):
            def __init__(self):
                super().__init__()
                self.m = m

            def forward(self, x):
                return self.m(x)["out"]
        _export(Out(), torch.randn(1, 3, 256, 256), path, ["image"], ["mask"],
                {"image": {0: "batch"}, "mask": {0: "batch"}})
    elif name == "ssdlite":
        det = torchvision.models.detection.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None)

        class Heads(nn.Module):
            """Backbone and the classification/regression heads: what runs per image."""

            def __init__(self):
                super().__init__()
                self.backbone, self.head = det.backbone, det.head

            def forward(self, x):
                feats = list(self.backbone(x).values())
                out = self.head(feats)
                return out["bbox_regression"], out["cls_logits"]
        _export(Heads(), torch.randn(1, 3, 320, 320), path, ["image"], ["boxes", "scores"],
                {"image": {0: "batch"}, "boxes": {0: "batch"}, "scores": {0: "batch"}})
    elif name in ("tenc13", "tenc17"):
        ids = torch.randint(0, 1000, (1, 128))
        mask = torch.ones(1, 128, dtype=torch.long)
        mask[0, 100:] = 0
        _export(transformer_encoder(), (ids, mask), path, ["input_ids", "attention_mask"], ["logits"],
                {"input_ids": {0: "batch"}, "attention_mask": {0: "batch"}, "logits": {0: "batch"}},
                opset=13 if name == "tenc13" else 17, grad=True)
    elif name in ("bert13c", "bert17c"):
        import make_rewrite_models as mrm
        bert = mrm._modules()["Bert"](layers=2, d=128, heads=4, ff=512)
        ids = torch.randint(0, 1000, (1, 32))
        mask = torch.ones(1, 32, dtype=torch.long)
        tt = torch.zeros(1, 32, dtype=torch.long)
        dyn = {k: {0: "batch", 1: "sequence"} for k in ("input_ids", "attention_mask", "token_type_ids",
                                                       "last_hidden_state")}
        dyn["pooled"] = {0: "batch"}
        _export(bert, (ids, mask, tt), path, ["input_ids", "attention_mask", "token_type_ids"],
                ["last_hidden_state", "pooled"], dyn, opset=13 if name == "bert13c" else 17)
    elif name == "gpt4":
        import make_rewrite_models as mrm
        gpt = mrm._modules()["Gpt"](layers=4, d=128, heads=4)
        _export(gpt, torch.randint(0, 1000, (1, 32)), path, ["input_ids"], ["logits"],
                {"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}})
    elif name == "lstm":
        class Lstm(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(1000, 64)
                self.lstm = nn.LSTM(64, 128, num_layers=2, batch_first=True)
                self.head = nn.Linear(128, 5)

            def forward(self, input_ids):
                y, _ = self.lstm(self.embed(input_ids))
                return self.head(y[:, -1])
        _export(Lstm(), torch.randint(0, 1000, (1, 16)), path, ["input_ids"], ["logits"],
                {"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch"}})
    elif name == "llama":
        _export(llama(), torch.randint(0, 1000, (1, 16)), path, ["input_ids"], ["logits"],
                {"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}})
    elif name == "t_tenc17":
        ids = torch.randint(0, 1000, (1, 128))
        mask = torch.ones(1, 128, dtype=torch.long)
        mask[0, 100:] = 0
        _export(transformer_encoder(d=64, ff=128), (ids, mask), path, ["input_ids", "attention_mask"], ["logits"],
                {"input_ids": {0: "batch"}, "attention_mask": {0: "batch"}, "logits": {0: "batch"}}, opset=17,
                grad=True)
    elif name == "t_convnext13":
        from torchvision.models.convnext import CNBlockConfig, ConvNeXt
        m = ConvNeXt([CNBlockConfig(16, 32, 1), CNBlockConfig(32, None, 1)], num_classes=10)
        _export(m, torch.randn(1, 3, 32, 32), path, ["image"], ["logits"], img)
    elif name == "t_llama":
        _export(llama(layers=1, d=64, heads=4, kv_heads=2, ff=160, vocab=200, positions=64),
                torch.randint(0, 200, (1, 8)), path, ["input_ids"], ["logits"],
                {"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}})
    elif name == "t_shape_chain":
        _export(shape_chain_module(), torch.randn(1, 6, 32), path, ["x"], ["y"],
                {"x": {0: "batch", 1: "sequence"}, "y": {0: "batch"}})
    else:
        raise ValueError(name)


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    out = argv[1]
    names = argv[2:] or ALL
    if names == ["tests"]:
        names = TESTS
    os.makedirs(out, exist_ok=True)
    status = 0
    for name in names:
        if name not in ALL:
            print(f"unknown model '{name}' (known: {', '.join(ALL)})", file=sys.stderr)
            return 2
        path = os.path.join(out, name + ".onnx")
        if os.path.exists(path):
            continue
        tmp = path + ".tmp"
        try:
            export(name, tmp)
        except Exception as e:  # an op this torch cannot export: say so, keep going
            print(f"{name}: export failed: {e}", file=sys.stderr)
            if os.path.exists(tmp):
                os.remove(tmp)
            status = 1
            continue
        os.replace(tmp, path)
        model = onnx.load(path, load_external_data=False)
        print(f"wrote {path} ({len(model.graph.node)} nodes, opset "
              f"{max(o.version for o in model.opset_import if o.domain in ('', 'ai.onnx'))})")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
