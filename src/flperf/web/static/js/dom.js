// Building the page from data without innerHTML: every text goes in through textContent.

/**
 * Create an element. `props`: class, text, dataset, attrs (object), on (event -> handler), or any
 * DOM property (href, type, value, checked, disabled, title, ...). Children: nodes, strings
 * (become text nodes), arrays, null/false (skipped).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "attrs") for (const [k, v] of Object.entries(value)) el.setAttribute(k, String(v));
    else if (key === "on") for (const [k, v] of Object.entries(value)) el.addEventListener(k, v);
    else el[key] = value;
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replace the children of `el` (or of the element with id `el`). */
export function show(el, ...children) {
  const target = typeof el === "string" ? document.getElementById(el) : el;
  target.replaceChildren();
  append(target, children);
  return target;
}

export const $ = (id) => document.getElementById(id);

const STATUS_TONES = {
  running: "ok", completed: "ok", ready: "ok", healthy: "ok", available: "ok", fresh: "ok", ok: "ok",
  starting: "busy", queued: "busy", loading: "busy", downloading: "busy",
  stopped: "idle", cancelled: "idle", stale: "warn", interrupted: "warn", degraded: "warn",
  error: "bad", failed: "bad", unavailable: "bad", timeout: "bad",
};

/** A coloured status label. */
export function badge(status, label) {
  const tone = STATUS_TONES[status] || "idle";
  return h("span", { class: `badge ${tone}`, text: label ?? status });
}

/** An empty state: what is missing and what to do next (`action` is a node or null). */
export function empty(title, hint, action = null) {
  return h("div", { class: "empty" },
    h("p", {}, h("strong", { text: title })),
    hint ? h("p", { class: "muted", text: hint }) : null,
    action);
}

/** An error box with the message and, when given, a retry button. */
export function failure(err, retry = null, what = "Could not load this") {
  return h("div", { class: "notice error", attrs: { role: "alert" } },
    h("strong", { text: `${what}: ` }),
    h("span", { text: err && err.message ? err.message : String(err) }),
    retry ? h("button", { class: "button small", type: "button", text: "Retry",
      on: { click: retry } }) : null);
}

/** A short message in the corner. */
export function toast(message, tone = "info") {
  const box = h("div", { class: `toast ${tone}`, text: message });
  $("toasts").appendChild(box);
  setTimeout(() => box.remove(), tone === "error" ? 8000 : 4000);
}

/**
 * A table from rows and columns. Column: {label, title?, value(row) -> node|string,
 * num? (right-aligned), class?}. Options: caption, rowClass(row), empty (node).
 */
export function table(rows, columns, { caption = null, rowClass = null, dense = false } = {}) {
  return h("div", { class: "table-wrap" },
    h("table", { class: dense ? "data dense" : "data" },
      caption ? h("caption", { text: caption }) : null,
      h("thead", {}, h("tr", {}, columns.map((c) =>
        h("th", { class: c.num ? "num" : null, scope: "col", title: c.title, text: c.label })))),
      h("tbody", {}, rows.map((row) =>
        h("tr", { class: rowClass ? rowClass(row) : null }, columns.map((c) =>
          h("td", { class: c.num ? "num" : c.class }, c.value(row))))))));
}

/** Key/value list. */
export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, v]) => v !== undefined).map(([k, v]) =>
    [h("dt", { text: k }), h("dd", {}, v === null || v === "" ? "–" : v)]));
}

/**
 * Call `fn` every `ms` while the page is visible; it returns a stop function.
 * A failing call is reported through `onError` and polling goes on.
 */
export function poll(fn, ms, onError = null) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    try {
      await fn();
    } catch (err) {
      if (onError) onError(err);
    }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Ask before a destructive action; resolves true when confirmed. */
export function confirmAction(question, confirmLabel = "Delete") {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "dialog", attrs: { "aria-label": "Confirm" } });
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    dialog.append(
      h("p", { class: "confirm-text", text: question }),
      h("div", { class: "form-actions" },
        h("button", { class: "button", type: "button", text: "Cancel", on: { click: () => done(false) } }),
        h("button", { class: "button danger", type: "button", text: confirmLabel,
          on: { click: () => done(true) } })));
    dialog.addEventListener("cancel", () => done(false));
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}

/** Disable a button while `work` runs. */
export async function busy(button, work) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}

/** Tabs: [{label, content: () => node}], content built when first shown. */
export function tabs(items, { label = "Sections" } = {}) {
  const panel = h("div", { class: "tab-panel", attrs: { role: "tabpanel" } });
  const built = new Map();
  const buttons = items.map((item, i) => h("button", {
    class: "tab", type: "button", text: item.label,
    attrs: { role: "tab", "aria-selected": i === 0 ? "true" : "false" },
    on: { click: () => select(i) },
  }));
  function select(i) {
    buttons.forEach((b, j) => b.setAttribute("aria-selected", j === i ? "true" : "false"));
    if (!built.has(i)) built.set(i, items[i].content());
    panel.replaceChildren(built.get(i));
  }
  select(0);
  return h("div", { class: "tabs" },
    h("div", { class: "tab-list", attrs: { role: "tablist", "aria-label": label } }, buttons), panel);
}
