// Shared run listing pieces: a run's label, status and links.
import { h, badge } from "./dom.js";
import * as f from "./format.js";

/** Runs, newest first. */
export function newestFirst(runs) {
  return [...runs].sort((a, b) => (b.created_at ?? b.started_at ?? 0) - (a.created_at ?? a.started_at ?? 0));
}

/** The aliases of a run's models, as stored with the run (`model_aliases` is in `model_ids` order). */
export function runModels(run) {
  const aliases = run.model_aliases || [];
  return (run.model_ids || []).map((id, i) => aliases[i] || id);
}

/** A function giving the alias a model id had in `run`. */
export function aliasLookup(run) {
  const names = new Map((run.model_ids || []).map((id, i) => [id, (run.model_aliases || [])[i] || id]));
  return (id) => names.get(id) || id;
}

/** "done / total" requests of a run or a status answer. */
export function requestCount(run) {
  const d = run.progress_detail;
  return d ? `${f.int(d.done)} / ${f.int(d.total)}` : "–";
}

/** The machine a run was measured on, linking to that machine's runs. */
export function runMachine(run) {
  if (!run.machine) return "–";
  return h("a", { href: `/results?machine=${encodeURIComponent(run.machine)}`, text: run.machine,
    title: `Runs measured on ${run.machine}` });
}

export function runLink(run) {
  return h("a", { href: `/results?run=${encodeURIComponent(run.id)}`, text: f.shortId(run.id),
    title: run.id });
}

export function runStatus(run) {
  const live = run.status === "running" && typeof run.progress === "number"
    ? ` ${Math.round(run.progress)} %` : "";
  return h("span", { class: "inline" }, badge(run.status, run.status + live),
    run.error ? h("span", { class: "muted small clip", title: run.error, text: run.error }) : null);
}

/** Human label: "default · qwen, phi · 3 Jan 14:02". */
export function runLabel(run) {
  return `${run.suite_name} · ${runModels(run).join(", ")} · ${f.when(run.created_at ?? run.started_at)}`;
}
