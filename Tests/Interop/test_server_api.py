"""The server HTTP API on every node of a three-node cluster: each endpoint with good and bad
input, every answer checked against docs/api/openapi.yaml (jsonschema), and the effects seen
by real STOMP clients on other nodes."""
import http.client
import json
import os
import queue
import time

import jsonschema
import pytest
import stomp
import yaml

from app_cluster import Cluster
from conftest import ROOT
from stomp_clients import connect, get, subscribe
from test_stomp_py import Collector, wait_receipt

KEY = "test-key-1"

with open(os.path.join(ROOT, "docs", "api", "openapi.yaml")) as spec_file:
    SPEC = yaml.safe_load(spec_file)
CHECKED = set()


def response_schema(template, method, status):
    operations = SPEC["paths"][template]
    # A method the path does not have (405) is documented with the path's own operation.
    operation = operations.get(method.lower()) or next(iter(operations.values()))
    response = operation["responses"].get(str(status)) or operation["responses"]["default"]
    if "$ref" in response:
        response = SPEC["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = dict(response["content"]["application/json"]["schema"])
    schema["components"] = SPEC["components"]
    return schema


def call(node, method, path, body=None, template=None, key=KEY, raw=None, status=200):
    """One API request; the answer must have `status` and match the OpenAPI response schema."""
    connection = http.client.HTTPConnection("127.0.0.1", node.api_port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = "apikey " + key
    payload = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    data = json.loads(response.read() or b"null")
    connection.close()
    assert response.status == status, (path, response.status, data)
    assert response.getheader("Content-Type") == "application/json"
    template = template or path.split("?")[0]
    jsonschema.validate(data, response_schema(template, method, response.status), cls=jsonschema.Draft202012Validator)
    CHECKED.add((template, method, response.status))
    return data


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = Cluster(tmp_path_factory.mktemp("api"), settings=[
        "cluster.heartbeat-ms=200", "cluster.node-timeout-ms=1000", "api.keys=other-key,%s" % KEY, "api.max-body-bytes=4096"])
    try:
        yield running
    finally:
        running.stop()


def client(node, login, ws=False):
    return connect(node, login, ws=ws)


def eventually(check, timeout=5):
    deadline = time.time() + timeout
    while True:
        result = check()
        if result or time.time() > deadline:
            return result
        time.sleep(0.05)


def test_publish_send_broadcast_and_batch_from_every_node_reach_clients_on_other_nodes(cluster):
    for index, node in enumerate(cluster.nodes, start=1):
        other = cluster.node(index % 3 + 1)
        watcher, watched = client(other, "watcher%d" % index, ws=True)
        subscribe(watcher, watched, "/topic/api.%d" % index, "t")
        subscribe(watcher, watched, "/topic/api.%d.b" % index, "t2")
        subscribe(watcher, watched, "/user/queue/notify", "u")

        answer = call(node, "POST", "/api/publish", {"destination": "/topic/api.%d" % index, "body": "p", "headers": {"k": "v"}})
        assert answer == {"ok": True, "routed": 1}
        frame = get(watched.messages)
        assert (frame.body, frame.headers["k"]) == ("p", "v")

        call(node, "POST", "/api/send", {"user": "watcher%d" % index, "destination": "/queue/notify", "body": "s"})
        frame = get(watched.messages)
        assert (frame.body, frame.headers["destination"]) == ("s", "/user/queue/notify")

        assert call(node, "POST", "/api/broadcast", {"destinations": ["/topic/api.%d" % index, "/topic/api.%d.b" % index],
                                                     "body_base64": "YmM="})["routed"] == 2
        assert sorted(get(watched.messages).body for _ in range(2)) == ["bc", "bc"]

        batch = {"operations": [{"publish": {"destination": "/topic/api.%d" % index, "body": "b1"}},
                                {"send": {"user": "watcher%d" % index, "destination": "/queue/notify", "body": "b2"}}]}
        assert call(node, "POST", "/api/batch", batch)["routed"] == 2
        assert sorted(get(watched.messages).body for _ in range(2)) == ["b1", "b2"]
        watcher.disconnect()


def test_status_presence_and_subscribers_answer_for_the_whole_cluster_on_every_node(cluster):
    conn2, listener2 = client(cluster.node(2), "olga")
    conn3, listener3 = client(cluster.node(3), "olga", ws=True)
    subscribe(conn3, listener3, "/topic/room.42", "r")
    for node in cluster.nodes:
        status = eventually(lambda: (lambda s: s if "olga" in s["online_users"] else None)(call(node, "GET", "/api/status?limit=1000")))
        assert status and status["online_count"] >= 1
        page = call(node, "GET", "/api/status?offset=0&limit=1")
        assert len(page["online_users"]) <= 1 and page["limit"] == 1

        presence = eventually(lambda: (lambda p: p if len(p["sessions"]) == 2 else None)(call(node, "GET", "/api/users/olga", template="/api/users/{user}")))
        assert presence["online"] is True and presence["nodes"] == ["node2", "node3"]
        assert sorted(s["endpoint"] for s in presence["sessions"]) == ["stomp", "websocket"]
        assert all(s["connected_at"] > 1_700_000_000_000 for s in presence["sessions"])
        offline = call(node, "GET", "/api/users/nobody-here", template="/api/users/{user}")
        assert offline == {"user": "nobody-here", "online": False, "nodes": [], "sessions": []}

        subscribers = eventually(lambda: (lambda s: s if s["count"] == 1 else None)(
            call(node, "GET", "/api/subscribers?destination=/topic/room.42&users=true", template="/api/subscribers")))
        assert subscribers["nodes"] == {"node3": 1} and subscribers["users"] == ["olga"]
        assert "users" not in call(node, "GET", "/api/subscribers?destination=%2Ftopic%2Froom.42", template="/api/subscribers")
    conn2.disconnect()
    conn3.disconnect()


def session_of(cluster, user, node_name):
    presence = eventually(lambda: (lambda p: p if any(s["node"] == node_name for s in p["sessions"]) else None)(
        call(cluster.node(1), "GET", "/api/users/" + user, template="/api/users/{user}")))
    return [s["session"] for s in presence["sessions"] if s["node"] == node_name][0]


def test_disconnect_a_session_on_another_node_with_a_reason_the_client_sees(cluster):
    victim, victim_listener = client(cluster.node(3), "paul")
    bystander, bystander_listener = client(cluster.node(3), "paul")
    session = session_of(cluster, "paul", "node3")
    answer = call(cluster.node(1), "POST", "/api/disconnect", {"session": session, "reason": "account suspended"})
    assert answer == {"ok": True, "nodes": ["node3"]}
    errors = []
    for listener in (victim_listener, bystander_listener):
        try:
            errors.append(listener.errors.get(timeout=2).headers["message"])
        except queue.Empty:
            pass
    assert errors == ["account suspended"], "exactly the named session ends"
    call(cluster.node(1), "POST", "/api/disconnect", {"session": "node9/1"}, status=404)
    bystander.disconnect()


def test_disconnect_every_session_of_a_user_on_every_node(cluster):
    sessions = [client(cluster.node(n), "quinn", ws=(n == 2)) for n in (1, 2, 3)]
    session_of(cluster, "quinn", "node3")
    eventually(lambda: len(call(cluster.node(2), "GET", "/api/users/quinn", template="/api/users/{user}")["sessions"]) == 3)
    answer = call(cluster.node(2), "POST", "/api/disconnect", {"user": "quinn", "reason": "logged out everywhere"})
    assert sorted(answer["nodes"]) == ["node1", "node2", "node3"]
    for _, listener in sessions:
        assert get(listener.errors).headers["message"] == "logged out everywhere"


@pytest.mark.parametrize("number", [1, 2, 3])
def test_bad_requests_get_a_4xx_json_error_on_every_node(cluster, number):
    node = cluster.node(number)
    call(node, "POST", "/api/publish", raw=b"{not json", status=400)
    call(node, "POST", "/api/publish", {"destination": "/topic/a", "colour": "red"}, status=400)
    call(node, "POST", "/api/publish", {"destination": "/app/x", "body": "b"}, status=400)
    call(node, "POST", "/api/publish", {"destination": "/topic/a.*"}, status=400)
    call(node, "POST", "/api/send", {"user": "u"}, status=400)
    call(node, "POST", "/api/broadcast", {"destinations": []}, status=400)
    call(node, "POST", "/api/batch", {"operations": [{"publish": {"destination": "/topic/ok"}}, {"drop": {}}]}, status=400)
    call(node, "POST", "/api/disconnect", {"session": "x", "user": "y"}, status=400)
    call(node, "GET", "/api/status?limit=5000", status=400)
    call(node, "GET", "/api/subscribers", status=400)
    call(node, "POST", "/api/publish", raw=json.dumps({"destination": "/topic/a", "body": "x" * 5000}).encode(), status=413)
    call(node, "POST", "/api/publish", {"destination": "/topic/a"}, key=None, status=401)
    call(node, "POST", "/api/publish", {"destination": "/topic/a"}, key="wrong", status=401)
    call(node, "GET", "/api/status", key="other-key")
    call(node, "GET", "/api/publish", status=405)
    connection = http.client.HTTPConnection("127.0.0.1", node.api_port, timeout=5)
    connection.request("GET", "/api/nothing", headers={"Authorization": "apikey " + KEY})
    response = connection.getresponse()
    assert response.status == 404 and json.loads(response.read())["status"] == 404


def test_every_documented_operation_was_checked_against_the_real_server(cluster):
    documented = {(path, method.upper()) for path, operations in SPEC["paths"].items() for method in operations}
    checked = {(path, method) for path, method, status in CHECKED if status == 200}
    assert documented <= checked, "not exercised: %s" % sorted(documented - checked)


def jwt(secret, claims):
    import base64, hashlib, hmac

    def part(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    signing = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + part(json.dumps(claims).encode())
    return signing + "." + part(hmac.new(secret.encode(), signing.encode(), hashlib.sha256).digest())


def test_a_jwt_with_the_api_role_authenticates_and_one_without_it_does_not(tmp_path):
    import subprocess
    from conftest import free_port, wait_for_port
    secret = "s" * 48
    binary = os.environ.get("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))
    api_port = free_port()
    with open(tmp_path / "node.log", "w") as log:
        proc = subprocess.Popen([binary, "--port", str(free_port()), "--stomp-port", "off", "--admin-port", "off",
                                 "--api-port", str(api_port), "--set", "auth.jwt.secret=" + secret], stdout=log, stderr=log)
    try:
        wait_for_port(api_port, proc)

        class Node:
            pass
        node = Node()
        node.api_port = api_port
        now = int(time.time())
        good = jwt(secret, {"sub": "backend", "roles": ["api"], "exp": now + 300})
        no_role = jwt(secret, {"sub": "someone", "roles": ["customer"], "exp": now + 300})
        forged = jwt("x" * 48, {"sub": "backend", "roles": ["api"], "exp": now + 300})
        for token, status in [(good, 200), (no_role, 401), (forged, 401)]:
            connection = http.client.HTTPConnection("127.0.0.1", api_port, timeout=5)
            connection.request("GET", "/api/status", headers={"Authorization": "Bearer " + token})
            response = connection.getresponse()
            body = json.loads(response.read())
            assert response.status == status, body
            jsonschema.validate(body, response_schema("/api/status", "GET", status), cls=jsonschema.Draft202012Validator)
        call(node, "GET", "/api/status", key=None, status=401)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
