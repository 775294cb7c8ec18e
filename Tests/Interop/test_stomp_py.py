"""stomp.py (PyPI), a STOMP client nobody here wrote, against a real node over TCP and WebSocket."""
import queue
import threading
import time
import uuid

import pytest
import stomp


class Collector(stomp.ConnectionListener):
    def __init__(self):
        self.messages = queue.Queue()
        self.errors = queue.Queue()
        self.receipts = queue.Queue()
        self.disconnected = threading.Event()

    def on_message(self, frame):
        self.messages.put(frame)

    def on_error(self, frame):
        self.errors.put(frame)

    def on_receipt(self, frame):
        self.receipts.put(frame.headers.get("receipt-id"))

    def on_disconnected(self):
        self.disconnected.set()


def connect(node, transport, version="1.2", login=None, heartbeats=(0, 0)):
    hosts = [("127.0.0.1", node.ws_port if transport == "ws" else node.stomp_port)]
    if transport == "ws":
        conn = stomp.WSStompConnection(hosts, ws_path="/ws", heartbeats=heartbeats)
    elif version == "1.0":
        conn = stomp.Connection10(hosts)
    elif version == "1.1":
        conn = stomp.Connection11(hosts, heartbeats=heartbeats)
    else:
        conn = stomp.Connection12(hosts, heartbeats=heartbeats)
    listener = Collector()
    conn.set_listener("collector", listener)
    if login:
        conn.connect(login, "secret", wait=True)
    else:
        conn.connect(wait=True)
    return conn, listener




def wait_receipt(listener, rid, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if listener.receipts.get(timeout=0.1) == rid:
                return
        except queue.Empty:
            pass
    raise AssertionError("no receipt %s" % rid)


TRANSPORTS = ["tcp", "ws"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_topic_publish_subscribe(node, transport):
    dest = "/topic/interop." + uuid.uuid4().hex
    sub, got = connect(node, transport)
    sub.subscribe(dest, id="1", headers={"receipt": "s1"})
    wait_receipt(got, "s1")
    pub, _ = connect(node, transport)
    pub.send(dest, "hello stomp.py", headers={"x-custom": "yes"})
    frame = got.messages.get(timeout=5)
    assert frame.body == "hello stomp.py"
    assert frame.headers["destination"] == dest
    assert frame.headers["x-custom"] == "yes"
    assert frame.headers["subscription"] == "1"
    sub.disconnect()
    pub.disconnect()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_queue_client_ack_and_redelivery_after_nack(node, transport):
    dest = "/queue/interop." + uuid.uuid4().hex
    a, got_a = connect(node, transport)
    a.subscribe(dest, id="a", ack="client-individual", headers={"receipt": "sa"})
    wait_receipt(got_a, "sa")
    pub, _ = connect(node, transport)
    pub.send(dest, "job-1")
    first = got_a.messages.get(timeout=5)
    b, got_b = connect(node, transport)
    b.subscribe(dest, id="b", ack="client-individual", headers={"receipt": "sb"})
    wait_receipt(got_b, "sb")
    a.nack(first.headers["ack"])
    again = got_b.messages.get(timeout=5)
    assert again.body == "job-1"
    assert again.headers.get("redelivered") == "true"
    b.ack(again.headers["ack"])
    for c in (a, b, pub):
        c.disconnect()


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_every_protocol_version(node, version):
    dest = "/topic/v." + uuid.uuid4().hex
    conn, got = connect(node, "tcp", version=version)
    if version == "1.0":
        conn.subscribe(dest, headers={"receipt": "r"})
    else:
        conn.subscribe(dest, id="s", headers={"receipt": "r"})
    wait_receipt(got, "r")
    conn.send(dest, "version %s" % version)
    assert got.messages.get(timeout=5).body == "version %s" % version
    conn.disconnect()


def test_transaction_commit_and_abort(node):
    dest = "/queue/tx." + uuid.uuid4().hex
    consumer, got = connect(node, "ws")
    consumer.subscribe(dest, id="c", headers={"receipt": "c"})
    wait_receipt(got, "c")
    producer, _ = connect(node, "tcp")
    tx = producer.begin()
    producer.send(dest, "in tx", transaction=tx)
    with pytest.raises(queue.Empty):
        got.messages.get(timeout=0.3)
    producer.commit(tx)
    assert got.messages.get(timeout=5).body == "in tx"
    tx2 = producer.begin()
    producer.send(dest, "aborted", transaction=tx2)
    producer.abort(tx2)
    with pytest.raises(queue.Empty):
        got.messages.get(timeout=0.3)
    producer.disconnect()
    consumer.disconnect()


def test_user_destinations_reach_every_session_of_the_user(node):
    alice1, got1 = connect(node, "ws", login="alice")
    alice2, got2 = connect(node, "tcp", login="alice")
    bob, got_bob = connect(node, "ws", login="bob")
    for conn, got, i in ((alice1, got1, "1"), (alice2, got2, "2"), (bob, got_bob, "3")):
        conn.subscribe("/user/queue/inbox", id=i, headers={"receipt": "u" + i})
        wait_receipt(got, "u" + i)
    sender, _ = connect(node, "tcp")
    sender.send("/user/alice/queue/inbox", "hi alice")
    assert got1.messages.get(timeout=5).body == "hi alice"
    assert got2.messages.get(timeout=5).body == "hi alice"
    with pytest.raises(queue.Empty):
        got_bob.messages.get(timeout=0.3)
    for c in (alice1, alice2, bob, sender):
        c.disconnect()


def test_heartbeats_keep_an_idle_connection_alive(node):
    conn, got = connect(node, "tcp", heartbeats=(500, 500))
    time.sleep(3)
    assert conn.is_connected()
    assert got.errors.empty()
    conn.disconnect()


def test_malformed_frame_gets_error_and_node_keeps_serving(node):
    import socket
    with socket.create_connection(("127.0.0.1", node.stomp_port)) as s:
        s.sendall(b"CONNECT\naccept-version:1.2\nhost:/\n\n\x00BOGUS\n\n\x00")
        data = b""
        s.settimeout(5)
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    assert b"CONNECTED" in data
    assert b"ERROR" in data and b"message:" in data
    conn, got = connect(node, "ws")
    assert conn.is_connected()
    conn.disconnect()
