#!/usr/bin/env python3
"""Makes the models the canvas benchmarks and tests open; written at bench/test time, never committed.

  cnn          a ~100-node CNN (torchvision ResNet-34, 121 nodes, random weights), exported by PyTorch
  gpt6         a 6-layer GPT-style decoder exported by PyTorch (~900 nodes)
  decoder16k   a ~16,000-node decoder with /h.N/attn/... scope names
  decoder64k   a ~64,000-node decoder with /h.N/attn/... scope names

The large decoders are synthetic but shaped like the real thing: a 2-layer decoder is
exported by PyTorch and its second layer is repeated (new names, new weights), because
exporting hundreds of layers through torch.onnx takes minutes.

Usage: make_models.py OUT_DIR [NAME ...]   (default: all). Existing files are kept.
Needs python3 with torch, torchvision and onnx (Debian: python3-torch, python3-torchvision,
python3-onnx).
"""
import copy
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def _gpt_module(layers, d, heads, vocab=1000, positions=128):
    import torch
    import torch.nn as nn

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(d, 3 * d)
            self.c_proj = nn.Linear(d, d)

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(C, dim=2)
            q = q.view(B, T, heads, C // heads).transpose(1, 2)
            k = k.view(B, T, heads, C // heads).transpose(1, 2)
            v = v.view(B, T, heads, C // heads).transpose(1, 2)
            a = (q @ k.transpose(-2, -1)) * (1.0 / (C // heads) ** 0.5)
            mask = torch.tril(torch.ones(T, T)).view(1, 1, T, T)
            a = a.masked_fill(mask[:, :, :T, :T] == 0, float("-inf"))
            a = torch.softmax(a, dim=-1)
            y = (a @ v).transpose(1, 2).contiguous().view(B, T, C)
            return self.c_proj(y)

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_fc = nn.Linear(d, 4 * d)
            self.act = nn.GELU()
            self.c_proj = nn.Linear(4 * d, d)

        def forward(self, x):
            return self.c_proj(self.act(self.c_fc(x)))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(d)
            self.attn = Attention()
            self.ln_2 = nn.LayerNorm(d)
            self.mlp = MLP()

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(vocab, d)
            self.wpe = nn.Embedding(positions, d)
            self.h = nn.ModuleList([Block() for _ in range(layers)])
            self.ln_f = nn.LayerNorm(d)
            self.lm_head = nn.Linear(d, vocab, bias=False)

        def forward(self, idx):
            B, T = idx.size()
            pos = torch.arange(0, T, dtype=torch.long).unsqueeze(0)
            x = self.wte(idx) + self.wpe(pos)
            for block in self.h:
                x = block(x)
            return self.lm_head(self.ln_f(x))

    torch.manual_seed(0)
    return GPT().eval()


def _export(module, example, path, input_names, output_names, dynamic_axes):
    import torch

    torch.onnx.export(module, example, path, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes, opset_version=14, do_constant_folding=True)


def export_gpt(path, layers, d=64, heads=4):
    import torch

    _export(_gpt_module(layers, d, heads), torch.zeros(1, 16, dtype=torch.long), path,
            ["input_ids"], ["logits"], {"input_ids": {0: "batch", 1: "sequence"}})


def export_cnn(path):
    import torch
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.resnet34(weights=None).eval()
    _export(model, torch.zeros(1, 3, 224, 224), path, ["image"], ["logits"], {"image": {0: "batch"}})


def _users(graph):
    users = {}
    for n in graph.node:
        for name in n.input:
            users.setdefault(name, []).append(n)
    for o in graph.output:
        users.setdefault(o.name, []).append(None)
    return users


def replicate_decoder(src_path, path, target_nodes):
    """Repeats layer h.1 of a 2-layer export until the graph has about target_nodes nodes."""
    model = onnx.load(src_path)
    graph = model.graph
    users = _users(graph)

    nodes = list(graph.node)  # protobuf wrappers are not stable objects: work with indices
    def in_block(n):
        return n is not None and n.name.startswith("/h.1/")

    # The exporter leaves some Constants unscoped; they belong to the layer that uses them.
    block_idx = set()
    for i, n in enumerate(nodes):
        if in_block(n) or (n.name and not n.name.startswith("/") and n.output and
                           all(in_block(u) for o in n.output for u in users.get(o, [None]))):
            block_idx.add(i)
    block = [nodes[i] for i in sorted(block_idx)]
    produced = {o for n in block for o in n.output}
    block_names = {n.name for n in block}
    block_out = sorted(o for o in produced
                       if any(u is None or u.name not in block_names for u in users.get(o, [])))
    assert len(block_out) == 1, block_out
    block_out = block_out[0]
    layer0_out = {o for n in nodes if n.name.startswith("/h.0/") for o in n.output}
    prev_out = {i for n in block for i in n.input if i and i not in produced and i in layer0_out}
    assert len(prev_out) == 1, prev_out
    prev_out = prev_out.pop()
    after_start = max(block_idx) + 1
    after = [nodes[i] for i in range(after_start, len(nodes))]
    before = [nodes[i] for i in range(after_start) if i not in block_idx]

    inits = {t.name: t for t in graph.initializer}
    block_inits = {i for n in block for i in n.input if i in inits}
    shared_inits = {i for n in before + after for i in n.input if i in inits}
    per_layer_inits = block_inits - shared_inits

    per_layer = len(block)
    layers = max(2, 1 + (target_nodes - len(before) - len(after)) // per_layer)
    rng = np.random.default_rng(0)
    new_nodes = list(before)
    new_inits = [t for t in graph.initializer if t.name not in per_layer_inits]
    last = prev_out
    for k in range(1, layers):
        def rename(name, k=k):
            if not name:
                return name
            if "/h.1/" in name:
                return name.replace("/h.1/", f"/h.{k}/")
            if name.startswith("h.1."):
                return f"h.{k}." + name[4:]
            return f"{name}__h{k}"
        mapping = {}
        for o in produced:
            mapping[o] = rename(o)
        for name in per_layer_inits:
            mapping[name] = rename(name)
            t = copy.deepcopy(inits[name])
            arr = numpy_helper.to_array(t)
            fresh = (rng.standard_normal(arr.shape) * 0.02).astype(arr.dtype)
            t2 = numpy_helper.from_array(fresh, mapping[name])
            new_inits.append(t2)
        mapping[prev_out] = last
        for n in block:
            m = copy.deepcopy(n)
            m.name = rename(n.name)
            m.input[:] = [mapping.get(i, i) for i in n.input]
            m.output[:] = [mapping.get(o, o) for o in n.output]
            new_nodes.append(m)
        last = mapping[block_out]
    for n in after:
        m = copy.deepcopy(n)
        m.input[:] = [last if i == block_out else i for i in n.input]
        new_nodes.append(m)

    del graph.node[:]
    graph.node.extend(new_nodes)
    del graph.initializer[:]
    graph.initializer.extend(new_inits)
    del graph.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return len(new_nodes), layers


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    out = argv[1]
    names = argv[2:] or ["cnn", "gpt6", "decoder16k", "decoder64k"]
    os.makedirs(out, exist_ok=True)
    for name in names:
        path = os.path.join(out, name + ".onnx")
        if os.path.exists(path):
            continue
        tmp = path + ".tmp"
        if name == "cnn":
            export_cnn(tmp)
        elif name == "gpt6":
            export_gpt(tmp, 6)
        elif name in ("decoder16k", "decoder64k"):
            seed = os.path.join(out, "decoder_seed.onnx")
            if not os.path.exists(seed):
                export_gpt(seed, 2, d=32, heads=4)
            count, layers = replicate_decoder(seed, tmp, 16000 if name == "decoder16k" else 64000)
            print(f"{name}: {count} nodes, {layers} layers")
        else:
            print(f"unknown model '{name}'", file=sys.stderr)
            return 2
        os.replace(tmp, path)
        print(f"wrote {path} ({len(onnx.load(path, load_external_data=False).graph.node)} nodes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
