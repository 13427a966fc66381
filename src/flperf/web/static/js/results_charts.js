// The charts of one run. Every plotted value is a field of a result, record or sample from the
// API; Plotly only draws them (histograms bin raw per-request values for display).
import { h, show, empty } from "./dom.js";
import { axis, categoryAxis, chartBox, label, plot, PALETTE } from "./charts.js";

const isNum = (v) => typeof v === "number" && Number.isFinite(v);

/** Chart containers, in reading order. */
export function chartGrid() {
  return h("div", { class: "chart-grid" },
    chartBox("Throughput per model", "Output tokens/s over the measured window, per scenario", "chart-tps"),
    chartBox("End-to-end latency percentiles", "All scenarios of each model; lower is better", "chart-latency"),
    chartBox("Time to first token", "Distribution over successful requests", "chart-ttft"),
    chartBox("Inter-token latency", "Distribution of per-request ITL", "chart-itl"),
    chartBox("Latency vs throughput", "One point per model and scenario", "chart-tradeoff"),
    chartBox("Resources over time", "The model server's process tree and the whole system", "chart-resources",
      { wide: true }));
}

function noData(id, text) {
  show(id, empty("No data for this chart.", text));
}

export function drawThroughput(results, aliasOf) {
  const models = [...new Set(results.map((r) => r.model_id))];
  const traces = models.map((m) => {
    const rows = results.filter((r) => r.model_id === m && isNum(r.tps));
    return { type: "bar", name: label(aliasOf(m)), x: rows.map((r) => label(r.scenario)),
      y: rows.map((r) => r.tps), hovertemplate: "%{x}<br>%{y:.1f} tokens/s<extra>%{fullData.name}</extra>" };
  }).filter((t) => t.y.length);
  if (!traces.length) return noData("chart-tps", "No scenario finished with a successful request.");
  plot(document.getElementById("chart-tps"), traces, {
    barmode: "group", showlegend: true, xaxis: categoryAxis("Scenario"),
    yaxis: axis("Throughput (tokens/s)", { rangemode: "tozero" }),
  });
}

export function drawLatency(summary, aliasOf) {
  const rows = summary.filter((r) => r.e2e_ms);
  if (!rows.length) return noData("chart-latency", "No successful requests to measure latency from.");
  const x = rows.map((r) => label(aliasOf(r.model_id)));
  const traces = ["p50", "p95", "p99"].map((p, i) => ({
    type: "bar", name: p, x, y: rows.map((r) => r.e2e_ms[p]), marker: { color: PALETTE[i] },
    hovertemplate: `%{x}<br>${p}: %{y:.1f} ms<extra></extra>`,
  }));
  plot(document.getElementById("chart-latency"), traces, {
    barmode: "group", xaxis: categoryAxis("Model"), yaxis: axis("End-to-end latency (ms)", { rangemode: "tozero" }),
  });
}

function histogram(id, records, field, unit, title, aliasOf, emptyHint) {
  const models = [...new Set(records.map((r) => r.model))];
  const traces = models.map((m) => ({
    type: "histogram", name: label(aliasOf(m)), opacity: 0.7, nbinsx: 30,
    x: records.filter((r) => r.model === m && isNum(r[field])).map((r) => r[field]),
    hovertemplate: `%{x} ${unit}<br>%{y} requests<extra>%{fullData.name}</extra>`,
  })).filter((t) => t.x.length);
  if (!traces.length) return noData(id, emptyHint);
  plot(document.getElementById(id), traces, {
    barmode: "overlay", showlegend: true, xaxis: axis(`${title} (${unit})`), yaxis: axis("Requests"),
  });
}

export function drawDistributions(records, aliasOf, total) {
  const ok = records.filter((r) => r.status === "ok" && !r.warmup);
  const note = total > records.length ? ` (first ${records.length} of ${total} requests)` : "";
  histogram("chart-ttft", ok, "ttft_ms", "ms", `TTFT${note}`, aliasOf,
    "TTFT needs streaming requests that returned at least one token.");
  histogram("chart-itl", ok, "itl_ms", "ms", `Inter-token latency${note}`, aliasOf,
    "ITL needs streamed replies of two or more tokens.");
}

export function drawTradeoff(results, aliasOf) {
  const models = [...new Set(results.map((r) => r.model_id))];
  const traces = models.map((m) => {
    const rows = results.filter((r) => r.model_id === m && isNum(r.tps) && isNum(r.latency_p95));
    return { type: "scatter", mode: "markers", name: label(aliasOf(m)),
      x: rows.map((r) => r.tps), y: rows.map((r) => r.latency_p95),
      text: rows.map((r) => label(r.scenario)), marker: { size: 10, opacity: 0.85 },
      hovertemplate: "%{text}<br>%{x:.1f} tokens/s<br>p95 %{y:.1f} ms<extra>%{fullData.name}</extra>" };
  }).filter((t) => t.x.length);
  if (!traces.length) return noData("chart-tradeoff", "Needs scenarios with successful requests.");
  plot(document.getElementById("chart-tradeoff"), traces, {
    showlegend: true,
    xaxis: axis("Throughput (tokens/s)", { rangemode: "tozero" }),
    yaxis: axis("Latency p95 (ms)", { rangemode: "tozero" }),
  });
}

export function drawResources(samples, aliasOf) {
  const models = [...new Set(samples.map((s) => s.model_id))];
  const traces = [];
  models.forEach((m, i) => {
    const rows = samples.filter((s) => s.model_id === m);
    const x = rows.map((s) => s.t_ms / 1000);
    const name = label(aliasOf(m));
    const color = PALETTE[i % PALETTE.length];
    const series = [
      ["proc_cpu_percent", `${name}: server CPU %`, "y", "solid"],
      ["cpu_percent", `${name}: system CPU %`, "y", "dot"],
      ["gpu_util_percent", `${name}: GPU %`, "y", "dashdot"],
      ["proc_rss_mb", `${name}: server RSS MB`, "y2", "dash"],
    ];
    for (const [field, traceName, yaxis, dash] of series) {
      const y = rows.map((s) => s[field]);
      if (!y.some(isNum)) continue;
      traces.push({ type: "scatter", mode: "lines", name: traceName, x, y, yaxis,
        line: { color, dash, width: 1.6 },
        hovertemplate: "%{x:.1f} s: %{y:.1f}<extra>%{fullData.name}</extra>" });
    }
  });
  if (!traces.length) return noData("chart-resources", "No resource samples were stored for this run.");
  plot(document.getElementById("chart-resources"), traces, {
    xaxis: axis("Time since run start (s)"),
    yaxis: axis("CPU / GPU (%)", { rangemode: "tozero" }),
    yaxis2: axis("Server RSS (MB)", { overlaying: "y", side: "right", rangemode: "tozero", showgrid: false }),
    legend: { orientation: "v", x: 1.08, y: 1, xanchor: "left" },
    margin: { t: 16, r: 16, b: 48, l: 56 },
  }, { height: 360 });
}
