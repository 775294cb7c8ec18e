/// The admin dashboard: one self-contained HTML page (inline CSS and script, no CDN, works
/// offline) served at `GET /` and `GET /dashboard` of the admin listener.
///
/// The page holds no data: its script reads the JSON API (`/admin/cluster`, `/admin/destinations`,
/// `/admin/users`, `/admin/sessions`, `/admin/history`) with the admin token, which it takes from
/// the URL fragment (`/dashboard#token=…`, never sent to the server in the request line) or a
/// form field, and keeps in `sessionStorage`. Every value is inserted as text, never as HTML:
/// logins and destinations come from clients.
enum AdminDashboard {
    static let html: [UInt8] = Array(page.utf8)

    private static let page = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stampede dashboard</title>
<style>
  :root { --bg:#f6f7f9; --card:#fff; --ink:#1d2330; --muted:#6b7280; --line:#e5e7eb; --ok:#15803d; --warn:#b45309; --bad:#b91c1c; --in:#2563eb; --out:#db2777; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--ink); }
  header { display:flex; flex-wrap:wrap; gap:12px; align-items:center; padding:12px 20px; background:#111827; color:#fff; }
  header h1 { font-size:18px; margin:0 12px 0 0; }
  header input { padding:4px 8px; border-radius:4px; border:1px solid #374151; background:#1f2937; color:#fff; width:220px; }
  header button, td button { padding:4px 10px; border-radius:4px; border:0; cursor:pointer; }
  #status { margin-left:auto; color:#d1d5db; font-size:13px; }
  #status.error { color:#fca5a5; }
  main { display:grid; grid-template-columns:repeat(auto-fit, minmax(460px, 1fr)); gap:16px; padding:16px 20px; }
  section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 16px; overflow:auto; }
  section.wide { grid-column:1 / -1; }
  h2 { font-size:15px; margin:0 0 8px; }
  h2 small { color:var(--muted); font-weight:normal; }
  table { border-collapse:collapse; width:100%; }
  th, td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
  th { color:var(--muted); font-weight:600; font-size:12px; }
  td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
  .badge { display:inline-block; padding:1px 8px; border-radius:10px; color:#fff; font-size:12px; }
  .up, .connected, .standalone { background:var(--ok); } .degraded, .connecting, .closing { background:var(--warn); } .dead, .disconnected { background:var(--bad); }
  td button { background:var(--bad); color:#fff; }
  .empty { color:var(--muted); font-style:italic; }
  .legend span { margin-right:14px; } .legend i { display:inline-block; width:10px; height:10px; margin-right:4px; border-radius:2px; }
  svg { width:100%; height:180px; display:block; }
  svg text { font-size:10px; fill:var(--muted); }
</style>
</head>
<body>
<header>
  <h1>Stampede</h1>
  <form id="token-form"><input id="token" type="password" placeholder="admin token" autocomplete="off"> <button type="submit">Use token</button></form>
  <span id="status">loading…</span>
</header>
<main>
  <section class="wide"><h2>Nodes <small id="node-summary"></small></h2>
    <table id="nodes"><thead><tr><th>node</th><th>address</th><th>status</th><th>redis</th><th>version</th><th class="num">uptime</th><th class="num">connections</th><th class="num">subscriptions</th><th class="num">in/s</th><th class="num">out/s</th><th class="num">heartbeat age</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="wide"><h2>Message rates <small id="chart-node"></small></h2>
    <div class="legend"><span><i style="background:var(--in)"></i>frames in/s</span><span><i style="background:var(--out)"></i>messages out/s</span><span id="chart-range"></span></div>
    <svg id="chart" viewBox="0 0 800 180" preserveAspectRatio="none"></svg>
  </section>
  <section><h2>Destinations <small id="destination-summary"></small></h2>
    <table id="destinations"><thead><tr><th>destination</th><th class="num">subscribers</th><th>nodes</th></tr></thead><tbody></tbody></table>
  </section>
  <section><h2>Online users <small id="user-summary"></small></h2>
    <table id="users"><thead><tr><th>user</th><th class="num">sessions</th><th>nodes</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="wide"><h2>Sessions on this node <small id="session-summary"></small></h2>
    <table id="sessions"><thead><tr><th>session</th><th>node</th><th>user</th><th>endpoint</th><th>transport</th><th>peer</th><th>state</th><th class="num">connected</th><th class="num">subscriptions</th><th></th></tr></thead><tbody></tbody></table>
  </section>
</main>
<script>
"use strict";
const REFRESH_MS = 2000;
let token = sessionStorage.getItem("stampede-admin-token") || "";
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get("token")) {
  token = fragment.get("token");
  sessionStorage.setItem("stampede-admin-token", token);
  history.replaceState(null, "", location.pathname + location.search);
}
document.getElementById("token-form").addEventListener("submit", event => {
  event.preventDefault();
  token = document.getElementById("token").value;
  sessionStorage.setItem("stampede-admin-token", token);
  refresh();
});

async function api(path, options = {}) {
  const headers = token ? { "Authorization": "Bearer " + token } : {};
  const response = await fetch(path, Object.assign({ headers, cache: "no-store" }, options));
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(path + ": " + response.status + " " + (body.error || response.statusText));
  return body;
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "" : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}
function badge(row, text) {
  const td = cell(row, "");
  const span = document.createElement("span");
  span.className = "badge " + text;
  span.textContent = text;
  td.appendChild(span);
}
function fill(id, items, render, emptyText) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  if (items.length === 0) {
    const row = body.insertRow();
    const td = cell(row, emptyText, "empty");
    td.colSpan = document.querySelectorAll("#" + id + " th").length;
    return;
  }
  for (const item of items) render(body.insertRow(), item);
}
const perNode = nodes => Object.keys(nodes).sort().map(n => n + " (" + nodes[n] + ")").join(", ");
const rate = value => value.toFixed(value < 10 ? 1 : 0);
function duration(seconds) {
  if (seconds < 120) return seconds + " s";
  if (seconds < 7200) return Math.floor(seconds / 60) + " min";
  return Math.floor(seconds / 3600) + " h";
}

function drawChart(samples) {
  const svg = document.getElementById("chart");
  svg.replaceChildren();
  const ns = "http://www.w3.org/2000/svg", width = 800, height = 180, pad = 20;
  if (samples.length < 2) {
    const text = document.createElementNS(ns, "text");
    text.setAttribute("x", 10); text.setAttribute("y", 90); text.textContent = "collecting samples…";
    svg.appendChild(text);
    return;
  }
  const t0 = samples[0].at, t1 = samples[samples.length - 1].at;
  const top = Math.max(1, ...samples.map(s => Math.max(s.messagesInPerSecond, s.messagesOutPerSecond)));
  const x = t => pad + (width - 2 * pad) * (t - t0) / Math.max(1, t1 - t0);
  const y = v => height - pad - (height - 2 * pad) * v / top;
  for (const [value, label] of [[0, "0"], [top, rate(top) + "/s"]]) {
    const line = document.createElementNS(ns, "line");
    line.setAttribute("x1", pad); line.setAttribute("x2", width - pad);
    line.setAttribute("y1", y(value)); line.setAttribute("y2", y(value));
    line.setAttribute("stroke", "#e5e7eb");
    svg.appendChild(line);
    const text = document.createElementNS(ns, "text");
    text.setAttribute("x", 2); text.setAttribute("y", y(value) - 2); text.textContent = label;
    svg.appendChild(text);
  }
  for (const [key, color] of [["messagesInPerSecond", "#2563eb"], ["messagesOutPerSecond", "#db2777"]]) {
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("fill", "none"); line.setAttribute("stroke", color); line.setAttribute("stroke-width", "2");
    line.setAttribute("points", samples.map(s => x(s.at).toFixed(1) + "," + y(s[key]).toFixed(1)).join(" "));
    line.setAttribute("class", "series-" + key);
    svg.appendChild(line);
  }
  document.getElementById("chart-range").textContent = "last " + duration(Math.round((t1 - t0) / 1000));
}

async function disconnect(id, user) {
  if (!confirm("Disconnect session " + id + (user ? " (" + user + ")" : "") + "?")) return;
  try {
    await api("/admin/sessions/" + encodeURIComponent(id) + "/disconnect", { method: "POST" });
    setStatus("session " + id + " disconnected", false);
  } catch (error) {
    setStatus(error.message, true);
  }
  refresh();
}

function setStatus(text, isError) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.className = isError ? "error" : "";
}

async function refresh() {
  try {
    const [cluster, destinations, users, sessions, history] = await Promise.all([
      api("/admin/cluster"), api("/admin/destinations?limit=1000"), api("/admin/users?limit=1000"),
      api("/admin/sessions?limit=1000"), api("/admin/history")]);
    fill("nodes", cluster.nodes, (row, n) => {
      cell(row, n.id); cell(row, n.address); badge(row, n.status); badge(row, n.redis); cell(row, n.version);
      cell(row, duration(n.uptimeSeconds), "num"); cell(row, n.connections, "num"); cell(row, n.subscriptions, "num");
      cell(row, rate(n.messagesInPerSecond), "num"); cell(row, rate(n.messagesOutPerSecond), "num");
      cell(row, n.lastHeartbeatAgeMilliseconds + " ms", "num");
    }, "no nodes");
    const connections = cluster.nodes.reduce((sum, n) => sum + n.connections, 0);
    document.getElementById("node-summary").textContent =
      cluster.nodes.length + " node(s), " + connections + " connection(s)";
    fill("destinations", destinations.destinations, (row, d) => {
      cell(row, d.destination); cell(row, d.subscribers, "num"); cell(row, perNode(d.nodes));
    }, "no subscriptions");
    document.getElementById("destination-summary").textContent = destinations.total + " destination(s)";
    fill("users", users.users.filter(u => u.sessions > 0), (row, u) => {
      cell(row, u.user); cell(row, u.sessions, "num"); cell(row, perNode(u.nodes));
    }, "nobody online");
    document.getElementById("user-summary").textContent = users.online + " online, " + users.sessions + " session(s)";
    fill("sessions", sessions.sessions, (row, s) => {
      row.dataset.session = s.id;
      cell(row, s.id); cell(row, s.node); cell(row, s.user || "(anonymous)"); cell(row, s.endpoint); cell(row, s.transport || "");
      cell(row, s.peer || ""); badge(row, s.state); cell(row, duration(s.connectedSeconds), "num"); cell(row, s.subscriptions ?? "", "num");
      const button = document.createElement("button");
      button.textContent = "Disconnect";
      button.className = "disconnect";
      button.addEventListener("click", () => disconnect(s.id, s.user));
      cell(row, "").appendChild(button);
    }, "no sessions");
    document.getElementById("session-summary").textContent = sessions.total + " session(s) in the cluster";
    document.getElementById("chart-node").textContent = "node " + history.node;
    drawChart(history.samples);
    setStatus("updated " + new Date().toLocaleTimeString(), false);
    document.body.dataset.loaded = "true";
  } catch (error) {
    setStatus(error.message + (String(error.message).includes("401") ? " (enter the admin token)" : ""), true);
  }
}
refresh();
setInterval(refresh, REFRESH_MS);
</script>
</body>
</html>
"""#
}
