"""A webhook backend for the tests: a threaded Python HTTP server whose behaviour the STOMP
message body chooses (echo, topic, slow, fail, refuse, hang), plus a connect hook and an
events endpoint. It records every request it gets."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Backend:
    def __init__(self):
        self.calls = []          # JSON bodies posted to /hook
        self.events = []         # JSON bodies posted to /events
        self.connects = []       # JSON bodies posted to /connect
        self.lock = threading.Lock()
        self.release = threading.Event()   # ends "hang" calls
        backend = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                payload = json.loads(self.rfile.read(length) or b"{}")
                status, answer = backend.answer(self.path, payload)
                body = b"" if answer is None else json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass   # the node gave up (timeout) and closed the connection

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def attempts(self, body):
        with self.lock:
            return sum(1 for call in self.calls if call.get("body") == body)

    def answer(self, path, payload):
        if path == "/events":
            with self.lock:
                self.events.append(payload)
            return 204, None
        if path == "/connect":
            with self.lock:
                self.connects.append(payload)
            login = payload.get("login") or ""
            if login.startswith("good-"):
                return 200, {"user": login[len("good-"):], "roles": ["customer"]}
            if login == "down":
                return 503, None
            return 200, {"error": "bad credentials"}
        with self.lock:
            self.calls.append(payload)
        command = payload.get("body", "")
        user, session = payload.get("user"), payload.get("session")
        if command.startswith("echo"):
            return 200, {"messages": [{"destination": "/user/%s/queue/replies" % user, "body": "echo:" + command,
                                       "headers": {"x-from": "webhook"}, "session": "sender"}]}
        if command.startswith("user"):
            return 200, {"messages": [{"destination": "/user/%s/queue/replies" % user, "body": "to-user"}]}
        if command.startswith("topic"):
            return 200, {"messages": [{"destination": "/topic/news", "body": "news:" + command}]}
        if command.startswith("slow"):
            time.sleep(1.0)
            return 200, None
        if command.startswith("hang"):
            self.release.wait(10)
            return 200, None
        if command.startswith("fail"):
            return 500, None
        if command.startswith("refuse"):
            return 200, {"error": "room is closed"}
        if payload.get("kind") == "subscribe":
            return 200, {"answer": {"body": json.dumps({"history": [1, 2, 3]})}}
        return 204, None
