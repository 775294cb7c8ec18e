"""permessage-deflate (RFC 7692) against a real node: the `websockets` library negotiating and
exchanging compressed STOMP, a raw client checking RSV1 and inflating the bytes itself with
Python's zlib, and a zlib bomb ending in close 1009."""
import base64
import os
import socket
import struct
import subprocess
import zlib

import pytest
from websockets.sync.client import connect

from conftest import ROOT, free_port, wait_for_port

BINARY = os.environ.get("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))
LIMIT = 65536


def start_deflate_node(tmp_path):
    """A node with permessage-deflate on: (process, WebSocket port, admin port)."""
    port, admin_port = free_port(), free_port()
    log_path = tmp_path / "node.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [BINARY, "--port", str(port), "--stomp-port", str(free_port()), "--admin-port", str(admin_port),
             "--set", "websocket.permessage-deflate.enabled=true",
             "--set", "websocket.permessage-deflate.min-bytes=100",
             "--set", "limits.websocket.max-message-bytes=%d" % LIMIT,
             "--set", "limits.websocket.max-frame-bytes=%d" % LIMIT],
            stdout=log, stderr=log)
    wait_for_port(port, proc)
    return proc, port, admin_port


@pytest.fixture
def deflate_node(tmp_path):
    proc, port, _ = start_deflate_node(tmp_path)
    yield port
    proc.terminate()
    assert proc.wait(timeout=15) == 0


def stomp(command, headers=(), body=b""):
    head = command + "\n" + "".join("%s:%s\n" % pair for pair in headers) + "\n"
    return head.encode() + body + b"\x00"


class RawClient:
    """A WebSocket client written out by hand, so the test sees RSV1 and the deflate bytes."""

    def __init__(self, port, offer="permessage-deflate; client_max_window_bits"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v12.stomp\r\n"
            "Sec-WebSocket-Extensions: %s\r\n\r\n" % (key, offer)).encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(4096)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        self.response = head.decode()
        self.inflater = zlib.decompressobj(-15)

    def send(self, payload, rsv1=False, opcode=1):
        first = 0x80 | (0x40 if rsv1 else 0) | opcode
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", first, 0x80 | length)
        elif length < 65536:
            header = struct.pack("!BBH", first, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", first, 0x80 | 127, length)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _read(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def frame(self):
        first, second = self._read(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read(8))[0]
        return first, self._read(length)

    def message(self):
        """(compressed?, inflated payload) of the next data frame."""
        first, payload = self.frame()
        if first & 0x40:
            return True, self.inflater.decompress(payload + b"\x00\x00\xff\xff")
        return False, payload


def test_websockets_library_negotiates_and_exchanges_compressed_stomp(deflate_node):
    body = ("compressed hello " * 200).encode()
    with connect("ws://127.0.0.1:%d/ws" % deflate_node, subprotocols=["v12.stomp"], compression="deflate") as ws:
        extensions = ws.response.headers["Sec-WebSocket-Extensions"]
        assert extensions.startswith("permessage-deflate")
        assert "server_no_context_takeover" in extensions
        ws.send(stomp("CONNECT", [("accept-version", "1.2"), ("host", "/")]))
        assert str(ws.recv(timeout=10)).startswith("CONNECTED")
        ws.send(stomp("SUBSCRIBE", [("id", "0"), ("destination", "/topic/z"), ("receipt", "r")]))
        assert "RECEIPT" in str(ws.recv(timeout=10))
        # The library compresses what it sends: the node inflates it, and compresses the MESSAGE back.
        ws.send(stomp("SEND", [("destination", "/topic/z")], body))
        message = ws.recv(timeout=10)
        message = message.encode() if isinstance(message, str) else message
        assert message.startswith(b"MESSAGE\n")
        assert message.endswith(body + b"\x00")


def test_large_messages_arrive_with_rsv1_and_inflate_with_python_zlib(deflate_node):
    subscribers = [RawClient(deflate_node) for _ in range(2)]
    for index, client in enumerate(subscribers):
        assert "permessage-deflate; server_no_context_takeover" in client.response
        client.send(stomp("CONNECT", [("accept-version", "1.2"), ("host", "/")]))
        assert client.message()[1].startswith(b"CONNECTED")
        client.send(stomp("SUBSCRIBE", [("id", "sub-%d" % index), ("destination", "/topic/raw"), ("receipt", "r")]))
        assert client.message()[1].startswith(b"RECEIPT")
    body = ("shared tail " * 100).encode()
    subscribers[0].send(stomp("SEND", [("destination", "/topic/raw")], b"tiny"))
    subscribers[0].send(stomp("SEND", [("destination", "/topic/raw")], body))
    for index, client in enumerate(subscribers):
        compressed, small = client.message()
        assert not compressed, "a MESSAGE under min-bytes goes out as is"
        assert small.endswith(b"\n\ntiny\x00")
        compressed, large = client.message()
        assert compressed
        head = large.split(b"\n\n", 1)[0].split(b"\n")
        assert head[0] == b"MESSAGE" and b"subscription:sub-%d" % index in head[1:]
        assert large.endswith(body + b"\x00")


def test_chromium_negotiates_deflate_and_round_trips_a_large_message(tmp_path):
    from browser import Browser, chromium_binary
    binary = chromium_binary()
    if binary is None:
        pytest.fail("chromium is not installed (scripts/setup.sh --with-python installs it)")
    proc, port, admin_port = start_deflate_node(tmp_path)
    browser = Browser(binary)
    try:
        # A page on an allowed origin (http://127.0.0.1:*): the admin listener's health check.
        browser.navigate("http://127.0.0.1:%d/healthz" % admin_port)
        browser.wait_for("document.readyState === 'complete'")
        # Chromium compresses what it sends once deflate is negotiated; the 4,000-byte MESSAGE
        # back is over min-bytes, so the node compresses it and Chromium inflates it.
        result = browser.evaluate("""new Promise((resolve, reject) => {
            const body = "browser deflate ".repeat(250);
            const ws = new WebSocket("ws://127.0.0.1:%d/ws", ["v12.stomp"]);
            ws.onopen = () => {
                ws.send("CONNECT\\naccept-version:1.2\\nhost:/\\n\\n\\0");
                ws.send("SUBSCRIBE\\nid:0\\ndestination:/topic/browser\\nreceipt:r\\n\\n\\0");
            };
            ws.onmessage = event => {
                if (event.data.startsWith("RECEIPT")) ws.send("SEND\\ndestination:/topic/browser\\n\\n" + body + "\\0");
                if (event.data.startsWith("MESSAGE")) {
                    resolve({extensions: ws.extensions, intact: event.data.endsWith("\\n\\n" + body + "\\0")});
                    ws.close();
                }
            };
            ws.onerror = () => reject(new Error("websocket failed"));
            setTimeout(() => reject(new Error("timeout")), 10000);
        })""" % port)
        assert result["extensions"].startswith("permessage-deflate"), result
        assert "server_no_context_takeover" in result["extensions"]
        assert result["intact"], result
    finally:
        browser.close()
        proc.terminate()
        assert proc.wait(timeout=15) == 0


def test_zlib_bomb_closes_with_1009(deflate_node):
    client = RawClient(deflate_node)
    client.send(stomp("CONNECT", [("accept-version", "1.2"), ("host", "/")]))
    assert client.message()[1].startswith(b"CONNECTED")
    squeezer = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = squeezer.compress(b"\x00" * (64 * 1024 * 1024)) + squeezer.flush(zlib.Z_SYNC_FLUSH)
    assert len(bomb) < LIMIT
    client.send(bomb[:-4], rsv1=True, opcode=2)
    first, payload = client.frame()
    assert first & 0x0F == 8
    assert struct.unpack("!H", payload[:2])[0] == 1009


def test_offers_are_ignored_when_the_extension_is_off(node):
    client = RawClient(node.ws_port)
    assert "101" in client.response.split("\r\n")[0]
    assert "Sec-WebSocket-Extensions" not in client.response
