// Plotly with the page's theme. Values go in as numbers; names are escaped for Plotly's labels.
import { h, show } from "./dom.js";

export const PALETTE = ["#2563eb", "#e8590c", "#0f9d58", "#c2255c", "#7048e8", "#0c8599",
  "#f59f00", "#5c7cfa", "#868e96", "#a61e4d"];

/** Plotly reads a few HTML-like tags in labels; escape them so names show as typed. */
export function label(text) {
  return String(text ?? "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function themeColors() {
  const css = getComputedStyle(document.documentElement);
  const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return { fg: v("--fg", "#1f2328"), muted: v("--muted", "#59636e"), grid: v("--grid", "#e5e7eb") };
}

/** An axis titled with its unit; `category` axes never guess numbers or dates from names. */
export function axis(title, extra = {}) {
  return { title: { text: title }, automargin: true, zeroline: false, ...extra };
}

export const categoryAxis = (title, extra = {}) => axis(title, { type: "category", ...extra });

/** Draw (or redraw) a chart in `el`. Returns false when Plotly did not load. */
export function plot(el, traces, layout = {}, { height = 340 } = {}) {
  if (typeof window.Plotly === "undefined") {
    show(el, h("p", { class: "notice error",
      text: "Charts need /vendor/plotly.min.js, which did not load. Is the `plotly` package installed?" }));
    return false;
  }
  const c = themeColors();
  const base = {
    height,
    margin: { t: 40, r: 16, b: 48, l: 56 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size: 12, color: c.fg },
    colorway: PALETTE,
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { color: c.fg } },
    hoverlabel: { namelength: -1 },
  };
  const merged = { ...base, ...layout };
  for (const key of Object.keys(merged)) {
    if (/^[xy]axis\d*$/.test(key)) {
      merged[key] = { gridcolor: c.grid, linecolor: c.grid, tickfont: { color: c.muted }, ...merged[key] };
    }
  }
  if (layout.title && typeof layout.title === "string") merged.title = { text: layout.title };
  window.Plotly.react(el, traces, merged, { responsive: true, displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d"] });
  return true;
}

/** A chart container with a heading and a caption that says what is drawn. */
export function chartBox(title, caption, id, { wide = false } = {}) {
  const box = h("figure", { class: wide ? "chart wide" : "chart" },
    h("figcaption", {}, h("strong", { text: title }), caption ? h("span", { class: "muted small", text: caption }) : null),
    h("div", { class: "plot", id, attrs: { "data-chart": id } }));
  return box;
}
