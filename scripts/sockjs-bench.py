#!/usr/bin/env python3
"""SockJS figures for docs/benchmarks.md, on real nodes (release build by default):

  memory   idle RSS per xhr-streaming SockJS session (CONNECTed STOMP inside) next to a WebSocket
           STOMP connection, both on one node
  relay    what a request costs when it reaches a node that does not own its session (no sticky
           sessions): xhr_send round trips and MESSAGE delivery to an xhr-streaming receiver,
           local vs relayed through Redis, on two nodes sharing redis-server

  scripts/sockjs-bench.py [--binary .build/release/stampede] [--sessions 1000] [--rounds 500]
"""
import argparse
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from free_port import free_port  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def wait_for_port(port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on %d" % port)


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def stomp(command, headers, body=""):
    return command + "\n" + "".join("%s:%s\n" % item for item in headers.items()) + "\n" + body + "\x00"


class Stream:
    """An xhr_streaming request on a raw socket: frames are read line by line from the chunks."""

    def __init__(self, port, path):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n" % path).encode())
        self.buffer = b""
        head = self._until(b"\r\n\r\n")
        assert b" 200 " in head.split(b"\r\n")[0], head

    def _until(self, marker):
        while marker not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError("stream closed")
            self.buffer += data
        index = self.buffer.index(marker) + len(marker)
        piece, self.buffer = self.buffer[:index], self.buffer[index:]
        return piece

    def frame(self):
        """The next SockJS frame that is not a heart-beat or the prelude."""
        while True:
            size_line = self._until(b"\r\n")
            size = int(size_line.strip(), 16)
            while len(self.buffer) < size + 2:
                data = self.sock.recv(65536)
                if not data:
                    raise RuntimeError("stream closed")
                self.buffer += data
            chunk, self.buffer = self.buffer[:size], self.buffer[size + 2:]
            text = chunk.decode().strip("\n")
            if text and set(text) != {"h"}:
                return text


class Sender:
    """Keep-alive connection for xhr_send."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, path, messages):
        body = json.dumps(messages).encode()
        self.sock.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (path.encode(), len(body), body))
        response = b""
        while b"\r\n\r\n" not in response:
            response += self.sock.recv(4096)
        assert b" 204 " in response.split(b"\r\n")[0], response


def start_node(binary, directory, name, extra=(), redis_port=None):
    port, stomp_port = free_port(), free_port()
    args = [binary, "--port", str(port), "--stomp-port", str(stomp_port), "--admin-port", "off", "--api-port", "off",
            "--log-level", "warning", "--set", "listen.sockjs=true", "--set", "limits.max-connections=30000",
            "--set", "stomp.heart-beat=0,0", "--set", "sockjs.heartbeat-ms=60000"]
    if redis_port:
        args += ["--redis", "redis://127.0.0.1:%d" % redis_port, "--node-id", name]
    for pair in extra:
        args += ["--set", pair]
    log = open(os.path.join(directory, name + ".log"), "w")
    proc = subprocess.Popen(args, stdout=log, stderr=log)
    wait_for_port(port)
    return proc, port, stomp_port


def websocket_connect(port):
    sock = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v12.stomp\r\n\r\n" % key).encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(4096)
    payload = stomp("CONNECT", {"accept-version": "1.2", "host": "/"}).encode()
    mask = os.urandom(4)
    frame = bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(frame)
    data = b""
    while b"CONNECTED" not in data:
        data += sock.recv(4096)
    return sock


def memory(binary, directory, count):
    """Each kind on a fresh node, so that neither profits from memory the other left behind."""
    def measure(name, open_one):
        proc, port, _ = start_node(binary, directory, "memory-" + name)
        try:
            time.sleep(0.5)
            base = rss_bytes(proc.pid)
            kept = [open_one(port, index) for index in range(count)]
            time.sleep(1.0)
            per = (rss_bytes(proc.pid) - base) / count
            del kept
            return per
        finally:
            proc.terminate()
            proc.wait(timeout=15)

    def sockjs_session(port, index):
        path = "/ws/000/m%d" % index
        stream = Stream(port, path + "/xhr_streaming")
        assert stream.frame() == "o"
        Sender(port).send(path + "/xhr_send", [stomp("CONNECT", {"accept-version": "1.2", "host": "/"})])
        assert stream.frame().startswith('a["CONNECTED')
        return stream

    websocket = measure("websocket", lambda port, _: websocket_connect(port))
    sockjs = measure("sockjs", sockjs_session)
    print("memory: %d each on a fresh node: websocket STOMP connection %.0f bytes, sockjs xhr-streaming session %.0f bytes (%.2fx)"
          % (count, websocket, sockjs, sockjs / websocket))


def percentiles(samples):
    samples = sorted(samples)
    return "p50 %.3f ms, p99 %.3f ms" % (statistics.median(samples) * 1000, samples[int(len(samples) * 0.99) - 1] * 1000)


def relay(binary, directory, rounds):
    redis_port = free_port()
    redis = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(redis_port)
    nodes = [start_node(binary, directory, "node%d" % n, redis_port=redis_port) for n in (1, 2)]
    try:
        time.sleep(1.0)
        (_, port1, stomp1), (_, port2, _) = nodes
        local, relayed = Sender(port1), Sender(port2)

        def session(path, first_receiver):
            """A session owned by node1, CONNECTed and subscribed to /topic/<its name>."""
            receiver = first_receiver()
            local.send(path + "/xhr_send", [stomp("CONNECT", {"accept-version": "1.2", "host": "/"})])
            local.send(path + "/xhr_send", [stomp("SUBSCRIBE", {"id": "0", "destination": "/topic/bench" + path.replace("/", ".")})])
            return receiver

        # Session A: opened and received on node1 (local). Session B: opened by a poll on node1,
        # then received through node2, which relays it (the poll ends normally, so the session lives).
        owner = session("/ws/000/local", lambda: Stream(port1, "/ws/000/local/xhr_streaming"))
        assert owner.frame() == "o" and owner.frame().startswith('a["CONNECTED')
        poll = socket.create_connection(("127.0.0.1", port1))
        poll.sendall(b"POST /ws/000/relayed/xhr HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        assert b"o\n" in poll.recv(4096)
        session("/ws/000/relayed", lambda: None)
        remote = Stream(port2, "/ws/000/relayed/xhr_streaming")
        assert remote.frame().startswith('a["CONNECTED')
        publisher = socket.create_connection(("127.0.0.1", stomp1))
        publisher.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        publisher.sendall(stomp("CONNECT", {"accept-version": "1.2", "host": "/"}).encode())
        publisher.recv(4096)
        time.sleep(0.3)
        for name, sender, path in (("local", local, "/ws/000/local"), ("relayed", relayed, "/ws/000/relayed")):
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                sender.send(path + "/xhr_send", ["\n"])  # a heart-beat EOL: nothing for the broker to do
                times.append(time.perf_counter() - started)
            print("relay: xhr_send round trip, %s: %s" % (name, percentiles(times)))

        def deliveries(stream, topic):
            times = []
            for number in range(rounds):
                started = time.perf_counter()
                publisher.sendall(stomp("SEND", {"destination": topic}, str(number)).encode())
                frame = stream.frame()
                assert frame.endswith('\\n\\n%d\\u0000"]' % number), frame
                times.append(time.perf_counter() - started)
            return times

        print("relay: publish -> xhr-streaming receiver, local: %s" % percentiles(deliveries(owner, "/topic/bench.ws.000.local")))
        print("relay: publish -> xhr-streaming receiver, relayed: %s" % percentiles(deliveries(remote, "/topic/bench.ws.000.relayed")))
    finally:
        for proc, _, _ in nodes:
            proc.terminate()
            proc.wait(timeout=15)
        redis.terminate()
        redis.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "stampede"))
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--only", choices=["memory", "relay"])
    options = parser.parse_args()
    if not os.path.exists(options.binary):
        sys.exit("no %s: swift build -c release --product stampede" % options.binary)
    directory = tempfile.mkdtemp(prefix="sockjs-bench-")
    if options.only != "relay":
        memory(options.binary, directory, options.sessions)
    if options.only != "memory":
        relay(options.binary, directory, options.rounds)


if __name__ == "__main__":
    main()
