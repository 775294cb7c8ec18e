"""TLS per listener: an endpoint on a port of its own with TLS next to a plain endpoint on the
shared WebSocket listener, and the server HTTP API over https (api.tls)."""
import json
import socket
import ssl
import subprocess
import urllib.error
import urllib.request

import pytest
import websocket

from conftest import free_port, wait_for_port
from test_tls import BINARY, Authority, ws_frame


@pytest.fixture
def mixed_node(tmp_path):
    authority = Authority(tmp_path, "ca")
    cert, key = authority.issue("server")
    ports = {name: free_port() for name in ("ws", "secure", "api", "admin")}
    config = tmp_path / "stampede.yml"
    config.write_text(f"""
listen:
  endpoints:
    secure: "path=/ws/secure port={ports['secure']} tls=on"
    plain: "path=/ws/plain"
tls:
  cert-file: "{cert}"
  key-file: "{key}"
api:
  tls: true
""")
    log_path = tmp_path / "node.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([BINARY, "--config", str(config), "--port", str(ports["ws"]), "--stomp-port", "off",
                                 "--api-port", str(ports["api"]), "--admin-port", str(ports["admin"])], stdout=log, stderr=log)
    try:
        for port in ports.values():
            wait_for_port(port, proc)
        yield ports, authority, log_path
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0


def connected(url, **options):
    ws = websocket.create_connection(url, subprotocols=["v12.stomp"], timeout=5, **options)
    ws.send("CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,0\n\n\0")
    frame = ws_frame(ws)
    ws.close()
    return frame.startswith("CONNECTED\n")


def test_one_endpoint_serves_wss_on_its_own_port_while_another_stays_plain(mixed_node):
    ports, authority, log_path = mixed_node
    assert connected("wss://localhost:%d/ws/secure" % ports["secure"], sslopt={"ca_certs": authority.ca})
    assert connected("ws://127.0.0.1:%d/ws/plain" % ports["ws"])
    # The TLS endpoint is not reachable in plain text: not on its port (no TLS handshake), and
    # not by its path on the shared listener.
    with pytest.raises((websocket.WebSocketException, ConnectionError, OSError)):
        websocket.create_connection("ws://127.0.0.1:%d/ws/secure" % ports["secure"], timeout=5)
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection("ws://127.0.0.1:%d/ws/secure" % ports["ws"], timeout=5)
    assert refused.value.status_code == 404
    # Nor does the TLS port serve the plain endpoint's path.
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection("wss://localhost:%d/ws/plain" % ports["secure"], sslopt={"ca_certs": authority.ca}, timeout=5)
    assert refused.value.status_code == 404
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % ports["admin"], timeout=5) as response:
        metrics = response.read().decode()
    assert 'stampede_tls_handshakes_total{listener="endpoint:secure",result="completed"} 2' in metrics
    log = log_path.read_text()
    assert "wss://127.0.0.1:%d/ws/secure" % ports["secure"] in log and "ws://127.0.0.1:%d/ws/plain" % ports["ws"] in log


def test_the_server_api_answers_over_https(mixed_node):
    ports, authority, _ = mixed_node
    context = ssl.create_default_context(cafile=authority.ca)
    with urllib.request.urlopen("https://localhost:%d/api/status" % ports["api"], context=context, timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read())["online_count"] == 0
    request = urllib.request.Request("https://localhost:%d/api/publish" % ports["api"], method="POST",
                                     data=json.dumps({"destination": "/topic/x", "body": "hi"}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=context, timeout=5) as response:
        assert response.status == 200
    # Plain HTTP on the API port gets no answer, only the close.
    with socket.create_connection(("127.0.0.1", ports["api"]), timeout=5) as raw:
        raw.sendall(b"GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n")
        data = raw.recv(4096)
        while data and not data.startswith(b"\x15"):
            data = raw.recv(4096)
        assert b"HTTP/1.1" not in data
