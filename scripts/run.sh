#!/usr/bin/env bash
# Sets up (first run only) and runs one Stampede node with the in-memory router: no Redis needed.
# Arguments are passed to `stampede` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product stampede
exec .build/release/stampede "$@"
