#!/usr/bin/env bash
# Re-scores worlds made by evaluate-worlds.sh / evaluate-injected.sh with another binary
# (same simulated data, so before/after differ only by the scoring), into OUT/<seed>/VARIANT.
#   BIN=... scripts/rescore-worlds.sh OUT VARIANT [score options...]
set -euo pipefail
out=$1; variant=$2; shift 2
bin=${BIN:-./target/debug/tagscope}
for w in "$out"/*/; do
  [ -d "$w/tables" ] || continue
  "$bin" -q score "$w/tables" -o "$w/$variant" "$@"
  "$bin" evaluate --json --truth "$w/sim/truth.csv" "$w/$variant/suspicious_accounts.csv" > "$w/$variant/evaluate.json"
done
