"""Webhook routes, the connect hook and session events against a real node and a Python HTTP
backend: answers routed to the sender's session, a user or a topic; a slow backend times out
and a failing one is retried, then the sender gets an ERROR with its receipt; a hanging
backend does not delay other clients."""
import os
import queue
import subprocess
import threading
import time
import urllib.request

import pytest
import stomp

from conftest import ROOT, free_port, wait_for_port
import stomp_clients
from stomp_clients import get, subscribe
from test_stomp_py import Collector, wait_receipt
from webhook_backend import Backend


class WebhookNode:
    def __init__(self, tmp_path, backend, extra=()):
        binary = os.environ.get("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))
        self.ws_port, self.stomp_port, self.admin_port = free_port(), free_port(), free_port()
        self.log_path = tmp_path / "node.log"
        args = [binary, "--port", str(self.ws_port), "--stomp-port", str(self.stomp_port), "--admin-port", str(self.admin_port),
                "--api-port", "off", "--log-level", "debug",
                "--set", "applications.routes=/app/hook.**:webhook:%s/hook" % backend.url,
                "--set", "webhooks.timeout-ms=300", "--set", "webhooks.max-attempts=3",
                "--set", "webhooks.backoff-initial-ms=50", "--set", "webhooks.backoff-max-ms=100",
                "--set", "hooks.connect-url=%s/connect" % backend.url,
                "--set", "hooks.events-url=%s/events" % backend.url,
                "--set", "hooks.events=connect,disconnect,subscribe"]
        for pair in extra:
            args += ["--set", pair]
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=log)
        wait_for_port(self.stomp_port, self.proc)

    def metrics(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.admin_port, timeout=5) as response:
            return response.read().decode()

    def stop(self):
        self.proc.terminate()
        assert self.proc.wait(timeout=15) == 0


@pytest.fixture(scope="module")
def backend():
    server = Backend()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def node(tmp_path_factory, backend):
    running = WebhookNode(tmp_path_factory.mktemp("webhooks"), backend)
    yield running
    running.stop()


def connect(node, login="good-alice", ws=False, wait=True):
    return stomp_clients.connect(node, login, "secret", ws=ws, wait=wait)


def test_webhook_answer_reaches_the_senders_session_only_and_carries_the_senders_identity(node, backend):
    conn, listener = connect(node, ws=True)
    other, other_listener = connect(node)          # the same user, another session
    subscribe(conn, listener, "/user/queue/replies", "1")
    subscribe(other, other_listener, "/user/queue/replies", "1")
    conn.send("/app/hook.chat", "echo-1", headers={"x-trace": "t1", "content-type": "text/plain"})
    frame = get(listener.messages)
    assert frame.body == "echo:echo-1"
    assert frame.headers["x-from"] == "webhook"
    assert frame.headers["destination"] == "/user/queue/replies"
    with pytest.raises(queue.Empty):
        other_listener.messages.get(timeout=0.5)
    call = [c for c in backend.calls if c.get("body") == "echo-1"][0]
    assert call["kind"] == "send" and call["user"] == "alice" and call["endpoint"] == "websocket"
    assert call["destination"] == "/app/hook.chat" and call["route"] == "/app/hook.**"
    node_id, session = call["session"].rsplit("/", 1)
    assert call["node"] == node_id and session.isdigit()
    assert call["headers"]["x-trace"] == "t1"
    conn.disconnect()
    other.disconnect()


def test_webhook_answer_routed_to_a_user_and_to_a_topic(node, backend):
    conn, listener = connect(node)
    bob, bob_listener = connect(node, login="good-bob")
    subscribe(conn, listener, "/user/queue/replies", "1")
    subscribe(bob, bob_listener, "/topic/news", "1")
    conn.send("/app/hook.x", "user-1")
    assert get(listener.messages).body == "to-user"
    conn.send("/app/hook.x", "topic-1")
    assert get(bob_listener.messages).body == "news:topic-1"
    conn.disconnect()
    bob.disconnect()


def test_subscribe_to_a_webhook_route_gets_its_answer_as_one_message(node, backend):
    conn, listener = connect(node)
    conn.subscribe("/app/hook.history", id="h1")
    frame = get(listener.messages)
    assert frame.headers["subscription"] == "h1"
    assert frame.headers["destination"] == "/app/hook.history"
    assert '"history"' in frame.body
    conn.disconnect()
    # The round trip and the webhook attempt behind it are in the latency histograms.
    metrics = node.metrics()
    assert sample(metrics, 'stampede_app_round_trip_seconds_count{kind="subscribe"}') >= 1
    assert sample(metrics, "stampede_webhook_duration_seconds_count") >= 1
    assert sample(metrics, 'stampede_webhook_duration_seconds_bucket{le="+Inf"}') == sample(metrics, "stampede_webhook_duration_seconds_count")


def sample(metrics, name):
    """The value of the /metrics line that starts with `name ` (labels included)."""
    return float(next(line for line in metrics.splitlines() if line.startswith(name + " ")).split()[-1])


def test_slow_backend_times_out_is_retried_then_the_sender_gets_an_error_with_its_receipt(node, backend):
    conn, listener = connect(node)
    conn.send("/app/hook.x", "slow-1", headers={"receipt": "s1"})
    error = get(listener.errors, timeout=5)
    assert error.headers["receipt-id"] == "s1"
    assert "webhook failed after 3 attempts" in error.headers["message"]
    assert "timed out" in error.headers["message"]
    assert backend.attempts("slow-1") == 3


def test_failing_backend_is_retried_then_error_and_counted(node, backend):
    conn, listener = connect(node)
    conn.send("/app/hook.x", "fail-1", headers={"receipt": "f1"})
    error = get(listener.errors, timeout=5)
    assert error.headers["receipt-id"] == "f1"
    assert "HTTP 500" in error.headers["message"]
    assert backend.attempts("fail-1") == 3
    metrics = node.metrics()
    assert 'stampede_webhook_calls_total{result="exhausted"}' in metrics
    exhausted = [line for line in metrics.splitlines() if line.startswith('stampede_webhook_calls_total{result="exhausted"}')][0]
    assert float(exhausted.split()[-1]) >= 1
    assert "stampede_webhook_retries_total" in metrics


def test_backend_refusal_is_the_senders_error_without_retry(node, backend):
    conn, listener = connect(node)
    conn.send("/app/hook.x", "refuse-1", headers={"receipt": "x1"})
    error = get(listener.errors)
    assert error.headers["message"] == "room is closed"
    assert error.headers["receipt-id"] == "x1"
    assert backend.attempts("refuse-1") == 1


def test_connect_hook_accepts_with_the_user_it_returns_and_refuses_bad_credentials(node, backend):
    conn, listener = connect(node, login="good-carol")
    subscribe(conn, listener, "/user/queue/replies", "1")
    conn.send("/app/hook.x", "user-carol")
    assert get(listener.messages).body == "to-user"
    assert [c["user"] for c in backend.calls if c.get("body") == "user-carol"] == ["carol"]
    connect_call = [c for c in backend.connects if c.get("login") == "good-carol"][0]
    assert connect_call["passcode"] == "secret" and connect_call["event"] == "connect"
    conn.disconnect()

    refused, refused_listener = connect(node, login="mallory", wait=False)
    error = get(refused_listener.errors)
    assert error.headers["message"] == "authentication failed: bad credentials"
    down, down_listener = connect(node, login="down", wait=False)
    assert get(down_listener.errors).headers["message"] == "authentication failed: authentication unavailable"


def test_session_events_are_posted_to_the_events_hook(node, backend):
    conn, listener = connect(node, login="good-dave")
    subscribe(conn, listener, "/topic/dave", "d1")
    conn.disconnect()
    deadline = time.time() + 5
    while time.time() < deadline:
        events = [(e["event"], e.get("destination")) for e in backend.events if e["user"] == "dave"]
        if ("disconnect", None) in events:
            break
        time.sleep(0.05)
    # Notifications are sent concurrently: their arrival order is not guaranteed.
    assert sorted(events, key=str) == sorted([("connect", None), ("subscribe", "/topic/dave"), ("disconnect", None)], key=str)


def test_hanging_webhook_does_not_delay_a_bystanders_deliveries(node, backend):
    hanging, _ = connect(node, login="good-erin")
    for index in range(20):
        hanging.send("/app/hook.x", "hang-%d" % index)
    time.sleep(0.1)
    bystander, listener = connect(node, login="good-frank")
    subscribe(bystander, listener, "/topic/bystander", "b1")
    latencies = []
    for index in range(20):
        started = time.time()
        bystander.send("/topic/bystander", "ping-%d" % index)
        assert get(listener.messages).body == "ping-%d" % index
        latencies.append(time.time() - started)
    assert max(latencies) < 0.25, "bystander round trips %s" % latencies
    backend.release.set()
    bystander.disconnect()
