// core/limits.js — the server's bounds (GET /api/limits: its limits, each kind's config and the websocket commands as JSON schema) read as editor rules: type, min, max, options, default. The page keeps no copy of them.

/** The served answer: {server: {...}, config: {"2d": schema, image: schema}, commands: schema, requests: {name: schema}}. */
let served = null;

/** Keep the answer of GET /api/limits (checked loudly: without it no editor knows its bounds). */
export function setLimits(json) {
  if (!json || !json.server || !json.config || !json.config['2d'] || !json.commands) {
    throw new Error(`/api/limits: unexpected answer ${JSON.stringify(json).slice(0, 120)}`);
  }
  served = json;
}

/** The served answer (after setLimits). */
export function limits() {
  if (!served) throw new Error('limits: GET /api/limits has not been read yet');
  return served;
}

/** Follow a local `$ref` (#/$defs/Name) and drop a nullable `anyOf` [T, null] to T. */
function deref(root, node) {
  let n = node;
  for (let guard = 0; n && guard < 16; guard += 1) {
    if (n.$ref) {
      const name = n.$ref.replace(/^#\/\$defs\//, '');
      n = { ...root.$defs[name], ...Object.fromEntries(Object.entries(n).filter(([k]) => k !== '$ref')) };
    } else if (Array.isArray(n.anyOf)) {
      const [only, ...more] = n.anyOf.filter((x) => x.type !== 'null');
      if (more.length) return n;
      n = { ...only, default: n.default };
    } else {
      return n;
    }
  }
  return n;
}

/** The schema node at a dotted path ('generator.betas.0') of `root` (an object schema), or null. */
export function schemaAt(root, path) {
  let node = deref(root, root);
  for (const key of path.split('.')) {
    if (!node) return null;
    if (/^\d+$/.test(key) && Array.isArray(node.prefixItems)) node = node.prefixItems[Number(key)];
    else if (/^\d+$/.test(key) && node.items) node = node.items;
    else node = node.properties ? node.properties[key] : null;
    node = node ? deref(root, node) : null;
  }
  return node;
}

/** The schema of websocket command `cmd` (its `$defs` entry through the discriminator). */
export function commandSchema(cmd) {
  const c = limits().commands;
  const ref = c.discriminator && c.discriminator.mapping && c.discriminator.mapping[cmd];
  if (!ref) throw new Error(`limits: the server names no websocket command "${cmd}"`);
  return { $defs: c.$defs, ...deref(c, { $ref: ref }) };
}

/**
 * Editor rules of a schema node: {type: int | float | bool | enum | string, min, max, options,
 * default}; an exclusive bound becomes the nearest value an editor may show (ints: ±1; floats: the
 * bound itself, the server refuses it with a message naming the field).
 */
export function rulesOf(node) {
  if (!node) return null;
  const rules = {};
  if (Array.isArray(node.enum)) {
    rules.type = 'enum';
    rules.options = [...node.enum];
  } else {
    rules.type = { integer: 'int', number: 'float', boolean: 'bool' }[node.type] || 'string';
  }
  const int = rules.type === 'int';
  if (node.minimum !== undefined) rules.min = node.minimum;
  else if (node.exclusiveMinimum !== undefined) rules.min = node.exclusiveMinimum + (int ? 1 : 0);
  if (node.maximum !== undefined) rules.max = node.maximum;
  else if (node.exclusiveMaximum !== undefined) rules.max = node.exclusiveMaximum - (int ? 1 : 0);
  if (node.exclusiveMinimum !== undefined) rules.exclusiveMin = true;
  if (node.exclusiveMaximum !== undefined) rules.exclusiveMax = true;
  if (node.maxItems !== undefined) rules.maxItems = node.maxItems;
  if (node.default !== undefined && node.default !== null) rules.default = node.default;
  return rules;
}

/** The server limit (GET /api/limits `server`) that caps a field below its schema's maximum, by field name. */
const CAPPED_BY = { batch_size: 'max_batch', heatmap_resolution: 'max_heatmap_resolution', iterations_per_frame: 'max_step_n', n: 'max_step_n' };

/** `rules` with the server's own limit on the field (a server started with a smaller one says so here). */
function capped(rules, path) {
  const cap = limits().server[CAPPED_BY[path.split('.').pop()]];
  if (typeof cap === 'number' && (rules.max === undefined || cap < rules.max)) return { ...rules, max: cap };
  return rules;
}

/** Rules of a config field of session kind `kind` ('2d' | 'image'), e.g. configRules('2d', 'k_d'). */
export function configRules(kind, path) {
  const schema = limits().config[kind];
  const rules = schema && rulesOf(schemaAt(schema, path));
  if (!rules) throw new Error(`limits: the ${kind} config has no field "${path}"`);
  return capped(rules, path);
}

/** Rules of a websocket command's field, e.g. commandRules('slowmo', 'stage_ms'). */
export function commandRules(cmd, path) {
  const schema = commandSchema(cmd);
  const rules = rulesOf(schemaAt(schema, path));
  if (!rules) throw new Error(`limits: the websocket command "${cmd}" has no field "${path}"`);
  return capped(rules, path);
}

/** Rules of a REST request's field (GET /api/limits `requests`: image jobs' bodies, the export query), e.g. requestRules('export', 'n'). */
export function requestRules(name, path) {
  const schema = (limits().requests || {})[name];
  const rules = schema && rulesOf(schemaAt(schema, path));
  if (!rules) throw new Error(`limits: the server serves no request "${name}" with a field "${path}"`);
  return rules;
}

/** Put rules on a number input (min / max attributes; a select's options are the caller's). */
export function applyBounds(el, rules) {
  if (rules.min !== undefined) el.min = rules.min;
  if (rules.max !== undefined) el.max = rules.max;
}
