#!/usr/bin/env bash
# Benchmarks a Stampede node on this machine with stampede-bench and prints the results side by
# side. Everything runs on 127.0.0.1; every process this script starts is stopped by its PID.
# docs/benchmarks.md explains the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    cat <<'EOF'
Usage: scripts/bench.sh [--cluster] [--rabbitmq] [--tls] [--deflate] [--json] [--duration SECONDS] [--subscribers N]
                        [--idle-connections N] [--low-rate MSGS] [--rate MSGS] [--out DIR]

Builds the release binaries, starts a fresh stampede node on free loopback ports and runs:
  idle     N idle connections (ws, then tcp, each on a fresh node): node RSS per connection
  fanout   1 publisher -> S subscribers on one topic, ws and tcp: as fast as a window of 100
           messages in flight allows, then at a low and a high fixed publish rate:
           deliveries/s, end-to-end latency, lost and duplicated deliveries
  queue    4 producers -> 4 consumers on one queue, ws and tcp: messages/s, latency
  app      /app round trips: 4 clients -> node -> 2 STOMP services -> reply to the sending
           session, tcp and ws, as fast as a window of 100 allows, then at --app-rate
With --tls also: idle and fan-out over wss:// and STOMP over TLS (a throwaway self-signed
certificate made with openssl in the output directory; the node terminates TLS itself).
With --deflate also: ws fan-out of 1 KiB messages (--deflate-bytes) to a node with
permessage-deflate enabled, once with clients that offer it and once without, to compare.
With --json also: idle memory and fan-out (max and high rate) for plain-JSON WebSocket clients
(protocol=json, receivers joining one room; the publisher speaks STOMP), next to the ws figures.
With --cluster also: redis-server + 2 nodes, publisher on node 1, subscribers on node 2.
With --rabbitmq also: the same ws fan-out against RabbitMQ Web-STOMP, if rabbitmq-server is
installed (apt-get install rabbitmq-server): max and low rate; it is started on loopback
with its own epmd and data directory, and stopped afterwards.

Options:
  --duration S          seconds of publishing per run (default 6)
  --subscribers N       fan-out subscribers (default 1000)
  --idle-connections N  idle connections (default 10000)
  --low-rate R          messages/s of the low fixed-rate fan-out runs (default 10)
  --rate R              messages/s of the high fixed-rate fan-out runs (default 200)
  --app-rate R          round trips/s of the fixed-rate /app runs (default 25000: half the target)
  --deflate-bytes N     message size of the --deflate runs (default 1024)
  --out DIR             where logs and JSON results go (default run/bench)

Environment: STAMPEDE_BIN and BENCH_BIN use prebuilt binaries instead of building.
With the defaults it takes about 2 minutes on 2 cores, about 3.5 with --cluster --rabbitmq.
EOF
}

DURATION=6
SUBSCRIBERS=1000
IDLE_CONNECTIONS=10000
LOW_RATE=10
RATE=200
APP_RATE=25000
OUT=run/bench
CLUSTER=0
TLS=0
DEFLATE=0
DEFLATE_BYTES=1024
RABBITMQ=0
JSON=0
while [ $# -gt 0 ]; do
    case $1 in
        --cluster) CLUSTER=1 ;;
        --tls) TLS=1 ;;
        --deflate) DEFLATE=1 ;;
        --deflate-bytes) DEFLATE_BYTES=$2; shift ;;
        --rabbitmq) RABBITMQ=1 ;;
        --json) JSON=1 ;;
        --duration) DURATION=$2; shift ;;
        --subscribers) SUBSCRIBERS=$2; shift ;;
        --idle-connections) IDLE_CONNECTIONS=$2; shift ;;
        --rate) RATE=$2; shift ;;
        --low-rate) LOW_RATE=$2; shift ;;
        --app-rate) APP_RATE=$2; shift ;;
        --out) OUT=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
    shift
done

say() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

mkdir -p "$OUT"
rm -f "$OUT"/*.json

# --- Processes we started: stopped by PID on any exit ----------------------------------------

STARTED=()   # "name:pid"
LAST_PID=

# Starts NAME in the background (output to $OUT/NAME.log); its PID goes to LAST_PID. Not to be
# called inside $(...): the PID list must be this shell's.
start_process() {
    local name=$1
    shift
    "$@" </dev/null >"$OUT/$name.log" 2>&1 &
    LAST_PID=$!
    STARTED+=("$name:$LAST_PID")
}

alive() { kill -0 "$1" 2>/dev/null; }

stop_process() {
    local pid=$1 waited=0
    alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    while alive "$pid" && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
}

stop_all() {
    local index entry
    for ((index = ${#STARTED[@]} - 1; index >= 0; index--)); do
        entry=${STARTED[$index]}
        stop_process "${entry#*:}"
    done
    STARTED=()
}

stop_named() {
    local name=$1 entry kept=()
    for entry in ${STARTED[@]+"${STARTED[@]}"}; do
        if [ "${entry%%:*}" = "$name" ]; then stop_process "${entry#*:}"; else kept+=("$entry"); fi
    done
    STARTED=(${kept[@]+"${kept[@]}"})
}

trap 'stop_all' EXIT
trap 'exit 130' INT TERM

# --- Ports ---------------------------------------------------------------------------------

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A port in 20000-29999 that nothing listens on (and that we have not handed out yet).
USED_PORTS=" "
free_port() {
    local port tries=0
    while [ "$tries" -lt 200 ]; do
        port=$((20000 + RANDOM % 10000))
        tries=$((tries + 1))
        [[ $USED_PORTS == *" $port "* ]] && continue
        port_open "$port" && continue
        USED_PORTS+="$port "
        echo "$port"
        return 0
    done
    die "no free port found"
}

# Waits until NAME (PID) listens on PORT, at most SECONDS (default 20).
wait_port() {
    local port=$1 pid=$2 name=$3 limit=$((${4:-20} * 10)) waited=0
    until port_open "$port"; do
        alive "$pid" || { tail -n 20 "$OUT/$name.log" >&2; die "$name exited before opening port $port"; }
        [ "$waited" -lt "$limit" ] || die "$name did not open port $port within $((limit / 10)) s"
        sleep 0.1
        waited=$((waited + 1))
    done
}

# --- Build -----------------------------------------------------------------------------------

scripts/setup.sh
command -v python3 >/dev/null || die "python3 is needed to print the results table"
STAMPEDE=${STAMPEDE_BIN:-.build/release/stampede}
BENCH=${BENCH_BIN:-.build/release/stampede-bench}
if [ -z "${STAMPEDE_BIN:-}" ] || [ -z "${BENCH_BIN:-}" ]; then
    say "building release binaries"
    swift build -c release --product stampede
    swift build -c release --product stampede-bench
fi
[ -x "$STAMPEDE" ] && [ -x "$BENCH" ] || die "missing $STAMPEDE or $BENCH"

# --- Nodes -----------------------------------------------------------------------------------

NODE_PID= NODE_WS= NODE_TCP=
# Starts a fresh single node (stopping the previous one); arguments go to stampede.
fresh_node() {
    stop_named node
    NODE_WS=$(free_port)
    NODE_TCP=$(free_port)
    start_process node "$STAMPEDE" --host 127.0.0.1 --port "$NODE_WS" --stomp-port "$NODE_TCP" \
        --admin-port off --api-port off --max-connections 25000 --log-level warning "$@"
    NODE_PID=$LAST_PID
    wait_port "$NODE_WS" "$NODE_PID" node
    wait_port "$NODE_TCP" "$NODE_PID" node
}

# Runs stampede-bench; the JSON report goes to $OUT/NAME.json, progress to the terminal.
bench() {
    local name=$1
    shift
    say "run $name: stampede-bench $*"
    if ! "$BENCH" "$@" --json >"$OUT/$name.json"; then
        say "run $name failed (see above)"
        rm -f "$OUT/$name.json"
    fi
}

port_for() { if [ "$1" = ws ]; then echo "$NODE_WS"; else echo "$NODE_TCP"; fi; }

# A run ends as soon as every message has arrived; the drain timeout only bounds a slow broker.
MESSAGE_ARGS=(--duration "$DURATION" --drain-timeout 10)

# Other work on the machine changes every number here: the load is printed with the results.
cut -d' ' -f1-3 /proc/loadavg >"$OUT/load-start"

for transport in ws tcp; do
    fresh_node
    bench "idle-$transport" idle --transport "$transport" --port "$(port_for "$transport")" \
        --connections "$IDLE_CONNECTIONS" --node-pid "$NODE_PID"
done

fresh_node
for transport in ws tcp; do
    bench "fanout-max-$transport" fanout --transport "$transport" --port "$(port_for "$transport")" \
        --subscribers "$SUBSCRIBERS" --window 100 --node-pid "$NODE_PID" "${MESSAGE_ARGS[@]}"
done
for transport in ws tcp; do
    bench "fanout-low-$transport" fanout --transport "$transport" --port "$(port_for "$transport")" \
        --subscribers "$SUBSCRIBERS" --rate "$LOW_RATE" --node-pid "$NODE_PID" "${MESSAGE_ARGS[@]}"
    bench "fanout-high-$transport" fanout --transport "$transport" --port "$(port_for "$transport")" \
        --subscribers "$SUBSCRIBERS" --rate "$RATE" --node-pid "$NODE_PID" "${MESSAGE_ARGS[@]}"
done
if [ "$TLS" = 1 ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost \
        -keyout "$OUT/tls-key.pem" -out "$OUT/tls-cert.pem" 2>/dev/null
    TLS_NODE=(--set listen.websocket-tls=true --set listen.stomp-tls=true
              --set tls.cert-file="$OUT/tls-cert.pem" --set tls.key-file="$OUT/tls-key.pem")
    for transport in ws tcp; do
        fresh_node "${TLS_NODE[@]}"
        bench "idle-tls-$transport" idle --tls --transport "$transport" --port "$(port_for "$transport")" \
            --connections "$IDLE_CONNECTIONS" --node-pid "$NODE_PID"
    done
    fresh_node "${TLS_NODE[@]}"
    for transport in ws tcp; do
        bench "fanout-max-tls-$transport" fanout --tls --transport "$transport" --port "$(port_for "$transport")" \
            --subscribers "$SUBSCRIBERS" --window 100 --node-pid "$NODE_PID" "${MESSAGE_ARGS[@]}"
        bench "fanout-high-tls-$transport" fanout --tls --transport "$transport" --port "$(port_for "$transport")" \
            --subscribers "$SUBSCRIBERS" --rate "$RATE" --node-pid "$NODE_PID" "${MESSAGE_ARGS[@]}"
    done
    fresh_node
fi
if [ "$DEFLATE" = 1 ]; then
    # Same node and message size both times: only whether the clients negotiate compression differs.
    fresh_node --set websocket.permessage-deflate.enabled=true
    bench "fanout-max-plain-${DEFLATE_BYTES}B-ws" fanout --transport ws --port "$(port_for ws)" \
        --subscribers "$SUBSCRIBERS" --window 100 --message-bytes "$DEFLATE_BYTES" --node-pid "$NODE_PID" "${MESSAGE_ARGS[@]}"
    bench "fanout-max-deflate-${DEFLATE_BYTES}B-ws" fanout --deflate --transport ws --port "$(port_for ws)" \
        --subscribers "$SUBSCRIBERS" --window 100 --message-bytes "$DEFLATE_BYTES" --node-pid "$NODE_PID" "${MESSAGE_ARGS[@]}"
    fresh_node
fi
if [ "$JSON" = 1 ]; then
    # STOMP and the plain JSON protocol on one node; JSON clients name themselves (user_id).
    JSON_NODE=(--set "listen.endpoints=websocket:path=/ws,stomp:kind=stomp,json:path=/api/ws/connect protocol=json user-id-param=on auth=anonymous|self-named")
    fresh_node "${JSON_NODE[@]}"
    bench idle-json idle --transport json --port "$NODE_WS" --connections "$IDLE_CONNECTIONS" --node-pid "$NODE_PID"
    fresh_node "${JSON_NODE[@]}"
    bench fanout-max-json fanout --transport json --port "$NODE_WS" \
        --subscribers "$SUBSCRIBERS" --window 100 --node-pid "$NODE_PID" "${MESSAGE_ARGS[@]}"
    bench fanout-high-json fanout --transport json --port "$NODE_WS" \
        --subscribers "$SUBSCRIBERS" --rate "$RATE" --node-pid "$NODE_PID" "${MESSAGE_ARGS[@]}"
    fresh_node
fi
for transport in ws tcp; do
    bench "queue-$transport" queue --transport "$transport" --port "$(port_for "$transport")" \
        --producers 4 --consumers 4 --window 100 --node-pid "$NODE_PID" "${MESSAGE_ARGS[@]}"
done

# /app round trips: the login svc has the service role.
fresh_node --set applications.service-users=svc
for transport in tcp ws; do
    bench "app-max-$transport" app --transport "$transport" --port "$(port_for "$transport")" \
        --clients 4 --services 2 --window 100 --node-pid "$NODE_PID" "${MESSAGE_ARGS[@]}"
    bench "app-rate-$transport" app --transport "$transport" --port "$(port_for "$transport")" \
        --clients 4 --services 2 --rate "$APP_RATE" --node-pid "$NODE_PID" "${MESSAGE_ARGS[@]}"
done
stop_named node

if [ "$CLUSTER" = 1 ]; then
    REDIS_PORT=$(free_port)
    start_process redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize no
    REDIS_PID=$LAST_PID
    wait_port "$REDIS_PORT" "$REDIS_PID" redis
    declare -a CLUSTER_WS CLUSTER_PID
    for index in 1 2; do
        CLUSTER_WS[$index]=$(free_port)
        start_process "node$index" "$STAMPEDE" --host 127.0.0.1 --port "${CLUSTER_WS[$index]}" \
            --stomp-port off --admin-port off --api-port off --redis "redis://127.0.0.1:$REDIS_PORT" --node-id "bench-node$index" \
            --max-connections 25000 --log-level warning
        CLUSTER_PID[$index]=$LAST_PID
    done
    for index in 1 2; do wait_port "${CLUSTER_WS[$index]}" "${CLUSTER_PID[$index]}" "node$index"; done
    # Subscribers on node 2, the publisher on node 1: every message crosses Redis.
    bench cluster-fanout-max-ws fanout --port "${CLUSTER_WS[2]}" --publish-port "${CLUSTER_WS[1]}" \
        --subscribers "$SUBSCRIBERS" --window 100 --warmup-ms 1000 --node-pid "${CLUSTER_PID[2]}" "${MESSAGE_ARGS[@]}"
    bench cluster-fanout-low-ws fanout --port "${CLUSTER_WS[2]}" --publish-port "${CLUSTER_WS[1]}" \
        --subscribers "$SUBSCRIBERS" --rate "$LOW_RATE" --warmup-ms 1000 --node-pid "${CLUSTER_PID[2]}" "${MESSAGE_ARGS[@]}"
    bench cluster-fanout-high-ws fanout --port "${CLUSTER_WS[2]}" --publish-port "${CLUSTER_WS[1]}" \
        --subscribers "$SUBSCRIBERS" --rate "$RATE" --warmup-ms 1000 --node-pid "${CLUSTER_PID[2]}" "${MESSAGE_ARGS[@]}"
    stop_named node2
    stop_named node1
    stop_named redis
fi

if [ "$RABBITMQ" = 1 ]; then
    RABBIT_SERVER=/usr/lib/rabbitmq/bin/rabbitmq-server
    if [ ! -x "$RABBIT_SERVER" ] || ! command -v epmd >/dev/null; then
        say "RabbitMQ is not installed (apt-get install rabbitmq-server); skipping it"
    else
        # A private broker: its own epmd, data directory and ports, all bound to 127.0.0.1.
        RABBIT_DIR=$(mktemp -d /tmp/stampede-bench-rabbitmq.XXXXXX)
        RABBIT_WS=$(free_port)
        EPMD_PORT=$(free_port)
        {
            echo "listeners.tcp.1 = 127.0.0.1:$(free_port)"
            echo "stomp.listeners.tcp.1 = 127.0.0.1:$(free_port)"
            echo "web_stomp.tcp.ip = 127.0.0.1"
            echo "web_stomp.tcp.port = $RABBIT_WS"
        } >"$RABBIT_DIR/rabbitmq.conf"
        echo "[rabbitmq_stomp,rabbitmq_web_stomp]." >"$RABBIT_DIR/enabled_plugins"
        start_process epmd epmd -address 127.0.0.1 -port "$EPMD_PORT"
        start_process rabbitmq env HOME="$RABBIT_DIR" ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$EPMD_PORT" \
            RABBITMQ_CONFIG_FILE="$RABBIT_DIR/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$RABBIT_DIR/enabled_plugins" \
            RABBITMQ_MNESIA_BASE="$RABBIT_DIR/mnesia" RABBITMQ_LOG_BASE="$RABBIT_DIR/log" \
            RABBITMQ_NODENAME=stampede-bench@localhost RABBITMQ_DIST_PORT="$(free_port)" \
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" "$RABBIT_SERVER"
        RABBIT_PID=$LAST_PID
        wait_port "$RABBIT_WS" "$RABBIT_PID" rabbitmq 90
        # The script runs the Erlang VM as its child; the VM is the process to measure.
        BEAM_PID=$(pgrep -n -P "$RABBIT_PID" beam.smp || true)
        # guest/guest is RabbitMQ's default user, allowed from loopback only.
        RABBIT_ARGS=(--port "$RABBIT_WS" --login guest --passcode guest --subscribers "$SUBSCRIBERS")
        [ -n "$BEAM_PID" ] && RABBIT_ARGS+=(--node-pid "$BEAM_PID")
        bench rabbitmq-fanout-max-ws fanout "${RABBIT_ARGS[@]}" --window 100 "${MESSAGE_ARGS[@]}"
        bench rabbitmq-fanout-low-ws fanout "${RABBIT_ARGS[@]}" --rate "$LOW_RATE" "${MESSAGE_ARGS[@]}"
        stop_named rabbitmq
        stop_named epmd
        rm -rf "$RABBIT_DIR"
    fi
fi

stop_all
cut -d' ' -f1-3 /proc/loadavg >"$OUT/load-end"

# --- Results ---------------------------------------------------------------------------------

python3 - "$OUT" <<'PY'
import json, os, sys

out = sys.argv[1]
def load(name):
    path = os.path.join(out, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else None

def fmt(value, decimals=0):
    if value is None: return "n/a"
    if isinstance(value, bool): return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return f"{value:,.{decimals}f}" if decimals else f"{value:,.0f}"
    return str(value)

def table(title, runs, rows):
    runs = [(label, load(name)) for label, name in runs]
    runs = [(label, data) for label, data in runs if data]
    if not runs: return
    print(f"\n{title}")
    width = max(len(label) for label, _ in rows)
    cols = [max(12, len(label)) for label, _ in runs]
    print(" " * width + "  " + "  ".join(label.rjust(c) for (label, _), c in zip(runs, cols)))
    for label, (key, decimals) in rows:
        cells = [fmt(data.get(key), decimals).rjust(c) for (_, data), c in zip(runs, cols)]
        print(label.ljust(width) + "  " + "  ".join(cells))

latency = [("latency p50 (ms)", ("latency_p50_ms", 2)), ("latency p90 (ms)", ("latency_p90_ms", 2)),
           ("latency p99 (ms)", ("latency_p99_ms", 2)), ("latency p99.9 (ms)", ("latency_p999_ms", 2)),
           ("latency max (ms)", ("latency_max_ms", 2))]
messaging = [("subscribers/consumers", ("receivers", 0)), ("messages sent", ("sent", 0)),
             ("send rate (msg/s)", ("send_rate", 0)), ("deliveries/s", ("delivery_rate", 0))] + latency + [
             ("lost", ("lost", 0)), ("duplicated", ("duplicates", 0)), ("dropped connections", ("connections_dropped", 0)),
             ("broker CPU (%)", ("node_cpu_percent", 0)), ("bench CPU (%)", ("bench_cpu_percent", 0))]

table("Idle connections (fresh node each)", [("ws", "idle-ws"), ("tcp", "idle-tcp"), ("wss", "idle-tls-ws"), ("tcp+tls", "idle-tls-tcp"), ("json", "idle-json")], [
    ("connections subscribed", ("subscribed", 0)), ("connect+subscribe (conn/s)", ("connect_rate", 0)),
    ("node RSS before (bytes)", ("node_rss_before_bytes", 0)), ("node RSS after (bytes)", ("node_rss_after_bytes", 0)),
    ("node RSS per connection (bytes)", ("node_rss_per_connection_bytes", 0))])
table("Fan-out, as fast as a window of 100 messages allows", [
    ("ws", "fanout-max-ws"), ("tcp", "fanout-max-tcp"), ("wss", "fanout-max-tls-ws"), ("tcp+tls", "fanout-max-tls-tcp"),
    ("json", "fanout-max-json"), ("cluster ws", "cluster-fanout-max-ws"), ("RabbitMQ ws", "rabbitmq-fanout-max-ws")], messaging)
table("Fan-out at a low fixed rate (latency without queueing)", [
    ("ws", "fanout-low-ws"), ("tcp", "fanout-low-tcp"), ("cluster ws", "cluster-fanout-low-ws"),
    ("RabbitMQ ws", "rabbitmq-fanout-low-ws")], [("target rate (msg/s)", ("target_rate", 0))] + messaging)
table("Fan-out at a high fixed rate", [
    ("ws", "fanout-high-ws"), ("tcp", "fanout-high-tcp"), ("wss", "fanout-high-tls-ws"), ("tcp+tls", "fanout-high-tls-tcp"),
    ("json", "fanout-high-json"), ("cluster ws", "cluster-fanout-high-ws")],
    [("target rate (msg/s)", ("target_rate", 0))] + messaging)
table("Queue, 4 producers -> 4 consumers, window 100 per producer", [("ws", "queue-ws"), ("tcp", "queue-tcp")], messaging)
table("/app round trips: 4 clients -> node -> 2 STOMP services -> reply to the sending session", [
    ("tcp max", "app-max-tcp"), ("tcp fixed", "app-rate-tcp"), ("ws max", "app-max-ws"), ("ws fixed", "app-rate-ws")],
    [("target rate (msg/s)", ("target_rate", 0))] + messaging)
def read(name):
    path = os.path.join(out, name)
    return open(path).read().strip() if os.path.exists(path) else "n/a"
print(f"\nLoad average (1, 5, 15 min) at start: {read('load-start')}, at end: {read('load-end')}; CPUs: {os.cpu_count()}")
print(f"JSON reports: {out}/*.json")
PY
