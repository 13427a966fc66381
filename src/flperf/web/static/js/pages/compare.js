// Compare: two or more runs (or the models of one run) side by side on the same scenarios, with
// each difference against the baseline and whether it is larger than the noise (from the API).
import { api } from "../api.js";
import { h, $, show, badge, empty, failure, table } from "../dom.js";
import * as f from "../format.js";
import { axis, categoryAxis, chartBox, label, plot } from "../charts.js";
import { catalogue, formatter, metricText, metricsOf, withN } from "../metric_columns.js";
import { newestFirst, runLabel, runMachine, runStatus } from "../runs.js";

let picked = (new URLSearchParams(window.location.search).get("runs") || "").split(",").filter(Boolean);

function renderPicker(runs) {
  if (!runs.length) {
    show("run-picks", empty("No runs to compare yet.",
      "Run the same suite twice (or one run with two models), then come back.",
      h("a", { class: "button primary", href: "/benchmarks", text: "Run a benchmark" })));
    $("compare-go").hidden = true;
    return;
  }
  const order = (id) => picked.indexOf(id);
  const item = (r) => h("li", {},
    h("label", { class: "check" },
      h("input", { type: "checkbox", value: r.id, name: "run", checked: picked.includes(r.id),
        on: { change: (e) => {
          picked = e.target.checked ? [...picked, r.id] : picked.filter((id) => id !== r.id);
          renderPicker(runs);
        } } }),
      order(r.id) >= 0 ? h("span", { class: "badge pick", text: order(r.id) === 0 ? "baseline" : `#${order(r.id) + 1}` }) : null,
      h("span", { text: runLabel(r) }), " ", runStatus(r),
      h("code", { class: "muted small", text: ` ${f.shortId(r.id)}` })));
  const sorted = newestFirst(runs);
  const machines = [...new Set(sorted.map((r) => r.machine || "unknown machine"))];
  // Several machines (fleet mode): one group each, so "laptop A vs desktop B" is two clicks.
  show("run-picks", machines.length < 2
    ? h("ul", { class: "pick-list" }, sorted.map(item))
    : machines.map((m) => h("fieldset", { class: "pick-group", attrs: { "data-machine": m } },
      h("legend", { text: m }),
      h("ul", { class: "pick-list" }, sorted.filter((r) => (r.machine || "unknown machine") === m).map(item)))));
}

// Set once the compared runs are known: the machine of each run when they span several.
let machineOf = () => null;

function columnName(entry, runIndex) {
  const device = entry.device ? ` (${entry.device})` : "";
  const machine = machineOf(entry.run_id);
  return `${entry.model_alias || entry.model_id}${device} · run ${runIndex + 1}${machine ? ` @ ${machine}` : ""}`;
}

function verdictBadge(d) {
  if (!d.verdict) return h("span", { class: "muted small", text: "not tested" });
  if (d.verdict === "insufficient data") return badge("idle", "too few samples");
  if (d.verdict === "no difference") return badge("idle", "within noise");
  return badge(d.better ? "ok" : "error", d.better ? "better" : "worse");
}

function cell(entry, metric) {
  const d = entry.diffs.find((x) => x.metric === metric.key);
  if (!d) return h("span", { class: "value", text: metricText(metric, entry.result) });
  const tone = d.better === null ? "" : d.better ? "good" : "bad";
  return h("span", { class: "cmp-cell" },
    h("span", { class: "value", text: withN(metric, entry.result, formatter(metric.unit)(d.value), d.value) }),
    h("span", { class: `delta ${d.significant ? tone : "muted"}`,
      title: d.p_value !== null && d.p_value !== undefined
        ? `${d.method === "fisher" ? "Fisher exact" : "Welch"} p = ${f.num(d.p_value, 4)} on ${d.basis}` : "",
      text: f.signedPct(d.rel_diff_pct) }),
    verdictBadge(d));
}

function scenarioTable(metrics, sc, runIndex) {
  const columns = [{ label: "Metric", value: (m) => h("strong", { title: m.description, text: m.label }) },
    ...sc.entries.map((e, i) => ({
      label: `${columnName(e, runIndex(e.run_id))}${i === 0 ? " (baseline)" : ""}`,
      num: true, value: (m) => cell(e, m),
    }))];
  return h("section", { class: "card" },
    h("div", { class: "card-head" }, h("h2", { text: sc.scenario })),
    sc.entries.length < 2
      ? h("p", { class: "notice", text: "Only one of the compared runs measured this scenario." })
      : null,
    table(metrics, columns));
}

function charts(view, runIndex) {
  const columns = new Map();
  for (const sc of view.scenarios) {
    for (const e of sc.entries) {
      const key = `${e.run_id}/${e.model_id}`;
      if (!columns.has(key)) columns.set(key, { name: columnName(e, runIndex(e.run_id)), x: [], tps: [], p95: [] });
      const col = columns.get(key);
      col.x.push(label(sc.scenario));
      col.tps.push(e.result.tps);
      col.p95.push(e.result.latency_p95);
    }
  }
  const traces = (field) => [...columns.values()].map((c) => ({ type: "bar", name: label(c.name), x: c.x, y: c[field],
    hovertemplate: `%{x}<br>%{y:.1f}<extra>%{fullData.name}</extra>` }));
  const box = h("section", { class: "card" }, h("div", { class: "chart-grid" },
    chartBox("Throughput by scenario", "tokens/s, higher is better", "cmp-tps"),
    chartBox("Latency p95 by scenario", "ms, lower is better", "cmp-p95")));
  $("comparison").appendChild(box);
  plot($("cmp-tps"), traces("tps"), { barmode: "group", xaxis: categoryAxis("Scenario"),
    yaxis: axis("Throughput (tokens/s)", { rangemode: "tozero" }) });
  plot($("cmp-p95"), traces("p95"), { barmode: "group", xaxis: categoryAxis("Scenario"),
    yaxis: axis("Latency p95 (ms)", { rangemode: "tozero" }) });
}

function comparabilityNotice(view) {
  const runIds = view.runs.map((r) => r.id);
  const problems = view.comparability.filter((c) => !c.comparable);
  const envDiffs = view.comparability.filter((c) => c.differences.length);
  return h("div", {},
    view.comparable
      ? h("p", { class: "notice ok", text: "Same workload in every run (suite content and load settings match), so the numbers are comparable." })
      : h("div", { class: "notice warn", attrs: { role: "alert" } },
        h("strong", { text: "Different workloads: " }),
        "these runs did not send the same requests, so differences may come from the workload, not the model.",
        h("ul", {}, problems.map((c) => h("li", { text: `run ${runIds.indexOf(c.run_id) + 1}: ${c.reason}` })))),
    envDiffs.length
      ? h("div", { class: "notice" }, h("strong", { text: "Environment differences: " }),
        h("ul", {}, envDiffs.map((c) => h("li", { text: `run ${runIds.indexOf(c.run_id) + 1}: ${c.differences.join("; ")}` }))))
      : null);
}

async function runComparison() {
  if (!picked.length) {
    show("comparison", empty("Pick runs to compare.", "Choose two or more runs above, or one run that measured two or more models."));
    return;
  }
  const url = new URL(window.location.href);
  url.searchParams.set("runs", picked.join(","));
  history.replaceState(null, "", url);
  show("comparison", h("p", { class: "muted", text: "Comparing…" }));
  let view;
  let catalog;
  try {
    [view, catalog] = await Promise.all([
      api.get(`/api/benchmarks/compare?runs=${picked.map(encodeURIComponent).join(",")}`), catalogue()]);
  } catch (err) {
    show("comparison", failure(err, runComparison, "Could not compare"));
    return;
  }
  const runIds = view.runs.map((r) => r.id);
  const runIndex = (id) => runIds.indexOf(id);
  const machines = new Map(view.runs.map((r) => [r.id, r.machine]));
  machineOf = new Set(machines.values()).size > 1 ? (id) => machines.get(id) : () => null;
  show("comparison",
    comparabilityNotice(view),
    h("section", { class: "card" }, h("div", { class: "card-head" }, h("h2", { text: "Runs" }),
      h("span", { class: "muted small", text: `Differences are tested on the per-request values (Welch's t-test; pass rates by Fisher's exact test); the first column is the baseline.` })),
    table(view.runs, [
      { label: "", value: (r) => `run ${runIndex(r.id) + 1}` },
      { label: "Id", value: (r) => h("a", { href: `/results?run=${encodeURIComponent(r.id)}`, text: r.id }) },
      { label: "Label", value: runLabel },
      { label: "Machine", value: runMachine },
      { label: "Workload", value: (r) => h("code", { text: (r.workload_hash || "").slice(0, 12) }) },
    ])),
    view.scenarios.length ? null : empty("No scenario in common.", "Pick runs of the same suite."));
  if (view.scenarios.length) charts(view, runIndex);
  const metrics = metricsOf(catalog, "compare");
  for (const sc of view.scenarios) $("comparison").appendChild(scenarioTable(metrics, sc, runIndex));
  document.body.dataset.ready = "true";
}

$("pick-form").addEventListener("submit", (e) => {
  e.preventDefault();
  runComparison();
});

try {
  const runs = (await api.get("/api/benchmarks/runs")).runs || [];
  renderPicker(runs);
  const one = picked.length === 1 ? runs.find((r) => r.id === picked[0]) : null;
  if (picked.length >= 2 || (one && one.model_ids.length >= 2)) runComparison();
  else if (one) show("comparison", empty("Pick one more run.", "The run you came from is the baseline; choose the runs to compare it with."));
} catch (err) {
  show("run-picks", failure(err, () => window.location.reload(), "Could not load runs"));
}
