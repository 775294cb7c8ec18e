#!/usr/bin/env python3
"""Memory attacks on a running node (issue 12), with the node's RSS measured before, during and after.

    scripts/memory-attack.py --pid PID --port 61613 stuck-readers --clients 500
    scripts/memory-attack.py --pid PID --port 61613 stalled-frames --clients 300

stuck-readers: N raw-STOMP clients, each subscribed to its own topic with a small receive buffer,
never read; four publishers send 64 KiB messages round-robin to those topics for --seconds.
stalled-frames: N clients CONNECT (heart-beat 0,0), then send a SEND with content-length 4100000
and stop 100 KB short; they stay until the node closes them (limits.frame-timeout-ms).
Afterwards every client is closed and RSS is sampled for --settle seconds (the node returns memory
with malloc_trim). Prints one line per phase. This measures memory, not throughput: it is not a
benchmark and needs no quiet machine.
"""
import argparse
import select
import socket
import time


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def stomp_frame(command, headers, body=b""):
    head = command + "\n" + "".join(f"{k}:{v}\n" for k, v in headers) + "\n"
    return head.encode() + body + b"\0"


def connect(host, port, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((host, port))
    s.sendall(stomp_frame("CONNECT", [("accept-version", "1.2"), ("host", "/"), ("heart-beat", "0,0")]))
    data = b""
    while b"\0" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError("closed during CONNECT")
        data += chunk
    if not data.startswith(b"CONNECTED"):
        raise RuntimeError(data[:200])
    return s


def is_closed(s):
    """True when the node closed the socket (EOF or reset)."""
    try:
        readable, _, _ = select.select([s], [], [], 0)
        if not readable:
            return False
        s.setblocking(False)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


class Sampler:
    def __init__(self, pid):
        self.pid, self.peak = pid, 0.0

    def sample(self):
        value = rss_mib(self.pid)
        self.peak = max(self.peak, value)
        return value


def stuck_readers(args, sampler):
    clients = []
    for index in range(args.clients):
        s = connect(args.host, args.port, rcvbuf=4096)
        s.sendall(stomp_frame("SUBSCRIBE", [("destination", f"/topic/attack.{index}"), ("id", "s")]))
        clients.append(s)
    publishers = [connect(args.host, args.port) for _ in range(4)]
    body = b"x" * (64 * 1024)
    sent, deadline, index = 0, time.time() + args.seconds, 0
    while time.time() < deadline:
        for p in publishers:
            try:
                p.settimeout(1.0)
                p.sendall(stomp_frame("SEND", [("destination", f"/topic/attack.{index % args.clients}"),
                                               ("content-length", str(len(body)))], body))
                sent += 1
            except (socket.timeout, OSError):
                pass  # paused by flow control, or cut
            index += 1
        if sent % 200 == 0:
            sampler.sample()
    sampler.sample()
    cut = sum(1 for s in clients if is_closed(s))
    print(f"stuck-readers: sent {sent} x 64 KiB, {cut}/{len(clients)} stuck clients cut by the node")
    return clients + publishers


def stalled_frames(args, sampler):
    clients = []
    partial = stomp_frame("SEND", [("destination", "/topic/stall"), ("content-length", "4100000")],
                          b"y" * 4_000_000)[:-100_001]
    started = time.time()
    for _ in range(args.clients):
        s = connect(args.host, args.port)
        s.setblocking(False)
        clients.append([s, memoryview(partial)])
    # Push every client's partial frame (non-blocking, round robin: the node may pause readers).
    while time.time() < started + args.seconds and any(len(c[1]) for c in clients):
        for c in clients:
            if len(c[1]):
                try:
                    n = c[0].send(c[1][:262144])
                    c[1] = c[1][n:]
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    c[1] = c[1][:0]
        sampler.sample()
    sent_at = time.time()
    while time.time() < sent_at + args.seconds:
        sampler.sample()
        if all(is_closed(c[0]) for c in clients):
            break
        time.sleep(0.2)
    closed = sum(1 for c in clients if is_closed(c[0]))
    print(f"stalled-frames: {closed}/{len(clients)} closed by the node {time.time() - sent_at:.1f} s after the last byte")
    return [c[0] for c in clients]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("attack", choices=["stuck-readers", "stalled-frames"])
    parser.add_argument("--pid", type=int, required=True, help="the node's process id (for RSS)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=61613, help="raw STOMP port")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20, help="attack duration / wait for closes")
    parser.add_argument("--settle", type=float, default=30, help="seconds to watch RSS after the attack")
    args = parser.parse_args()
    sampler = Sampler(args.pid)
    idle = sampler.sample()
    print(f"idle RSS {idle:.1f} MiB")
    sockets = (stuck_readers if args.attack == "stuck-readers" else stalled_frames)(args, sampler)
    print(f"peak RSS {sampler.peak:.1f} MiB")
    for s in sockets:
        s.close()
    end = time.time() + args.settle
    after = sampler.sample()
    while time.time() < end and after > 2 * idle:
        time.sleep(0.5)
        after = rss_mib(args.pid)
    print(f"RSS after the attack {after:.1f} MiB ({time.time() - end + args.settle:.1f} s after the clients left; "
          f"{'within' if after <= 2 * idle else 'above'} 2x idle)")


if __name__ == "__main__":
    main()
