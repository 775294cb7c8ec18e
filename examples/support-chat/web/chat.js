// What the customer page and the agent console share: who this page is, where it connects, a
// fresh development token for every (re)connect, and drawing a conversation.
"use strict";

const params = new URLSearchParams(location.search);

// The WebSocket URL with a fresh token: ?ws= picks a node, else haproxy on this host.
async function connectURL(role, user, path) {
  const config = await (await fetch("config.json")).json();
  const base = params.get("ws") || "ws://" + location.hostname + ":" + config.wsPort + path;
  const response = await fetch("token?role=" + role + "&user=" + encodeURIComponent(user));
  if (!response.ok) throw new Error("token server answered " + response.status);
  return base + "?access_token=" + encodeURIComponent(await response.text());
}

function newCid(user) { return user + "-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8); }

// Draws `lines` (chat lines and system notes) and `pending` (this page's unconfirmed lines).
function drawLines(element, me, lines, pending) {
  element.replaceChildren();
  const add = (text, classes, who) => {
    const div = document.createElement("div");
    div.className = "line " + classes;
    if (who) { const span = document.createElement("span"); span.className = "who"; span.textContent = who; div.append(span); }
    div.append(document.createTextNode(text));
    element.append(div);
  };
  for (const line of lines) {
    if (line.system) add(line.text, "system");
    else add(line.text, line.from === me ? "mine" : "theirs", line.from === me ? "" : line.from);
  }
  for (const [, text] of pending) add(text, "mine pending", "sending…");
  element.scrollTop = element.scrollHeight;
}

// Keeps a conversation: lines by cid (a line arrives once live and again in the history).
class Conversation {
  constructor() { this.lines = []; this.seen = new Set(); this.pending = new Map(); }
  add(line) {
    const key = line.cid ? line.from + "/" + line.cid : null;
    if (key && this.seen.has(key)) return false;
    if (key) this.seen.add(key);
    if (line.cid) this.pending.delete(line.cid);
    this.lines.push(line);
    return true;
  }
  note(text) { this.lines.push({system: true, text}); }
}

function setStatus(text, connected) {
  const badge = document.getElementById("status");
  badge.textContent = text;
  badge.classList.toggle("on", connected);
  document.body.dataset.connected = String(connected);
}
