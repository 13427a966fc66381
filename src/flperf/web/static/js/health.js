// The health pill in the top bar: server and Foundry Local status at a glance.
import { api } from "./api.js";
import { $ } from "./dom.js";

async function refresh() {
  const pill = $("health-pill");
  const label = pill.querySelector(".label");
  try {
    const health = await api.get("/api/system/health");
    const foundry = health.foundryLocal === "available";
    pill.dataset.tone = health.status === "healthy" && foundry ? "ok" : "warn";
    label.textContent = foundry ? "Foundry Local ready" : "Foundry Local unavailable";
    pill.title = health.foundryLocalReason || `Server ${health.status}`;
  } catch (err) {
    pill.dataset.tone = "bad";
    label.textContent = "server unreachable";
    pill.title = err.message;
  }
}

refresh();
setInterval(refresh, 15000);
