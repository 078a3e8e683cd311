#!/usr/bin/env python3
"""The quantized targets of the evaluator, measured in turn with their peers (not part of CTest):

- a static INT8 QDQ ResNet-50 made by `graft-cli quantize --mode static`: Graft's evaluator
  (bench_eval) against ONNX Runtime at level `all` on the same file (the oracle's bench.js);
- a 4-bit block-32 GPT-style decoder made by `graft-cli quantize --mode weight-only`: Graft's
  evaluator on it against Graft's evaluator on its float original;
- with --more, also static INT8 MobileNetV2 and BERT-style encoder, and a dynamic INT8 BERT-style
  encoder (DynamicQuantizeMatMul), each against ONNX Runtime at `all` on the same file.

Each pair is measured in turn, ROUNDS times, and the load average printed beside every figure:
on a busy machine the comparison lies (ONNX Runtime's thread pool suffers more than ours).

Usage: bench_quantized.py BUILD_DIR ORACLE_DIR [--runs N] [--threads T] [--rounds R] [--more]
The float models are bench_eval's (BUILD_DIR/tests/bench/bench-models, made by
`bench_eval --compare` on first use).
"""
import os
import re
import subprocess
import sys


def median_ms(text, pattern):
    m = re.search(pattern, text)
    if not m:
        raise SystemExit("no timing in:\n" + text[-2000:])
    return float(m.group(1))


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        raise SystemExit(__doc__)
    build, oracle = args[0], args[1]
    more = "--more" in args
    args = [a for a in args if a != "--more"]
    opts = {"--runs": "20", "--threads": "2", "--rounds": "2"}
    for i in range(2, len(args) - 1, 2):
        opts[args[i]] = args[i + 1]
    runs, threads, rounds = opts["--runs"], opts["--threads"], int(opts["--rounds"])
    cli = os.path.join(build, "app/cli/graft-cli")
    bench = os.path.join(build, "tests/bench/bench_eval")
    models = os.path.join(build, "tests/bench/bench-models")
    resnet = os.path.join(models, "resnet50/model.onnx")
    gpt = os.path.join(models, "gpt_decoder/model.onnx")
    for m in (resnet, gpt):
        if not os.path.exists(m):
            raise SystemExit(f"{m} is missing: run bench_eval --compare once to export the models")
    rq = os.path.join(models, "resnet50/model.int8-qdq.onnx")
    g4 = os.path.join(models, "gpt_decoder/model.int4-b32.onnx")
    if not os.path.exists(rq):
        subprocess.run([cli, "quantize", resnet, rq, "--mode", "static"], check=True, capture_output=True)
    if not os.path.exists(g4):
        subprocess.run([cli, "quantize", gpt, g4, "--mode", "weight-only", "--bits", "4", "--block-size", "32"],
                       check=True, capture_output=True)

    def graft(model):
        out = subprocess.run([bench, model, "--runs", runs, "--threads", threads], check=True, capture_output=True, text=True).stdout
        return median_ms(out, r"median\s+([0-9.]+) ms"), median_ms(out, r"peak RSS\s+([0-9.]+) MiB")

    def ort(model, level, extra=()):
        out = subprocess.run(["node", os.path.join(oracle, "bench.js"), model, "--runs", runs, "--threads", threads, "--level", level, *extra],
                             check=True, capture_output=True, text=True).stdout
        return median_ms(out, r"median ([0-9.]+) ms")

    def load():
        return os.getloadavg()[0]

    print(f"threads {threads}, runs {runs}, warm medians")
    for r in range(rounds):
        l0 = load()
        g, grss = graft(rq)
        o = ort(rq, "all")
        print(f"INT8 QDQ ResNet-50   Graft {g:7.2f} ms (peak RSS {grss:.0f} MiB)   ORT all {o:7.2f} ms   "
              f"ratio {g / o:5.2f}   load {l0:.2f}/{load():.2f}")
    for r in range(rounds):
        l0 = load()
        f, frss = graft(gpt)
        q, qrss = graft(g4)
        print(f"GPT decoder seq 128  float {f:7.2f} ms ({frss:.0f} MiB)   4-bit b32 {q:7.2f} ms ({qrss:.0f} MiB)   "
              f"4-bit/float {q / f:5.2f}   load {l0:.2f}/{load():.2f}")
    if not more:
        return
    extra = []
    for name, label, mode, ort_extra in [("mobilenet_v2", "INT8 QDQ MobileNetV2", "static", ()),
                                         ("bert", "INT8 QDQ BERT      ", "static", ("--int", "token_type_ids=0:2")),
                                         ("bert", "dynamic INT8 BERT  ", "dynamic", ("--int", "token_type_ids=0:2"))]:
        src = os.path.join(models, name, "model.onnx")
        dst = os.path.join(models, name, f"model.int8-{mode}.onnx")
        if not os.path.exists(src):
            print(f"{src} is missing: run bench_eval --compare once to export the models")
            continue
        if not os.path.exists(dst):
            subprocess.run([cli, "quantize", src, dst, "--mode", mode], check=True, capture_output=True)
        extra.append((label, dst, ort_extra))
    for r in range(rounds):
        for label, path, ort_extra in extra:
            l0 = load()
            g, grss = graft(path)
            o = ort(path, "all", ort_extra)
            print(f"{label} Graft {g:7.2f} ms (peak RSS {grss:.0f} MiB)   ORT all {o:7.2f} ms   ratio {g / o:5.2f}   load {l0:.2f}/{load():.2f}")


if __name__ == "__main__":
    main()
