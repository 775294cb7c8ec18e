"""The customer-service chat of the seed document without Spring, on a three-node cluster:
examples/customer-service/backend.py (a Python STOMP service) on node 3, a customer on node 1
(two tabs: node 1 and node 2), an agent on node 2."""
import json
import os
import queue
import subprocess
import sys

import pytest

from app_cluster import Cluster
from conftest import ROOT
import stomp_clients
from stomp_clients import get, subscribe
from test_stomp_py import wait_receipt


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = Cluster(tmp_path_factory.mktemp("support"), settings=["applications.service-users=support-backend"])
    backend = subprocess.Popen([sys.executable, os.path.join(ROOT, "examples", "customer-service", "backend.py"),
                                str(running.node(3).stomp_port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert backend.stdout.readline().strip() == "backend ready"
        yield running
    finally:
        backend.terminate()
        backend.wait(timeout=10)
        running.stop()


def connect(node, login, ws=False):
    """A client of `node` subscribed to its user's inbox, where the backend writes."""
    conn, listener = stomp_clients.connect(node, login, ws=ws)
    subscribe(conn, listener, "/user/queue/messages", "inbox")
    return conn, listener


def next_json(listener, timeout=5):
    return json.loads(get(listener.messages, timeout).body)


def test_a_customer_without_an_agent_waits_and_the_next_agent_gets_the_conversation(cluster):
    # Runs first: no agent is online yet.
    carol, lc = connect(cluster.node(1), "carol")
    carol.send("/app/chat.send", json.dumps({"text": "hello?", "cid": "w1"}))
    assert next_json(lc) == {"from": "system", "text": "waiting for an agent"}
    assert next_json(lc) == {"from": "carol", "to": None, "text": "hello?", "cid": "w1"}
    dave, ld = connect(cluster.node(3), "agent-dave")
    dave.send("/app/agent.online", "{}")
    assert next_json(lc) == {"from": "system", "text": "agent-dave will help you"}
    received = [next_json(ld), next_json(ld), next_json(ld)]
    assert {"from": "carol", "to": "agent-dave", "text": "hello?", "cid": "w1"} in received
    assert {"from": "system", "text": "online"} in received
    # This cluster watches no presence destinations: the backend has not seen carol join.
    assert {"from": "system", "presence": {"carol": False}} in received


def test_customer_and_agent_chat_through_the_backend_across_nodes(cluster):
    agent, la = connect(cluster.node(2), "agent-bob", ws=True)
    agent.send("/app/agent.online", "{}")
    assert next_json(la) == {"from": "system", "text": "online"}

    tab1, l1 = connect(cluster.node(1), "alice", ws=True)
    tab2, l2 = connect(cluster.node(2), "alice")
    tab1.send("/app/chat.send", json.dumps({"text": "my order is late", "cid": "c1"}))
    for listener in (l1, l2):
        assert next_json(listener) == {"from": "system", "text": "agent-bob will help you"}
        # Every tab of the sender sees the line too, with the sender's own id for de-duplication.
        assert next_json(listener) == {"from": "alice", "to": "agent-bob", "text": "my order is late", "cid": "c1"}
    assert next_json(la) == {"from": "system", "presence": {"alice": False}}
    assert next_json(la) == {"from": "alice", "to": "agent-bob", "text": "my order is late", "cid": "c1"}

    agent.send("/app/chat.typing", json.dumps({"to": "alice"}))
    for listener in (l1, l2):
        assert next_json(listener) == {"from": "agent-bob", "typing": True}
    agent.send("/app/chat.reply", json.dumps({"to": "alice", "text": "on its way"}))
    for listener in (l1, l2):
        assert next_json(listener) == {"from": "agent-bob", "to": "alice", "text": "on its way"}
    assert next_json(la) == {"from": "agent-bob", "to": "alice", "text": "on its way"}

    tab2.subscribe("/app/chat.history", id="history", headers={"receipt": "h"})
    wait_receipt(l2, "h")
    history = l2.messages.get(timeout=5)
    assert history.headers["subscription"] == "history"
    assert [m["text"] for m in json.loads(history.body)] == ["my order is late", "on its way"]


def test_errors_go_only_to_the_session_that_caused_them(cluster):
    mallory1, l1 = connect(cluster.node(1), "agent-mallory")
    mallory2, l2 = connect(cluster.node(3), "agent-mallory")
    mallory1.send("/app/chat.reply", json.dumps({"to": "alice", "text": "hi"}))
    assert next_json(l1) == {"from": "system", "error": "alice is not your customer"}
    with pytest.raises(queue.Empty):
        l2.messages.get(timeout=0.5)
