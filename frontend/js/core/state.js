// core/state.js — all user-tunable state in one object + ONE declarative property table that drives URL (de)serialization.

import { setLimits, configRules, commandRules } from './limits.js';

export const LAYERS = ['real', 'fake', 'heatmap', 'gradients', 'manifold'];
/** Control groups a `hide=` list can hide (e.g. for a class: hide=hyperparams,presets,knobs,compare). */
export const HIDE_GROUPS = ['overview', 'hyperparams', 'cures', 'presets', 'knobs', 'compare', 'drs', 'data',
  'checkpoint', 'saved', 'timeline', 'charts'];

/** The hyperparameter rows shared by the generator and the discriminator (one definition, two nets). */
function netProps(net, key) {
  const p = `config.${net}.`;
  return [
    { name: p + 'hidden_layers', url: key + '_layers', label: 'Hidden layers' },
    { name: p + 'neurons', url: key + '_neurons', label: 'Neurons / layer' },
    { name: p + 'activation', url: key + '_act', label: 'Activation' },
    { name: p + 'optimizer', url: key + '_opt', label: 'Optimizer' },
    { name: p + 'lr', url: key + '_lr', step: 0.001, label: 'Learning rate' },
    { name: p + 'betas.0', url: key + '_beta1', step: 0.01, label: 'β1 (adam)' },
    { name: p + 'betas.1', url: key + '_beta2', step: 0.001, label: 'β2 (adam)' },
    { name: p + 'momentum', url: key + '_mom', step: 0.1, label: 'Momentum' },
  ].map((prop) => ({ ...prop, group: 'net', net, row: prop.name.slice(p.length) }));
}

/**
 * The property table. name = path into the state object; url = query key;
 * group: 'net' (G/D editor rows), 'train' (training editor), 'cure' (cures editor), 'ui' (page state),
 * 'layer' (plot toggles). Types: int, float, bool, string, enum (options), list (comma-separated options).
 * `label` and `help` (a tooltip) describe an editor. Type, bounds, options and defaults of the
 * server's fields come from GET /api/limits (applyLimits): `config.*` from the 2D config's schema,
 * `command: [cmd, field]` from a websocket command's, `image: field` from the image config's.
 */
export const PROPS = [
  { name: 'dataset', type: 'string', default: 'gaussians', url: 'dataset', group: 'ui' },
  { name: 'seed', default: 0, url: 'seed', command: ['reset', 'seed'], group: 'ui' },
  { name: 'speed', default: 0, url: 'speed', command: ['speed', 'iterations_per_frame'], group: 'ui' },
  { name: 'stageMs', default: 800, url: 'stage_ms', command: ['slowmo', 'stage_ms'], group: 'ui' },
  { name: 'preset', type: 'string', default: '', url: 'preset', group: 'ui' },
  { name: 'pretrained', type: 'bool', default: false, url: 'pretrained', group: 'ui' },
  { name: 'imageModel', url: 'model', image: 'model', group: 'ui' }, // image datasets
  { name: 'drs.on', type: 'bool', default: false, url: 'drs', group: 'ui' },
  { name: 'drs.percentile', url: 'drs_p', command: ['drs', 'percentile'], group: 'ui' },
  { name: 'hide', type: 'list', default: [], url: 'hide', options: HIDE_GROUPS, group: 'ui' },
  ...LAYERS.map((l) => ({ name: 'layers.' + l, type: 'bool', default: true, url: 'show_' + l, group: 'layer' })),
  ...netProps('generator', 'g'),
  ...netProps('discriminator', 'd'),
  { name: 'config.loss', url: 'loss', label: 'Loss' },
  { name: 'config.k_d', url: 'k_d', label: 'D steps (k_D)' },
  { name: 'config.k_g', url: 'k_g', label: 'G steps (k_G)' },
  { name: 'config.batch_size', url: 'batch', label: 'Batch size' },
  { name: 'config.noise.dim', url: 'noise_dim', label: 'Noise dim' },
  { name: 'config.noise.distribution', url: 'noise', label: 'Noise' },
  { name: 'config.heatmap_resolution', url: 'heatmap_res', label: 'Heatmap res.' },
  ...[
    { name: 'config.gp_weight', url: 'gp', step: 1, label: 'GP weight (wgan-gp)', help: 'WGAN-GP gradient penalty λ (used by the wgan-gp loss only)' },
    { name: 'config.instance_noise', url: 'inoise', step: 0.01, label: 'Instance noise σ', help: 'Gaussian noise added to real and fake samples before D sees them (data units): overlapping supports keep G\'s gradient alive' },
    { name: 'config.instance_noise_anneal', url: 'inoise_anneal', label: 'σ → 0 over (its)', help: 'iterations over which the instance noise falls linearly to 0 (0 = constant)' },
    { name: 'config.label_smoothing', url: 'smooth', step: 0.05, label: 'Label smoothing', help: 'one-sided: D\'s target for real samples is 1 − s, so D stays less confident' },
    { name: 'config.r1_weight', url: 'r1', step: 0.1, label: 'R1 penalty γ', help: 'γ/2 · E‖∇D(real)‖²: keeps D flat on the data, which damps oscillations' },
    { name: 'config.pack', url: 'pack', label: 'PacGAN pack', help: 'D judges this many samples at once, so a lack of variety gives fakes away' },
    { name: 'config.unrolled_steps', url: 'unroll', label: 'Unrolled D steps', help: 'unrolled GAN: G\'s update looks this many D steps ahead' },
  ].map((p) => ({ ...p, group: 'cure' })),
].map((p) => ({ group: 'train', ...p }));

/** The server's rules (type, min, max, options, default) for a property, or null for a page-only one. */
function serverRules(p) {
  if (p.command) return commandRules(...p.command);
  if (p.image) return configRules('image', p.image);
  if (p.name.startsWith('config.')) return configRules('2d', p.name.slice(7));
  return null;
}

/**
 * Read GET /api/limits into the table (every property of a server field gets its type, bounds,
 * options and default from there) and, when given, the server's default 2D config as the defaults
 * of the config fields (a pydantic default_factory is not in the schema).
 */
export function applyLimits(json, defaultConfig) {
  setLimits(json);
  PROPS.forEach((p) => {
    const rules = serverRules(p);
    if (!rules) return;
    const pageDefault = p.command && p.default !== undefined ? p.default : undefined;
    Object.assign(p, rules);
    if (pageDefault !== undefined) p.default = pageDefault; // the page's own start (e.g. speed 0 = as fast as it goes)
    if (defaultConfig && p.name.startsWith('config.')) {
      const v = getPath({ config: defaultConfig }, p.name);
      if (v !== undefined) p.default = v;
    }
  });
}

export const propByName = Object.fromEntries(PROPS.map((p) => [p.name, p]));

/** Read obj.a.b.0 for path 'a.b.0' (undefined when missing). */
export function getPath(obj, path) {
  return path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

/** Write obj.a.b.0 = value, creating objects (or arrays for numeric keys) on the way. */
export function setPath(obj, path, value) {
  const keys = path.split('.');
  let o = obj;
  keys.slice(0, -1).forEach((k, i) => {
    if (o[k] == null) o[k] = /^\d+$/.test(keys[i + 1]) ? [] : {};
    o = o[k];
  });
  o[keys[keys.length - 1]] = value;
}

/** A fresh state object holding every property's default. */
export function defaultState() {
  const s = { slowmo: false, config: {} };
  PROPS.forEach((p) => setPath(s, p.name, p.default));
  return s;
}

/** The default config (README's) as a plain object, e.g. for comparisons. */
export function defaultConfig() {
  return defaultState().config;
}

/** Parse a string for a property; throws an Error naming the property when it is not valid. */
export function parseValue(prop, raw) {
  const str = String(raw).trim();
  let v;
  if (prop.type === 'bool') {
    if (!['1', '0', 'true', 'false'].includes(str)) throw new Error(`${prop.url}: expected 0 or 1, got "${str}"`);
    return str === '1' || str === 'true';
  }
  if (prop.type === 'string') return str;
  if (prop.type === 'list') {
    const items = str.split(',').map((x) => x.trim()).filter(Boolean);
    const bad = items.filter((x) => !prop.options.includes(x));
    if (bad.length) throw new Error(`${prop.url}: "${bad.join(',')}" not among ${prop.options.join(', ')}`);
    return items;
  }
  if (prop.type === 'enum') {
    if (!prop.options.includes(str)) throw new Error(`${prop.url}: "${str}" is not one of ${prop.options.join(', ')}`);
    return str;
  }
  v = Number(str);
  if (str === '' || !Number.isFinite(v)) throw new Error(`${prop.url}: "${str}" is not a number`);
  if (prop.type === 'int' && !Number.isInteger(v)) throw new Error(`${prop.url}: "${str}" is not an integer`);
  return v;
}

/** A number as people write it: 0.0003, not 0.00030000000000000003 (12 significant digits at most). */
export function tidy(v) {
  return typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v) ? String(Number(v.toPrecision(12))) : String(v);
}

function formatValue(prop, v) {
  if (prop.type === 'bool') return v ? '1' : '0';
  if (prop.type === 'list') return v.map(tidy).join(',');
  return tidy(v);
}

/**
 * State from a query string. Returns {state, configPatch, named, errors}: configPatch holds only the
 * config fields the URL names (relative to the default config), `named` the table paths the URL set,
 * errors the values that were ignored.
 */
export function readURL(search) {
  const params = new URLSearchParams(search);
  const state = defaultState();
  const configPatch = {};
  const named = [];
  const errors = [];
  PROPS.forEach((p) => {
    if (!params.has(p.url)) return;
    try {
      const v = parseValue(p, params.get(p.url));
      setPath(state, p.name, v);
      named.push(p.name);
      if (p.name.startsWith('config.')) setPath(configPatch, p.name.slice(7), v);
    } catch (e) {
      errors.push(e.message);
    }
  });
  fillPairs(configPatch, state.config);
  return { state, configPatch, named, errors };
}

/** The full config a parsed URL asks for: `base` (a preset's or the dataset's config) with the URL's fields on top. */
export function configFromURL(base, parsed) {
  const cfg = clone(base);
  parsed.named.filter((n) => n.startsWith('config.')).forEach((n) => setPath({ config: cfg }, n, getPath(parsed.state, n)));
  return cfg;
}

/** Arrays (betas) go to the server whole: complete a half-given pair from the full config. */
function fillPairs(patch, full) {
  ['generator', 'discriminator'].forEach((net) => {
    const b = patch[net] && patch[net].betas;
    if (b) patch[net].betas = [0, 1].map((i) => (b[i] !== undefined ? b[i] : full[net].betas[i]));
  });
}

/**
 * Query string for the state: dataset and seed always; other properties only where they differ
 * from their default (config fields: from `baseConfig` — the chosen preset's config, else the
 * dataset's default config — when known).
 */
export function writeURL(state, baseConfig) {
  const params = new URLSearchParams();
  PROPS.forEach((p) => {
    const v = getPath(state, p.name);
    if (v === undefined) return;
    const base = baseConfig && p.name.startsWith('config.') ? getPath({ config: baseConfig }, p.name) : p.default;
    const always = p.name === 'dataset' || p.name === 'seed';
    if (always || !sameValue(v, base)) params.set(p.url, formatValue(p, v));
  });
  return params.toString();
}

export function sameValue(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) return String(a) === String(b);
  return typeof a === 'number' && typeof b === 'number' ? Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)) : a === b;
}

/**
 * The partial config to send when the property at `path` (e.g. 'config.generator.betas.0') becomes
 * `value`. Arrays are replaced whole by the server's deep merge, so a beta travels with its partner.
 */
export function configPatchFor(path, value, currentConfig) {
  const rel = path.replace(/^config\./, '');
  const keys = rel.split('.');
  const patch = {};
  if (/^\d+$/.test(keys[keys.length - 1])) {
    const arrPath = keys.slice(0, -1).join('.');
    const arr = [...(getPath(currentConfig, arrPath) || [])];
    arr[Number(keys[keys.length - 1])] = value;
    setPath(patch, arrPath, arr);
  } else {
    setPath(patch, rel, value);
  }
  return patch;
}

/** The config fields (table paths) where `a` and `b` differ: e.g. ['config.loss']. */
export function configDiff(a, b) {
  return PROPS.filter((p) => p.name.startsWith('config.'))
    .filter((p) => !sameValue(getPath({ config: a }, p.name), getPath({ config: b }, p.name)))
    .map((p) => p.name);
}

/** The partial config (only the table's fields) that turns `base` into `full`. */
export function configPatchBetween(base, full) {
  const patch = {};
  configDiff(base, full).forEach((name) => setPath(patch, name.slice(7), getPath({ config: full }, name)));
  fillPairs(patch, full);
  return patch;
}

/** Deep copy of plain JSON data. */
export function clone(x) {
  return JSON.parse(JSON.stringify(x));
}
