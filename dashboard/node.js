// @ts-check
/**
 * A node's page: its status and history, its hardware from the processed introspection data, its
 * capabilities from Ironic, abort and reapply (confirmed first), and downloads of its data.
 */
import { ApiError, api } from './api.js';
import {
  durationOf,
  facts,
  formatBytes,
  formatTime,
  h,
  parseApiTime,
  stateBadge,
  timeCell,
} from './format.js';
import { hardwareOf } from './hardware.js';
import {
  confirmAction,
  every,
  nameOf,
  observe,
  observedStates,
  refreshed,
  resolveNames,
  summaryOf,
} from './shared.js';

/** @typedef {import('./shared.js').Status} Status */

const ACTIVE = ['starting', 'waiting', 'processing', 'reapplying', 'enrolling', 'aborting'];

/**
 * The node's history: what the timestamps say, and the states this tab saw.
 * @param {Status} status
 * @returns {Array<{ at: number, what: string }>}
 */
function historyOf(status) {
  const started = parseApiTime(status.started_at);
  const finished = parseApiTime(status.finished_at);
  /** @type {Array<{ at: number, what: string }>} */
  const events = [];
  const reapplied = started !== undefined && finished !== undefined && started > finished;
  if (finished !== undefined) {
    const ended = status.error ? `Failed: ${status.error}` : 'Finished';
    events.push({
      at: finished.getTime(),
      what: reapplied ? `${ended} (the run before the reapply)` : ended,
    });
  }
  if (started !== undefined) {
    events.push({ at: started.getTime(), what: reapplied ? 'Reapply started' : 'Introspection started' });
  }
  for (const [state, at] of observedStates(status.uuid))
    events.push({ at, what: `Seen ${state} by this tab` });
  return events.sort((a, b) => a.at - b.at);
}

/**
 * Save a JSON document as a file.
 * @param {unknown} data
 * @param {string} filename
 */
function download(data, filename) {
  const blob = new Blob([`${JSON.stringify(data, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = h('a', { attrs: { href: url, download: filename } });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** @param {string[]} headings @param {Array<Array<import('./format.js').Child>>} rows @param {Array<string | undefined>} [rowClasses] */
function table(headings, rows, rowClasses = []) {
  return h(
    'table',
    null,
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        headings.map((t) => h('th', { text: t, attrs: { scope: 'col' } })),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map((cells, i) => {
        const rowClass = rowClasses[i];
        return h(
          'tr',
          rowClass ? { class: rowClass } : null,
          cells.map((c) => h('td', null, c)),
        );
      }),
    ),
  );
}

/** @param {string} title @param {string} id @param {...(import('./format.js').Child | import('./format.js').Child[])} body */
const panel = (title, id, ...body) =>
  h('section', { class: 'panel', attrs: { id } }, h('h2', { text: title }), ...body);

/**
 * @param {Record<string, any>} data processed introspection data
 * @param {Record<string, string> | undefined} capabilities from Ironic
 */
function hardware(data, capabilities) {
  const hw = hardwareOf(data);
  const tag = (/** @type {string} */ text, cls = 'tag') => h('span', { class: cls, text });
  const memory =
    hw.memory.physicalMb !== undefined
      ? `${hw.memory.physicalMb} MiB (${formatBytes(hw.memory.physicalMb * 1024 * 1024)})`
      : undefined;
  return [
    h(
      'div',
      { class: 'grid' },
      panel(
        'CPU',
        'hardware-cpu',
        facts([
          ['Model', hw.cpu.model],
          ['Count', hw.cpu.count],
          ['Architecture', hw.cpu.architecture],
          [
            'Frequency',
            hw.cpu.frequencyMhz !== undefined ? `${Math.round(hw.cpu.frequencyMhz)} MHz` : undefined,
          ],
          ['Sockets', hw.cpu.sockets],
          [
            'Flags',
            hw.cpu.flags.length > 0
              ? h('span', { title: hw.cpu.flags.join(' '), text: `${hw.cpu.flags.length} flags` })
              : undefined,
          ],
        ]),
      ),
      panel(
        'Memory',
        'hardware-memory',
        facts([
          ['Physical', memory],
          [
            'Usable (total)',
            hw.memory.totalBytes !== undefined ? formatBytes(hw.memory.totalBytes) : undefined,
          ],
        ]),
      ),
      panel(
        'System',
        'hardware-system',
        facts([
          ['Manufacturer', hw.system.manufacturer],
          ['Product', hw.system.product],
          ['Serial', hw.system.serial],
          ['Hostname', hw.system.hostname],
          ['BMC', [hw.system.bmcAddress, hw.system.bmcV6Address].filter(Boolean).join(', ')],
          ['Boot mode', hw.system.bootMode],
          ['Root disk (local_gb)', hw.localGb !== undefined ? `${hw.localGb} GiB` : undefined],
        ]),
      ),
      panel(
        'Capabilities',
        'hardware-capabilities',
        capabilities === undefined
          ? h('p', { class: 'muted', text: 'Ironic did not answer.' })
          : Object.keys(capabilities).length === 0
            ? h('p', { class: 'muted', text: 'None.' })
            : h(
                'p',
                null,
                Object.entries(capabilities).map(([k, v]) => tag(`${k}: ${v}`)),
              ),
        h('p', {
          class: 'muted small',
          text: "The node's properties.capabilities in Ironic (what the hooks set).",
        }),
      ),
    ),
    panel(
      'Disks',
      'hardware-disks',
      hw.disks.length === 0
        ? h('p', { class: 'muted', text: 'None reported.' })
        : table(
            ['Name', 'Model', 'Size', 'Type', 'Serial', 'WWN'],
            hw.disks.map((d) => [
              h(
                'span',
                null,
                h('span', { class: 'mono', text: d.name }),
                d.root ? [' ', tag('root', 'tag root')] : null,
              ),
              d.model ?? '–',
              formatBytes(d.size),
              d.rotational === undefined ? '–' : d.rotational ? 'HDD' : 'SSD',
              d.serial ?? '–',
              d.wwn ?? '–',
            ]),
            hw.disks.map((d) => (d.root ? 'root' : undefined)),
          ),
    ),
    panel(
      'Network interfaces',
      'hardware-nics',
      hw.nics.length === 0
        ? h('p', { class: 'muted', text: 'None reported.' })
        : table(
            ['Name', 'MAC', 'IP', 'PXE', 'Link', 'LLDP switch', 'LLDP port'],
            hw.nics.map((n) => [
              h('span', { class: 'mono', text: n.name }),
              h('span', { class: 'mono', text: n.mac ?? '–' }),
              n.ips.length > 0 ? n.ips.join(', ') : '–',
              n.pxe ? tag('PXE') : '',
              [
                n.carrier === undefined ? '' : n.carrier ? 'up' : 'down',
                n.speedMbps ? `${n.speedMbps} Mb/s` : '',
              ]
                .filter(Boolean)
                .join(', ') || '–',
              n.switchName ?? '–',
              n.switchPort === undefined
                ? '–'
                : `${n.switchPort}${n.vlan !== undefined ? ` (VLAN ${n.vlan})` : ''}`,
            ]),
          ),
    ),
    panel(
      'PCI devices',
      'hardware-pci',
      hw.pci.length === 0
        ? h('p', {
            class: 'muted',
            text: "None reported (the ramdisk's pci-devices collector was not enabled).",
          })
        : table(
            ['Vendor:product', 'Class', 'Count', 'Buses'],
            hw.pci.map((d) => [
              h('span', { class: 'mono', text: `${d.vendorId}:${d.productId}` }),
              d.pciClass ?? '–',
              String(d.count),
              d.buses.join(', ') || '–',
            ]),
          ),
    ),
  ];
}

/**
 * @param {HTMLElement} main
 * @param {AbortSignal} signal
 * @param {string} uuid
 */
export function nodeView(main, signal, uuid) {
  const title = h('h1', { text: nameOf(uuid) ?? uuid });
  const subtitle = h('p', { class: 'mono muted', text: uuid });
  const notice = h('div', { attrs: { role: 'status', id: 'node-notice' } });
  const abort = /** @type {HTMLButtonElement} */ (
    h('button', { attrs: { type: 'button', id: 'abort', disabled: true }, class: 'danger', text: 'Abort' })
  );
  const reapply = /** @type {HTMLButtonElement} */ (
    h('button', { attrs: { type: 'button', id: 'reapply', disabled: true }, text: 'Reapply' })
  );
  const raw = h('button', { attrs: { type: 'button', id: 'download-raw' }, text: 'Download raw data' });
  const processed = h('button', {
    attrs: { type: 'button', id: 'download-processed' },
    text: 'Download processed data',
  });
  const status = panel('Status', 'status');
  const history = panel('Status history', 'history');
  const hardwareBox = h(
    'div',
    { attrs: { id: 'hardware' } },
    h('p', { class: 'muted', text: 'Loading hardware…' }),
  );

  main.replaceChildren(
    h('p', null, h('a', { attrs: { href: '#/' }, text: '← Introspections' })),
    title,
    subtitle,
    notice,
    h('div', { class: 'actions' }, abort, reapply, raw, processed),
    h('div', { class: 'grid' }, status, history),
    h('h2', { text: 'Hardware', class: 'section-title' }),
    hardwareBox,
  );

  /** @type {Status | undefined} */
  let current;
  /** @type {string | undefined} the state the hardware was last loaded in */
  let loadedFor;

  /** @param {string} text @param {boolean} [bad] */
  function say(text, bad = false) {
    notice.replaceChildren(h('p', { class: bad ? 'notice bad' : 'notice', text }));
  }

  /** @param {Status} s */
  function renderStatus(s) {
    const summary = summaryOf(uuid);
    title.textContent = summary?.name ?? uuid;
    status.replaceChildren(
      h('h2', { text: 'Status' }),
      facts([
        ['State', stateBadge(s.state)],
        ['Provision state (Ironic)', summary?.provision_state ?? undefined],
        ['Started', timeCell(s.started_at).textContent],
        ['Finished', timeCell(s.finished_at).textContent],
        ['Duration', durationOf(s, Date.now())],
        [
          'Error',
          s.error ? h('span', { class: 'error', attrs: { id: 'node-error' }, text: s.error }) : 'none',
        ],
      ]),
    );
    history.replaceChildren(
      h('h2', { text: 'Status history' }),
      h(
        'ol',
        { class: 'history' },
        historyOf(s).map((e) =>
          h(
            'li',
            null,
            h('span', { class: 'muted', text: formatTime(new Date(e.at)) }),
            h('span', { text: e.what }),
          ),
        ),
      ),
      h('p', {
        class: 'muted small',
        text: 'From the start and finish times, and the states this tab saw; the API keeps no longer history.',
      }),
    );
    abort.disabled = s.state !== 'waiting';
    abort.title = abort.disabled ? 'Only a waiting introspection can be aborted' : '';
    reapply.disabled = !['finished', 'error'].includes(s.state);
    reapply.title = reapply.disabled ? 'Only a finished or failed introspection can be reapplied' : '';
  }

  async function loadHardware() {
    try {
      const data = await api(`v1/introspection/${uuid}/data`);
      const capabilities = summaryOf(uuid)?.capabilities;
      hardwareBox.replaceChildren(...hardware(data, capabilities));
    } catch (err) {
      const message =
        err instanceof ApiError && err.status === 404
          ? `No processed introspection data: ${err.message}`
          : err instanceof ApiError && err.status === 403
            ? `Your role may not read introspection data (admin or service): ${err.message}`
            : `Could not load the hardware: ${err instanceof Error ? err.message : String(err)}`;
      hardwareBox.replaceChildren(
        h('p', { class: 'muted', attrs: { id: 'hardware-missing' }, text: message }),
      );
    }
  }

  async function load() {
    /** @type {Status} */
    let s;
    try {
      s = await api(`v1/introspection/${encodeURIComponent(uuid)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        say(err.message, true);
        hardwareBox.replaceChildren();
        return;
      }
      throw err;
    }
    current = s;
    observe([s]);
    // Hardware and Ironic's view once, and again whenever the node settles in a new state.
    const reload = loadedFor === undefined || (!ACTIVE.includes(s.state) && loadedFor !== s.state);
    if (reload) await resolveNames([uuid], { refresh: true }).catch(() => false);
    renderStatus(s);
    refreshed();
    if (reload) {
      loadedFor = s.state;
      await loadHardware();
    }
  }

  const refresh = every(
    signal,
    () => (current !== undefined && ACTIVE.includes(current.state) ? 3_000 : 15_000),
    load,
    (err) => say(err instanceof Error ? err.message : String(err), true),
  );

  /** @param {string} path @param {string} done */
  async function act(path, done) {
    try {
      await api(path, { method: 'POST' });
      say(done);
    } catch (err) {
      say(err instanceof Error ? err.message : String(err), true);
    }
    refresh();
  }

  const label = () => nameOf(uuid) ?? uuid;
  abort.addEventListener('click', async () => {
    const ok = await confirmAction(
      'Abort introspection?',
      `Abort the introspection of ${label()}: the node is powered off and its introspection ends in error “Canceled by operator”.`,
      'Abort',
    );
    if (ok) await act(`v1/introspection/${uuid}/abort`, 'Abort requested.');
  });
  reapply.addEventListener('click', async () => {
    const ok = await confirmAction(
      'Reapply introspection?',
      `Process the stored raw data of ${label()} again and update Ironic with the result.`,
      'Reapply',
    );
    if (ok) await act(`v1/introspection/${uuid}/data/unprocessed`, 'Reapply requested.');
  });
  for (const [button, path, suffix] of /** @type {const} */ ([
    [raw, 'data/unprocessed', 'unprocessed'],
    [processed, 'data', 'processed'],
  ])) {
    button.addEventListener('click', async () => {
      try {
        download(await api(`v1/introspection/${uuid}/${path}`), `${label()}-${suffix}.json`);
      } catch (err) {
        say(err instanceof Error ? err.message : String(err), true);
      }
    });
  }
}
