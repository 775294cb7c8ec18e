"""deploy/ as an operator uses it. What runs here: nginx (deploy/nginx.conf, ports and certificate
paths replaced) in front of three real nodes and a real redis-server, and `systemd-analyze verify`
on deploy/stampede.service. What is only linted (no container runtime or cluster in CI):
deploy/Dockerfile and deploy/kubernetes/*.yaml, checked against the node's real defaults."""
import os
import queue
import re
import shutil
import socket
import ssl
import subprocess
import uuid

import pytest
import stomp
import websocket
import yaml

from app_cluster import Cluster
from conftest import ROOT, free_port, wait_for_port
from test_stomp_py import Collector, wait_receipt
from test_tls import Authority

DEPLOY = os.path.join(ROOT, "deploy")
BINARY = os.environ.get("STAMPEDE_BIN", os.path.join(ROOT, ".build", "debug", "stampede"))


def read(name):
    with open(os.path.join(DEPLOY, name)) as f:
        return f.read()


@pytest.fixture
def nginx_cluster(tmp_path):
    if shutil.which("nginx") is None:
        pytest.fail("nginx is not installed (scripts/setup.sh --with-python installs it)")
    cluster = Cluster(tmp_path, count=3)
    authority = Authority(tmp_path, "nginx")
    cert, key = authority.issue("proxy")
    config = read("nginx.conf")
    ports = {name: free_port() for name in ("ws", "wss", "stomp", "stomps")}
    replacements = {
        "127.0.0.1:8080;": "127.0.0.1:%d;" % ports["ws"],
        "127.0.0.1:8443 ssl;": "127.0.0.1:%d ssl;" % ports["wss"],
        "127.0.0.1:61613;": "127.0.0.1:%d;" % ports["stomp"],
        "127.0.0.1:61614 ssl;": "127.0.0.1:%d ssl;" % ports["stomps"],
        "/etc/stampede/tls/cert.pem": cert,
        "/etc/stampede/tls/key.pem": key,
        "worker_processes auto;": "worker_processes 1;",
        "worker_connections 16384;": "worker_connections 512;",
        "worker_rlimit_nofile 65536;": "",
    }
    for index, node in enumerate(cluster.nodes):
        replacements["127.0.0.1:%d " % (15681 + index)] = "127.0.0.1:%d " % node.ws_port
        replacements["127.0.0.1:%d " % (61621 + index)] = "127.0.0.1:%d " % node.stomp_port
    for old, new in replacements.items():
        assert old in config, "deploy/nginx.conf no longer contains %r" % old
        config = config.replace(old, new)
    conf_path = tmp_path / "nginx.conf"
    conf_path.write_text(config)
    prefix = tmp_path / "nginx"
    (prefix / "logs").mkdir(parents=True)
    command = ["nginx", "-p", str(prefix), "-c", str(conf_path),
               "-g", "daemon off; pid %s; error_log %s notice;" % (prefix / "nginx.pid", prefix / "logs" / "error.log")]
    check = subprocess.run(command[:5] + ["-t"] + command[5:], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for port in ports.values():
            wait_for_port(port, proc)
        yield cluster, ports, authority
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        cluster.stop()


def ws_frame(ws):
    while True:
        frame = ws.recv()
        if frame.strip("\n"):
            return frame


def stomp_client(port, ssl_ca=None):
    conn = stomp.Connection12([("localhost", port)], heartbeats=(0, 0))
    if ssl_ca:
        conn.set_ssl(for_hosts=[("localhost", port)], ca_certs=ssl_ca)
    listener = Collector()
    conn.set_listener("collector", listener)
    conn.connect(wait=True)
    return conn, listener


def test_nginx_spreads_websocket_and_stomp_clients_over_the_nodes_and_terminates_tls(nginx_cluster):
    cluster, ports, authority = nginx_cluster
    # Subscribers through every front door of nginx: ws, wss (terminated), stomp, stomp+tls.
    sockets = []
    for index in range(3):
        ws = websocket.create_connection("ws://127.0.0.1:%d/ws" % ports["ws"], subprotocols=["v12.stomp"], timeout=5)
        sockets.append(ws)
    wss = websocket.create_connection("wss://localhost:%d/ws" % ports["wss"], subprotocols=["v12.stomp"],
                                      sslopt={"ca_certs": authority.ca}, timeout=5)
    sockets.append(wss)
    for number, ws in enumerate(sockets):
        ws.send("CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,0\n\n\0")
        connected = ws_frame(ws)
        assert connected.startswith("CONNECTED\n"), connected
        ws.send("SUBSCRIBE\nid:1\ndestination:/topic/nginx\nreceipt:r%d\n\n\0" % number)
        assert ws_frame(ws).startswith("RECEIPT\n")
    subscriber, listener = stomp_client(ports["stomps"], ssl_ca=authority.ca)
    rid = str(uuid.uuid4())
    subscriber.subscribe("/topic/nginx", id="1", receipt=rid)
    wait_receipt(listener, rid)

    publisher, _ = stomp_client(ports["stomp"])
    publisher.send("/topic/nginx", "through nginx")
    for ws in sockets:
        message = ws_frame(ws)
        assert message.startswith("MESSAGE\n") and message.endswith("through nginx\0")
        ws.close()
    assert listener.messages.get(timeout=5).body == "through nginx"
    subscriber.disconnect()
    publisher.disconnect()
    # least_conn spread the clients: every node accepted some.
    accepted = [node.log().count("connection accepted") for node in cluster.nodes]
    assert all(count > 0 for count in accepted), accepted


def test_nginx_forwards_the_upgrade_and_the_node_refuses_a_foreign_origin_through_it(nginx_cluster):
    _, ports, _ = nginx_cluster
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection("ws://127.0.0.1:%d/ws" % ports["ws"], origin="https://evil.example",
                                    subprotocols=["v12.stomp"], timeout=5)
    assert refused.value.status_code == 403


def test_systemd_unit_verifies_without_warnings(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is not installed (Debian package systemd)")
    unit = read("stampede.service").replace("/usr/local/bin/stampede", BINARY)
    path = tmp_path / "stampede.service"
    path.write_text(unit)
    result = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr.strip() == "" and result.stdout.strip() == "", result.stderr
    for option in ("DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "CapabilityBoundingSet=",
                   "ExecReload=/bin/kill -HUP $MAINPID", "LimitNOFILE="):
        assert option in unit, option


def test_dockerfile_is_multi_stage_non_root_with_a_readiness_health_check():
    dockerfile = read("Dockerfile")
    stages = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
    assert len(stages) == 2, stages
    assert re.search(r"^USER\s+10001", dockerfile, re.M)
    assert re.search(r"^HEALTHCHECK .*\n\s+CMD curl -fsS http://127\.0\.0\.1:15675/readyz", dockerfile, re.M)
    # The runtime stage installs the shared libraries the binary links.
    linked = subprocess.run(["ldd", BINARY], capture_output=True, text=True).stdout
    runtime = dockerfile.split("FROM debian")[1]
    for library, package in (("libuv.so.1", "libuv1"), ("libhiredis.so.0.14", "libhiredis0.14"), ("libssl.so.3", "libssl3")):
        assert library in linked, library
        assert package in runtime, package


def documents(name):
    with open(os.path.join(DEPLOY, "kubernetes", name)) as f:
        return [doc for doc in yaml.safe_load_all(f) if doc]


def test_kubernetes_manifests_probe_the_admin_endpoint_drain_and_budget_disruptions():
    docs = {(doc["kind"], doc["metadata"]["name"]): doc for doc in documents("stampede.yaml") + documents("redis.yaml")}
    deployment = docs[("Deployment", "stampede")]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"websocket": 15674, "stomp": 61613, "admin": 15675}  # the node's defaults
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "admin"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "admin"}
    assert container["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"
    assert pod["terminationGracePeriodSeconds"] > 5 + 3  # preStop + runtime.shutdown-grace-ms
    assert pod["securityContext"]["runAsNonRoot"] is True
    env = {item["name"]: item for item in container["env"]}
    assert "secretKeyRef" in env["STAMPEDE_ADMIN_TOKEN"]["valueFrom"]  # admin off loopback needs one
    assert env["STAMPEDE_CLUSTER_REDIS_URL"]["value"].startswith("redis://:$(REDIS_PASSWORD)@redis:6379")
    budget = docs[("PodDisruptionBudget", "stampede")]
    assert budget["spec"]["maxUnavailable"] == 1
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]
    assert ("Service", "redis") in docs and ("Service", "stampede") in docs
    # Every STAMPEDE_* variable the manifest sets is a real configuration key.
    keys = subprocess.run([BINARY, "config", "keys"], capture_output=True, text=True, check=True).stdout
    for name in env:
        if name.startswith("STAMPEDE_"):
            assert name in keys, name


def test_the_kubernetes_environment_starts_a_node_that_requires_tokens(tmp_path):
    """The manifest's environment, as the kubelet would resolve it, starts a node (a node on
    0.0.0.0 without authentication refuses to), and that node wants a token."""
    container = next(doc for doc in documents("stampede.yaml") if doc["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]
    env = {}
    for item in container["env"]:
        if "value" in item:
            env[item["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), ""), item["value"])
        elif "secretKeyRef" in item["valueFrom"]:
            env[item["name"]] = "test-" + item["valueFrom"]["secretKeyRef"]["key"] + "-" + "x" * 40
        else:
            env[item["name"]] = {"metadata.name": "stampede-0", "status.podIP": "127.0.0.1"}[item["valueFrom"]["fieldRef"]["fieldPath"]]
    ws_port, stomp_port, admin_port = free_port(), free_port(), free_port()
    env.update(STAMPEDE_LISTEN_WEBSOCKET_PORT=str(ws_port), STAMPEDE_LISTEN_STOMP_PORT=str(stomp_port),
               STAMPEDE_ADMIN_PORT=str(admin_port), STAMPEDE_API_PORT="off",
               STAMPEDE_CLUSTER_REDIS_URL="redis://:%s@127.0.0.1:%d" % (env["REDIS_PASSWORD"], free_port()))
    log = tmp_path / "node.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([BINARY], env=dict(os.environ, **env), stdout=out, stderr=out)
    try:
        wait_for_port(stomp_port, proc)
        client = socket.create_connection(("127.0.0.1", stomp_port), timeout=5)
        client.sendall(b"CONNECT\naccept-version:1.2\nhost:/\nlogin:alice\n\n\x00")
        reply = client.recv(4096)
        assert reply.startswith(b"ERROR") and b"token" in reply, reply
        client.close()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert "refusing to start" not in log.read_text()
