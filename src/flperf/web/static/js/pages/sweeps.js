// Sweeps: start one (a model at increasing load), follow it point by point, read its knee and
// capacity under SLO off the throughput curves, and draw the Pareto front across sweeps. Every
// figure comes from /api/benchmarks/sweeps; this page only lays it out.
import { api, seg } from "../api.js";
import { h, $, show, badge, empty, failure, table, toast, poll, confirmAction, busy, facts } from "../dom.js";
import * as f from "../format.js";
import { axis, chartBox, label, plot, PALETTE } from "../charts.js";

const ACTIVE = new Set(["queued", "running"]);
const AXIS_TITLE = { concurrency: "Concurrency (requests in flight)", rate: "Request rate (req/s)" };
let sweeps = [];
let suites = [];
let following = null; // {id, stop}
const picked = new Set();
let pickedDefault = false; // the newest sweeps are drawn until the user picks

// ---- form ------------------------------------------------------------------------------------

async function loadModels() {
  try {
    const { models } = await api.get("/api/models");
    if (!models.length) {
      show("model-picks", empty("No models to sweep.", "Add one first (the demo model works offline).",
        h("a", { class: "button primary", href: "/models", text: "Add a model" })));
      return;
    }
    show("model-picks", models.map((m) => h("label", { class: "check" },
      h("input", { type: "checkbox", name: "model", value: m.id, checked: models.length === 1 }),
      h("span", { text: m.alias }), " ", badge(m.status))));
  } catch (err) {
    show("model-picks", failure(err, loadModels, "Could not load models"));
  }
}

function renderScenarios() {
  const suite = suites.find((s) => s.name === $("suite").value);
  show("scenario-picks", (suite ? suite.scenarios : []).map((s, i) => h("label", { class: "check",
    title: s.description || s.prompt || "" },
  h("input", { type: "checkbox", name: "scenario", value: s.name, checked: i === 0 }),
  h("span", { text: s.name }))));
}

async function loadSuites() {
  try {
    suites = (await api.get("/api/benchmarks/suites")).suites || [];
    $("suite").replaceChildren(...suites.map((s) => h("option", { value: s.name,
      text: `${s.name} (${(s.scenarios || []).length} scenarios)` })));
    renderScenarios();
  } catch (err) {
    show("scenario-picks", failure(err, loadSuites, "Could not load suites"));
  }
}

/** Show the fields of the chosen search and axis only. */
function syncFields() {
  const form = $("sweep-form");
  const mode = form.elements.mode.value;
  const rate = form.elements.axis.value === "rate";
  for (const el of form.querySelectorAll("[data-mode]")) {
    const want = el.dataset.mode;
    el.hidden = !(want === mode || (want === "series" && mode !== "list"));
  }
  for (const el of form.querySelectorAll("[data-axis]")) el.hidden = !(rate && el.dataset.axis === "rate");
}

function numberField(form, name) {
  const raw = form.elements[name].value.trim();
  return raw === "" ? null : Number(raw);
}

function formError(message) {
  const box = $("sweep-error");
  box.textContent = message;
  box.hidden = !message;
}

async function startSweep(event) {
  event.preventDefault();
  const form = $("sweep-form");
  formError("");
  const modelIds = [...form.querySelectorAll("input[name=model]:checked")].map((i) => i.value);
  const scenarios = [...form.querySelectorAll("input[name=scenario]:checked")].map((i) => i.value);
  if (!modelIds.length) return formError("Pick at least one model.");
  if (!scenarios.length) return formError("Pick at least one scenario.");
  const axisName = form.elements.axis.value;
  const mode = form.elements.mode.value;
  const sweep = {
    axis: axisName,
    mode,
    min_gain_pct: numberField(form, "min_gain_pct") ?? 0,
    max_error_rate: numberField(form, "max_error_rate") ?? 0,
    knee_efficiency: numberField(form, "knee_efficiency"),
    scale_iterations: form.elements.scale_iterations.checked,
  };
  if (mode === "list") {
    sweep.loads = form.elements.loads.value.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  } else {
    Object.assign(sweep, { start: numberField(form, "start"), factor: numberField(form, "factor"),
      max: numberField(form, "max") });
    if (mode === "auto") sweep.resolution = numberField(form, "resolution");
  }
  const config = {
    iterations: numberField(form, "iterations"),
    warmup: numberField(form, "warmup") ?? 0,
    max_tokens: numberField(form, "max_tokens"),
    temperature: numberField(form, "temperature"),
    timeout: numberField(form, "timeout"),
    scenarios,
    slos: form.elements.slos.value.split(",").map((s) => s.trim()).filter(Boolean),
  };
  // A rate sweep's arrivals come from the base load; each point sets its own rate.
  if (axisName === "rate") config.load = { kind: form.elements.rate_mode.value, rate: 1 };
  try {
    const reply = await busy($("sweep-start"), () => api.post("/api/benchmarks/sweeps", {
      modelIds, suiteName: $("suite").value, config, sweep }));
    toast(reply.message || "Sweep started");
    await refreshSweeps();
    follow(reply.sweepId);
  } catch (err) {
    formError(err.message);
  }
}

// ---- one sweep -------------------------------------------------------------------------------

const loadText = (doc, load) => (doc.sweep.settings.axis === "rate" ? `${f.num(load)} req/s` : `${f.int(load)} in flight`);

function verdict(p) {
  return p.passed ? badge("ok", "met") : h("span", { class: "inline" }, badge("error", "missed"),
    h("span", { class: "muted small", text: p.failures.join("; ") }));
}

function pointsTable(doc, model) {
  const a = model.analysis;
  return table(a.points, [
    { label: doc.sweep.settings.axis, num: true, value: (p) => h("span", { class: "inline" }, f.num(p.load),
      p.load === a.knee ? badge("queued", "knee") : null,
      p.load === a.capacity ? badge("ok", "capacity") : null) },
    { label: "Throughput", num: true, value: (p) => f.tps(p.tps) },
    { label: "Requests/s", num: true, value: (p) => f.rps(p.request_throughput) },
    { label: "TTFT p95", num: true, value: (p) => f.ms(p.ttft_p95_ms) },
    { label: "E2E p95", num: true, value: (p) => f.ms(p.e2e_p95_ms) },
    { label: "Errors", num: true, value: (p) => f.pct(p.error_rate) },
    { label: "Gain", num: true, value: (p) => f.signedPct(p.gain_pct) },
    { label: "Efficiency", num: true, title: "Throughput gain over load gain from the previous point",
      value: (p) => f.num(p.efficiency, 2) },
    { label: "Objectives", value: verdict },
    { label: "Run", value: (p) => (p.run_id ? h("a", { href: `/results?run=${encodeURIComponent(p.run_id)}`,
      text: f.shortId(p.run_id), title: p.run_id }) : "–") },
  ], { rowClass: (p) => (p.passed ? null : "row-bad"), dense: true });
}

function findings(doc, model) {
  const a = model.analysis;
  const knee = a.knee === null ? "not reached (throughput still grew at every step)"
    : `${loadText(doc, a.knee)} · ${f.tps(a.knee_tps)}`;
  let capacity = "none: the lowest load already missed an objective";
  if (a.capacity !== null) {
    capacity = a.capacity_bounded ? loadText(doc, a.capacity)
      : `at least ${loadText(doc, a.capacity)} (no load missed)`;
  }
  return facts([
    ["Knee", knee],
    ["Capacity under SLO", capacity],
    ["Best throughput", f.tps(a.max_tps)],
    ["Stopped", model.stop_reason || (model.done ? "–" : "still measuring")],
  ]);
}

function marker(points, predicate, symbol, size, color, name) {
  const chosen = points.filter(predicate);
  return { chosen, trace: (x, y) => ({ type: "scatter", mode: "markers", name, showlegend: false,
    x: chosen.map(x), y: chosen.map(y), hoverinfo: "skip",
    marker: { symbol, size, color: "rgba(0,0,0,0)", line: { width: 2.5, color } } }) };
}

function drawCurves(doc) {
  const axisName = doc.sweep.settings.axis;
  const loadTraces = [];
  const tradeTraces = [];
  const annotations = { load: [], trade: [] };
  doc.models.forEach((model, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = model.analysis.points.filter((p) => f.isNum(p.tps));
    const name = label(model.model_alias || model.model_id);
    const text = pts.map((p) => `${axisName} ${f.num(p.load)}`);
    loadTraces.push({ type: "scatter", mode: "lines+markers", name, x: pts.map((p) => p.load), y: pts.map((p) => p.tps),
      line: { color }, marker: { size: 8, color, symbol: pts.map((p) => (p.passed ? "circle" : "x")) },
      hovertemplate: `${axisName} %{x}<br>%{y:.1f} tokens/s<extra>%{fullData.name}</extra>` });
    const timed = pts.filter((p) => f.isNum(p.ttft_p95_ms));
    tradeTraces.push({ type: "scatter", mode: "lines+markers+text", name, x: timed.map((p) => p.tps),
      y: timed.map((p) => p.ttft_p95_ms), text: timed.map((p) => f.num(p.load)), textposition: "top center",
      line: { color }, marker: { size: 8, color, symbol: timed.map((p) => (p.passed ? "circle" : "x")) },
      customdata: text, hovertemplate: "%{customdata}<br>%{x:.1f} tokens/s<br>TTFT p95 %{y:.1f} ms<extra>%{fullData.name}</extra>" });
    const a = model.analysis;
    const knee = marker(pts, (p) => p.load === a.knee, "star", 20, color, "knee");
    if (knee.chosen.length) {
      loadTraces.push(knee.trace((p) => p.load, (p) => p.tps));
      const timedKnee = knee.chosen.filter((p) => f.isNum(p.ttft_p95_ms));
      if (timedKnee.length) tradeTraces.push(marker(timedKnee, () => true, "star", 20, color, "knee").trace((p) => p.tps, (p) => p.ttft_p95_ms));
      annotations.load.push({ x: knee.chosen[0].load, y: knee.chosen[0].tps, text: `knee ${f.num(a.knee)}`,
        showarrow: true, arrowhead: 0, ay: -34, font: { color } });
      if (timedKnee.length) annotations.trade.push({ x: timedKnee[0].tps, y: timedKnee[0].ttft_p95_ms,
        text: `knee ${f.num(a.knee)}`, showarrow: true, arrowhead: 0, ay: -34, font: { color } });
    }
    const cap = marker(pts, (p) => p.load === a.capacity, "square", 16, color, "capacity under SLO");
    if (cap.chosen.length) loadTraces.push(cap.trace((p) => p.load, (p) => p.tps));
  });
  const logX = axisName === "concurrency" ? {} : { type: "log" };
  plot($("sweep-curve"), loadTraces, { xaxis: axis(AXIS_TITLE[axisName], logX),
    yaxis: axis("Throughput (tokens/s)", { rangemode: "tozero" }), annotations: annotations.load });
  plot($("sweep-tradeoff"), tradeTraces, { xaxis: axis("Throughput (tokens/s)", { rangemode: "tozero" }),
    yaxis: axis("TTFT p95 (ms)", { rangemode: "tozero" }), annotations: annotations.trade });
}

async function currentPoint(doc) {
  const runId = doc.sweep.current_run_id;
  if (!runId) return null;
  try {
    const st = await api.get(seg`/api/benchmarks/runs/${runId}/status`);
    const run = await api.get(seg`/api/benchmarks/runs/${runId}`);
    const load = run.run.config.load;
    const value = load.kind === "closed" ? load.concurrency : load.rate;
    const model = run.run.model_aliases[0] || run.run.model_ids[0];
    return h("div", { class: "progress-row" },
      h("progress", { max: 1, value: (st.progress || 0) / 100 }),
      h("span", { class: "small", text: `${model} at ${doc.sweep.settings.axis} ${f.num(value)}: ${st.status} ${f.num(st.progress, 0)} %` }));
  } catch (err) {
    return null;
  }
}

async function renderFollow(doc) {
  const s = doc.sweep;
  const settings = s.settings;
  const series = settings.mode === "list" ? settings.loads.join(", ")
    : `${settings.start} × ${settings.factor} up to ${settings.max}${settings.mode === "auto" ? `, then bisect to ${f.pct(settings.resolution * 100, 0)}` : ""}`;
  const now = ACTIVE.has(s.status) ? await currentPoint(doc) : null;
  show("follow-body",
    facts([
      ["Status", h("span", { class: "inline" }, badge(s.status), s.error ? h("span", { class: "muted small", text: s.error }) : null)],
      ["Models", s.model_aliases.map((a, i) => a || s.model_ids[i]).join(", ")],
      ["Axis", `${settings.axis} (${settings.mode})`],
      ["Loads", series],
      ["Objectives", s.config.slos.length ? s.config.slos.join(", ") : "none (errors only)"],
      ["Points", f.int(doc.models.reduce((n, m) => n + m.analysis.points.length, 0))],
    ]),
    now,
    h("div", { class: "form-actions" },
      h("a", { class: "button", href: `/api/benchmarks/sweeps/${encodeURIComponent(s.id)}/export/md`,
        text: "Markdown summary" }),
      ACTIVE.has(s.status)
        ? h("button", { class: "button danger", type: "button", id: "sweep-cancel", text: "Cancel sweep",
          on: { click: (e) => busy(e.currentTarget, () => cancel(s.id)) } })
        : h("button", { class: "button danger", type: "button", text: "Delete sweep",
          on: { click: () => remove(s.id) } })));
}

function renderDetail(doc) {
  const box = show("sweep-detail",
    h("section", { class: "card", attrs: { "aria-labelledby": "detail-h" } },
      h("div", { class: "card-head" }, h("h2", { id: "detail-h", text: "Throughput and latency" }),
        h("span", { class: "muted small", text: "Star: the knee, where more load stops buying throughput. Square: capacity under SLO. ×: a point that missed an objective." })),
      h("div", { class: "chart-grid" },
        chartBox("Throughput vs load", "tokens/s at each load; the knee marked", "sweep-curve"),
        chartBox("Latency vs throughput", "TTFT p95 against tokens/s, labelled with the load", "sweep-tradeoff"))),
    doc.models.map((model) => h("section", { class: "card sweep-model" },
      h("div", { class: "card-head" }, h("h2", { text: model.model_alias || model.model_id }),
        model.done ? null : badge("running", "measuring")),
      findings(doc, model),
      model.analysis.points.length ? pointsTable(doc, model)
        : h("p", { class: "muted", text: "No point completed yet." }))));
  drawCurves(doc);
  return box;
}

function follow(sweepId) {
  if (following && following.id === sweepId) return;
  if (following) following.stop();
  const url = new URL(window.location.href);
  url.searchParams.set("sweep", sweepId);
  history.replaceState(null, "", url);
  $("follow-id").replaceChildren(h("code", { text: sweepId }));
  const state = { id: sweepId, stop: () => {}, last: "" };
  following = state;
  state.stop = poll(async () => {
    const doc = await api.get(seg`/api/benchmarks/sweeps/${sweepId}`);
    if (following !== state) return;
    await renderFollow(doc);
    const json = JSON.stringify(doc.models);
    if (json !== state.last) renderDetail(doc);
    state.last = json;
    if (!ACTIVE.has(doc.sweep.status)) {
      state.stop();
      document.body.dataset.ready = "true";
      await refreshSweeps();
    }
  }, 1000, (err) => show("follow-body", failure(err, () => { following = null; follow(sweepId); }, "Could not load the sweep")));
}

async function cancel(sweepId) {
  try {
    await api.post(seg`/api/benchmarks/sweeps/${sweepId}/cancel`);
    toast("Sweep cancelled: the point being measured stops, measured points are kept");
  } catch (err) {
    toast(`Could not cancel: ${err.message}`, "error");
  }
}

async function remove(sweepId) {
  if (!(await confirmAction(`Delete sweep ${sweepId} and the runs of all its points?`))) return;
  try {
    await api.del(seg`/api/benchmarks/sweeps/${sweepId}`);
    toast("Sweep deleted");
    if (following && following.id === sweepId) {
      following.stop();
      following = null;
      show("follow-body", empty("No sweep selected.", "Start one, or pick one from the list below."));
      show("sweep-detail");
    }
    picked.delete(sweepId);
  } catch (err) {
    toast(`Could not delete the sweep: ${err.message}`, "error");
  }
  await refreshSweeps();
}

// ---- all sweeps and the Pareto front ---------------------------------------------------------

function summary(doc, pick) {
  return doc.models.map((m) => {
    const v = m.analysis[pick];
    return v === null ? "–" : f.num(v);
  }).join(" / ");
}

function renderSweeps() {
  if (!sweeps.length) {
    show("sweeps", empty("No sweeps yet.", "Start one above: pick a model, a range of loads and the objectives it must meet."));
    return;
  }
  show("sweeps", table(sweeps, [
    { label: "", value: (d) => h("input", { type: "checkbox", checked: picked.has(d.sweep.id),
      attrs: { "aria-label": `draw sweep ${d.sweep.id} on the Pareto chart` },
      on: { change: (e) => { (e.target.checked ? picked.add(d.sweep.id) : picked.delete(d.sweep.id)); drawPareto(); } } }) },
    { label: "Sweep", value: (d) => h("button", { class: "link", type: "button", text: f.shortId(d.sweep.id),
      title: d.sweep.id, on: { click: () => follow(d.sweep.id) } }) },
    { label: "Models", class: "clip", value: (d) => d.sweep.model_aliases.map((a, i) => a || d.sweep.model_ids[i]).join(", ") },
    { label: "Axis", value: (d) => `${d.sweep.settings.axis} (${d.sweep.settings.mode})` },
    { label: "Points", num: true, value: (d) => f.int(d.models.reduce((n, m) => n + m.analysis.points.length, 0)) },
    { label: "Knee", num: true, value: (d) => summary(d, "knee") },
    { label: "Capacity", num: true, title: "Capacity under SLO", value: (d) => summary(d, "capacity") },
    { label: "Status", value: (d) => badge(d.sweep.status) },
    { label: "Created", value: (d) => f.when(d.sweep.created_at) },
  ]));
}

async function refreshSweeps() {
  try {
    sweeps = (await api.get("/api/benchmarks/sweeps")).sweeps || [];
    if (!pickedDefault) sweeps.slice(0, 3).forEach((d) => picked.add(d.sweep.id));
    pickedDefault = sweeps.length > 0;
    renderSweeps();
    await drawPareto();
  } catch (err) {
    show("sweeps", failure(err, refreshSweeps, "Could not load sweeps"));
  }
}

async function drawPareto() {
  const ids = [...picked].filter((id) => sweeps.some((d) => d.sweep.id === id));
  if (!ids.length) {
    show("pareto", empty("Nothing to draw.", "Select one or more sweeps in the list above."));
    return;
  }
  let points;
  try {
    points = (await api.get(`/api/benchmarks/sweeps/pareto?sweeps=${ids.map(encodeURIComponent).join(",")}`)).points;
  } catch (err) {
    show("pareto", failure(err, drawPareto, "Could not load the Pareto front"));
    return;
  }
  const usable = points.filter((p) => f.isNum(p.tps) && f.isNum(p.ttft_p95_ms));
  if (!usable.length) {
    show("pareto", empty("No point with both throughput and TTFT yet.", "Points appear as the sweeps measure them (TTFT needs streaming)."));
    return;
  }
  show("pareto", h("div", { class: "plot", id: "pareto-chart", attrs: { "data-chart": "pareto-chart" } }));
  const groups = new Map();
  for (const p of usable) {
    const key = `${p.sweep_id}/${p.model_id}`;
    if (!groups.has(key)) groups.set(key, { name: `${p.model_alias || p.model_id} · ${f.shortId(p.sweep_id)}`, pts: [] });
    groups.get(key).pts.push(p);
  }
  const traces = [...groups.values()].map((g) => ({ type: "scatter", mode: "markers", name: label(g.name),
    x: g.pts.map((p) => p.ttft_p95_ms), y: g.pts.map((p) => p.tps),
    customdata: g.pts.map((p) => `${p.axis} ${f.num(p.load)}`),
    marker: { size: g.pts.map((p) => (p.optimal ? 13 : 8)), symbol: g.pts.map((p) => (p.passed ? "circle" : "x")) },
    hovertemplate: "%{customdata}<br>TTFT p95 %{x:.1f} ms<br>%{y:.1f} tokens/s<extra>%{fullData.name}</extra>" }));
  const front = usable.filter((p) => p.optimal).sort((a, b) => a.ttft_p95_ms - b.ttft_p95_ms);
  traces.push({ type: "scatter", mode: "lines", name: "Pareto front", x: front.map((p) => p.ttft_p95_ms),
    y: front.map((p) => p.tps), line: { shape: "hv", dash: "dot", width: 2, color: "#868e96" }, hoverinfo: "skip" });
  plot($("pareto-chart"), traces, { xaxis: axis("TTFT p95 (ms), lower is better", { rangemode: "tozero" }),
    yaxis: axis("Throughput (tokens/s), higher is better", { rangemode: "tozero" }) }, { height: 380 });
}

// ---- wiring ----------------------------------------------------------------------------------

$("suite").addEventListener("change", renderScenarios);
$("sweep-form").addEventListener("submit", startSweep);
$("sweep-form").elements.mode.addEventListener("change", syncFields);
$("sweep-form").elements.axis.addEventListener("change", syncFields);
syncFields();

await Promise.all([loadModels(), loadSuites(), refreshSweeps()]);
const wanted = new URLSearchParams(window.location.search).get("sweep");
const active = wanted || (sweeps.find((d) => ACTIVE.has(d.sweep.status)) || sweeps[0] || { sweep: {} }).sweep.id;
if (active) follow(active);
else document.body.dataset.ready = "true";
setInterval(() => { if (sweeps.some((d) => ACTIVE.has(d.sweep.status))) refreshSweeps(); }, 3000);
