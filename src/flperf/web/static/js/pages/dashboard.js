// Dashboard: key figures, models and their states, system health, recent runs.
import { api } from "../api.js";
import { h, show, badge, empty, failure, table, poll, facts } from "../dom.js";
import * as f from "../format.js";
import { newestFirst, runLink, runMachine, runModels, runStatus } from "../runs.js";

function stat(label, value, detail, href) {
  const body = [h("span", { class: "stat-label", text: label }),
    h("span", { class: "stat-value", text: value }),
    h("span", { class: "stat-detail muted", text: detail || "" })];
  return href ? h("a", { class: "stat", href }, body) : h("div", { class: "stat" }, body);
}

function renderStats(s) {
  const tps = s.bestTpsModel;
  const lat = s.bestLatencyModel;
  const resultHref = (best) => best && best.runId ? `/results?run=${encodeURIComponent(best.runId)}` : null;
  show("stats",
    stat("Models", f.int(s.totalModels), `${f.int(s.runningServices)} running`, "/models"),
    stat("Benchmark runs", f.int(s.totalRuns),
      s.lastRun ? `last ${f.ago(s.lastRun.created_at ?? s.lastRun.started_at)} · ${s.lastRun.status}` : "none yet",
      s.lastRun ? `/results?run=${encodeURIComponent(s.lastRun.id)}` : "/benchmarks"),
    stat("Best throughput", tps ? f.tps(tps.tps) : "–",
      tps ? `${tps.alias || tps.modelId}${tps.scenario ? ` · ${tps.scenario}` : ""}` : "no completed results yet",
      resultHref(tps)),
    stat("Best p95 latency", lat ? f.ms(lat.p95) : "–",
      lat ? `${lat.alias || lat.modelId}${lat.scenario ? ` · ${lat.scenario}` : ""}` : "no completed results yet",
      resultHref(lat)));
}

function renderModels(models) {
  if (!models.length) {
    show("models", empty("No models yet.",
      "Add the built-in demo model (works offline) or any OpenAI-compatible server.",
      h("a", { class: "button primary", href: "/models", text: "Add a model" })));
    return;
  }
  show("models", table(models, [
    { label: "Alias", value: (m) => h("a", { href: "/models", text: m.alias }) },
    { label: "Provider", value: (m) => m.provider },
    { label: "Status", value: (m) => badge(m.status) },
    { label: "Endpoint", class: "clip", value: (m) => m.status === "running" ? (m.endpoint || "–") : "–" },
  ], { dense: true }));
}

function renderHealth(hl) {
  const foundry = hl.foundryLocal === "available";
  const catalog = hl.publicCatalog;
  const catalogText = {
    fresh: "reachable", stale: "last fetch failed; showing an older list", loading: "being fetched",
    unavailable: "not reachable (offline?); local and demo models still work",
  }[catalog] || "not checked yet";
  show("health", facts([
    ["Server", h("span", {}, badge(hl.status), ` version ${hl.version || "?"}`)],
    ["Foundry Local", h("span", {}, badge(foundry ? "available" : "unavailable", foundry ? "usable" : "not usable"),
      hl.foundryLocalReason ? h("span", { class: "muted small block", text: hl.foundryLocalReason }) : null)],
    ["Public catalog", h("span", {}, badge(catalog || "idle", catalog || "unknown"), ` ${catalogText}`)],
    ["Database", h("span", {}, badge(hl.database === "ok" ? "ok" : "error", hl.database))],
  ]));
  document.getElementById("health-time").textContent = `checked ${f.ago(hl.timestamp)}`;
}

function renderRuns(runs) {
  if (!runs.length) {
    show("runs", empty("No benchmark runs yet.", "Start one from the Benchmarks page; results appear here.",
      h("a", { class: "button primary", href: "/benchmarks", text: "Run a benchmark" })));
    return;
  }
  show("runs", table(newestFirst(runs).slice(0, 8), [
    { label: "Run", value: runLink },
    { label: "Suite", value: (r) => r.suite_name },
    { label: "Models", class: "clip", value: (r) => runModels(r).join(", ") },
    { label: "Machine", value: runMachine },
    { label: "Status", value: runStatus },
    { label: "Started", value: (r) => f.when(r.started_at ?? r.created_at) },
    { label: "Duration", num: true, value: (r) => r.started_at && r.completed_at
      ? f.duration(r.completed_at - r.started_at) : "–" },
  ]));
}

function serverState(s) {
  if (s.stopped_at) return badge("idle", "stopped");
  return s.alive ? badge("ok", "alive") : badge("error", "silent");
}

function renderFleet(fleet) {
  const servers = fleet.servers || [];
  if (!servers.length) {
    show("fleet", h("p", { class: "muted", text: "No server has joined this database yet." }));
    return;
  }
  const runsOn = new Map((fleet.machines || []).map((m) => [m.name, m.runs]));
  const live = servers.filter((s) => !s.stopped_at);
  show("fleet", table(live.length ? live : servers.slice(0, 5), [
    { label: "Machine", value: (s) => h("span", { class: "inline" },
      h("a", { href: `/results?machine=${encodeURIComponent(s.machine)}`, text: s.machine }),
      s.current ? h("span", { class: "badge pick", text: "this server" }) : null) },
    { label: "Address", class: "clip", value: (s) => s.url || `${s.hostname} · pid ${s.pid}` },
    { label: "State", value: serverState },
    { label: "Heartbeat", value: (s) => f.ago(s.heartbeat_at) },
    { label: "Runs", num: true, value: (s) => f.int(runsOn.get(s.machine) ?? 0) },
  ], { dense: true }));
}

async function load(path, render, target, what) {
  try {
    render(await api.get(path));
  } catch (err) {
    show(target, failure(err, () => load(path, render, target, what), what));
  }
}

poll(() => Promise.all([
  load("/api/system/stats", renderStats, "stats", "Could not load the figures"),
  load("/api/models", (d) => renderModels(d.models), "models", "Could not load models"),
  load("/api/system/health", renderHealth, "health", "Could not check health"),
  load("/api/benchmarks/runs", (d) => renderRuns(d.runs), "runs", "Could not load runs"),
  load("/api/system/servers", renderFleet, "fleet", "Could not list the servers"),
]), 5000);
