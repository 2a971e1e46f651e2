// The status page: polls api/status, shows the latest values from
// api/values and applies their changes pushed on the events stream.
// Plain JavaScript, no library; every text is set with textContent.
"use strict";

const STATUS_EVERY_MS = 2000;
const LIVE_LIMIT = 500;

const $ = (sel) => document.querySelector(sel);

// el builds an element with attributes and text or child nodes.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) {
    e.append(c instanceof Node ? c : String(c ?? ""));
  }
  return e;
}

function num(v) { return el("td", { class: "num" }, v); }

function stateClass(s) {
  return { connected: "ok", degraded: "warn" }[s] || "bad";
}

function fmtTime(ms) {
  if (!ms) return "";
  return new Date(ms).toLocaleTimeString();
}

function fmtBytes(n) {
  if (n < 1024) return n + " B";
  const u = ["KiB", "MiB", "GiB", "TiB"];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
  return n.toFixed(1) + " " + u[i];
}

function renderSources(sources) {
  const body = $("#sources tbody");
  body.replaceChildren(...sources.map((s) => el("tr", { "data-source": s.name },
    el("td", {}, s.name),
    el("td", { class: "state " + stateClass(s.state) }, s.state),
    el("td", {}, s.endpoint),
    el("td", {}, s.security),
    el("td", {}, s.mode),
    num(s.nodes), num(s.failed_items), num(s.samples_per_second.toFixed(1)), num(s.reconnects),
    el("td", { class: "problem" }, s.last_error || ""))));
  const failed = $("#failed-items");
  failed.replaceChildren();
  for (const s of sources) {
    if (!s.failed || s.failed.length === 0) continue;
    failed.append(el("h3", {}, `Failed items of ${s.name} (${s.failed.length} of ${s.failed_items} shown)`));
    failed.append(el("table", { class: "failed", "data-source": s.name },
      el("thead", {}, el("tr", {}, el("th", {}, "Node"), el("th", {}, "Status"), el("th", {}, "Failed at"))),
      el("tbody", {}, ...s.failed.map((f) => el("tr", {}, el("td", {}, f.node), el("td", {}, f.status || ""), el("td", {}, f.reason || ""))))));
  }
}

function renderEngine(e) {
  $("#engine-counts").textContent =
    `${e.samples} samples in, ${e.emitted} messages out, ${e.published} published, ${e.bad_dropped} dropped for Bad status, ${e.subject_collisions} subject collisions`;
  const rows = e.failures.map((f) => el("tr", {}, el("td", {}, f.stage), el("td", {}, f.reason), num(f.count)));
  if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: 3, class: "muted" }, "no failures")));
  $("#engine-failures tbody").replaceChildren(...rows);
  const recent = e.recent.map((f) => el("tr", {},
    el("td", {}, new Date(f.time).toLocaleTimeString()), el("td", {}, f.stage), el("td", {}, f.reason),
    el("td", {}, f.line ? `${f.line}:${f.column}` : ""), el("td", {}, f.node || ""), el("td", {}, f.error)));
  if (recent.length === 0) recent.push(el("tr", {}, el("td", { colspan: 6, class: "muted" }, "none")));
  $("#engine-recent tbody").replaceChildren(...recent);
}

function renderNATS(n) {
  const pairs = [["Connected", n.connected ? "yes" : "no"], ["URL", n.url], ["Published", n.published]];
  for (const [k, v] of Object.entries(n.lost || {})) pairs.push([`Lost (${k})`, v]);
  const js = n.jetstream;
  if (js) {
    const fill = js.max_bytes > 0 ? ` of ${fmtBytes(js.max_bytes)} (${(100 * js.bytes / js.max_bytes).toFixed(1)}%)` : "";
    pairs.push(["Stream", `${js.messages} messages, ${fmtBytes(js.bytes)}${fill}`]);
    pairs.push(["Not yet taken by a consumer (hub)", `${js.unsent} messages, oldest ${js.unsent_age_seconds.toFixed(1)} s`]);
    if (js.problem) pairs.push(["Stream problem", js.problem]);
  }
  if (n.leafnode) pairs.push(["Hub link (leafnode)", n.leafnode.connected ? "connected" : "down"]);
  $("#nats tbody").replaceChildren(...pairs.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
}

async function refreshStatus() {
  try {
    const r = await fetch("api/status", { cache: "no-store" });
    const st = await r.json();
    $("#offline").hidden = true;
    $("#site").textContent = st.site;
    const ready = $("#ready");
    ready.textContent = st.ready ? "ready" : "not ready";
    ready.className = "badge " + (st.ready ? "ok" : "bad");
    const reasons = $("#reasons");
    reasons.hidden = !st.reasons || st.reasons.length === 0;
    reasons.textContent = (st.reasons || []).join("; ");
    $("#updated").textContent = "updated " + new Date(st.time).toLocaleTimeString();
    renderSources(st.sources);
    renderEngine(st.engine);
    renderNATS(st.nats);
  } catch (err) {
    $("#offline").hidden = false;
  }
  setTimeout(refreshStatus, STATUS_EVERY_MS);
}

// The live table: rows by subject, at most LIVE_LIMIT.
const rows = new Map();
let query = "";
let events = null;
let applied = 0;

function valueRow(v) {
  const tr = el("tr", { "data-subject": v.subject },
    el("td", {}, v.subject), el("td", { class: "value" }, v.value), el("td", { class: "time" }, fmtTime(v.time_ms)));
  rows.set(v.subject, tr);
  return tr;
}

async function loadValues() {
  const q = query;
  try {
    const r = await fetch(`api/values?limit=${LIVE_LIMIT}&q=${encodeURIComponent(q)}`, { cache: "no-store" });
    const reply = await r.json();
    if (q !== query) return; // a newer search is under way
    rows.clear();
    $("#live tbody").replaceChildren(...reply.values.map(valueRow));
    let count = `${reply.values.length} of ${reply.matched} matching subjects shown`;
    if (reply.not_kept > 0) count += `; the table keeps ${reply.max} subjects, ${reply.not_kept} updates of others not shown`;
    $("#live-count").textContent = count;
  } catch (err) {
    $("#live-state").textContent = "cannot load values; retrying";
    setTimeout(loadValues, STATUS_EVERY_MS);
    return;
  }
  openEvents();
}

function openEvents() {
  if (events) events.close();
  events = new EventSource(`events?q=${encodeURIComponent(query)}`);
  events.addEventListener("open", () => { $("#live-state").textContent = "· live"; });
  events.addEventListener("error", () => { $("#live-state").textContent = "· reconnecting…"; });
  events.addEventListener("values", (e) => applyValues(JSON.parse(e.data)));
  // Changes were dropped for this page: the table is fetched again.
  events.addEventListener("resync", () => loadValues());
}

function applyValues(values) {
  const body = $("#live tbody");
  for (const v of values) {
    let tr = rows.get(v.subject);
    if (!tr) {
      if (rows.size >= LIVE_LIMIT) continue;
      body.append(valueRow(v));
      continue;
    }
    tr.querySelector(".value").textContent = v.value;
    tr.querySelector(".time").textContent = fmtTime(v.time_ms);
    tr.classList.remove("changed");
    void tr.offsetWidth; // restart the highlight
    tr.classList.add("changed");
  }
  applied += values.length;
  document.body.dataset.liveUpdates = String(applied);
}

let searchTimer = 0;
function onSearch() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    query = $("#search").value.trim();
    loadValues();
  }, 250);
}

document.addEventListener("DOMContentLoaded", () => {
  $("#search").addEventListener("input", onSearch);
  refreshStatus();
  loadValues();
});
