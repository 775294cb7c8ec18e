"""stomp.py with tokens: a node that requires JWTs (minted by `stampede token`), over TCP and WebSocket."""
import os
import queue
import subprocess
import time
import uuid

import pytest
import stomp

from conftest import ROOT, free_port, wait_for_port
from test_stomp_py import Collector, wait_receipt

SECRET = "interop-secret-" * 4


@pytest.fixture(scope="module")
def secure(tmp_path_factory):
    binary = os.environ.get("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))
    ws_port, stomp_port = free_port(), free_port()
    directory = tmp_path_factory.mktemp("secure")
    config = directory / "stampede.yml"
    config.write_text(f"""
listen:
  endpoints:
    chat: "path=/ws/chat auth=token roles=customer"
    stomp: "kind=stomp auth=token"
    json: "path=/api/ws/connect protocol=json auth=token"
auth:
  jwt:
    secret: "{SECRET}"
    audience: "interop"
  default-policy: deny
  rules:
    - "allow subscribe /topic/chat.{{user}}.* authenticated"
    - "allow send /topic/chat.*.* authenticated"
    - "allow subscribe|send /queue/# authenticated"
""")
    log_path = directory / "stampede.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([binary, "--config", str(config), "--port", str(ws_port), "--stomp-port", str(stomp_port),
                                 "--admin-port", "off"], stdout=log, stderr=log)
    try:
        wait_for_port(ws_port, proc)
        wait_for_port(stomp_port, proc)

        def token(user, ttl="5m"):
            out = subprocess.run([binary, "token", "--config", str(config), "--sub", user, "--ttl", ttl],
                                 check=True, capture_output=True, text=True)
            return out.stdout.strip()

        yield {"ws": ws_port, "tcp": stomp_port, "token": token, "log": log_path}
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0


def connect(secure, transport, user):
    token = secure["token"](user)
    if transport == "ws":
        conn = stomp.WSStompConnection([("127.0.0.1", secure["ws"])], ws_path="/ws/chat?access_token=" + token)
        passcode = None
    else:
        conn = stomp.Connection12([("127.0.0.1", secure["tcp"])])
        passcode = token
    listener = Collector()
    conn.set_listener("collector", listener)
    if passcode:
        conn.connect(passcode=passcode, wait=True)
    else:
        conn.connect(wait=True)
    return conn, listener


@pytest.mark.parametrize("transport", ["tcp", "ws"])
def test_token_connects_and_messages_carry_the_sender(secure, transport):
    alice, got = connect(secure, transport, "alice")
    alice.subscribe("/topic/chat.alice.inbox", id="1", headers={"receipt": "r1"})
    wait_receipt(got, "r1")
    bob, _ = connect(secure, "tcp" if transport == "ws" else "ws", "bob")
    bob.send("/topic/chat.alice.inbox", "hello")
    message = got.messages.get(timeout=5)
    assert message.body == "hello"
    assert message.headers["user-id"] == "bob"
    alice.disconnect()
    bob.disconnect()


def test_other_users_destination_is_denied(secure):
    alice, got = connect(secure, "tcp", "alice")
    alice.subscribe("/topic/chat.bob.inbox", id="1")
    error = got.errors.get(timeout=5)
    assert error.headers["message"] == "Access denied: may not subscribe '/topic/chat.bob.inbox'"


def test_forged_user_id_is_refused(secure):
    alice, got = connect(secure, "tcp", "alice")
    alice.send("/queue/interop-" + uuid.uuid4().hex, "x", headers={"user-id": "bob"})
    assert "user-id" in got.errors.get(timeout=5).headers["message"]


def test_bad_token_in_connect_gets_an_error(secure):
    conn = stomp.Connection12([("127.0.0.1", secure["tcp"])])
    listener = Collector()
    conn.set_listener("collector", listener)
    with pytest.raises(Exception):
        conn.connect(passcode="not-a-token", wait=True)
    assert listener.errors.get(timeout=5).headers["message"] == "authentication failed: malformed token"
    assert "not-a-token" not in open(secure["log"]).read()


def test_json_protocol_takes_the_user_from_the_token_and_refuses_without_one(secure):
    import json
    import websocket
    base = "ws://127.0.0.1:%d/api/ws/connect" % secure["ws"]
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(base + "?user_id=alice", timeout=5)
    assert refused.value.status_code == 401, "user_id counts only where the endpoint enables it"
    alice = websocket.create_connection(base, header=["Authorization: Bearer " + secure["token"]("alice")], timeout=5)
    welcome = json.loads(alice.recv())
    assert welcome.get("user_id") == "alice", welcome
    bob, got = connect(secure, "tcp", "bob")
    bob.subscribe("/topic/chat.bob.inbox", id="1", headers={"receipt": "r1"})
    wait_receipt(got, "r1")
    alice.send(json.dumps({"type": "chat", "to": "", "content": "x"}))  # broadcast: denied by the rules
    closing = json.loads(alice.recv())
    assert closing["type"] == "error" and "Access denied" in closing["message"]
    alice.close()
    bob.disconnect()
