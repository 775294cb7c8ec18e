#!/usr/bin/env bash
# Sets up (first run only) and runs every test: the Swift unit and integration tests, then the
# interop tests that drive a real node with stomp.py over TCP and WebSocket, then the callgrind
# check of the per-message path (release builds of the node and stampede-bench), then the
# Autobahn|Testsuite WebSocket conformance run against the release node.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --with-python
swift build --build-tests
swift test --skip-build
STAMPEDE_BIN="$PWD/.build/debug/stampede" .venv/bin/pytest -q Tests/Interop
# Instructions per delivered message may not rise more than 10 % above Benchmarks/instructions.json.
scripts/instructions-check.sh
# WebSocket conformance: Autobahn|Testsuite against the release node's echo endpoint (docs/conformance.md).
scripts/autobahn.sh
