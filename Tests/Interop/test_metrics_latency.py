"""The latency histograms of /metrics, parsed as Prometheus reads them, after real traffic: topic
deliveries (every publication sampled), an /app request with a correlation-id answered by a
stomp.py service, and an /app SUBSCRIBE answered on its subscription."""
import re
import subprocess
import urllib.request

import pytest

from conftest import ROOT, free_port, wait_for_port
from stomp_clients import connect, get, subscribe
from test_stomp_py import Collector
import os

BINARY = os.environ.get("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')


class Node:
    def __init__(self, ws_port, stomp_port, admin_port):
        self.ws_port, self.stomp_port, self.admin_port = ws_port, stomp_port, admin_port


@pytest.fixture
def node(tmp_path):
    ports = Node(free_port(), free_port(), free_port())
    with open(tmp_path / "node.log", "w") as log:
        proc = subprocess.Popen([BINARY, "--port", str(ports.ws_port), "--stomp-port", str(ports.stomp_port),
                                 "--admin-port", str(ports.admin_port), "--api-port", "off",
                                 "--set", "admin.latency-sample-every=1", "--set", "applications.service-users=svc"],
                                stdout=log, stderr=log)
    try:
        wait_for_port(ports.stomp_port, proc)
        wait_for_port(ports.admin_port, proc)
        yield ports
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0


def histograms(text):
    """{family: {labels without le: {"buckets": [(le, value)], "sum": x, "count": n}}} of every histogram family."""
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    found = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        name, labels, value = SAMPLE.match(line).groups()
        pairs = re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels or "")
        for suffix in ("_bucket", "_sum", "_count"):
            family = name[: -len(suffix)]
            if name.endswith(suffix) and types.get(family) == "histogram":
                key = tuple(p for p in pairs if p[0] != "le")
                entry = found.setdefault(family, {}).setdefault(key, {"buckets": []})
                if suffix == "_bucket":
                    entry["buckets"].append((dict(pairs)["le"], float(value)))
                else:
                    entry[suffix[1:]] = float(value)
    return found


def check_shape(family, series):
    for labels, entry in series.items():
        bounds = [le for le, _ in entry["buckets"]]
        assert bounds[-1] == "+Inf", (family, labels)
        assert [float(b) for b in bounds[:-1]] == sorted(float(b) for b in bounds[:-1]), (family, labels)
        counts = [v for _, v in entry["buckets"]]
        assert counts == sorted(counts), "buckets are cumulative: %s %s" % (family, labels)
        assert counts[-1] == entry["count"], (family, labels)


def test_metrics_expose_latency_histograms_after_deliveries_and_app_round_trips(node):
    service, calls = connect(node, "svc")
    service.subscribe("/app/**", id="calls", ack="auto")
    alice, got = connect(node, "alice")
    subscribe(alice, got, "/user/queue/replies", "replies")
    subscribe(alice, got, "/topic/latency", "ticks")
    for i in range(20):
        alice.send("/topic/latency", "tick %d" % i)
    for i in range(20):
        assert get(got.messages).body == "tick %d" % i

    alice.send("/app/echo", "ping", headers={"correlation-id": "c-1"})
    call = get(calls.messages)
    service.send("/user/alice/queue/replies", "pong", headers={"reply-to-session": call.headers["app-session"],
                                                               "correlation-id": call.headers["correlation-id"]})
    assert get(got.messages).headers["correlation-id"] == "c-1"
    alice.subscribe("/app/hello", id="hello")
    call = get(calls.messages)
    service.send("/user/alice/queue/x", "hi", headers={"reply-to-session": call.headers["app-session"],
                                                       "reply-subscription": call.headers["app-subscription"]})
    assert get(got.messages).headers["subscription"] == "hello"

    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % node.admin_port, timeout=5) as response:
        text = response.read().decode()
    found = histograms(text)
    for family, series in found.items():
        check_shape(family, series)
    local = found["stampede_delivery_latency_seconds"][(("source", "local"),)]
    # Every publication was sampled; the 20 ticks plus the service's two answers reached alice.
    assert local["count"] >= 20 and 0 < local["sum"] < local["count"]
    assert found["stampede_delivery_latency_seconds"][(("source", "cluster"),)]["count"] == 0
    rounds = found["stampede_app_round_trip_seconds"]
    assert rounds[(("kind", "send"),)]["count"] == 1 and rounds[(("kind", "subscribe"),)]["count"] == 1
    assert 0 < rounds[(("kind", "send"),)]["sum"] < 5
    assert "# TYPE stampede_delivery_latency_seconds histogram" in text
