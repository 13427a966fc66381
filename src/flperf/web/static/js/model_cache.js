// The Models page's "Model cache" card: where Foundry Local keeps its models, the models found
// there, and switching to another folder (the server's reason shown when it refuses).
import { api } from "./api.js";
import { h, $, show, badge, empty, failure, table, toast, busy, facts } from "./dom.js";

const SOURCE_LABEL = { demo: "demo (offline)", local: "registered folder", public: "downloaded from the catalog" };

async function loadLocation() {
  try {
    const where = await api.get("/api/cache/location");
    show("cache-location", facts([
      ["Location", h("span", { class: "inline" },
        h("code", { id: "cache-path", text: where.location }),
        badge(where.isDefault ? "ok" : "busy", where.isDefault ? "default" : "custom"))],
      ["Default", where.isDefault ? undefined : h("code", { text: where.defaultPath })],
    ]));
    $("cache-default").disabled = where.isDefault;
  } catch (err) {
    show("cache-location", failure(err, loadLocation, "Could not read the cache location"));
  }
}

async function loadModels() {
  try {
    const data = await api.get("/api/cache/models");
    const models = data.models || [];
    $("cache-models-h").textContent = `Models in this cache (${data.count ?? models.length})`;
    const note = data.message ? h("p", { class: "muted small", text: data.message }) : null;
    if (!models.length) {
      show("cache-models", empty("No models in this cache yet.",
        "Download a catalog model, or switch to a folder that holds your models."), note);
      return;
    }
    show("cache-models", table(models, [
      { label: "Alias", value: (m) => h("span", { class: "inline" }, h("strong", { text: m.alias }),
        m.isCustom ? h("span", { class: "badge pick", text: "custom", title: "not from the public catalog" }) : null) },
      { label: "Model id", class: "clip mono", value: (m) => h("span", { title: m.id, text: m.id }) },
      { label: "Source", value: (m) => SOURCE_LABEL[m.source] || m.source || "–" },
      { label: "Description", class: "clip", value: (m) => h("span", { title: m.description || "", text: m.description || "–" }) },
    ], { dense: true }), note);
    document.querySelectorAll("#cache-models tbody tr").forEach((row, i) => {
      row.dataset.modelId = models[i].id;
    });
  } catch (err) {
    show("cache-models", failure(err, loadModels, "Could not list the cache's models"));
  }
}

/** Fill the card and wire its form; `onSwitched` runs after every successful switch. */
export function mountCacheSection({ onSwitched = () => {} } = {}) {
  const form = $("cache-form");
  const error = $("cache-error");
  async function switchTo(path, button) {
    error.hidden = true;
    try {
      const where = await busy(button, () => api.post("/api/cache/switch", { path }));
      toast(`Model cache: ${where.location}${where.isDefault ? " (default)" : ""}`);
      form.reset();
      await Promise.all([loadLocation(), loadModels()]);
      onSwitched();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    switchTo(form.elements.path.value.trim(), $("cache-switch"));
  });
  $("cache-default").addEventListener("click", () => switchTo("default", $("cache-default")));
  loadLocation();
  loadModels();
}
