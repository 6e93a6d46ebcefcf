// core/protocol.js — decodes GAN Dojo binary frames ("GDJ1" + uint32 LE header length + JSON header + Float32 sections).

const MAGIC = 'GDJ1';
const PREFIX_BYTES = 8;

export class FrameError extends Error {}

function fail(msg) {
  throw new FrameError(`bad frame: ${msg}`);
}

function checkShape(name, shape) {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    fail(`section "${name}" has shape ${JSON.stringify(shape)}, expected a list of non-negative integers`);
  }
  return shape.reduce((a, b) => a * b, 1);
}

function readHeader(buffer) {
  if (!(buffer instanceof ArrayBuffer)) fail('expected an ArrayBuffer');
  if (buffer.byteLength < PREFIX_BYTES) fail(`only ${buffer.byteLength} bytes`);
  const bytes = new Uint8Array(buffer, 0, 4);
  const magic = String.fromCharCode(...bytes);
  if (magic !== MAGIC) fail(`magic is ${JSON.stringify(magic)}, expected "${MAGIC}"`);
  const headerLen = new DataView(buffer).getUint32(4, true);
  if (headerLen % 4 !== 0) fail(`header length ${headerLen} is not a multiple of 4`);
  if (PREFIX_BYTES + headerLen > buffer.byteLength) fail(`header length ${headerLen} runs past the ${buffer.byteLength}-byte message`);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(buffer, PREFIX_BYTES, headerLen));
  let header;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not JSON (${e.message})`);
  }
  if (header === null || typeof header !== 'object') fail('header is not an object');
  if (!Array.isArray(header.sections)) fail('header.sections is not a list');
  return { header, offset: PREFIX_BYTES + headerLen };
}

/**
 * Decode one frame. Returns {header, sections: {name: {shape, data: Float32Array}}}.
 * Throws FrameError on a wrong magic, a bad header or a byte count that does not match the shapes.
 */
export function decodeFrame(buffer) {
  const { header, offset } = readHeader(buffer);
  const counts = header.sections.map((s) => checkShape(s.name, s.shape));
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = offset + 4 * total;
  if (buffer.byteLength !== expected) {
    fail(`${buffer.byteLength} bytes, but the header's sections need ${expected}`);
  }
  const sections = {};
  let at = offset;
  header.sections.forEach((s, i) => {
    if (typeof s.name !== 'string' || s.name in sections) fail(`section name ${JSON.stringify(s.name)} missing or repeated`);
    sections[s.name] = { shape: s.shape.slice(), data: new Float32Array(buffer, at, counts[i]) };
    at += 4 * counts[i];
  });
  return { header, sections };
}

/** Build a frame (the inverse of decodeFrame); used by tests and tools. */
export function encodeFrame(header, sections) {
  const list = Object.entries(sections).map(([name, s]) => ({ name, shape: s.shape }));
  let json = JSON.stringify({ ...header, sections: list });
  const enc = new TextEncoder();
  while (enc.encode(json).length % 4 !== 0) json += ' ';
  const head = enc.encode(json);
  const floats = Object.values(sections).reduce((n, s) => n + s.data.length, 0);
  const buf = new ArrayBuffer(PREFIX_BYTES + head.length + 4 * floats);
  new Uint8Array(buf, 0, 4).set(enc.encode(MAGIC));
  new DataView(buf).setUint32(4, head.length, true);
  new Uint8Array(buf, PREFIX_BYTES, head.length).set(head);
  let at = PREFIX_BYTES + head.length;
  Object.values(sections).forEach((s) => {
    new Float32Array(buf, at, s.data.length).set(s.data);
    at += 4 * s.data.length;
  });
  return buf;
}
