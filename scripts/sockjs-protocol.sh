#!/usr/bin/env bash
# SockJS conformance: runs the published sockjs-protocol test suite (github.com/sockjs/sockjs-protocol,
# a checkout of which you give; it is not part of this repository) against a real node's
# conformance services (`conformance.sockjs-path`: echo, close, disabled_websocket_echo,
# cookie_needed_echo) and prints its verdict.
#
#   scripts/sockjs-protocol.sh PATH-TO-SOCKJS-PROTOCOL-CHECKOUT
#
# The suite is Python 2 only: scripts/python2.sh provides an unpacked Debian bullseye python2.7
# (the same bootstrap as scripts/autobahn.sh, in .build/sockjs-protocol). The node is STAMPEDE_BIN, else .build/debug/stampede.
# docs/conformance.md lists the result and the one case that does not apply (hixie-76).
set -euo pipefail
cd "$(dirname "$0")/.."

suite=${1:?usage: scripts/sockjs-protocol.sh PATH-TO-SOCKJS-PROTOCOL-CHECKOUT}
[ -f "$suite/sockjs-protocol.py" ] || { echo "sockjs-protocol: no sockjs-protocol.py in $suite" >&2; exit 2; }
bin=${STAMPEDE_BIN:-.build/debug/stampede}
[ -x "$bin" ] || { echo "sockjs-protocol: no node binary at $bin (swift build)" >&2; exit 1; }

# Its own packages: websocket-client masks through wsaccel when that is installed (Autobahn's
# site has it), and wsaccel refuses the suite's unicode payloads.
PY2_ROOT="$PWD/.build/sockjs-protocol"
# shellcheck source=scripts/python2.sh
source scripts/python2.sh
python2_prepare
py2 -c 'import unittest2, websocket, ws4py' 2>/dev/null || \
    py2 -m pip install -q --disable-pip-version-check --no-warn-script-location --user \
        unittest2==1.1.0 websocket-client==0.59.0 ws4py==0.5.1 six 2>/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
# The suite expects a 4 KiB streaming response limit from a test server.
"$bin" --port "$port" --stomp-port off --admin-port off --api-port off --log-level warning \
    --set conformance.sockjs-path=/sockjs-conformance --set sockjs.streaming-response-bytes=4096 >"$log" 2>&1 &
node=$!
trap 'kill $node 2>/dev/null || true; wait 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
# The suite imports its helpers (utils.py, httplib_fork.py) from its own directory.
(cd "$suite" && SOCKJS_URL="http://127.0.0.1:$port/sockjs-conformance" py2 sockjs-protocol.py)
