// core/dom.js — the DOM helpers every view shares: find an element by its data-testid, set text only when it changes.

/** The element with `data-testid="id"` in `root` (the page by default); null when there is none. */
export const byTestId = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);

/** Set an element's text only when it differs (no layout work for an unchanged readout). */
export function setText(el, str) {
  if (el.textContent !== str) el.textContent = str;
}
