// The REST API as the pages use it: JSON in, JSON out, errors as ApiError with the server's text.

export class ApiError extends Error {
  constructor(message, status, path) {
    super(message);
    this.name = "ApiError";
    this.status = status; // 0 when the server could not be reached
    this.path = path;
  }
}

async function request(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(
      "Cannot reach the FLPerformance server. Is `flperf serve` still running?", 0, path);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (err) {
      data = null;
    }
  }
  if (!response.ok) {
    const detail = data && (data.error || data.detail);
    const message = typeof detail === "string" ? detail
      : `${method} ${path} failed with HTTP ${response.status}`;
    throw new ApiError(message, response.status, path);
  }
  return data;
}

export const api = {
  get: (path) => request("GET", path),
  post: (path, body = {}) => request("POST", path, body),
  del: (path) => request("DELETE", path),
};

/** `path` with URL-encoded path segments: seg`/api/models/${id}` keeps ids with odd characters intact. */
export function seg(strings, ...values) {
  return strings.reduce(
    (out, s, i) => out + s + (i < values.length ? encodeURIComponent(String(values[i])) : ""), "");
}

/** Every record of a paged endpoint (`{requests: [...], total}`), up to `max` items. */
export async function fetchAllPages(path, key, { pageSize = 1000, max = 20000, params = {} } = {}) {
  const items = [];
  let total = Infinity;
  while (items.length < Math.min(total, max)) {
    const query = new URLSearchParams({ ...params, offset: String(items.length),
      limit: String(pageSize) });
    const page = await api.get(`${path}?${query}`);
    const batch = page[key] || [];
    total = typeof page.total === "number" ? page.total : items.length + batch.length;
    items.push(...batch);
    if (batch.length === 0) break;
  }
  return { items, total };
}

let openapi = null;
const shape = (path) => path.replace(/\{[^}]+\}/g, "{}");

/**
 * Whether this server offers `method path` (path as in OpenAPI, e.g. `/api/models/{id}/test`),
 * read from its OpenAPI document; true when that document cannot be read.
 */
export async function hasRoute(path, method = "get") {
  if (openapi === null) openapi = api.get("/api/openapi.json").catch(() => undefined);
  const spec = await openapi;
  if (!spec || !spec.paths) return true;
  const wanted = shape(path);
  return Object.entries(spec.paths).some(([p, ops]) => shape(p) === wanted && ops[method]);
}
