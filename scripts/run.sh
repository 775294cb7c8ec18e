#!/usr/bin/env bash
# Runs one Stampede node with the in-memory router (no Redis needed). On the first run it installs
# the C libraries a node needs (scripts/setup.sh --node) and builds the release binary.
# Arguments are passed to `stampede`.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${STAMPEDE_BIN:-.build/release/stampede}

usage() {
    cat <<'EOF_USAGE'
Usage: scripts/run.sh [STAMPEDE OPTIONS]

Runs one Stampede node on 127.0.0.1 with the in-memory router (no Redis):
  ws://127.0.0.1:15674/ws     STOMP over WebSocket
  127.0.0.1:61613             raw STOMP over TCP
  http://127.0.0.1:15675/     admin dashboard, /healthz, /readyz, /metrics

On the first run it installs the C libraries a node needs (libuv, hiredis, OpenSSL; nothing
else) and builds .build/release/stampede (a few minutes); later runs start at once.
Every option is passed to `stampede`, for example:
  scripts/run.sh --port 8080 --log-level debug
  scripts/run.sh --config deploy/stampede.example.yml
  scripts/run.sh --set auth.users=alice:secret
Environment: STAMPEDE_BIN=PATH runs that binary instead of building one.
A three-node cluster behind HAProxy: scripts/cluster.sh up.
EOF_USAGE
}

for argument in "$@"; do
    case $argument in
        -h | --help | help)
            usage
            if [ -x "$BIN" ]; then
                echo
                echo "Options of stampede ($BIN):"
                "$BIN" --help
            else
                echo
                echo "(The full list of stampede options is shown here once the binary is built.)"
            fi
            exit 0 ;;
        --version)
            if [ -x "$BIN" ]; then exec "$BIN" --version; fi ;;
    esac
done

if [ -z "${STAMPEDE_BIN:-}" ]; then
    scripts/setup.sh --node
    swift build -c release --product stampede
fi
exec "$BIN" "$@"
