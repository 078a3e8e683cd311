#!/usr/bin/python3
"""Graft's `optimize --backend onnxruntime-cpu` against ONNX Runtime's own optimizer (issue 5).

For each model (exported by tests/models/make_rewrite_models.py):
  1. ORT saves its `basic` and `extended` optimized models (oracle ortopt.js);
  2. graft-cli optimizes the original offline for the backend;
  3. node counts: exported, ORT basic, ORT extended, Graft (Graft must have no more than ORT extended);
  4. outputs: Graft's model against the original and against ORT's extended model (oracle compare.js,
     both run with ORT's optimizations disabled), within --atol/--rtol;
  5. latency (oracle bench.js, median ms): the original with ORT optimizations disabled, the original
     with ORT's online `extended` optimizations, and Graft's model with ORT optimizations disabled.
     Graft's offline result should be as fast as ORT's online one. ORT's default level `all` (NCHWc
     layouts its CPU EP alone can run) is measured too, for reference.

Outputs are compared at every symbolic dim 1 and again at batch 2, sequence 7 (--dims-b), so a
shape rewrite right only at 1 shows as DIFF. The table ends with the totals and Graft's total as a
fraction of ORT extended's.

--corpus: the models of tests/models/make_corpus_models.py (torchvision classifiers, ConvNeXt at
opset 13, ViT, DeepLabV3, SSDLite heads, TransformerEncoder at 13/17, BERT-style at 13/17, GPT-2
style, LSTM, LLaMA-style) instead of the default list; exported into --models when missing.
--all-profiles: also runs every backend profile over each model: the result must pass
`graft-cli check` and `graft-cli verify` against the original, and for the onnxruntime profiles
ONNX Runtime must load it and compute the original's outputs (compare.js).

Usage:
  tests/bench/rewrite_vs_ort.py --cli BUILD/app/cli/graft-cli [--models DIR] [--out DIR] [--corpus]
      [--runs N] [--threads T] [--no-latency] [--backend onnxruntime-cpu] [--all-profiles] [NAME ...]
NAMEs default to resnet50 mobilenetv2 efficientnetb0 bert13 bert17 gpt6 (with --corpus: the corpus).
Models missing in --models are exported first (needs torch). Prints a Markdown table; --json FILE
writes the raw numbers. Exit status 1 when a model has more nodes than ORT extended, its outputs
differ, or (--all-profiles) a profile's result fails a check.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
ORACLE = os.environ.get("GRAFT_ORACLE", "/work/shared/oracle")
MODELS = ["resnet50", "mobilenetv2", "efficientnetb0", "bert13", "bert17", "gpt6"]
CORPUS = ["resnet18", "mobilenetv2", "mobilenetv3", "efficientnetb0", "shufflenetv2", "convnext13", "vit",
          "deeplabv3", "ssdlite", "tenc13", "tenc17", "bert13c", "bert17c", "gpt4", "lstm", "llama"]
PROFILES = ["onnxruntime-cpu", "onnxruntime-cuda", "tensorrt", "openvino", "portable"]

# Inputs the oracle's random generator needs told: token types index a 2-row embedding,
# masks get 0/1 so the masking path is exercised, sequences get a realistic length.
ORACLE_ARGS = {
    "bert13": ["--dim", "sequence=32", "--int", "token_type_ids=0:2", "--int", "attention_mask=0:2"],
    "bert17": ["--dim", "sequence=32", "--int", "token_type_ids=0:2", "--int", "attention_mask=0:2"],
    "gpt6": ["--dim", "sequence=32"],
}


def oracle_args(model):
    """Integer inputs the oracle must keep in range: token types index a 2-row table, masks are 0/1."""
    import onnx
    m = onnx.load(model, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    args = []
    for i in m.graph.input:
        if i.name in inits:
            continue
        low = i.name.lower()
        if "token_type" in low or "mask" in low:
            args += ["--int", f"{i.name}=0:2"]
    return args


def symbolic_dims(model):
    import onnx
    m = onnx.load(model, load_external_data=False)
    names = []
    for i in m.graph.input:
        for d in i.type.tensor_type.shape.dim:
            if d.dim_param and d.dim_param not in names:
                names.append(d.dim_param)
    return names


def dims_b(model, spec):
    """--dim arguments for the second comparison: batch 2, sequence 7 (by name), others 3."""
    want = dict(kv.split("=") for kv in spec.split(","))
    out = []
    for name in symbolic_dims(model):
        low = name.lower()
        v = want.get(name)
        if v is None:
            v = want.get("batch") if "batch" in low else want.get("sequence") if ("seq" in low or "len" in low) else "3"
        out += ["--dim", f"{name}={v}"]
    return out


def run(cmd, check=True, timeout=3600):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return p


def op_counts(path):
    import onnx
    m = onnx.load(path, load_external_data=False)
    c = collections.Counter((f"{n.domain}:" if n.domain not in ("", "ai.onnx") else "") + n.op_type
                            for n in m.graph.node)
    return len(m.graph.node), c


def ort_optimize(model, level, out):
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(model):
        run(["node", os.path.join(ORACLE, "ortopt.js"), model, level, out])
    return op_counts(out)


def compare(a, b, extra, atol, rtol):
    p = run(["node", os.path.join(ORACLE, "compare.js"), a, b, "--atol", str(atol), "--rtol", str(rtol),
             "--json"] + extra, check=False)
    try:
        j = json.loads(p.stdout)
    except json.JSONDecodeError:
        j = {"raw": (p.stdout + p.stderr)[-500:]}
    return p.returncode, j


def max_abs(j):
    outs = j.get("results") or []
    vals = [o.get("maxAbsDiff") for o in outs if isinstance(o, dict)]
    vals = [v for v in vals if isinstance(v, (int, float))]
    return max(vals) if vals else None


def bench(model, level, extra, runs, threads):
    p = run(["node", os.path.join(ORACLE, "bench.js"), model, "--level", level, "--runs", str(runs),
             "--threads", str(threads), "--json"] + extra)
    j = json.loads(p.stdout)
    return j.get("median_ms")


def check_profiles(a, name, model, out_dir, extra, extra_b):
    """Every profile's result: graft-cli check, graft-cli verify against the original (dims 1 and
    --dims-b), and for the onnxruntime profiles ONNX Runtime loads it and agrees (compare.js)."""
    res = {}
    for prof in PROFILES:
        out = os.path.join(out_dir, f"{name}.{prof}.onnx")
        v = {"ok": False}
        res[prof] = v
        if prof != a.backend or not os.path.exists(out):
            p = run([a.cli, "optimize", model, out, "--backend", prof], check=False)
            if p.returncode != 0 or not os.path.exists(out):
                v["why"] = "optimize: " + ((p.stderr or p.stdout).strip().splitlines() or ["failed"])[-1][:120]
                continue
        v["nodes"], _ = op_counts(out)
        p = run([a.cli, "check", out], check=False)
        if p.returncode != 0:
            v["why"] = "check: " + ((p.stdout + p.stderr).strip().splitlines() or ["failed"])[-1][:120]
            continue
        dim_b = [x for x in extra_b if "=" in x and not x.startswith("--")]
        dim_b = [x for x in dim_b if ":" not in x]
        for dims in ([], dim_b):
            args = []
            for d in dims:
                args += ["--dim", d]
            p = run([a.cli, "verify", model, out] + args, check=False)
            if p.returncode != 0:
                v["why"] = f"verify {' '.join(dims) or 'dims 1'}: " + \
                    ((p.stdout + p.stderr).strip().splitlines() or ["failed"])[-1][:120]
                break
        if "why" in v:
            continue
        if prof.startswith("onnxruntime"):
            rc, j = compare(model, out, extra, a.atol, a.rtol)
            if rc != 0:
                v["why"] = "ORT: " + str(j.get("error") or j.get("raw") or "outputs differ")[:120]
                continue
        v["ok"] = True
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*")
    ap.add_argument("--corpus", action="store_true", help="the corpus of make_corpus_models.py")
    ap.add_argument("--dims-b", default="batch=2,sequence=7", help="second set of symbolic dims to compare at")
    ap.add_argument("--all-profiles", action="store_true", help="also check every backend profile's result")
    ap.add_argument("--cli", required=True, help="path to graft-cli")
    ap.add_argument("--models", default="/work/models-rewrite")
    ap.add_argument("--out", default=None, help="where optimized models go (default MODELS/out)")
    ap.add_argument("--backend", default="onnxruntime-cpu")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--atol", type=float, default=1e-4)
    ap.add_argument("--rtol", type=float, default=1e-3)
    ap.add_argument("--no-latency", action="store_true")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    if not a.names:
        a.names = CORPUS if a.corpus else MODELS
    exporter = "make_corpus_models.py" if a.corpus else "make_rewrite_models.py"
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", file=sys.stderr)

    out_dir = a.out or os.path.join(a.models, "out")
    ort_dir = os.path.join(a.models, "ort")
    os.makedirs(out_dir, exist_ok=True)
    os.makedirs(ort_dir, exist_ok=True)
    missing = [n for n in a.names if not os.path.exists(os.path.join(a.models, n + ".onnx"))]
    if missing:
        run(["/usr/bin/python3", os.path.join(SRC, "tests/models", exporter), a.models] + missing, check=False)

    rows, failed = [], False
    for name in a.names:
        model = os.path.join(a.models, name + ".onnx")
        if not os.path.exists(model):
            rows.append({"model": name, "exported": 0, "ort_basic": 0, "ort_extended": 0,
                         "error": ["export failed"]})
            failed = True
            continue
        extra = ORACLE_ARGS.get(name, oracle_args(model))
        extra_b = [x for x in oracle_args(model)] + dims_b(model, a.dims_b)
        r = {"model": name}
        r["exported"], _ = op_counts(model)
        r["ort_basic"], _ = ort_optimize(model, "basic", os.path.join(ort_dir, f"{name}.basic.onnx"))
        ort_ext = os.path.join(ort_dir, f"{name}.extended.onnx")
        r["ort_extended"], ext_ops = ort_optimize(model, "extended", ort_ext)
        graft_out = os.path.join(out_dir, f"{name}.{a.backend}.onnx")
        t0 = time.time()
        p = run([a.cli, "optimize", model, graft_out, "--backend", a.backend], check=False)
        r["graft_seconds"] = round(time.time() - t0, 2)
        if p.returncode != 0 or not os.path.exists(graft_out):
            r["error"] = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["graft-cli failed"]
            rows.append(r)
            failed = True
            continue
        r["graft"], graft_ops = op_counts(graft_out)
        r["graft_ops"] = dict(graft_ops.most_common())
        r["ort_ops"] = dict(ext_ops.most_common())
        rc1, j1 = compare(model, graft_out, extra, a.atol, a.rtol)
        rc2, j2 = compare(ort_ext, graft_out, extra, a.atol, a.rtol)
        r["vs_original"] = {"ok": rc1 == 0, "maxAbs": max_abs(j1)}
        r["vs_ort"] = {"ok": rc2 == 0, "maxAbs": max_abs(j2)}
        if symbolic_dims(model):
            rc3, j3 = compare(model, graft_out, extra_b, a.atol, a.rtol)
            r["vs_original_b"] = {"ok": rc3 == 0, "maxAbs": max_abs(j3)}
            if rc3 != 0:
                failed = True
        if a.all_profiles:
            r["profiles"] = check_profiles(a, name, model, out_dir, extra, extra_b)
            if any(not v["ok"] for v in r["profiles"].values()):
                failed = True
        if not a.no_latency:
            r["ms_original"] = bench(model, "disabled", extra, a.runs, a.threads)
            r["ms_ort_online"] = bench(model, "extended", extra, a.runs, a.threads)
            # ORT's default level adds NCHWc layout transforms only its CPU EP can run: shown for reference.
            r["ms_ort_all"] = bench(model, "all", extra, a.runs, a.threads)
            r["ms_graft"] = bench(graft_out, "disabled", extra, a.runs, a.threads)
        if r["graft"] > r["ort_extended"] or rc1 != 0 or rc2 != 0:
            failed = True
        rows.append(r)
        print(f"{name}: done", file=sys.stderr)

    def fmt(v, nd=2):  # noqa: E306
        return "—" if v is None else (f"{v:.{nd}f}" if isinstance(v, float) else str(v))

    print(f"| model | exported | ORT basic | ORT extended | Graft ({a.backend}) | Graft ≤ ORT | "
          f"outputs vs original | vs original at {a.dims_b} | vs ORT extended | ms original (ORT off) | "
          "ms ORT online extended | ms Graft (ORT off) | ms ORT online all |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['model']} | {r['exported']} | {r['ort_basic']} | {r['ort_extended']} | "
                  f"error: {r['error'][0]} | | | | | | | | |")
            continue
        ok = "yes" if r["graft"] <= r["ort_extended"] else "NO"
        v1 = ("ok" if r["vs_original"]["ok"] else "DIFF") + f" ({fmt(r['vs_original']['maxAbs'], 6)})"
        v2 = ("ok" if r["vs_ort"]["ok"] else "DIFF") + f" ({fmt(r['vs_ort']['maxAbs'], 6)})"
        vb = r.get("vs_original_b")
        v3 = "no symbolic dims" if vb is None else ("ok" if vb["ok"] else "DIFF") + f" ({fmt(vb['maxAbs'], 6)})"
        print(f"| {r['model']} | {r['exported']} | {r['ort_basic']} | {r['ort_extended']} | {r['graft']} | {ok} | "
              f"{v1} | {v3} | {v2} | {fmt(r.get('ms_original'))} | {fmt(r.get('ms_ort_online'))} | "
              f"{fmt(r.get('ms_graft'))} | {fmt(r.get('ms_ort_all'))} |")
    done = [r for r in rows if "graft" in r]
    if done:
        tg = sum(r["graft"] for r in done)
        te = sum(r["ort_extended"] for r in done)
        tb = sum(r["ort_basic"] for r in done)
        tx = sum(r["exported"] for r in done)
        print(f"| **total ({len(done)} models)** | {tx} | {tb} | {te} | {tg} | {tg / te:.3f} of ORT extended | "
              "| | | | | | |")
    if a.all_profiles:
        print("\n| model | " + " | ".join(PROFILES) + " |")
        print("|---|" + "---|" * len(PROFILES))
        for r in rows:
            if "profiles" not in r:
                continue
            cells = []
            for p in PROFILES:
                v = r["profiles"].get(p, {})
                cells.append(("ok" if v.get("ok") else "FAIL: " + v.get("why", "?")) +
                             (f" ({v['nodes']} nodes)" if "nodes" in v else ""))
            print(f"| {r['model']} | " + " | ".join(cells) + " |")
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for r in rows:
        if "graft_ops" in r:
            print(f"\n{r['model']}: Graft {r['graft_ops']}\n{' ' * len(r['model'])}  ORT   {r['ort_ops']}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
