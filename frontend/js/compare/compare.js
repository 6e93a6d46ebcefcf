// compare/compare.js — compare mode: a second session B (same dataset and seed, its own config) stepped in lockstep with A, drawn beside it and overlaid on the charts.

import { api, socketUrl, formatDetail } from '../core/api.js';
import { Transport } from '../core/transport.js';
import { framePump } from '../core/pump.js';
import { FrameHistory } from '../lab/timeline.js';
import { DistributionPlot } from '../plots/distribution.js';
import { keepSized, fmt } from '../plots/common.js';
import { makeInput } from '../lab/controls.js';
import { propByName, parseValue, configPatchFor, getPath, clone, tidy } from '../core/state.js';
import { byTestId } from '../core/dom.js';

/** What B's compact editor offers (A keeps the full editor on the left). */
const B_PROPS = ['config.loss', 'config.generator.lr', 'config.discriminator.lr', 'config.k_d'];
const SHORT_LABELS = { 'config.loss': 'Loss', 'config.generator.lr': 'G lr', 'config.discriminator.lr': 'D lr', 'config.k_d': 'k_D' };

/** B's starting config: A's, with the other one of the two classic losses (minimax ↔ non-saturating). */
export function contrastConfig(config) {
  const b = clone(config);
  b.loss = config.loss === 'minimax' ? 'nonsaturating' : 'minimax';
  return b;
}

/** One line describing a config for a plot caption. */
export function describeConfig(c) {
  return c ? `${c.loss} · lr G ${tidy(c.generator.lr)} / D ${tidy(c.discriminator.lr)} · k_D ${c.k_d}` : '';
}

export class Compare {
  /**
   * `host`: {state, session() → A's {id, token}, customData() → null | {points} | {csv: Blob},
   * charts, live() → false while the timeline shows history, error(msg), notice(msg)}.
   */
  constructor(host, Plotly) {
    this.host = host;
    this.b = null; // B's {id, token} while compare mode is on
    this.config = null;
    this.active = false;
    this.toggle = byTestId('compare-toggle');
    this.cell = document.getElementById('cell-b');
    this.counter = byTestId('iteration-counter-b');
    this.summary = document.getElementById('b-summary');
    this.dist = new DistributionPlot(byTestId('plot-distribution-b'), Plotly);
    keepSized(this.dist.div, Plotly);
    this.history = new FrameHistory();
    this.transport = new Transport();
    this.inputs = {};
    this.buildEditor(document.getElementById('b-editor'));
    framePump(this.transport, {
      received: (f) => this.received(f),
      render: (f) => this.render(f),
      error: (msg) => host.error(`B: ${msg}`),
    });
    this.transport.onMessage((m) => this.onMessage(m));
    this.transport.onStatus((s) => s.state === 'open' && this.onOpen());
    this.toggle.addEventListener('change', () => (this.toggle.checked ? this.enter() : this.exit()));
  }

  buildEditor(root) {
    B_PROPS.forEach((name) => {
      const prop = propByName[name];
      const el = makeInput(prop, 'b-');
      el.addEventListener('change', () => {
        try {
          this.send({ cmd: 'config', config: configPatchFor(name, parseValue(prop, el.value), this.config) });
        } catch (e) {
          this.host.error(`B: ${e.message}`);
          this.syncEditor();
        }
      });
      const label = document.createElement('label');
      label.append(SHORT_LABELS[name], el);
      root.appendChild(label);
      this.inputs[name] = el;
    });
  }

  syncEditor() {
    if (!this.config) return;
    Object.entries(this.inputs).forEach(([name, el]) => { el.value = tidy(getPath({ config: this.config }, name)); });
  }

  async enter() {
    this.toggle.disabled = true;
    const { state } = this.host;
    try {
      const data = this.host.customData();
      const custom = state.dataset === 'drawn' || state.dataset === 'csv';
      if (custom && !data) throw new Error('draw or upload the points again first (B needs them too)');
      const b = await api.create({ dataset: custom ? 'gaussians' : state.dataset, seed: state.seed, config: contrastConfig(state.config) });
      this.b = { id: b.id, token: b.token };
      this.config = b.config;
      if (custom && data.points) await api.putPoints(this.b, data.points);
      if (custom && data.csv) await api.putCsv(this.b, data.csv);
      await api.link(this.host.session(), this.b);
      this.show(true);
      this.transport.connect(socketUrl(this.b));
      this.host.notice('Compare mode: B follows A step for step from the same seed — change B under its plot');
    } catch (e) {
      this.host.error(`Compare mode: ${e.message}`);
      await this.exit();
    } finally {
      this.toggle.disabled = false;
    }
  }

  /** Leave compare mode: unlink, end B. */
  async exit() {
    const b = this.b;
    this.b = null;
    this.transport.close();
    this.show(false);
    if (!b) return;
    await api.unlink(this.host.session()).catch((e) => this.host.error(`Unlink: ${e.message}`));
    await api.remove(b).catch(() => {});
  }

  /** The page is going away: end B without waiting (A's end unlinks it anyway). */
  end() {
    if (!this.b) return;
    this.transport.close();
    api.remove(this.b).catch(() => {});
    this.b = null;
  }

  show(on) {
    this.active = on;
    this.toggle.checked = on;
    this.cell.hidden = !on;
    document.body.classList.toggle('comparing', on);
    this.host.charts.setCompare(on);
    this.history.clear();
    this.counter.textContent = '0';
    this.dist.setLayers(this.host.state.layers);
    this.syncEditor();
  }

  /** Forward a command to B (resets, points, DRS: what must stay the same on both sides). */
  send(cmd) {
    if (this.active) this.transport.send(cmd);
  }

  /** Link again after a reset: the server pauses B, resets both from A's seed, and lockstep goes on from 0. */
  relink() {
    if (this.b) api.link(this.host.session(), this.b).catch((e) => this.host.error(`Relink: ${e.message}`));
  }

  /** An uploaded CSV goes to B too. */
  async forwardCsv(blob) {
    if (this.b) await api.putCsv(this.b, blob);
  }

  onOpen() {
    const { drs } = this.host.state;
    this.send({ cmd: 'drs', on: drs.on, percentile: drs.percentile });
    this.send({ cmd: 'snapshot' });
  }

  onMessage(m) {
    if (m.config) {
      this.config = clone(m.config);
      this.syncEditor();
    }
    if (m.type === 'reset') {
      this.history.clear();
      this.host.charts.clear('b');
    } else if (m.type === 'error') {
      this.host.error(`B: ${formatDetail(m.detail)}`);
      this.syncEditor();
    } else if (m.type === 'alarm') {
      this.alarm(m);
    }
  }

  received(frame) {
    this.history.push(frame);
    this.host.charts.push(frame.header, 'b');
    return this.host.live();
  }

  render(frame) {
    const h = frame.header;
    const m = h.metrics || {};
    this.dist.update(h.view, frame.sections, h.iteration);
    this.counter.textContent = String(h.iteration);
    const modes = m.modes_total ? ` · modes ${m.modes_captured} / ${m.modes_total}` : '';
    this.summary.textContent = `JS ${fmt(m.js, 3)}${modes}`;
    this.alarm(h.alarm);
  }

  alarm(a) {
    const on = Boolean(a && a.active);
    this.cell.classList.toggle('collapsed', on);
    this.summary.title = on ? `${a.message || ''} ${a.cause || ''}` : '';
  }

  /** Show B at (or just before) `iteration` from its history; null: its newest frame. */
  showAt(iteration) {
    if (!this.active) return;
    const f = iteration === null ? this.history.newest : this.history.nearest(iteration);
    if (f) this.render(f);
  }

  setLayers(layers) {
    this.dist.setLayers(layers);
  }
}
