"""A backend service for Stampede's /app destinations, in Python with stomp.py.

Run a node that treats the login `svc` as a service:
    scripts/run.sh --set applications.service-users=svc
then this file (pip install stomp.py). It consumes every /app call (competing with any other
instance, on any node of a cluster) and answers:
  /app/echo        -> to the sending session only (reply-to-session)
  /app/shout       -> to every session of the sender (/user/<name>/queue/replies)
  /app/chat.<room> -> to the topic /topic/chat.<room>
  SUBSCRIBE /app/time -> one answer to that subscription (@SubscribeMapping)
"""
import sys
import time

import stomp

HOST, PORT = "127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 61613


class Service(stomp.ConnectionListener):
    def __init__(self, conn):
        self.conn = conn

    def on_message(self, frame):
        h = frame.headers
        user, session, destination = h["app-user"], h["app-session"], h["destination"]
        replies = "/user/%s/queue/replies" % user
        if h["app-kind"] == "subscribe":
            self.conn.send(replies, time.strftime("%H:%M:%S"),
                           headers={"reply-to-session": session, "reply-subscription": h["app-subscription"]})
        elif destination == "/app/echo":
            self.conn.send(replies, frame.body, headers={"reply-to-session": session})
        elif destination == "/app/shout":
            self.conn.send(replies, frame.body.upper())
        elif destination.startswith("/app/chat."):
            self.conn.send("/topic/chat." + destination[len("/app/chat."):], "%s: %s" % (user, frame.body))
        self.conn.ack(h["ack"])  # settled only now: a service that dies first gets it redelivered elsewhere


conn = stomp.Connection12([(HOST, PORT)])
conn.set_listener("service", Service(conn))
conn.connect("svc", "", wait=True)
conn.subscribe("/app/**", id="calls", ack="client-individual")
print("service ready on", HOST, PORT, flush=True)
while conn.is_connected():
    time.sleep(1)
