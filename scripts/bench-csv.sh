#!/usr/bin/env bash
# End-to-end CSV ingest benchmark: MB/s and peak memory of `tagscope ingest` on a generic CSV
# laid out like FiveThirtyEight's release of the IRA tweets (one row per tweet, 17 columns,
# quoted text with commas and doubled quotes, M/D/YYYY times), made up with a fixed seed.
#
#   scripts/bench-csv.sh              # 1,750,000 rows (~460 MB), then ingest
#   scripts/bench-csv.sh ROWS
#   scripts/bench-csv.sh --file archive.csv --map id=...,time=...
#
# Needs GNU time (/usr/bin/time) and python3 (to write the CSV).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=1750000
file=""
map="id=tweet_id,author=author,time=publish_date,text=content,lang=language"
if [[ "${1:-}" == "--file" ]]; then file="$2"; map="${4:-$map}"; elif [[ -n "${1:-}" ]]; then rows="$1"; fi

cargo build --release --quiet --bin tagscope
bin=target/release/tagscope
work=${BENCH_DIR:-target/bench}
mkdir -p "$work"
if [[ -z "$file" ]]; then
  file="$work/ira-like-$rows.csv"
  if [[ ! -f "$file" ]]; then
    echo "writing $rows rows into $file ..." >&2
    python3 - "$rows" "$file" <<'PY'
import random, sys, datetime
rows, path = int(sys.argv[1]), sys.argv[2]
random.seed(7)
t0 = int(datetime.datetime(2012, 2, 2, tzinfo=datetime.timezone.utc).timestamp())
t1 = int(datetime.datetime(2018, 5, 30, tzinfo=datetime.timezone.utc).timestamp())
words = "the campaign leaks documents election news breaking vote people media truth fake left right america russia world freedom police crime".split()
with open(path, "w") as f:
    f.write("external_author_id,author,content,region,language,publish_date,harvested_date,following,followers,updates,post_type,account_type,retweet,account_category,new_june_2018,alt_external_id,tweet_id\n")
    for i in range(rows):
        t = int(t0 + (t1 - t0) * (random.random() ** 0.5))
        d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%m/%d/%Y %H:%M")
        text = " ".join(random.choices(words, k=random.randint(8, 22)))
        if i % 7 == 0:
            text = '"' + text + ', with a comma and ""quotes""' + '"'
        a = random.randrange(2843)
        rt = "RETWEET" if i % 3 == 0 else ""
        f.write(f"{a},ACCOUNT{a},{text} #tag{i % 50} https://t.co/x{i % 1000},United States,English,{d},{d},100,200,{i % 5000},{rt},Right,{int(i % 3 == 0)},RightTroll,0,{a},{10**17 + i}\n")
PY
  fi
fi
bytes=$(stat -c %s "$file")
rm -rf "$work/csv-ingest-out"
/usr/bin/time -v "$bin" -q ingest "$file" --map "$map" -o "$work/csv-ingest-out" 2> "$work/time-csv.txt"
wall=$(grep 'Elapsed (wall clock)' "$work/time-csv.txt" | awk '{print $NF}')
peak_kb=$(grep 'Maximum resident set size' "$work/time-csv.txt" | awk '{print $NF}')
python3 - "$bytes" "$wall" "$peak_kb" "$work/csv-ingest-out/ingest_report.json" "$(nproc)" <<'PY'
import json, sys
size, wall, peak_kb, report, cores = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
secs = 0.0
for part in wall.split(":"):
    secs = secs * 60 + float(part)
posts = json.load(open(report))["posts"]
print("| input | posts | wall s | MB/s | rows/s | peak RSS MB | cores |")
print("|---|---|---|---|---|---|---|")
print(f"| generic CSV {size/1e6:.0f} MB | {posts:,} | {secs:.2f} | {size/1e6/secs:.0f} | {posts/secs:,.0f} | {peak_kb/1024:.0f} | {cores} |")
PY
