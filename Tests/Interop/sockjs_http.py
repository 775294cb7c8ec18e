"""A minimal SockJS client over http.client, to drive each transport by hand in tests: it sends
what sockjs-client sends and returns the raw frames, so that tests can check the wire format."""
import http.client
import json
import queue
import threading
import uuid


def stomp_frame(command, headers=None, body=""):
    lines = [command] + ["%s:%s" % item for item in (headers or {}).items()]
    return "\n".join(lines) + "\n\n" + body + "\x00"


def new_session():
    return uuid.uuid4().hex[:8]


class SockJSHTTP:
    """Requests against one SockJS endpoint (`prefix`) of a node."""

    def __init__(self, port, prefix, query="", origin=None):
        self.port = port
        self.prefix = prefix
        self.query = query
        self.origin = origin

    def url(self, session, transport, extra=""):
        query = "&".join(q for q in (self.query, extra) if q)
        return "%s/000/%s/%s%s" % (self.prefix, session, transport, "?" + query if query else "")

    def request(self, method, path, body=None, headers=None, timeout=5):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        all_headers = dict(headers or {})
        if self.origin:
            all_headers["Origin"] = self.origin
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response, data

    def poll(self, session, timeout=5):
        """One xhr poll: the frame it returned (without the newline)."""
        response, data = self.request("POST", self.url(session, "xhr"), timeout=timeout)
        assert response.status == 200, (response.status, data)
        return data.decode().rstrip("\n")

    def send(self, session, *messages):
        response, data = self.request("POST", self.url(session, "xhr_send"), body=json.dumps(list(messages)),
                                      headers={"Content-Type": "text/plain"})
        return response.status, data


class Streaming:
    """An xhr_streaming receiver read on a thread: frames arrive in `frames` (a queue)."""

    def __init__(self, client, session, transport="xhr_streaming", extra=""):
        self.frames = queue.Queue()
        self.conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=30)
        headers = {"Origin": client.origin} if client.origin else {}
        method = "POST" if transport == "xhr_streaming" else "GET"
        self.conn.request(method, client.url(session, transport, extra), headers=headers)
        self.response = self.conn.getresponse()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            while True:
                line = self.response.readline()
                if not line:
                    break
                self.frames.put(line.decode().rstrip("\r\n"))
        except Exception:  # closed under us at the end of a test
            pass
        self.frames.put(None)

    def next(self, timeout=5, skip_heartbeats=True):
        while True:
            frame = self.frames.get(timeout=timeout)
            if skip_heartbeats and (frame == "" or set(frame) == {"h"}):
                continue
            return frame

    def close(self):
        self.conn.close()


def messages(frame):
    """The STOMP frames of an `a[...]` SockJS frame."""
    assert frame.startswith("a["), frame
    return json.loads(frame[1:])
