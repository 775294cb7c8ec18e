"""A three-node cluster on free ports with its own redis-server, for the application tests."""
import os
import signal
import socket
import subprocess
import time

from conftest import ROOT, free_port, wait_for_port


class ClusterNode:
    def __init__(self, name, proc, ws_port, stomp_port, log_path, api_port=None):
        self.name, self.proc, self.ws_port, self.stomp_port, self.log_path = name, proc, ws_port, stomp_port, log_path
        self.api_port = api_port

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


class Cluster:
    """redis-server and `count` nodes node1..nodeN sharing it; `settings` are --set pairs for every node."""

    def __init__(self, tmp_path, count=3, settings=()):
        binary = os.environ.get("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))
        self.redis_port = free_port()
        self.redis = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.redis_port, self.redis)
        self.nodes = []
        for index in range(1, count + 1):
            name = "node%d" % index
            ws_port, stomp_port, api_port = free_port(), free_port(), free_port()
            log_path = tmp_path / (name + ".log")
            args = [binary, "--redis", "redis://127.0.0.1:%d" % self.redis_port, "--node-id", name,
                    "--port", str(ws_port), "--stomp-port", str(stomp_port), "--admin-port", "off", "--api-port", str(api_port), "--log-level", "debug"]
            for pair in settings:
                args += ["--set", pair]
            with open(log_path, "w") as log:
                proc = subprocess.Popen(args, stdout=log, stderr=log)
            self.nodes.append(ClusterNode(name, proc, ws_port, stomp_port, log_path, api_port))
        for node in self.nodes:
            wait_for_port(node.stomp_port, node.proc)

    def node(self, number):
        return self.nodes[number - 1]

    def stop(self):
        for node in self.nodes:
            if node.proc.poll() is None:
                node.proc.terminate()
        for node in self.nodes:
            try:
                node.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                node.proc.kill()
        self.redis.terminate()
        self.redis.wait(timeout=10)
