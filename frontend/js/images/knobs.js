// images/knobs.js — the image GAN's config editors (one declarative table): PATCH on change, the server's 4xx shown next to the control.

import { getPath, setPath } from '../core/state.js';
import { configRules } from '../core/limits.js';

/**
 * Each editor: test id, config path, label and tooltip (`step`: the spinner's step); `only` limits it
 * to one model. Type, options and bounds come from the image config's JSON schema (GET /api/limits):
 * hints for the editor, the server is the judge.
 */
export const IMAGE_KNOBS = [
  { id: 'model-select', path: 'model', label: 'Model', help: 'mlp: vanilla GAN · dcgan: convolutional · cgan: label-conditioned (one row per class)' },
  { id: 'latent-dim-input', path: 'latent_dim', label: 'Latent dim', help: 'size of the noise vector z' },
  { id: 'image-loss-select', path: 'loss', label: 'Loss', help: 'GAN losses and f-GAN divergences' },
  { id: 'image-lr-d', path: 'discriminator.lr', step: 0.0001, label: 'D learning rate' },
  { id: 'image-lr-g', path: 'generator.lr', step: 0.0001, label: 'G learning rate' },
  { id: 'image-beta1', path: 'betas.0', schema: 'generator.betas.0', step: 0.05, label: 'Adam β1', help: 'β1 of both Adam optimizers (DCGAN: 0.5)' },
  { id: 'image-batch-input', path: 'batch_size', label: 'Batch size' },
  { id: 'image-k-d', path: 'k_d', label: 'D updates / it', help: 'D updates per iteration (the D:G ratio with the next)' },
  { id: 'image-k-g', path: 'k_g', label: 'G updates / it', help: 'G updates per iteration' },
  { id: 'image-output-select', path: 'output', label: 'G output', help: 'tanh with data in [−1, 1], or sigmoid with data in [0, 1]' },
  { id: 'image-g-batchnorm', path: 'generator.batchnorm', label: 'BatchNorm in G' },
  { id: 'image-g-activation', path: 'generator.activation', label: 'G activation' },
  { id: 'image-d-activation', path: 'discriminator.activation', label: 'D activation' },
  { id: 'image-leaky-slope', path: 'leaky_slope', step: 0.05, label: 'LeakyReLU α' },
  { id: 'image-d-dropout', path: 'discriminator.dropout', step: 0.1, label: 'Dropout in D' },
  { id: 'image-label-smoothing', path: 'label_smoothing', step: 0.05, label: 'Label smoothing', help: 'one-sided: D\'s target for real images is 1 − s' },
  { id: 'image-instance-noise', path: 'instance_noise', step: 0.05, label: 'Instance noise σ', help: 'Gaussian noise on D\'s inputs, in data units' },
  { id: 'image-gp-weight', path: 'gp_weight', step: 1, label: 'GP weight', help: 'gradient penalty λ (wgan-gp only)' },
  { id: 'image-conditioning-select', path: 'conditioning', label: 'Conditioning', only: 'cgan', help: 'how D sees the label: one-hot concatenation or projection' },
];

/** A knob with the server's rules for its field (type, options, min, max). */
function withRules(knob) {
  return { ...configRules('image', knob.schema || knob.path), ...knob };
}

/** The value an editor shows for `knob` in `config` (β1 is the generator's). */
function valueOf(config, knob) {
  return knob.path === 'betas.0' ? getPath(config, 'generator.betas.0') : getPath(config, knob.path);
}

/** The partial config for `knob` = `value` (β1 goes to both optimizers, each keeping its β2). */
export function knobPatch(knob, value, config) {
  const patch = {};
  if (knob.path === 'betas.0') {
    ['generator', 'discriminator'].forEach((net) => { patch[net] = { betas: [value, config[net].betas[1]] }; });
  } else {
    setPath(patch, knob.path, value);
  }
  return patch;
}

function parse(knob, el) {
  if (knob.type === 'bool') return el.checked;
  if (knob.type === 'enum') return el.value;
  const v = Number(el.value);
  if (el.value.trim() === '' || !Number.isFinite(v)) throw new Error(`"${el.value}" is not a number`);
  if (knob.type === 'int' && !Number.isInteger(v)) throw new Error(`"${el.value}" is not a whole number`);
  return v;
}

function makeEditor(knob) {
  let el;
  if (knob.type === 'enum') {
    el = document.createElement('select');
    knob.options.forEach((o) => el.add(new Option(o, o)));
  } else {
    el = document.createElement('input');
    el.type = knob.type === 'bool' ? 'checkbox' : 'number';
    if (knob.min !== undefined) el.min = knob.min;
    if (knob.max !== undefined) el.max = knob.max;
    if (knob.type !== 'bool') el.step = knob.type === 'int' ? 1 : knob.step || 'any';
  }
  el.dataset.testid = knob.id;
  el.setAttribute('aria-label', knob.label);
  return el;
}

export class ImageKnobs {
  /** `root`: the editors' container; `deps`: {patch(partial) → Promise<{config, rebuilt}>} (the socket's `config` message tells the rest of the page). */
  constructor(root, deps) {
    this.deps = deps;
    this.config = null;
    this.rows = IMAGE_KNOBS.map(withRules).map((knob) => {
      const label = document.createElement('label');
      label.className = 'knob-field';
      if (knob.help) label.title = knob.help;
      const name = document.createElement('span');
      name.textContent = knob.label;
      const el = makeEditor(knob);
      const err = document.createElement('span');
      err.className = 'knob-error';
      err.dataset.testid = `${knob.id}-error`;
      err.setAttribute('role', 'alert');
      label.append(name, el, err);
      root.appendChild(label);
      el.addEventListener('change', () => this.edit(knob, el, err));
      return { knob, el, err, label };
    });
  }

  /** Model choices from the server (`image_models`), when it names them. */
  setModels(models) {
    if (!Array.isArray(models) || !models.length) return;
    const sel = this.rows.find((r) => r.knob.path === 'model').el;
    sel.replaceChildren(...models.map((m) => new Option(m, m)));
    if (this.config) this.sync(this.config);
  }

  async edit(knob, el, err) {
    let value;
    try {
      value = parse(knob, el);
    } catch (e) {
      this.fail(err, `${knob.label}: ${e.message}`);
      return;
    }
    if (!this.config) return;
    el.disabled = true;
    try {
      const result = await this.deps.patch(knobPatch(knob, value, this.config));
      err.textContent = '';
      this.sync(result.config);
    } catch (e) {
      this.fail(err, e.detail || e.message);
    } finally {
      el.disabled = false;
    }
  }

  /** Say what was wrong next to the control and show the confirmed value again. */
  fail(err, message) {
    err.textContent = message;
    err.title = message;
    if (this.config) this.sync(this.config);
  }

  /** Show the session's confirmed config; knobs of another model and irrelevant ones are greyed out. */
  sync(config) {
    this.config = config;
    this.rows.forEach(({ knob, el, label }) => {
      const v = valueOf(config, knob);
      if (v === undefined) return;
      if (knob.type === 'bool') el.checked = Boolean(v);
      else el.value = String(v);
      const off = (knob.only && knob.only !== config.model) || (knob.path === 'gp_weight' && config.loss !== 'wgan-gp');
      label.classList.toggle('inactive', Boolean(off));
    });
  }

  /** Forget shown errors (a new session). */
  clearErrors() {
    this.rows.forEach(({ err }) => { err.textContent = ''; });
  }
}
