// main.js — wiring only: URL state → REST session → websocket → decoded frames → widgets, once per animation frame.

import { readURL, writeURL, clone } from './state.js';
import { Transport } from './transport.js';
import { decodeFrame } from './protocol.js';
import { Controls } from './controls.js';
import { Readouts } from './readouts.js';
import { DistributionPlot } from './plots/distribution.js';
import { createLossChart } from './plots/losses.js';
import { createMetricsChart } from './plots/metrics.js';
import { Overview } from './plots/overview.js';

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const { Plotly } = window;

const initial = readURL(window.location.search);
const state = { ...initial.state, running: false };
const session = { id: null, token: null, datasets: [], gone: false };
const transport = new Transport();
const readouts = new Readouts();
const dist = new DistributionPlot(byTestId('plot-distribution'), Plotly);
const losses = createLossChart(byTestId('plot-losses'), Plotly);
const metrics = createMetricsChart(byTestId('plot-metrics'), Plotly);
const overview = new Overview(byTestId('overview-graph'), {
  number: document.getElementById('stage-number'),
  name: byTestId('slowmo-stage'),
  step: document.getElementById('stage-step'),
  detail: document.getElementById('stage-detail'),
});
const send = (cmd) => transport.send(cmd);
const controls = new Controls(state, {
  send,
  changeDataset,
  changed: updateURL,
  error: (msg) => readouts.error(msg),
  layers: (layers) => dist.setLayers(layers),
});

// ---------------------------------------------------------------- frames: newest only, once per animation frame
let latest = null;
let scheduled = false;

transport.onFrame((buffer) => {
  try {
    latest = decodeFrame(buffer);
  } catch (e) {
    console.error(e);
    readouts.error(e.message);
    return;
  }
  if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(renderLatest);
  }
});

function renderLatest() {
  scheduled = false;
  const frame = latest;
  latest = null;
  if (!frame) return;
  try {
    render(frame.header, frame.sections);
  } catch (e) {
    console.error(e);
    readouts.error(`cannot draw frame: ${e.message}`);
  }
}

function render(h, sections) {
  readouts.update(h);
  overview.setStage(h.stage || null);
  document.body.classList.toggle('in-stage', Boolean(h.stage));
  dist.update(h.view, sections, h.iteration);
  overview.update(h, sections);
  losses.push(h.iteration, h.losses);
  metrics.push(h.iteration, h.metrics);
  window.gandojo.frames += 1;
  window.gandojo.header = h;
  window.gandojo.sections = sections;
}

// ---------------------------------------------------------------- text messages
/** hello / reset carry the session's info: dataset, seed, config, running, slowmo, stage_ms, ... */
function applyInfo(m) {
  if (m.dataset) state.dataset = m.dataset;
  if (typeof m.seed === 'number') state.seed = m.seed;
  if (typeof m.stage_ms === 'number') state.stageMs = m.stage_ms;
  if (m.config) state.config = clone(m.config);
  if ('running' in m) controls.setRunning(Boolean(m.running), true);
  if ('slowmo' in m) controls.setSlowmo(Boolean(m.slowmo));
  controls.syncUi();
  controls.syncConfig();
  updateURL();
}

const HANDLERS = {
  hello(m) {
    applyInfo(m);
    if (m.writable === false) readouts.status('Connected read-only (viewer)');
    else readouts.status(m.running ? 'Training…' : 'Connected — press Play or Step');
  },
  reset(m) {
    applyInfo(m);
    losses.clear();
    metrics.clear();
    readouts.notice(`Reset: new models for ${state.dataset}, seed ${state.seed}`);
  },
  state(m) {
    if ('running' in m) {
      controls.setRunning(Boolean(m.running), true);
      readouts.status(m.running ? 'Training…' : 'Paused');
    }
    if ('slowmo' in m) controls.setSlowmo(Boolean(m.slowmo));
    if (typeof m.iterations_per_frame === 'number') state.speed = m.iterations_per_frame;
    if (typeof m.stage_ms === 'number') state.stageMs = m.stage_ms;
    if (m.paused_reason) readouts.error(`Paused: ${m.paused_reason}`);
    controls.syncUi();
    updateURL();
  },
  config(m) {
    state.config = clone(m.config);
    controls.syncConfig();
    readouts.notice(m.rebuilt ? 'Config applied — new models (architecture or noise changed)' : 'Config applied');
    updateURL();
  },
  ack() {},
  error(m) {
    const detail = formatDetail(m.detail);
    readouts.error(`Error: ${detail}${m.field && !detail.includes(m.field) ? ` (${m.field})` : ''}`);
    controls.syncConfig();
    controls.syncUi();
  },
};

transport.onMessage((m) => {
  const handler = HANDLERS[m.type];
  if (handler) handler(m);
  else console.warn('unknown message', m);
});

transport.onStatus((s) => {
  if (s.state === 'open') {
    // the page's (URL's) cadence wins over the server's; the server confirms with `state`
    const { speed, slowmo, stageMs } = state;
    send({ cmd: 'speed', iterations_per_frame: speed });
    send({ cmd: 'slowmo', on: slowmo, stage_ms: stageMs });
    send({ cmd: 'snapshot' });
  } else if (s.state === 'closed') {
    readouts.status(`Disconnected — reconnecting (attempt ${s.attempt + 1})…`);
    if (s.attempt >= 2) checkSessionAlive();
  }
});

/** `detail` from FastAPI (a string or a list of {loc, msg}) as one line. */
function formatDetail(detail) {
  if (Array.isArray(detail)) {
    return detail.map((d) => (d && d.msg ? `${(d.loc || []).filter((x) => x !== 'body').join('.')}: ${d.msg}` : JSON.stringify(d))).join('; ');
  }
  return typeof detail === 'string' ? detail : JSON.stringify(detail);
}

// ---------------------------------------------------------------- REST + session
async function requestJSON(method, url, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(url, opts);
  const json = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(`${method} ${url}: ${res.status} ${formatDetail(json && json.detail)}`);
    err.status = res.status;
    throw err;
  }
  return json;
}

/** GET /api/datasets {default, default_config, datasets: [{name, title, view, modes_total}]} → datasets with their config. */
function normalizeDatasets(json) {
  const list = json && json.datasets;
  if (!Array.isArray(list) || !list.length || !list.every((d) => typeof d.name === 'string')) {
    throw new Error(`/api/datasets: unexpected answer ${JSON.stringify(json).slice(0, 120)}`);
  }
  return list.map((d) => ({ ...d, config: d.default_config || json.default_config || null }));
}

function baseConfig() {
  const d = session.datasets.find((x) => x.name === state.dataset);
  return d ? d.config : null;
}

async function createSession(configPatch) {
  const body = { dataset: state.dataset, seed: state.seed };
  if (Object.keys(configPatch).length) body.config = configPatch;
  try {
    return await requestJSON('POST', '/api/sessions', body);
  } catch (e) {
    if (e.status !== 422 || !body.config) throw e;
    readouts.error(`URL config ignored: ${e.message}`);
    return requestJSON('POST', '/api/sessions', { dataset: state.dataset, seed: state.seed });
  }
}

function connect(created) {
  Object.assign(session, { id: created.id, token: created.token, gone: false });
  if (created.config) state.config = clone(created.config);
  controls.syncConfig();
  window.gandojo.session = { id: created.id };
  byTestId('snapshot-link').href = `/api/sessions/${created.id}/snapshot.png`;
  const proto = window.location.protocol === 'https:' ? 'wss' : 'ws';
  transport.connect(`${proto}://${window.location.host}/ws/sessions/${created.id}?token=${encodeURIComponent(created.token)}`);
}

/** After repeated disconnects: if the server forgot the session (restart), start a new one. */
async function checkSessionAlive() {
  if (session.gone || !session.id) return;
  try {
    await requestJSON('GET', `/api/sessions/${session.id}`);
  } catch (e) {
    if (e.status !== 404) return;
    session.gone = true;
    readouts.status('Session ended on the server — starting a new one with the same settings…');
    connect(await createSession(clone(state.config)));
  }
}

/** Closing or reloading the page ends its session, so no orphan keeps training on the server. */
function endSession() {
  if (!session.id || !session.token) return;
  transport.close();
  fetch(`/api/sessions/${session.id}`, {
    method: 'DELETE', keepalive: true, headers: { Authorization: `Bearer ${session.token}` },
  }).catch(() => {});
  session.gone = true;
}

window.addEventListener('pagehide', endSession);
window.addEventListener('pageshow', (ev) => {
  if (ev.persisted) createSession(clone(state.config)).then(connect, (e) => readouts.error(e.message));
});

function changeDataset(name) {
  state.dataset = name;
  send({ cmd: 'reset', dataset: name, seed: state.seed });
  losses.clear();
  metrics.clear();
  updateURL();
}

function updateURL() {
  const query = writeURL(state, baseConfig());
  window.history.replaceState(null, '', `${window.location.pathname}?${query}`);
}

async function start() {
  readouts.status('Loading…');
  controls.syncUi();
  controls.syncConfig();
  initial.errors.forEach((e) => readouts.error(`URL: ${e}`));
  session.datasets = normalizeDatasets(await requestJSON('GET', '/api/datasets'));
  if (!session.datasets.some((d) => d.name === state.dataset)) {
    readouts.error(`Unknown dataset "${state.dataset}" — using ${session.datasets[0].name}`);
    state.dataset = session.datasets[0].name;
  }
  controls.setDatasets(session.datasets);
  requestJSON('GET', '/api/presets').then((p) => controls.setPresets(p.presets || []),
    (e) => readouts.error(`Presets unavailable: ${e.message}`));
  readouts.status('Creating session…');
  connect(await createSession(initial.configPatch));
}

// a handle for the console and the end-to-end tests
window.gandojo = { state, session, send, frames: 0, widgets: { dist, losses, metrics, overview } };
start().catch((e) => {
  console.error(e);
  readouts.error(`Could not start: ${e.message}`);
});
