"""What an operator sees first: the version everywhere, JSON log lines, the run script's help."""
import json
import os
import socket
import subprocess
import time
import urllib.request

from conftest import ROOT, free_port, wait_for_port

BINARY = os.environ.get("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))


def stampede_version():
    return subprocess.run([BINARY, "--version"], capture_output=True, text=True, check=True).stdout.strip()


def test_version_flag_prints_a_semantic_version():
    version = stampede_version()
    parts = version.split(".")
    assert len(parts) == 3 and all(p.isdigit() for p in parts), version


def raw_connect(port, login=b""):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"CONNECT\naccept-version:1.2\nhost:/\n" + login + b"\n\0")
        data = b""
        while b"\0" not in data:
            chunk = s.recv(4096)
            assert chunk, "connection closed before CONNECTED"
            data += chunk
        return data.split(b"\0")[0].decode()


def test_connected_server_header_admin_and_metrics_show_the_same_version(tmp_path):
    version = stampede_version()
    ws_port, stomp_port, admin_port = free_port(), free_port(), free_port()
    log_path = tmp_path / "node.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [BINARY, "--port", str(ws_port), "--stomp-port", str(stomp_port), "--admin-port", str(admin_port), "--api-port", "off",
             "--log-format", "json", "--log-level", "debug"],
            stdout=log, stderr=log)
    try:
        wait_for_port(stomp_port, proc)
        wait_for_port(admin_port, proc)
        connected = raw_connect(stomp_port)
        assert "server:Stampede/%s\n" % version in connected, connected
        with urllib.request.urlopen("http://127.0.0.1:%d/admin/cluster" % admin_port, timeout=5) as response:
            nodes = json.load(response)["nodes"]
        assert [n["version"] for n in nodes] == [version]
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % admin_port, timeout=5) as response:
            metrics = response.read().decode()
        assert 'stampede_build_info{version="%s"} 1' % version in metrics
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0

    # --log-format json: every line of the node's standard error is one JSON object.
    lines = [line for line in log_path.read_text().splitlines() if line.strip()]
    assert len(lines) >= 2
    records = [json.loads(line) for line in lines]
    for record in records:
        assert {"ts", "level", "label", "msg"} <= record.keys(), record
    listening = [r for r in records if r["msg"] == "stampede node listening"]
    assert listening and listening[0]["version"] == version


def test_run_script_help_answers_without_installing_or_building(tmp_path):
    # An empty PATH apart from bash's own basics: no apt-get, no sudo, no swift can run.
    env = {"PATH": "/usr/bin:/bin", "STAMPEDE_BIN": str(tmp_path / "not-built")}
    started = time.time()
    result = subprocess.run([os.path.join(ROOT, "scripts", "run.sh"), "--help"],
                            capture_output=True, text=True, env=env, timeout=10)
    assert result.returncode == 0, result.stderr
    assert "Usage: scripts/run.sh" in result.stdout
    assert "setup:" not in result.stdout + result.stderr
    assert time.time() - started < 5
    for script in ("cluster.sh", "bench.sh"):
        result = subprocess.run([os.path.join(ROOT, "scripts", script), "--help"],
                                capture_output=True, text=True, env=env, timeout=10)
        assert result.returncode == 0 and "Usage: scripts/%s" % script in result.stdout, result.stderr


def test_session_lines_say_who_why_and_how_long_within_a_budget_and_process_metrics_are_exported(tmp_path):
    ws_port, stomp_port, admin_port = free_port(), free_port(), free_port()
    log_path = tmp_path / "node.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [BINARY, "--port", str(ws_port), "--stomp-port", str(stomp_port), "--admin-port", str(admin_port),
             "--log-format", "json", "--set", "log.session-lines-per-second=4", "--set", "auth.users=alice:pw"],
            stdout=log, stderr=log)
    try:
        wait_for_port(stomp_port, proc)
        wait_for_port(admin_port, proc)
        with socket.create_connection(("127.0.0.1", stomp_port), timeout=5) as s:
            s.sendall(b"CONNECT\naccept-version:1.2\nhost:/\nlogin:alice\npasscode:pw\n\n\0")
            assert b"CONNECTED" in s.recv(4096)
            s.sendall(b"DISCONNECT\nreceipt:bye\n\n\0")
            s.recv(4096)
        # A burst of 20 sessions: the budget (4 a second) leaves most lines out and counts them.
        alice = b"login:alice\npasscode:pw\n"
        for _ in range(20):
            assert raw_connect(stomp_port, alice).startswith("CONNECTED")
        time.sleep(0.6)  # two lines' worth of budget comes back
        raw_connect(stomp_port, alice)
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % admin_port, timeout=5) as response:
            metrics = response.read().decode()
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0
    records = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    sessions = [r for r in records if r["msg"] in ("session connected", "session closed")]
    first_connect, first_close = sessions[0], sessions[1]
    assert first_connect["msg"] == "session connected" and first_connect["user"] == "alice"
    assert first_connect["transport"] == "stomp" and first_connect["tls"] == "false" and first_connect["peer"].startswith("127.0.0.1:")
    assert first_close["msg"] == "session closed" and first_close["reason"] == "client disconnected"
    assert int(first_close["duration.ms"]) >= 0
    assert len(sessions) < 20, len(sessions)
    assert any(int(r.get("log.suppressed", "0")) > 0 for r in sessions), "no line reported the left-out ones"
    suppressed = [line for line in metrics.splitlines() if line.startswith("stampede_log_lines_suppressed_total ")]
    assert suppressed and float(suppressed[0].split()[1]) > 0
    for name in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds", "process_max_fds",
                 "process_start_time_seconds"):
        assert "\n" + name + " " in metrics, name
