"""Offline user messages with stomp.py (a client nobody here wrote) on a two-node Redis cluster:
sent over TCP via node 1 while bob is away, read over WebSocket on node 2 with client acks,
retries deduplicated, the un-ACKed one kept for his next session."""
import queue
import time

import pytest

from app_cluster import Cluster
from stomp_clients import connect, get, subscribe
from test_stomp_py import wait_receipt

INBOX = "/user/bob/queue/inbox"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = Cluster(tmp_path_factory.mktemp("offline"), count=2, settings=["offline.prefixes=/user/*/queue/inbox"])
    try:
        deadline = time.time() + 10
        while not all("cluster link up" in node.log() for node in running.nodes):
            assert time.time() < deadline, "nodes did not reach Redis"
            time.sleep(0.05)
        yield running
    finally:
        running.stop()


def test_kept_messages_reach_the_user_on_another_node_in_order_then_live_ones(cluster):
    alice, alice_events = connect(cluster.node(1), "alice")
    for i in range(3):
        alice.send(INBOX, "kept %d" % i, headers={"message-dedup-id": "a-%d" % i, "receipt": "k%d" % i})
        wait_receipt(alice_events, "k%d" % i)
    alice.send(INBOX, "a retry", headers={"message-dedup-id": "a-0", "receipt": "retry"})
    wait_receipt(alice_events, "retry")

    bob, bob_events = connect(cluster.node(2), "bob", ws=True)
    subscribe(bob, bob_events, "/user/queue/inbox", "in", ack="client-individual")
    frames = [get(bob_events.messages) for _ in range(3)]
    assert [f.body for f in frames] == ["kept 0", "kept 1", "kept 2"]
    assert all(f.headers["destination"] == "/user/queue/inbox" for f in frames)
    alice.send(INBOX, "live")
    assert get(bob_events.messages).body == "live"

    for f in frames[:2]:
        bob.ack(f.headers["ack"])
    bob.disconnect()

    again, again_events = connect(cluster.node(1), "bob")
    subscribe(again, again_events, "/user/queue/inbox", "in", ack="client-individual")
    assert get(again_events.messages).body == "kept 2", "the un-ACKed kept message waits for the next session"
    with pytest.raises(queue.Empty):
        again_events.messages.get(timeout=0.3)  # "live" was delivered live: not kept (at-most-once)
    again.disconnect()
    alice.disconnect()
