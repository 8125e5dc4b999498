#!/usr/bin/env bash
# End-to-end ingest benchmark: MB/s and peak memory of `tagscope ingest` on a large
# Twitter v1.1 JSONL file made by the simulator (or one you pass).
#
#   scripts/bench.sh                 # simulate 200,000 tweets (~1 GB of JSONL), then ingest
#   scripts/bench.sh POSTS           # another size
#   scripts/bench.sh --file big.jsonl
#
# Needs GNU time (/usr/bin/time) for peak memory; prints a Markdown table row.
set -euo pipefail
cd "$(dirname "$0")/.."
posts=200000
file=""
if [[ "${1:-}" == "--file" ]]; then file="$2"; elif [[ -n "${1:-}" ]]; then posts="$1"; fi

cargo build --release --quiet
bin=target/release/tagscope
work=${BENCH_DIR:-target/bench}
mkdir -p "$work"
if [[ -z "$file" ]]; then
  file="$work/sim-$posts/twitter_v1/tweets.jsonl"
  if [[ ! -f "$file" ]]; then
    echo "simulating $posts tweets into $work/sim-$posts ..." >&2
    "$bin" simulate -o "$work/sim-$posts" --seed 2017 --posts "$posts" --no-gzip
  fi
fi
bytes=$(stat -c %s "$file")
rm -rf "$work/ingest-out"
if [[ -x /usr/bin/time ]]; then
  /usr/bin/time -v "$bin" -q ingest "$file" -o "$work/ingest-out" 2> "$work/time.txt"
  wall=$(grep 'Elapsed (wall clock)' "$work/time.txt" | awk '{print $NF}')
  peak_kb=$(grep 'Maximum resident set size' "$work/time.txt" | awk '{print $NF}')
else
  start=$(date +%s.%N); "$bin" -q ingest "$file" -o "$work/ingest-out"; end=$(date +%s.%N)
  wall=$(echo "$end - $start" | bc); peak_kb=0
fi
seconds=$(python3 - "$wall" <<'PY'
import sys
parts = sys.argv[1].split(':')
s = 0.0
for p in parts: s = s * 60 + float(p)
print(s)
PY
)
posts_out=$(python3 -c "import json;print(json.load(open('$work/ingest-out/ingest_report.json'))['posts'])")
python3 - "$bytes" "$seconds" "$peak_kb" "$posts_out" "$(nproc)" <<'PY'
import sys
size, secs, peak_kb, posts, cores = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
print("| input | posts | wall s | MB/s | peak RSS MB | cores |")
print("|---|---|---|---|---|---|")
print(f"| v1.1 JSONL {size/1e6:.0f} MB | {posts:,} | {secs:.2f} | {size/1e6/secs:.0f} | {peak_kb/1024:.0f} | {cores} |")
PY
