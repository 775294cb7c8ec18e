#!/usr/bin/env bash
# Installs what building, running and testing Stampede needs on a fresh Debian machine with the
# Swift toolchain: the C libraries (libuv, hiredis, OpenSSL, libcurl, zlib), redis-server and haproxy for the
# cluster scripts, and a Python virtualenv with the third-party STOMP client used by the tests.
# Safe to run again: it only installs what is missing.
#   --node          only what building and running one node needs (the C libraries)
#   --with-python   also what the interop tests need: the Python virtualenv, chromium, nginx
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libuv1-dev libhiredis-dev libssl-dev libcurl4-openssl-dev zlib1g-dev pkg-config)
if [ "${1:-}" != "--node" ]; then
    packages+=(redis-server haproxy python3-venv openssl)
fi
if [ "${1:-}" = "--with-python" ]; then
    # The interop tests: a headless browser for the dashboard page; nginx (with its stream
    # module) and systemd-analyze for the deploy/ files.
    packages+=(chromium nginx libnginx-mod-stream systemd)
    # Tests/Interop/test_sockjs.py: sockjs-client 1.x (Debian's build) in Node.js and in Chromium.
    packages+=(nodejs node-sockjs-client)
    # scripts/instructions-check.sh: callgrind, and objcopy to strip the DWARF 5 it cannot read.
    packages+=(valgrind binutils)
    # scripts/autobahn.sh: the suite's C extensions are compiled for its Python 2.7.
    packages+=(gcc)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--with-python" ]; then
    # PyYAML: the deploy tests; jsonschema: the server API test checks real responses against docs/api/openapi.yaml;
    # websockets: the permessage-deflate test (a client that negotiates compression).
    if [ ! -x .venv/bin/pytest ] || ! .venv/bin/python -c 'import stomp, websocket, websockets, jsonschema, yaml' 2>/dev/null; then
        echo "setup: creating .venv with stomp.py, websocket-client, websockets, pytest, jsonschema and PyYAML"
        python3 -m venv .venv
        .venv/bin/pip install -q --disable-pip-version-check 'stomp.py==9.0.0' 'websocket-client>=1.6' 'websockets>=12' 'pytest>=8' 'jsonschema>=4.18' 'PyYAML>=6'
    fi
fi
