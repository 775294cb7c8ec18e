#!/usr/bin/env python3
"""Fault scenarios against the local three-node cluster (scripts/cluster.sh), under a steady load
through HAProxy, each checked against README's "Delivery guarantees" table. scripts/faults.sh
starts the cluster and runs this; docs/reliability.md records the results.

Load (stomp.py, raw STOMP through HAProxy on 127.0.0.1:61613, so clients spread over the nodes):
one producer sends --rate messages/s to /queue/faults (each with a receipt: a message whose RECEIPT
came back is *accepted*) and to /topic/faults; two queue consumers ACK each message
(client-individual); one topic subscriber. Every client reconnects (and resubscribes) on its own.

Per scenario: load for --before s, the fault, wait until every node's /readyz is 200 again, load
for --after s, then drain. It prints accepted / delivered / lost / duplicated for the queue, sent /
delivered for the topic, the time until a message sent after the fault reached a consumer, and
whether that matches the guarantees table.
"""
import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import stomp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "run", "cluster")
ADMIN_PORTS = {"node1": 15691, "node2": 15692, "node3": 15693}
QUEUE, TOPIC = "/queue/faults", "/topic/faults"


def pid_of(name):
    with open(os.path.join(RUN, name + ".pid")) as f:
        return int(f.read().strip())


def command_of(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return [part.decode() for part in f.read().split(b"\0") if part]


def restart(name, argv):
    """Starts NAME again with the command line it had, appending to its log, and records its PID."""
    log = open(os.path.join(RUN, name + ".log"), "ab")
    proc = subprocess.Popen(argv, stdout=log, stderr=log, cwd=ROOT, start_new_session=True)
    with open(os.path.join(RUN, name + ".pid"), "w") as f:
        f.write("%d\n" % proc.pid)
    return proc


def all_ready():
    for port in ADMIN_PORTS.values():
        try:
            if urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port, timeout=1).status != 200:
                return False
        except Exception:
            return False
    return True


def wait_ready(timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if all_ready():
            return True
        time.sleep(0.2)
    return False


class Client(stomp.ConnectionListener):
    """One STOMP connection that reconnects by itself; `on_message` records what arrives."""

    def __init__(self, name, subscribe=None, ack="auto"):
        self.name, self.subscription, self.ack = name, subscribe, ack
        self.lock = threading.Lock()
        self.received = []          # (seq, arrival time)
        self.receipts = set()
        self.reconnects = 0
        self.conn = None
        self.connected = threading.Event()
        self.stopping = False
        threading.Thread(target=self.keep_connected, daemon=True).start()

    def keep_connected(self):
        while not self.stopping:
            if not self.connected.is_set():
                try:
                    conn = stomp.Connection12([("127.0.0.1", 61613)], heartbeats=(0, 0), reconnect_attempts_max=1)
                    conn.set_listener("l", self)
                    conn.connect(login=self.name, wait=True)
                    if self.subscription:
                        conn.subscribe(self.subscription, id="s", ack=self.ack)
                    self.conn = conn
                    self.connected.set()
                    self.reconnects += 1
                except Exception:
                    time.sleep(0.2)
                    continue
            time.sleep(0.05)

    def on_disconnected(self):
        self.connected.clear()

    def on_receipt(self, frame):
        with self.lock:
            self.receipts.add(frame.headers.get("receipt-id"))

    def on_message(self, frame):
        seq = frame.headers.get("seq")
        with self.lock:
            self.received.append((int(seq), time.time()))
        if self.ack != "auto":
            try:
                self.conn.ack(frame.headers["ack"])  # STOMP 1.2: the MESSAGE's ack header
            except Exception:
                pass

    def stop(self):
        self.stopping = True
        try:
            self.conn.disconnect()
        except Exception:
            pass


class Producer(Client):
    def __init__(self, rate):
        super().__init__("producer")
        self.rate, self.seq, self.sent_at = rate, 0, {}
        self.topic_sent = 0
        self.running = threading.Event()
        threading.Thread(target=self.produce, daemon=True).start()

    def produce(self):
        while not self.stopping:
            if not self.running.is_set() or not self.connected.is_set():
                time.sleep(0.01)
                continue
            self.seq += 1
            seq = self.seq
            try:
                self.conn.send(QUEUE, "q%d" % seq, headers={"seq": str(seq), "receipt": "r%d" % seq})
                self.sent_at[seq] = time.time()
                self.conn.send(TOPIC, "t%d" % seq, headers={"seq": str(seq)})
                self.topic_sent += 1
            except Exception:
                self.connected.clear()
            time.sleep(1.0 / self.rate)


def scenario_actions(name, args):
    """(description, inject(), heal()) for a scenario name."""
    state = {}

    def kill_node(sig, node):
        def inject():
            state["argv"] = command_of(pid_of(node))
            os.kill(pid_of(node), sig)
        def heal():
            time.sleep(1)
            restart(node, state["argv"])
        return inject, heal

    def redis(sig_in, sig_out=None):
        def inject():
            # redis-server rewrites its own command line: start it again as scripts/cluster.sh does.
            state["argv"] = ["redis-server", "--bind", "127.0.0.1", "--port", "6390", "--save", "", "--appendonly", "no",
                             "--daemonize", "no", "--dir", RUN, "--logfile", ""]
            os.kill(pid_of("redis"), sig_in)
        def heal():
            if sig_out is not None:
                time.sleep(args.redis_stop_seconds)
                os.kill(pid_of("redis"), sig_out)
            else:
                time.sleep(1)
                restart("redis", state["argv"])
        return inject, heal

    table = {
        "kill-node": ("kill -9 node1, restart it 1 s later", *kill_node(signal.SIGKILL, "node1"), True),
        "term-node": ("SIGTERM node2 (clean shutdown, clients told), restart it", *kill_node(signal.SIGTERM, "node2"), True),
        "stop-redis": ("SIGSTOP redis-server for --redis-stop-seconds, then SIGCONT", *redis(signal.SIGSTOP, signal.SIGCONT), True),
        "restart-redis": ("restart redis-server (no persistence: what it held is gone)", *redis(signal.SIGTERM), False),
    }
    return table[name]


def run(name, args):
    description, inject, heal, queue_kept = scenario_actions(name, args)
    producer = Producer(args.rate)
    consumers = [Client("consumer%d" % i, QUEUE, "client-individual") for i in range(2)]
    listener = Client("listener", TOPIC)
    for client in [producer, listener] + consumers:
        client.connected.wait(10)
    time.sleep(0.5)
    producer.running.set()
    time.sleep(args.before)
    fault_at = time.time()
    inject()
    heal()
    ready = wait_ready(60)
    healed_at = time.time()
    time.sleep(args.after)
    producer.running.clear()
    time.sleep(args.drain)
    accepted = {int(r[1:]) for r in producer.receipts if r and r.startswith("r")}
    deliveries = [seq for c in consumers for seq, _ in c.received]
    delivered = set(deliveries)
    lost = sorted(accepted - delivered)
    first_after = min((t for c in consumers for seq, t in c.received if producer.sent_at.get(seq, 0) > fault_at), default=None)
    topic_delivered = len({seq for seq, _ in listener.received})
    reconnected = sum(client.reconnects - 1 for client in [producer, listener] + consumers)
    for client in [producer, listener] + consumers:
        client.stop()
    matches = (not queue_kept or not lost)
    print("%-14s %s" % (name, description))
    print("    queue: sent %d, accepted %d, delivered %d (unique), lost %d, duplicated %d; topic: sent %d, delivered %d"
          % (producer.seq, len(accepted), len(delivered & accepted), len(lost), len(deliveries) - len(delivered),
             producer.topic_sent, topic_delivered))
    print("    %d of 4 clients reconnected; all nodes ready %.1f s after the fault%s; first queue message sent after the fault delivered %s"
          % (reconnected, healed_at - fault_at, "" if ready else " (NOT READY within 60 s)",
             "after %.1f s" % (first_after - fault_at) if first_after else "never"))
    print("    guarantees table: %s" % ("as promised" if matches and ready else "NOT as promised")
          + ("" if queue_kept else " (a Redis without persistence keeps no queue: accepted messages may be lost)"))
    return matches and ready


def memory_attack(attack, clients, args):
    """Issue 12's attacks (scripts/memory-attack.py) on node1 directly, with a probe pair's
    queue load through HAProxy around it. Prints the attack's RSS figures; passes when the probe
    queue lost nothing (the RSS bounds are asserted by Tests/GatewayTests' budget tests)."""
    producer = Producer(args.rate)
    consumer = Client("consumer", QUEUE, "client-individual")
    producer.connected.wait(10)
    consumer.connected.wait(10)
    producer.running.set()
    result = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "memory-attack.py"), attack, "--pid", str(pid_of("node1")),
                             "--port", "61621", "--clients", str(clients), "--seconds", "15", "--settle", "10"],
                            capture_output=True, text=True)
    producer.running.clear()
    time.sleep(args.drain)
    accepted = {int(r[1:]) for r in producer.receipts if r and r.startswith("r")}
    lost = accepted - {seq for seq, _ in consumer.received}
    producer.stop()
    consumer.stop()
    print("%-14s scripts/memory-attack.py %s --clients %d against node1" % (attack, attack, clients))
    for line in result.stdout.strip().splitlines():
        print("    " + line)
    print("    probe queue through haproxy: accepted %d, lost %d" % (len(accepted), len(lost)))
    ok = result.returncode == 0 and not lost
    print("    guarantees table: %s" % ("as promised" if ok else "NOT as promised"))
    return ok


def main():
    logging.getLogger("stomp").setLevel(logging.CRITICAL)  # reconnects are expected: no tracebacks
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=["kill-node", "term-node", "stop-redis", "restart-redis", "stuck-readers", "stalled-frames"])
    parser.add_argument("--rate", type=float, default=100, help="messages/s to the queue and to the topic (default 100)")
    parser.add_argument("--before", type=float, default=3, help="seconds of load before the fault")
    parser.add_argument("--after", type=float, default=3, help="seconds of load after recovery")
    parser.add_argument("--drain", type=float, default=10, help="seconds to wait for messages still on their way")
    parser.add_argument("--redis-stop-seconds", type=float, default=10, help="how long stop-redis keeps Redis stopped")
    args = parser.parse_args()
    if not wait_ready(30):
        sys.exit("faults: the cluster is not ready (scripts/cluster.sh up)")
    attacks = {"stuck-readers": 500, "stalled-frames": 300}
    ok = all([memory_attack(name, attacks[name], args) if name in attacks else run(name, args) for name in args.scenarios])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
