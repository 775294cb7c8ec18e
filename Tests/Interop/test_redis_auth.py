"""A cluster whose Redis wants a password: the default user's password (requirepass) and an ACL
user, given in cluster.redis-url. Messages cross nodes; a wrong password keeps the node degraded
with Redis's reason; the password never appears in a log."""
import json
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import free_port, wait_for_port
from test_operator import BINARY, raw_connect
from test_stomp_py import connect, wait_receipt

ADMIN_PASSWORD = "adm1n-S3cret"
USER_PASSWORD = "st4mpede-S3cret"


@pytest.fixture
def redis_with_password(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--requirepass", ADMIN_PASSWORD],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
        # An ACL user with what Stampede uses: its keys and channels, pub/sub, streams, sets.
        subprocess.run(["redis-cli", "-p", str(port), "--no-auth-warning", "-a", ADMIN_PASSWORD,
                        "ACL", "SETUSER", "stampede", "on", ">" + USER_PASSWORD, "~stampede:*", "&stampede:*",
                        "+@all"], check=True, capture_output=True)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class Node:
    def __init__(self, tmp_path, name, url):
        self.ws_port, self.stomp_port, self.admin_port = free_port(), free_port(), free_port()
        self.log_path = tmp_path / (name + ".log")
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [BINARY, "--port", str(self.ws_port), "--stomp-port", str(self.stomp_port),
                 "--admin-port", str(self.admin_port), "--api-port", "off", "--node-id", name, "--redis", url,
                 "--set", "cluster.heartbeat-ms=200", "--set", "cluster.node-timeout-ms=1000",
                 "--set", "cluster.redis-reconnect-max-ms=200", "--log-level", "debug"],
                stdout=log, stderr=log)
        wait_for_port(self.stomp_port, self.proc)
        wait_for_port(self.admin_port, self.proc)

    def readiness(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % self.admin_port, timeout=5) as response:
                return response.status, json.load(response)["status"]
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)["status"]

    def wait_ready(self, timeout=10):
        deadline = time.time() + timeout
        while self.readiness()[0] != 200:
            assert time.time() < deadline, "node never became ready: %s" % (self.readiness(),)
            time.sleep(0.05)

    def log(self):
        return self.log_path.read_text()

    def stop(self):
        self.proc.terminate()
        assert self.proc.wait(timeout=15) == 0


class Endpoint:
    def __init__(self, node):
        self.ws_port = node.ws_port
        self.stomp_port = node.stomp_port


def test_acl_user_and_default_password_both_carry_messages_across_nodes(redis_with_password, tmp_path):
    port = redis_with_password
    first = Node(tmp_path, "acl-node", "redis://stampede:%s@127.0.0.1:%d/0" % (USER_PASSWORD, port))
    second = Node(tmp_path, "pass-node", "redis://:%s@127.0.0.1:%d" % (ADMIN_PASSWORD, port))
    try:
        first.wait_ready()
        second.wait_ready()
        subscriber, listener = connect(Endpoint(first), "tcp")
        rid = str(uuid.uuid4())
        subscriber.subscribe("/topic/auth", id="1", receipt=rid)
        wait_receipt(listener, rid)
        publisher, _ = connect(Endpoint(second), "tcp")
        publisher.send("/topic/auth", "over an authenticated redis")
        assert listener.messages.get(timeout=5).body == "over an authenticated redis"
        subscriber.disconnect()
        publisher.disconnect()
    finally:
        first.stop()
        second.stop()
    for node in (first, second):
        log = node.log()
        assert ADMIN_PASSWORD not in log and USER_PASSWORD not in log
        assert ":***@127.0.0.1:%d" % port in log


def test_a_wrong_password_keeps_the_node_degraded_with_redis_reason(redis_with_password, tmp_path):
    port = redis_with_password
    node = Node(tmp_path, "wrong-node", "redis://stampede:not-the-password@127.0.0.1:%d" % port)
    try:
        deadline = time.time() + 10
        while "login refused by Redis" not in node.log():
            assert time.time() < deadline, "no login failure logged"
            time.sleep(0.05)
        # Never ready (the link counts as connected only after AUTH succeeded); the reason shows
        # Redis's answer whenever the link is between attempts.
        seen = set()
        deadline = time.time() + 5
        while time.time() < deadline and not any("WRONGPASS" in text for text in seen):
            status, text = node.readiness()
            assert status == 503, text
            seen.add(text)
        assert any("WRONGPASS" in text for text in seen), seen
        # Local delivery still works.
        assert raw_connect(node.stomp_port).startswith("CONNECTED")
    finally:
        node.stop()
    assert "not-the-password" not in node.log()
