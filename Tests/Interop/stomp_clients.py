"""stomp.py connections to a test node, shared by the interop tests."""
import queue

import stomp

from test_stomp_py import Collector, wait_receipt


def connect(node, login, passcode="x", ws=False, wait=True):
    """A connected stomp.py client of a test node (raw STOMP, or WebSocket with ws=True) and its Collector."""
    return connect_port(node.ws_port if ws else node.stomp_port, login, passcode=passcode, ws=ws, wait=wait)


def connect_port(port, login, passcode="x", ws=False, wait=True):
    """A connected stomp.py client of 127.0.0.1:port (WebSocket on /ws with ws=True) and its Collector."""
    if ws:
        conn = stomp.WSStompConnection([("127.0.0.1", port)], ws_path="/ws")
    else:
        conn = stomp.Connection12([("127.0.0.1", port)])
    listener = Collector()
    conn.set_listener("c", listener)
    conn.connect(login, passcode, wait=wait)
    return conn, listener


def subscribe(conn, listener, destination, sid, **kw):
    """SUBSCRIBE with a receipt, returning once the receipt arrived."""
    conn.subscribe(destination, id=sid, headers={"receipt": "r-" + sid}, **kw)
    wait_receipt(listener, "r-" + sid)


def get(q, timeout=5):
    """The next item of a Collector queue, or an assertion failure after `timeout` seconds."""
    try:
        return q.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError("nothing within %ss" % timeout)
