// @ts-check
/**
 * The introspections page: counts per state and the finished/failed chart (from the newest
 * introspections), the table (newest first, paged with the API's own marker, filtered by state),
 * search by name, UUID or MAC, and auto-refresh.
 */
import { ApiError, api } from './api.js';
import { chartOf, RANGES } from './chart.js';
import { durationOf, h, stateBadge, timeCell } from './format.js';
import { every, knownSummaries, nameOf, observe, refreshed, remember, resolveNames } from './shared.js';

/** @typedef {import('./shared.js').Status} Status */

export const STATES = [
  'starting',
  'waiting',
  'processing',
  'finished',
  'error',
  'reapplying',
  'enrolling',
  'aborting',
];
const MAC = /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i;
const TABLE_REFRESH_MS = 10_000;
const SUMMARY_REFRESH_MS = 30_000;

/** What the page keeps while the operator goes to a node and back. */
const view = {
  state: '',
  pageSize: 20,
  /** The markers of the pages before this one (the first page has none). */
  markers: /** @type {string[]} */ ([]),
  filter: '',
  /** @type {string | undefined} a search by name, UUID or MAC in progress */
  search: undefined,
  range: /** @type {keyof typeof RANGES} */ ('24h'),
  autoRefresh: sessionStorage.getItem('serverless-inspector.auto-refresh') !== 'off',
};

/** @param {Status} status */
function row(status) {
  const name = nameOf(status.uuid);
  return h(
    'tr',
    { data: { uuid: status.uuid, state: status.state } },
    h(
      'td',
      { class: 'node-cell' },
      h('a', { class: 'node-link', attrs: { href: `#/node/${status.uuid}` }, text: name ?? status.uuid }),
      name ? h('span', { class: 'mono small', text: status.uuid }) : null,
    ),
    h('td', null, stateBadge(status.state)),
    timeCell(status.started_at),
    timeCell(status.finished_at),
    h('td', { class: 'num', text: durationOf(status, Date.now()) }),
    h('td', { class: 'error', text: status.error ?? '' }),
  );
}

/**
 * Search by an exact UUID or Ironic name (the API resolves names), a MAC (Ironic's ports), or part
 * of a name this tab already knows.
 * @param {string} query
 * @returns {Promise<Status[]>}
 */
async function search(query) {
  /** @type {Set<string>} */
  const ids = new Set();
  if (MAC.test(query)) {
    const { nodes } = await api(`dashboard/api/nodes?mac=${encodeURIComponent(query.replaceAll('-', ':'))}`);
    remember(nodes);
    for (const node of nodes) ids.add(node.uuid);
  } else {
    ids.add(query);
    const lower = query.toLowerCase();
    for (const s of knownSummaries()) if (s.name?.toLowerCase().includes(lower)) ids.add(s.uuid);
  }
  const found = await Promise.all(
    [...ids].map((id) =>
      api(`v1/introspection/${encodeURIComponent(id)}`).catch((err) => {
        if (err instanceof ApiError && err.status === 404) return undefined;
        throw err;
      }),
    ),
  );
  /** @type {Map<string, Status>} */
  const unique = new Map();
  for (const status of found) if (status) unique.set(status.uuid, status);
  return [...unique.values()];
}

/**
 * @param {HTMLElement} main
 * @param {AbortSignal} signal
 */
export function listView(main, signal) {
  const notice = h('div', { attrs: { role: 'status' } });
  const counts = h('div', { class: 'counts', attrs: { id: 'counts' } });
  const countsNote = h('p', { class: 'muted small' });
  const chartBox = h('div', { attrs: { id: 'chart' } });
  const legend = h('p', { class: 'legend' });
  const range = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { attrs: { 'aria-label': 'Chart range' } },
      Object.entries(RANGES).map(([key, r]) =>
        h('option', { attrs: { value: key, selected: key === view.range }, text: r.label }),
      ),
    )
  );

  const stateFilter = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { attrs: { id: 'state-filter', 'aria-label': 'State' } },
      h('option', { attrs: { value: '' }, text: 'All states' }),
      STATES.map((s) => h('option', { attrs: { value: s, selected: s === view.state }, text: s })),
    )
  );
  const searchBox = /** @type {HTMLInputElement} */ (
    h('input', {
      attrs: {
        id: 'search',
        type: 'search',
        placeholder: 'Name, UUID or MAC',
        title: 'Typing filters this page; Enter searches the API (a UUID, an Ironic name, a MAC)',
        'aria-label': 'Search by name, UUID or MAC',
        value: view.search ?? view.filter,
      },
    })
  );
  const auto = /** @type {HTMLInputElement} */ (
    h('input', { attrs: { type: 'checkbox', id: 'auto-refresh', checked: view.autoRefresh } })
  );
  const searchNote = h('p', { class: 'muted small', attrs: { id: 'search-note' } });
  const tbody = h('tbody');
  const prev = /** @type {HTMLButtonElement} */ (
    h('button', { attrs: { type: 'button', id: 'prev' }, text: '← Newer' })
  );
  const next = /** @type {HTMLButtonElement} */ (
    h('button', { attrs: { type: 'button', id: 'next' }, text: 'Older →' })
  );
  const page = h('span', { class: 'muted' });
  const pageSize = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { attrs: { 'aria-label': 'Rows per page' } },
      [20, 50, 100].map((n) =>
        h('option', { attrs: { value: n, selected: n === view.pageSize }, text: `${n} per page` }),
      ),
    )
  );
  const pager = h('nav', { class: 'pager', attrs: { 'aria-label': 'Pages' } }, prev, page, next, pageSize);

  main.replaceChildren(
    h('h1', { text: 'Introspections' }),
    notice,
    h(
      'section',
      { class: 'summary' },
      h('div', { class: 'panel' }, h('h2', { text: 'By state' }), counts, countsNote),
      h(
        'figure',
        { class: 'panel chart' },
        h('h2', { text: 'Finished and failed' }),
        h('div', { class: 'toolbar' }, range, legend),
        chartBox,
      ),
    ),
    h(
      'section',
      { class: 'panel' },
      h(
        'form',
        { class: 'toolbar', attrs: { id: 'search-form', role: 'search' } },
        stateFilter,
        searchBox,
        h('button', { attrs: { type: 'submit' }, text: 'Search' }),
        h('label', null, auto, ' Auto-refresh'),
      ),
      searchNote,
      h(
        'table',
        { attrs: { id: 'introspections' } },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['Node', 'State', 'Started', 'Finished', 'Duration', 'Error'].map((t) =>
              h('th', { text: t, class: t === 'Duration' ? 'num' : '', attrs: { scope: 'col' } }),
            ),
          ),
        ),
        tbody,
      ),
      pager,
    ),
  );

  /** @type {Status[]} */
  let shown = [];
  /** @type {Status[]} */
  let newest = [];

  /** @param {unknown} err */
  function fail(err) {
    notice.replaceChildren(
      h('p', { class: 'notice bad', text: err instanceof Error ? err.message : String(err) }),
    );
  }

  function applyFilter() {
    const text = view.filter.trim().toLowerCase();
    let visible = 0;
    for (const tr of tbody.querySelectorAll('tr[data-uuid]')) {
      const uuid = /** @type {HTMLElement} */ (tr).dataset.uuid ?? '';
      const name = nameOf(uuid) ?? '';
      const hit = text === '' || uuid.includes(text) || name.toLowerCase().includes(text);
      /** @type {HTMLElement} */ (tr).hidden = !hit;
      if (hit) visible++;
    }
    if (view.search !== undefined) return;
    searchNote.textContent =
      text === ''
        ? ''
        : `${visible} of ${shown.length} on this page match; Enter searches the API by UUID, name or MAC.`;
  }

  function renderRows() {
    tbody.replaceChildren(...shown.map(row));
    if (shown.length === 0) {
      tbody.append(
        h(
          'tr',
          null,
          h('td', {
            attrs: { colspan: 6 },
            class: 'muted',
            text: view.search !== undefined ? 'No introspection found.' : 'No introspections.',
          }),
        ),
      );
    }
    applyFilter();
  }

  async function loadTable() {
    if (view.search !== undefined) {
      shown = await search(view.search);
      searchNote.replaceChildren(
        `Search results for “${view.search}”: ${shown.length} found. `,
        h('button', {
          attrs: { type: 'button', id: 'clear-search' },
          class: 'quiet',
          text: 'Clear',
          on: { click: clearSearch },
        }),
      );
      pager.hidden = true;
    } else {
      const query = new URLSearchParams({ limit: String(view.pageSize) });
      const marker = view.markers.at(-1);
      if (marker) query.set('marker', marker);
      if (view.state) query.set('state', view.state);
      const answer = await api(`v1/introspection?${query}`);
      shown = answer.introspection;
      pager.hidden = false;
      prev.disabled = view.markers.length === 0;
      next.disabled = shown.length < view.pageSize;
      page.textContent = `Page ${view.markers.length + 1}`;
    }
    observe(shown);
    renderRows();
    notice.replaceChildren();
    refreshed();
    if (await resolveNames(shown.map((s) => s.uuid)).catch(() => false)) renderRows();
  }

  async function loadSummary() {
    // limit=0 is the API's largest page (api_max_limit): the newest introspections.
    const answer = await api('v1/introspection?limit=0');
    newest = answer.introspection;
    renderSummary();
  }

  function renderSummary() {
    /** @type {Record<string, number>} */
    const byState = Object.fromEntries(STATES.map((s) => [s, 0]));
    for (const status of newest) byState[status.state] = (byState[status.state] ?? 0) + 1;
    counts.replaceChildren(
      ...STATES.map((s) =>
        h(
          'button',
          {
            class: `count${byState[s] === 0 ? ' zero' : ''}`,
            data: { state: s, count: String(byState[s]) },
            attrs: { type: 'button', 'aria-pressed': String(view.state === s) },
            on: { click: () => setState(view.state === s ? '' : s) },
          },
          stateBadge(s),
          h('strong', { text: String(byState[s]) }),
        ),
      ),
    );
    countsNote.textContent = `Counted over the ${newest.length} newest introspections.`;
    const { chart, finished, failed } = chartOf(newest, Date.now(), view.range);
    chartBox.replaceChildren(chart);
    legend.replaceChildren(
      h('span', null, h('span', { class: 'swatch finished' }), `${finished} finished`),
      h('span', null, h('span', { class: 'swatch failed' }), `${failed} failed`),
    );
  }

  const refreshTable = every(
    signal,
    () => (view.autoRefresh ? TABLE_REFRESH_MS : 3_600_000),
    loadTable,
    fail,
  );
  every(signal, () => (view.autoRefresh ? SUMMARY_REFRESH_MS : 3_600_000), loadSummary, fail);

  /** @param {string} state */
  function setState(state) {
    view.state = state;
    stateFilter.value = state;
    view.markers = [];
    for (const b of counts.querySelectorAll('button')) {
      b.setAttribute('aria-pressed', String(/** @type {HTMLElement} */ (b).dataset.state === state));
    }
    refreshTable();
  }

  function clearSearch() {
    view.search = undefined;
    view.filter = '';
    searchBox.value = '';
    searchNote.textContent = '';
    refreshTable();
  }

  stateFilter.addEventListener('change', () => setState(stateFilter.value));
  range.addEventListener('change', () => {
    view.range = /** @type {keyof typeof RANGES} */ (range.value);
    renderSummary();
  });
  searchBox.addEventListener('input', () => {
    view.filter = searchBox.value;
    if (searchBox.value === '' && view.search !== undefined) clearSearch();
    else applyFilter();
  });
  main.querySelector('#search-form')?.addEventListener('submit', (event) => {
    event.preventDefault();
    const query = searchBox.value.trim();
    if (query === '') {
      clearSearch();
      return;
    }
    view.search = query;
    view.filter = '';
    refreshTable();
  });
  auto.addEventListener('change', () => {
    view.autoRefresh = auto.checked;
    sessionStorage.setItem('serverless-inspector.auto-refresh', auto.checked ? 'on' : 'off');
    refreshTable();
  });
  prev.addEventListener('click', () => {
    view.markers.pop();
    refreshTable();
  });
  next.addEventListener('click', () => {
    const last = shown.at(-1);
    if (last === undefined) return;
    view.markers.push(last.uuid);
    refreshTable();
  });
  pageSize.addEventListener('change', () => {
    view.pageSize = Number(pageSize.value);
    view.markers = [];
    refreshTable();
  });
}
