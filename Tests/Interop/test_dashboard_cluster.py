"""The dashboard of one node lists and disconnects a session held by another node of the cluster
(through that node's control channel, as the server API does), in headless Chromium."""
import json
import os
import subprocess
import time
import urllib.request

import pytest

from browser import Browser, chromium_binary
from conftest import ROOT, free_port, wait_for_port
from stomp_clients import connect
from test_dashboard import ARTEFACTS, BINARY, TOKEN


class TwoNodes:
    def __init__(self, tmp_path):
        self.redis_port = free_port()
        self.redis = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port), "--save", "", "--appendonly", "no"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.redis_port, self.redis)
        self.nodes = []
        for name in ("node1", "node2"):
            ws_port, stomp_port, admin_port = free_port(), free_port(), free_port()
            log_path = tmp_path / (name + ".log")
            with open(log_path, "w") as log:
                proc = subprocess.Popen([BINARY, "--redis", "redis://127.0.0.1:%d" % self.redis_port, "--node-id", name,
                                         "--port", str(ws_port), "--stomp-port", str(stomp_port), "--admin-port", str(admin_port),
                                         "--api-port", "off", "--set", "admin.token=" + TOKEN, "--set", "cluster.heartbeat-ms=200"],
                                        stdout=log, stderr=log)
            self.nodes.append({"proc": proc, "ws_port": ws_port, "stomp_port": stomp_port, "admin_port": admin_port, "log": log_path})
        for node in self.nodes:
            wait_for_port(node["stomp_port"], node["proc"])
            wait_for_port(node["admin_port"], node["proc"])

    def sessions(self, index):
        request = urllib.request.Request("http://127.0.0.1:%d/admin/sessions" % self.nodes[index]["admin_port"],
                                         headers={"Authorization": "Bearer " + TOKEN})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())["sessions"]

    def stop(self):
        for node in self.nodes:
            node["proc"].terminate()
        for node in self.nodes:
            assert node["proc"].wait(timeout=15) == 0
        self.redis.terminate()
        self.redis.wait(timeout=10)


@pytest.fixture
def cluster(tmp_path):
    nodes = TwoNodes(tmp_path)
    yield nodes
    nodes.stop()


def test_a_session_on_another_node_is_listed_and_disconnected_from_this_nodes_dashboard(cluster):
    node2 = cluster.nodes[1]
    conn, listener = connect(type("N", (), {"stomp_port": node2["stomp_port"]}), "alice")
    deadline = time.time() + 10
    while not any(s["node"] == "node2" and s["user"] == "alice" for s in cluster.sessions(0)):
        assert time.time() < deadline, "node1 never listed node2's session"
        time.sleep(0.1)
    remote = next(s for s in cluster.sessions(0) if s["node"] == "node2")
    assert remote["id"].startswith("node2/") and remote["transport"] == "stomp" and remote["state"] == "connected"

    binary = chromium_binary()
    if binary is None:
        pytest.fail("chromium is not installed (scripts/setup.sh --with-python installs it)")
    browser = Browser(binary)
    try:
        browser.navigate("http://127.0.0.1:%d/dashboard#token=%s" % (cluster.nodes[0]["admin_port"], TOKEN))
        browser.wait_for("document.querySelector('#sessions tbody').innerText.includes('node2')")
        browser.screenshot(os.path.join(ARTEFACTS, "dashboard-cluster-sessions.png"))
        browser.evaluate("""window.confirm = () => true;
            document.querySelector('#sessions tr[data-session="%s"] button.disconnect').click(); true""" % remote["id"])
        assert listener.disconnected.wait(10), "node2's session was not disconnected"
        assert listener.errors.get(timeout=5).headers["message"] == "disconnected by an administrator"
        browser.wait_for("!document.querySelector('#sessions tbody').innerText.includes('node2/')")
    finally:
        browser.close()
    assert "session disconnected by an administrator" in node2["log"].read_text()
