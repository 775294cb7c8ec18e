"""/app destinations across a three-node cluster: a Python (stomp.py) backend service on node 3
answers clients on node 1 and 2, to the sender's session only, to the user, to a topic and to a
@SubscribeMapping subscription."""
import json
import queue
import time
import uuid

import pytest
import stomp

from app_cluster import Cluster
from stomp_clients import connect, subscribe
from test_stomp_py import Collector, wait_receipt


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = Cluster(tmp_path_factory.mktemp("apps"), settings=[
        "applications.service-users=svc", "applications.routes=/app/jobs.**:stomp-service",
        "cluster.heartbeat-ms=200", "cluster.node-timeout-ms=1000", "presence.destinations=/topic/room.*"])
    try:
        yield running
    finally:
        running.stop()


def message(listener, timeout=5):
    try:
        return listener.messages.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError("no message within %ss" % timeout)


def nothing(listener, within=0.5):
    try:
        frame = listener.messages.get(timeout=within)
    except queue.Empty:
        return True
    raise AssertionError("unexpected message %r" % frame.body)


class Worker(stomp.ConnectionListener):
    """The backend: consumes /app calls (client-individual acks) and answers as the body asks."""

    def __init__(self, conn, topic):
        self.conn, self.topic, self.calls = conn, topic, queue.Queue()

    def on_message(self, frame):
        h = frame.headers
        self.calls.put(frame)
        user, session = h["app-user"], h["app-session"]
        if h["app-kind"] == "subscribe":
            self.conn.send("/user/%s/queue/answers" % user, "rooms: 1, 2",
                           headers={"reply-to-session": session, "reply-subscription": h["app-subscription"]})
        elif frame.body == "to-session":
            self.conn.send("/user/%s/queue/replies" % user, "just you", headers={"reply-to-session": session})
        elif frame.body == "to-user":
            self.conn.send("/user/%s/queue/replies" % user, "all of you")
        elif frame.body == "to-topic":
            self.conn.send(self.topic, "%s said hi" % user)
        self.conn.ack(h["ack"])


@pytest.fixture(scope="module")
def worker(cluster):
    conn = stomp.Connection12([("127.0.0.1", cluster.node(3).stomp_port)])
    topic = "/topic/app." + uuid.uuid4().hex
    listener = Collector()
    work = Worker(conn, topic)
    conn.set_listener("c", listener)
    conn.set_listener("worker", work)
    conn.connect("svc", "x", wait=True)
    subscribe(conn, listener, "/app/**", "calls", ack="client-individual")
    yield work
    conn.disconnect()


def test_service_on_node3_replies_to_the_senders_session_on_node1_only(cluster, worker):
    alice1, l1 = connect(cluster.node(1), "alice", ws=True)
    alice2, l2 = connect(cluster.node(2), "alice")
    for conn, listener, sid in ((alice1, l1, "a1"), (alice2, l2, "a2")):
        subscribe(conn, listener, "/user/queue/replies", sid)
    alice1.send("/app/ask", "to-session", headers={"receipt": "s1"})
    wait_receipt(l1, "s1")
    call = worker.calls.get(timeout=5)
    assert call.headers["app-user"] == "alice"
    assert call.headers["app-node"] == "node1"
    assert call.headers["app-session"].startswith("node1/")
    assert call.headers["app-endpoint"] == "websocket"
    assert call.headers["destination"] == "/app/ask"
    reply = message(l1)
    assert reply.body == "just you"
    assert "reply-to-session" not in reply.headers
    nothing(l2)

    alice1.send("/app/ask", "to-user")
    assert message(l1).body == "all of you"
    assert message(l2).body == "all of you"
    alice1.disconnect()
    alice2.disconnect()


def test_service_replies_to_a_topic_across_nodes(cluster, worker):
    watcher, lw = connect(cluster.node(2), "bob")
    subscribe(watcher, lw, worker.topic, "t")
    carol, lc = connect(cluster.node(1), "carol")
    carol.send("/app/chat.say", "to-topic")
    assert message(lw).body == "carol said hi"
    watcher.disconnect()
    carol.disconnect()


def test_subscribe_mapping_answer_reaches_only_that_subscription(cluster, worker):
    dave, ld = connect(cluster.node(1), "dave")
    subscribe(dave, ld, "/user/queue/answers", "inbox")
    subscribe(dave, ld, "/app/rooms.list", "rooms")
    answer = message(ld)
    assert answer.headers["subscription"] == "rooms"
    assert answer.headers["destination"] == "/app/rooms.list"
    assert answer.body == "rooms: 1, 2"
    nothing(ld)
    dave.disconnect()


def test_subscribe_mapping_works_for_a_user_whose_channel_is_new_on_the_node(cluster, worker):
    heidi, lh = connect(cluster.node(2), "heidi")
    subscribe(heidi, lh, "/app/rooms.list", "rooms")
    answer = message(lh)
    assert answer.headers["subscription"] == "rooms"
    assert answer.body == "rooms: 1, 2"
    heidi.disconnect()


def test_a_client_cannot_pose_as_a_service(cluster, worker):
    mallory, lm = connect(cluster.node(1), "mallory")
    mallory.send("/user/alice/queue/replies", "x", headers={"reply-to-session": "node1/1", "receipt": "m"})
    error = lm.errors.get(timeout=5)
    assert error.headers["message"] == "reply-to-session and reply-subscription may only be sent by a backend service"
    assert error.headers["receipt-id"] == "m"


def test_each_call_reaches_exactly_one_of_several_services_cluster_wide(cluster, worker):
    others = []
    for number in (1, 2):
        conn, listener = connect(cluster.node(number), "svc")
        subscribe(conn, listener, "/app/**", "calls")
        others.append((conn, listener))
    while not worker.calls.empty():
        worker.calls.get()  # calls of earlier tests
    erin, le = connect(cluster.node(1), "erin")
    for index in range(30):
        erin.send("/app/count", "n%d" % index)
    seen = []
    deadline = time.time() + 10
    while len(seen) < 30 and time.time() < deadline:
        for source in [worker.calls] + [listener.messages for _, listener in others]:
            try:
                seen.append(source.get(timeout=0.05).body)
            except queue.Empty:
                pass
    assert sorted(seen) == sorted("n%d" % index for index in range(30))
    for conn, _ in others:
        conn.disconnect()
    erin.disconnect()


def test_a_call_taken_by_a_service_on_a_node_that_dies_is_redelivered_and_its_users_leave(cluster, worker):
    """Runs last: it kills node 2. Presence after kill -9 is stale for at most
    cluster.node-timeout-ms + cluster.heartbeat-ms (+ a few Redis round trips)."""
    observer, lo = connect(cluster.node(1), "watch")
    subscribe(observer, lo, "/topic/room.lobby.presence", "who")
    gina, lg = connect(cluster.node(2), "gina")
    subscribe(gina, lg, "/topic/room.lobby", "lobby")
    joined = message(lo)
    assert joined.headers["presence-event"] == "join"
    assert json.loads(joined.body) == {"event": "join", "user": "gina", "destination": "/topic/room.lobby"}
    doomed, ld = connect(cluster.node(2), "svc")
    subscribe(doomed, ld, "/app/jobs.**", "jobs", ack="client-individual")
    frank, lf = connect(cluster.node(1), "frank")
    frank.send("/app/jobs.resize", "picture-1", headers={"receipt": "j"})
    wait_receipt(lf, "j")
    taken = message(ld)
    assert taken.body == "picture-1"
    survivor, ls = connect(cluster.node(3), "svc")
    subscribe(survivor, ls, "/app/jobs.**", "jobs", ack="client-individual")
    cluster.node(2).kill9()
    killed_at = time.time()
    left = message(lo, timeout=10)
    stale_for = time.time() - killed_at
    print("presence leave %.2fs after kill -9" % stale_for)
    assert left.headers["presence-event"] == "leave"
    assert left.headers["presence-user"] == "gina"
    assert stale_for < 1.0 + 0.2 + 1.5, "leave published %.2fs after kill -9" % stale_for
    again = message(ls, timeout=10)
    assert again.body == "picture-1"
    assert again.headers["redelivered"] == "true"
    assert again.headers["app-user"] == "frank"
    assert again.headers["destination"] == "/app/jobs.resize"
    survivor.disconnect()
    frank.disconnect()
