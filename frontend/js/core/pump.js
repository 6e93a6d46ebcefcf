// core/pump.js — decodes a socket's binary frames; every one is `received`, only the newest is `render`ed, once per animation frame.

import { decodeFrame } from './protocol.js';

/** `handlers`: {received(frame) → bool (false: do not render it), render(frame), error(message)}. */
export function framePump(transport, handlers) {
  let latest = null;
  let scheduled = false;

  const renderLatest = () => {
    scheduled = false;
    const frame = latest;
    latest = null;
    if (!frame) return;
    try {
      handlers.render(frame);
    } catch (e) {
      console.error(e);
      handlers.error(`cannot draw frame: ${e.message}`);
    }
  };

  transport.onFrame((buffer) => {
    let frame;
    try {
      frame = decodeFrame(buffer);
    } catch (e) {
      console.error(e);
      handlers.error(e.message);
      return;
    }
    if (handlers.received(frame) === false) return;
    latest = frame;
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(renderLatest);
    }
  });
}
