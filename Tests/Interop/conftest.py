"""Starts a real stampede node for the interop tests (third-party STOMP clients)."""
import os
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from free_port import free_port  # noqa: E402  (one rule for every test and benchmark process)


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
