"""stomp.py through haproxy against the local three-node cluster of scripts/cluster.sh."""
import json
import os
import queue
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import ROOT
from stomp_clients import connect_port, subscribe

HAPROXY_WS, HAPROXY_STOMP = 15674, 61613
NODE_STOMP = {1: 61621, 2: 61622, 3: 61623}
NODE_ADMIN = {1: 15691, 2: 15692, 3: 15693}


def cluster(*args):
    env = dict(os.environ)
    env.setdefault("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))
    return subprocess.run([os.path.join(ROOT, "scripts", "cluster.sh"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def up():
    started = cluster("up")
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield
    finally:
        stopped = cluster("down")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr


def connect(port, ws=False, login=None):
    return connect_port(port, login or "guest", ws=ws)


def admin(node, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (NODE_ADMIN[node], path), timeout=5) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return {}
        raise


def test_status_shows_three_nodes(up):
    deadline = time.time() + 10
    while time.time() < deadline and len(admin(1, "/admin/cluster")["nodes"]) < 3:
        time.sleep(0.2)
    ids = [n["id"] for n in admin(1, "/admin/cluster")["nodes"]]
    assert ids == ["node1", "node2", "node3"]
    status = cluster("status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "node2" in status.stdout


def test_topic_across_nodes_through_haproxy(up):
    dest = "/topic/ha." + uuid.uuid4().hex
    subs = []
    for node in (1, 2, 3):
        conn, got = connect(NODE_STOMP[node])
        subscribe(conn, got, dest, "s%d" % node)
        subs.append((conn, got))
    pub, _ = connect(HAPROXY_WS, ws=True)
    pub.send(dest, "through haproxy")
    for conn, got in subs:
        assert got.messages.get(timeout=5).body == "through haproxy"
        conn.disconnect()
    pub.disconnect()


def test_queue_each_message_once_across_nodes(up):
    dest = "/queue/ha." + uuid.uuid4().hex
    consumers = []
    for node in (1, 2, 3):
        conn, got = connect(NODE_STOMP[node])
        subscribe(conn, got, dest, "c%d" % node)
        consumers.append((conn, got))
    producer, _ = connect(HAPROXY_STOMP)
    for i in range(30):
        producer.send(dest, "job-%d" % i)
    received = []
    deadline = time.time() + 10
    while len(received) < 30 and time.time() < deadline:
        for _, got in consumers:
            try:
                received.append(got.messages.get(timeout=0.05).body)
            except queue.Empty:
                pass
    assert sorted(received) == sorted("job-%d" % i for i in range(30))
    for conn, _ in consumers:
        conn.disconnect()
    producer.disconnect()


def test_user_destination_across_nodes_through_haproxy(up):
    alice_a, got_a = connect(NODE_STOMP[2], login="alice")
    alice_b, got_b = connect(HAPROXY_WS, ws=True, login="alice")
    bob, got_bob = connect(NODE_STOMP[3], login="bob")
    subscribe(alice_a, got_a, "/user/queue/inbox", "a")
    subscribe(alice_b, got_b, "/user/queue/inbox", "b")
    subscribe(bob, got_bob, "/user/queue/inbox", "c")
    sender, _ = connect(NODE_STOMP[1], login="support")
    sender.send("/user/alice/queue/inbox", "hi alice")
    assert got_a.messages.get(timeout=5).body == "hi alice"
    assert got_b.messages.get(timeout=5).body == "hi alice"
    with pytest.raises(queue.Empty):
        got_bob.messages.get(timeout=0.5)
    deadline = time.time() + 5  # node reports refresh once per heartbeat
    while time.time() < deadline and admin(1, "/admin/users/alice").get("sessions", 0) < 2:
        time.sleep(0.2)
    users = admin(1, "/admin/users/alice")
    assert users["sessions"] >= 2
    for c in (alice_a, alice_b, bob, sender):
        c.disconnect()
