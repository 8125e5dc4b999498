#!/usr/bin/env bash
# Ingest speed of every JSON reader per MB, against the Twitter v1.1 reader on the same
# footing: each input is a real sample (../shared/fixtures/real; Reddit: the fixtures
# padded to real dumps' line length) repeated with fresh ids to about MB megabytes
# (scripts/bench-platforms.py). Prints a Markdown table: median of RUNS runs, MB/s, the
# read + parse phase alone, peak RSS, and the ratio to the v1.1 reader's MB/s.
#
#   scripts/bench-platforms.sh [MB] [RUNS]      # default 300 MB, 3 runs
#   BIN=target/debug/tagscope scripts/bench-platforms.sh 100 3
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-300}
runs=${2:-3}
bin=${BIN:-target/release/tagscope}
work=${BENCH_DIR:-target/bench}/platforms
if [[ ! -x "$bin" ]]; then cargo build --release --quiet; fi
if [[ ! -f "$work/twitter_v1.jsonl" ]]; then
  python3 scripts/bench-platforms.py "$work" "$mb"
fi
echo "| input | MB | posts | wall s (median of $runs) | MB/s | read + parse s | read + parse MB/s | peak RSS MB | vs v1.1 |"
echo "|---|---|---|---|---|---|---|---|---|"
v1_rate=""
for name in twitter_v1.jsonl bluesky_jetstream.jsonl bluesky_jetstream_posts.jsonl \
  bluesky_feed_pages.jsonl mastodon_statuses.jsonl reddit_RC_RS.ndjson telegram_result.json; do
  file="$work/$name"
  bytes=$(stat -c %s "$file")
  results=()
  for _ in $(seq "$runs"); do
    rm -rf "$work/out"
    # Documents are read whole up to --max-record-bytes: the Telegram file is 67 MB.
    TAGSCOPE_TIMINGS=1 /usr/bin/time -v "$bin" -q ingest "$file" --max-record-bytes 128M \
      -o "$work/out" 2> "$work/time.txt"
    wall=$(grep 'Elapsed (wall clock)' "$work/time.txt" | awk '{print $NF}')
    peak=$(grep 'Maximum resident set size' "$work/time.txt" | awk '{print $NF}')
    parse=$(grep 'ingest: read and parse' "$work/time.txt" | awk '{print $5}')
    results+=("$wall $peak $parse")
  done
  posts=$(python3 -c "import json;print(json.load(open('$work/out/ingest_report.json'))['posts'])")
  row=$(python3 - "$name" "$bytes" "$posts" "${v1_rate:-0}" "${results[@]}" <<'PY'
import statistics, sys
name, size, posts, v1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
def seconds(text):
    s = 0.0
    for part in text.split(':'):
        s = s * 60 + float(part)
    return s
runs = [r.split() for r in sys.argv[5:]]
wall = statistics.median(seconds(r[0]) for r in runs)
peak = max(int(r[1]) for r in runs) / 1024
parse = statistics.median(float(r[2]) for r in runs)
rate = size / 1e6 / wall
ratio = f"{rate / v1:.2f}" if v1 > 0 else "1.00"
print(f"{rate}\t| {name} | {size/1e6:.0f} | {posts:,} | {wall:.2f} | {rate:.0f} | {parse:.2f} | {size/1e6/parse:.0f} | {peak:.0f} | {ratio} |")
PY
)
  rate=${row%%$'\t'*}
  [[ -z "$v1_rate" ]] && v1_rate=$rate
  echo "${row#*$'\t'}"
done
rm -rf "$work/out"
