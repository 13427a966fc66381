// The per-request records of a run, a page at a time, filterable by model, scenario and status.
import { api, seg } from "./api.js";
import { h, show, badge, empty, failure, table } from "./dom.js";
import * as f from "./format.js";

const PAGE = 25;

/** A section that pages through `/api/benchmarks/runs/:id/requests`. */
export function requestsSection(run, aliasOf, scenarios) {
  const state = { offset: 0, model: "", scenario: "", status: "" };
  const body = h("div", { id: "requests-body" }, h("p", { class: "muted", text: "Loading requests…" }));
  const pager = h("div", { class: "pager", id: "requests-pager" });
  const select = (name, options, allLabel) => h("select", {
    attrs: { "aria-label": `Filter by ${name}` }, on: { change: (e) => {
      state[name] = e.target.value; state.offset = 0; load();
    } } }, h("option", { value: "", text: allLabel }), options.map(([v, t]) => h("option", { value: v, text: t })));

  async function load() {
    const query = new URLSearchParams({ offset: String(state.offset), limit: String(PAGE) });
    for (const key of ["model", "scenario", "status"]) if (state[key]) query.set(key, state[key]);
    try {
      const page = await api.get(seg`/api/benchmarks/runs/${run.id}/requests` + `?${query}`);
      render(page.requests || [], page.total ?? 0);
    } catch (err) {
      show(body, failure(err, load, "Could not load requests"));
    }
  }

  function render(rows, total) {
    if (!rows.length) {
      show(body, empty(total ? "No request on this page." : "No requests match.",
        state.status ? "Try another status filter." : "Requests appear here as the run measures them."));
    } else {
      show(body, table(rows, [
        { label: "#", num: true, value: (r) => f.int(r.index) },
        { label: "Model", value: (r) => aliasOf(r.model) },
        { label: "Scenario", value: (r) => r.scenario },
        { label: "Trial", num: true, value: (r) => f.int(r.trial) },
        { label: "Iter.", num: true, value: (r) => (r.warmup ? "warm-up" : f.int(r.iteration)) },
        { label: "Status", value: (r) => badge(r.status) },
        { label: "TTFT", num: true, value: (r) => f.ms(r.ttft_ms) },
        { label: "Latency", num: true, value: (r) => f.ms(r.e2e_ms) },
        { label: "ITL", num: true, value: (r) => f.ms(r.itl_ms) },
        { label: "Tokens", num: true, value: (r) => f.int(r.output_tokens) },
        { label: "Counted by", value: (r) => (r.token_source || "–") + (r.tokens_disagree ? " ⚠" : "") },
        { label: "Start", num: true, title: "ms since the run's reference clock", value: (r) => f.num(r.start_ms, 0) },
        { label: "Delay", num: true, title: "Dispatch delay: actual minus scheduled start", value: (r) => f.ms(r.dispatch_delay_ms) },
        { label: "Error", class: "clip wide", value: (r) => (r.error_kind
          ? h("span", { class: "error-text", title: r.error_message || "",
            text: `${r.error_kind}${r.http_status ? ` ${r.http_status}` : ""}: ${r.error_message || ""}` })
          : "") },
      ], { dense: true, rowClass: (r) => (r.status !== "ok" ? "row-bad" : r.warmup ? "row-muted" : null) }));
    }
    const last = Math.min(state.offset + PAGE, total);
    show(pager,
      h("button", { class: "button small", type: "button", text: "← Previous", disabled: state.offset === 0,
        on: { click: () => { state.offset = Math.max(0, state.offset - PAGE); load(); } } }),
      h("span", { class: "muted small", text: total ? `${f.int(state.offset + 1)}–${f.int(last)} of ${f.int(total)}` : "0 requests" }),
      h("button", { class: "button small", type: "button", text: "Next →", disabled: last >= total,
        on: { click: () => { state.offset += PAGE; load(); } } }));
  }

  const section = h("section", { class: "card", id: "requests" },
    h("div", { class: "card-head" }, h("h2", { text: "Requests" }),
      h("div", { class: "inline" },
        select("model", run.model_ids.map((id) => [id, aliasOf(id)]), "all models"),
        select("scenario", scenarios.map((s) => [s, s]), "all scenarios"),
        select("status", [["ok", "ok"], ["error", "error"], ["timeout", "timeout"], ["cancelled", "cancelled"]], "any status"))),
    body, pager);
  load();
  return section;
}
