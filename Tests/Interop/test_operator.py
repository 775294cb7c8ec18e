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


def raw_connect(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"CONNECT\naccept-version:1.2\nhost:/\n\n\0")
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
            [BINARY, "--port", str(ws_port), "--stomp-port", str(stomp_port), "--admin-port", str(admin_port),
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
