"""The conformance echo endpoint (`conformance.echo-path`) that Autobahn|Testsuite runs against
(scripts/autobahn.sh): off by default, loopback only, and it echoes every message as sent, also
compressed and fragmented, through the node's real WebSocket code."""
import base64
import os
import socket
import struct
import subprocess

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from conftest import ROOT, free_port, wait_for_port

BINARY = os.environ.get("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))


def start_node(tmp_path, *settings):
    port = free_port()
    log = open(tmp_path / "node.log", "w")
    args = [BINARY, "--port", str(port), "--stomp-port", "off", "--admin-port", "off", "--set", "api.port=off"]
    for setting in settings:
        args += ["--set", setting]
    proc = subprocess.Popen(args, stdout=log, stderr=log)
    wait_for_port(port, proc)
    return proc, port


@pytest.fixture
def echo_node(tmp_path):
    proc, port = start_node(tmp_path, "conformance.echo-path=/echo", "websocket.permessage-deflate.enabled=true")
    yield port
    proc.terminate()
    assert proc.wait(timeout=15) == 0


def test_echo_endpoint_returns_text_and_binary_messages_as_sent(echo_node):
    with connect("ws://127.0.0.1:%d/echo" % echo_node, compression=None) as ws:
        ws.send("héllo ✓")
        assert ws.recv(timeout=5) == "héllo ✓"
        ws.send(b"\x00\xff\x10")
        assert ws.recv(timeout=5) == b"\x00\xff\x10"
        ws.send("")
        assert ws.recv(timeout=5) == ""


def test_echo_endpoint_joins_fragments_and_compresses_when_negotiated(echo_node):
    with connect("ws://127.0.0.1:%d/echo" % echo_node) as ws:  # websockets offers permessage-deflate
        assert "permessage-deflate" in ws.response.headers.get("Sec-WebSocket-Extensions", "")
        ws.send(["part one, ", "part two, ", "x" * 5000])
        assert ws.recv(timeout=5) == "part one, part two, " + "x" * 5000


def test_echo_endpoint_closes_with_1007_on_invalid_utf8(echo_node):
    sock = socket.create_connection(("127.0.0.1", echo_node), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(("GET /echo HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % key).encode())
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(4096)
    assert received.startswith(b"HTTP/1.1 101")
    received = received.split(b"\r\n\r\n", 1)[1]
    mask, payload = os.urandom(4), b"\xc3\x28"  # an invalid two-byte sequence, sent as text
    sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    while len(received) < 4:
        chunk = sock.recv(4096)
        assert chunk, "closed without a close frame"
        received += chunk
    assert received[0] == 0x88  # FIN + close
    assert struct.unpack("!H", received[2:4])[0] == 1007
    sock.close()


def test_no_echo_endpoint_by_default(tmp_path):
    proc, port = start_node(tmp_path)
    try:
        with pytest.raises(InvalidStatus) as refused:
            connect("ws://127.0.0.1:%d/echo" % port)
        assert refused.value.response.status_code == 404
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_echo_endpoint_refused_off_loopback(tmp_path):
    result = subprocess.run(
        [BINARY, "--host", "0.0.0.0", "--port", str(free_port()), "--set", "conformance.echo-path=/echo",
],
        capture_output=True, text=True, timeout=15)
    assert result.returncode != 0
    assert "conformance.echo-path needs a loopback listen.host" in result.stderr
