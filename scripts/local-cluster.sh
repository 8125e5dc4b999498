#!/usr/bin/env bash
# A real local Ballista cluster (one scheduler, two executors, separate processes on
# loopback ports) running tagscope's distributed reductions, each compared with the
# single-machine results (issue 18), then `tagscope run --engine` (the co-action pairs
# counted on the cluster), whose every output must equal the single-machine run's. Exit
# status 0 only when every comparison holds on every dataset; the cluster is stopped
# whatever happens.
#
#   scripts/local-cluster.sh                 # demo data and a 100,000-post simulated set
#   POSTS=1000000 scripts/local-cluster.sh   # a larger simulated set
#   PROFILE=release scripts/local-cluster.sh # release binaries (default: debug)
#   KEEP=1 ...                               # keep the work folder
#   SIM=target/bench-scale/sim-1000000 ...   # an existing `tagscope simulate` folder
#   DATA="exports/ more.jsonl.gz" ARGS="--tag MacronLeaks" OUT=out scripts/local-cluster.sh
#                                            # your own data instead: OUT/run (tagscope run),
#                                            # OUT/reduced (the cluster's tables, checked),
#                                            # OUT/run-engine (run --engine, compared)
#
# Environment: S3 (1, the default: also hand the demo's tables over through a local S3
# server, moto's, on PORT+5, installed with pip when missing; 0: not), PORT (scheduler,
# default 50050; executors use PORT+1..PORT+4), POSTS
# (simulated posts, 0 = demo only), SIM (a simulated folder to use instead), DATA (inputs of
# your own, space-separated; then ARGS are extra `tagscope run` options and OUT, default
# `out`, keeps the results), WORK (work folder, default a new temporary one),
# PROFILE (debug or release), CONCURRENT_TASKS (per executor, default 1).
set -euo pipefail

caller=$PWD # DATA and OUT are read from where the script was started
cd "$(dirname "$0")/.."
PORT=${PORT:-50050}
POSTS=${POSTS:-100000}
PROFILE=${PROFILE:-debug}
CONCURRENT_TASKS=${CONCURRENT_TASKS:-1}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/tagscope-cluster.XXXXXX")}
mkdir -p "$WORK"

release_flag=()
[ "$PROFILE" = release ] && release_flag=(--release)
echo "== building tagscope, tagscope-scheduler, tagscope-executor ($PROFILE, --features distributed)"
cargo build --locked --features distributed "${release_flag[@]}" \
    --bin tagscope --bin tagscope-scheduler --bin tagscope-executor
bin="${CARGO_TARGET_DIR:-target}/$PROFILE"

pids=()
cleanup() {
    local status=$?
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 100); do
        local alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "${KEEP:-0}" = 1 ]; then
        echo "work folder kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT INT TERM

# An S3 object store on loopback (moto's server, from PyPI) for `--store s3://...`: the
# tables go to the cluster through it, as on a cluster without a shared file system. Every
# process reads the endpoint and credentials from the standard AWS_* variables.
S3=${S3:-1}
S3_PORT=$((PORT + 5))
if [ "$S3" = 1 ]; then
    if ! python3 -c "import moto.server, boto3" 2> /dev/null; then
        echo "== installing moto[server] (an S3 server for the --store test)"
        python3 -m pip install -q 'moto[server]' || python3 -m pip install -q 'moto[server]'
    fi
    export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 \
        AWS_ENDPOINT="http://127.0.0.1:$S3_PORT" AWS_ALLOW_HTTP=true
fi

echo "== starting the scheduler on 127.0.0.1:$PORT and two executors"
"$bin/tagscope-scheduler" --port "$PORT" --min-ready-executors 2 \
    > "$WORK/scheduler.log" 2>&1 &
pids+=($!)
for n in 1 2; do
    "$bin/tagscope-executor" --port $((PORT + 2 * n - 1)) --grpc-port $((PORT + 2 * n)) \
        --scheduler-port "$PORT" --work-dir "$WORK/executor$n" \
        --concurrent-tasks "$CONCURRENT_TASKS" > "$WORK/executor$n.log" 2>&1 &
    pids+=($!)
done
# GET /readyz (200 once both executors are registered), with bash alone: a fresh machine
# may have no curl.
readyz() {
    local line
    exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
    printf 'GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
    IFS= read -r -t 5 line <&3 || { exec 3<&-; return 1; }
    exec 3<&-
    [[ "$line" == *" 200 "* ]]
}
ready=0
for _ in $(seq 1 120); do
    if readyz 2> /dev/null; then
        ready=1
        break
    fi
    sleep 0.5
done
if [ "$ready" != 1 ]; then
    echo "the cluster did not become ready in 60 s; logs:" >&2
    tail -n 20 "$WORK"/*.log >&2
    exit 1
fi
echo "ready: scheduler and two executors"
if [ "$S3" = 1 ]; then
    python3 -m moto.server -H 127.0.0.1 -p "$S3_PORT" > "$WORK/s3.log" 2>&1 &
    pids+=($!)
    s3() { # s3 PYTHON: runs PYTHON with `client`, a boto3 S3 client of the local server
        python3 -c "import boto3; client = boto3.client('s3', endpoint_url='$AWS_ENDPOINT'); $1"
    }
    for _ in $(seq 1 60); do
        s3 "client.create_bucket(Bucket='tagscope')" 2> /dev/null && break
        sleep 0.5
    done
    echo "ready: S3 server on 127.0.0.1:$S3_PORT, bucket tagscope"
fi

failed=0
# same_as_run NAME RUN_DIR OTHER_DIR WHAT: every output in OTHER_DIR (made by WHAT) equals
# the single-machine run's in RUN_DIR, manifest.json (timings, engine) and reduced/ aside.
same_as_run() {
    if diff -r --exclude=manifest.json --exclude=reduced "$2" "$3"; then
        echo "$1: every output of $4 equals the single-machine run's (manifest.json aside)"
    else
        echo "$1: $4 differs from the single-machine run" >&2
        failed=1
    fi
}

# check NAME RUN_DIR OUT_DIR RUN_ARGS...: `tagscope run` into RUN_DIR, then the
# reductions on the cluster into OUT_DIR/reduced, each compared with the run.
check() {
    local name=$1 run=$2 reduced=$3
    shift 3
    echo "== $name: single-machine run"
    "$bin/tagscope" -q run "$@" --force -o "$run"
    echo "== $name: reductions on the cluster, compared with the run"
    if ! /usr/bin/time -f "$name reduce: %e s wall, client peak %M KB" \
        "$bin/tagscope" reduce "$run" --engine "df://127.0.0.1:$PORT" \
        -o "$reduced" --check; then
        failed=1
    fi
    echo "== $name: run --engine (co-action pairs counted on the cluster), compared with the run"
    if /usr/bin/time -f "$name run --engine: %e s wall, client peak %M KB" \
        "$bin/tagscope" -q run "$@" --force -o "$run-engine" \
        --engine "df://127.0.0.1:$PORT"; then
        same_as_run "$name" "$run" "$run-engine" "run --engine"
    else
        failed=1
    fi
}

# engine_only NAME RUN_DIR RUN_ARGS...: `tagscope run` and `run --engine` with a window cap
# of 2 accounts, so that windows are truncated (the cluster counts them by a windowed min
# over ranks, the sweep by its two pointers): every output must still agree.
engine_only() {
    local name=$1 run=$2
    shift 2
    echo "== $name: run and run --engine with --max-accounts-in-window 2"
    "$bin/tagscope" -q run "$@" --max-accounts-in-window 2 --force -o "$run"
    if ! "$bin/tagscope" -q run "$@" --max-accounts-in-window 2 --force -o "$run-engine" \
        --engine "df://127.0.0.1:$PORT"; then
        failed=1
    elif ! grep -q '"truncated_windows": [1-9]' "$run/summary.json"; then
        echo "$name: no window was truncated: nothing was compared" >&2
        failed=1
    else
        same_as_run "$name" "$run" "$run-engine" "run --engine (truncated windows included)"
    fi
}

# through_store NAME RUN_DIR RUN_ARGS...: `run --engine --store s3://tagscope/NAME` (the
# tables handed over through the S3 server, not the folder) against the single-machine run
# in RUN_DIR; the store must then hold the tables and the reduced tables, not the
# intermediate ones.
through_store() {
    local name=$1 run=$2
    shift 2
    echo "== $name: run --engine --store s3://tagscope/$name, compared with the run"
    if ! "$bin/tagscope" -q run "$@" --force -o "$run-store" \
        --engine "df://127.0.0.1:$PORT" --store "s3://tagscope/$name"; then
        failed=1
    elif ! s3 "
keys = sorted(o['Key'] for o in client.list_objects_v2(Bucket='tagscope', Prefix='$name/')['Contents'])
want = ['$name/reduced/' + t + '.parquet' for t in ['account_activity', 'coaction_pairs', 'graph_edges', 'spread_bins']] + ['$name/tables/accounts.parquet', '$name/tables/posts.parquet']
assert keys == want, keys
print('$name: the store holds', len(keys), 'objects:', ', '.join(k.split('/', 1)[1] for k in keys))"; then
        failed=1
    else
        same_as_run "$name" "$run" "$run-store" "run --engine --store"
    fi
}

if [ -n "${DATA:-}" ]; then
    OUT=${OUT:-out}
    [[ "$OUT" = /* ]] || OUT="$caller/$OUT"
    read -r -a data <<< "$DATA"
    for i in "${!data[@]}"; do
        [[ "${data[$i]}" = /* ]] || data[$i]="$caller/${data[$i]}"
    done
    read -r -a args <<< "${ARGS:-}"
    check data "$OUT/run" "$OUT" "${data[@]}" "${args[@]}"
    echo "results: $OUT/run (single machine), $OUT/reduced (the cluster's tables, check.json)," \
        "$OUT/run-engine (run --engine)"
else
    check demo "$WORK/demo-run" "$WORK/demo-reduced" data/demo --tag MacronLeaks
    engine_only "demo, 2 accounts a window" "$WORK/demo-cap-run" data/demo --tag MacronLeaks
    # The cluster counts one window: two are refused before anything is read or written.
    if "$bin/tagscope" -q run data/demo --window 1 --window 10 -o "$WORK/two-windows" \
        --engine "df://127.0.0.1:$PORT" 2> "$WORK/two-windows.err"; then
        echo "run --engine with two windows did not fail" >&2
        failed=1
    elif ! grep -q "one window" "$WORK/two-windows.err" || [ -e "$WORK/two-windows" ]; then
        cat "$WORK/two-windows.err" >&2
        failed=1
    else
        echo "demo: run --engine with two windows refused: $(cat "$WORK/two-windows.err")"
    fi
    if [ "$S3" = 1 ]; then
        through_store demo "$WORK/demo-run" data/demo --tag MacronLeaks
    fi
fi
if [ -n "${DATA:-}" ]; then
    :
elif [ -n "${SIM:-}" ]; then
    check sim "$WORK/sim-run" "$WORK/sim-reduced" "$SIM/twitter_v1" "$SIM/4chan" \
        --tag MacronLeaks
elif [ "$POSTS" -gt 0 ]; then
    echo "== simulating $POSTS posts"
    "$bin/tagscope" -q simulate -o "$WORK/sim" --seed 5 --posts "$POSTS" --no-gzip
    check "sim-$POSTS" "$WORK/sim-$POSTS-run" "$WORK/sim-$POSTS-reduced" \
        "$WORK/sim/twitter_v1" "$WORK/sim/4chan" --tag MacronLeaks
fi

for n in 1 2; do
    echo "executor $n peak RSS: $(grep VmHWM "/proc/${pids[$n]}/status" 2>/dev/null | awk '{print $2, $3}')"
done
if [ "$failed" = 0 ]; then
    echo "every reduced table equals the single-machine result"
else
    echo "some reduced tables differ from the single-machine result" >&2
    exit 1
fi
