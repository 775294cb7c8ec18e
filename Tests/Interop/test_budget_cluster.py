"""Issue 12.5: a node that receives from Redis faster than its local clients read stays within its
buffered-bytes budget. Two nodes share redis-server; on node2 one subscriber never reads (a tiny
receive buffer) and one probe subscriber reads; a publisher on node1 floods the topic with 64 KiB
messages. node2's counted bytes stay under its budget, the stuck reader is cut with its reason,
and the probe gets every message."""
import os
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import ROOT, free_port, wait_for_port

BUDGET = 8 * 1024 * 1024
MESSAGES = 300
BODY = b"x" * (64 * 1024)


def metrics(admin_port):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % admin_port, timeout=5).read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def frame(command, headers, body=b""):
    head = command + "\n" + "".join("%s:%s\n" % item for item in headers.items()) + "\n"
    return head.encode() + body + b"\x00"


def stomp_socket(port, receive_buffer=None):
    sock = socket.socket()
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect(("127.0.0.1", port))
    sock.sendall(frame("CONNECT", {"accept-version": "1.2", "host": "/", "heart-beat": "0,0"}))
    assert sock.recv(4096).startswith(b"CONNECTED")
    return sock


@pytest.fixture
def two_nodes(tmp_path):
    binary = os.environ.get("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))
    redis_port = free_port()
    redis = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(redis_port, redis)
    nodes = []
    for index in (1, 2):
        ws, stomp, admin = free_port(), free_port(), free_port()
        log = open(tmp_path / ("node%d.log" % index), "w")
        # node2's per-connection limit is above its budget, so the budget is what must hold.
        proc = subprocess.Popen([binary, "--redis", "redis://127.0.0.1:%d" % redis_port, "--node-id", "node%d" % index,
                                 "--port", str(ws), "--stomp-port", str(stomp), "--admin-port", str(admin), "--api-port", "off",
                                 "--set", "limits.max-buffered-bytes=%d" % BUDGET, "--set", "limits.max-output-buffer-bytes=67108864",
                                 "--set", "limits.flow.max-publisher-pause-ms=0", "--set", "runtime.tick-ms=100"],
                                stdout=log, stderr=log)
        wait_for_port(stomp, proc)
        nodes.append({"stomp": stomp, "admin": admin, "proc": proc, "log": tmp_path / ("node%d.log" % index)})
    try:
        yield nodes
    finally:
        for node in nodes:
            node["proc"].terminate()
            node["proc"].wait(timeout=15)
        redis.terminate()
        redis.wait(timeout=10)


def test_a_flood_from_redis_stays_within_the_receiving_nodes_budget(two_nodes):
    node1, node2 = two_nodes
    stuck = stomp_socket(node2["stomp"], receive_buffer=4096)
    stuck.sendall(frame("SUBSCRIBE", {"id": "0", "destination": "/topic/flood", "receipt": "s"}))
    probe = stomp_socket(node2["stomp"])
    probe.sendall(frame("SUBSCRIBE", {"id": "0", "destination": "/topic/flood", "receipt": "p"}))
    time.sleep(0.5)  # both interests reach Redis

    received = []

    def read_probe():
        buffer = b""
        probe.settimeout(20)
        try:
            while len(received) < MESSAGES:
                data = probe.recv(1 << 20)
                if not data:
                    return
                buffer += data
                while True:
                    start = buffer.find(b"MESSAGE")
                    head_end = buffer.find(b"\n\n", start) if start >= 0 else -1
                    if head_end < 0 or len(buffer) < head_end + 2 + len(BODY) + 1:
                        break
                    received.append(1)
                    buffer = buffer[head_end + 2 + len(BODY) + 1:]
        except socket.timeout:
            return

    reader = threading.Thread(target=read_probe, daemon=True)
    reader.start()
    stuck_data = []

    def drain_stuck_once_cut():
        # The stuck client reads again as soon as the node has cut it (within the close grace).
        deadline = time.time() + 30
        while time.time() < deadline and "node memory budget exhausted" not in open(node2["log"]).read():
            time.sleep(0.05)
        stuck.settimeout(5)
        try:
            while True:
                chunk = stuck.recv(1 << 20)
                if not chunk:
                    return
                stuck_data.append(chunk)
        except (socket.timeout, ConnectionResetError):
            return

    drainer = threading.Thread(target=drain_stuck_once_cut, daemon=True)
    drainer.start()
    publisher = stomp_socket(node1["stomp"])
    peak = 0.0
    for number in range(MESSAGES):
        publisher.sendall(frame("SEND", {"destination": "/topic/flood", "content-length": str(len(BODY))}, BODY))
        if number % 20 == 0:
            sample = metrics(node2["admin"])
            peak = max(peak, sum(value for name, value in sample.items() if name.startswith("stampede_buffered_bytes{")))
    reader.join(timeout=30)
    drainer.join(timeout=40)
    after = metrics(node2["admin"])
    # Enforcement runs when the total passes the budget, so it may overshoot by what one read brought.
    assert peak <= BUDGET + 1024 * 1024, "node2 held %d bytes with a budget of %d" % (peak, BUDGET)
    cuts = after.get("stampede_budget_cuts_total", 0) + after.get("stampede_slow_consumers_total", 0)
    assert cuts >= 1, "the stuck reader was not cut"
    data = b"".join(stuck_data)
    assert b"ERROR\nmessage:" in data, "the cut reader got no ERROR saying why"
    assert len(received) == MESSAGES, "the probe got %d of %d" % (len(received), MESSAGES)
