// lab/files.js — data in and out of a session: CSV upload of example points, checkpoint save (download) and load, pre-trained start.

import { api } from '../core/api.js';
import { byTestId } from '../core/dom.js';
import { commandRules, limits } from '../core/limits.js';

export class Files {
  /**
   * `actions`: {session() → {id, token}, switchTo(created), recreate({pretrained}) → Promise,
   * csvApplied(blob), notice(msg), error(msg)}.
   */
  constructor(state, actions) {
    this.state = state;
    this.actions = actions;
    this.pretrainedFor = null;
    this.onFile('csv-upload', (file) => this.uploadCsv(file));
    const most = commandRules('points', 'points').maxItems.toLocaleString('en-US');
    const mb = (limits().server.max_csv_bytes / 1e6).toLocaleString('en-US');
    byTestId('csv-upload').closest('label').title = `x,y rows (optional header), at most ${most} points / ${mb} MB`;
    this.onFile('checkpoint-load', (file) => this.load(file));
    byTestId('pretrained-toggle').addEventListener('change', (ev) => this.pretrained(ev.target.checked));
  }

  /** Call fn(file) when a file is chosen; the input is emptied so the same file can be chosen again. */
  onFile(testid, fn) {
    const input = byTestId(testid);
    input.addEventListener('change', () => {
      const file = input.files && input.files[0];
      input.value = '';
      if (file) fn(file).catch((e) => this.actions.error(e.message));
    });
  }

  /** The session changed: the Save link downloads its checkpoint. */
  setSession(s) {
    byTestId('checkpoint-save').href = api.checkpointUrl(s);
    this.sync();
  }

  /** The datasets with a pre-trained model (from /api/presets; null: unknown, allow all). */
  setPretrained(datasets) {
    this.pretrainedFor = Array.isArray(datasets) ? datasets : null;
    this.sync();
  }

  sync() {
    const box = byTestId('pretrained-toggle');
    const { dataset, pretrained } = this.state;
    const offered = !this.pretrainedFor || this.pretrainedFor.includes(dataset);
    box.checked = pretrained;
    box.disabled = !offered && !pretrained;
    box.parentElement.title = offered ? 'Start from a model trained in advance (like GAN Lab\'s pre-trained models)'
      : `No pre-trained model for ${dataset}; there are: ${this.pretrainedFor.join(', ')}`;
  }

  async uploadCsv(file) {
    try {
      await api.putCsv(this.actions.session(), file);
    } catch (e) {
      if (e.status === 413) throw new Error(`CSV "${file.name}" is too large: ${e.detail}`);
      throw new Error(`CSV "${file.name}" refused: ${e.detail || e.message}`);
    }
    this.actions.csvApplied(file);
    this.actions.notice(`Training on the points of "${file.name}"`);
  }

  async load(file) {
    const bytes = await file.arrayBuffer();
    let created;
    try {
      created = await api.load(bytes);
    } catch (e) {
      throw new Error(`Checkpoint "${file.name}" refused: ${e.detail || e.message}`);
    }
    await this.actions.switchTo(created);
    this.actions.notice(`Loaded "${file.name}": ${created.dataset}, iteration ${created.iteration}`);
  }

  async pretrained(on) {
    const box = byTestId('pretrained-toggle');
    this.state.pretrained = on;
    try {
      await this.actions.recreate({ pretrained: on });
    } catch (e) {
      this.state.pretrained = !on;
      box.checked = !on;
      this.actions.error(e.status === 422 ? `Pre-trained start not available: ${e.detail}` : e.message);
    }
  }
}
