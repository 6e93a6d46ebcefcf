// lab/controls.js — DOM inputs <-> state -> websocket commands (top bar, hyperparameter and cure editors, layer and DRS toggles).

import {
  PROPS, LAYERS, propByName, getPath, parseValue, configPatchFor, tidy,
} from '../core/state.js';
import { byTestId } from '../core/dom.js';
import { applyBounds, commandRules } from '../core/limits.js';

/** The data-testid of a config field's editor: config.generator.lr → cfg-generator-lr. */
export const configTestId = (name) => 'cfg-' + name.replace(/^config\./, '').replace(/\./g, '-');

const NET_ROWS = PROPS.filter((p) => p.group === 'net' && p.net === 'generator').map((p) => p.row);
const TRAIN_PROPS = PROPS.filter((p) => p.group === 'train');
const CURE_PROPS = PROPS.filter((p) => p.group === 'cure');
/** Titles of the point datasets made from the user's input (not in /api/datasets). */
const CUSTOM_DATASETS = { drawn: 'Your drawing', csv: 'Uploaded points' };

/** An editor for a config property; `prefix` tells a second session's editors apart (e.g. 'b-'). */
export function makeInput(prop, prefix = '') {
  let el;
  if (prop.type === 'enum') {
    el = document.createElement('select');
    prop.options.forEach((o) => el.add(new Option(o, o)));
  } else {
    el = document.createElement('input');
    el.type = 'number';
    if (prop.min !== undefined) el.min = prop.min;
    if (prop.max !== undefined) el.max = prop.max;
    el.step = prop.type === 'int' ? 1 : prop.step || 'any';
  }
  el.dataset.testid = prefix + configTestId(prop.name);
  el.dataset.prop = prop.name;
  el.setAttribute('aria-label', `${prop.net ? prop.net + ' ' : ''}${prop.label}`);
  return el;
}

function cell(tag, content, cls) {
  const c = document.createElement(tag);
  if (cls) c.className = cls;
  if (typeof content === 'string') c.textContent = content;
  else if (content) c.appendChild(content);
  return c;
}

export class Controls {
  /**
   * `state`: the state object. Controls write only the client-side fields (layers); config, seed,
   * speed, slow motion and running change when the server confirms them (main.js applies its messages).
   * `actions`: {send(cmd), changeDataset(name), changed(), error(msg), layers(layers), running(bool),
   * iteration() → the iteration on screen, runTo(until) → the page shows the progress to `until`}.
   */
  constructor(state, actions) {
    this.state = state;
    this.actions = actions;
    this.inputs = {};
    this.buildHyperparameters(document.getElementById('hyper-nets'));
    this.buildGrid(document.getElementById('hyper-train'), TRAIN_PROPS);
    this.buildGrid(document.getElementById('hyper-cures'), CURE_PROPS);
    this.bindTabs();
    this.bindTopBar();
    this.bindDrs();
    this.bindLayers();
    this.bindKeys();
  }

  buildHyperparameters(netTable) {
    const head = cell('tr', null);
    ['', 'Generator', 'Discriminator'].forEach((t, i) => head.appendChild(cell('th', t, ['', 'g', 'd'][i])));
    netTable.appendChild(cell('thead', head));
    const body = document.createElement('tbody');
    NET_ROWS.forEach((row) => {
      const tr = cell('tr', null);
      tr.dataset.row = row;
      tr.appendChild(cell('th', propByName['config.generator.' + row].label));
      ['generator', 'discriminator'].forEach((net) => tr.appendChild(cell('td', this.addInput(propByName[`config.${net}.${row}`]))));
      body.appendChild(tr);
    });
    netTable.appendChild(body);
  }

  /** A two-column grid of labelled editors. */
  buildGrid(grid, props) {
    props.forEach((prop) => {
      const label = cell('label', null, 'train-field');
      if (prop.help) label.title = prop.help;
      label.appendChild(cell('span', prop.label));
      label.appendChild(this.addInput(prop));
      grid.appendChild(label);
    });
  }

  /** The hyperparameter tabs: buttons [data-hyper-tab=name] show the pane [data-hyper-pane=name]. */
  bindTabs() {
    const buttons = [...document.querySelectorAll('[data-hyper-tab]')];
    const show = (name) => {
      buttons.forEach((b) => b.setAttribute('aria-selected', String(b.dataset.hyperTab === name)));
      document.querySelectorAll('[data-hyper-pane]').forEach((pane) => { pane.hidden = pane.dataset.hyperPane !== name; });
    };
    buttons.forEach((b) => b.addEventListener('click', () => show(b.dataset.hyperTab)));
    show(buttons[0].dataset.hyperTab);
  }

  addInput(prop) {
    const el = makeInput(prop);
    el.addEventListener('change', () => this.editConfig(prop, el));
    this.inputs[prop.name] = el;
    return el;
  }

  editConfig(prop, el) {
    let value;
    try {
      value = parseValue(prop, el.value);
    } catch (e) {
      this.actions.error(`${prop.label}: "${el.value}" is not a valid value`);
      this.syncConfig();
      return;
    }
    this.actions.send({ cmd: 'config', config: configPatchFor(prop.name, value, this.state.config) });
  }

  /** Wire an input/select/checkbox: on change parse it as `prop` and call fn(value). */
  bindField(testid, propName, fn) {
    const el = byTestId(testid);
    const prop = propByName[propName];
    el.addEventListener('change', () => {
      const raw = el.type === 'checkbox' ? String(el.checked) : el.value;
      let v;
      try {
        v = parseValue(prop, raw);
      } catch (e) {
        this.actions.error(e.message);
        this.syncUi();
        return;
      }
      fn(v);
    });
    return el;
  }

  bindTopBar() {
    const send = (cmd) => this.actions.send(cmd);
    byTestId('play-button').addEventListener('click', () => this.togglePlay());
    byTestId('step-button').addEventListener('click', () => send({ cmd: 'step', n: 1, part: 'both' }));
    byTestId('step-d-button').addEventListener('click', () => send({ cmd: 'step', n: 1, part: 'd' }));
    byTestId('step-g-button').addEventListener('click', () => send({ cmd: 'step', n: 1, part: 'g' }));
    byTestId('reset-button').addEventListener('click', () => send({ cmd: 'reset', seed: this.state.seed }));
    byTestId('run-n-button').addEventListener('click', () => this.runN());
    byTestId('run-n-input').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') this.runN(); });
    this.bindField('dataset-select', 'dataset', (v) => this.actions.changeDataset(v));
    [['seed-input', 'seed'], ['speed-input', 'speed'], ['stage-ms-input', 'stageMs'], ['drs-percentile', 'drs.percentile']]
      .forEach(([id, name]) => applyBounds(byTestId(id), propByName[name]));
    this.until = commandRules('play', 'until'); // Run N stops at an iteration the server accepts
    applyBounds(byTestId('run-n-input'), { min: this.until.min, max: this.until.max });
    // seed, speed and stage duration change in the state when the server confirms them
    this.bindField('seed-input', 'seed', (v) => send({ cmd: 'reset', seed: v }));
    this.bindField('speed-input', 'speed', (v) => send({ cmd: 'speed', iterations_per_frame: v }));
    this.bindField('stage-ms-input', 'stageMs', (v) => this.sendSlowmo(this.state.slowmo, v));
    byTestId('slowmo-toggle').addEventListener('change', (ev) => this.sendSlowmo(ev.target.checked, this.state.stageMs));
  }

  /** Train exactly N more iterations from the one on screen, then pause (the server stops at `until`). */
  runN() {
    const el = byTestId('run-n-input');
    const n = Number(el.value);
    const until = this.actions.iteration() + n;
    if (!Number.isInteger(n) || n < this.until.min || until > this.until.max) {
      const most = (this.until.max - this.actions.iteration()).toLocaleString('en-US');
      this.actions.error(`Run N: "${el.value}" is not a whole number of iterations from ${this.until.min} to ${most}`);
      return;
    }
    this.state.running = true;
    this.actions.send({ cmd: 'play', until });
    this.setRunning(true);
    this.actions.runTo(until);
  }

  sendSlowmo(on, stageMs) {
    this.actions.send({ cmd: 'slowmo', on, stage_ms: stageMs });
  }

  togglePlay() {
    this.state.running = !this.state.running;
    this.actions.send({ cmd: this.state.running ? 'play' : 'pause' });
    this.setRunning(this.state.running);
  }

  bindLayers() {
    LAYERS.forEach((layer) => {
      this.bindField('layer-' + layer, 'layers.' + layer, (v) => {
        this.state.layers[layer] = v;
        this.actions.layers(this.state.layers);
        this.actions.changed();
      });
    });
  }

  bindKeys() {
    document.addEventListener('keydown', (ev) => {
      const tag = ev.target.tagName;
      if (['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(tag) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      if (ev.key === ' ') {
        ev.preventDefault();
        this.togglePlay();
      } else if (ev.key === 's') {
        this.actions.send({ cmd: 'step', n: 1, part: 'both' });
      }
    });
  }

  /** Fill the dataset select: list of {name, title}; `images` (image datasets) go in an "Images" group, unavailable ones disabled. */
  setDatasets(list, images = []) {
    const sel = byTestId('dataset-select');
    sel.replaceChildren(...list.map((d) => new Option(d.title || d.name, d.name)));
    if (images.length) {
      const group = document.createElement('optgroup');
      group.label = 'Images';
      images.forEach((d) => {
        const o = new Option(d.title || d.name, d.name);
        o.disabled = !d.available;
        o.title = d.note || (d.available ? '' : 'not available');
        group.appendChild(o);
      });
      sel.appendChild(group);
    }
    this.syncUi();
  }

  /** A drawn / uploaded dataset gets its own (not selectable) option while it is the session's. */
  showDataset(name) {
    const sel = byTestId('dataset-select');
    [...sel.options].filter((o) => o.value in CUSTOM_DATASETS && o.value !== name).forEach((o) => o.remove());
    if (name in CUSTOM_DATASETS && ![...sel.options].some((o) => o.value === name)) {
      const o = new Option(CUSTOM_DATASETS[name], name);
      o.disabled = true;
      sel.add(o);
    }
    sel.value = name;
  }

  bindDrs() {
    const send = (on, percentile) => this.actions.send({ cmd: 'drs', on, percentile });
    this.bindField('drs-toggle', 'drs.on', (v) => send(v, this.state.drs.percentile));
    this.bindField('drs-percentile', 'drs.percentile', (v) => send(this.state.drs.on, v));
  }

  /** Show running / paused; `confirmed` when the server said so (data-confirmed, for tests and styling). */
  setRunning(running, confirmed = false) {
    this.state.running = running;
    const b = byTestId('play-button');
    if (confirmed) b.dataset.confirmed = String(running);
    b.textContent = running ? 'Pause' : 'Play';
    b.setAttribute('aria-pressed', String(running));
    b.classList.toggle('running', running);
    this.actions.running(running);
  }

  setSlowmo(on) {
    this.state.slowmo = on;
    byTestId('slowmo-toggle').checked = on;
  }

  /** Show the confirmed config in the editors (and grey out fields the choice makes irrelevant). */
  syncConfig() {
    const cfg = this.state.config;
    Object.entries(this.inputs).forEach(([name, el]) => {
      const v = getPath(this.state, name);
      if (v !== undefined) el.value = tidy(v);
    });
    ['generator', 'discriminator'].forEach((net) => {
      const opt = cfg[net] && cfg[net].optimizer;
      const irrelevant = { 'betas.0': opt !== 'adam', 'betas.1': opt !== 'adam', momentum: opt === 'adam' };
      Object.entries(irrelevant).forEach(([row, off]) => this.inputs[`config.${net}.${row}`].classList.toggle('inactive', off));
    });
    this.inputs['config.gp_weight'].classList.toggle('inactive', cfg.loss !== 'wgan-gp');
    this.inputs['config.instance_noise_anneal'].classList.toggle('inactive', !(cfg.instance_noise > 0));
  }

  /** Show the UI fields of the state (top bar and layer toggles). */
  syncUi() {
    const s = this.state;
    this.showDataset(s.dataset);
    byTestId('seed-input').value = String(s.seed);
    byTestId('speed-input').value = String(s.speed);
    byTestId('stage-ms-input').value = String(s.stageMs);
    byTestId('slowmo-toggle').checked = Boolean(s.slowmo);
    LAYERS.forEach((l) => { byTestId('layer-' + l).checked = s.layers[l]; });
    byTestId('drs-toggle').checked = s.drs.on;
    byTestId('drs-percentile').value = String(s.drs.percentile);
  }
}
