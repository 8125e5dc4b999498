#!/usr/bin/env bash
# Scaling benchmark of `tagscope run`: simulated campaigns of 100k, 1M and 3M posts (10M with
# --10m), each run once with GNU time; prints a Markdown table with wall time, peak RSS,
# bytes of peak RSS per kept post and every stage's time, resident memory at its end, its
# own peak (sampled every 20 ms) and the process's peak so far (manifest.json), plus
# coordination's candidate and significant edges and the sizes of the coordination and
# Gephi files.
#
#   scripts/bench-scale.sh                  # 100k, 1M, 3M
#   scripts/bench-scale.sh --10m            # also 10M (32.7 GB of JSONL, ~20 GB peak before
#                                           # issue 15: check the 3M row first)
#   scripts/bench-scale.sh 200000 500000    # other sizes
#   BIN=path/to/tagscope BENCH_DIR=/big/disk KEEP=1 scripts/bench-scale.sh
#
# Datasets are simulated with --seed 5 and --no-gzip into $BENCH_DIR/sim-N and deleted
# after their run unless KEEP=1 (1M is 4.8 GB with its v2 copy, 3M about 15 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=()
for arg in "$@"; do
  case "$arg" in
    --10m) sizes+=(100000 1000000 3000000 10000000) ;;
    *) sizes+=("$arg") ;;
  esac
done
[[ ${#sizes[@]} -eq 0 ]] && sizes=(100000 1000000 3000000)
if [[ -z "${BIN:-}" ]]; then
  cargo build --release --quiet
  BIN=target/release/tagscope
fi
work=${BENCH_DIR:-target/bench-scale}
mkdir -p "$work"
rows="$work/rows.jsonl"
: > "$rows"
for n in "${sizes[@]}"; do
  sim="$work/sim-$n"
  out="$work/run-$n"
  if [[ ! -f "$sim/twitter_v1/tweets.jsonl" ]]; then
    echo "simulating $n posts into $sim ..." >&2
    "$BIN" -q simulate -o "$sim" --seed 5 --posts "$n" --no-gzip
  fi
  echo "run on $n posts ..." >&2
  rm -rf "$out"
  /usr/bin/time -v "$BIN" -q run "$sim/twitter_v1" "$sim/4chan" --tag MacronLeaks -o "$out" \
    2> "$work/time-$n.txt"
  python3 - "$n" "$sim" "$out" "$work/time-$n.txt" >> "$rows" <<'PY'
import json, os, sys
n, sim, out, timefile = sys.argv[1:]
t = open(timefile).read().splitlines()
def field(name):
    return next(l.split(': ', 1)[1] for l in t if name in l)
wall = 0.0
for part in field('Elapsed (wall clock)').split(':'):
    wall = wall * 60 + float(part)
peak_kb = int(field('Maximum resident set size'))
manifest = json.load(open(f'{out}/manifest.json'))
summary = json.load(open(f'{out}/summary.json'))
sweeps = summary['coordination']['details']['sweeps']
size = lambda p: os.path.getsize(f'{out}/{p}') if os.path.exists(f'{out}/{p}') else 0
print(json.dumps({
    'posts_simulated': int(n),
    'posts': summary['dataset']['posts'],
    'accounts': summary['dataset'].get('accounts'),
    'input_bytes': os.path.getsize(f'{sim}/twitter_v1/tweets.jsonl'),
    'wall_s': wall,
    'peak_rss_mb': peak_kb / 1024,
    'stages': manifest['timings'],
    'candidate_edges': sum(s['edges'] for s in sweeps),
    'candidate_pairs': sum(s['candidate_pairs'] for s in sweeps),
    'significant_edges': sum(s['significant_edges'] for s in sweeps),
    'bytes': {p: size(p) for p in ['coordination/edges.parquet', 'coordination/edges.csv',
                                   'graph/retweets.graphml', 'graph/retweets.gexf',
                                   'graph/edges.csv', 'graph/nodes.csv']},
}))
PY
  [[ "${KEEP:-0}" == 1 ]] || rm -rf "$sim"
done
python3 - "$rows" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
stages = [s['stage'] for s in rows[0]['stages']]
mb = lambda b: f"{b / 1e6:,.0f}"
print('| posts kept | accounts | input GB | wall s | peak RSS MB | bytes/post | '
      + ' | '.join(f'{s} s (RSS at end / stage peak / peak so far, MB)' for s in stages) + ' |')
print('|' + '---|' * (6 + len(stages)))
for r in rows:
    cells = []
    for s in r['stages']:
        cell = f"{s['seconds']:.1f}"
        if 'rss_mb' in s:
            stage_peak = s.get('stage_peak_rss_mb')
            stage_peak = f"{stage_peak:,.0f}" if stage_peak is not None else '–'
            cell += f" ({s['rss_mb']:,.0f} / {stage_peak} / {s['peak_rss_mb']:,.0f})"
        cells.append(cell)
    print(f"| {r['posts']:,} | {r['accounts'] or 0:,} | {r['input_bytes'] / 1e9:.2f} | {r['wall_s']:.1f} "
          f"| {r['peak_rss_mb']:,.0f} | {r['peak_rss_mb'] * 1048576 / r['posts']:,.0f} | "
          + ' | '.join(cells) + ' |')
print()
print('| posts kept | candidate pairs | candidate edges | significant | edges.parquet MB | edges.csv MB | '
      'retweets.graphml MB | retweets.gexf MB | graph/edges.csv MB | graph/nodes.csv MB |')
print('|---|---|---|---|---|---|---|---|---|---|')
for r in rows:
    b = r['bytes']
    print(f"| {r['posts']:,} | {r['candidate_pairs']:,} | {r['candidate_edges']:,} | {r['significant_edges']:,} | "
          + ' | '.join(mb(b[p]) for p in ['coordination/edges.parquet', 'coordination/edges.csv',
                                          'graph/retweets.graphml', 'graph/retweets.gexf',
                                          'graph/edges.csv', 'graph/nodes.csv']) + ' |')
PY
