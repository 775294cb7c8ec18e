// The agent's console: /ws/agent with an agent token. Customers assigned by the backend appear
// on the left with their online state (presence) and typing; replies go to /app/chat.reply.
"use strict";

const me = params.get("name") || "agent-" + Math.random().toString(36).slice(2, 7);
const customers = new Map();  // name -> {conversation, typingUntil}
const online = new Map();     // customer -> true/false from /topic/support.customers.presence
let selected = null, lastTyping = 0;
document.getElementById("me").textContent = me;

function customer(name) {
  if (!customers.has(name)) customers.set(name, {conversation: new Conversation(), typingUntil: 0});
  if (selected === null) selected = name;
  return customers.get(name);
}

function draw() {
  const list = document.getElementById("customers");
  list.replaceChildren();
  for (const [name, entry] of customers) {
    const li = document.createElement("li");
    li.dataset.customer = name;
    li.textContent = name;
    li.classList.toggle("online", online.get(name) === true);
    li.classList.toggle("selected", name === selected);
    if (entry.typingUntil > Date.now()) {
      const span = document.createElement("span"); span.className = "typing"; span.textContent = "typing…"; li.append(span);
    }
    li.onclick = () => { selected = name; draw(); };
    list.append(li);
  }
  const entry = selected && customers.get(selected);
  drawLines(document.getElementById("messages"), me, entry ? entry.conversation.lines : [], entry ? entry.conversation.pending : new Map());
  document.getElementById("typing").textContent = entry && entry.typingUntil > Date.now() ? selected + " is typing…" : "";
}
setInterval(draw, 1000);  // typing hints fade out

function add(line) {
  const name = line.from === me ? line.to : line.from;
  if (name) customer(name).conversation.add(line);
}

const client = new MiniStomp({
  url: () => connectURL("agent", me, "/ws/agent"),
  onStatus: setStatus,
  onConnect: () => client.send("/app/agent.online", "{}"),
});

client.subscribe("/user/queue/messages", frame => {
  const message = JSON.parse(frame.body);
  if (message.typing) customer(message.from).typingUntil = Date.now() + 3000;
  else if (message.from === "system" && message.presence) {
    // The backend's word on who is online now (presence events only tell changes).
    for (const [name, present] of Object.entries(message.presence)) { customer(name); online.set(name, present); }
  }
  else if (message.from === "system") { if (message.error) setStatus(message.error, client.connected); }
  else { add(message); if (message.from !== me) customer(message.from).typingUntil = 0; }
  draw();
});

// After every (re)connect: every line of this agent's customers, then unconfirmed replies again.
client.subscribe("/app/chat.history", frame => {
  for (const line of JSON.parse(frame.body)) add(line);
  for (const [name, entry] of customers) {
    for (const [cid, text] of entry.conversation.pending) client.send("/app/chat.reply", JSON.stringify({to: name, text, cid}));
  }
  draw();
});

// Being subscribed here is what makes this agent "online" (the backend hears it as presence).
client.subscribe("/topic/support.agents", () => {});
client.subscribe("/topic/support.customers.presence", frame => {
  const event = JSON.parse(frame.body);
  online.set(event.user, event.event === "join");
  draw();
});

document.getElementById("reply").onsubmit = event => {
  event.preventDefault();
  const input = document.getElementById("text");
  const text = input.value.trim();
  if (!text || !selected) return;
  const cid = newCid(me);
  customer(selected).conversation.pending.set(cid, text);
  client.send("/app/chat.reply", JSON.stringify({to: selected, text, cid}));
  input.value = "";
  lastTyping = 0;  // the next keystroke starts a new hint
  draw();
};

document.getElementById("text").oninput = () => {
  if (!selected || Date.now() - lastTyping < 1500) return;
  lastTyping = Date.now();
  client.send("/app/chat.typing", JSON.stringify({to: selected}));
};

window.chat = {client, customers, online, me};
client.start();
draw();
