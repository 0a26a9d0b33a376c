// The grid's public dashboard: polls /api/v1/dashboard and redraws, without reloading the page.
// Every value is written as text (textContent), never as HTML: names come from users and workers.
"use strict";

const POLL_MS = 2000;
const HIDDEN_POLL_MS = 10000;
const $ = (id) => document.getElementById(id);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function cell(row, text, className) {
  const td = el("td", text, className);
  row.appendChild(td);
  return td;
}

function badge(row, status) {
  cell(row, "").appendChild(el("span", status, "badge " + status));
}

function short(hex, keep = 10) {
  return hex && hex.length > keep + 4 ? hex.slice(0, keep) + "…" : hex || "";
}

function seconds(value) {
  if (value === null || value === undefined) return "";
  if (value < 1) return (value * 1000).toFixed(0) + " ms";
  if (value < 120) return value.toFixed(1) + " s";
  if (value < 7200) return (value / 60).toFixed(1) + " min";
  return (value / 3600).toFixed(1) + " h";
}

function fill(tableId, items, draw, emptyText) {
  const body = $(tableId).tBodies[0];
  const rows = items.map((item) => {
    const row = document.createElement("tr");
    draw(row, item);
    return row;
  });
  if (!rows.length) {
    const row = el("tr", undefined, "empty");
    const td = cell(row, emptyText);
    td.colSpan = $(tableId).tHead.rows[0].cells.length;
    rows.push(row);
  }
  body.replaceChildren(...rows);
}

function drawWorkers(data) {
  const now = data.generated_at;
  fill("workers", data.workers, (row, w) => {
    row.dataset.address = w.address;
    cell(row, short(w.address, 12), "mono").title = w.address;
    badge(row, w.status);
    row.lastChild.classList.add("status");
    cell(row, `${w.arch} / ${w.os}`);
    cell(row, w.slots);
    cell(row, w.shared_apps.join(", "), "wrap");
    cell(row, w.completed, "done");
    cell(row, seconds(Math.max(0, now - w.last_alive)) + " ago");
    cell(row, w.blacklisted ? "yes: " + (w.blacklist_reason || "") : "no", "wrap blacklist");
  }, "no worker has connected yet");
  const by = data.workers_by_status;
  $("workers-alive").textContent = by.ALIVE || 0;
  $("workers-lost").textContent = (by.LOST || 0) + " lost";
  $("slots").textContent = data.slots_alive;
}

function drawJobs(data) {
  const by = data.jobs_by_status;
  $("jobs-pending").textContent = by.PENDING || 0;
  $("jobs-running").textContent = by.RUNNING || 0;
  $("jobs-completed").textContent = by.COMPLETED || 0;
  $("jobs-failed").textContent = (by.ERROR || 0) + (by.ABORTED || 0);
  $("queue-age").textContent = data.oldest_pending_age === null ? "" : "oldest waits " + seconds(data.oldest_pending_age);
  const most = Math.max(1, ...data.throughput.map((m) => m.completed + m.failed));
  $("throughput").replaceChildren(...data.throughput.flatMap((m) => {
    const done = el("i");
    done.style.height = (100 * m.completed / most) + "%";
    done.title = `${new Date(m.start * 1000).toLocaleTimeString()}: ${m.completed} completed, ${m.failed} in error`;
    const failed = el("i", undefined, "failed");
    failed.style.height = (100 * m.failed / most) + "%";
    failed.title = done.title;
    return m.failed ? [done, failed] : [done];
  }));
  fill("jobs", data.recent_jobs, (row, j) => {
    row.dataset.uid = j.uid;
    cell(row, short(j.uid, 8), "mono").title = j.uid;
    cell(row, j.app);
    badge(row, j.status);
    row.lastChild.classList.add("status");
    const replicas = Object.entries(j.replicates).map(([status, n]) => `${n} ${status.toLowerCase()}`).join(", ");
    cell(row, `${j.replication} needed: ${replicas}`, "replicas");
    cell(row, j.workers, "workers");
    cell(row, seconds(j.duration));
    cell(row, j.task_id ? short(j.task_id, 12) : "", "mono").title = j.task_id || "";
  }, "no job yet");
}

function drawApps(data) {
  $("private-apps").textContent = data.private_apps ? `and ${data.private_apps} private app(s), not listed` : "";
  fill("apps", data.apps, (row, a) => {
    row.dataset.name = a.name;
    cell(row, a.name);
    cell(row, a.docker ? "Docker" : a.type);
    cell(row, a.arch ? `${a.arch} / ${a.os}` : "any");
    cell(row, a.owner_address ? short(a.owner_address, 12) : "", "mono").title = a.owner_address || "";
    cell(row, a.queued);
  }, "no public app");
}

function drawOracle(view) {
  $("oracle").hidden = !view.configured;
  if (!view.configured) return;
  const s = view.status;
  if (!s) {
    $("oracle-summary").textContent = view.error || "the oracle does not answer";
    return;
  }
  const behind = s.blocks_behind === null ? "" : `, ${s.blocks_behind} block(s) behind the head (${s.head_block})`;
  $("oracle-summary").textContent = `pool ${s.pool} of hub ${s.hub} on chain ${s.chain_id}${behind}`;
  $("tasks-requested").textContent = s.requested;
  $("tasks-in-flight").textContent = s.in_flight;
  $("tasks-finalized").textContent = s.finalized;
  $("tasks-refunded").textContent = s.refunded;
  $("tasks-latency").textContent = s.latency_blocks_p50 === null ? "–" : s.latency_blocks_p50;
  $("tasks-gas").textContent = s.gas_spent.toLocaleString("en");
  $("tasks-rlc").textContent = s.rlc_earned.toLocaleString("en", {maximumFractionDigits: 9});
  fill("tasks", s.recent, (row, t) => {
    row.dataset.task = t.task_id;
    cell(row, short(t.task_id, 12), "mono").title = t.task_id;
    badge(row, t.state);
    row.lastChild.classList.add("status");
    cell(row, t.trust);
    cell(row, t.requested_block);
    cell(row, t.settled_block ?? "");
    cell(row, t.latency_blocks ?? "");
    cell(row, t.gas === null ? "" : t.gas.toLocaleString("en") + (t.batch > 1 ? ` (${t.batch} tasks)` : ""));
    cell(row, t.job ? short(t.job, 8) : "", "mono").title = t.job || "";
  }, "no task yet");
}

async function refresh() {
  try {
    const response = await fetch("/api/v1/dashboard", {cache: "no-store"});
    if (!response.ok) throw new Error(`the scheduler answered ${response.status}`);
    const data = await response.json();
    drawWorkers(data);
    drawJobs(data);
    drawApps(data);
    drawOracle(data.oracle);
    $("live").textContent = "live · updated " + new Date(data.generated_at * 1000).toLocaleTimeString();
    $("live").classList.remove("stale");
  } catch (error) {
    $("live").textContent = "not updated: " + error.message;
    $("live").classList.add("stale");
  }
  setTimeout(refresh, document.hidden ? HIDDEN_POLL_MS : POLL_MS);
}

refresh();
