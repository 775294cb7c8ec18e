"""SockJS on a real node: every transport by hand (the wire format sockjs-client expects), STOMP
inside talking to a stomp.py client, the endpoint's token and Origin rules, timeouts, a last
ERROR that reaches a polling client, and sockjs-client itself (Debian's node-sockjs-client) in
Node.js over websocket, xhr-streaming, xhr-polling and eventsource."""
import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
import time

import pytest
import websocket

from conftest import ROOT, free_port, wait_for_port
from sockjs_http import SockJSHTTP, Streaming, messages, new_session, stomp_frame
from test_stomp_py import Collector

import stomp

SECRET = "sockjs-interop-secret-" * 3
SOCKJS_CLIENT = "/usr/share/nodejs/sockjs-client"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """A static site on its own origin (as a web app would be): sockjs.min.js and a blank page."""
    directory = tmp_path_factory.mktemp("pages")
    script = os.path.join(SOCKJS_CLIENT, "dist", "sockjs.min.js")
    if os.path.exists(script):
        shutil.copy(script, directory / "sockjs.min.js")
    (directory / "index.html").write_text("<!doctype html><title>sockjs</title><script src='sockjs.min.js'></script>")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield "http://127.0.0.1:%d" % server.server_address[1]
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def node(tmp_path_factory, pages):
    binary = os.environ.get("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))
    ws_port, stomp_port, admin_port = free_port(), free_port(), free_port()
    directory = tmp_path_factory.mktemp("sockjs")
    config = directory / "stampede.yml"
    config.write_text(f"""
listen:
  endpoints:
    open: "path=/sockjs auth=self-named sockjs=on"
    chat: "path=/ws/chat auth=token tokens=query sockjs=on origins=http://shop.example"
    json: "path=/api/sockjs protocol=json user-id-param=on auth=anonymous|self-named sockjs=on"
    stomp: "kind=stomp auth=self-named"
auth:
  jwt:
    secret: "{SECRET}"
sockjs:
  client-script-url: "{pages}/sockjs.min.js"
  heartbeat-ms: 400
  disconnect-delay-ms: 2500
runtime:
  tick-ms: 100
""")
    log_path = directory / "stampede.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([binary, "--config", str(config), "--port", str(ws_port), "--stomp-port", str(stomp_port),
                                 "--admin-port", str(admin_port), "--api-port", "off"], stdout=log, stderr=log)
    try:
        wait_for_port(ws_port, proc)

        def token(user):
            out = subprocess.run([binary, "token", "--config", str(config), "--sub", user, "--ttl", "5m"],
                                 check=True, capture_output=True, text=True)
            return out.stdout.strip()

        yield {"ws": ws_port, "tcp": stomp_port, "admin": admin_port, "token": token, "log": log_path}
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0, "node did not shut down cleanly"


def stomp_py(node, login):
    conn = stomp.Connection12([("127.0.0.1", node["tcp"])])
    listener = Collector()
    conn.set_listener("c", listener)
    conn.connect(login, "x", wait=True)
    return conn, listener


def connect_streaming(client, login="alice"):
    session = new_session()
    stream = Streaming(client, session)
    assert stream.next() == "o"
    assert client.send(session, stomp_frame("CONNECT", {"accept-version": "1.2", "host": "/", "login": login, "passcode": "x"}))[0] == 204
    connected = messages(stream.next())
    assert connected[0].startswith("CONNECTED\n"), connected
    return session, stream


def connect_polling(client, login):
    """A new session opened by a poll and CONNECTed as `login` over xhr_send: its id."""
    session = new_session()
    assert client.poll(session) == "o"
    client.send(session, stomp_frame("CONNECT", {"accept-version": "1.2", "host": "/", "login": login, "passcode": "x"}))
    assert messages(client.poll(session))[0].startswith("CONNECTED\n")
    return session


def test_info_greeting_iframe_preflight_and_unknown_paths(node):
    client = SockJSHTTP(node["ws"], "/sockjs")
    response, body = client.request("GET", "/sockjs/info")
    info = json.loads(body)
    assert response.status == 200 and info["websocket"] is True and info["cookie_needed"] is False
    assert info["origins"] == ["*:*"] and isinstance(info["entropy"], int)
    assert "no-store" in response.getheader("Cache-Control")
    assert client.request("GET", "/sockjs")[1] == b"Welcome to SockJS!\n"
    response, body = client.request("GET", "/sockjs/iframe.html")
    assert response.status == 200 and b"SockJS.bootstrap_iframe()" in body and response.getheader("ETag")
    assert client.request("GET", "/sockjs/iframe.html", headers={"If-None-Match": response.getheader("ETag")})[0].status == 304
    response, _ = client.request("OPTIONS", "/sockjs/000/abc/xhr_send", headers={"Origin": "http://a.example"})
    assert response.status == 204 and "POST" in response.getheader("Access-Control-Allow-Methods")
    assert response.getheader("Access-Control-Allow-Origin") == "http://a.example"
    response, body = client.request("GET", "/sockjs/000/abc/nope")
    assert response.status == 404 and json.loads(body)["error"]
    assert client.request("GET", "/sockjs/000/abc/xhr")[0].status == 405
    assert client.request("POST", "/sockjs/000/unknown/xhr_send", body='["x"]')[0].status == 404


def test_xhr_streaming_carries_stomp_both_ways_with_a_stomp_py_client(node):
    client = SockJSHTTP(node["ws"], "/sockjs")
    session, stream = connect_streaming(client, "alice")
    client.send(session, stomp_frame("SUBSCRIBE", {"id": "s1", "destination": "/topic/sockjs.news", "receipt": "r1"}))
    assert messages(stream.next())[0].startswith("RECEIPT\nreceipt-id:r1")
    conn, listener = stomp_py(node, "bob")
    try:
        conn.subscribe("/queue/sockjs.replies", id="q1")
        time.sleep(0.2)
        conn.send("/topic/sockjs.news", "hello from tcp")
        delivered = messages(stream.next())[0]
        assert delivered.startswith("MESSAGE\n") and delivered.endswith("hello from tcp\x00")
        client.send(session, stomp_frame("SEND", {"destination": "/queue/sockjs.replies"}, "hello from sockjs"))
        assert listener.messages.get(timeout=5).body == "hello from sockjs"
    finally:
        conn.disconnect()
        stream.close()


def test_xhr_polling_receives_frames_poll_by_poll_with_heartbeats(node):
    client = SockJSHTTP(node["ws"], "/sockjs")
    session = connect_polling(client, "carol")
    started = time.time()
    assert client.poll(session) == "h"  # nothing to say: the poll ends with a heart-beat
    assert 0.2 < time.time() - started < 3


def test_eventsource_htmlfile_and_jsonp_frame_the_same_protocol(node):
    client = SockJSHTTP(node["ws"], "/sockjs")
    stream = Streaming(client, new_session(), transport="eventsource")
    assert stream.next() == "data: o"
    stream.close()
    html = Streaming(client, new_session(), transport="htmlfile", extra="c=callback_1")
    frames = []
    while 'p("o");' not in frames:
        frames.append(html.next())
    html.close()
    response, body = client.request("GET", client.url(new_session(), "htmlfile"))
    assert response.status == 500 and b'"callback" parameter required' in body
    session = new_session()
    response, body = client.request("GET", client.url(session, "jsonp", "c=cb"))
    assert body == b'/**/cb("o");\r\n'
    frame = stomp_frame("CONNECT", {"accept-version": "1.2", "host": "/", "login": "dave", "passcode": "x"})
    form = "d=" + __import__("urllib.parse").parse.quote(json.dumps([frame]))
    response, body = client.request("POST", client.url(session, "jsonp_send"), body=form,
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 200 and body == b"ok"
    response, body = client.request("GET", client.url(session, "jsonp", "c=cb"))
    assert body.startswith(b'/**/cb("a[\\"CONNECTED\\\\n')
    response, body = client.request("GET", client.url(session, "jsonp", "c=alert(1)//"))
    assert response.status == 500


def test_the_json_protocol_runs_inside_sockjs_and_meets_stomp_in_a_room(node):
    client = SockJSHTTP(node["ws"], "/api/sockjs", query="user_id=olga")
    session = new_session()
    assert client.poll(session) == "o"
    welcome = json.loads(messages(client.poll(session))[0])
    assert welcome["type"] == "welcome" and welcome["user_id"] == "olga"
    # A pretty-printed message (newlines inside the JSON) is one message all the same.
    assert client.send(session, '{\n  "type": "join",\n  "room": "sockjs-lobby"\n}')[0] == 204
    joined = json.loads(messages(client.poll(session))[0])
    assert joined["type"] == "joined" and joined["room"] == "sockjs-lobby"
    conn, listener = stomp_py(node, "pete")
    try:
        conn.subscribe("/topic/room.sockjs-lobby", id="room")
        time.sleep(0.2)
        conn.send("/topic/room.sockjs-lobby", "hello from stomp")
        chat = json.loads(messages(client.poll(session))[0])
        assert chat["room"] == "sockjs-lobby" and chat["content"] == "hello from stomp"
        client.send(session, json.dumps({"type": "chat", "room": "sockjs-lobby", "content": "hello from json over sockjs"}))
        received = listener.messages.get(timeout=5)
        while "json over sockjs" not in received.body:
            received = listener.messages.get(timeout=5)
        assert received.headers.get("user-id") == "olga"
    finally:
        conn.disconnect()
    client.send(session, "not json")
    seen = []
    while not any(item["type"] == "error" for item in seen) and len(seen) < 5:
        seen += [json.loads(text) for text in messages(client.poll(session))]
    assert [item["type"] for item in seen][-1] == "error", seen  # after its own chat line, which the room echoes


def test_websocket_transport_and_raw_websocket(node):
    ws = websocket.create_connection("ws://127.0.0.1:%d/sockjs/000/%s/websocket" % (node["ws"], new_session()), timeout=5)
    try:
        assert ws.recv() == "o"
        ws.send(json.dumps([stomp_frame("CONNECT", {"accept-version": "1.2", "host": "/", "login": "erin", "passcode": "x"})]))
        assert messages(ws.recv())[0].startswith("CONNECTED\n")
    finally:
        ws.close()
    raw = websocket.create_connection("ws://127.0.0.1:%d/sockjs/websocket" % node["ws"], timeout=5, subprotocols=["v12.stomp"])
    try:
        raw.send(stomp_frame("CONNECT", {"accept-version": "1.2", "host": "/", "login": "frank", "passcode": "x"}))
        assert raw.recv().startswith("CONNECTED\n")
    finally:
        raw.close()


def test_token_endpoint_needs_a_token_in_the_url_and_an_allowed_origin(node):
    no_token = SockJSHTTP(node["ws"], "/ws/chat", origin="http://shop.example")
    response, body = no_token.request("POST", no_token.url(new_session(), "xhr"))
    assert response.status == 401 and json.loads(body)["error"]
    token = node["token"]("grace")
    evil = SockJSHTTP(node["ws"], "/ws/chat", query="access_token=" + token, origin="http://evil.example")
    assert evil.request("POST", evil.url(new_session(), "xhr"))[0].status == 403
    client = SockJSHTTP(node["ws"], "/ws/chat", query="access_token=" + token, origin="http://shop.example")
    session = new_session()
    assert client.poll(session) == "o"
    client.send(session, stomp_frame("CONNECT", {"accept-version": "1.2", "host": "/"}))
    connected = messages(client.poll(session))[0]
    assert connected.startswith("CONNECTED\n") and "user-name:grace\n" in connected
    assert token not in open(node["log"]).read(), "a token reached the log"


def test_abandoned_session_times_out_and_its_stomp_session_ends(node):
    client = SockJSHTTP(node["ws"], "/sockjs")
    session = connect_polling(client, "henry")
    deadline = time.time() + 8
    while time.time() < deadline:
        if any("session closed" in line and "user=henry" in line and "transport=sockjs" in line for line in open(node["log"])):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the STOMP session did not end after the disconnect delay")
    assert client.send(session, "x")[0] == 404
    assert client.poll(session) == "o"  # the id now opens a new session


def test_an_error_reaches_a_polling_client_before_the_close_frame(node):
    client = SockJSHTTP(node["ws"], "/sockjs")
    session = new_session()
    assert client.poll(session) == "o"
    client.send(session, "BOGUS\n\n\x00")
    error = messages(client.poll(session))[0]
    assert error.startswith("ERROR\n") and "message:" in error
    assert client.poll(session) == 'c[3000,"Go away!"]'


def metric(node, name, labels=""):
    response, body = SockJSHTTP(node["admin"], "").request("GET", "/metrics")
    for line in body.decode().splitlines():
        if line.startswith(name + labels + " ") or (not labels and line.startswith(name + " ")):
            return float(line.split()[-1])
    raise AssertionError("no %s%s in /metrics" % (name, labels))


def test_a_session_nobody_polls_holds_little_and_loses_nothing(node):
    client = SockJSHTTP(node["ws"], "/sockjs")
    session = connect_polling(client, "jack")
    client.send(session, stomp_frame("SUBSCRIBE", {"id": "f", "destination": "/topic/sockjs.flood", "receipt": "rf"}))
    assert messages(client.poll(session))[0].startswith("RECEIPT\n")
    conn, _ = stomp_py(node, "kate")
    body = "x" * 4000
    try:
        for number in range(300):  # 1.2 MB for a client that is not polling
            conn.send("/topic/sockjs.flood", "%d %s" % (number, body))
        time.sleep(0.5)
        held = metric(node, "stampede_buffered_bytes", '{kind="sockjs"}')
        assert 0 < held <= 200_000, "the session holds %d bytes; the rest must wait in the node's output queue" % held
        received = []
        while len(received) < 300:
            frame = client.poll(session)
            if frame.startswith("a["):
                received += [int(m.split("\n\n")[1].split(" ")[0]) for m in messages(frame) if m.startswith("MESSAGE")]
        assert received == list(range(300))
        assert metric(node, "stampede_sockjs_sessions_total", '{result="slow_consumer"}') == 0
        assert metric(node, "stampede_sockjs_sessions_total", '{result="opened"}') >= 1
    finally:
        conn.disconnect()


def test_a_request_body_being_read_counts_in_the_node_budget(node):
    import socket
    before = metric(node, "stampede_buffered_bytes", '{kind="inbound"}')
    sock = socket.create_connection(("127.0.0.1", node["ws"]))
    sock.sendall(b"POST /sockjs/000/%s/xhr_send HTTP/1.1\r\nHost: x\r\nContent-Length: 600000\r\n\r\n" % new_session().encode())
    sock.sendall(b"[" + b" " * 500_000)
    deadline = time.time() + 5
    while time.time() < deadline and metric(node, "stampede_buffered_bytes", '{kind="inbound"}') < before + 500_000:
        time.sleep(0.05)
    assert metric(node, "stampede_buffered_bytes", '{kind="inbound"}') >= before + 500_000
    sock.close()
    deadline = time.time() + 5
    while time.time() < deadline and metric(node, "stampede_buffered_bytes", '{kind="inbound"}') > before:
        time.sleep(0.05)
    assert metric(node, "stampede_buffered_bytes", '{kind="inbound"}') <= before, "released when the client went away"


NODE_CLIENT = r"""
const SockJS = require(process.env.SOCKJS_CLIENT);
const transport = process.argv[2];
const sock = new SockJS(process.env.URL, null, {transports: [transport], timeout: 5000});
let buffer = "";
sock.onopen = () => sock.send("CONNECT\naccept-version:1.2\nhost:/\nlogin:ivy-" + transport + "\npasscode:x\n\n\0");
sock.onmessage = (e) => {
  if (e.data.startsWith("CONNECTED")) {
    sock.send("SUBSCRIBE\nid:0\ndestination:/queue/sockjs.echo." + transport + "\n\n\0");
    sock.send("SEND\ndestination:/queue/sockjs.echo." + transport + "\n\nover " + transport + "\0");
  } else if (e.data.startsWith("MESSAGE")) {
    console.log(JSON.stringify({transport: sock.transport, body: e.data.split("\n\n")[1].replace("\0", "")}));
    sock.close();
  }
};
sock.onclose = (e) => { if (e.code !== 1000) { console.log(JSON.stringify({close: e.code, reason: e.reason})); } process.exit(0); };
setTimeout(() => { console.log(JSON.stringify({timeout: true})); process.exit(1); }, 15000);
"""


@pytest.mark.parametrize("transport", ["websocket", "xhr-streaming", "xhr-polling", "eventsource"])
def test_sockjs_client_in_node_js_speaks_stomp_over_each_transport(node, transport, tmp_path):
    assert shutil.which("node") and os.path.isdir(SOCKJS_CLIENT), "nodejs and node-sockjs-client: scripts/setup.sh --with-python installs them"
    script = tmp_path / "client.js"
    script.write_text(NODE_CLIENT)
    env = dict(os.environ, NODE_PATH="/usr/share/nodejs", SOCKJS_CLIENT="sockjs-client", URL="http://127.0.0.1:%d/sockjs" % node["ws"])
    out = subprocess.run(["node", str(script), transport], env=env, capture_output=True, text=True, timeout=30)
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert lines and lines[0] == {"transport": transport, "body": "over " + transport}, (out.stdout, out.stderr)


BROWSER_CLIENT = """new Promise((resolve) => {
  const transport = %s;
  const sock = new SockJS(%s, null, {transports: [transport], timeout: 8000});
  sock.onopen = () => sock.send("CONNECT\\naccept-version:1.2\\nhost:/\\nlogin:browser\\npasscode:x\\n\\n\\0");
  sock.onmessage = (e) => {
    if (e.data.startsWith("CONNECTED")) {
      sock.send("SUBSCRIBE\\nid:0\\ndestination:/queue/sockjs.browser." + transport + "\\n\\n\\0");
      sock.send("SEND\\ndestination:/queue/sockjs.browser." + transport + "\\n\\nvia " + transport + "\\0");
    } else if (e.data.startsWith("MESSAGE")) {
      resolve({transport: sock.transport, body: e.data.split("\\n\\n")[1].replace("\\0", "")});
      sock.close();
    }
  };
  sock.onclose = (e) => resolve({close: e.code, reason: e.reason});
  setTimeout(() => resolve({timeout: transport}), 12000);
})"""


def test_sockjs_client_in_chromium_without_websocket_uses_each_http_transport(node, pages):
    from browser import Browser, chromium_binary
    binary = chromium_binary()
    assert binary, "chromium is not installed (scripts/setup.sh --with-python installs it)"
    browser = Browser(binary)
    try:
        browser.navigate(pages + "/index.html")
        browser.wait_for("typeof SockJS === 'function'")
        browser.evaluate("delete window.WebSocket; window.WebSocket = undefined; true")
        url = json.dumps("http://127.0.0.1:%d/sockjs" % node["ws"])
        for transport in ["xhr-streaming", "xhr-polling", "eventsource", "iframe-htmlfile", "jsonp-polling"]:
            result = browser.evaluate(BROWSER_CLIENT % (json.dumps(transport), url))
            assert result == {"transport": transport, "body": "via " + transport}, result
    finally:
        browser.close()
