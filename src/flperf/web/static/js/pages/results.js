// Results of one run: summary per model, per-scenario tables, charts, requests, fingerprint,
// configuration and exports. Without `?run=`, a list of runs to choose from.
import { api, fetchAllPages, hasRoute, seg } from "../api.js";
import { h, $, show, empty, failure, table, facts, tabs, poll } from "../dom.js";
import * as f from "../format.js";
import { catalogue, metricColumns, metricText, metricsOf } from "../metric_columns.js";
import { chartGrid, drawDistributions, drawLatency, drawResources, drawThroughput, drawTradeoff } from "../results_charts.js";
import { requestsSection } from "../requests_table.js";
import { aliasLookup, newestFirst, requestCount, runLink, runMachine, runModels, runStatus } from "../runs.js";
import { runLifecycleTable } from "../lifecycle.js";

const params = new URLSearchParams(window.location.search);
const runId = params.get("run");
const machine = params.get("machine");

async function pickRun() {
  try {
    const query = machine ? `?machine=${encodeURIComponent(machine)}` : "";
    const runs = newestFirst((await api.get(`/api/benchmarks/runs${query}`)).runs || []);
    if (!runs.length && machine) {
      show("results", empty(`No runs measured on ${machine}.`, "Runs appear here once a server on that machine measures one.",
        h("a", { class: "button", href: "/results", text: "All runs" })));
      return;
    }
    if (!runs.length) {
      show("results", empty("No results yet.", "Run a benchmark first; its results open here.",
        h("a", { class: "button primary", href: "/benchmarks", text: "Run a benchmark" })));
      return;
    }
    show("results", h("section", { class: "card" },
      h("div", { class: "card-head" }, h("h2", { text: machine ? `Runs measured on ${machine}` : "Pick a run" }),
        machine ? h("a", { href: "/results", text: "All machines" }) : null),
      table(runs, [
        { label: "Run", value: runLink },
        { label: "Suite", value: (r) => r.suite_name },
        { label: "Models", class: "clip", value: (r) => runModels(r).join(", ") },
        { label: "Machine", value: runMachine },
        { label: "Status", value: runStatus },
        { label: "Created", value: (r) => f.when(r.created_at) },
      ])));
  } catch (err) {
    show("results", failure(err, pickRun, "Could not load runs"));
  }
}

async function exportLinks(run) {
  const base = seg`/api/benchmarks/runs/${run.id}/export/`;
  const kinds = [];
  for (const kind of ["json", "csv", "html"]) {
    if (await hasRoute(`/api/benchmarks/runs/{id}/export/${kind}`)) kinds.push(kind);
  }
  show("exports",
    h("span", { class: "muted small", text: "Export" }),
    kinds.map((kind) => h("a", { class: "button small", href: base + kind,
      download: "", id: `export-${kind}`, text: kind.toUpperCase(),
      title: kind === "html" ? "A self-contained report with charts" : `All results as ${kind.toUpperCase()}` })),
    h("a", { class: "button small", href: `/compare?runs=${encodeURIComponent(run.id)}`, text: "Compare…" }));
}

function header(run) {
  const duration = run.started_at && run.completed_at ? f.duration(run.completed_at - run.started_at) : "–";
  return h("section", { class: "card run-head" },
    facts([
      ["Run", h("code", { text: run.id })],
      ["Status", runStatus(run)],
      ["Suite", run.suite_name],
      ["Models", runModels(run).join(", ")],
      ["Machine", runMachine(run)],
      ["Scenarios", (run.scenarios || []).join(", ")],
      ["Started", f.when(run.started_at)],
      ["Duration", duration],
      ["Requests", requestCount(run)],
    ]),
    ["queued", "running"].includes(run.status)
      ? h("p", { class: "notice" }, "This run is still going; results fill in as each model finishes. ",
        h("a", { href: `/benchmarks?run=${encodeURIComponent(run.id)}`, text: "Watch it live" }), ".")
      : null);
}

function summaryCards(catalog, summary, aliasOf) {
  const figures = metricsOf(catalog, "ui_card");
  return h("div", { class: "model-cards" }, summary.map((r) => h("article", { class: "model-card" },
    h("h3", { text: aliasOf(r.model_id) }),
    r.error ? h("p", { class: "error-text", text: r.error }) : null,
    h("div", { class: "kpis" }, figures.map((m) => kpi(m.label, metricText(m, r), m.description))),
    h("p", { class: "muted small", text:
      `${f.int(r.successful_iterations)} of ${f.int(r.requests_attempted)} requests ok · ` +
      `${f.int(r.output_tokens_total)} output tokens in ${f.num(r.window_s)} s` }))));
}

const kpi = (label, value, title) => h("div", { class: "kpi", title }, h("span", { class: "kpi-value", text: value }),
  h("span", { class: "kpi-label", text: label }));

function leadColumns(aliasOf) {
  return [
    { label: "Scenario", class: "lead", value: (r) => (r.scenario === "*" ? h("em", { text: "all scenarios" }) : r.scenario) },
    { label: "Model", class: "lead", value: (r) => h("strong", { text: aliasOf(r.model_id) }) },
  ];
}

function metricTable(columns, rows, aliasOf, note) {
  return h("div", {},
    note ? h("p", { class: "muted small", text: note }) : null,
    table(rows, [...leadColumns(aliasOf), ...columns],
      { rowClass: (r) => (r.error ? "row-bad" : r.scenario === "*" ? "row-total" : null) }));
}

function distributionTable(catalog, rows, aliasOf) {
  const lines = [];
  for (const r of rows) {
    for (const d of catalog.distributions) {
      if (r[d.field]) lines.push({ r, s: r[d.field], name: d.unit ? `${d.label} (${d.unit})` : d.label, title: d.description });
    }
  }
  const cols = ["n", "mean", "stdev", "min", "p50", "p90", "p95", "p99", "max"];
  return h("div", {},
    h("p", { class: "muted small", text: "n, mean, standard deviation and percentiles of every per-request figure (successful requests)." }),
    table(lines, [
      ...leadColumns((id) => aliasOf(id)).map((c) => ({ ...c, value: (l) => c.value(l.r) })),
      { label: "Figure", class: "lead", value: (l) => h("span", { title: l.title, text: l.name }) },
      ...cols.map((c) => ({ label: c, num: true, value: (l) => (c === "n" ? f.int(l.s.n) : f.num(l.s[c])) })),
      { label: "", value: (l) => (l.s.small_sample ? h("span", { class: "muted small", title: `fewer than ${catalog.small_sample_below} samples`, text: "few samples" }) : "") },
    ], { dense: true }));
}

/** Results ordered by scenario (as run), then model; per-model summaries last. */
function ordered(run, results, summary) {
  const sIndex = (s) => (run.scenarios || []).indexOf(s);
  const mIndex = (m) => (run.model_ids || []).indexOf(m);
  const sorted = [...results].sort((a, b) => sIndex(a.scenario) - sIndex(b.scenario) || mIndex(a.model_id) - mIndex(b.model_id));
  return [...sorted, ...[...summary].sort((a, b) => mIndex(a.model_id) - mIndex(b.model_id))];
}

function fingerprint(info) {
  if (!info) return empty("No fingerprint recorded.", "Runs record the machine when they start; this one never started.");
  const gpus = (info.gpus || []).map((g) => `${g.name}${g.memory_total_mb ? ` (${f.mb(g.memory_total_mb)})` : ""}${g.driver_version ? `, driver ${g.driver_version}` : ""}`);
  const pairs = [
    ["CPU", `${info.cpu_model || "model unavailable"} · ${info.cpu_cores_physical ?? "?"} cores / ${info.cpu_cores_logical ?? "?"} threads`],
    ["RAM", info.ram_total_gb ? `${f.num(info.ram_total_gb, 1)} GiB` : "unavailable"],
    ["GPU", gpus.length ? gpus.join("; ") : "none"],
    ["OS", `${info.os_name || "?"} ${info.os_release || ""} (${info.machine || "?"})`],
    ["Python", info.python_version || "–"],
    ["Device", info.device || "–"],
    ["Execution provider", info.execution_provider || "–"],
    ["Model variant", info.model_variant_id || "–"],
    ["Model files", f.mb(info.model_file_size_mb)],
  ];
  const { models, ...extra } = info.extra || {};
  for (const [id, m] of Object.entries(models || {})) {
    const parts = [m.model_variant_id, m.device, m.execution_provider].filter(Boolean);
    pairs.push([`Model ${m.alias || id}`, parts.join(" · ") || m.endpoint || "–"]);
  }
  for (const [name, version] of Object.entries(info.packages || {})) pairs.push([name, version || "not installed"]);
  for (const [key, value] of Object.entries(extra)) {
    pairs.push([key, typeof value === "object" ? JSON.stringify(value) : String(value)]);
  }
  return facts(pairs);
}

/** A run's load in words: "closed loop, concurrency 4" or "poisson rate 5 req/s, at most 8 in flight". */
function loadText(load) {
  if (!load) return "–";
  if (load.kind === "closed") return `closed loop, concurrency ${load.concurrency}`;
  let text = `${load.kind} rate ${load.rate} req/s`;
  if (load.kind === "poisson") text += ` (seed ${load.seed})`;
  if (load.max_concurrency) text += `, at most ${load.max_concurrency} in flight`;
  return text;
}

function configFacts(run) {
  const pairs = Object.entries(run.config || {}).filter(([k]) => k !== "concurrency").map(([k, v]) =>
    [k, k === "load" ? loadText(v) : v === null ? "default" : Array.isArray(v) ? v.join(", ") : String(v)]);
  pairs.push(["workload hash", h("code", { text: run.workload_hash || "–", title: "Same hash = same workload" })]);
  return facts(pairs);
}

async function logsSection(run) {
  const box = h("div", { class: "logs" }, h("p", { class: "muted", text: "Loading…" }));
  api.get(seg`/api/benchmarks/runs/${run.id}/logs` + "?limit=200").then((d) => {
    const logs = d.logs || [];
    show(box, logs.length ? h("ol", { class: "log-list" }, logs.map((l) => h("li", {},
      h("time", { text: f.when(l.created_at) }), h("span", { class: `level ${l.level}`, text: l.level }),
      h("span", { class: "msg", text: l.message })))) : empty("No log records.", null));
  }).catch((err) => show(box, failure(err, null, "Could not load the run log")));
  return h("details", { class: "card" }, h("summary", {}, h("h2", { class: "inline-h", text: "Run log" })), box);
}

async function showRun() {
  let detail;
  let catalog;
  try {
    [detail, catalog] = await Promise.all([api.get(seg`/api/benchmarks/runs/${runId}`), catalogue()]);
  } catch (err) {
    if (err.status === 404) {
      show("results", empty(`Run ${runId} does not exist.`, "It may have been deleted. Pick another run.",
        h("a", { class: "button", href: "/results", text: "All runs" })));
    } else {
      show("results", failure(err, showRun, "Could not load the run"));
    }
    return;
  }
  const { run, results = [], summary = [], lifecycle = [] } = detail;
  const aliasOf = aliasLookup(run);
  $("results-title").textContent = `Results · ${run.suite_name} · ${runModels(run).join(", ")}`;
  document.title = `Results ${run.id} · FLPerformance`;
  exportLinks(run);
  const scenarios = run.scenarios || [...new Set(results.map((r) => r.scenario))];
  const rows = ordered(run, results, summary);
  show("results",
    header(run),
    summary.length ? summaryCards(catalog, summary, aliasOf)
      : empty("No results yet.", run.status === "running" || run.status === "queued"
        ? "Results appear when the first model finishes its scenarios." : "This run produced no results; see the run log below."),
    lifecycle.length ? h("section", { class: "card", id: "lifecycle" },
      h("div", { class: "card-head" }, h("h2", { text: "Model lifecycle" }),
        h("span", { class: "muted small", text: "Cold TTFT only when the run loaded the model; n/a where the server does not tell (hover for why)." })),
      runLifecycleTable(lifecycle, aliasOf)) : null,
    h("section", { class: "card" }, h("div", { class: "card-head" }, h("h2", { text: "Charts" })), chartGrid()),
    rows.length ? h("section", { class: "card", id: "metrics" },
      h("div", { class: "card-head" }, h("h2", { text: "Per-scenario results" })),
      tabs([
        { label: "Latency and throughput", content: () => metricTable(metricColumns(catalog, "ui", "performance"), rows, aliasOf, `† tail percentile from fewer than ${catalog.small_sample_below} samples: treat with care.`) },
        { label: "Reliability", content: () => metricTable(metricColumns(catalog, "ui", "reliability"), rows, aliasOf) },
        { label: "Resources", content: () => metricTable(metricColumns(catalog, "ui", "resources"), rows, aliasOf, "Sampled in the background over each scenario; server = the model server's process tree (CPU in % of one core).") },
        { label: "Distributions", content: () => distributionTable(catalog, rows, aliasOf) },
      ], { label: "Result tables" })) : null,
    requestsSection(run, aliasOf, scenarios),
    h("div", { class: "grid-2" },
      h("section", { class: "card" }, h("div", { class: "card-head" }, h("h2", { text: "Machine and software" })), fingerprint(run.hardware_info)),
      h("section", { class: "card" }, h("div", { class: "card-head" }, h("h2", { text: "Configuration" })), configFacts(run))),
    await logsSection(run));

  drawThroughput(results, aliasOf);
  drawLatency(summary, aliasOf);
  drawTradeoff(results, aliasOf);
  try {
    const { items, total } = await fetchAllPages(seg`/api/benchmarks/runs/${run.id}/requests`, "requests",
      { params: { status: "ok" }, max: 20000 });
    drawDistributions(items, aliasOf, total);
  } catch (err) {
    show("chart-ttft", failure(err, null, "Could not load requests"));
    show("chart-itl", failure(err, null, "Could not load requests"));
  }
  try {
    const data = await api.get(seg`/api/benchmarks/runs/${run.id}/samples`);
    drawResources(data.samples || [], aliasOf);
  } catch (err) {
    show("chart-resources", failure(err, null, "Could not load resource samples"));
  }
  document.body.dataset.ready = "true";
  if (["queued", "running"].includes(run.status)) reloadWhenFinished(run.id);
}

/** While the run goes on, wait for it to end, then show its final results. */
function reloadWhenFinished(id) {
  const stop = poll(async () => {
    const status = await api.get(seg`/api/benchmarks/runs/${id}/status`);
    if (!["queued", "running"].includes(status.status)) {
      stop();
      showRun();
    }
  }, 3000);
}

if (runId) showRun();
else pickRun();
