#!/usr/bin/env python3
"""Exports the models quantization is measured on (tests/bench/bench_quant.cpp), with sample
folders for calibration and scoring, and the numpy references the measurements compare against.

  resnet50      torchvision ResNet-50, random weights, BatchNorm statistics re-estimated on the
                sample distribution (else activations explode and any quantization looks broken)
  mobilenet_v2  torchvision MobileNetV2, same treatment
  bert          4-layer BERT-style encoder, hidden 256, 4 heads, sequence 64
  gpt           4-layer GPT-style decoder, hidden 256, 4 heads, vocabulary 2000, sequence 64

Each goes to OUT/NAME/model.onnx with OUT/NAME/samples/sample_K/INPUTNAME.npy (24 samples: the
bench calibrates on the first 16 and scores on the last 8), and for the transformers
OUT/NAME/model_rtn_numpy.onnx: every MatMul weight rounded to 4 bits in numpy (asymmetric,
block 32 along K, range including 0) and stored dequantized, the plain RTN reference.

Usage: export_quant_models.py OUT_DIR [NAME ...]
Needs Debian's /usr/bin/python3 with python3-torch, python3-torchvision, python3-onnx.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_eval_models import bert_module, gpt_module  # noqa: E402

SAMPLES = 24


def reestimate_bn(model, make_batch, batches=8):
    import torch
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average
    model.train()
    with torch.no_grad():
        for i in range(batches):
            model(make_batch(i))
    model.eval()


def rtn_numpy(w, bits=4, block=32):
    """w [K, N] -> dequantized RTN weights, asymmetric per block of `block` along K."""
    K, N = w.shape
    out = np.empty_like(w)
    qmax = 2 ** bits - 1
    for k0 in range(0, K, block):
        blk = w[k0:k0 + block].astype(np.float64)
        lo = np.minimum(blk.min(axis=0), 0.0)
        hi = np.maximum(blk.max(axis=0), 0.0)
        scale = ((hi - lo) / qmax).astype(np.float32)
        scale[scale == 0] = 1.0
        zp = np.clip(np.round(-lo / scale), 0, qmax)
        q = np.clip(np.round(blk.astype(np.float32) / scale) + zp, 0, qmax)
        out[k0:k0 + block] = ((q - zp) * scale).astype(np.float32)
    return out


def write_rtn_reference(path, out_path):
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    inits = {t.name: t for t in m.graph.initializer}
    done = set()
    for n in m.graph.node:
        if n.op_type == "MatMul" and n.input[1] in inits and n.input[1] not in done:
            t = inits[n.input[1]]
            w = numpy_helper.to_array(t)
            if w.ndim != 2 or w.dtype != np.float32:
                continue
            t.CopyFrom(numpy_helper.from_array(rtn_numpy(w), t.name))
            done.add(n.input[1])
    onnx.save(m, out_path)
    print(f"  {out_path}: {len(done)} MatMul weights rounded to 4 bits (numpy RTN, asym, block 32)")


def main():
    import torch
    from torchvision import models
    out_dir = sys.argv[1]
    names = sys.argv[2:] or ["resnet50", "mobilenet_v2", "bert", "gpt"]
    for name in names:
        torch.manual_seed(0)
        g = torch.Generator().manual_seed(11)
        if name in ("resnet50", "mobilenet_v2"):
            model = models.resnet50() if name == "resnet50" else models.mobilenet_v2()
            reestimate_bn(model, lambda i: torch.randn(8, 3, 224, 224, generator=torch.Generator().manual_seed(100 + i)))
            samples = [{"image": torch.randn(1, 3, 224, 224, generator=g)} for _ in range(SAMPLES)]
            inputs, outputs, opset = ["image"], ["logits"], 13
        elif name == "bert":
            model = bert_module(4, 256, 4, 1024).eval()
            samples = []
            for _ in range(SAMPLES):
                ids = torch.randint(0, 1000, (1, 64), generator=g)
                samples.append({"input_ids": ids, "attention_mask": torch.ones(1, 64, dtype=torch.long),
                                "token_type_ids": torch.randint(0, 2, (1, 64), generator=g)})
            inputs, outputs, opset = ["input_ids", "attention_mask", "token_type_ids"], ["last_hidden_state", "pooler_output"], 17
        elif name == "gpt":
            model = gpt_module(layers=4, d=256, heads=4, vocab=2000, positions=128)
            samples = [{"input_ids": torch.randint(0, 2000, (1, 64), generator=g)} for _ in range(SAMPLES)]
            inputs, outputs, opset = ["input_ids"], ["logits"], 17
        else:
            raise SystemExit(f"unknown model {name}")
        d = os.path.join(out_dir, name)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "model.onnx")
        example = tuple(samples[0][k] for k in inputs)
        torch.onnx.export(model, example, path, input_names=inputs, output_names=outputs, opset_version=opset,
                          do_constant_folding=True)
        for i, s in enumerate(samples):
            sd = os.path.join(d, "samples", f"sample_{i:02d}")
            os.makedirs(sd, exist_ok=True)
            for k, v in s.items():
                np.save(os.path.join(sd, k + ".npy"), v.numpy())
        print(f"{name}: {path}, {len(samples)} samples")
        if name in ("bert", "gpt"):
            write_rtn_reference(path, os.path.join(d, "model_rtn_numpy.onnx"))


if __name__ == "__main__":
    main()
