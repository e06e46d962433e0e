// @ts-check
/**
 * What the views share: node names resolved lazily through the dashboard's lookup route, the states
 * this tab has seen (a node's history), the confirmation dialog, and the refresh loop.
 */
import { api } from './api.js';
import { formatTime } from './format.js';

/** @typedef {{ uuid: string, state: string, started_at: string | null, finished_at: string | null, error: string | null, finished: boolean }} Status */
/** @typedef {{ uuid: string, name: string | null, provision_state: string | null, capabilities: Record<string, string> }} NodeSummary */

const NAMES_KEY = 'serverless-inspector.names';
const HISTORY_KEY = 'serverless-inspector.history';
/** The lookup route takes at most this many UUIDs at once. */
const NAMES_BATCH = 100;

/** @template T @param {string} key @param {T} fallback @returns {T} */
function load(key, fallback) {
  try {
    const raw = sessionStorage.getItem(key);
    return raw === null ? fallback : /** @type {T} */ (JSON.parse(raw));
  } catch {
    return fallback;
  }
}

/** @param {string} key @param {unknown} value */
function save(key, value) {
  try {
    sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or refused: the cache is only an optimisation.
  }
}

/** uuid → Ironic's summary, or null when Ironic (or the cache) has no such node. */
const summaries = /** @type {Record<string, NodeSummary | null>} */ (load(NAMES_KEY, {}));

/** @param {string} uuid */
export function nameOf(uuid) {
  return summaries[uuid]?.name ?? undefined;
}

/** @param {string} uuid */
export function summaryOf(uuid) {
  return summaries[uuid] ?? undefined;
}

/** @param {NodeSummary[]} nodes */
export function remember(nodes) {
  for (const node of nodes) summaries[node.uuid] = node;
  save(NAMES_KEY, summaries);
}

/** Names already known, for searching by part of a name. */
export function knownSummaries() {
  return Object.values(summaries).filter((s) => s !== null);
}

/**
 * Ask for the names of the UUIDs not asked about yet. Resolves to whether anything new came.
 * @param {string[]} uuids
 * @param {{ refresh?: boolean }} [options] ask again even when known (a node page)
 */
export async function resolveNames(uuids, options = {}) {
  const wanted = [...new Set(uuids)].filter((u) => options.refresh || !(u in summaries));
  let changed = false;
  for (let i = 0; i < wanted.length; i += NAMES_BATCH) {
    const batch = wanted.slice(i, i + NAMES_BATCH);
    /** @type {{ nodes: NodeSummary[] }} */
    const answer = await api(`dashboard/api/nodes?uuid=${batch.join(',')}`);
    for (const uuid of batch) summaries[uuid] = null;
    for (const node of answer.nodes) summaries[node.uuid] = node;
    changed = true;
  }
  if (changed) save(NAMES_KEY, summaries);
  return changed;
}

// ---- history --------------------------------------------------------------------------------------

/** uuid → the states this tab saw, oldest first: [state, seen at (ms)]. */
const history = /** @type {Record<string, Array<[string, number]>>} */ (load(HISTORY_KEY, {}));

/**
 * Note a status seen from the API (list, search or node page).
 * @param {Status[]} statuses
 */
export function observe(statuses) {
  let changed = false;
  for (const status of statuses) {
    const seen = history[status.uuid] ?? [];
    history[status.uuid] = seen;
    if (seen.at(-1)?.[0] === status.state) continue;
    seen.push([status.state, Date.now()]);
    if (seen.length > 50) seen.shift();
    changed = true;
  }
  if (changed) save(HISTORY_KEY, history);
}

/** @param {string} uuid */
export function observedStates(uuid) {
  return history[uuid] ?? [];
}

// ---- confirmation -----------------------------------------------------------------------------------

/**
 * Ask before acting.
 * @param {string} title
 * @param {string} text
 * @param {string} ok the confirming button's label
 * @returns {Promise<boolean>}
 */
export function confirmAction(title, text, ok) {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('confirm'));
  /** @type {HTMLElement} */ (dialog.querySelector('#confirm-title')).textContent = title;
  /** @type {HTMLElement} */ (dialog.querySelector('#confirm-text')).textContent = text;
  /** @type {HTMLElement} */ (dialog.querySelector('#confirm-ok')).textContent = ok;
  dialog.returnValue = 'cancel';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

// ---- refreshing -------------------------------------------------------------------------------------

/** Show when the page last heard from the API. */
export function refreshed() {
  const element = document.getElementById('refreshed');
  if (element) element.textContent = `Updated ${formatTime(new Date()).slice(11)}`;
}

/**
 * Run `work` now and then every `intervalMs` after it ends, while the view lives; a hidden tab
 * waits. Errors are handed to `onError` and do not stop the loop.
 * @param {AbortSignal} signal
 * @param {() => number} intervalMs
 * @param {() => Promise<void>} work
 * @param {(err: unknown) => void} onError
 */
export function every(signal, intervalMs, work, onError) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let running = false;
  let again = false;
  const run = async () => {
    clearTimeout(timer);
    if (signal.aborted) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      if (document.visibilityState !== 'hidden') await work();
    } catch (err) {
      if (!signal.aborted) onError(err);
    } finally {
      running = false;
    }
    if (signal.aborted) return;
    if (again) {
      again = false;
      void run();
      return;
    }
    timer = setTimeout(run, intervalMs());
  };
  signal.addEventListener('abort', () => clearTimeout(timer));
  void run();
  /** Refresh now (after the run in progress, if any). */
  return () => void run();
}
