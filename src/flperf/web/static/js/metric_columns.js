// Table columns built from the metric catalogue the API serves (`GET /api/metrics`, declared in
// flperf.bench.metric_catalog): labels, units, descriptions, where each value sits on a result and
// which views show it. Values come from the API's result objects; nothing here computes a metric
// or repeats a metric's name.
import { api } from "./api.js";
import { h } from "./dom.js";
import * as f from "./format.js";

let loading = null;

/** The catalogue `{metrics, distributions, tail_stats, small_sample_below}`, fetched once. */
export function catalogue() {
  if (!loading) {
    loading = api.get("/api/metrics");
    loading.catch(() => { loading = null; }); // a later call retries
  }
  return loading;
}

const BY_UNIT = {
  ms: f.ms, "%": f.pct, "% of a core": f.pct, "tok/s": f.tps, "req/s": f.rps, MiB: f.mb, J: f.joules,
};

/** How values in `unit` are written: that unit's formatter, else the number and the unit. */
export function formatter(unit) {
  if (BY_UNIT[unit]) return BY_UNIT[unit];
  return unit ? (v) => (f.isNum(v) ? `${f.num(v)} ${unit}` : "–") : f.num;
}

/** The value at `path` (a list of keys) on a result; null where a step is missing. */
export function read(result, path) {
  let value = result;
  for (const key of path) {
    if (value === null || value === undefined) return null;
    value = value[key];
  }
  return value ?? null;
}

function counts(obj) {
  const entries = Object.entries(obj || {});
  return entries.length ? entries.map(([k, v]) => `${k}: ${f.int(v)}`).join(", ") : "–";
}

/** A metric of a result as text, by the metric's kind (value, ratio, counts, list). */
export function metricText(metric, result) {
  const raw = read(result, metric.path);
  if (metric.kind === "ratio") {
    const whole = read(result, metric.per);
    return f.isNum(whole) && whole > 0 ? `${f.int(raw)} / ${f.int(whole)}` : "–";
  }
  if (metric.kind === "counts") return counts(raw);
  if (metric.kind === "list") return raw && raw.length ? raw.join(", ") : "–";
  return withN(metric, result, formatter(metric.unit)(raw), raw);
}

/** `text` with the count the value is over, "(n=12)", for metrics that declare one. */
export function withN(metric, result, text, raw) {
  if (!metric.n_path || !f.isNum(raw)) return text;
  const n = read(result, metric.n_path);
  return f.isNum(n) ? `${text} (n=${f.int(n)})` : text;
}

/** The summary a tail statistic comes from, when that summary has too few samples. */
function smallSummary(metric, result) {
  if (!metric.tail) return null;
  const summary = read(result, metric.path.slice(0, -1));
  return summary && summary.small_sample ? summary : null;
}

/** A metric's table cell: its text, marked † when a tail comes from too few samples. */
export function metricCell(catalog, metric, result) {
  const text = metricText(metric, result);
  const summary = smallSummary(metric, result);
  if (!summary) return text;
  return h("span", { title: `from ${summary.n} samples: tails of fewer than ${catalog.small_sample_below} are unreliable` },
    text, h("sup", { class: "muted", text: "†" }));
}

/** The catalogue's metrics that `view` shows (optionally one group), in catalogue order. */
export function metricsOf(catalog, view, group = null) {
  return catalog.metrics.filter((m) => m.views.includes(view) && (group === null || m.group === group));
}

/** Table columns (see dom.js `table`) for the metrics `view` shows of `group`. */
export function metricColumns(catalog, view, group = null) {
  return metricsOf(catalog, view, group).map((m) => ({
    label: m.label,
    title: m.unit ? `${m.description} (${m.unit})` : m.description,
    num: m.kind === "value" || m.kind === "ratio",
    class: m.kind === "value" || m.kind === "ratio" ? undefined : "clip",
    value: (r) => metricCell(catalog, m, r),
  }));
}
