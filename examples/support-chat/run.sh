#!/usr/bin/env bash
# The support-chat demo in one command: a three-node cluster (scripts/cluster.sh: redis-server,
# node1..node3, haproxy) with this directory's stampede.yml, the backend worker
# (examples/customer-service/backend.py) on node3, and the pages with their token server.
# Ctrl-C (or SIGTERM) stops all of it.
set -euo pipefail
cd "$(dirname "$0")/../.."

DEMO=examples/support-chat
CONFIG=$DEMO/stampede.yml
PORT=${SUPPORT_CHAT_PORT:-8090}
BIN=${STAMPEDE_BIN:-.build/release/stampede}
BACKEND_STOMP_PORT=61623   # node3's raw STOMP port in scripts/cluster.sh
READY_TIMEOUT=20           # seconds for the backend and the page server to answer

usage() {
    cat <<EOF
Usage: $DEMO/run.sh

Starts the support-chat demo and keeps it running until Ctrl-C:
  scripts/cluster.sh up -- --config $CONFIG   (3 nodes + redis-server + haproxy; builds the
                                              release binary unless STAMPEDE_BIN is set)
  examples/customer-service/backend.py        the worker that assigns customers to agents
  $DEMO/serve.py                    the pages and development tokens

Then open (any number of each, in any browser tabs):
  http://127.0.0.1:$PORT/customer.html?name=alice     a customer (WebSocket /ws/chat)
  http://127.0.0.1:$PORT/agent.html?name=agent-ann    an agent   (WebSocket /ws/agent)
Both connect through haproxy (ws://127.0.0.1:15674); add &ws=ws://127.0.0.1:15681/ws/chat to
pick a node (15681-15683).

Environment:
  STAMPEDE_BIN=PATH          use this stampede binary instead of building the release one
  SUPPORT_CHAT_PORT=N        port of the pages (default 8090)
  SUPPORT_CHAT_PYTHON=PATH   a python3 with stomp.py (default: .venv/bin/python, else python3)
EOF
}

case "${1:-}" in
    -h | --help | help) usage; exit 0 ;;
    "") ;;
    *) usage >&2; exit 2 ;;
esac

say() { printf 'support-chat: %s\n' "$*"; }
die() { printf 'support-chat: %s\n' "$*" >&2; exit 1; }

PYTHON=${SUPPORT_CHAT_PYTHON:-}
if [ -z "$PYTHON" ]; then
    if [ -x .venv/bin/python ] && .venv/bin/python -c 'import stomp' 2>/dev/null; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
"$PYTHON" -c 'import stomp' 2>/dev/null \
    || die "$PYTHON cannot import stomp (stomp.py): run scripts/setup.sh --with-python, or apt-get install python3-stomp"

backend_pid="" server_pid="" cluster_started=0
cleanup() {
    trap - EXIT INT TERM
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    [ -n "$backend_pid" ] && kill "$backend_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    if [ "$cluster_started" = 1 ]; then scripts/cluster.sh down || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

scripts/cluster.sh up -- --config "$CONFIG"
cluster_started=1
[ -n "${STAMPEDE_BIN:-}" ] || BIN=.build/release/stampede
mkdir -p run/support-chat

token=$("$BIN" token --config "$CONFIG" --sub support-backend --role service --ttl 30d)
say "starting the backend worker on node3 (log run/support-chat/backend.log)"
STAMPEDE_TOKEN=$token "$PYTHON" -u examples/customer-service/backend.py "$BACKEND_STOMP_PORT" support-backend \
    >run/support-chat/backend.log 2>&1 &
backend_pid=$!
deadline=$((SECONDS + READY_TIMEOUT))
until grep -q '^backend ready' run/support-chat/backend.log; do
    kill -0 "$backend_pid" 2>/dev/null || die "the backend exited: $(tail -n 5 run/support-chat/backend.log)"
    [ "$SECONDS" -lt "$deadline" ] || die "the backend did not connect within ${READY_TIMEOUT}s"
    sleep 0.2
done

"$PYTHON" -u $DEMO/serve.py --port "$PORT" --stampede "$BIN" --config "$CONFIG" >run/support-chat/pages.log 2>&1 &
server_pid=$!
until curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/" 2>/dev/null; do
    kill -0 "$server_pid" 2>/dev/null || die "the page server exited: $(tail -n 5 run/support-chat/pages.log)"
    [ "$SECONDS" -lt "$deadline" ] || die "the page server did not answer within ${READY_TIMEOUT}s"
    sleep 0.2
done

cat <<EOF

support-chat is up:
  customer   http://127.0.0.1:$PORT/customer.html?name=alice
  agent      http://127.0.0.1:$PORT/agent.html?name=agent-ann
  dashboard  http://127.0.0.1:15691/dashboard
Ctrl-C stops the demo and the cluster.
EOF
wait "$backend_pid" || die "the backend exited: $(tail -n 5 run/support-chat/backend.log)"
