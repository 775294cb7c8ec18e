"""conformance.sockjs-path: the services the published sockjs-protocol suite runs against
(scripts/sockjs-protocol.sh runs the suite itself, from a checkout of it). Here, in CI, each
service answers as the suite expects."""
import json
import os
import subprocess

import pytest
import websocket

from conftest import ROOT, free_port, wait_for_port
from sockjs_http import SockJSHTTP, Streaming, new_session


@pytest.fixture(scope="module")
def port():
    binary = os.environ.get("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))
    ws_port = free_port()
    proc = subprocess.Popen([binary, "--port", str(ws_port), "--stomp-port", "off", "--admin-port", "off", "--api-port", "off",
                             "--set", "conformance.sockjs-path=/conf", "--set", "sockjs.streaming-response-bytes=4096"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(ws_port, proc)
        yield ws_port
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0


def test_echo_sends_every_message_back(port):
    client = SockJSHTTP(port, "/conf/echo")
    session = new_session()
    assert client.poll(session) == "o"
    assert client.send(session, "a", "\u00e9\"")[0] == 204
    assert json.loads(client.poll(session)[1:]) == ["a", "\u00e9\""]


def test_close_closes_the_session_right_after_it_opens(port):
    client = SockJSHTTP(port, "/conf/close")
    session = new_session()
    assert client.poll(session) == "o"
    assert client.poll(session) == 'c[3000,"Go away!"]'
    assert client.poll(session) == 'c[3000,"Go away!"]'
    raw = websocket.create_connection("ws://127.0.0.1:%d/conf/close/websocket" % port, timeout=5)
    opcode, payload = raw.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE and payload[:2] == (3000).to_bytes(2, "big") and payload[2:] == b"Go away!"


def test_disabled_websocket_and_cookie_needed_variants(port):
    off = SockJSHTTP(port, "/conf/disabled_websocket_echo")
    assert json.loads(off.request("GET", "/conf/disabled_websocket_echo/info")[1])["websocket"] is False
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection("ws://127.0.0.1:%d/conf/disabled_websocket_echo/000/%s/websocket" % (port, new_session()), timeout=5)
    cookie = SockJSHTTP(port, "/conf/cookie_needed_echo")
    info = cookie.request("GET", "/conf/cookie_needed_echo/info")
    assert json.loads(info[1])["cookie_needed"] is True and info[0].getheader("Set-Cookie") is None
    response, body = cookie.request("POST", cookie.url(new_session(), "xhr"), headers={"Cookie": "a=b; JSESSIONID=abcdef"})
    assert body == b"o\n" and response.getheader("Set-Cookie") == "JSESSIONID=abcdef; path=/"
    response, _ = cookie.request("POST", cookie.url(new_session(), "xhr"))
    assert response.getheader("Set-Cookie") == "JSESSIONID=dummy; path=/"


def test_websocket_sessions_may_share_an_id_and_empty_messages_are_ignored(port):
    url = "ws://127.0.0.1:%d/conf/echo/000/%s/websocket" % (port, new_session())
    first, second = websocket.create_connection(url, timeout=5), websocket.create_connection(url, timeout=5)
    assert first.recv() == "o" and second.recv() == "o"
    first.send("")
    first.send("[]")
    first.send('["a"]')
    second.send('["b"]')
    assert first.recv() == 'a["a"]' and second.recv() == 'a["b"]'
    second.send('["broken')
    with pytest.raises(websocket.WebSocketConnectionClosedException):
        second.recv()
        second.recv()


def test_a_streaming_response_ends_after_its_byte_limit(port):
    client = SockJSHTTP(port, "/conf/echo")
    session = new_session()
    stream = Streaming(client, session)
    assert stream.next() == "o"
    message = "x" * 128
    for _ in range(31):  # 31 frames of 135 bytes: past the 4,096-byte limit (the prelude not counted)
        client.send(session, message)
        assert stream.next() == 'a["%s"]' % message
    assert stream.frames.get(timeout=5) is None, "the response ended"
