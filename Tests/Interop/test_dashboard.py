"""The admin dashboard in a real headless Chromium against a real node: it renders the node, a
destination, an online user and the sessions, draws the chart, and disconnects a session."""
import os
import subprocess
import time
import uuid

import pytest
import stomp

from browser import Browser, chromium_binary
from conftest import ROOT, free_port, wait_for_port
from test_stomp_py import Collector

BINARY = os.environ.get("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))
ARTEFACTS = os.path.join(ROOT, ".build", "test-artifacts")
TOKEN = "dashboard-test-token"


@pytest.fixture
def admin_node(tmp_path):
    ws_port, stomp_port, admin_port = free_port(), free_port(), free_port()
    log_path = tmp_path / "node.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [BINARY, "--port", str(ws_port), "--stomp-port", str(stomp_port), "--admin-port", str(admin_port), "--api-port", "off",
             "--node-id", "dash-node", "--set", "admin.token=" + TOKEN, "--set", "auth.users=alice:secret",
             "--set", "cluster.heartbeat-ms=200"],
            stdout=log, stderr=log)
    try:
        wait_for_port(ws_port, proc)
        wait_for_port(admin_port, proc)
        yield ws_port, admin_port, log_path
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0


@pytest.fixture
def browser():
    binary = chromium_binary()
    if binary is None:
        pytest.fail("chromium is not installed (scripts/setup.sh --with-python installs it)")
    instance = Browser(binary)
    yield instance
    instance.close()


def rows_text(browser, table):
    return browser.evaluate(
        "Array.from(document.querySelectorAll('#%s tbody tr')).map(r => r.innerText).join('\\n')" % table)


def test_dashboard_shows_the_cluster_and_disconnects_a_session(admin_node, browser):
    ws_port, admin_port, log_path = admin_node
    conn = stomp.WSStompConnection([("127.0.0.1", ws_port)], ws_path="/ws")
    listener = Collector()
    conn.set_listener("collector", listener)
    conn.connect("alice", "secret", wait=True)
    receipt = str(uuid.uuid4())
    conn.subscribe("/topic/dashboard.prices", id="1", receipt=receipt)
    for i in range(20):
        conn.send("/topic/dashboard.prices", "tick %d" % i)

    browser.navigate("http://127.0.0.1:%d/dashboard#token=%s" % (admin_port, TOKEN))
    browser.wait_for("document.body.dataset.loaded === 'true'")
    # The token left the address bar at once (it is kept in sessionStorage).
    assert TOKEN not in browser.evaluate("location.href")
    browser.wait_for("document.querySelector('#destinations tbody').innerText.includes('/topic/dashboard.prices')")
    nodes = rows_text(browser, "nodes")
    assert "dash-node" in nodes and "up" in nodes and "standalone" in nodes
    browser.wait_for("document.querySelector('#users tbody').innerText.includes('alice')")
    sessions = rows_text(browser, "sessions")
    assert "alice" in sessions and "websocket" in sessions
    # The chart has its two series once a few heartbeats were sampled.
    browser.wait_for("document.querySelectorAll('#chart polyline').length === 2")
    browser.screenshot(os.path.join(ARTEFACTS, "dashboard.png"))

    # Disconnect alice's session from the page (the confirmation is accepted).
    browser.evaluate("window.confirm = () => true; document.querySelector('#sessions button.disconnect').click(); true")
    assert listener.disconnected.wait(10), "the session was not disconnected"
    error = listener.errors.get(timeout=5)
    assert error.headers.get("message") == "disconnected by an administrator"
    browser.wait_for("document.querySelector('#sessions tbody').innerText.includes('no sessions')")
    browser.screenshot(os.path.join(ARTEFACTS, "dashboard-after-disconnect.png"))
    log = log_path.read_text()
    assert "session disconnected by an administrator" in log and TOKEN not in log


def test_dashboard_without_a_token_asks_for_one(admin_node, browser):
    _, admin_port, _ = admin_node
    browser.navigate("http://127.0.0.1:%d/dashboard" % admin_port)
    browser.wait_for("document.getElementById('status').textContent.includes('enter the admin token')")
    assert browser.evaluate("document.querySelectorAll('#sessions tbody tr').length") == 0
