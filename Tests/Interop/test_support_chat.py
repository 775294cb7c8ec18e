"""examples/support-chat/run.sh (three nodes, redis-server, haproxy, the backend worker, the pages)
driven in two headless Chromiums: a customer on node 1 and an agent on node 2 exchange a line
each way and see each other typing; the customer's connection drops and nothing the design
promises is lost; a customer's token cannot read an agent destination."""
import os
import queue
import signal
import subprocess
import threading
import time
import urllib.request

import pytest
import stomp

from browser import Browser, chromium_binary
from conftest import ROOT, free_port
from test_stomp_py import Collector

ARTEFACTS = os.path.join(ROOT, ".build", "test-artifacts")
NODE_WS = {1: 15681, 2: 15682, 3: 15683}


@pytest.fixture(scope="module")
def demo():
    env = dict(os.environ)
    env.setdefault("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))
    env["SUPPORT_CHAT_PORT"] = str(free_port())
    env.setdefault("SUPPORT_CHAT_PYTHON", os.path.join(ROOT, ".venv", "bin", "python"))
    proc = subprocess.Popen([os.path.join(ROOT, "examples", "support-chat", "run.sh")], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    output, deadline = [], time.time() + 60
    while not any("support-chat is up" in line for line in output):
        try:
            output.append(lines.get(timeout=max(0.1, deadline - time.time())))
        except queue.Empty:
            proc.kill()
            pytest.fail("run.sh did not come up:\n" + "".join(output))
    try:
        yield "http://127.0.0.1:%s" % env["SUPPORT_CHAT_PORT"]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130
        assert not os.path.exists(os.path.join(ROOT, "run", "cluster", "node1.pid")), "run.sh left the cluster running"


@pytest.fixture
def two_browsers():
    binary = chromium_binary()
    if binary is None:
        pytest.fail("chromium is not installed (scripts/setup.sh --with-python installs it)")
    customer, agent = Browser(binary), Browser(binary)
    yield customer, agent
    customer.close()
    agent.close()


def type_into(browser, text, submit):
    """Types like a user: the input event (typing hint), then optionally the form's submit."""
    browser.evaluate("""(() => { const input = document.getElementById('text'); input.value = %r;
        input.dispatchEvent(new Event('input')); %s return true; })()"""
                     % (text, "input.form.requestSubmit();" if submit else ""))


def messages(browser):
    return "document.getElementById('messages').innerText"


def test_help_answers_without_building_or_starting_anything():
    result = subprocess.run([os.path.join(ROOT, "examples", "support-chat", "run.sh"), "--help"],
                            capture_output=True, text=True, timeout=10, env={**os.environ, "STAMPEDE_BIN": "/nonexistent"})
    assert result.returncode == 0 and "customer.html" in result.stdout and "agent.html" in result.stdout


def test_customer_and_agent_on_different_nodes_chat_type_and_survive_a_drop(demo, two_browsers):
    customer, agent = two_browsers
    agent.navigate("%s/agent.html?name=agent-ann&ws=ws://127.0.0.1:%d/ws/agent" % (demo, NODE_WS[2]))
    agent.wait_for("document.body.dataset.connected === 'true'")
    customer.navigate("%s/customer.html?name=alice&ws=ws://127.0.0.1:%d/ws/chat" % (demo, NODE_WS[1]))
    customer.wait_for("document.body.dataset.connected === 'true'")

    # Customer -> agent: the first line assigns alice to agent-ann (the only agent); then the
    # typing hint of her next line. The agent sees alice online (presence).
    type_into(customer, "my parcel never came", submit=True)
    agent.wait_for("%s.includes('my parcel never came')" % messages(agent))
    customer.wait_for("document.getElementById('agent').innerText.includes('agent-ann (online)')")
    agent.wait_for("document.querySelector('#customers li[data-customer=alice]').classList.contains('online')")
    type_into(customer, "it was due on Monday", submit=False)
    agent.wait_for("document.getElementById('typing').innerText.includes('alice is typing')")
    type_into(customer, "it was due on Monday", submit=True)
    agent.wait_for("%s.includes('it was due on Monday')" % messages(agent))

    # Agent -> customer, with the typing hint.
    type_into(agent, "sorry, resending it today", submit=False)
    customer.wait_for("document.getElementById('typing').innerText.includes('agent-ann is typing')")
    type_into(agent, "sorry, resending it today", submit=True)
    customer.wait_for("%s.includes('sorry, resending it today')" % messages(customer))
    customer.screenshot(os.path.join(ARTEFACTS, "support-chat-customer.png"))
    agent.screenshot(os.path.join(ARTEFACTS, "support-chat-agent.png"))

    # The customer's connection drops (the page stays); meanwhile the agent answers and the
    # customer writes. After the reconnect both lines are there, each once.
    customer.evaluate("chat.client.stopped = true; chat.client.ws.close(); true")
    customer.wait_for("document.body.dataset.connected === 'false'")
    agent.wait_for("!document.querySelector('#customers li[data-customer=alice]').classList.contains('online')")
    type_into(agent, "tracking number 42", submit=True)
    agent.wait_for("!document.querySelector('#messages .pending')")
    type_into(customer, "written while offline", submit=True)
    assert customer.evaluate("document.querySelectorAll('#messages .pending').length") == 1
    customer.evaluate("chat.client.start(); true")
    customer.wait_for("%s.includes('tracking number 42')" % messages(customer))
    customer.wait_for("!document.querySelector('#messages .pending')")
    agent.wait_for("%s.includes('written while offline')" % messages(agent))
    assert customer.evaluate("%s.split('written while offline').length" % messages(customer)) == 2
    assert agent.evaluate("%s.split('written while offline').length" % messages(agent)) == 2
    customer.screenshot(os.path.join(ARTEFACTS, "support-chat-customer-after-reconnect.png"))

    # An agent console opened later (on node 3) knows at once that alice is online: presence
    # events only tell changes, the backend tells the state.
    agent.navigate("%s/agent.html?name=agent-ann&ws=ws://127.0.0.1:%d/ws/agent" % (demo, NODE_WS[3]))
    agent.wait_for("document.querySelector('#customers li[data-customer=alice]')?.classList.contains('online')")
    agent.wait_for("%s.includes('written while offline')" % messages(agent))


def test_a_customer_token_cannot_read_agent_destinations(demo):
    with urllib.request.urlopen(demo + "/token?role=customer&user=mallory", timeout=10) as response:
        token = response.read().decode()
    conn = stomp.WSStompConnection([("127.0.0.1", NODE_WS[3])], ws_path="/ws/agent?access_token=" + token)
    listener = Collector()
    conn.set_listener("c", listener)
    conn.connect(wait=True)
    conn.subscribe("/topic/support.customers.presence", id="spy")
    error = listener.errors.get(timeout=10)
    assert error.headers["message"].startswith("Access denied")
