"""Serves the support-chat pages and mints development tokens for them.

    python3 serve.py --port 8090 --stampede .build/release/stampede --config stampede.yml

GET /token?role=customer|agent&user=NAME answers a JWT signed with the demo configuration's
secret (through `stampede token`), so anyone who can reach this server can be an agent: it
binds to 127.0.0.1 and exists for the demo only. A real site mints tokens in its own login.
"""
import argparse
import http.server
import json
import os
import re
import subprocess
import urllib.parse

WEB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "web")
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
USER = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
ROLES = {"customer": [], "agent": ["--role", "agent"]}   # /ws/chat itself gives customers their role


class Handler(http.server.BaseHTTPRequestHandler):
    options = None

    def answer(self, status, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/token":
            role, user = query.get("role"), query.get("user", "")
            if role not in ROLES or not USER.match(user) or user == "support-backend":
                return self.answer(400, json.dumps({"error": "role must be customer or agent, user 1-40 of A-Z a-z 0-9 _ -"}))
            minted = subprocess.run([self.options.stampede, "token", "--config", self.options.config, "--sub", user,
                                     "--ttl", "1h", *ROLES[role]], capture_output=True, text=True)
            if minted.returncode != 0:
                return self.answer(500, json.dumps({"error": "stampede token failed"}))
            return self.answer(200, minted.stdout.strip(), "text/plain")
        if url.path == "/config.json":
            return self.answer(200, json.dumps({"wsPort": self.options.ws_port}))
        name = "index.html" if url.path == "/" else url.path.lstrip("/")
        path = os.path.join(WEB, name)
        if "/" in name or not os.path.isfile(path) or os.path.splitext(name)[1] not in TYPES:
            return self.answer(404, json.dumps({"error": "not found"}))
        with open(path, "rb") as f:
            self.answer(200, f.read(), TYPES[os.path.splitext(name)[1]])

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description="Serves the support-chat pages and mints development tokens.")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--stampede", required=True, help="the stampede binary (for `stampede token`)")
    parser.add_argument("--config", required=True, help="the demo's node configuration (its secret signs the tokens)")
    parser.add_argument("--ws-port", type=int, default=15674, help="the WebSocket port the pages connect to by default")
    Handler.options = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", Handler.options.port), Handler)
    print("pages on http://127.0.0.1:%d/" % Handler.options.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
