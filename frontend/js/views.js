// views.js — the per-kind table: what each session kind's view ("2d": the lab, "image": the image view) does with frames, server messages and a new session; main.js looks a kind up here instead of branching on it.

import { clone } from './core/state.js';

/**
 * `w`: {state, charts, timeline, images, requests, send, notice, syncAll}. Each entry: received(frame)
 * → whether it is worth drawing, draw(frame), info(m) (hello / reset / creation answer), created(answer),
 * reset(), config(m), history(m), opened() (the socket is open: the page's settings go to the server),
 * body() (POST /api/sessions for the page's dataset), pretrained (a pre-trained start exists).
 */
export function makeViews(w) {
  const { state } = w;
  return {
    '2d': {
      pretrained: true,
      received(frame) {
        w.charts.push(frame.header);
        return w.timeline.push(frame);
      },
      draw: (frame) => w.draw2d(frame),
      info(m) {
        if (m.config) state.config = clone(m.config);
        if (m.knobs) state.knobs = m.knobs; // which on/off knobs are on, when the server says
      },
      created(answer) {
        if (answer.config) state.config = clone(answer.config);
        if (answer.knobs) state.knobs = answer.knobs;
      },
      reset() {},
      config(m) {
        state.config = clone(m.config);
        if (m.preset) state.preset = m.preset;
        if (m.knobs) state.knobs = m.knobs;
        w.syncAll();
        w.notice(m.message || (m.rebuilt ? 'Config applied — new models (architecture or noise changed)' : 'Config applied'));
      },
      history: (m) => w.charts.loadHistory(m), // the charts start at iteration 0
      opened() {
        const { slowmo, stageMs, drs } = state;
        w.send({ cmd: 'slowmo', on: slowmo, stage_ms: stageMs });
        if (drs.on) w.send({ cmd: 'drs', on: true, percentile: drs.percentile });
      },
      body: (base) => (base ? w.requests.linkBody(base) : w.requests.body()),
    },
    image: {
      pretrained: false,
      received: (frame) => w.images.received(frame) !== false,
      draw: (frame) => w.images.render(frame),
      info: (m) => w.images.setInfo(m),
      created(answer) {
        w.images.newSession();
        w.images.setInfo(answer);
      },
      reset: () => w.images.reset(),
      config(m) {
        w.images.setConfig(m.config);
        w.notice(m.rebuilt ? 'Config applied — new models' : 'Config applied');
      },
      history() {},
      opened() {},
      body: () => w.images.sessionBody(state),
    },
  };
}
