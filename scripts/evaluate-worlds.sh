#!/usr/bin/env bash
# Detection quality over simulated worlds: the default weights, the published thresholds
# alone (population_share = 0), without the schedule tests, any extra weights files, and
# the cross-validated figures of --calibrate on each world's truth.csv.
#   scripts/evaluate-worlds.sh OUT SEED...
# Environment: POSTS (30000), BIN (./target/debug/tagscope), RANDOMISE=1 for
# `simulate --randomise` worlds, EXTRA="name=weights.toml ..." for more variants.
# Writes OUT/<seed>/{sim,tables,<variant>} and OUT/worlds.csv (one row per seed and variant).
set -euo pipefail
out=$1; shift
bin=${BIN:-./target/debug/tagscope}
posts=${POSTS:-30000}
randomise=()
[ "${RANDOMISE:-0}" = 1 ] && randomise=(--randomise)
mkdir -p "$out"
printf 'second_of_minute_rayleigh_p = 0\nminute_of_hour_rayleigh_p = 0\nschedule_period_p = 0\n' > "$out/without_schedule.toml"
printf 'population_share = 0\n' > "$out/published_only.toml"
variants=("default=" "published_only=$out/published_only.toml" "without_schedule=$out/without_schedule.toml")
for extra in ${EXTRA:-}; do variants+=("$extra"); done
echo "seed,variant,roc_auc,average_precision,precision_at_k,scheduled,low_volume,amplifier,coordinated,hyperactive_in_top_k" > "$out/worlds.csv"
for seed in "$@"; do
  w="$out/$seed"
  rm -rf "$w"; mkdir -p "$w"
  "$bin" -q simulate --seed "$seed" --posts "$posts" "${randomise[@]}" -o "$w/sim"
  "$bin" -q ingest "$w/sim/twitter_v1" "$w/sim/4chan" -o "$w/tables"
  names=()
  for v in "${variants[@]}"; do
    name=${v%%=*}; file=${v#*=}
    if [ -n "$file" ]; then
      "$bin" -q score "$w/tables" -o "$w/$name" --weights "$file"
    else
      "$bin" -q score "$w/tables" -o "$w/$name"
    fi
    names+=("$name")
  done
  "$bin" -q score "$w/tables" -o "$w/calibrated" --calibrate "$w/sim/truth.csv"
  names+=(calibrated)
  for variant in "${names[@]}"; do
    col=score; [ "$variant" = calibrated ] && col=probability
    "$bin" evaluate --json --truth "$w/sim/truth.csv" "$w/$variant/suspicious_accounts.csv" --score-col "$col" > "$w/$variant/evaluate.json"
    python3 - "$seed" "$variant" "$w/$variant/evaluate.json" >> "$out/worlds.csv" <<'PY'
import json, sys
seed, variant, path = sys.argv[1:]
r = json.load(open(path))
kinds = {k["kind"]: k for k in r["per_kind"]}
get = lambda k: kinds[k]["recall"] if k in kinds else float("nan")
hyper = kinds.get("hyperactive_human", {}).get("in_top_k", 0)
print(f"{seed},{variant},{r['roc_auc']:.4f},{r['average_precision']:.4f},{r['precision_at_k']:.4f},"
      f"{get('scheduled'):.4f},{get('low_volume'):.4f},{get('amplifier'):.4f},{get('coordinated'):.4f},{hyper}")
PY
  done
done
python3 - "$out/worlds.csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
cols = ["roc_auc", "average_precision", "precision_at_k", "scheduled", "low_volume", "amplifier", "coordinated", "hyperactive_in_top_k"]
print("variant," + ",".join(cols) + "  (mean ± sd over %d worlds)" % len({r["seed"] for r in rows}))
for variant in dict.fromkeys(r["variant"] for r in rows):
    vals = [r for r in rows if r["variant"] == variant]
    cells = []
    for c in cols:
        xs = [float(r[c]) for r in vals if r[c] != "nan"]
        sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
        cells.append(f"{statistics.mean(xs):.3f}±{sd:.3f}" if xs else "nan")
    print(variant + "," + ",".join(cells))
PY
