// lab/presets.js — the mode-collapse lab's presets (for the current dataset, grouped by kind, with their one-line explanation) and one-click knobs.

import { configDiff } from '../core/state.js';
import { byTestId } from '../core/dom.js';

const KINDS = [
  ['default', 'Defaults'],
  ['balanced', 'Balanced'],
  ['provocation', 'Provoke a collapse'],
  ['cure', 'Cures'],
];
const NO_PRESET_HINT = 'Presets: balanced starting points, configurations that provoke a mode collapse, and their cures.';

export class Lab {
  /** `actions`: {send(cmd), changed()} — changed() after the chosen preset changes (URL). */
  constructor(state, actions) {
    this.state = state;
    this.actions = actions;
    this.presets = {};
    this.select = byTestId('preset-select');
    this.explanation = byTestId('preset-explanation');
    this.knobBox = document.getElementById('knobs');
    this.select.addEventListener('change', () => this.apply(this.select.value));
  }

  /**
   * GET /api/presets: {presets: [{name, title, explanation, kind, datasets, config, cures?}],
   * knobs?: [{name, label, description|explanation, toggle?}], pretrained?: [dataset, ...]}.
   */
  setCatalog(json) {
    const list = json && Array.isArray(json.presets) ? json.presets : [];
    this.presets = Object.fromEntries(list.filter((p) => p && typeof p.name === 'string').map((p) => [p.name, p]));
    this.renderKnobs(Array.isArray(json && json.knobs) ? json.knobs : []);
    this.sync();
  }

  /** The presets offered for a dataset (all of them for a drawn / uploaded one). */
  forDataset(name) {
    return Object.values(this.presets).filter((p) => !Array.isArray(p.datasets) || p.datasets.includes(name)
      || name === 'drawn' || name === 'csv');
  }

  /** The config a preset starts from, or null. */
  presetConfig(name) {
    return this.presets[name] ? this.presets[name].config : null;
  }

  /** Start over with preset `name` (the server answers with `reset` and `config` {preset}). */
  apply(name) {
    const preset = this.presets[name];
    this.state.preset = preset ? name : '';
    if (preset) this.actions.send({ cmd: 'preset', name });
    this.sync();
    this.actions.changed();
  }

  /** Refill the select for the current dataset (dropping a chosen preset that does not apply) and explain. */
  sync() {
    const offered = this.forDataset(this.state.dataset);
    if (this.state.preset && !offered.some((p) => p.name === this.state.preset)) this.state.preset = '';
    const groups = KINDS.map(([kind, label]) => [label, offered.filter((p) => (p.kind || 'balanced') === kind)]);
    const other = offered.filter((p) => !KINDS.some(([k]) => k === (p.kind || 'balanced')));
    if (other.length) groups.push(['Other', other]);
    const option = (p) => Object.assign(new Option(p.title || p.name, p.name), { title: p.explanation || '' });
    this.select.replaceChildren(new Option(offered.length ? 'Choose a preset…' : 'No presets', ''),
      ...groups.filter(([, ps]) => ps.length).map(([label, ps]) => {
        const g = document.createElement('optgroup');
        g.label = label;
        g.append(...ps.map(option));
        return g;
      }));
    this.select.value = this.state.preset;
    this.explain();
    this.syncKnobs();
  }

  /** Whether on/off knob `name` is on, as the server says (`knobs` in its hello / config messages); null: not said. */
  knobOn(name) {
    const served = this.state.knobs;
    return served && name in served ? Boolean(served[name]) : null;
  }

  /** On/off knobs say whether they are on in the session (aria-pressed, "· on" / "· off"). */
  syncKnobs() {
    this.knobBox.querySelectorAll('.knob[data-toggle]').forEach((b) => {
      const on = this.knobOn(b.dataset.knob);
      if (on === null) return;
      b.setAttribute('aria-pressed', String(on));
      b.querySelector('.knob-state').textContent = on ? 'on' : 'off';
    });
  }

  /** The chosen preset's one-line explanation, marked when the config has been changed since. */
  explain() {
    const p = this.presets[this.state.preset];
    this.explanation.classList.toggle('hint', !p);
    if (!p) {
      this.explanation.textContent = NO_PRESET_HINT;
      this.explanation.title = '';
      return;
    }
    const changed = this.state.config && p.config ? configDiff(p.config, this.state.config) : [];
    const kind = KINDS.find(([k]) => k === p.kind);
    const cures = (Array.isArray(p.cures) ? p.cures : []).map((c) => (this.presets[c] ? this.presets[c].title : c));
    this.explanation.replaceChildren(
      Object.assign(document.createElement('b'), { textContent: `${kind ? kind[1] : 'Preset'}: ${p.title || p.name}. ` }),
      document.createTextNode(p.explanation || ''),
      document.createTextNode(cures.length ? ` Cures: ${cures.join('; ')}.` : ''),
      Object.assign(document.createElement('span'), {
        className: 'modified', textContent: changed.length ? ` (changed since: ${changed.length} field${changed.length > 1 ? 's' : ''})` : '',
      }),
    );
    this.explanation.title = this.explanation.textContent;
  }

  renderKnobs(knobs) {
    this.knobBox.hidden = knobs.length === 0;
    const buttons = knobs.filter((k) => k && typeof k.name === 'string').map((k) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'knob';
      b.dataset.testid = `knob-${k.name}`;
      b.textContent = k.label || k.name;
      b.dataset.knob = k.name;
      if (k.toggle) {
        b.dataset.toggle = '1';
        b.append(' · ', Object.assign(document.createElement('span'), { className: 'knob-state' }));
      }
      b.title = k.explanation || k.description || '';
      b.addEventListener('click', () => this.actions.send({ cmd: 'knob', name: k.name }));
      return b;
    });
    this.knobBox.querySelector('.knob-buttons').replaceChildren(...buttons);
    this.syncKnobs();
  }
}
