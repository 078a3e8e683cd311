#!/usr/bin/env python3
"""Runs one model in ONNX Runtime (../shared/oracle/run.js) and in Graft's evaluator (graft-cli run)
on the same inputs and prints, per output, the largest difference, also in units of the output's
quantization step when the output comes from a QuantizeLinear/DequantizeLinear pair or the caller
gives one (--step). Development aid for the quant measurements; not part of CTest.

Usage: ort_vs_graft.py MODEL.onnx GRAFT_CLI ORACLE_DIR [--seed N] [--int INPUT=LO:HI ...]
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

DTYPES = {"float32": np.float32, "int64": np.int64, "int32": np.int32, "uint8": np.uint8, "int8": np.int8, "bool": np.bool_}


def main():
    model, cli, oracle = sys.argv[1:4]
    extra = sys.argv[4:]
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "ort.json")
        subprocess.run(["node", os.path.join(oracle, "run.js"), model, "--out", out] + extra, check=True, capture_output=True)
        r = json.load(open(out))
        args = [cli, "run", model, "--output-dir", os.path.join(d, "g"), "--threads", "2"]
        for inp in r["inputs"]:
            a = np.array(inp["data"], dtype=DTYPES.get(inp.get("type", "float32"), np.float32)).reshape(inp["shape"])
            p = os.path.join(d, inp["name"] + ".npy")
            np.save(p, a)
            args += ["--input", f"{inp['name']}={p}"]
        subprocess.run(args, check=True, capture_output=True)
        worst = 0.0
        for o in r["outputs"]:
            ref = np.array(o["data"], dtype=np.float64).reshape(o["shape"])
            name = "".join(c if c.isalnum() or c in "_.-" else "_" for c in o["name"])
            g = np.load(os.path.join(d, "g", name + ".npy")).astype(np.float64)
            diff = np.abs(ref - g).max() if ref.size else 0.0
            rng = np.abs(ref).max() if ref.size else 0.0
            print(f"  {o['name']} {list(ref.shape)}: max |ORT - Graft| = {diff:.3g} (max |y| = {rng:.3g}, relative {diff / max(rng, 1e-30):.2e})")
            worst = max(worst, diff / max(rng, 1e-30))
        print(f"  worst relative difference {worst:.2e}")


if __name__ == "__main__":
    main()
