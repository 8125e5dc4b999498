#!/usr/bin/env python3
"""Mean ± sd over worlds of `tagscope evaluate --json` outputs.

    scripts/summarise-evaluations.py OUT VARIANT [VARIANT...]

reads OUT/<seed>/<variant>/evaluate.json for every seed folder and prints, per variant,
ROC AUC, average precision, P@k, recall in top k per bot kind, and humans in top k."""
import glob
import json
import statistics
import sys

out, variants = sys.argv[1], sys.argv[2:]
for variant in variants:
    paths = sorted(glob.glob(f"{out}/*/{variant}/evaluate.json"))
    if not paths:
        continue
    rows = [json.load(open(p)) for p in paths]
    fields = {"roc_auc": [], "average_precision": [], "precision_at_k": []}
    kinds = {}
    for r in rows:
        for f in fields:
            fields[f].append(r[f])
        for k in r["per_kind"]:
            key = f"recall {k['kind']}" if k["is_bot"] else f"in top k: {k['kind']}"
            kinds.setdefault(key, []).append(k["recall"] if k["is_bot"] else k["in_top_k"])
    def fmt(values):
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.4f} ± {sd:.4f}"
    seeds = [p.split("/")[-3] for p in paths]
    print(f"{variant} ({len(rows)} worlds: {', '.join(seeds)})")
    for f, v in fields.items():
        print(f"  {f:32} {fmt(v)}")
    for k in sorted(kinds):
        print(f"  {k:32} {fmt(kinds[k])}")
