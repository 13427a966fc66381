// Which result fields the tables show, with their labels and units. The values come from the
// API's result objects (flperf.bench.metrics.ResultMetrics); nothing here computes a metric.
import { h } from "./dom.js";
import * as f from "./format.js";

/** A percentile from a distribution summary, flagged † when computed from fewer than 20 samples. */
function tail(summary, key, fmt) {
  if (!summary) return "–";
  const text = fmt(summary[key]);
  if (summary.small_sample && key !== "p50" && key !== "mean") {
    return h("span", { title: `from ${summary.n} samples: tails of fewer than 20 are unreliable` }, text,
      h("sup", { class: "muted", text: "†" }));
  }
  return text;
}

const stat = (name, key, fmt, label, title) => ({
  label, title, num: true, value: (r) => tail(r[name], key, fmt),
});

const res = (key, fmt, label, title) => ({
  label, title, num: true, value: (r) => fmt(r.resources ? r.resources[key] : null),
});

function counts(obj) {
  const entries = Object.entries(obj || {});
  return entries.length ? entries.map(([k, v]) => `${k}: ${v}`).join(", ") : "–";
}

export const PERFORMANCE = [
  { label: "OK / sent", num: true, title: "Successful measured requests / attempted (warm-up excluded)",
    value: (r) => `${f.int(r.successful_iterations)} / ${f.int(r.requests_attempted)}` },
  { label: "Throughput", num: true, title: "System output throughput, tokens/s over the measured window",
    value: (r) => f.tps(r.tps) },
  { label: "Req/s", num: true, title: "Successful requests per second", value: (r) => f.num(r.request_throughput) },
  stat("ttft_ms", "p50", f.ms, "TTFT p50", "Time to first token, median"),
  stat("ttft_ms", "p95", f.ms, "TTFT p95"),
  stat("e2e_ms", "p50", f.ms, "Latency p50", "End-to-end latency, median"),
  stat("e2e_ms", "p95", f.ms, "Latency p95"),
  stat("e2e_ms", "p99", f.ms, "Latency p99"),
  stat("itl_ms", "p50", f.ms, "ITL p50", "Inter-token latency (time per output token), median"),
  stat("itl_ms", "p95", f.ms, "ITL p95"),
  stat("decode_tps", "p50", f.num, "Decode tok/s p50", "Per-request decode speed, 1000 / ITL"),
  stat("output_tokens", "mean", f.num, "Out tokens (mean)"),
  { label: "Cold TTFT", num: true, title: "TTFT of the first request (cold start)", value: (r) => f.ms(r.cold_ttft_ms) },
];

export const RELIABILITY = [
  { label: "Errors", num: true, title: "Failed (incl. timed out) / attempted, percent", value: (r) => f.pct(r.error_rate) },
  { label: "Timeouts", num: true, title: "Timed out / attempted, percent", value: (r) => f.pct(r.timeout_rate) },
  { label: "Errors by kind", class: "clip", value: (r) => counts(r.errors_by_kind) },
  { label: "Cancelled", num: true, value: (r) => f.int(r.requests_cancelled) },
  { label: "Token counts from", class: "clip", title: "usage = server's count; tokenizer; chunks = lower bound",
    value: (r) => counts(r.token_sources) },
  { label: "Quality pass", num: true, title: "Replies matching the scenario's expected pattern",
    value: (r) => (r.quality_checked ? `${f.int(r.quality_passed)} / ${f.int(r.quality_checked)}` : "–") },
  { label: "Goodput", num: true, title: "Requests meeting every SLO per second", value: (r) => f.num(r.goodput) },
  { label: "SLO pass", num: true, value: (r) => f.pct(r.slo_pass_rate) },
  { label: "Dispatch delay p95", num: true, title: "How far the client fell behind schedule",
    value: (r) => tail(r.dispatch_delay_ms, "p95", f.ms) },
];

export const RESOURCES = [
  { label: "CPU avg", num: true, title: "System CPU %, time-weighted mean", value: (r) => f.pct(r.cpu_avg) },
  { label: "RAM avg", num: true, title: "System RAM %, time-weighted mean", value: (r) => f.pct(r.ram_avg) },
  { label: "GPU avg", num: true, title: "GPU utilisation %, time-weighted mean", value: (r) => f.pct(r.gpu_avg) },
  res("proc_cpu_avg", f.pct, "Server CPU avg", "Model server process tree, % of one core"),
  res("proc_cpu_peak", f.pct, "Server CPU peak"),
  res("proc_rss_avg_mb", f.mb, "Server RSS avg", "Model server resident memory"),
  res("proc_rss_peak_mb", f.mb, "Server RSS peak"),
  res("gpu_mem_peak_mb", f.mb, "GPU mem peak"),
  res("total_energy_j", f.joules, "Energy", "CPU package (RAPL) + GPU energy in the window"),
  { label: "J / token", num: true, title: "Energy per output token", value: (r) => f.num(r.energy_per_token_j) },
  { label: "Samples", num: true, value: (r) => f.int(r.resources ? r.resources.sample_count : null) },
];

export const DISTRIBUTIONS = [
  ["ttft_ms", "TTFT", f.ms], ["e2e_ms", "Latency", f.ms], ["itl_ms", "ITL", f.ms],
  ["decode_tps", "Decode tok/s", f.num], ["output_tokens", "Output tokens", f.num],
  ["dispatch_delay_ms", "Dispatch delay", f.ms],
];
