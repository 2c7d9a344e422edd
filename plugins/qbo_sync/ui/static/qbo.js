/* The QuickBooks page: reads /qbo/api/*, triggers DAG runs and edits the connection through
   Airflow's own REST API (/api/v2), so Airflow checks the user's permissions. */
"use strict";
const CONFIG = JSON.parse(document.getElementById("qbo-config").textContent);
const $ = (sel) => document.querySelector(sel);
const state = { entities: [], view: null, page: 1, pageSize: 50, timer: null };

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) el.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return el;
}
const badge = (text, cls) => h("span", { class: "badge s-" + (cls || text) }, text);
const num = (n, cls) => h("td", { class: "num" + (n ? (cls ? " " + cls : "") : " zero") }, String(n));
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");
const show = (el, on) => el.classList.toggle("hidden", !on);
const text = (v) => (v === null || v === undefined ? "(empty)" : typeof v === "object" ? JSON.stringify(v) : String(v));

async function api(path, options = {}) {
  const resp = await fetch(path, {
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    ...options,
  });
  let body = null;
  try { body = await resp.json(); } catch (e) { body = null; }
  if (resp.status === 401) { window.top.location.href = "/"; throw new Error("Not logged in"); }
  if (!resp.ok) {
    const detail = body && body.detail;
    const msg = typeof detail === "string" ? detail : detail ? JSON.stringify(detail) : resp.statusText;
    const err = new Error(msg); err.status = resp.status; throw err;
  }
  return body;
}

function flash(el, message, kind) {
  el.textContent = message;
  el.className = "notice " + (kind || "");
}

/* ---- entities ---------------------------------------------------------------------------- */
async function loadSummary() {
  const data = await api("api/summary");
  state.entities = data.entities;
  show($("#switched-off"), !data.settings.enabled);
  showDrift(data.reconciliation);
  const rows = data.entities.map((e) => {
    const run = e.last_run;
    const runCell = run
      ? h("td", {}, badge(run.status), " ", h("span", { class: "muted" }, when(run.finished_at || run.started_at)),
          run.status === "skipped" && run.message ? h("div", { class: "muted" }, run.message) : "")
      : h("td", { class: "muted" }, "never");
    return h("tr", { "data-entity": e.key },
      h("td", {}, h("b", {}, e.label)), h("td", { class: "muted" }, e.direction),
      num(e.total), num(e.synced), num(e.waiting, "warn"), num(e.failed, "bad"), num(e.conflict, "warn"),
      runCell,
      h("td", {}, h("button", { class: "btn primary", "data-action": "sync", onclick: () => askSync(e) }, "Sync"), " ",
        h("button", { class: "btn", "data-action": "view", onclick: () => openView(e.key, "all") }, "View")));
  });
  $("#entities tbody").replaceChildren(...rows);
}

function showDrift(d) {
  const box = $("#drift");
  show(box, Boolean(d && d.last_seen_at));
  if (!d || !d.last_seen_at) return;
  const text = d.open
    ? `Reconciliation: ${d.open} open difference(s) with QuickBooks, ${d.at_stake} at stake, the oldest open since ${when(d.oldest_open_since)}. `
    : `Reconciliation: the CMMS and QuickBooks agree (last checked ${when(d.last_seen_at)}). `;
  const reconcile = { label: "Reconciliation", trigger: { dag_id: "qbo_reconcile", conf: {} } };
  box.replaceChildren(text, h("a", { href: "report#reconciliation" }, "See the differences"), " ",
    h("button", { class: "btn", "data-action": "reconcile", onclick: () => askSync(reconcile) }, "Reconcile now"));
  box.className = "notice " + (d.open ? "warn" : "");
}

function askSync(e) {
  const t = e.trigger;
  const what = t.conf.entities ? ` with entities ${t.conf.entities.join(", ")}` : "";
  $("#confirm-text").textContent = `Sync ${e.label} now? This triggers the DAG ${t.dag_id}${what}.`;
  const dlg = $("#confirm");
  $("#confirm-yes").onclick = () => { dlg.close(); triggerSync(e); };
  $("#confirm-no").onclick = () => dlg.close();
  dlg.showModal();
}

async function triggerSync(e) {
  const t = e.trigger, box = $("#run-status");
  show(box, true);
  flash(box, `Starting ${t.dag_id}…`);
  let run;
  try {
    const dag = await api(`/api/v2/dags/${encodeURIComponent(t.dag_id)}`);
    run = await api(`/api/v2/dags/${encodeURIComponent(t.dag_id)}/dagRuns`, {
      method: "POST", body: JSON.stringify({ logical_date: null, conf: t.conf }),
    });
    if (dag.is_paused) run.pausedNote = ` The DAG ${t.dag_id} is paused: the run waits until it is unpaused.`;
  } catch (err) {
    const why = err.status === 404
      ? `The DAG ${t.dag_id} was not found in Airflow: it is not deployed here (or not parsed yet), so ${e.label} cannot be synced from this page.`
      : err.status === 403 ? `Your Airflow role may not trigger ${t.dag_id}.`
      : `Airflow refused to start ${t.dag_id}: ${err.message}`;
    flash(box, why, "bad");
    return;
  }
  pollRun(e, t.dag_id, run.dag_run_id, run.pausedNote || "");
}

function runLink(dagId, runId) {
  return h("a", { href: `/dags/${encodeURIComponent(dagId)}/runs/${encodeURIComponent(runId)}`, target: "_top", id: "run-link" }, runId);
}

async function pollRun(e, dagId, runId, note) {
  const box = $("#run-status");
  clearTimeout(state.timer);
  let run;
  try {
    run = await api(`/api/v2/dags/${encodeURIComponent(dagId)}/dagRuns/${encodeURIComponent(runId)}`);
  } catch (err) { flash(box, `Cannot read run ${runId}: ${err.message}`, "bad"); return; }
  const done = ["success", "failed"].includes(run.state);
  if (done) {  /* the figures first, so the finished state is shown with them */
    await loadSummary();
    if (state.view) await loadRecords();
  }
  box.className = "notice " + (run.state === "failed" ? "bad" : done ? "ok" : "");
  box.replaceChildren(`Sync ${e.label}: ${dagId} run `, runLink(dagId, runId), " is ", badge(run.state), note || "");
  box.setAttribute("data-state", run.state);
  if (done) {
    if (run.state === "failed") box.append(" Some records failed or a task failed: the run's QuickBooks tab and View → Failed say why.");
    return;
  }
  state.timer = setTimeout(() => pollRun(e, dagId, runId, note), 2000);
}

/* ---- records ----------------------------------------------------------------------------- */
async function openView(key, status) {
  state.view = key; state.page = 1;
  $("#records-status").value = status;
  $("#records-search").value = "";
  show($("#records"), true);
  await loadRecords();
  $("#records").scrollIntoView({ behavior: "smooth" });
}

let recordsAsked = 0;
async function loadRecords() {
  const asked = ++recordsAsked;  /* only the latest question's answer is shown */
  const q = new URLSearchParams({ status: $("#records-status").value, search: $("#records-search").value,
    page: state.page, page_size: state.pageSize });
  const data = await api(`api/records/${state.view}?${q}`);
  if (asked !== recordsAsked) return;
  $("#records-title").textContent = data.label;
  const pages = Math.max(1, Math.ceil(data.total / data.page_size));
  $("#records-total").textContent = `${data.total} record(s)`;
  $("#page-no").textContent = `page ${data.page} of ${pages}`;
  $("#prev").disabled = data.page <= 1;
  $("#next").disabled = data.page >= pages;
  const rows = data.records.map((r) => h("tr", { "data-id": r.id },
    h("td", { class: "muted" }, String(r.id)), h("td", {}, r.name || ""),
    h("td", {}, badge(r.quickbooks_status), " ", h("span", { class: "muted" }, r.qb_status || "")),
    h("td", { class: "mono" }, r.qb_id || ""), h("td", {}, when(r.qb_synced_at)),
    h("td", { class: r.error ? "bad" : "" }, r.error || ""),
    h("td", {}, h("button", { class: "btn", onclick: (ev) => showOverwrites(ev, r) }, "History"))));
  $("#records-table tbody").replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No records."))]));
}

async function showOverwrites(ev, r) {
  const tr = ev.target.closest("tr");
  if (tr.nextSibling && tr.nextSibling.classList && tr.nextSibling.classList.contains("history")) { tr.nextSibling.remove(); return; }
  const data = await api(`api/records/${state.view}/${r.id}/overwrites`);
  const items = data.overwrites.map((o) => h("li", {},
    `${when(o.at)}: ${o.field}: ${o.overwritten_side === "qbo" ? "QuickBooks had" : "the CMMS had"} `,
    h("b", {}, text(o.lost)), `, replaced by ${o.overwritten_side === "qbo" ? "the CMMS value" : "QuickBooks' value"} `,
    h("b", {}, text(o.kept)), ` (last agreed: ${text(o.base_value)})`));
  const body = items.length ? h("ul", {}, items) : h("span", { class: "muted" }, "No value of this record was overwritten by the sync.");
  tr.after(h("tr", { class: "history" }, h("td", { colspan: 7 }, h("b", {}, "Overwritten values: "), body)));
}

/* ---- conflicts, payments --------------------------------------------------------------- */
async function loadConflicts() {
  const data = await api("api/conflicts");
  const count = $("#conflict-count");
  count.textContent = String(data.conflicts.length);
  show(count, data.conflicts.length > 0);
  const rows = data.conflicts.map((c) => h("tr", { "data-conflict": c.id },
    h("td", {}, `${c.entity} · ${c.record || "#" + c.cmms_id}`), h("td", { class: "mono" }, c.field),
    h("td", { class: "muted" }, text(c.base)), h("td", {}, text(c.cmms)), h("td", {}, text(c.qbo)),
    h("td", {}, h("button", { class: "btn", "data-winner": "cmms", onclick: () => resolve(c, "cmms") }, "CMMS"), " ",
      h("button", { class: "btn", "data-winner": "qbo", onclick: () => resolve(c, "qbo") }, "QuickBooks"))));
  $("#conflicts tbody").replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No open conflicts."))]));
}

async function resolve(c, winner) {
  try {
    await api(`api/conflicts/${c.id}`, { method: "POST", body: JSON.stringify({ winner }) });
    flash($("#flash"), winner === "cmms"
      ? `${c.field} of ${c.record}: the CMMS value is kept; the next run sends it to QuickBooks.`
      : `${c.field} of ${c.record}: QuickBooks' value is kept and written to the CMMS.`, "ok");
  } catch (err) { flash($("#flash"), err.message, "bad"); }
  show($("#flash"), true);
  await Promise.all([loadConflicts(), loadSummary()]);
}

async function loadPayments() {
  const data = await api("api/payments");
  const rows = data.payments.map((p) => h("tr", {},
    h("td", {}, p.date || ""), h("td", {}, p.customer || ""), h("td", {}, p.method || ""), h("td", {}, p.reference || ""),
    h("td", { class: "num" }, p.amount || ""),
    h("td", {}, p.invoices.map((i) => `${i.invoice} (${i.amount})`).join(", ")),
    h("td", {}, badge(p.status)), h("td", { class: "mono" }, p.qb_id)));
  $("#payments tbody").replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 8, class: "muted" }, "No payments recorded yet."))]));
}

/* ---- settings ---------------------------------------------------------------------------- */
let connection = null;
async function loadSettings() {
  const data = await api("api/settings");
  const s = data.settings;
  $("#s-enabled").checked = s.enabled; $("#s-payments").checked = s.payment_sync_enabled;
  for (const [sel, value] of [["#s-debit", s.expense_debit_account_id], ["#s-credit", s.expense_credit_account_id]]) {
    const opts = [h("option", { value: "" }, "(not set)")].concat(data.accounts.map((a) =>
      h("option", { value: a.id, selected: a.id === value }, `${a.name}${a.account_type ? " · " + a.account_type : ""}`)));
    $(sel).replaceChildren(...opts);
  }
  await loadConnection();
}

async function loadConnection() {
  const ro = $("#conn-readonly");
  try {
    connection = await api(`/api/v2/connections/${CONFIG.conn_id}`);
  } catch (err) {
    connection = null;
    flash(ro, err.status === 404
      ? `The connection ${CONFIG.conn_id} is not stored in Airflow (it comes from an environment variable or a secrets backend), so it cannot be edited here. Test Connection still works.`
      : `Cannot read the connection: ${err.message}`, "warn");
    show(ro, true);
    for (const el of document.querySelectorAll("#conn-settings input, #conn-settings select, #save-connection")) el.disabled = true;
    return;
  }
  show(ro, false);
  const extra = connection.extra ? JSON.parse(connection.extra) : {};
  $("#c-env").value = extra.environment || "sandbox";
  $("#c-base").value = connection.host || "";
  $("#c-realm").value = extra.realm_id || "";
  $("#c-redirect").value = extra.redirect_uri || "";
  followEnvironment();
}

function followEnvironment() {
  $("#c-base").placeholder = CONFIG.base_urls[$("#c-env").value] + " (follows the environment)";
}

async function saveSettings() {
  const body = { enabled: $("#s-enabled").checked, payment_sync_enabled: $("#s-payments").checked,
    expense_debit_account_id: $("#s-debit").value || null, expense_credit_account_id: $("#s-credit").value || null };
  try {
    await api("api/settings", { method: "PUT", body: JSON.stringify(body) });
    flash($("#flash"), "Settings saved.", "ok");
  } catch (err) { flash($("#flash"), `Settings not saved: ${err.message}`, "bad"); }
  show($("#flash"), true);
  await loadSummary();
}

async function saveConnection() {
  const extra = connection.extra ? JSON.parse(connection.extra) : {};
  extra.environment = $("#c-env").value;
  extra.realm_id = $("#c-realm").value.trim();
  extra.redirect_uri = $("#c-redirect").value.trim();
  const body = { connection_id: connection.connection_id, conn_type: connection.conn_type,
    host: $("#c-base").value.trim() || null, extra: JSON.stringify(extra) };
  try {
    await api(`/api/v2/connections/${CONFIG.conn_id}?update_mask=host&update_mask=extra`, { method: "PATCH", body: JSON.stringify(body) });
    flash($("#flash"), `Connection ${CONFIG.conn_id} saved.`, "ok");
  } catch (err) {
    flash($("#flash"), err.status === 403 ? "Your Airflow role may not edit connections." : `Connection not saved: ${err.message}`, "bad");
  }
  show($("#flash"), true);
}

async function testConnection() {
  const box = $("#test-result");
  flash(box, "Testing…"); show(box, true);
  try {
    const r = await api("api/test", { method: "POST" });
    flash(box, r.message, r.ok ? "ok" : "bad");
  } catch (err) { flash(box, `Test Connection failed: ${err.message}`, "bad"); }
}

/* ---- wiring ------------------------------------------------------------------------------ */
const loaders = { entities: loadSummary, conflicts: loadConflicts, payments: loadPayments, settings: loadSettings };
function openTab(name) {
  for (const b of document.querySelectorAll(".tabs button")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
  for (const key of Object.keys(loaders)) show($("#tab-" + key), key === name);
  return loaders[name]().catch((err) => { flash($("#flash"), err.message, "bad"); show($("#flash"), true); });
}
for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => openTab(b.dataset.tab));
let searchTimer = null;
$("#records-search").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => { state.page = 1; loadRecords(); }, 250); });
$("#records-status").addEventListener("change", () => { state.page = 1; loadRecords(); });
$("#prev").addEventListener("click", () => { state.page -= 1; loadRecords(); });
$("#next").addEventListener("click", () => { state.page += 1; loadRecords(); });
$("#c-env").addEventListener("change", followEnvironment);
$("#save-settings").addEventListener("click", saveSettings);
$("#save-connection").addEventListener("click", saveConnection);
$("#test-connection").addEventListener("click", testConnection);
$("#copy-redirect").addEventListener("click", () => {
  const value = $("#c-redirect").value || $("#redirect-suggestion").textContent;
  if (navigator.clipboard) navigator.clipboard.writeText(value).catch(() => {});
});
openTab(new URLSearchParams(location.search).get("tab") || "entities");
loadConflicts().catch(() => {});
