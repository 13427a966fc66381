// Number and time formatting only: the API computes every figure, these just print it.

const DASH = "–";

export function isNum(v) {
  return typeof v === "number" && Number.isFinite(v);
}

/** A number with about `sig` significant digits, grouped; "–" for null. */
export function num(v, digits) {
  if (!isNum(v)) return DASH;
  if (digits === undefined) {
    const a = Math.abs(v);
    digits = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  }
  return v.toLocaleString("en-US", { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

export const ms = (v) => (isNum(v) ? `${num(v)} ms` : DASH);
export const pct = (v, digits = 1) => (isNum(v) ? `${num(v, digits)} %` : DASH);
export const tps = (v) => (isNum(v) ? `${num(v)} tok/s` : DASH);
export const rps = (v) => (isNum(v) ? `${num(v)} req/s` : DASH);
export const mb = (v) => (isNum(v) ? (v >= 1024 ? `${num(v / 1024, 2)} GB` : `${num(v, 0)} MB`) : DASH);
export const int = (v) => (isNum(v) ? num(v, 0) : DASH);
export const joules = (v) => (isNum(v) ? `${num(v)} J` : DASH);

/** Seconds as "1 h 02 min", "3 min 05 s", "12 s". */
export function duration(seconds) {
  if (!isNum(seconds)) return DASH;
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** Unix seconds as local date and time. */
export function when(unix) {
  if (!isNum(unix)) return DASH;
  return new Date(unix * 1000).toLocaleString(undefined, {
    year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
}

/** Unix seconds as "5 min ago". */
export function ago(unix) {
  if (!isNum(unix)) return DASH;
  const s = Date.now() / 1000 - unix;
  if (s < 5) return "just now";
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** A signed percentage difference, "+12.3 %". */
export function signedPct(v) {
  if (!isNum(v)) return DASH;
  return `${v > 0 ? "+" : ""}${num(v, 1)} %`;
}

/** Short run id for display. */
export function shortId(id) {
  return typeof id === "string" && id.length > 14 ? `${id.slice(0, 12)}…` : String(id ?? DASH);
}
