// core/api.js — the REST calls the page makes (sessions, link, points, checkpoints); errors become Errors with `status` and a one-line message.

/** `detail` from FastAPI (a string or a list of {loc, msg}) as one line. */
export function formatDetail(detail) {
  if (Array.isArray(detail)) {
    return detail.map((d) => (d && d.msg ? `${(d.loc || []).filter((x) => x !== 'body').join('.')}: ${d.msg}` : JSON.stringify(d))).join('; ');
  }
  return typeof detail === 'string' ? detail : JSON.stringify(detail);
}

/**
 * fetch `url`; `body` is JSON unless it is a Blob/ArrayBuffer (sent as is, with `type`);
 * `token` adds the bearer header. Resolves to the parsed JSON (null when there is none).
 */
export async function request(method, url, { body, token, type, keepalive } = {}) {
  const opts = { method, headers: {}, keepalive: Boolean(keepalive) };
  if (token) opts.headers.Authorization = `Bearer ${token}`;
  if (body instanceof Blob || body instanceof ArrayBuffer) {
    opts.headers['Content-Type'] = type || 'application/octet-stream';
    opts.body = body;
  } else if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(url, opts);
  const json = await res.json().catch(() => null);
  if (!res.ok) {
    const what = json && json.detail !== undefined ? formatDetail(json.detail) : res.statusText;
    const err = new Error(`${method} ${url.replace(/^\/api/, '')}: ${res.status} ${what}`);
    err.status = res.status;
    err.detail = what;
    throw err;
  }
  return json;
}

const sessionUrl = (s, tail = '') => `/api/sessions/${s.id}${tail}`;

/** Every call the page makes; a session `s` is {id, token}. */
export const api = {
  /** Every bound: {server: limits, config: {kind: JSON schema}, commands: JSON schema of the websocket commands}. */
  limits: () => request('GET', '/api/limits'),
  datasets: () => request('GET', '/api/datasets'),
  presets: () => request('GET', '/api/presets'),
  /** body: {dataset, seed, preset?, config?, pretrained?} → 201 {id, token, config, ...}. */
  create: (body) => request('POST', '/api/sessions', { body }),
  info: (s) => request('GET', sessionUrl(s)),
  remove: (s) => request('DELETE', sessionUrl(s), { token: s.token, keepalive: true }),
  /** Step `follower` in lockstep with `leader` (both {id, token}). */
  link: (leader, follower) => request('POST', sessionUrl(leader, '/link'), {
    token: leader.token, body: { follower: follower.id, follower_token: follower.token },
  }),
  unlink: (leader) => request('DELETE', sessionUrl(leader, '/link'), { token: leader.token }),
  putPoints: (s, points) => request('PUT', sessionUrl(s, '/points'), { token: s.token, body: { points } }),
  putCsv: (s, blob) => request('PUT', sessionUrl(s, '/points.csv'), { token: s.token, body: blob, type: 'text/csv' }),
  checkpointUrl: (s) => sessionUrl(s, '/checkpoint'),
  /** A new session from checkpoint bytes → 201 {id, token, dataset, config, iteration, ...}. */
  load: (bytes) => request('POST', '/api/sessions/load', { body: bytes }),
  /** Partial config → {config, rebuilt}; a 422's detail names the field. */
  patchConfig: (s, patch) => request('PATCH', sessionUrl(s, '/config'), { token: s.token, body: patch }),
  /** Image sessions' background jobs → 202 {job}; GET /api/jobs/{job} → {state, progress, result, ...}. */
  startMetrics: (s, body) => request('POST', sessionUrl(s, '/metrics'), { token: s.token, body }),
  startExperiment: (s, body) => request('POST', sessionUrl(s, '/experiment'), { token: s.token, body }),
  job: (job) => request('GET', `/api/jobs/${encodeURIComponent(job)}`),
  cancelJob: (s, job) => request('DELETE', `/api/jobs/${encodeURIComponent(job)}`, { token: s.token }),
  exportUrl: (s, n, format) => sessionUrl(s, `/export?n=${n}&format=${format}`),
  /** Saved sessions: save (body {name?, keep?}) → entry; list → {saved, skipped}; resume → 201 like create. */
  save: (s, body) => request('POST', sessionUrl(s, '/save'), { token: s.token, body }),
  saved: () => request('GET', '/api/saved'),
  /** FID reference values measured by benchmarks/fid_reference.py (a static file of the page). */
  fidReference: () => request('GET', '/data/fid-reference.json'),
  resume: (name) => request('POST', `/api/saved/${encodeURIComponent(name)}/resume`),
};

/** GET /api/datasets {default, default_config, datasets: [{name, title, view, modes_total}]} → datasets with their config. */
export function normalizeDatasets(json) {
  const list = json && json.datasets;
  if (!Array.isArray(list) || !list.length || !list.every((d) => typeof d.name === 'string')) {
    throw new Error(`/api/datasets: unexpected answer ${JSON.stringify(json).slice(0, 120)}`);
  }
  return list.map((d) => ({ ...d, config: d.default_config || json.default_config || null }));
}

/** The websocket URL of a session (with its token: a writable socket). */
export function socketUrl(s) {
  const proto = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return `${proto}://${window.location.host}/ws/sessions/${s.id}?token=${encodeURIComponent(s.token)}`;
}
