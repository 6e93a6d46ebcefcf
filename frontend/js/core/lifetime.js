// core/lifetime.js — a page session's end: closing the page ends it, a session the server forgot is replaced (or, on a viewer page, mourned, and the socket stops retrying).

/**
 * deps: {session, transport, compare, api, presenter, readouts, connect(created), create() → Promise<created>}.
 * Returns checkAlive(): after repeated disconnects, asks the server whether the session still exists.
 */
export function bindLifetime(deps) {
  const { session, transport, compare, api, presenter, readouts } = deps;

  /** If the server forgot the session (restart, reaper, presenter left), start a new one — or stop, on a viewer page. */
  async function checkAlive() {
    if (session.gone || !session.id) return;
    try {
      await api.info(session);
    } catch (e) {
      if (e.status !== 404) return;
      session.gone = true;
      if (presenter.viewer) {
        transport.close(); // nothing to watch any more: no reconnecting forever
        readouts.status('The presenter\'s session has ended');
        return;
      }
      readouts.status('Session ended on the server — starting a new one with the same settings…');
      deps.connect(await deps.create());
    }
  }

  /** Closing or reloading the page ends its sessions, so no orphan keeps training on the server. */
  function endSession() {
    if (!session.id || !session.token || presenter.viewer) return;
    compare.end();
    transport.close();
    api.remove(session).catch(() => {});
    session.gone = true;
  }

  window.addEventListener('pagehide', endSession);
  window.addEventListener('pageshow', (ev) => {
    if (ev.persisted && !presenter.viewer) deps.create().then(deps.connect, (e) => readouts.error(e.message));
  });
  return checkAlive;
}
