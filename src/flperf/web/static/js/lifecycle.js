// Model lifecycle facts as the API gives them (flperf.bench.lifecycle): per model its last load,
// memory after it, last unload and download; per run whether the run started (and loaded) each
// model, and its first and warm TTFT. Values are printed, never computed here; a fact a server
// does not tell shows "n/a" with the reason in its tooltip and in the notes.
import { h, table } from "./dom.js";
import * as f from "./format.js";

const GROUP = {
  load_ms: "load", memory_after_load_mb: "memory", unload_ms: "unload", download_ms: "download",
  cold_ttft_ms: "cold",
};

/** A fact as text: its value, "n/a" when the facts say why it is missing, "–" when never measured. */
export function fact(facts, field, format) {
  const value = facts ? facts[field] : null;
  if (f.isNum(value)) return format(value);
  const why = facts?.unavailable?.[GROUP[field]];
  return why ? h("span", { class: "na", title: why, text: "n/a" }) : "–";
}

export const yesNo = (v) => (v === true ? "yes" : v === false ? "no" : "–");

/** A download: its time and size, or n/a (why) with the size of the files when known. */
export function download(lc) {
  if (!lc) return "–";
  const size = f.isNum(lc.download_mb) ? f.mb(lc.download_mb) : null;
  if (f.isNum(lc.download_ms)) return `${f.ms(lc.download_ms)}${size ? ` · ${size}` : ""}`;
  return h("span", { class: "inline" }, fact(lc, "download_ms", f.ms), size ? ` · ${size}` : null);
}

/** Why facts are missing, one line per group. */
export function reasons(unavailable) {
  const entries = Object.entries(unavailable || {});
  if (!entries.length) return null;
  return h("ul", { class: "reasons muted small" },
    entries.map(([group, why]) => h("li", {}, h("strong", { text: `${group}: ` }), why)));
}

/** The configured-models table's lifecycle column: last load, memory after it, last unload
 * and download, one short line each. */
export function modelColumn() {
  const line = (label, value) => h("span", { class: "lc-line" }, h("span", { class: "muted", text: `${label} ` }), value);
  return {
    label: "Lifecycle",
    class: "lifecycle-cell small",
    title: "Last load, the server's memory right after it (Foundry host: its RSS; Ollama: what /api/ps reports), last unload, and the model's download",
    value: (m) => h("div", { class: "lc-lines" },
      line("load", fact(m.lifecycle, "load_ms", f.ms)),
      line("memory", fact(m.lifecycle, "memory_after_load_mb", f.mb)),
      line("unload", fact(m.lifecycle, "unload_ms", f.ms)),
      line("download", download(m.lifecycle))),
  };
}

/** A model's latest facts as a definition list (the detail dialog). */
export function modelFacts(lc) {
  if (!lc) return [["Lifecycle", "not measured yet: start the model or run a benchmark on it"]];
  return [
    ["Last load", fact(lc, "load_ms", f.ms)],
    ["Runtime start", fact(lc, "runtime_init_ms", f.ms)],
    ["Server start to ready", fact(lc, "startup_ms", f.ms)],
    ["Memory after load", fact(lc, "memory_after_load_mb", f.mb)],
    ["Loaded", f.when(lc.loaded_at)],
    ["Last unload", fact(lc, "unload_ms", f.ms)],
    ["Server stop", fact(lc, "stop_ms", f.ms)],
    ["Download", download(lc)],
    ["Not available", reasons(lc.unavailable) || "–"],
  ];
}

/** The Results page's lifecycle table: one row per model of the run (`detail.lifecycle`). */
export function runLifecycleTable(rows, aliasOf) {
  return table(rows, [
    { label: "Model", class: "lead", value: (r) => h("strong", { text: aliasOf(r.model_id) }) },
    { label: "Started for the run", title: "flperf started the model's server for this run", value: (r) => yesNo(r.started_for_run) },
    { label: "Load", num: true, title: "Loading the model (model.load() in the host)", value: (r) => fact(r, "load_ms", f.ms) },
    { label: "Memory after load", num: true, title: "The server's memory right after the load", value: (r) => fact(r, "memory_after_load_mb", f.mb) },
    { label: "Unload", num: true, title: "Unloading the model when the run stopped it", value: (r) => fact(r, "unload_ms", f.ms) },
    { label: "Cold TTFT", num: true, title: "TTFT of the first request after the load (only when the run loaded the model)", value: (r) => fact(r, "cold_ttft_ms", f.ms) },
    { label: "Warm TTFT", num: true, title: "Median TTFT of the requests after the first", value: (r) => f.ms(r.warm_ttft_ms) },
    { label: "Notes", class: "notes", value: (r) => reasons(r.unavailable) || "–" },
  ], { rowClass: (r) => `lifecycle-row${r.cold_start ? " cold" : ""}` });
}
