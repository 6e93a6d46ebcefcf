// core/transport.js — one WebSocket with reconnect (exponential backoff), send(cmd), binary/text callbacks; never touches the DOM.

const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 8000;
const MAX_QUEUED = 32;
/** The server's close code for a session that does not exist. */
const NO_SUCH_SESSION = 4404;

export class Transport {
  constructor() {
    this.url = null;
    this.ws = null;
    this.queue = [];
    this.attempt = 0;
    this.timer = null;
    this.frameCbs = [];
    this.messageCbs = [];
    this.statusCbs = [];
  }

  /** Binary messages: cb(ArrayBuffer). */
  onFrame(cb) { this.frameCbs.push(cb); }

  /** Text messages: cb(parsed JSON object). */
  onMessage(cb) { this.messageCbs.push(cb); }

  /** Connection changes: cb({state: 'connecting'|'open'|'closed', attempt, code, reason}). */
  onStatus(cb) { this.statusCbs.push(cb); }

  get isOpen() { return this.ws !== null && this.ws.readyState === WebSocket.OPEN; }

  /** Connect to `url` (closing any previous socket, keeping the commands queued meanwhile); reconnects by itself until close(). */
  connect(url) {
    const pending = this.queue; // what was sent before there was a socket still goes out
    this.close();
    this.queue = pending;
    this.url = url;
    this.attempt = 0;
    this.open();
  }

  open() {
    this.emitStatus({ state: 'connecting', attempt: this.attempt });
    const ws = new WebSocket(this.url);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      this.attempt = 0;
      this.emitStatus({ state: 'open', attempt: 0 });
      this.queue.splice(0).forEach((text) => ws.send(text));
    };
    ws.onmessage = (ev) => this.dispatch(ev.data);
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (ev.code === NO_SUCH_SESSION) this.url = null; // the server says the session is gone: retrying cannot help
      this.emitStatus({ state: 'closed', attempt: this.attempt, code: ev.code, reason: ev.reason });
      this.scheduleReconnect();
    };
    this.ws = ws;
  }

  scheduleReconnect() {
    if (this.url === null) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt) * (0.75 + 0.5 * Math.random());
    this.attempt += 1;
    this.timer = setTimeout(() => { this.timer = null; this.open(); }, delay);
  }

  dispatch(data) {
    if (typeof data === 'string') {
      let msg;
      try {
        msg = JSON.parse(data);
      } catch (e) {
        console.error('transport: text message is not JSON', data);
        return;
      }
      this.messageCbs.forEach((cb) => cb(msg));
    } else {
      this.frameCbs.forEach((cb) => cb(data));
    }
  }

  /** Send a command object as JSON text; queued (bounded) while the socket is not open. */
  send(cmd) {
    const text = JSON.stringify(cmd);
    if (this.isOpen) {
      this.ws.send(text);
      return true;
    }
    if (this.queue.length >= MAX_QUEUED) this.queue.shift();
    this.queue.push(text);
    return false;
  }

  /** Stop for good (no reconnect). */
  close() {
    this.url = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close();
    }
  }

  emitStatus(s) { this.statusCbs.forEach((cb) => cb(s)); }
}
