"""SockJS without sticky sessions: three nodes sharing redis-server. One session's requests go to
every node in turn, by hand and through HAProxy balancing round-robin with no persistence, with
sockjs-client in Node.js; a node that dies takes its sessions with it and the client is told."""
import json
import os
import subprocess
import time

import pytest
import stomp

from app_cluster import Cluster
from conftest import free_port, wait_for_port
from sockjs_http import SockJSHTTP, Streaming, messages, new_session, stomp_frame
from test_sockjs import BROWSER_CLIENT, NODE_CLIENT, SOCKJS_CLIENT, pages  # noqa: F401 (pages is a fixture)
from test_stomp_py import Collector

SETTINGS = ["listen.sockjs=true", "sockjs.heartbeat-ms=1000", "sockjs.disconnect-delay-ms=3000", "runtime.tick-ms=100",
            "cluster.heartbeat-ms=200", "cluster.node-timeout-ms=1000"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = Cluster(tmp_path_factory.mktemp("sockjs-cluster"), count=3, settings=SETTINGS)
    try:
        yield running
    finally:
        running.stop()


def clients(cluster):
    return [SockJSHTTP(node.ws_port, "/ws") for node in cluster.nodes]


def connected_lines(node):
    return [line for line in node.log().splitlines() if "session connected" in line and "transport=sockjs" in line]


def test_one_session_answered_by_whichever_node_a_request_reaches(cluster):
    one, two, three = clients(cluster)
    session = new_session()
    assert one.poll(session) == "o"
    assert two.send(session, stomp_frame("CONNECT", {"accept-version": "1.2", "host": "/", "login": "lena", "passcode": "x"}))[0] == 204
    assert messages(three.poll(session))[0].startswith("CONNECTED\n")
    assert three.send(session, stomp_frame("SUBSCRIBE", {"id": "s", "destination": "/topic/sockjs.cluster", "receipt": "r"}))[0] == 204
    assert messages(two.poll(session))[0].startswith("RECEIPT\n")
    publisher = stomp.Connection12([("127.0.0.1", cluster.node(3).stomp_port)])
    publisher.set_listener("c", Collector())
    publisher.connect("mike", "x", wait=True)
    try:
        publisher.send("/topic/sockjs.cluster", "to the session on node1")
        frame = two.poll(session)
        assert messages(frame)[0].endswith("to the session on node1\x00"), frame
    finally:
        publisher.disconnect()
    stream = Streaming(three, session)
    try:
        assert one.send(session, stomp_frame("SEND", {"destination": "/topic/sockjs.cluster"}, "streamed back via node3")) == (204, b"")
        delivered = messages(stream.next())[0]
        assert delivered.endswith("streamed back via node3\x00"), delivered
    finally:
        stream.close()
    assert any("user=lena" in line for line in connected_lines(cluster.node(1))), "the session lives on node1, where it opened"
    assert not any("user=lena" in line for line in connected_lines(cluster.node(2)) + connected_lines(cluster.node(3)))
    assert two.send("never-opened", "x")[0] == 404


def haproxy_config(cluster, port):
    servers = "\n".join("    server %s 127.0.0.1:%d" % (node.name, node.ws_port) for node in cluster.nodes)
    return f"""
global
    log stdout format raw local0 info
defaults
    mode http
    log global
    option httplog
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout tunnel 1h
frontend fe
    bind 127.0.0.1:{port}
    default_backend be
backend be
    balance roundrobin
{servers}
"""


@pytest.fixture(scope="module")
def haproxy(cluster, tmp_path_factory):
    port = free_port()
    config = tmp_path_factory.mktemp("haproxy") / "haproxy.cfg"
    config.write_text(haproxy_config(cluster, port))
    log_path = config.parent / "haproxy.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(["haproxy", "-db", "-f", str(config)], stdout=log, stderr=log)
    try:
        wait_for_port(port, proc)
        yield port, log_path
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("transport", ["xhr-polling", "xhr-streaming"])
def test_sockjs_client_through_round_robin_haproxy(cluster, haproxy, transport, tmp_path):
    port, log_path = haproxy
    script = tmp_path / "client.js"
    script.write_text(NODE_CLIENT)
    env = dict(os.environ, NODE_PATH="/usr/share/nodejs", SOCKJS_CLIENT="sockjs-client", URL="http://127.0.0.1:%d/ws" % port)
    out = subprocess.run(["node", str(script), transport], env=env, capture_output=True, text=True, timeout=40)
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert lines and lines[0] == {"transport": transport, "body": "over " + transport}, (out.stdout, out.stderr)
    # The session's requests really were spread over the nodes.
    served = {line.split()[3].split("/")[1] for line in open(log_path) if "/ws/" in line and "/xhr" in line}
    assert len(served) >= 2, "haproxy sent every request to one node: %s" % served


def test_chromium_with_only_xhr_chats_across_the_cluster_through_round_robin_haproxy(cluster, haproxy, pages):
    """The issue's "done when": a browser without WebSocket, its requests spread over three nodes."""
    from browser import Browser, chromium_binary
    binary = chromium_binary()
    assert binary, "chromium is not installed (scripts/setup.sh --with-python installs it)"
    port, log_path = haproxy
    before = sum(1 for _ in open(log_path))
    browser = Browser(binary)
    try:
        browser.navigate(pages + "/index.html")
        browser.wait_for("typeof SockJS === 'function'")
        browser.evaluate("delete window.WebSocket; window.WebSocket = undefined; true")
        url = json.dumps("http://127.0.0.1:%d/ws" % port)
        for transport in ["xhr-streaming", "xhr-polling"]:
            result = browser.evaluate(BROWSER_CLIENT % (json.dumps(transport), url))
            assert result == {"transport": transport, "body": "via " + transport}, result
    finally:
        browser.close()
    lines = list(open(log_path))[before:]
    served = {line.split()[3].split("/")[1] for line in lines if "/ws/" in line and "/xhr" in line}
    assert len(served) >= 2, "haproxy sent every request to one node: %s" % served


# Last: it kills node2, which the HAProxy tests above balance over.
def test_a_session_whose_node_dies_is_reported_lost_to_the_client(cluster):
    one, two, _ = clients(cluster)
    session = new_session()
    assert two.poll(session) == "o"  # opened on node2
    two.send(session, stomp_frame("CONNECT", {"accept-version": "1.2", "host": "/", "login": "nina", "passcode": "x"}))
    assert messages(one.poll(session))[0].startswith("CONNECTED\n")
    cluster.node(2).kill9()
    started = time.time()
    assert one.poll(session, timeout=15) == "o", "a new session opens where the client came back (sockjs-client closes the old one)"
    assert time.time() - started < 10
    assert one.send(session, stomp_frame("CONNECT", {"accept-version": "1.2", "host": "/", "login": "nina", "passcode": "x"}))[0] == 204
