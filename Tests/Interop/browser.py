"""A headless Chromium driven over the DevTools protocol (websocket-client), for page tests."""
import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import websocket


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless Chromium with one page; `evaluate` runs JavaScript in it."""

    def __init__(self, binary, timeout=30.0, extra_args=()):
        self.profile = tempfile.mkdtemp(prefix="stampede-chromium-")
        self.proc = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--remote-debugging-port=0",
             "--remote-allow-origins=*", "--window-size=1400,1000", "--user-data-dir=" + self.profile,
             *extra_args, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + timeout
        browser_url = None
        while time.time() < deadline and browser_url is None:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError("chromium exited early")
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            if match:
                browser_url = match.group(1)
        if browser_url is None:
            raise RuntimeError("chromium did not start its DevTools endpoint")
        self.ids = itertools.count(1)
        self.browser = websocket.create_connection(browser_url, timeout=timeout)
        target = self.call(self.browser, "Target.createTarget", url="about:blank")["targetId"]
        port = re.search(r":(\d+)/", browser_url).group(1)
        self.page = websocket.create_connection(
            "ws://127.0.0.1:%s/devtools/page/%s" % (port, target), timeout=timeout)
        self.call(self.page, "Page.enable")
        self.call(self.page, "Runtime.enable")

    def call(self, socket, method, **params):
        message_id = next(self.ids)
        socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            reply = json.loads(socket.recv())
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})

    def navigate(self, url):
        self.call(self.page, "Page.navigate", url=url)

    def evaluate(self, expression):
        result = self.call(self.page, "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError("page script failed: %s" % result["exceptionDetails"])
        return result["result"].get("value")

    def wait_for(self, expression, timeout=15.0):
        deadline = time.time() + timeout
        value = None
        while time.time() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError as error:  # the page may still be loading
                value = error
            if value and not isinstance(value, RuntimeError):
                return value
            time.sleep(0.1)
        raise AssertionError("page never satisfied %s (last value %r)" % (expression, value))

    def screenshot(self, path):
        data = self.call(self.page, "Page.captureScreenshot", format="png")["data"]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        for socket in (getattr(self, "page", None), getattr(self, "browser", None)):
            try:
                if socket:
                    socket.close()
            except Exception:
                pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
