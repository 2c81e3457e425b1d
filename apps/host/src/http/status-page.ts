// The status page at `/`: one self-contained HTML document (inline CSS and JS, no external assets) that
// loads /status and /entries, then follows /events (Server-Sent Events), polling /status if that fails; and
// polls /lattice for the Lattice section (every host's state, lag and digest agreement, drawn as inline SVG).
// Its requests carry the session cookie when the host requires a token; a 401 reloads it into the sign-in page.
// It is served under a Content-Security-Policy that runs only its own inline script and style (security-headers.ts),
// and what other hosts answer is shown as text, never as markup (their addresses linked only when http(s)).

/** The HTML of the status page. Every dynamic value is filled in by the page's script, never by templating. */
export function renderStatusPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lattice host</title>
<style>
  :root { --bg:#f6f7f9; --card:#fff; --ink:#1d2430; --muted:#6b7685; --line:#e2e6eb; --live:#1f9d55; --warn:#c98a00; --bad:#d64545; --info:#3867d6; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--ink); }
  header { background:#1d2430; color:#fff; padding:14px 24px; display:flex; align-items:center; gap:16px; flex-wrap:wrap; }
  header h1 { font-size:18px; margin:0; font-weight:600; }
  header .host { color:#aab4c3; font-family:ui-monospace, SFMono-Regular, Menlo, monospace; }
  .badge { display:inline-block; padding:2px 10px; border-radius:999px; font-weight:600; font-size:13px; background:var(--muted); color:#fff; }
  .badge.live { background:var(--live); } .badge.stale { background:var(--bad); }
  .badge.syncing, .badge.resyncing { background:var(--warn); } .badge.connecting { background:var(--info); }
  .feed { margin-left:auto; font-size:12px; color:#aab4c3; }
  main { padding:20px 24px; max-width:1200px; margin:0 auto; }
  .summary { display:grid; grid-template-columns:repeat(auto-fit, minmax(170px, 1fr)); gap:12px; margin-bottom:18px; }
  .card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
  .card .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
  .card .value { font-size:20px; font-weight:600; overflow-wrap:anywhere; }
  .card .value.small { font-size:13px; font-family:ui-monospace, SFMono-Regular, Menlo, monospace; font-weight:500; }
  .counts .value { font-size:28px; }
  section { background:var(--card); border:1px solid var(--line); border-radius:8px; margin-bottom:18px; overflow:auto; }
  section h2 { font-size:15px; margin:0; padding:10px 14px; border-bottom:1px solid var(--line); display:flex; gap:8px; align-items:baseline; }
  section h2 .n { color:var(--muted); font-weight:500; }
  table { border-collapse:collapse; width:100%; }
  th, td { text-align:left; padding:6px 14px; border-bottom:1px solid var(--line); vertical-align:top; }
  th { font-size:12px; color:var(--muted); font-weight:600; }
  td { font-family:ui-monospace, SFMono-Regular, Menlo, monospace; font-size:12.5px; overflow-wrap:anywhere; }
  tr.fresh td { animation: flash 1.5s ease-out; }
  @keyframes flash { from { background:#fff3c4; } to { background:transparent; } }
  .empty { color:var(--muted); padding:10px 14px; font-style:italic; }
  .error { color:var(--bad); }
  ol#recent:empty::before { content:"no changes since this page opened"; color:var(--muted); font-style:italic; margin-left:-20px; }
  ol#recent { margin:0; padding:8px 14px 10px 34px; font-family:ui-monospace, SFMono-Regular, Menlo, monospace; font-size:12.5px; }
  .verdict { margin-left:auto; font-size:12px; font-weight:700; padding:2px 10px; border-radius:999px; color:#fff; background:var(--muted); }
  .verdict.ok { background:var(--live); } .verdict.warn { background:var(--warn); } .verdict.bad { background:var(--bad); }
  .rates { display:grid; grid-template-columns:repeat(auto-fit, minmax(220px, 1fr)); gap:12px; padding:12px 14px 4px; }
  .rate .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
  .rate .value { font-size:18px; font-weight:600; }
  .rate .value.small { font-size:13px; font-weight:400; color:var(--muted); }
  .explain, .sampling { color:var(--muted); font-size:12px; padding:2px 14px 8px; margin:0; }
  svg.spark { display:block; color:var(--info); overflow:visible; }
  svg.spark .base { stroke:var(--line); }
  tr.split-brain td { background:#fdecec; color:var(--bad); font-weight:600; }
  tr.split-brain svg.spark, tr.split-brain a { color:var(--bad); }
  tr.silent td { color:var(--muted); }
  td.agree-agrees { color:var(--live); }
  td.agree-alone, td.agree-not-compared { color:var(--muted); }
  td.agree-drift { color:var(--warn); }
  .self-tag { color:var(--muted); font-size:11px; }
  ul#lattice-notes { margin:0; padding:4px 14px 10px 34px; font-size:12.5px; color:var(--muted); }
  ul#lattice-notes:empty { display:none; }
  a { color:var(--info); }
</style>
</head>
<body>
<header>
  <h1>lattice host</h1>
  <span class="host" id="host-id" data-testid="host-id">…</span>
  <span class="badge connecting" id="state" data-testid="state">connecting</span>
  <span class="feed" id="feed" data-testid="feed">connecting…</span>
</header>
<main>
  <div class="summary counts">
    <div class="card"><div class="label">link definitions</div><div class="value" id="count-linkdefs" data-testid="count-linkdefs">0</div></div>
    <div class="card"><div class="label">claims</div><div class="value" id="count-claims" data-testid="count-claims">0</div></div>
    <div class="card"><div class="label">OCI reference maps</div><div class="value" id="count-refmaps" data-testid="count-refmaps">0</div></div>
  </div>
  <div class="summary">
    <div class="card"><div class="label">backend</div><div class="value small" id="backend" data-testid="backend">…</div></div>
    <div class="card"><div class="label">revision</div><div class="value" id="revision" data-testid="revision">0</div></div>
    <div class="card"><div class="label">backend revision</div><div class="value" id="backend-revision" data-testid="backend-revision">–</div></div>
    <div class="card"><div class="label">lag</div><div class="value" id="lag" data-testid="lag">0</div></div>
    <div class="card"><div class="label">digest</div><div class="value small" id="digest" data-testid="digest">–</div></div>
    <div class="card"><div class="label">last problem</div><div class="value small" id="last-error" data-testid="last-error">none</div></div>
  </div>
  <section data-testid="lattice">
    <h2>Lattice <span class="n" id="n-lattice"></span><span class="verdict" id="lattice-verdict" data-testid="lattice-verdict">asking the hosts…</span></h2>
    <div class="rates">
      <div class="rate"><div class="label">changes applied here / s</div><div class="value" id="rate-applied" data-testid="rate-applied">–</div><div id="chart-applied"></div></div>
      <div class="rate"><div class="label">this host's writes / s</div><div class="value" id="rate-writes" data-testid="rate-writes">–</div><div id="chart-writes"></div></div>
      <div class="rate"><div class="label">catch-up delay</div><div class="value" id="rate-delay" data-testid="rate-delay">–</div><div id="chart-delay"></div></div>
      <div class="rate"><div class="label">propagation delay (p50 / p99 over the last <span id="propagation-n" data-testid="propagation-n">–</span> changes)</div><div class="value" id="rate-propagation" data-testid="rate-propagation">–</div><div id="chart-propagation"></div></div>
    </div>
    <p class="explain">Changes applied: every writer's changes this replica applied. Catch-up delay: how long the oldest change this
    replica knows of but has not applied has waited. Propagation delay: for the latest live changes this replica applied from
    the feed, the time from when the backend stored each (by the backend's clock) to when it was applied here; it includes
    any clock skew between this host and the servers (keep both NTP-synced). The chart shows the p50.</p>
    <div id="table-lattice" data-testid="table-lattice"></div>
    <ul id="lattice-notes" data-testid="lattice-notes"></ul>
    <p class="sampling" id="lattice-sampling" data-testid="lattice-sampling"></p>
  </section>
  <section><h2>Link definitions <span class="n" id="n-linkdefs"></span></h2><div id="table-linkdefs" data-testid="table-linkdefs"></div></section>
  <section><h2>Claims <span class="n" id="n-claims"></span></h2><div id="table-claims" data-testid="table-claims"></div></section>
  <section><h2>OCI reference maps <span class="n" id="n-refmaps"></span></h2><div id="table-refmaps" data-testid="table-refmaps"></div></section>
  <section><h2>Recent changes</h2><ol id="recent" data-testid="recent-changes" reversed></ol></section>
</main>
<script>
"use strict";
(function () {
  var COLUMNS = {
    linkdefs: [["actor", "actor_id"], ["provider", "provider_id"], ["contract", "contract_id"], ["link name", "link_name"], ["values", "values"]],
    claims: [["sub", "sub"], ["name", "name"], ["call alias", "call_alias"], ["caps", "caps"], ["version", "version"]],
    refmaps: [["OCI URL", "oci_url"], ["public key", "public_key"]]
  };
  var entries = { linkdefs: new Map(), claims: new Map(), refmaps: new Map() };
  var fresh = new Set();
  var recentEvents = [];
  var revision = 0;
  var backendRevision = 0;
  var source = null;
  var pollTimer = null;
  var reloading = false;
  // The SVG namespace as the HTML parser assigns it (so the page holds no URL at all).
  var SVG_NS = (function () { var d = document.createElement("div"); d.innerHTML = "<svg></svg>"; return d.firstChild.namespaceURI; })();
  var LATTICE_POLL_MS = 3000;
  var AGREEMENT_TEXT = {
    agrees: "agrees",
    alone: "no other host at this revision",
    "not-compared": "not compared",
    drift: "differs (unordered backend: drift)"
  };

  function $(id) { return document.getElementById(id); }
  function text(id, value) { $(id).textContent = value === null || value === undefined || value === "" ? "–" : String(value); }
  function cell(value) {
    var td = document.createElement("td");
    td.textContent = value && typeof value === "object"
      ? Object.keys(value).map(function (k) { return k + "=" + value[k]; }).join(", ")
      : String(value === undefined ? "" : value);
    return td;
  }

  function renderStatus(s) {
    var badge = $("state");
    badge.textContent = s.state;
    badge.className = "badge " + s.state;
    text("host-id", s.hostId);
    text("backend", s.backend + (s.prefix ? " · prefix " + s.prefix : ""));
    revision = Math.max(revision, s.revision || 0);
    text("revision", revision);
    if (typeof s.backendRevision === "number") backendRevision = Math.max(backendRevision, s.backendRevision);
    text("backend-revision", s.backendRevision === null ? null : backendRevision);
    text("lag", Math.max(0, backendRevision - revision));
    text("digest", s.digest ? s.digest.slice(0, 16) + "…" : null);
    $("digest").title = s.digest || "";
    var problem = s.lastError || (s.state === "stale" ? "stale for " + Math.round((s.staleForMs || 0) / 1000) + " s" : "");
    text("last-error", problem || "none");
    $("last-error").className = "value small" + (s.state === "stale" ? " error" : "");
    if (s.counts) {
      Object.keys(entries).forEach(function (c) { text("count-" + c, s.counts[c]); });
    }
  }

  function renderCollection(c) {
    var holder = $("table-" + c);
    holder.textContent = "";
    var rows = Array.from(entries[c].values()).sort(function (a, b) { return a.key < b.key ? -1 : 1; });
    $("n-" + c).textContent = "(" + rows.length + ")";
    if (rows.length === 0) {
      var p = document.createElement("div");
      p.className = "empty";
      p.textContent = "none yet";
      holder.appendChild(p);
      return;
    }
    var table = document.createElement("table");
    var head = document.createElement("tr");
    COLUMNS[c].concat([["revision", null]]).forEach(function (col) {
      var th = document.createElement("th");
      th.textContent = col[0];
      head.appendChild(th);
    });
    table.appendChild(head);
    rows.forEach(function (e) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-key", e.key);
      if (fresh.has(e.key)) tr.className = "fresh";
      COLUMNS[c].forEach(function (col) { tr.appendChild(cell(e.value[col[1]])); });
      tr.appendChild(cell(e.revision));
      table.appendChild(tr);
    });
    holder.appendChild(table);
  }

  function renderAll() { Object.keys(entries).forEach(renderCollection); }

  // Applies one change unless the map already holds a newer revision of the key.
  function applyToMap(ev) {
    var map = entries[ev.collection];
    if (!map) return false;
    var current = map.get(ev.key);
    if (current && current.revision >= ev.revision) return false;
    if (ev.operation === "delete") map.delete(ev.key);
    else map.set(ev.key, { key: ev.key, revision: ev.revision, origin: ev.origin, value: ev.value });
    return true;
  }

  function applyChange(ev) {
    var map = entries[ev.collection];
    if (!map) return;
    recentEvents.push(ev);
    if (recentEvents.length > 500) recentEvents.shift();
    applyToMap(ev);
    fresh.add(ev.key);
    setTimeout(function () { fresh.delete(ev.key); }, 1500);
    revision = Math.max(revision, ev.revision);
    backendRevision = Math.max(backendRevision, ev.revision);
    text("revision", revision);
    text("backend-revision", backendRevision);
    text("lag", Math.max(0, backendRevision - revision));
    text("count-" + ev.collection, map.size);
    renderCollection(ev.collection);
    var li = document.createElement("li");
    li.textContent = new Date().toLocaleTimeString() + "  " + ev.operation + " " + ev.collection + " " + ev.key + " @" + ev.revision;
    var list = $("recent");
    list.insertBefore(li, list.firstChild);
    while (list.children.length > 20) list.removeChild(list.lastChild);
  }

  // Without a valid session (the token changed, or the cookie is gone) the host answers 401: loading the
  // page again shows its sign-in form.
  function unauthorized() {
    if (reloading) return;
    reloading = true;
    location.reload();
  }

  function getJson(path) {
    return fetch(path, { cache: "no-store", credentials: "same-origin" }).then(function (r) {
      if (r.status === 401) { unauthorized(); throw new Error("401"); }
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    });
  }

  // A small line chart of [time, value] points (value null: not measured) between now - spanMs and now.
  function sparkline(points, now, spanMs, width, height, label) {
    var pad = 2;
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("width", String(width));
    svg.setAttribute("height", String(height));
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    var measured = points.filter(function (p) { return typeof p[1] === "number"; });
    svg.setAttribute("data-points", String(measured.length));
    var max = 1;
    measured.forEach(function (p) { if (p[1] > max) max = p[1]; });
    var base = document.createElementNS(SVG_NS, "line");
    base.setAttribute("class", "base");
    base.setAttribute("x1", String(pad));
    base.setAttribute("x2", String(width - pad));
    base.setAttribute("y1", String(height - pad));
    base.setAttribute("y2", String(height - pad));
    svg.appendChild(base);
    function x(t) { return pad + (width - 2 * pad) * Math.max(0, Math.min(1, 1 - (now - t) / spanMs)); }
    function y(v) { return height - pad - (height - 2 * pad) * (v / max); }
    if (measured.length === 1) {
      var dot = document.createElementNS(SVG_NS, "circle");
      dot.setAttribute("cx", x(measured[0][0]).toFixed(1));
      dot.setAttribute("cy", y(measured[0][1]).toFixed(1));
      dot.setAttribute("r", "2");
      dot.setAttribute("fill", "currentColor");
      svg.appendChild(dot);
    } else if (measured.length > 1) {
      var line = document.createElementNS(SVG_NS, "polyline");
      line.setAttribute("fill", "none");
      line.setAttribute("stroke", "currentColor");
      line.setAttribute("stroke-width", "1.5");
      line.setAttribute("points", measured.map(function (p) { return x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1); }).join(" "));
      svg.appendChild(line);
    }
    var title = document.createElementNS(SVG_NS, "title");
    title.textContent = label + ": highest " + max + " over the last " + spanText(spanMs);
    svg.appendChild(title);
    return svg;
  }

  function spanText(ms) {
    return ms < 90000 ? Math.round(ms / 1000) + " s" : Math.round(ms / 60000) + " min";
  }

  function ago(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    return s < 60 ? s + " s ago" : Math.round(s / 60) + " min ago";
  }

  function msText(ms) {
    return ms < 1000 ? Math.round(ms) + " ms" : (ms / 1000).toFixed(1) + " s";
  }

  function renderRates(view, spanMs) {
    var self = view.self || [];
    var last = self[self.length - 1];
    text("rate-applied", last ? last.appliedPerSecond : null);
    text("rate-writes", last ? last.writesPerSecond : null);
    text("rate-delay", last ? msText(last.lagMs) : null);
    var measured = last && typeof last.propagationP50Ms === "number" && typeof last.propagationP99Ms === "number";
    text("propagation-n", last && last.propagationSamples > 0 ? last.propagationSamples : null);
    text("rate-propagation", measured ? msText(last.propagationP50Ms) + " / " + msText(last.propagationP99Ms) : view.propagationNote);
    $("rate-propagation").classList.toggle("small", !measured && !!view.propagationNote);
    [["chart-applied", "appliedPerSecond", "changes applied / s"], ["chart-writes", "writesPerSecond", "writes / s"], ["chart-delay", "lagMs", "catch-up delay (ms)"], ["chart-propagation", "propagationP50Ms", "propagation delay p50 (ms)"]].forEach(function (c) {
      var holder = $(c[0]);
      holder.textContent = "";
      holder.appendChild(sparkline(self.map(function (p) { return [p.t, p[c[1]]]; }), view.now, spanMs, 200, 32, c[2]));
    });
  }

  // A host's page from the address it answered with — another process's word: only an http: or https: URL is
  // linked (a javascript: or data: address would run in this page when clicked).
  function hostPage(http) {
    if (typeof http !== "string" || http === "") return null;
    var url;
    try { url = new URL(http + "/"); } catch (e) { return null; }
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  }

  function agreementText(h) {
    if (h.agreement === "split-brain") return "SPLIT BRAIN with " + h.splitBrainWith.join(", ");
    if (!h.answering) return "–";
    return AGREEMENT_TEXT[h.agreement] || h.agreement;
  }

  function renderLattice(view) {
    var since = view.sampling.since || view.now;
    // The charts cover the time since sampling began (at least 30 s), up to the history kept.
    var spanMs = Math.min(view.sampling.historyMs, Math.max(30000, view.now - since));
    renderRates(view, spanMs);
    var answering = view.hosts.filter(function (h) { return h.answering; }).length;
    $("n-lattice").textContent = "(" + answering + " answering" + (answering === view.hosts.length ? "" : ", " + (view.hosts.length - answering) + " silent") + ")";
    var verdict = $("lattice-verdict");
    if (view.splitBrains.length > 0) {
      verdict.textContent = "SPLIT BRAIN at revision " + view.splitBrains.map(function (s) { return s.revision; }).join(", ");
      verdict.className = "verdict bad";
    } else if (view.converged) {
      verdict.textContent = "in agreement";
      verdict.className = "verdict ok";
    } else {
      verdict.textContent = view.channel === null ? "no status channel" : view.hosts.length === 0 ? "no answers yet" : "not converged";
      verdict.className = "verdict warn";
    }
    var holder = $("table-lattice");
    holder.textContent = "";
    if (view.hosts.length === 0) {
      var p = document.createElement("div");
      p.className = "empty";
      p.textContent = view.channel === null ? "this backend has no status channel: the other hosts cannot be asked" : "no host has answered yet";
      holder.appendChild(p);
    } else {
      var table = document.createElement("table");
      var head = document.createElement("tr");
      ["host", "backend", "state", "revision", "lag", "lag, last " + spanText(spanMs), "digest agreement", "last seen"].forEach(function (name) {
        var th = document.createElement("th");
        th.textContent = name;
        head.appendChild(th);
      });
      table.appendChild(head);
      view.hosts.forEach(function (h) {
        var tr = document.createElement("tr");
        tr.setAttribute("data-host", h.hostId);
        tr.className = h.agreement === "split-brain" ? "split-brain" : h.answering ? "" : "silent";
        var id = document.createElement("td");
        var page = hostPage(h.http);
        if (page) {
          var a = document.createElement("a");
          a.href = page;
          a.textContent = h.hostId;
          id.appendChild(a);
        } else {
          id.textContent = h.hostId;
          if (h.http) id.title = "not linked: its address is no http(s) URL: " + h.http;
        }
        if (h.self) {
          var tag = document.createElement("span");
          tag.className = "self-tag";
          tag.textContent = " (this host)";
          id.appendChild(tag);
        }
        tr.appendChild(id);
        tr.appendChild(cell(h.backend));
        tr.appendChild(cell(h.state));
        tr.appendChild(cell(h.revision));
        tr.appendChild(cell(h.lag === null ? "n/a" : h.lag));
        var chart = document.createElement("td");
        chart.appendChild(sparkline(h.history, view.now, spanMs, 160, 24, "lag of " + h.hostId + " (revisions)"));
        tr.appendChild(chart);
        var agreement = cell((h.digest ? h.digest.slice(0, 10) + "…  " : "") + agreementText(h));
        agreement.className = "agree-" + h.agreement;
        agreement.setAttribute("data-testid", "agreement-" + h.hostId);
        if (h.digest) agreement.title = h.digest;
        tr.appendChild(agreement);
        var seen = cell(h.answering ? "now" : ago(view.now - h.lastSeen));
        seen.title = new Date(h.lastSeen).toLocaleString();
        tr.appendChild(seen);
        table.appendChild(tr);
      });
      holder.appendChild(table);
    }
    var notes = $("lattice-notes");
    notes.textContent = "";
    view.notes.forEach(function (n) {
      var li = document.createElement("li");
      li.textContent = n;
      notes.appendChild(li);
    });
    var sampling = $("lattice-sampling");
    sampling.textContent = (view.channel ? "asked on " + view.channel + " every " + view.sampling.everyMs / 1000 + " s (answers within " + view.sampling.windowMs + " ms)" : "") +
      (view.sampling.lastError ? " · " + view.sampling.lastError : "");
    sampling.className = "sampling" + (view.sampling.lastError ? " error" : "");
  }

  function pollLattice() {
    getJson("lattice").then(function (r) {
      if (r.ok) renderLattice(r.body);
    }).catch(function () {}).then(function () { setTimeout(pollLattice, LATTICE_POLL_MS); });
  }

  function loadStatus() {
    return getJson("status").then(function (r) { renderStatus(r.body); return r.body; });
  }

  function loadEntries() {
    return getJson("entries").then(function (r) {
      if (!r.ok) return false;
      Object.keys(entries).forEach(function (c) {
        entries[c] = new Map();
        (r.body.collections[c] || []).forEach(function (e) { entries[c].set(e.key, e); });
      });
      // Changes that arrived while the snapshot was in flight are newer than it: replay them.
      recentEvents.forEach(function (ev) { if (ev.revision > (r.body.revision || 0)) applyToMap(ev); });
      revision = Math.max(revision, r.body.revision || 0);
      renderAll();
      return true;
    });
  }

  // Until entries load (the host may still be syncing), retry; afterwards changes arrive as events.
  function loadEverything() {
    return loadStatus().then(loadEntries).then(function (ok) {
      if (!ok) setTimeout(loadEverything, 1000);
    }).catch(function () { setTimeout(loadEverything, 2000); });
  }

  function startPolling() {
    if (pollTimer) return;
    $("feed").textContent = "polling /status";
    pollTimer = setInterval(function () { loadEverything(); }, 3000);
  }

  function connect() {
    if (!window.EventSource) { startPolling(); return; }
    source = new EventSource("events");
    source.addEventListener("open", function () {
      $("feed").textContent = "live updates";
      if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
      loadEverything();
    });
    source.addEventListener("status", function (m) { renderStatus(JSON.parse(m.data)); });
    source.addEventListener("change", function (m) { applyChange(JSON.parse(m.data)); });
    source.addEventListener("error", function () { startPolling(); });
  }

  try { sessionStorage.removeItem("lattice-signin-retried"); } catch (e) {}
  renderAll();
  loadEverything();
  connect();
  pollLattice();
})();
</script>
</body>
</html>
`;
}
