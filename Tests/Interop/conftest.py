"""Starts a real stampede node for the interop tests (third-party STOMP clients)."""
import os
import random
import socket
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(part) for part in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


_handed_out = set()


def free_port():
    """A port that is free now and that no outgoing connection will take before the node binds it.

    Ports from bind(0) come from the kernel's ephemeral range, the same range outgoing connections
    use: a node's connection to redis-server could take the port chosen for the next node before
    that node listens (CI saw this as "address in use"). So ports come from below that range, and
    none is handed out twice in one run."""
    low, _ = _ephemeral_range()
    first = 10000 if low > 12000 else 1024
    while True:
        port = random.randrange(first, low)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port


def wait_for_port(port, proc, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("stampede exited early with %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("stampede did not listen on %d" % port)


class Node:
    def __init__(self, ws_port, stomp_port, proc, log_path):
        self.ws_port = ws_port
        self.stomp_port = stomp_port
        self.proc = proc
        self.log_path = log_path

    def log(self):
        with open(self.log_path) as f:
            return f.read()


@pytest.fixture(scope="session")
def node(tmp_path_factory):
    binary = os.environ.get("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))
    ws_port, stomp_port, admin_port = free_port(), free_port(), free_port()
    log_path = tmp_path_factory.mktemp("node") / "stampede.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [binary, "--port", str(ws_port), "--stomp-port", str(stomp_port), "--admin-port", str(admin_port), "--api-port", "off",
             "--log-level", "info",
             "--set", "stomp.heart-beat=1000,1000"],
            stdout=log, stderr=log)
    try:
        wait_for_port(ws_port, proc)
        wait_for_port(stomp_port, proc)
        yield Node(ws_port, stomp_port, proc, log_path)
    finally:
        proc.terminate()
        code = proc.wait(timeout=15)
        assert code == 0, "node did not shut down cleanly (%s)" % code
