"""The customer-service chat backend (the Spring application of the seed document, without
Spring): a STOMP service in Python for Stampede's /app destinations. examples/support-chat runs
it behind its customer page and agent console.

    scripts/run.sh --set applications.service-users=support-backend
    python3 examples/customer-service/backend.py [STOMP_PORT [LOGIN]]

With $STAMPEDE_TOKEN set, the token is sent as the CONNECT passcode (a node that requires tokens).

Clients (customers and agents, any node of a cluster) talk JSON:
  agent    SEND /app/agent.online   {}                          -> becomes available
  customer SEND /app/chat.send      {"text": "...", "cid": ...} -> assigned to the least busy agent;
                                                                   without one, waits for the next
  agent    SEND /app/chat.reply     {"to": "<customer>", "text": "...", "cid": ...}
  anyone   SEND /app/chat.typing    {} (customer) or {"to": "<customer>"} (agent)
  anyone   SUBSCRIBE /app/chat.history                          -> one answer: the conversation so far
Everyone receives on /user/queue/messages (every session of the user, on every node):
  {"from": ..., "to": ..., "text": ..., "cid": ...}   a chat line, to both sides (so every tab
                                                       of the sender sees it too); `cid` is the
                                                       sender's own id: a line sent again with a
                                                       `cid` already stored is only echoed back
  {"from": ..., "typing": true}                        the other side is typing (not stored)
  {"from": "system", "text": ...}                      assignments, agents leaving
Errors go only to the session that caused them: {"from": "system", "error": ...}.

Presence (when the node watches /topic/support.agents and /topic/support.customers): an agent
whose last session leaves is taken out of the pool and its customers wait for the next agent; an
agent's /app/chat.history call, and each assignment, is followed by {"from": "system",
"presence": {"<customer>": true|false}}: whether its customers are online at that moment
(presence events only tell changes).
"""
import json
import os
import sys
import threading
import time

import stomp

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 61613
LOGIN = sys.argv[2] if len(sys.argv) > 2 else "support-backend"
AGENT_PRESENCE = "/topic/support.agents.presence"
CUSTOMER_PRESENCE = "/topic/support.customers.presence"


class Backend(stomp.ConnectionListener):
    def __init__(self, conn):
        self.conn = conn
        self.lock = threading.Lock()
        self.agents = {}        # agent -> customers assigned
        self.assigned = {}      # customer -> agent
        self.waiting = []       # customers without an agent, oldest first
        self.history = {}       # customer -> [messages]
        self.online = set()     # customers present (from presence events), for agents who (re)connect

    def to_user(self, user, payload):
        self.conn.send("/user/%s/queue/messages" % user, json.dumps(payload), headers={"content-type": "application/json"})

    def to_session(self, h, payload):
        self.conn.send("/user/%s/queue/messages" % h["app-user"], json.dumps(payload),
                       headers={"content-type": "application/json", "reply-to-session": h["app-session"]})

    def line(self, sender, receiver, body):
        message = {"from": sender, "to": receiver, "text": str(body.get("text", ""))}
        if "cid" in body:
            message["cid"] = str(body["cid"])[:64]
        return message

    def agent_online(self, agent):
        self.agents.setdefault(agent, set())
        while self.waiting:
            self.assign(self.waiting.pop(0))

    def agent_gone(self, agent):
        for customer in sorted(self.agents.pop(agent, set())):
            del self.assigned[customer]
            self.waiting.append(customer)
            self.to_user(customer, {"from": "system", "text": "%s went offline; you will get the next free agent" % agent})
        if self.agents:
            while self.waiting:
                self.assign(self.waiting.pop(0))

    def assign(self, customer):
        """Gives `customer` to the least busy agent, who receives the conversation so far."""
        agent = min(self.agents, key=lambda a: (len(self.agents[a]), a))
        self.agents[agent].add(customer)
        self.assigned[customer] = agent
        self.to_user(customer, {"from": "system", "text": "%s will help you" % agent})
        self.to_user(agent, {"from": "system", "presence": {customer: customer in self.online}})
        for message in self.history.get(customer, []):
            if message["to"] is None:   # written while the customer waited
                message["to"] = agent
            self.to_user(agent, message)
        return agent

    def resent(self, user, destination, body):
        """A line the page sent again after a reconnect (same `cid`) is stored once; the sender
        gets it back as its confirmation."""
        customer = user if destination == "/app/chat.send" else body.get("to") if destination == "/app/chat.reply" else None
        cid = body.get("cid")
        if customer is None or cid is None:
            return False
        for message in self.history.get(customer, []):
            if message.get("cid") == str(cid)[:64] and message["from"] == user:
                self.to_user(user, message)
                return True
        return False

    def on_message(self, frame):
        h = frame.headers
        if h.get("destination") == CUSTOMER_PRESENCE:
            with self.lock:
                event = json.loads(frame.body)
                (self.online.add if event.get("event") == "join" else self.online.discard)(event.get("user"))
            return
        if h.get("destination") == AGENT_PRESENCE:
            with self.lock:
                event = json.loads(frame.body)
                if event.get("event") == "join":
                    self.agent_online(event["user"])
                elif event.get("event") == "leave":
                    self.agent_gone(event["user"])
            return
        user, destination = h["app-user"], h["destination"]
        try:
            body = json.loads(frame.body or "{}")
            if not isinstance(body, dict):
                body = None
        except ValueError:
            body = None
        with self.lock:
            if body is None:
                self.to_session(h, {"from": "system", "error": "body must be a JSON object"})
            elif h["app-kind"] == "subscribe" and destination == "/app/chat.history":
                customer = user if user in self.assigned or user not in self.agents else None
                history = self.history.get(customer, []) if customer else \
                    [m for c, a in self.assigned.items() if a == user for m in self.history.get(c, [])]
                self.conn.send("/user/%s/queue/history" % user, json.dumps(history),
                               headers={"reply-to-session": h["app-session"], "reply-subscription": h["app-subscription"]})
                if user in self.agents:   # whether each of its customers is online right now
                    mine = sorted(c for c, a in self.assigned.items() if a == user)
                    self.to_session(h, {"from": "system", "presence": {c: c in self.online for c in mine}})
            elif destination == "/app/agent.online":
                self.agent_online(user)
                self.to_session(h, {"from": "system", "text": "online"})
            elif self.resent(user, destination, body):
                pass
            elif destination == "/app/chat.send":
                agent = self.assigned.get(user)
                message = self.line(user, agent, body)
                self.history.setdefault(user, []).append(message)
                if agent is None and not self.agents:
                    if user not in self.waiting:
                        self.waiting.append(user)
                        self.to_user(user, {"from": "system", "text": "waiting for an agent"})
                    self.to_user(user, message)
                elif agent is None:
                    self.assign(user)   # the agent gets the message with the history
                    self.to_user(user, message)
                else:
                    self.to_user(agent, message)
                    self.to_user(user, message)
            elif destination == "/app/chat.reply":
                customer = body.get("to")
                if self.assigned.get(customer) != user:
                    self.to_session(h, {"from": "system", "error": "%s is not your customer" % customer})
                else:
                    message = self.line(user, customer, body)
                    self.history.setdefault(customer, []).append(message)
                    self.to_user(customer, message)
                    self.to_user(user, message)
            elif destination == "/app/chat.typing":
                other = self.assigned.get(user) if user not in self.agents else \
                    (body.get("to") if self.assigned.get(body.get("to")) == user else None)
                if other:
                    self.to_user(other, {"from": user, "typing": True})
        self.conn.ack(h["ack"])


def main():
    conn = stomp.Connection12([("127.0.0.1", PORT)], heartbeats=(0, 0))
    conn.set_listener("backend", Backend(conn))
    conn.connect(LOGIN, os.environ.get("STAMPEDE_TOKEN", ""), wait=True)
    conn.subscribe("/app/**", id="calls", ack="client-individual")
    conn.subscribe(AGENT_PRESENCE, id="agents")
    conn.subscribe(CUSTOMER_PRESENCE, id="customers")
    print("backend ready", flush=True)
    while conn.is_connected():
        time.sleep(0.5)


if __name__ == "__main__":
    main()
