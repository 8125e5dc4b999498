#!/usr/bin/env bash
# Schedule detection on accounts from a second, independent generator
# (scripts/inject-schedules.py) added to simulated worlds; with and without the schedule
# signals.   scripts/evaluate-injected.sh OUT SEED...   (POSTS=30000; BIN=./target/debug/tagscope)
set -euo pipefail
out=$1; shift
bin=${BIN:-./target/debug/tagscope}
posts=${POSTS:-30000}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
zero="$out/without_schedule.toml"
printf 'second_of_minute_rayleigh_p = 0\nminute_of_hour_rayleigh_p = 0\nschedule_period_p = 0\n' > "$zero"
echo "seed,variant,roc_auc,precision_at_k,injected_period,injected_clock,injected_mixture,injected_human_in_top_k,human_in_top_k" > "$out/injected.csv"
for seed in "$@"; do
  w="$out/$seed"
  rm -rf "$w"; mkdir -p "$w"
  "$bin" -q simulate --seed "$seed" --posts "$posts" -o "$w/sim"
  python3 "$here/inject-schedules.py" "$w/sim" "$seed"
  "$bin" -q ingest "$w/sim/twitter_v1" "$w/sim/4chan" -o "$w/tables"
  "$bin" -q score "$w/tables" -o "$w/default"
  "$bin" -q score "$w/tables" -o "$w/without_schedule" --weights "$zero"
  for variant in default without_schedule; do
    "$bin" evaluate --json --truth "$w/sim/truth.csv" "$w/$variant/suspicious_accounts.csv" > "$w/$variant/evaluate.json"
    python3 - "$seed" "$variant" "$w/$variant/evaluate.json" >> "$out/injected.csv" <<'PY'
import json, sys
seed, variant, path = sys.argv[1:]
r = json.load(open(path))
kinds = {k["kind"]: k for k in r["per_kind"]}
rec = lambda k: kinds[k]["recall"] if k in kinds else float("nan")
top = lambda k: kinds.get(k, {}).get("in_top_k", 0)
print(f"{seed},{variant},{r['roc_auc']:.4f},{r['precision_at_k']:.4f},{rec('injected_period'):.4f},{rec('injected_clock'):.4f},{rec('injected_mixture'):.4f},{top('injected_human')},{top('human')}")
PY
  done
done
cat "$out/injected.csv"
