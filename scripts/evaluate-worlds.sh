#!/usr/bin/env bash
# Detection quality over simulated worlds, with and without the schedule signals, and the
# cross-validated figures of --calibrate on each world's truth.csv.
#   scripts/evaluate-worlds.sh OUT SEED... (POSTS=30000 by default; BIN=./target/debug/tagscope)
# Writes OUT/<seed>/{sim,tables,default,without_schedule,calibrated} and OUT/worlds.csv.
set -euo pipefail
out=$1; shift
bin=${BIN:-./target/debug/tagscope}
posts=${POSTS:-30000}
mkdir -p "$out"
zero="$out/without_schedule.toml"
printf 'second_of_minute_rayleigh_p = 0\nminute_of_hour_rayleigh_p = 0\nschedule_period_p = 0\n' > "$zero"
echo "seed,variant,roc_auc,average_precision,precision_at_k,scheduled,low_volume,hyperactive_in_top_k" > "$out/worlds.csv"
for seed in "$@"; do
  w="$out/$seed"
  rm -rf "$w"; mkdir -p "$w"
  "$bin" -q simulate --seed "$seed" --posts "$posts" -o "$w/sim"
  "$bin" -q ingest "$w/sim/twitter_v1" "$w/sim/4chan" -o "$w/tables"
  "$bin" -q score "$w/tables" -o "$w/default"
  "$bin" -q score "$w/tables" -o "$w/without_schedule" --weights "$zero"
  "$bin" -q score "$w/tables" -o "$w/calibrated" --calibrate "$w/sim/truth.csv"
  for variant in default without_schedule calibrated; do
    col=score; [ "$variant" = calibrated ] && col=probability
    "$bin" evaluate --json --truth "$w/sim/truth.csv" "$w/$variant/suspicious_accounts.csv" --score-col "$col" > "$w/$variant/evaluate.json"
    python3 - "$seed" "$variant" "$w/$variant/evaluate.json" >> "$out/worlds.csv" <<'PY'
import json, sys
seed, variant, path = sys.argv[1:]
r = json.load(open(path))
kinds = {k["kind"]: k for k in r["per_kind"]}
get = lambda k: kinds[k]["recall"] if k in kinds else float("nan")
hyper = kinds.get("hyperactive_human", {}).get("in_top_k", 0)
print(f"{seed},{variant},{r['roc_auc']:.4f},{r['average_precision']:.4f},{r['precision_at_k']:.4f},{get('scheduled'):.4f},{get('low_volume'):.4f},{hyper}")
PY
  done
done
cat "$out/worlds.csv"
