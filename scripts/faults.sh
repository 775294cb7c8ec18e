#!/usr/bin/env bash
# Fault scenarios under load against a local three-node cluster behind HAProxy (scripts/cluster.sh),
# each checked against README's "Delivery guarantees" table; docs/reliability.md has the results.
#
#   scripts/faults.sh [--quick] [SCENARIO ...] [-- faults.py options]
#
# Scenarios: kill-node (kill -9 node1, restarted), term-node (SIGTERM node2, restarted), stop-redis
# (SIGSTOP redis-server for 10 s), restart-redis (no persistence), and issue 12's memory attacks
# on node1: stuck-readers (500 clients that never read) and stalled-frames (300 clients stalled
# inside a 4 MB frame). Default: all six (about 4 minutes).
# --quick: stop-redis only, with Redis stopped for 4 s (about 30 s in all).
# Starts the cluster (`scripts/cluster.sh up`, release build or STAMPEDE_BIN) unless one is
# running, and stops it again afterwards if it started it. Exits 1 if a scenario broke a promise.
set -euo pipefail
cd "$(dirname "$0")/.."

scenarios=() extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        --quick) scenarios=(stop-redis); extra+=(--redis-stop-seconds 4 --before 2 --after 2 --drain 5); shift ;;
        --) shift; extra+=("$@"); break ;;
        *) scenarios+=("$1"); shift ;;
    esac
done

scripts/setup.sh --with-python >/dev/null
started=0
if ! scripts/cluster.sh status >/dev/null 2>&1; then
    scripts/cluster.sh up >/dev/null
    started=1
fi
status=0
.venv/bin/python scripts/faults.py ${scenarios[@]+"${scenarios[@]}"} ${extra[@]+"${extra[@]}"} || status=$?
[ $started -eq 1 ] && scripts/cluster.sh down >/dev/null
exit $status
