// Models: configured models with their service state, the catalog, add / start / stop / load /
// test / health / logs / delete. Status refreshes by polling.
import { api, hasRoute, seg } from "../api.js";
import { h, $, show, badge, empty, failure, table, toast, poll, confirmAction, busy, facts } from "../dom.js";
import * as f from "../format.js";
import { mountCacheSection } from "../model_cache.js";
import { modelColumn, modelFacts } from "../lifecycle.js";

let models = [];
let lastModelsJson = "";
let catalog = [];
let groups = []; // [{alias, display_name, variant_ids, devices}] from the API, variants by device
let openDetail = null; // id of the model whose detail dialog is open

// ---- configured models -------------------------------------------------------------------

function actionButton(text, handler, { tone = "", title = null, disabled = false } = {}) {
  const button = h("button", { class: `button small ${tone}`, type: "button", text, title, disabled });
  button.addEventListener("click", () => busy(button, handler));
  return button;
}

async function act(model, verb) {
  try {
    const data = await api.post(seg`/api/models/${model.id}/` + verb);
    if (verb === "load") {
      if (data && data.state === "downloading") watchDownload(model);
      else toast(`${model.alias}: ${data && data.state === "ready" ? "model ready" : (data?.state || "loaded")}`);
    } else {
      toast(`${model.alias}: ${verb === "start" ? "started" : "stopped"}`);
    }
  } catch (err) {
    toast(`${model.alias}: ${verb} failed: ${err.message}`, "error");
  }
  await refreshModels();
}

const downloads = new Map(); // model id -> {progress, state, error}

function watchDownload(model) {
  downloads.set(model.id, { state: "downloading", progress: 0 });
  const stop = poll(async () => {
    const state = await api.get(seg`/api/models/${model.id}/load`);
    downloads.set(model.id, state);
    renderModels(true);
    if (state.state !== "downloading") {
      stop();
      downloads.delete(model.id);
      toast(`${model.alias}: ${state.state === "ready" ? "downloaded" : `download ${state.state}`}`,
        state.state === "ready" ? "info" : "error");
      renderModels(true);
    }
  }, 1000, (err) => {
    stop();
    downloads.delete(model.id);
    toast(`${model.alias}: download status unavailable: ${err.message}`, "error");
  });
}

async function remove(model) {
  const ok = await confirmAction(
    `Delete the model "${model.alias}"? Its service is stopped. Benchmark results that used it are kept.`);
  if (!ok) return;
  try {
    await api.del(seg`/api/models/${model.id}`);
    toast(`${model.alias} deleted`);
  } catch (err) {
    toast(`Could not delete ${model.alias}: ${err.message}`, "error");
  }
  await refreshModels();
}

function statusCell(m) {
  const dl = downloads.get(m.id);
  return h("div", { class: "status-cell" },
    badge(m.status),
    dl ? h("span", { class: "inline small" }, h("progress", { max: 100, value: dl.progress || 0 }),
      `${f.num(dl.progress || 0, 0)} % downloaded`) : null,
    m.last_error && m.status === "error" ? h("span", { class: "error-text small clip", title: m.last_error,
      text: m.last_error }) : null);
}

function actionsCell(m) {
  const running = m.status === "running";
  const starting = m.status === "starting";
  return h("div", { class: "actions" },
    running
      ? actionButton("Stop", () => act(m, "stop"))
      : actionButton(starting ? "Starting…" : "Start", () => act(m, "start"),
        { tone: "primary", disabled: starting }),
    m.provider === "foundry"
      ? actionButton("Load", () => act(m, "load"), { title: "Download the model files if needed" })
      : null,
    actionButton("Test & logs", async () => openDetails(m)),
    actionButton("Delete", () => remove(m), { tone: "danger" }));
}

function renderModels(force = false) {
  const json = JSON.stringify(models);
  if (!force && json === lastModelsJson) return;
  lastModelsJson = json;
  if (!models.length) {
    show("configured", empty("No models configured yet.",
      "Add the demo model from the catalog below (it runs offline), pick any catalog model, or point to an OpenAI-compatible server you already run.",
      h("button", { class: "button primary", type: "button", text: "Add a model", on: { click: () => openAdd() } })));
    return;
  }
  show("configured", table(models, [
    { label: "Alias", value: (m) => h("strong", { text: m.alias }) },
    { label: "Model id", class: "clip mono", value: (m) => h("span", { title: m.model_id, text: m.model_id }) },
    { label: "Provider", value: (m) => m.provider },
    { label: "Status", value: statusCell },
    { label: "Endpoint", class: "clip mono", value: (m) => m.endpoint || "–" },
    { label: "Last seen", value: (m) => f.ago(m.last_heartbeat) },
    modelColumn(),
    { label: "Actions", value: actionsCell },
  ], { rowClass: (m) => `model-row status-${m.status}` }));
  document.querySelectorAll("#configured tbody tr").forEach((row, i) => {
    row.dataset.modelId = models[i].id;
  });
}

async function refreshModels() {
  const data = await api.get("/api/models");
  models = data.models || [];
  renderModels();
  if (openDetail) {
    const current = models.find((m) => m.id === openDetail);
    if (current) $("detail-status").replaceChildren(badge(current.status));
  }
}

// ---- catalog -------------------------------------------------------------------------------

const SOURCE_LABEL = { demo: "demo (offline)", local: "local", public: "catalog" };

function deviceBadge(device) {
  if (!device) return "–";
  return h("span", { class: `badge device ${device.toLowerCase()}`, text: device, title: `runs on the ${device}` });
}

/** The execution provider without its common suffix; the full name in the tooltip. */
function providerName(ep) {
  return ep ? h("span", { title: ep, text: ep.replace(/ExecutionProvider$/, "") }) : "–";
}

/** Filtered catalog rows in the API's groups: each model's variants together, by device. */
function groupedRows(rows) {
  const byId = new Map(rows.map((m) => [m.id, m]));
  const known = groups.length ? groups : catalog.map((m) => ({ alias: m.alias, variant_ids: [m.id], devices: [m.device] }));
  const out = [];
  for (const group of known) {
    const variants = group.variant_ids.map((id) => byId.get(id)).filter(Boolean);
    variants.forEach((model, i) => out.push({ model, group, first: i === 0 }));
  }
  return out;
}

function modelCell({ model, group, first }) {
  if (!first) return h("span", { class: "muted small variant-of", text: `↳ ${group.alias}` });
  const count = group.variant_ids.length;
  return h("span", { class: "inline" }, h("strong", { text: group.alias }),
    model.source === "demo" ? h("span", { class: "badge demo", text: "demo" }) : null,
    count > 1 ? h("span", { class: "muted small", text: `${count} variants: ${(group.devices || []).join(", ")}` }) : null);
}

function renderCatalog() {
  const query = $("catalog-filter").value.trim().toLowerCase();
  const rows = catalog.filter((m) => !query || [m.alias, m.id, m.device, m.execution_provider, m.source]
    .some((v) => String(v || "").toLowerCase().includes(query)));
  if (!catalog.length) {
    show("catalog", empty("The catalog is empty.",
      "The public Foundry catalog needs the internet; the built-in demo model should always be listed. Check the server log."));
    return;
  }
  if (!rows.length) {
    show("catalog", empty("No catalog model matches the filter.", "Clear the filter to see every model."));
    return;
  }
  const lines = groupedRows(rows);
  show("catalog", table(lines, [
    { label: "Model", value: modelCell },
    { label: "Variant id", class: "clip mono", value: ({ model: m }) => h("span", { title: m.description || m.id, text: m.id }) },
    { label: "Device", value: ({ model: m }) => deviceBadge(m.device) },
    { label: "Execution provider", value: ({ model: m }) => providerName(m.execution_provider) },
    { label: "Source", value: ({ model: m }) => SOURCE_LABEL[m.source] || m.source || "–" },
    { label: "Size", num: true, value: ({ model: m }) => f.mb(m.size_mb) },
    { label: "On disk", value: ({ model: m }) => (m.cached ? "yes" : "no") },
    { label: "", value: ({ model: m }) => h("button", { class: "button small", type: "button", text: "Add",
      on: { click: () => openAdd({ provider: "foundry", model_id: m.id, alias: variantAlias(m, lines) }) } }) },
  ], { dense: true, rowClass: (line) => (line.first ? "variant group-start" : "variant") }));
  document.querySelectorAll("#catalog tbody tr").forEach((row, i) => {
    row.dataset.modelId = lines[i].model.id;
    row.dataset.alias = lines[i].group.alias;
  });
  $("catalog-ids").replaceChildren(...catalog.map((m) => h("option", { value: m.id, label: `${m.alias} (${m.device || "?"})` })));
}

/** A suggested alias: the model's, plus the device when it has variants for several. */
function variantAlias(model, lines) {
  const line = lines.find((l) => l.model.id === model.id);
  const several = line && (line.group.devices || []).length > 1;
  return several && model.device ? `${model.alias}-${model.device.toLowerCase()}` : model.alias;
}

async function refreshCatalog() {
  try {
    const data = await api.get("/api/models/available");
    catalog = data.models || [];
    groups = data.groups || [];
    const state = data.public_catalog;
    const note = {
      fresh: "public catalog up to date",
      stale: `public catalog from ${f.duration(data.public_catalog_age_s)} ago`,
      loading: "fetching the public catalog…",
      unavailable: "public catalog unreachable: local and demo models only",
    }[state] || "";
    $("catalog-state").textContent = data.message || note;
    renderCatalog();
    if (state === "loading") setTimeout(refreshCatalog, 3000);
  } catch (err) {
    show("catalog", failure(err, refreshCatalog, "Could not load the catalog"));
  }
}

// ---- add dialog ------------------------------------------------------------------------------

function setProvider(provider) {
  const form = $("add-form");
  form.elements.provider.value = provider;
  for (const el of form.querySelectorAll("[data-for]")) el.hidden = el.dataset.for !== provider;
  form.elements.endpoint.required = provider === "openai";
}

function openAdd(prefill = {}) {
  const form = $("add-form");
  form.reset();
  $("add-error").hidden = true;
  setProvider(prefill.provider || "foundry");
  if (prefill.model_id) form.elements.model_id.value = prefill.model_id;
  if (prefill.alias) form.elements.alias.value = prefill.alias;
  $("add-dialog").showModal();
  (prefill.model_id ? form.elements.alias : form.elements.model_id).focus();
}

async function submitAdd(event) {
  event.preventDefault();
  const form = $("add-form");
  if (!form.reportValidity()) return;
  const provider = form.elements.provider.value;
  const body = {
    alias: form.elements.alias.value.trim(),
    model_id: form.elements.model_id.value.trim(),
    provider,
  };
  if (provider === "openai") {
    body.endpoint = form.elements.endpoint.value.trim();
    if (form.elements.pid.value) body.pid = Number(form.elements.pid.value);
  }
  try {
    await busy($("add-submit"), () => api.post("/api/models", body));
    $("add-dialog").close();
    toast(`${body.alias} added`);
    await refreshModels();
  } catch (err) {
    const box = $("add-error");
    box.textContent = err.message;
    box.hidden = false;
  }
}

// ---- detail dialog: health, one-prompt test, logs ------------------------------------------

async function openDetails(model) {
  openDetail = model.id;
  $("detail-h").textContent = model.alias;
  const healthBox = h("div", { id: "detail-health" }, h("p", { class: "muted", text: "Checking health…" }));
  const logsBox = h("div", { id: "detail-logs", class: "logs" }, h("p", { class: "muted", text: "Loading logs…" }));
  const prompt = h("textarea", { id: "test-prompt", rows: 3, maxLength: 4000,
    value: "Say hello in one short sentence." });
  const reply = h("div", { id: "test-reply", class: "reply", attrs: { "aria-live": "polite" } });
  const send = h("button", { class: "button primary", type: "submit", text: "Send" });
  const testForm = h("form", { class: "form", on: { submit: (e) => {
    e.preventDefault();
    busy(send, () => runTest(model, prompt.value, reply));
  } } }, h("label", {}, "Prompt", prompt), h("div", { class: "form-actions" }, send));
  show("detail-body",
    facts([
      ["Status", h("span", { id: "detail-status" }, badge(model.status))],
      ["Model id", h("code", { text: model.model_id })],
      ["Provider", model.provider],
      ["Endpoint", model.endpoint || "–"],
      ["Added", f.when(model.created_at)],
    ]),
    h("h3", { text: "Lifecycle" }),
    h("div", { id: "detail-lifecycle" }, facts(modelFacts(model.lifecycle))),
    h("h3", { text: "Health" }), healthBox,
    h("button", { class: "button small", type: "button", text: "Check again",
      on: { click: () => loadHealth(model) } }),
    h("h3", { text: "One-prompt test" }),
    h("p", { class: "muted small", text: "Sends one chat request to the running model and shows the reply with its timing." }),
    testForm, reply,
    h("div", { class: "card-head" }, h("h3", { text: "Logs" }),
      h("button", { class: "button small", type: "button", text: "Refresh", on: { click: () => loadLogs(model) } })),
    logsBox);
  $("detail-dialog").showModal();
  loadHealth(model);
  loadLogs(model);
}

async function loadHealth(model) {
  try {
    const hl = await api.get(seg`/api/models/${model.id}/health`);
    show("detail-health", facts([
      ["Healthy", badge(hl.healthy ? "ok" : "error", hl.healthy ? "healthy" : "not healthy")],
      ["Service", badge(hl.status)],
      ["Endpoint", hl.endpoint || "–"],
      ["Answered in", f.ms(hl.latency_ms)],
      ["Detail", hl.detail || "–"],
      ["Checked", f.when(hl.lastCheck)],
    ]));
  } catch (err) {
    show("detail-health", failure(err, () => loadHealth(model), "Health check failed"));
  }
}

async function loadLogs(model) {
  try {
    const data = await api.get(seg`/api/models/${model.id}/logs` + "?limit=100");
    const logs = data.logs || [];
    if (!logs.length) {
      show("detail-logs", empty("No log records yet.", "Start the model to see its service log."));
      return;
    }
    show("detail-logs", h("ol", { class: "log-list" }, logs.map((l) => h("li", { class: `log ${l.level}` },
      h("time", { text: f.when(l.created_at) }), h("span", { class: `level ${l.level}`, text: l.level }),
      h("span", { class: "msg", text: l.message })))));
  } catch (err) {
    show("detail-logs", failure(err, () => loadLogs(model), "Could not load logs"));
  }
}

async function runTest(model, prompt, target) {
  if (!(await hasRoute("/api/models/{id}/test", "post"))) {
    show(target, h("p", { class: "notice", text: "This server has no one-prompt test route (POST /api/models/{id}/test). Run a one-scenario benchmark with 1 iteration instead." }));
    return;
  }
  show(target, h("p", { class: "muted", text: "Waiting for the reply…" }));
  try {
    const r = await api.post(seg`/api/models/${model.id}/test`, { prompt });
    show(target,
      h("pre", { class: "reply-text", text: r.reply ?? r.text ?? "" }),
      facts([
        ["Time to first token", f.ms(r.ttft_ms)],
        ["Total time", f.ms(r.e2e_ms ?? r.latency_ms)],
        ["Output tokens", f.int(r.output_tokens)],
        ["Decode speed", f.tps(r.gen_tps ?? r.tps)],
      ]));
  } catch (err) {
    show(target, failure(err, null, "The test request failed"));
  }
}

// ---- wiring ----------------------------------------------------------------------------------

$("add-open").addEventListener("click", () => openAdd());
$("add-cancel").addEventListener("click", () => $("add-dialog").close());
$("add-form").addEventListener("submit", submitAdd);
for (const radio of $("add-form").elements.provider) radio.addEventListener("change", () => setProvider(radio.value));
$("detail-close").addEventListener("click", () => $("detail-dialog").close());
$("detail-dialog").addEventListener("close", () => { openDetail = null; });
$("catalog-filter").addEventListener("input", renderCatalog);

poll(refreshModels, 3000, (err) => {
  lastModelsJson = "";
  show("configured", failure(err, refreshModels, "Could not load models"));
});
refreshCatalog();
mountCacheSection({ onSwitched: refreshCatalog });
