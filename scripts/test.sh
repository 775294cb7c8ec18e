#!/usr/bin/env bash
# Sets up (first run only) and runs every test: the Swift unit and integration tests, then the
# interop tests that drive a real node with stomp.py over TCP and WebSocket.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --with-python
swift build --build-tests
swift test --skip-build
STAMPEDE_BIN="$PWD/.build/debug/stampede" .venv/bin/pytest -q Tests/Interop
