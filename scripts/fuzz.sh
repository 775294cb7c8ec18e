#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (a separate package: see docs/fuzzing.md) and runs each
# for a fixed time. Exits non-zero if any target crashed, leaked, timed out or broke an invariant,
# after printing the reproducer file and the command that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(fuzz-stomp fuzz-websocket fuzz-utf8 fuzz-http fuzz-handshake fuzz-envelope fuzz-access)

usage() {
    cat <<EOF
Usage: scripts/fuzz.sh [TARGET|all] [SECONDS]

Runs TARGET (default: all, one after the other) for SECONDS each (default 60).
Targets: ${TARGETS[*]}

Seeds come from Fuzz/corpus/TARGET (committed, read only); what the fuzzer learns goes to
run/fuzz/TARGET/corpus and is reused by the next run; crash files land in run/fuzz/TARGET/.

Environment:
  FUZZ_SCRATCH_PATH   build folder (default .build-fuzz)
  FUZZ_PACKAGE_PATH   the fuzz package (default Fuzz)
  FUZZ_OUT            where corpora and crash files go (default run/fuzz)
  FUZZ_ARGS           extra libFuzzer flags, e.g. "-max_len=65536 -jobs=2"
EOF
}

target="${1:-all}"
seconds="${2:-60}"
case "$target" in -h|--help) usage; exit 0 ;; esac
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "fuzz.sh: SECONDS must be a positive integer, got '$seconds'" >&2; usage >&2; exit 2
fi
if [ "$target" = all ]; then
    selected=("${TARGETS[@]}")
elif [[ " ${TARGETS[*]} " == *" $target "* ]]; then
    selected=("$target")
else
    echo "fuzz.sh: unknown target '$target'" >&2; usage >&2; exit 2
fi

scratch="${FUZZ_SCRATCH_PATH:-.build-fuzz}"
package="${FUZZ_PACKAGE_PATH:-Fuzz}"
out="${FUZZ_OUT:-run/fuzz}"

echo "== building ${selected[*]} (release, -sanitize=fuzzer,address)"
# `--sanitize=fuzzer` makes SwiftPM link the fuzz targets for libFuzzer's own main(). The
# instrumentation comes from the single comma-separated -Xswiftc flag: SwiftPM's
# `--sanitize=fuzzer --sanitize=address` reaches the compiler as two -sanitize flags of which
# only the last counts, which leaves the code without coverage (libFuzzer then fuzzes blind).
build_args=(-c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
            --package-path "$package" --scratch-path "$scratch")
if [ "${#selected[@]}" -eq 1 ]; then build_args+=(--product "${selected[0]}"); fi
swift build "${build_args[@]}"
bin="$(swift build "${build_args[@]}" --show-bin-path)"

# Without this the Swift runtime's backtracer holds a crashing process for minutes instead of
# letting libFuzzer write the crash file.
export SWIFT_BACKTRACE=enable=no

failed=0
for name in "${selected[@]}"; do
    dir="$out/$name"
    mkdir -p "$dir/corpus"
    log="$dir/last-run.log"
    before="$(mktemp)"
    ls "$dir" > "$before"
    echo "== $name for ${seconds}s (log: $log)"
    status=0
    # shellcheck disable=SC2086  # FUZZ_ARGS is a list of flags
    "$bin/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -print_final_stats=1 -artifact_prefix="$dir/" ${FUZZ_ARGS:-} \
        "$dir/corpus" "Fuzz/corpus/$name" > "$log" 2>&1 || status=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    elapsed="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)"
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)"
    rate="?"
    if [ -n "$runs" ] && [ -n "$elapsed" ] && [ "$elapsed" -gt 0 ]; then rate=$((runs / elapsed)); fi
    if [ -z "$runs" ]; then
        echo "!! $name: no libFuzzer statistics (not linked with libFuzzer?)" >&2; status=1
    fi
    if grep -q 'Is the code instrumented for coverage' "$log"; then
        echo "!! $name: libFuzzer sees no coverage instrumentation" >&2; status=1
    fi
    found="$(ls "$dir" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' | grep -vxFf "$before" || true)"
    rm -f "$before"
    if [ "$status" -ne 0 ] || [ -n "$found" ]; then
        failed=1
        echo "!! $name FAILED (exit $status) after ${runs:-?} runs"
        grep -m1 -E 'invariant violated|Fatal error|ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)' "$log" || true
        for file in $found; do
            echo "   reproducer: $dir/$file ($(wc -c < "$dir/$file") bytes)"
            echo "   hex: $(od -An -tx1 -v "$dir/$file" | tr -d ' \n' | cut -c1-400)"
            echo "   replay: SWIFT_BACKTRACE=enable=no $bin/$name $dir/$file"
        done
    else
        echo "ok $name: ${runs:-?} runs in ${elapsed:-?}s (${rate} exec/s), ${cov:-cov: ?}, corpus $(ls "$dir/corpus" | wc -l) files"
    fi
done
exit "$failed"
