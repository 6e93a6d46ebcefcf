// core/catalog.js — what the page reads from the server before it builds its editors: every bound (GET /api/limits, into the state table), the datasets and the presets.

import { api } from './api.js';
import { applyLimits } from './state.js';
import { byTestId } from './dom.js';

/** {datasets, presets (null when they could not be read), presetsError?}; the bounds are in the state table after it. */
export async function loadServed() {
  const status = byTestId('status-message');
  status.textContent = 'Loading…';
  try {
    const [limits, datasets, presets] = await Promise.all([api.limits(), api.datasets(),
      api.presets().catch((e) => ({ error: e }))]);
    applyLimits(limits, datasets.default_config);
    return presets.error ? { datasets, presets: null, presetsError: presets.error } : { datasets, presets };
  } catch (e) {
    status.textContent = `Could not start: ${e.message}`;
    status.dataset.kind = 'error';
    throw e;
  }
}
