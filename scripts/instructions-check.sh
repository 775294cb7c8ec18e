#!/usr/bin/env bash
# Keeps the per-message path as cheap as it was made: runs the callgrind scenarios of
# scripts/profile.sh on a release build and fails when the instructions per delivered message
# of a scenario rise more than the tolerance (10 %) above its threshold in
# Benchmarks/instructions.json (swift-nio's malloc-count thresholds are the model).
# Instruction counts do not move with the machine's load, so this is safe on a busy CI runner.
#   scripts/instructions-check.sh             build release binaries, check every scenario
#   STAMPEDE_BIN=... BENCH_BIN=... scripts/instructions-check.sh   use prebuilt ones
# After a change that makes the path cheaper (or, with a reason in the commit message, dearer),
# put the new figures printed here into Benchmarks/instructions.json.
set -euo pipefail
cd "$(dirname "$0")/.."

THRESHOLDS=Benchmarks/instructions.json
OUT=${OUT:-run/instructions-check}
mkdir -p "$OUT"

if [ -z "${STAMPEDE_BIN:-}" ] || [ -z "${BENCH_BIN:-}" ]; then
    echo "instructions-check: building release binaries" >&2
    swift build -c release --product stampede >&2
    swift build -c release --product stampede-bench >&2
    export STAMPEDE_BIN=$PWD/.build/release/stampede BENCH_BIN=$PWD/.build/release/stampede-bench
fi

scenarios=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["instructions-per-delivery"]))' "$THRESHOLDS")
failed=0
for scenario in $scenarios; do
    line=$(scripts/profile.sh --callgrind-only --out "$OUT/$scenario" "$scenario" | tail -n 1)
    measured=${line##* }
    [[ "$measured" =~ ^[0-9]+$ ]] || { echo "instructions-check: $scenario: no figure ($line)" >&2; exit 1; }
    verdict=$(python3 - "$THRESHOLDS" "$scenario" "$measured" <<'PY'
import json, sys
table = json.load(open(sys.argv[1]))
threshold = table["instructions-per-delivery"][sys.argv[2]]
limit = threshold * (1 + table["tolerance"])
measured = int(sys.argv[3])
print(f"{'ok' if measured <= limit else 'FAIL'} {sys.argv[2]}: {measured} instructions per delivery"
      f" (threshold {threshold}, limit {int(limit)}, {100 * (measured - threshold) / threshold:+.1f} %)")
PY
)
    echo "instructions-check: $verdict"
    case $verdict in FAIL*) failed=1 ;; esac
done
exit $failed
