"""The customer-service chat backend (the Spring application of the seed document, without
Spring): a STOMP service in Python for Stampede's /app destinations.

    scripts/run.sh --set applications.service-users=support-backend
    python3 examples/customer-service/backend.py [STOMP_PORT]

Clients (customers and agents, any node of a cluster) talk JSON:
  agent    SEND /app/agent.online   {}                          -> becomes available
  customer SEND /app/chat.send      {"text": "..."}             -> assigned to the least busy agent
  agent    SEND /app/chat.reply     {"to": "<customer>", "text": "..."}
  anyone   SUBSCRIBE /app/chat.history                          -> one answer: the conversation so far
Everyone receives on /user/queue/messages: {"from": ..., "text": ...} (every session of the
user, on every node); errors go only to the session that caused them.
"""
import json
import sys
import threading
import time

import stomp

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 61613
LOGIN = sys.argv[2] if len(sys.argv) > 2 else "support-backend"


class Backend(stomp.ConnectionListener):
    def __init__(self, conn):
        self.conn = conn
        self.lock = threading.Lock()
        self.agents = {}        # agent -> customers assigned
        self.assigned = {}      # customer -> agent
        self.history = {}       # customer -> [messages]

    def to_user(self, user, payload):
        self.conn.send("/user/%s/queue/messages" % user, json.dumps(payload), headers={"content-type": "application/json"})

    def to_session(self, h, payload):
        self.conn.send("/user/%s/queue/messages" % h["app-user"], json.dumps(payload),
                       headers={"content-type": "application/json", "reply-to-session": h["app-session"]})

    def on_message(self, frame):
        h = frame.headers
        user, destination = h["app-user"], h["destination"]
        try:
            body = json.loads(frame.body or "{}")
        except ValueError:
            body = None
        with self.lock:
            if body is None:
                self.to_session(h, {"from": "system", "error": "body must be JSON"})
            elif h["app-kind"] == "subscribe" and destination == "/app/chat.history":
                customer = user if user in self.assigned or user not in self.agents else None
                history = self.history.get(customer, []) if customer else \
                    [m for c, a in self.assigned.items() if a == user for m in self.history.get(c, [])]
                self.conn.send("/user/%s/queue/history" % user, json.dumps(history),
                               headers={"reply-to-session": h["app-session"], "reply-subscription": h["app-subscription"]})
            elif destination == "/app/agent.online":
                self.agents.setdefault(user, set())
                self.to_session(h, {"from": "system", "text": "online"})
            elif destination == "/app/chat.send":
                agent = self.assigned.get(user)
                if agent is None:
                    if not self.agents:
                        self.to_session(h, {"from": "system", "error": "no agent online, please retry"})
                        self.conn.ack(h["ack"])
                        return
                    agent = min(self.agents, key=lambda a: (len(self.agents[a]), a))
                    self.agents[agent].add(user)
                    self.assigned[user] = agent
                    self.to_user(user, {"from": "system", "text": "%s will help you" % agent})
                message = {"from": user, "to": agent, "text": body.get("text", "")}
                self.history.setdefault(user, []).append(message)
                self.to_user(agent, message)
            elif destination == "/app/chat.reply":
                customer = body.get("to")
                if self.assigned.get(customer) != user:
                    self.to_session(h, {"from": "system", "error": "%s is not your customer" % customer})
                else:
                    message = {"from": user, "to": customer, "text": body.get("text", "")}
                    self.history.setdefault(customer, []).append(message)
                    self.to_user(customer, message)
        self.conn.ack(h["ack"])


def main():
    conn = stomp.Connection12([("127.0.0.1", PORT)], heartbeats=(0, 0))
    conn.set_listener("backend", Backend(conn))
    conn.connect(LOGIN, "", wait=True)
    conn.subscribe("/app/**", id="calls", ack="client-individual")
    print("backend ready", flush=True)
    while conn.is_connected():
        time.sleep(0.5)


if __name__ == "__main__":
    main()
