#!/usr/bin/env bash
# Regenerates notebooks-export/: the `tagscope run` case study on the bundled synthetic demo
# (data/demo) and, where Python with polars, nbclient and ipykernel is available, re-executes
# the notebook so its saved outputs match.
#
#   scripts/export-notebook.sh
#
# The test `notebook_export_is_current` (tests/notebook_export.rs) fails when the committed
# summary.json and CSVs differ from a fresh run with the options below.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet -- -q run data/demo --tag MacronLeaks --tz Europe/Paris -o notebooks-export/demo --force
if python3 -c "import polars, nbclient, nbformat, ipykernel" 2>/dev/null; then
  python3 - <<'PY'
import nbformat
from nbclient import NotebookClient
path = "notebooks-export/macronleaks_demo.ipynb"
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": "notebooks-export"}}).execute()
nbformat.write(nb, path)
print("executed", path)
PY
else
  echo "python3 with polars, nbclient, nbformat and ipykernel not found: notebook not re-executed" >&2
  echo "  pip install polars nbclient nbformat ipykernel" >&2
fi
