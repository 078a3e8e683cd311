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

Usage:
  tests/bench/rewrite_vs_ort.py --cli BUILD/app/cli/graft-cli [--models DIR] [--out DIR]
      [--runs N] [--threads T] [--no-latency] [--backend onnxruntime-cpu] [NAME ...]
NAMEs default to resnet50 mobilenetv2 efficientnetb0 bert13 bert17 gpt6. Models missing in --models
are exported first (needs torch). Prints a Markdown table; --json FILE writes the raw numbers.
Exit status 1 when a model has more nodes than ORT extended or its outputs differ.
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

# Inputs the oracle's random generator needs told: token types index a 2-row embedding,
# masks get 0/1 so the masking path is exercised, sequences get a realistic length.
ORACLE_ARGS = {
    "bert13": ["--dim", "sequence=32", "--int", "token_type_ids=0:2", "--int", "attention_mask=0:2"],
    "bert17": ["--dim", "sequence=32", "--int", "token_type_ids=0:2", "--int", "attention_mask=0:2"],
    "gpt6": ["--dim", "sequence=32"],
}


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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", default=MODELS)
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

    out_dir = a.out or os.path.join(a.models, "out")
    ort_dir = os.path.join(a.models, "ort")
    os.makedirs(out_dir, exist_ok=True)
    os.makedirs(ort_dir, exist_ok=True)
    missing = [n for n in a.names if not os.path.exists(os.path.join(a.models, n + ".onnx"))]
    if missing:
        run(["/usr/bin/python3", os.path.join(SRC, "tests/models/make_rewrite_models.py"), a.models] + missing)

    rows, failed = [], False
    for name in a.names:
        model = os.path.join(a.models, name + ".onnx")
        extra = ORACLE_ARGS.get(name, [])
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

    def fmt(v, nd=2):
        return "—" if v is None else (f"{v:.{nd}f}" if isinstance(v, float) else str(v))

    print(f"| model | exported | ORT basic | ORT extended | Graft ({a.backend}) | Graft ≤ ORT | "
          "outputs vs original | vs ORT extended | ms original (ORT off) | ms ORT online extended | "
          "ms Graft (ORT off) | ms ORT online all |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['model']} | {r['exported']} | {r['ort_basic']} | {r['ort_extended']} | "
                  f"error: {r['error'][0]} | | | | | | | |")
            continue
        ok = "yes" if r["graft"] <= r["ort_extended"] else "NO"
        v1 = ("ok" if r["vs_original"]["ok"] else "DIFF") + f" ({fmt(r['vs_original']['maxAbs'], 6)})"
        v2 = ("ok" if r["vs_ort"]["ok"] else "DIFF") + f" ({fmt(r['vs_ort']['maxAbs'], 6)})"
        print(f"| {r['model']} | {r['exported']} | {r['ort_basic']} | {r['ort_extended']} | {r['graft']} | {ok} | "
              f"{v1} | {v2} | {fmt(r.get('ms_original'))} | {fmt(r.get('ms_ort_online'))} | {fmt(r.get('ms_graft'))} | "
              f"{fmt(r.get('ms_ort_all'))} |")
    for r in rows:
        if "graft_ops" in r:
            print(f"\n{r['model']}: Graft {r['graft_ops']}\n{' ' * len(r['model'])}  ORT   {r['ort_ops']}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
