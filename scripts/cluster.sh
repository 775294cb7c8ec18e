#!/usr/bin/env bash
# Runs a local three-node Stampede cluster behind HAProxy, everything on 127.0.0.1:
# one redis-server, three `stampede` nodes and haproxy with deploy/haproxy.cfg.
# Logs and PID files live in run/cluster/. docs/cluster.md describes the setup.
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_DIR=run/cluster
# STAMPEDE_BIN=path skips the build and runs that binary instead (tests and CI use it).
BIN=${STAMPEDE_BIN:-.build/release/stampede}
REDIS_PORT=6390
NODES=(node1 node2 node3)
WS_PORT=15674
STOMP_PORT=61613
STATS_PORT=8404
START_TIMEOUT=20   # seconds one process may take to answer
STOP_TIMEOUT=10    # seconds between SIGTERM and SIGKILL

usage() {
    cat <<'EOF'
Usage: scripts/cluster.sh COMMAND

Runs a local Stampede cluster on 127.0.0.1: redis-server, three nodes and HAProxy.

Commands:
  up [-- OPTIONS]   Install what is missing (scripts/setup.sh), build the release binary, start
                    redis-server, node1..node3 and haproxy, wait until each answers and print the
                    URLs. OPTIONS after `--` are passed to every node (e.g. -- --log-level debug).
                    Refuses to start while a cluster from an earlier `up` is running.
  down              Stop exactly the processes `up` started (SIGTERM, SIGKILL after 10 s).
  status            Show which processes are up, then the cluster as node1 sees it.
                    Exits 0 only when everything is up.
  logs [NAME]       Follow the logs (NAME: redis, node1, node2, node3 or haproxy; default all).

Ports:
  ws://127.0.0.1:15674/ws        WebSocket through HAProxy (nodes: 15681-15683)
  127.0.0.1:61613                raw STOMP through HAProxy (nodes: 61621-61623)
  http://127.0.0.1:15691-15693   node admin endpoints (/healthz, /readyz, /admin/cluster)
  http://127.0.0.1:15701-15703   node server HTTP APIs (/api/publish, /api/send, /api/status, ...)
  http://127.0.0.1:8404/stats    HAProxy status page
  127.0.0.1:6390                 redis-server

Environment:
  STAMPEDE_BIN=PATH   use this stampede binary instead of building .build/release/stampede
EOF
}

say() { printf 'cluster: %s\n' "$*"; }
die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }

# --- Ports of each process ------------------------------------------------------------------

node_index() { echo "${1#node}"; }
node_ws_port() { echo $((15680 + $(node_index "$1"))); }
node_stomp_port() { echo $((61620 + $(node_index "$1"))); }
node_admin_port() { echo $((15690 + $(node_index "$1"))); }
node_api_port() { echo $((15700 + $(node_index "$1"))); }

all_names() { echo redis "${NODES[@]}" haproxy; }

# Every port `up` binds, to refuse early when something else holds one.
all_ports() {
    local name
    echo "$REDIS_PORT"
    for name in "${NODES[@]}"; do
        echo "$(node_ws_port "$name") $(node_stomp_port "$name") $(node_admin_port "$name") $(node_api_port "$name")"
    done
    echo "$WS_PORT $STOMP_PORT $STATS_PORT"
}

# --- Processes and PID files ----------------------------------------------------------------

pid_file() { echo "$RUN_DIR/$1.pid"; }
log_file() { echo "$RUN_DIR/$1.log"; }

# The PID recorded for NAME, or nothing.
recorded_pid() {
    local file
    file=$(pid_file "$1")
    [ -f "$file" ] && tr -dc '0-9' <"$file" || true
}

# True while PID runs (a zombie left by a failed `up` counts as gone).
is_alive() {
    local stat
    [ -n "$1" ] && stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat:0:1}" != Z ]
}

# The command line of PID with NULs as spaces.
command_line() { { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null || true; }

# True when PID is still the process `up` started as NAME (PIDs are reused after a process ends).
is_expected() {
    local pid=$1 name=$2 cmd
    cmd=$(command_line "$pid")
    case $name in
        redis) [[ $cmd == *redis-server* && $cmd == *":$REDIS_PORT"* ]] ;;
        haproxy) [[ $cmd == *haproxy* && $cmd == *deploy/haproxy.cfg* ]] ;;
        node*) [[ $cmd == *stampede* && $cmd == *"--node-id $name "* ]] ;;
        *) return 1 ;;
    esac
}

# PID of NAME when it runs and is what `up` started; nothing otherwise.
running_pid() {
    local pid
    pid=$(recorded_pid "$1")
    if is_alive "$pid" && is_expected "$pid" "$1"; then echo "$pid"; fi
}

# Starts NAME in its own session (so a closed terminal or Ctrl-C elsewhere does not reach it),
# output to its log, and records its PID.
start_process() {
    local name=$1
    shift
    printf '\n==== %s: %s\n' "$(date '+%F %T')" "$*" >>"$(log_file "$name")"
    setsid "$@" </dev/null >>"$(log_file "$name")" 2>&1 &
    echo $! >"$(pid_file "$name")"
}

# Sends SIGTERM to every NAME given, waits up to STOP_TIMEOUT seconds for all of them, then
# SIGKILLs what is left. A PID that no longer belongs to its process is left alone.
stop_processes() {
    local name pid entry waiting=() deadline
    for name in "$@"; do
        pid=$(recorded_pid "$name")
        if [ -z "$pid" ]; then
            continue
        elif ! is_alive "$pid" || [ -z "$(command_line "$pid")" ]; then
            # Gone, or exiting right now (a process being torn down has an empty command line).
            say "$name was not running"
        elif ! is_expected "$pid" "$name"; then
            say "$name: PID $pid now belongs to another program ($(command_line "$pid")); not touching it"
        else
            say "stopping $name (PID $pid)"
            kill -TERM "$pid" 2>/dev/null || true
            waiting+=("$name:$pid")
        fi
    done
    deadline=$((SECONDS + STOP_TIMEOUT))
    for entry in ${waiting[@]+"${waiting[@]}"}; do
        name=${entry%%:*} pid=${entry#*:}
        while is_alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
        if is_alive "$pid" && is_expected "$pid" "$name"; then
            say "$name did not stop within ${STOP_TIMEOUT}s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            while is_alive "$pid"; do sleep 0.1; done
        fi
        # Reap our own children (a failed `up`); harmless for processes of an earlier run.
        wait "$pid" 2>/dev/null || true
    done
    for name in "$@"; do rm -f "$(pid_file "$name")"; done
}

stop_all() {
    # Reverse start order: stop taking clients, let the nodes leave the cluster, then Redis.
    stop_processes haproxy
    stop_processes "${NODES[@]}"
    stop_processes redis
}

# --- Waiting for answers --------------------------------------------------------------------

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

http_ok() { curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null; }

# Polls CHECK (a command) until it succeeds; fails when NAME exits or the time is up.
wait_until() {
    local name=$1 what=$2
    shift 2
    local deadline=$((SECONDS + START_TIMEOUT))
    until "$@"; do
        if ! is_alive "$(recorded_pid "$name")"; then
            fail_up "$name exited before $what; last lines of $(log_file "$name"):" "$name"
        fi
        [ "$SECONDS" -lt "$deadline" ] || fail_up "$name did not answer ($what) within ${START_TIMEOUT}s" "$name"
        sleep 0.2
    done
}

# Stops what this `up` started and exits with an error, showing NAME's log.
fail_up() {
    printf 'cluster: %s\n' "$1" >&2
    [ -n "${2:-}" ] && last_start_log "$2" | tail -n 20 >&2 || true
    say "stopping what was started"
    stop_all
    exit 1
}

# NAME's log since its latest start.
last_start_log() { awk '/^==== /{n=0} {line[n++]=$0} END{for (i=0; i<n; i++) print line[i]}' "$(log_file "$1")"; }

redis_ping() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

# --- Commands -------------------------------------------------------------------------------

cmd_up() {
    local node_options=() name port
    if [ $# -gt 0 ]; then
        [ "$1" = -- ] || { usage >&2; exit 2; }
        shift
        node_options=("$@")
    fi
    mkdir -p "$RUN_DIR"

    for name in $(all_names); do
        if [ -n "$(running_pid "$name")" ]; then
            die "$name is already running (PID $(recorded_pid "$name")); run 'scripts/cluster.sh down' first"
        fi
    done
    for name in $(all_names); do
        [ -f "$(pid_file "$name")" ] && { say "removing stale $(pid_file "$name")"; rm -f "$(pid_file "$name")"; }
    done
    for port in $(all_ports); do
        port_open "$port" && die "127.0.0.1:$port is already in use by another program; free it first"
    done

    scripts/setup.sh
    if [ -z "${STAMPEDE_BIN:-}" ]; then
        say "building the release binary"
        swift build -c release --product stampede
    fi
    [ -x "$BIN" ] || die "no executable at $BIN"
    haproxy -q -c -f deploy/haproxy.cfg || die "deploy/haproxy.cfg is not valid"

    say "starting redis-server on 127.0.0.1:$REDIS_PORT"
    start_process redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
        --daemonize no --dir "$RUN_DIR" --logfile ''
    wait_until redis "PING" redis_ping

    for name in "${NODES[@]}"; do
        say "starting $name (WebSocket $(node_ws_port "$name"), STOMP $(node_stomp_port "$name"), admin $(node_admin_port "$name"), API $(node_api_port "$name"))"
        start_process "$name" "$BIN" --redis "redis://127.0.0.1:$REDIS_PORT" --node-id "$name" --host 127.0.0.1 \
            --port "$(node_ws_port "$name")" --stomp-port "$(node_stomp_port "$name")" --admin-port "$(node_admin_port "$name")" --api-port "$(node_api_port "$name")" \
            ${node_options[@]+"${node_options[@]}"}
    done
    for name in "${NODES[@]}"; do
        wait_until "$name" "WebSocket port $(node_ws_port "$name")" port_open "$(node_ws_port "$name")"
        wait_until "$name" "STOMP port $(node_stomp_port "$name")" port_open "$(node_stomp_port "$name")"
    done
    # A node without an admin endpoint still serves clients directly, so this is only a warning.
    local admin deadline=$((SECONDS + 5))
    for name in "${NODES[@]}"; do
        admin="http://127.0.0.1:$(node_admin_port "$name")"
        until http_ok "$admin/healthz"; do
            if [ "$SECONDS" -ge "$deadline" ]; then
                say "warning: $name does not answer $admin/healthz; HAProxy will keep it out of rotation"
                break
            fi
            sleep 0.2
        done
    done

    say "starting haproxy"
    start_process haproxy haproxy -db -f deploy/haproxy.cfg
    wait_until haproxy "stats page" http_ok "http://127.0.0.1:$STATS_PORT/stats"
    wait_until haproxy "WebSocket port $WS_PORT" port_open "$WS_PORT"
    wait_until haproxy "STOMP port $STOMP_PORT" port_open "$STOMP_PORT"

    cat <<EOF

Stampede cluster is up (logs and PIDs in $RUN_DIR/):
  WebSocket (STOMP)   ws://127.0.0.1:$WS_PORT/ws
  raw STOMP           127.0.0.1:$STOMP_PORT
  cluster view        http://127.0.0.1:15691/admin/cluster   (node2: 15692, node3: 15693)
  HAProxy stats       http://127.0.0.1:$STATS_PORT/stats
  redis               redis-cli -p $REDIS_PORT

  scripts/cluster.sh status | logs [name] | down
EOF
}

cmd_down() {
    local name found=0
    for name in $(all_names); do [ -f "$(pid_file "$name")" ] && found=1; done
    if [ "$found" -eq 0 ]; then
        say "nothing to stop (no PID files in $RUN_DIR)"
        return 0
    fi
    stop_all
    say "stopped"
}

cmd_status() {
    local name pid all_up=0 detail
    for name in $(all_names); do
        pid=$(running_pid "$name")
        case $name in
            redis) detail="127.0.0.1:$REDIS_PORT" ;;
            haproxy) detail="ws $WS_PORT, stomp $STOMP_PORT, stats $STATS_PORT" ;;
            *) detail="ws $(node_ws_port "$name"), stomp $(node_stomp_port "$name"), admin $(node_admin_port "$name")" ;;
        esac
        if [ -n "$pid" ]; then
            printf '  %-8s up    PID %-8s %s\n' "$name" "$pid" "$detail"
        else
            printf '  %-8s down  %-12s %s\n' "$name" "" "$detail"
            all_up=1
        fi
    done
    [ -n "$(running_pid node1)" ] || return "$all_up"

    echo
    local admin=http://127.0.0.1:15691
    if [ -x "$BIN" ] && "$BIN" cluster status --help >/dev/null 2>&1; then
        "$BIN" cluster status --admin "$admin" || all_up=1
    elif http_ok "$admin/admin/cluster"; then
        # No `stampede cluster status` in this build: show the raw cluster view.
        curl -fsS --max-time 2 "$admin/admin/cluster" | { python3 -m json.tool 2>/dev/null || cat; }
    else
        say "node1's admin endpoint $admin/admin/cluster does not answer"
        all_up=1
    fi
    return "$all_up"
}

cmd_logs() {
    local name
    if [ $# -eq 0 ]; then
        compgen -G "$RUN_DIR/*.log" >/dev/null || die "no logs in $RUN_DIR yet"
        exec tail -n 20 -F "$RUN_DIR"/*.log
    fi
    for name in $(all_names); do
        [ "$1" = "$name" ] && exec tail -n 50 -F "$(log_file "$name")"
    done
    die "unknown process '$1'; one of: $(all_names)"
}

case "${1:-}" in
    up) shift; cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    logs) shift; [ $# -le 1 ] || { usage >&2; exit 2; }; cmd_logs "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
esac
