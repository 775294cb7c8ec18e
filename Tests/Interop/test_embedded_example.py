"""examples/embedded (a Swift program with a node inside) driven by stomp.py: /app handlers as
closures, a reply to one session, a @SubscribeMapping answer, a topic fed from another thread,
presence read by the program, and a clean stop on SIGTERM."""
import os
import queue
import signal
import subprocess
import time

import pytest

from conftest import ROOT, free_port
from stomp_clients import connect_port, get, subscribe


@pytest.fixture(scope="module")
def example():
    binary = os.environ.get("STAMPEDE_EMBEDDED_EXAMPLE_BIN",
                            os.path.join(os.path.dirname(os.environ.get("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))),
                                         "stampede-embedded-example"))
    assert os.path.exists(binary), "no %s: swift build --product stampede-embedded-example" % binary
    ws_port, stomp_port = free_port(), free_port()
    proc = subprocess.Popen([binary, "--port", str(ws_port), "--stomp-port", str(stomp_port)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    assert line.startswith("ready"), line
    try:
        yield ws_port, stomp_port
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=15)[0]
        assert proc.returncode == 0, output
        assert "stopped" in output


def connect(port, login, ws=False):
    return connect_port(port, login, ws=ws)


def message(listener, timeout=5):
    return get(listener.messages, timeout)


def test_a_closure_answers_the_sending_session_only(example):
    ws_port, stomp_port = example
    alice1, l1 = connect(ws_port, "alice", ws=True)
    alice2, l2 = connect(stomp_port, "alice")
    for conn, listener in ((alice1, l1), (alice2, l2)):
        subscribe(conn, listener, "/user/queue/greetings", "g")
    alice1.send("/app/greet", "hi")
    reply = message(l1)
    assert reply.body == "hello alice: hi"
    with pytest.raises(queue.Empty):
        l2.messages.get(timeout=0.5)
    alice1.disconnect()
    alice2.disconnect()


def test_a_subscribe_closure_answers_that_subscription_once(example):
    _, stomp_port = example
    bob, lb = connect(stomp_port, "bob")
    subscribe(bob, lb, "/app/time", "t")
    answer = message(lb)
    assert answer.headers["subscription"] == "t"
    assert answer.headers["destination"] == "/app/time"
    assert answer.body.startswith("now: ")
    bob.disconnect()


def test_chat_presence_and_a_topic_fed_from_another_thread(example):
    _, stomp_port = example
    carol, lc = connect(stomp_port, "carol")
    subscribe(carol, lc, "/topic/chat.lobby", "lobby")
    subscribe(carol, lc, "/user/queue/greetings", "g")
    carol.send("/app/chat.lobby", "hello room")
    assert message(lc).body == "carol: hello room"
    carol.send("/app/who", "")
    assert message(lc).body == "in the lobby: carol"
    subscribe(carol, lc, "/topic/ticks", "ticks")
    first = message(lc)
    assert first.body.startswith("tick ")
    carol.disconnect()
