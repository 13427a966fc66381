// Benchmarks: configure and start a run, follow it live (progress, ETA, TTFT and decode-speed
// sparklines from the per-request records), cancel it; list, delete and pick runs to compare.
import { api, seg } from "../api.js";
import { h, $, show, badge, empty, failure, table, toast, poll, confirmAction, busy } from "../dom.js";
import * as f from "../format.js";
import { axis, plot } from "../charts.js";
import { newestFirst, requestCount, runLink, runMachine, runModels, runStatus } from "../runs.js";

const ACTIVE = new Set(["queued", "running"]);
let suites = [];
let runs = [];
let live = null; // {id, stop, offset, ttft: [], genTps: [], index: []}
const selected = new Set();

// ---- form ------------------------------------------------------------------------------------

async function loadModels() {
  try {
    const { models } = await api.get("/api/models");
    if (!models.length) {
      show("model-picks", empty("No models to benchmark.", "Add one first (the demo model works offline).",
        h("a", { class: "button primary", href: "/models", text: "Add a model" })));
      return;
    }
    show("model-picks", models.map((m) => h("label", { class: "check" },
      h("input", { type: "checkbox", name: "model", value: m.id, checked: models.length === 1 }),
      h("span", { text: m.alias }), " ", badge(m.status),
      m.provider === "foundry" && m.status !== "running"
        ? h("span", { class: "muted small", text: " started for the run" }) : null)));
  } catch (err) {
    show("model-picks", failure(err, loadModels, "Could not load models"));
  }
}

function renderScenarios() {
  const suite = suites.find((s) => s.name === $("suite").value);
  $("suite-desc").textContent = suite ? suite.description || "" : "";
  show("scenario-picks", (suite ? suite.scenarios : []).map((s) => h("label", { class: "check",
    title: s.description || s.prompt || "" },
  h("input", { type: "checkbox", name: "scenario", value: s.name, checked: true }),
  h("span", { text: s.name }),
  s.max_tokens ? h("span", { class: "muted small", text: ` ≤${s.max_tokens} tok` }) : null)));
}

async function loadSuites() {
  try {
    suites = (await api.get("/api/benchmarks/suites")).suites || [];
    if (!suites.length) {
      show("scenario-picks", empty("No benchmark suites found.", "The built-in suite should always be there; check the server log."));
      return;
    }
    $("suite").replaceChildren(...suites.map((s) => h("option", { value: s.name,
      text: `${s.name} (${(s.scenarios || []).length} scenarios)` })));
    renderScenarios();
  } catch (err) {
    show("scenario-picks", failure(err, loadSuites, "Could not load suites"));
  }
}

function numberField(form, name) {
  const raw = form.elements[name].value.trim();
  return raw === "" ? null : Number(raw);
}

function formError(message) {
  const box = $("run-error");
  box.textContent = message;
  box.hidden = !message;
}

async function startRun(event) {
  event.preventDefault();
  const form = $("run-form");
  formError("");
  const modelIds = [...form.querySelectorAll("input[name=model]:checked")].map((i) => i.value);
  const scenarios = [...form.querySelectorAll("input[name=scenario]:checked")].map((i) => i.value);
  if (!modelIds.length) return formError("Pick at least one model.");
  if (!scenarios.length) return formError("Pick at least one scenario.");
  for (const input of form.querySelectorAll("input[type=number]")) {
    if (!input.checkValidity()) {
      input.focus();
      return formError(`${input.parentElement.firstChild.textContent.trim()}: ${input.validationMessage}`);
    }
  }
  const rate = numberField(form, "rate");
  const load = rate !== null && rate > 0
    ? { kind: form.elements.rate_mode.value, rate, max_concurrency: numberField(form, "max_concurrency") }
    : { kind: "closed", concurrency: numberField(form, "concurrency") };
  if (load.kind === "poisson") load.seed = numberField(form, "seed") ?? 0;
  const config = {
    iterations: numberField(form, "iterations"),
    load,
    warmup: numberField(form, "warmup") ?? 0,
    timeout: numberField(form, "timeout"),
    temperature: numberField(form, "temperature"), // 0 is a valid temperature
    max_tokens: numberField(form, "max_tokens"),
    trials: numberField(form, "trials") ?? 1,
    streaming: form.elements.streaming.checked,
    scenarios,
  };
  try {
    const reply = await busy($("run-start"), () => api.post("/api/benchmarks/run", {
      modelIds, suiteName: $("suite").value, config }));
    const id = reply.runId || reply.run_id || (reply.run && reply.run.id);
    toast(reply.message || "Benchmark started");
    await refreshRuns();
    const run = id ? runs.find((r) => r.id === id) : newestFirst(runs).find((r) => ACTIVE.has(r.status));
    if (run) follow(run.id);
  } catch (err) {
    formError(err.message);
  }
}

// ---- live progress ---------------------------------------------------------------------------

function follow(runId) {
  if (live && live.id === runId) return;
  if (live) live.stop();
  const url = new URL(window.location.href);
  url.searchParams.set("run", runId);
  history.replaceState(null, "", url);
  live = { id: runId, offset: 0, index: [], ttft: [], genTps: [], stop: () => {} };
  $("live-run").replaceChildren(runLink({ id: runId }));
  show("live-body",
    h("div", { class: "progress-row" },
      h("progress", { id: "live-progress", max: 1, value: 0 }),
      h("span", { id: "live-pct", class: "big-num", text: "0 %" })),
    h("dl", { class: "facts compact", id: "live-facts" }),
    h("div", { class: "sparks" },
      h("figure", { class: "spark" }, h("figcaption", { text: "TTFT per request (ms)" }),
        h("div", { id: "spark-ttft", class: "plot" })),
      h("figure", { class: "spark" }, h("figcaption", { text: "Decode speed per request (tokens/s)" }),
        h("div", { id: "spark-tps", class: "plot" }))),
    h("div", { class: "form-actions", id: "live-actions" },
      h("button", { class: "button danger", type: "button", id: "live-cancel", text: "Cancel run",
        on: { click: (e) => busy(e.currentTarget, () => cancel(runId)) } })));
  const current = live;
  current.stop = poll(() => tick(current), 1000, (err) => {
    $("live-facts").replaceChildren(h("dt", { text: "Status" }), h("dd", { class: "error-text", text: err.message }));
  });
}

async function tick(state) {
  const st = await api.get(seg`/api/benchmarks/runs/${state.id}/status`);
  if (live !== state) return;
  const p = st.progress_detail || { done: 0, total: 0 };
  const pct = typeof st.progress === "number" ? st.progress : 0;
  $("live-progress").value = pct / 100;
  $("live-pct").textContent = `${f.num(pct, 0)} %`;
  const cur = st.current;
  const rows = [
    ["Status", badge(st.status)],
    ["Requests", `${f.int(p.done)} / ${f.int(p.total)}`],
    ["Succeeded", p.ok ?? "–"],
    ["Failed", p.failed ?? "–"],
    ["Model", cur ? cur.model_alias || cur.model_id || "–" : "–"],
    ["Scenario", cur ? cur.scenario || "–" : "–"],
    ["ETA", ACTIVE.has(st.status) ? f.duration(st.eta_s) : "done"],
  ];
  if (st.error) rows.push(["Error", h("span", { class: "error-text", text: st.error })]);
  $("live-facts").replaceChildren(...rows.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", {}, v)]));
  await pullRequests(state);
  if (!ACTIVE.has(st.status)) {
    state.stop();
    show("live-actions",
      h("a", { class: "button primary", href: `/results?run=${encodeURIComponent(state.id)}`, text: "Open results" }),
      h("a", { class: "button", href: `/compare?runs=${encodeURIComponent(state.id)}`, text: "Compare with…" }));
    await refreshRuns();
  }
}

async function pullRequests(state) {
  let more = true;
  while (more) {
    const page = await api.get(seg`/api/benchmarks/runs/${state.id}/requests` +
      `?offset=${state.offset}&limit=500`);
    const batch = page.requests || [];
    for (const r of batch) {
      if (r.warmup || r.status !== "ok") continue;
      state.index.push(r.index);
      state.ttft.push(r.ttft_ms);
      state.genTps.push(r.gen_tps);
    }
    state.offset += batch.length;
    more = batch.length === 500;
  }
  if (live !== state || !state.index.length) return;
  const spark = { height: 120, margin: { t: 6, r: 8, b: 24, l: 44 }, showlegend: false,
    xaxis: axis("", { title: null }), };
  plot($("spark-ttft"), [{ x: state.index, y: state.ttft, type: "scatter", mode: "lines+markers",
    marker: { size: 4 }, name: "TTFT", hovertemplate: "request %{x}: %{y:.1f} ms<extra></extra>" }],
  { ...spark, yaxis: axis("", { title: null, rangemode: "tozero" }) }, { height: 120 });
  plot($("spark-tps"), [{ x: state.index, y: state.genTps, type: "scatter", mode: "lines+markers",
    marker: { size: 4 }, line: { color: "#e8590c" }, name: "decode",
    hovertemplate: "request %{x}: %{y:.1f} tok/s<extra></extra>" }],
  { ...spark, yaxis: axis("", { title: null, rangemode: "tozero" }) }, { height: 120 });
}

async function cancel(runId) {
  try {
    await api.post(seg`/api/benchmarks/runs/${runId}/cancel`);
    toast("Cancelling: requests in flight end, finished ones are kept");
  } catch (err) {
    toast(`Could not cancel: ${err.message}`, "error");
  }
}

// ---- runs ------------------------------------------------------------------------------------

async function removeRun(run) {
  if (!(await confirmAction(`Delete run ${run.id} and all its results and request records?`))) return;
  try {
    await api.del(seg`/api/benchmarks/runs/${run.id}`);
    selected.delete(run.id);
    toast("Run deleted");
  } catch (err) {
    toast(`Could not delete the run: ${err.message}`, "error");
  }
  await refreshRuns();
}

function renderRuns() {
  if (!runs.length) {
    show("runs", empty("No runs yet.", "Configure a run above and press Start benchmark."));
    return;
  }
  const compareButton = h("a", { class: "button", id: "compare-selected", text: `Compare selected (${selected.size})`,
    href: `/compare?runs=${[...selected].map(encodeURIComponent).join(",")}` });
  if (selected.size < 2) compareButton.setAttribute("aria-disabled", "true");
  show("runs", table(newestFirst(runs), [
    { label: "", value: (r) => h("input", { type: "checkbox", checked: selected.has(r.id),
      attrs: { "aria-label": `select run ${r.id}` },
      on: { change: (e) => { (e.target.checked ? selected.add(r.id) : selected.delete(r.id)); renderRuns(); } } }) },
    { label: "Run", value: runLink },
    { label: "Suite", value: (r) => r.suite_name },
    { label: "Models", class: "clip", value: (r) => runModels(r).join(", ") },
    { label: "Machine", value: runMachine },
    { label: "Scenarios", num: true, value: (r) => f.int((r.scenarios || []).length) },
    { label: "Requests", num: true, value: requestCount },
    { label: "Status", value: runStatus },
    { label: "Created", value: (r) => f.when(r.created_at) },
    { label: "", value: (r) => h("div", { class: "actions" },
      ACTIVE.has(r.status)
        ? h("button", { class: "button small", type: "button", text: "Watch", on: { click: () => follow(r.id) } })
        : h("a", { class: "button small", href: `/results?run=${encodeURIComponent(r.id)}`, text: "Results" }),
      ACTIVE.has(r.status) ? null : h("button", { class: "button small danger", type: "button", text: "Delete",
        on: { click: () => removeRun(r) } })) },
  ]), h("div", { class: "form-actions" }, compareButton));
}

let runsJson = "";

async function refreshRuns() {
  try {
    runs = (await api.get("/api/benchmarks/runs")).runs || [];
    const json = JSON.stringify(runs);
    if (json !== runsJson) renderRuns();
    runsJson = json;
  } catch (err) {
    runsJson = "";
    show("runs", failure(err, refreshRuns, "Could not load runs"));
  }
}

// ---- wiring ----------------------------------------------------------------------------------

$("suite").addEventListener("change", renderScenarios);
$("run-form").addEventListener("submit", startRun);
$("scen-all").addEventListener("click", () => document.querySelectorAll("input[name=scenario]").forEach((i) => { i.checked = true; }));
$("scen-none").addEventListener("click", () => document.querySelectorAll("input[name=scenario]").forEach((i) => { i.checked = false; }));

await Promise.all([loadModels(), loadSuites(), refreshRuns()]);
const wanted = new URLSearchParams(window.location.search).get("run");
const active = wanted ? runs.find((r) => r.id === wanted) : newestFirst(runs).find((r) => ACTIVE.has(r.status));
if (active) follow(active.id);
// Keep the list current while runs are queued or running (a run may also be started elsewhere).
setInterval(() => { if (runs.some((r) => ACTIVE.has(r.status)) || live) refreshRuns(); }, 3000);
