"""scripts/faults.sh --quick: a real three-node cluster behind haproxy under stomp.py load, Redis
suspended for 4 s; every queue message whose RECEIPT came back is delivered exactly once, and
the script says so (the full run's results are in docs/reliability.md)."""
import os
import subprocess

from conftest import ROOT


def test_quick_fault_scenario_keeps_the_queue_promise():
    env = dict(os.environ)
    env.setdefault("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))
    result = subprocess.run([os.path.join(ROOT, "scripts", "faults.sh"), "--quick"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert "stop-redis" in result.stdout
    assert "lost 0, duplicated 0" in result.stdout, result.stdout
    assert "guarantees table: as promised" in result.stdout, result.stdout
