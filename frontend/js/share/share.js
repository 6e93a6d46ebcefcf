// share/share.js — the shareable link: "Copy link" (the URL holds dataset, seed, preset, config) and `hide=` (control groups hidden for a class).

/** Hide the elements of the listed control groups ([data-group=name], class group-hidden); show the others. */
export function applyHidden(groups) {
  document.querySelectorAll('[data-group]').forEach((el) => {
    el.classList.toggle('group-hidden', groups.includes(el.dataset.group));
  });
}

/** Copy `text` to the clipboard (the async API where allowed, else a hidden textarea); resolves to true when copied. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (e) {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

/**
 * "Share this run": save the session on the server (kept) and copy a link (?run=name) that resumes
 * it at the same iteration for whoever opens it. `deps`: {session() → {id, token}, save(session,
 * body) → entry, notice(msg), error(msg)}.
 */
export function bindShareRun(button, deps) {
  button.addEventListener('click', async () => {
    const s = deps.session();
    if (!s.id || !s.token) return deps.error('Share this run: no session yet');
    button.disabled = true;
    try {
      const entry = await deps.save(s, { keep: true });
      const url = new URL(window.location.pathname, window.location.href);
      url.searchParams.set('run', entry.name);
      button.dataset.url = url.href;
      const what = `it resumes this run at iteration ${entry.iteration.toLocaleString('en-US')} (saved as "${entry.name}")`;
      if (await copyText(url.href)) deps.notice(`Run link copied — ${what}`);
      else deps.notice(`Share this link — ${what}: ${url.href}`);
    } catch (e) {
      deps.error(`Share this run: ${e.detail || e.message}`);
    } finally {
      button.disabled = false;
    }
  });
}

/** The "Copy link" button: copies the page's URL, or shows it when copying is not allowed. */
export function bindShareLink(button, { notice, error }) {
  button.addEventListener('click', async () => {
    const url = window.location.href;
    button.dataset.url = url;
    if (await copyText(url)) notice('Link copied — it opens this dataset, seed, preset and config');
    else error(`Copy this link: ${url}`);
  });
}
