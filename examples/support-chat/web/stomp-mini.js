// A minimal STOMP 1.2 client over WebSocket for the support-chat demo pages.
//
// Why not @stomp/stompjs: the demo must run offline, without a CDN, and npm is not reachable
// from where Stampede is built; Debian packages no STOMP library for JavaScript. What the pages
// need is small: CONNECT, SUBSCRIBE, SEND, heart-beats, and reconnecting with the same
// subscriptions. Bodies are text (the demo speaks JSON, which never holds a NUL byte), so a frame
// ends at its first NUL and `content-length` is not needed.
//
//   const client = new MiniStomp({url: async () => "ws://…?access_token=…", onConnect, onStatus});
//   client.subscribe("/user/queue/messages", frame => …);   // kept across reconnects
//   client.send("/app/chat.send", JSON.stringify({…}));       // false while disconnected
//   client.start();
"use strict";

class MiniStomp {
  constructor(options) {
    this.options = Object.assign({heartbeat: 10000, minDelay: 500, maxDelay: 10000}, options);
    this.subscriptions = new Map();  // id -> {destination, callback, headers}
    this.nextId = 1;
    this.delay = this.options.minDelay;
    this.connected = false;
    this.stopped = true;
  }

  start() { this.stopped = false; this.open(); }

  stop() { this.stopped = true; if (this.ws) this.ws.close(1000); }

  status(text) { if (this.options.onStatus) this.options.onStatus(text, this.connected); }

  async open() {
    let url;
    try { url = await this.options.url(); } catch (error) { this.status("no token: " + error); return this.retry(); }
    const ws = new WebSocket(url, ["v12.stomp"]);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.status("connecting");
    ws.onopen = () => this.write("CONNECT", {"accept-version": "1.2", host: location.hostname,
      "heart-beat": this.options.heartbeat + "," + this.options.heartbeat});
    ws.onmessage = event => {
      this.lastRead = Date.now();
      const text = typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data);
      for (const chunk of text.split("\0")) this.receive(chunk.replace(/^(\r?\n)+/, ""));
    };
    ws.onclose = event => {
      clearInterval(this.beat);
      if (this.ws !== ws) return;
      this.connected = false;
      this.status("disconnected (" + event.code + ")");
      if (!this.stopped) this.retry();
    };
  }

  // Exponential backoff with jitter, reset by each CONNECTED.
  retry() {
    const wait = this.delay * (0.5 + Math.random() / 2);
    this.delay = Math.min(this.delay * 2, this.options.maxDelay);
    this.status("reconnecting in " + Math.round(wait) + " ms");
    setTimeout(() => { if (!this.stopped) this.open(); }, wait);
  }

  receive(text) {
    if (!text) return;  // a heart-beat
    const lines = text.split(/\r?\n/);
    const command = lines.shift();
    const headers = {};
    let line;
    while ((line = lines.shift())) {
      const colon = line.indexOf(":");
      const name = MiniStomp.unescape(line.slice(0, colon));
      if (!(name in headers)) headers[name] = MiniStomp.unescape(line.slice(colon + 1));
    }
    const frame = {command, headers, body: lines.join("\n")};
    if (command === "CONNECTED") {
      this.connected = true;
      this.delay = this.options.minDelay;
      this.startHeartbeat(headers["heart-beat"] || "0,0");
      for (const [id, s] of this.subscriptions) this.write("SUBSCRIBE", Object.assign({id, destination: s.destination}, s.headers));
      if (this.options.onConnect) this.options.onConnect(frame);
      this.status("connected");
    } else if (command === "MESSAGE") {
      const s = this.subscriptions.get(headers.subscription);
      if (s) s.callback(frame);
    } else if (command === "ERROR") {
      this.status("error: " + (headers.message || ""));
      if (this.options.onError) this.options.onError(frame);
    }
  }

  // The node's heart-beats are checked against twice their interval, as the node checks ours.
  startHeartbeat(serverValue) {
    const [sx, sy] = serverValue.split(",").map(Number);
    const send = sy && Math.max(this.options.heartbeat, sy), expect = sx && Math.max(this.options.heartbeat, sx);
    this.lastRead = Date.now();
    clearInterval(this.beat);
    if (!send && !expect) return;
    this.beat = setInterval(() => {
      if (send && this.ws.readyState === WebSocket.OPEN) this.ws.send("\n");
      if (expect && Date.now() - this.lastRead > 2 * expect) this.ws.close(4000, "heart-beat missed");
    }, Math.min(send || expect, expect || send) / 2);
  }

  subscribe(destination, callback, headers = {}) {
    const id = "sub-" + this.nextId++;
    this.subscriptions.set(id, {destination, callback, headers});
    if (this.connected) this.write("SUBSCRIBE", Object.assign({id, destination}, headers));
    return id;
  }

  // At most once, like STOMP itself: what the page must not lose it keeps until it sees it come
  // back (the support-chat pages resend unconfirmed lines after a reconnect).
  send(destination, body, headers = {}) {
    if (!this.connected) return false;
    this.write("SEND", Object.assign({destination, "content-type": "application/json"}, headers), body);
    return true;
  }

  write(command, headers, body = "") {
    const lines = [command];
    for (const [name, value] of Object.entries(headers)) lines.push(MiniStomp.escape(name) + ":" + MiniStomp.escape(String(value)));
    this.ws.send(lines.join("\n") + "\n\n" + body + "\0");
  }

  static escape(text) { return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/:/g, "\\c").replace(/\r/g, "\\r"); }

  static unescape(text) {
    return text.replace(/\\(.)/g, (_, c) => ({"\\": "\\", n: "\n", c: ":", r: "\r"})[c] ?? c);
  }
}
