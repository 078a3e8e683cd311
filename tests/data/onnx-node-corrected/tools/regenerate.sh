#!/usr/bin/env bash
# Recomputes the corrected outputs with ONNX Runtime (onnxruntime-node must be resolvable, e.g.
# NODE_PATH=/path/to/node_modules). Usage: tools/regenerate.sh NODE_TESTS_DIR (the 1.18 folder).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; src="$1"; work="$(mktemp -d)"; cd "$work"
while read -r t; do
  python3 "$here/inputs_to_json.py" "$src/$t"
  node "$here/run_ort.js" "$src/$t/model.onnx"
  python3 "$here/outputs_from_json.py" "$src/$t" "$here/../$t"
done < "$here/tests.txt"
