// The customer's page: /ws/chat with a customer token. Lines go to /app/chat.send; everything
// comes back on /user/queue/messages; /app/chat.history answers once per (re)connect.
"use strict";

const me = params.get("name") || "customer-" + Math.random().toString(36).slice(2, 7);
const conversation = new Conversation();
let agent = null, agentOnline = null, typingTimer = null, lastTyping = 0;
document.getElementById("me").textContent = me;

function draw() {
  drawLines(document.getElementById("messages"), me, conversation.lines, conversation.pending);
  const badge = document.getElementById("agent");
  badge.textContent = agent ? agent + (agentOnline === false ? " (offline)" : " (online)") : "no agent yet";
  badge.classList.toggle("on", !!agent && agentOnline !== false);
}

function showTyping(who) {
  const element = document.getElementById("typing");
  element.textContent = who + " is typing…";
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => { element.textContent = ""; }, 3000);
}

const client = new MiniStomp({
  url: () => connectURL("customer", me, "/ws/chat"),
  onStatus: setStatus,
});

client.subscribe("/user/queue/messages", frame => {
  const message = JSON.parse(frame.body);
  if (message.typing) return showTyping(message.from);
  if (message.from === "system") {
    const assigned = /^(\S+) will help you$/.exec(message.text || "");
    if (assigned) { agent = assigned[1]; agentOnline = true; }
    conversation.note(message.text || message.error);
  } else {
    if (message.from !== me) document.getElementById("typing").textContent = "";
    conversation.add(message);
  }
  draw();
});

// After every (re)connect: the conversation so far, then whatever this page sent that the
// backend never confirmed (it stores a cid once, so a line sent twice is kept once).
client.subscribe("/app/chat.history", frame => {
  for (const line of JSON.parse(frame.body)) {
    conversation.add(line);
    if (line.from !== me && line.from !== "system") agent = line.from;
  }
  for (const [cid, text] of conversation.pending) client.send("/app/chat.send", JSON.stringify({text, cid}));
  draw();
});

// Being subscribed here is what makes this customer "online" for the agents.
client.subscribe("/topic/support.customers", () => {});
client.subscribe("/topic/support.agents.presence", frame => {
  const event = JSON.parse(frame.body);
  if (event.user === agent) { agentOnline = event.event === "join"; draw(); }
});

document.getElementById("compose").onsubmit = event => {
  event.preventDefault();
  const input = document.getElementById("text");
  const text = input.value.trim();
  if (!text) return;
  const cid = newCid(me);
  conversation.pending.set(cid, text);
  client.send("/app/chat.send", JSON.stringify({text, cid}));  // if offline: sent after the reconnect
  input.value = "";
  lastTyping = 0;  // the next keystroke starts a new hint
  draw();
};

document.getElementById("text").oninput = () => {
  if (Date.now() - lastTyping < 1500) return;
  lastTyping = Date.now();
  client.send("/app/chat.typing", "{}");  // dropped while offline: typing is only a hint
};

window.chat = {client, conversation, me};
client.start();
draw();
