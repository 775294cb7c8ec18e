"""The plain JSON WebSocket protocol (protocol=json endpoints) with websocket-client: every
message type and error, STOMP <-> JSON in one room, direct messages to a user's JSON and STOMP
sessions, the HTTP push API, the ping deadline, and the 003 guide's client loop with only the
URL changed; on one node and across two nodes sharing redis-server."""
import http.client
import json
import os
import time

import pytest
import websocket

from app_cluster import Cluster
from stomp_clients import connect, get, subscribe

ENDPOINTS = ("listen.endpoints=stomp:kind=stomp auth=self-named,"
             "json:path=/api/ws/connect protocol=json user-id-param=on auth=anonymous|self-named")
SETTINGS = [ENDPOINTS, "json.message-types=chat,typing,notification", "json.max-message-bytes=1024", "json.max-offences=3",
            "json.ping-interval-ms=200", "json.pong-timeout-ms=800", "auth.rules=deny subscribe|send /topic/room.vip authenticated",
            "api.keys=k1", "runtime.tick-ms=100", "cluster.heartbeat-ms=200", "cluster.node-timeout-ms=1000"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = Cluster(tmp_path_factory.mktemp("json"), count=2, settings=SETTINGS)
    try:
        yield running
    finally:
        running.stop()


def open_json(node, user="alice"):
    ws = websocket.create_connection("ws://127.0.0.1:%d/api/ws/connect?user_id=%s" % (node.ws_port, user), timeout=5)
    welcome = receive(ws)
    assert welcome["type"] == "welcome" and welcome["user_id"] == user
    return ws


def receive(ws):
    return json.loads(ws.recv())


def send(ws, message):
    ws.send(json.dumps(message))


def join(ws, room):
    send(ws, {"type": "join", "room": room})
    assert receive(ws) == {"type": "joined", "room": room}


def receive_close(ws):
    """Messages until the close frame; returns (messages, close code)."""
    messages = []
    while True:
        opcode, frame = ws.recv_data_frame(True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return messages, int.from_bytes(frame.data[:2], "big")
        if opcode == websocket.ABNF.OPCODE_TEXT:
            messages.append(json.loads(frame.data))


def test_join_publish_ping_leave_and_the_broker_set_sender(cluster):
    node = cluster.node(1)
    alice = open_json(node, "alice")
    join(alice, "lobby")
    send(alice, {"type": "chat", "room": "lobby", "from": "mallory", "content": {"text": "hi"}, "timestamp": 5})
    assert receive(alice) == {"type": "chat", "room": "lobby", "from": "alice", "content": {"text": "hi"}, "timestamp": 5}
    send(alice, {"type": "ping"})
    assert receive(alice) == {"type": "pong"}
    send(alice, {"type": "leave", "room": "lobby"})
    assert receive(alice) == {"type": "left", "room": "lobby"}
    alice.close()


def test_errors_then_close_after_repeated_offences(cluster):
    ws = open_json(cluster.node(1), "erin")
    ws.send("not json")
    assert receive(ws)["code"] == "malformed_json"
    send(ws, {"type": "dance", "room": "lobby"})
    assert receive(ws)["code"] == "unknown_type"
    send(ws, {"type": "chat", "room": "lobby", "content": "x" * 2000})
    messages, code = receive_close(ws)
    assert messages[0]["code"] == "too_big" and code == 1009


def test_binary_closes_1003_and_a_denied_room_closes_1008(cluster):
    ws = open_json(cluster.node(1), "bina")
    ws.send_binary(b"\x00\x01")
    messages, code = receive_close(ws)
    assert messages[0]["code"] == "binary_unsupported" and code == 1003
    ws = open_json(cluster.node(1), "vera")
    send(ws, {"type": "join", "room": "vip"})
    messages, code = receive_close(ws)
    assert messages[0]["type"] == "error" and "Access denied" in messages[0]["message"] and code == 1008


@pytest.mark.parametrize("across", [False, True])
def test_stomp_and_json_clients_share_a_room(cluster, across):
    json_node, stomp_node = cluster.node(1), cluster.node(2 if across else 1)
    carol, carol_got = connect(stomp_node, "carol")
    subscribe(carol, carol_got, "/topic/room.lobby", "1")
    dave = open_json(json_node, "dave")
    join(dave, "lobby")
    send(dave, {"type": "chat", "room": "lobby", "content": "from json"})
    assert receive(dave)["content"] == "from json"
    message = get(carol_got.messages)
    assert message.body == "from json" and message.headers["json-type"] == "chat" and message.headers["user-id"] == "dave"
    carol.send("/topic/room.lobby", "from stomp", headers={"json-type": "chat"})
    assert receive(dave) == {"type": "chat", "room": "lobby", "from": "carol", "content": "from stomp"}
    carol.disconnect()
    dave.close()


def test_a_direct_message_reaches_the_users_json_and_stomp_sessions_on_both_nodes(cluster):
    bob_json = open_json(cluster.node(2), "bob")
    bob_stomp, bob_got = connect(cluster.node(1), "bob")
    subscribe(bob_stomp, bob_got, "/user/queue/messages", "1")
    alice = open_json(cluster.node(1), "alice")
    send(alice, {"type": "chat", "to": "bob", "content": "Hello!"})
    assert receive(bob_json) == {"type": "chat", "to": "bob", "from": "alice", "content": "Hello!"}
    assert get(bob_got.messages).body == "Hello!"
    bob_json.close()
    bob_stomp.disconnect()
    alice.close()


def test_the_http_push_api_reaches_a_json_client(cluster):
    frank = open_json(cluster.node(2), "frank")
    connection = http.client.HTTPConnection("127.0.0.1", cluster.node(1).api_port, timeout=5)
    body = {"user": "frank", "destination": "/queue/messages", "body": json.dumps({"title": "t", "content": "paid"}),
            "headers": {"json-type": "notification", "content-type": "application/json"}}
    connection.request("POST", "/api/send", body=json.dumps(body), headers={"Authorization": "apikey k1", "Content-Type": "application/json"})
    assert connection.getresponse().status == 200
    assert receive(frank) == {"type": "notification", "to": "frank", "content": {"title": "t", "content": "paid"}}
    frank.close()


def test_a_silent_client_gets_pings_and_is_closed_at_the_pong_deadline(cluster):
    ws = open_json(cluster.node(1), "quiet")
    # websocket-client answers pings only while reading: not reading at all means no pong.
    time.sleep(1.5)
    opcodes = []
    while True:
        opcode, frame = ws.recv_data_frame(True)
        opcodes.append(opcode)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            assert int.from_bytes(frame.data[:2], "big") == 1008
            break
    assert websocket.ABNF.OPCODE_PING in opcodes


def test_the_003_guide_client_loop_works_with_only_the_url_changed(cluster):
    """The guide's JS client in Python: send {type, to, content}, switch on message.type."""
    url = "ws://127.0.0.1:%d/api/ws/connect?user_id=user456" % cluster.node(2).ws_port
    received = []
    receiver = websocket.create_connection(url, timeout=5)
    sender = websocket.create_connection(url.replace("user456", "user123").replace(str(cluster.node(2).ws_port), str(cluster.node(1).ws_port)), timeout=5)
    sender.send(json.dumps({"type": "chat", "to": "user456", "content": "Hello World!"}))
    while not received:
        message = json.loads(receiver.recv())
        if message["type"] == "notification":
            received.append(("notification", message["content"]))
        elif message["type"] == "chat":
            received.append(("chat", "%s: %s" % (message["from"], message["content"])))
    assert received == [("chat", "user123: Hello World!")]
    sender.close()
    receiver.close()
