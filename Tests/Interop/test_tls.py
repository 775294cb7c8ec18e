"""TLS on the client listeners, with certificates made by the openssl command line at test time:
wss:// (websocket-client), stomp+ssl (stomp.py), refused certificates, a bad ClientHello counted,
a stalled handshake closed, a certificate reload on SIGHUP while clients stay connected, and a
browser over wss:// trusting the test certificate."""
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
import uuid

import pytest
import stomp
import websocket

from conftest import ROOT, free_port, wait_for_port
from test_stomp_py import Collector, wait_receipt

BINARY = os.environ.get("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


class Authority:
    """A throwaway CA issuing EC certificates into one directory."""

    def __init__(self, directory, name):
        self.directory = directory
        self.name = name
        self.ca = self.path("ca.pem")
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", self.path("ca.key"), "-out", self.ca, "-days", "2", "-subj", "/CN=" + name)

    def path(self, file):
        return str(self.directory / ("%s-%s" % (self.name, file)))

    def issue(self, name, host="localhost", days=2):
        key, csr, cert, ext = (self.path(name + suffix) for suffix in (".key", ".csr", ".pem", ".ext"))
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", csr, "-subj", "/CN=" + host)
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:%s,IP:127.0.0.1\n" % host)
        openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.path("ca.key"), "-CAcreateserial",
                "-out", cert, "-days", str(days), "-extfile", ext)
        return cert, key


class TLSNode:
    def __init__(self, tmp_path, extra=(), cert_dir=None):
        self.dir = tmp_path
        self.authority = Authority(tmp_path, "ca1")
        cert, key = self.authority.issue("server")
        # The node reads these paths; a reload test replaces their contents.
        self.cert, self.key = str(tmp_path / "live.pem"), str(tmp_path / "live.key")
        shutil.copy(cert, self.cert)
        shutil.copy(key, self.key)
        self.ws_port, self.stomp_port, self.admin_port = free_port(), free_port(), free_port()
        self.log_path = tmp_path / "node.log"
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [BINARY, "--port", str(self.ws_port), "--stomp-port", str(self.stomp_port),
                 "--admin-port", str(self.admin_port), "--api-port", "off",
                 "--set", "listen.websocket-tls=true", "--set", "listen.stomp-tls=true",
                 "--set", "tls.cert-file=" + self.cert, "--set", "tls.key-file=" + self.key,
                 "--set", "limits.connect-timeout-ms=600", "--set", "runtime.tick-ms=100", *extra],
                stdout=log, stderr=log)
        wait_for_port(self.ws_port, self.proc)
        wait_for_port(self.stomp_port, self.proc)
        wait_for_port(self.admin_port, self.proc)

    def context(self, ca=None):
        return ssl.create_default_context(cafile=ca or self.authority.ca)

    def metrics(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.admin_port, timeout=5) as response:
            return response.read().decode()

    def log(self):
        return self.log_path.read_text()

    def stop(self):
        self.proc.terminate()
        assert self.proc.wait(timeout=15) == 0


@pytest.fixture
def tls_node(tmp_path):
    node = TLSNode(tmp_path)
    yield node
    node.stop()


def wss(node, ca=None, host="localhost"):
    return websocket.create_connection(
        "wss://%s:%d/ws" % (host, node.ws_port), sslopt={"ca_certs": ca or node.authority.ca},
        subprotocols=["v12.stomp"], timeout=5)


def stomp_ssl(node, ca=None):
    conn = stomp.Connection12([("localhost", node.stomp_port)], heartbeats=(0, 0))
    conn.set_ssl(for_hosts=[("localhost", node.stomp_port)], ca_certs=ca or node.authority.ca)
    listener = Collector()
    conn.set_listener("collector", listener)
    conn.connect(wait=True)
    return conn, listener


def ws_frame(ws):
    while True:
        frame = ws.recv()
        if frame.strip("\n"):  # skip heart-beats
            return frame


def test_wss_and_stomp_over_ssl_exchange_messages(tls_node):
    ws = wss(tls_node)
    ws.send("CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,0\n\n\0")
    assert ws_frame(ws).startswith("CONNECTED\n")
    ws.send("SUBSCRIBE\nid:1\ndestination:/topic/tls\nreceipt:r1\n\n\0")
    assert ws_frame(ws).startswith("RECEIPT\n")
    conn, listener = stomp_ssl(tls_node)
    body = "x" * 70000  # several TLS records
    conn.send("/topic/tls", body)
    message = ws_frame(ws)
    assert message.startswith("MESSAGE\n") and message.endswith(body + "\0")
    rid = str(uuid.uuid4())
    conn.subscribe("/topic/back", id="1", receipt=rid)
    wait_receipt(listener, rid)
    ws.send("SEND\ndestination:/topic/back\n\nhello over wss\0")
    assert listener.messages.get(timeout=5).body == "hello over wss"
    conn.disconnect()
    ws.close()
    assert 'stampede_tls_handshakes_total{listener="websocket",result="completed"}' in tls_node.metrics()


def test_certificates_the_client_cannot_trust_are_refused(tls_node, tmp_path):
    other = Authority(tmp_path, "other")
    with pytest.raises(ssl.SSLCertVerificationError):
        wss(tls_node, ca=other.ca)
    # The right CA but the wrong name.
    context = tls_node.context()
    with socket.create_connection(("127.0.0.1", tls_node.stomp_port), timeout=5) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            context.wrap_socket(raw, server_hostname="wrong.example")


def test_an_expired_certificate_is_refused_by_clients(tmp_path):
    node = TLSNode(tmp_path)
    try:
        cert, key = node.authority.issue("expired", days=0)
        shutil.copy(cert, node.cert)
        shutil.copy(key, node.key)
        node.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while "tls certificate reloaded" not in node.log() and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(1.1)  # notAfter is the issuing second
        with socket.create_connection(("127.0.0.1", node.stomp_port), timeout=5) as raw:
            with pytest.raises(ssl.SSLCertVerificationError) as failure:
                node.context().wrap_socket(raw, server_hostname="localhost")
        assert "expired" in str(failure.value)
    finally:
        node.stop()


def test_a_plaintext_client_hello_is_refused_logged_and_counted(tls_node):
    with socket.create_connection(("127.0.0.1", tls_node.stomp_port), timeout=5) as raw:
        raw.sendall(b"CONNECT\naccept-version:1.2\nhost:/\n\n\0")
        raw.settimeout(5)
        data = raw.recv(4096)
        while data and not data.startswith(b"\x15"):
            data = raw.recv(4096)
        # Nothing but a TLS alert (or nothing at all) comes back, then the close.
        assert b"CONNECTED" not in data
        while raw.recv(4096):
            pass
    assert 'stampede_tls_handshakes_total{listener="stomp",result="failed"} 1' in tls_node.metrics()
    assert "tls handshake failed" in tls_node.log()


def test_a_client_that_stalls_mid_handshake_is_closed_by_the_connect_timeout(tls_node):
    with socket.create_connection(("127.0.0.1", tls_node.ws_port), timeout=5) as raw:
        raw.sendall(b"\x16\x03\x01\x02\x00")  # the start of a ClientHello record, then silence
        started = time.time()
        raw.settimeout(5)
        while raw.recv(4096):
            pass
        assert time.time() - started < 3


def test_sighup_reloads_the_certificate_without_dropping_connections(tls_node, tmp_path):
    conn, listener = stomp_ssl(tls_node)
    rid = str(uuid.uuid4())
    conn.subscribe("/topic/reload", id="1", receipt=rid)
    wait_receipt(listener, rid)

    second = Authority(tmp_path, "ca2")
    cert, key = second.issue("server2")
    shutil.copy(cert, tls_node.cert)
    shutil.copy(key, tls_node.key)
    tls_node.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while 'stampede_tls_reloads_total{result="ok"} 1' not in tls_node.metrics():
        assert time.time() < deadline, "no reload"
        time.sleep(0.05)

    # New connections get the new certificate (and the old CA no longer verifies it) ...
    with pytest.raises(ssl.SSLCertVerificationError):
        wss(tls_node)
    ws = wss(tls_node, ca=second.ca)
    ws.send("CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,0\n\n\0")
    assert ws_frame(ws).startswith("CONNECTED\n")
    # ... while the connection made before the reload goes on.
    ws.send("SEND\ndestination:/topic/reload\n\nafter reload\0")
    assert listener.messages.get(timeout=5).body == "after reload"
    ws.close()
    conn.disconnect()

    # A broken certificate file keeps the previous one.
    with open(tls_node.cert, "w") as f:
        f.write("not a certificate")
    tls_node.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while 'stampede_tls_reloads_total{result="failed"} 1' not in tls_node.metrics():
        assert time.time() < deadline, "no failed reload"
        time.sleep(0.05)
    wss(tls_node, ca=second.ca).close()
    assert "tls certificate reload failed, keeping the previous one" in tls_node.log()


def test_a_node_with_a_missing_certificate_does_not_start(tmp_path):
    result = subprocess.run(
        [BINARY, "--port", "0", "--stomp-port", "off", "--admin-port", "off", "--api-port", "off", "--set", "listen.websocket-tls=true",
         "--set", "tls.cert-file=" + str(tmp_path / "missing.pem"), "--set", "tls.key-file=" + str(tmp_path / "missing.key")],
        capture_output=True, text=True, timeout=15)
    assert result.returncode != 0
    assert "tls.cert-file" in result.stderr and "missing.pem" in result.stderr


def spki_hash(cert):
    """base64(SHA-256(SubjectPublicKeyInfo)): what Chromium's --ignore-certificate-errors-spki-list trusts."""
    public = subprocess.run(["openssl", "x509", "-in", cert, "-pubkey", "-noout"], check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=public, check=True, capture_output=True).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der, check=True, capture_output=True).stdout
    import base64
    return base64.b64encode(digest).decode()


def test_a_browser_loads_the_dashboard_over_https_and_speaks_stomp_over_wss(tmp_path):
    from browser import Browser, chromium_binary
    binary = chromium_binary()
    if binary is None:
        pytest.fail("chromium is not installed (scripts/setup.sh --with-python installs it)")
    node = TLSNode(tmp_path, extra=("--set", "admin.tls=true", "--set", "admin.token=tls-token"))
    browser = Browser(binary, extra_args=("--ignore-certificate-errors-spki-list=" + spki_hash(node.cert),))
    try:
        # The dashboard's CSP allows connections to its own origin only; this test opens a
        # WebSocket to the node's wss:// listener from that page, so it lifts the CSP.
        browser.call(browser.page, "Page.setBypassCSP", enabled=True)
        browser.navigate("https://localhost:%d/dashboard#token=tls-token" % node.admin_port)
        browser.wait_for("document.body && document.body.dataset.loaded === 'true'")
        connected = browser.evaluate("""new Promise((resolve, reject) => {
            const ws = new WebSocket("wss://localhost:%d/ws", ["v12.stomp"]);
            ws.onopen = () => ws.send("CONNECT\\naccept-version:1.2\\nhost:/\\nheart-beat:0,0\\n\\n\\0");
            ws.onmessage = event => { ws.close(); resolve(event.data); };
            ws.onerror = () => reject(new Error("websocket failed"));
            setTimeout(() => reject(new Error("timeout")), 5000);
        })""" % node.ws_port)
        assert connected.startswith("CONNECTED\n")
        browser.screenshot(os.path.join(ROOT, ".build", "test-artifacts", "dashboard-https.png"))
        context = node.context()
        request = urllib.request.Request("https://localhost:%d/metrics" % node.admin_port,
                                         headers={"Authorization": "Bearer tls-token"})
        with urllib.request.urlopen(request, context=context, timeout=5) as response:
            text = response.read().decode()
        assert 'stampede_tls_handshakes_total{listener="admin",result="completed"}' in text
        assert 'stampede_tls_handshakes_total{listener="websocket",result="completed"}' in text
    finally:
        browser.close()
        node.stop()


def test_a_tls_listener_without_a_key_file_does_not_start(tmp_path):
    result = subprocess.run(
        [BINARY, "--port", "0", "--stomp-port", "off", "--admin-port", "off", "--api-port", "off", "--set", "listen.stomp-tls=true"],
        capture_output=True, text=True, timeout=15)
    assert result.returncode != 0
    assert "listen.stomp-tls is on, so tls.cert-file must be set" in result.stderr


def test_stampede_bench_connects_with_tls(tls_node):
    """The benchmark tool's --tls works (a functional check with a few messages, not a measurement)."""
    import json
    bench = os.path.join(os.path.dirname(BINARY), "stampede-bench")
    for transport, port in (("ws", tls_node.ws_port), ("tcp", tls_node.stomp_port)):
        result = subprocess.run(
            [bench, "fanout", "--tls", "--transport", transport, "--port", str(port), "--subscribers", "3",
             "--rate", "20", "--max-messages", "10", "--duration", "5", "--json"],
            capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["lost"] == 0 and report["sent"] == 10, report
