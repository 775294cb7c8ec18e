#!/usr/bin/env bash
# Where a node's time goes, repeatably. Two measurements of one release node under a
# stampede-bench scenario:
#   perf      a cpu-clock profile of the node while the scenario runs (node pinned to CPU 0, the
#             load generator to CPU 1): top symbols and the split by library
#   callgrind instructions per delivered message, from two runs of different lengths under
#             valgrind (the difference cancels start-up and connection set-up), a figure that
#             does not move with the machine's noise
# or, with --compare, the scenario's throughput against another build, alternating runs so
# that both see the same machine noise.
# docs/benchmarks.md explains the numbers; scripts/instructions-check.sh compares the callgrind
# figure with the committed thresholds.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    cat <<'EOF'
Usage: scripts/profile.sh [--perf-only | --callgrind-only] [--duration SECONDS] [--out DIR] SCENARIO
       scripts/profile.sh --compare BASELINE_BIN [--rounds N] [--duration SECONDS] SCENARIO

Scenarios:
  fanout   1 publisher -> 100 subscribers on one topic over WebSocket, window 1000
  pairs    100 producers -> 100 consumers on one /queue/ destination over WebSocket, window 100
  fanout-auth, pairs-auth
           the same with authorization rules configured (auth.rules, default-policy deny): the
           per-SEND decision must stay cached (issue 13)

Options:
  --perf-only        skip the callgrind runs
  --callgrind-only   skip the perf profile
  --compare BIN      no profile: run the scenario N times (--rounds, default 3) against BIN and
                     against this build, alternately, each on a fresh node pinned as above, and
                     print deliveries/s and node CPU per run, the medians and their ratio
                     (BIN may be any earlier release build; its options must include --host,
                     --port, --stomp-port and --admin-port)
  --duration S       seconds of load while perf records (default 8)
  --out DIR          where profiles, logs and the summary go (default run/profile)

Environment: STAMPEDE_BIN and BENCH_BIN use prebuilt binaries instead of building;
CALLGRIND_FLAGS adds valgrind options to the callgrind runs (docs/benchmarks.md shows how to
count atomic reference-count operations per delivery with them).
Needs perf (Debian: linux-perf) and valgrind; the script installs neither.
Prints one line per figure; the last line is machine-readable:
  instructions-per-delivery SCENARIO N
EOF
}

MODE=both
DURATION=8
BASELINE=
ROUNDS=3
OUT=run/profile
SCENARIO=
while [ $# -gt 0 ]; do
    case $1 in
        --perf-only) MODE=perf ;;
        --callgrind-only) MODE=callgrind ;;
        --compare) MODE=compare; BASELINE=$2; shift ;;
        --rounds) ROUNDS=$2; shift ;;
        --duration) DURATION=$2; shift ;;
        --out) OUT=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        fanout | pairs | fanout-auth | pairs-auth) SCENARIO=$1 ;;
        *) usage >&2; exit 2 ;;
    esac
    shift
done
[ -n "$SCENARIO" ] || { usage >&2; exit 2; }

say() { printf 'profile: %s\n' "$*" >&2; }
die() { printf 'profile: %s\n' "$*" >&2; exit 1; }

mkdir -p "$OUT"
STAMPEDE=${STAMPEDE_BIN:-.build/release/stampede}
BENCH=${BENCH_BIN:-.build/release/stampede-bench}
if [ -z "${STAMPEDE_BIN:-}" ] || [ -z "${BENCH_BIN:-}" ]; then
    say "building release binaries"
    swift build -c release --product stampede >&2
    swift build -c release --product stampede-bench >&2
fi
[ -x "$STAMPEDE" ] && [ -x "$BENCH" ] || die "missing $STAMPEDE or $BENCH"
[ "$MODE" != compare ] || [ -x "$BASELINE" ] || die "missing baseline binary $BASELINE"

NODE_PID=
cleanup() { [ -n "$NODE_PID" ] && kill -KILL "$NODE_PID" 2>/dev/null; true; }
trap cleanup EXIT

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
    local port
    for _ in $(seq 200); do
        port=$((20000 + RANDOM % 10000))  # under the ephemeral range (32768+), where client sockets could hold it
        port_open "$port" || { echo "$port"; return 0; }
    done
    die "no free port found"
}
wait_port() {
    local waited=0
    until port_open "$1"; do
        kill -0 "$NODE_PID" 2>/dev/null || die "node exited (see $OUT/node.log)"
        [ "$waited" -lt 600 ] || die "node did not open port $1"
        sleep 0.1
        waited=$((waited + 1))
    done
}

# The -auth scenarios: rules that every SEND and SUBSCRIBE of the load is checked against.
NODE_ARGS=()
case $SCENARIO in
    *-auth)
        cat >"$OUT/auth.yml" <<'YAML'
auth:
  rules:
    - "deny send /topic/secret.# anyone"
    - "deny send /queue/secret.# anyone"
    - "allow subscribe|send /topic/bench.# anyone"
    - "allow subscribe|send /queue/bench.# anyone"
  default-policy: deny
YAML
        NODE_ARGS=(--config "$OUT/auth.yml") ;;
esac

# Starts the node (optionally under a wrapper such as valgrind) on CPU 0.
start_node() {
    PORT=$(free_port)
    local node=${STAMPEDE_RUN:-$STAMPEDE} extra=()
    # Builds from before the HTTP API (issue 7) have no --api-port.
    if "$node" --help 2>/dev/null | grep -q -- --api-port; then extra=(--api-port off); fi
    taskset -c 0 "$@" "$node" ${NODE_ARGS[@]+"${NODE_ARGS[@]}"} --host 127.0.0.1 --port "$PORT" --stomp-port off --admin-port off ${extra[@]+"${extra[@]}"} \
        --max-connections 25000 --log-level warning </dev/null >"$OUT/node.log" 2>&1 &
    NODE_PID=$!
    wait_port "$PORT"
}

stop_node() {
    kill -TERM "$NODE_PID" 2>/dev/null || true
    wait "$NODE_PID" 2>/dev/null || true
    NODE_PID=
}

# The scenario's stampede-bench arguments; $1 = messages to send (0: as many as the duration allows).
scenario_args() {
    local limit=()
    [ "$1" -gt 0 ] && limit=(--max-messages "$1")
    case $SCENARIO in
        fanout | fanout-auth) echo fanout --subscribers 100 --window 1000 ${limit[@]+"${limit[@]}"} ;;
        pairs | pairs-auth) echo queue --producers 100 --consumers 100 --window 100 ${limit[@]+"${limit[@]}"} ;;
    esac
}

run_bench() { # $1 = messages, $2 = duration, $3 = report file
    # shellcheck disable=SC2046
    taskset -c 1 "$BENCH" $(scenario_args "$1") --port "$PORT" --duration "$2" --drain-timeout 30 \
        --setup-timeout 120 --node-pid "$NODE_PID" --json >"$3"
}

# Swift symbols readable when the toolchain's demangler is there.
demangle() { if command -v swift-demangle >/dev/null; then swift-demangle --simplified; else cat; fi; }

json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

if [ "$MODE" = compare ]; then
    declare -a RATES_BASE RATES_NEW
    for round in $(seq "$ROUNDS"); do
        for which in baseline this; do
            if [ "$which" = baseline ]; then STAMPEDE_RUN=$BASELINE; else STAMPEDE_RUN=$STAMPEDE; fi
            start_node
            run_bench 0 "$DURATION" "$OUT/compare-$which-$round.json"
            stop_node
            rate=$(json_field "$OUT/compare-$which-$round.json" delivery_rate)
            echo "== round $round $which: deliveries/s $rate, node CPU $(json_field "$OUT/compare-$which-$round.json" node_cpu_percent) %," \
                "bench CPU $(json_field "$OUT/compare-$which-$round.json" bench_cpu_percent) %"
            if [ "$which" = baseline ]; then RATES_BASE+=("$rate"); else RATES_NEW+=("$rate"); fi
        done
    done
    unset STAMPEDE_RUN
    python3 - "${RATES_BASE[*]}" "${RATES_NEW[*]}" <<'PY'
import statistics, sys
base = [float(x) for x in sys.argv[1].split()]
new = [float(x) for x in sys.argv[2].split()]
b, n = statistics.median(base), statistics.median(new)
print(f"== median deliveries/s: baseline {b:,.0f}, this build {n:,.0f}, ratio {n / b:.2f}")
PY
    exit 0
fi

if [ "$MODE" != callgrind ]; then
    command -v perf >/dev/null || die "perf is not installed (apt-get install linux-perf)"
    say "perf: $SCENARIO for $DURATION s"
    start_node
    run_bench 0 "$DURATION" "$OUT/perf-bench.json" &
    BENCH_PID=$!
    sleep 3 # connect and subscribe first: the profile is of the steady state
    perf record -q -e cpu-clock -g -p "$NODE_PID" -o "$OUT/perf.data" -- sleep $((DURATION - 3 > 1 ? DURATION - 3 : 1)) \
        >/dev/null 2>&1
    wait "$BENCH_PID" || die "stampede-bench failed"
    stop_node
    echo "== $SCENARIO: deliveries/s $(json_field "$OUT/perf-bench.json" delivery_rate)," \
        "node CPU $(json_field "$OUT/perf-bench.json" node_cpu_percent) %"
    echo "== share of node time by library (perf cpu-clock, self time)"
    perf report -i "$OUT/perf.data" --no-children -g none --sort dso --stdio 2>/dev/null |
        grep -E '^ +[0-9]' | head -12
    echo "== top symbols (self time)"
    perf report -i "$OUT/perf.data" --no-children -g none --sort dso,sym --stdio 2>/dev/null |
        grep -E '^ +[0-9]' | head -30 | demangle | cut -c1-160
fi

if [ "$MODE" != perf ]; then
    command -v valgrind >/dev/null || die "valgrind is not installed (apt-get install valgrind)"
    # Two lengths; the difference is the cost of the extra messages alone.
    SHORT=200
    LONG=1200
    declare -A TOTAL DELIVERED
    # valgrind 3.19 cannot read the toolchain's DWARF 5; the symbol table is all callgrind needs.
    STRIPPED="$OUT/stampede.nodebug"
    objcopy --strip-debug "$STAMPEDE" "$STRIPPED"
    for messages in $SHORT $LONG; do
        say "callgrind: $SCENARIO, $messages messages"
        STAMPEDE_RUN=$STRIPPED start_node valgrind --tool=callgrind ${CALLGRIND_FLAGS:-} --callgrind-out-file="$OUT/callgrind.$messages.out"
        run_bench "$messages" 600 "$OUT/callgrind-bench.$messages.json"
        stop_node
        TOTAL[$messages]=$(awk '/^(summary|totals):/ { print $2; exit }' "$OUT/callgrind.$messages.out")
        DELIVERED[$messages]=$(json_field "$OUT/callgrind-bench.$messages.json" delivered)
        lost=$(json_field "$OUT/callgrind-bench.$messages.json" lost)
        [ "$lost" = 0 ] || die "$lost deliveries lost under valgrind: the figure would be wrong"
    done
    PER=$(( (TOTAL[$LONG] - TOTAL[$SHORT]) / (DELIVERED[$LONG] - DELIVERED[$SHORT]) ))
    echo "== callgrind: ${TOTAL[$SHORT]} instructions for ${DELIVERED[$SHORT]} deliveries," \
        "${TOTAL[$LONG]} for ${DELIVERED[$LONG]}"
    echo "instructions-per-delivery $SCENARIO $PER"
fi
