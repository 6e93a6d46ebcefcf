// main.js — wiring only: URL state → REST session → websocket → decoded frames → widgets, plus compare mode, timeline, lab, drawing and files.

import { readURL, writeURL, configFromURL } from './core/state.js';
import { loadServed } from './core/catalog.js';
import { api, formatDetail, socketUrl, normalizeDatasets } from './core/api.js';
import { Transport } from './core/transport.js';
import { framePump } from './core/pump.js';
import { Controls } from './lab/controls.js';
import { Readouts } from './lab/readouts.js';
import { Lab } from './lab/presets.js';
import { Timeline } from './lab/timeline.js';
import { Compare, describeConfig } from './compare/compare.js';
import { Drawing } from './lab/drawing.js';
import { Files } from './lab/files.js';
import { SessionRequests, CUSTOM_DATASETS as CUSTOM } from './core/sessions.js';
import { applyHidden, bindShareLink, bindShareRun } from './share/share.js';
import { Presenter } from './presenter/presenter.js';
import { bindLifetime } from './core/lifetime.js';
import { RunProgress } from './lab/runprogress.js';
import { makeRender, makeDraw2d } from './core/render.js';
import { SavedPanel } from './saved/saved.js';
import { DistributionPlot } from './plots/distribution.js';
import { ChartPanel } from './plots/charts.js';
import { Overview } from './plots/overview.js';
import { keepSized } from './plots/common.js';
import { ImageView } from './images/view.js';
import { SessionKinds } from './core/kinds.js';
import { byTestId } from './core/dom.js';
import { makeViews } from './views.js';
import { LessonPanel } from './lessons/panel.js';

const { Plotly } = window;
/** Commands that must reach B as well in compare mode, so that both sides stay comparable. */
const FORWARD = new Set(['reset', 'points', 'drs']);

const served = await loadServed();
const initial = readURL(window.location.search);
const state = { ...initial.state, running: false };
/** The page's session A; `custom` keeps the last drawn points / uploaded CSV (B needs them too). */
const session = { id: null, token: null, datasets: [], imageDatasets: [], kind: '2d', gone: false, custom: null };
const transport = new Transport();
const readouts = new Readouts();
const notice = (msg) => readouts.notice(msg);
const error = (msg) => readouts.error(msg);
const presenter = new Presenter({ notice, error, changed: () => updateURL() });
const dist = new DistributionPlot(byTestId('plot-distribution'), Plotly);
keepSized(dist.div, Plotly);
const charts = new ChartPanel(document.getElementById('chart-tabs'), document.getElementById('charts'), Plotly);
const overview = new Overview(byTestId('overview-graph'), {
  number: document.getElementById('stage-number'),
  name: byTestId('slowmo-stage'),
  step: document.getElementById('stage-step'),
  detail: document.getElementById('stage-detail'),
});

/** What the user pressed before the session (or its socket) was there: applied once it is, and shown meanwhile. */
const intent = { running: null };

function send(cmd) {
  if (!presenter.allows(cmd)) return; // a viewer page controls nothing
  if (!transport.send(cmd) && (cmd.cmd === 'play' || cmd.cmd === 'pause')) {
    intent.running = cmd.cmd === 'play'; // queued: the server's hello must not flip the button back
    if (intent.running) readouts.status(session.id ? 'Starting — connecting…' : 'Starting — training begins as soon as the session is ready…');
  }
  if (FORWARD.has(cmd.cmd)) compare.send(cmd);
  if (cmd.cmd === 'reset' || cmd.cmd === 'preset') compare.relink(); // both back at iteration 0 together
  if (cmd.cmd === 'points') session.custom = { points: cmd.points };
}

const controls = new Controls(state, {
  send,
  changeDataset,
  changed: updateURL,
  error,
  layers: (layers) => { dist.setLayers(layers); compare.setLayers(layers); },
  running: (running) => timeline.setPaused(!running),
  iteration: () => (window.gandojo.header ? window.gandojo.header.iteration : 0),
  runTo: (until) => progress.runTo(until),
});

const progress = new RunProgress(byTestId('run-n-progress'), {
  status: (msg) => readouts.status(msg), notice, shown: () => (window.gandojo.header ? window.gandojo.header.iteration : 0),
});
const lab = new Lab(state, { send, changed: updateURL });
const requests = new SessionRequests(state, {
  datasets: () => session.datasets, presetConfig: (name) => lab.presetConfig(name), error,
});
const timeline = new Timeline(byTestId('timeline-slider'), document.getElementById('timeline-label'), (frame) => {
  const shown = frame || timeline.history.newest;
  if (shown) render(shown);
  charts.mark(frame ? frame.header.iteration : null);
  compare.showAt(frame ? frame.header.iteration : null);
});
const compare = new Compare({
  state, charts, notice, error,
  session: () => session,
  customData: () => session.custom,
  live: () => timeline.pinned === null,
}, Plotly);
const drawing = new Drawing(dist, document.getElementById('draw-overlay'), {
  apply: (points) => send({ cmd: 'points', points }),
  pause: () => state.running && controls.togglePlay(),
  status: (msg) => readouts.status(msg),
  error,
});
const files = new Files(state, {
  session: () => session,
  switchTo,
  recreate,
  csvApplied: (blob) => {
    session.custom = { csv: blob };
    compare.forwardCsv(blob).catch((e) => error(`B: ${e.message}`));
  },
  notice,
  error,
});
bindShareLink(byTestId('share-link'), { notice, error });
bindShareRun(byTestId('share-run-button'), { session: () => session, save: api.save, notice, error });
/** The image view (MNIST, Fashion-MNIST); the page shows it while the session's kind is 'image'. */
const images = new ImageView(document.getElementById('image-view'), document.querySelector('.panel.right'), Plotly, {
  api, session: () => session, send, error, changed: (cfg) => { state.imageModel = cfg.model; updateURL(); },
});
/** What each session kind's view does (views.js); the page's session is of one kind at a time. */
const VIEWS = makeViews({
  state, charts, timeline, images, requests, send, notice, syncAll, draw2d: makeDraw2d({ state, readouts, dist, overview }),
});
const view = () => VIEWS[session.kind];
const viewOf = (kind) => VIEWS[kind] || view();
const kinds = new SessionKinds({
  state, session, views: VIEWS, create: api.create, switchTo, syncUi: () => controls.syncUi(), error,
});
const checkSessionAlive = bindLifetime({
  session, transport, compare, api, presenter, readouts, connect, create: () => requests.create(kinds.body()),
});
new SavedPanel(document.querySelector('[data-group=saved]'), { session: () => session, switchTo, notice, viewer: presenter.viewer });
// lessons/panel.js: guided steps, checks ticking live; a lesson of the other kind first switches the page's session
new LessonPanel({ session: () => session, ensureKind: (kind, dataset) => kinds.ensure(kind, dataset) });

// ---------------------------------------------------------------- frames
const render = makeRender({
  state, readouts, progress, draw: (frame) => viewOf(frame.header.kind).draw(frame), counter: byTestId('iteration-counter'), handle: () => window.gandojo,
});

framePump(transport, {
  received: (frame) => viewOf(frame.header.kind).received(frame),
  render,
  error,
});

// ---------------------------------------------------------------- text messages
/** The editors, lab, captions and URL show the state. */
function syncAll() {
  if (state.config && state.config.loss) charts.setLoss(state.config.loss);
  controls.syncUi();
  controls.syncConfig();
  lab.sync();
  files.sync();
  document.getElementById('caption-a-config').textContent = describeConfig(state.config);
  updateURL();
}

/** hello / reset carry the session's info: dataset, seed, config, running, slowmo, stage_ms, ... */
function applyInfo(m) {
  if (m.dataset) state.dataset = m.dataset;
  if (typeof m.seed === 'number') state.seed = m.seed;
  if (typeof m.stage_ms === 'number') state.stageMs = m.stage_ms;
  if (m.kind) kinds.show(m.kind);
  view().info(m);
  if ('running' in m && intent.running === null) controls.setRunning(Boolean(m.running), true);
  if ('slowmo' in m) controls.setSlowmo(Boolean(m.slowmo));
  syncAll();
}

const HANDLERS = {
  hello(m) {
    applyInfo(m);
    presenter.hello(m);
    if (m.writable === false) readouts.status('Connected read-only (viewer)');
    else if (intent.running) readouts.status('Starting…');
    else readouts.status(m.running ? 'Training…' : 'Connected — press Play or Step');
  },
  reset(m) {
    applyInfo(m);
    charts.clear('a');
    timeline.clear();
    view().reset();
    notice(CUSTOM.includes(state.dataset) ? `Training on your ${state.dataset === 'csv' ? 'uploaded' : 'drawn'} points from iteration 0`
      : `Reset: new models for ${state.dataset}, seed ${state.seed}`);
  },
  state(m) {
    if ('running' in m) {
      intent.running = null; // the server has answered what was pressed before it was there
      controls.setRunning(Boolean(m.running), true);
      if (!progress.state(m)) readouts.status(m.running ? 'Training…' : 'Paused');
    }
    if ('slowmo' in m) controls.setSlowmo(Boolean(m.slowmo));
    if (typeof m.iterations_per_frame === 'number') state.speed = m.iterations_per_frame;
    if (typeof m.stage_ms === 'number') state.stageMs = m.stage_ms;
    if (m.drs) state.drs = { on: Boolean(m.drs.on), percentile: m.drs.percentile };
    if (m.paused_reason) error(`Paused: ${m.paused_reason}`);
    if (typeof m.restored_from === 'number') notice(`Its worker was lost: restored from iteration ${m.restored_from}, the last checkpoint`);
    controls.syncUi();
    updateURL();
  },
  config: (m) => view().config(m),
  alarm: (m) => readouts.alarm(m),
  history: (m) => view().history(m),
  viewers: (m) => presenter.setCount(m.count),
  event(m) {
    if (m.event !== 'unlinked' || !compare.active) return;
    error(`B stopped following A: ${m.reason}`);
    compare.exit();
  },
  ack() {},
  job: (m) => images.jobEvent(m),
  error(m) {
    const detail = formatDetail(m.detail);
    error(`Error: ${detail}${m.field && !detail.includes(m.field) ? ` (${m.field})` : ''}`);
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
    window.gandojo.openedAt = Date.now();
    // the page's (URL's) cadence, slow motion and DRS win over the server's; the server confirms with `state`
    send({ cmd: 'speed', iterations_per_frame: state.speed });
    view().opened();
    send({ cmd: 'snapshot' });
  } else if (s.state === 'closed') {
    readouts.status(`Disconnected — reconnecting (attempt ${s.attempt + 1})…`);
    if (s.attempt >= 2 || s.code === 4404) checkSessionAlive();
  }
});

// ---------------------------------------------------------------- sessions
function connect(created) {
  Object.assign(session, { id: created.id, token: created.token, gone: false });
  kinds.show(created.kind);
  if (created.dataset) state.dataset = created.dataset;
  if (typeof created.seed === 'number') state.seed = created.seed;
  view().created(created);
  syncAll();
  window.gandojo.session = { id: created.id };
  presenter.setSession(created);
  byTestId('snapshot-link').href = `/api/sessions/${created.id}/snapshot.png`;
  files.setSession(session);
  charts.clear();
  timeline.clear();
  transport.connect(socketUrl(created));
}

/** Leave the current session for `created` (a loaded checkpoint, a pre-trained start): the old one ends. */
async function switchTo(created) {
  await compare.exit();
  const old = { id: session.id, token: session.token };
  transport.close(); // what was queued for the old session goes with it
  intent.running = null;
  if (old.id) api.remove(old).catch(() => {});
  session.custom = null;
  connect(created);
}

/** A new session with the same settings plus `extra` (e.g. {pretrained: true}); the page's drawing comes along. */
async function recreate(extra) {
  const data = CUSTOM.includes(state.dataset) ? session.custom : null;
  await switchTo(await api.create(requests.body(extra)));
  if (data && data.points) send({ cmd: 'points', points: data.points });
  if (data && data.csv) {
    await api.putCsv(session, data.csv);
    session.custom = data;
  }
}

function changeDataset(name) {
  if (kinds.kindOf(name) !== session.kind) {
    kinds.switchTo(name);
    return;
  }
  state.dataset = name;
  send({ cmd: 'reset', dataset: name, seed: state.seed });
  charts.clear();
  lab.sync();
  updateURL();
}

function updateURL() {
  const query = writeURL(state, requests.baseConfig());
  const open = new URLSearchParams(window.location.search); // the lesson panel's ?lesson=&step= stays
  const lesson = open.get('lesson') ? `&${new URLSearchParams({ lesson: open.get('lesson'), step: open.get('step') || '1' })}` : '';
  window.history.replaceState(null, '', `${window.location.pathname}?${query}${presenter.urlSuffix()}${lesson}`);
}

async function start() {
  applyHidden(state.hide);
  controls.syncUi();
  controls.syncConfig();
  initial.errors.forEach((e) => error(`URL: ${e}`));
  const { datasets, presets } = served;
  if (served.presetsError) error(`Presets unavailable: ${served.presetsError.message}`);
  session.datasets = normalizeDatasets(datasets);
  session.imageDatasets = datasets.image_datasets || [];
  kinds.setCatalog(datasets);
  images.setCatalog(datasets);
  if (!kinds.known(state.dataset)) {
    error(kinds.whyNot(state.dataset, session.datasets[0].name));
    state.dataset = session.datasets[0].name;
  }
  controls.setDatasets(session.datasets, session.imageDatasets);
  lab.setCatalog(presets);
  files.setPretrained(presets && presets.pretrained);
  if (initial.state.preset && !state.preset) error(`Preset "${initial.state.preset}" is not offered for ${state.dataset} — ignored`);
  const base = requests.baseConfig();
  state.config = configFromURL(base, initial);
  if (presenter.viewer) return connect(presenter.watched()); // a viewer link: watch, create nothing
  const run = new URLSearchParams(window.location.search).get('run');
  if (run) { // a "Share this run" link: a copy of the saved session, at its iteration
    readouts.status(`Resuming the shared run "${run}"…`);
    try {
      return connect(await api.resume(run));
    } catch (e) {
      error(`Shared run "${run}": ${e.detail || e.message} — starting fresh instead`);
    }
  }
  if (intent.running === null) readouts.status('Creating session…');
  const wanted = VIEWS[kinds.kindOf(state.dataset)];
  const pretrained = state.pretrained && wanted.pretrained && await requests.pretrained();
  connect(pretrained || await requests.create(wanted.body(base)));
}

// a handle for the console and the end-to-end tests
window.gandojo = {
  state, session, send, render, frames: 0, drawMs: [], widgets: { dist, charts, overview, timeline, compare, lab, drawing, images, readouts },
};
start().catch((e) => {
  console.error(e);
  error(`Could not start: ${e.message}`);
});
