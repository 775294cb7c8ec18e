#!/usr/bin/env python3
"""Prints (or, imported, returns) a free loopback TCP port for a test or benchmark process.

Ports from bind(0) come from the kernel's ephemeral range, the same range outgoing connections
use: a node's connection to redis-server could take the port chosen for the next node before
that node listens (CI saw this as "address in use"). So ports come from below that range, and
none is handed out twice by one process."""
import random
import socket

_handed_out = set()


def _ephemeral_start():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port():
    low = _ephemeral_start()
    first = 10000 if low > 12000 else 1024
    while True:
        port = random.randrange(first, low)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port


if __name__ == "__main__":
    print(free_port())
