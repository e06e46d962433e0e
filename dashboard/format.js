// @ts-check
/**
 * DOM building and formatting. Everything the API returns is put into the page as text
 * (`textContent`), never as HTML.
 */

/** @typedef {string | number | Node | null | undefined | false} Child */
/**
 * @typedef {object} Props
 * @property {string} [class]
 * @property {string} [text]
 * @property {string} [title]
 * @property {Record<string, string>} [data]
 * @property {Record<string, string | boolean | number | undefined>} [attrs]
 * @property {Record<string, (event: Event) => void>} [on]
 */

/**
 * An element.
 * @param {string} tag
 * @param {Props | null} [props]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  if (props?.class) element.className = props.class;
  if (props?.text !== undefined) element.textContent = props.text;
  if (props?.title) element.title = props.title;
  for (const [key, value] of Object.entries(props?.data ?? {})) element.dataset[key] = value;
  for (const [key, value] of Object.entries(props?.attrs ?? {})) {
    if (value === undefined || value === false) continue;
    element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const [event, handler] of Object.entries(props?.on ?? {})) element.addEventListener(event, handler);
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** @param {string} name @param {Record<string, string | number>} attrs @param {...Node} children */
export function svg(name, attrs, ...children) {
  const element = document.createElementNS('http://www.w3.org/2000/svg', name);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, String(value));
  element.append(...children);
  return element;
}

/**
 * The API's naive UTC timestamps (`2026-11-25T17:38:03[.ffffff]`) as Dates.
 * @param {string | null | undefined} value
 * @returns {Date | undefined}
 */
export function parseApiTime(value) {
  if (!value) return undefined;
  const date = new Date(`${value.slice(0, 23)}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');

/**
 * Local time, `YYYY-MM-DD HH:MM:SS`.
 * @param {Date | undefined} date
 */
export function formatTime(date) {
  if (date === undefined) return '–';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/**
 * A time cell: local time, UTC in the tooltip.
 * @param {string | null | undefined} value the API's timestamp
 */
export function timeCell(value) {
  const date = parseApiTime(value);
  return h('td', {
    class: 'time',
    text: formatTime(date),
    ...(date ? { title: `${date.toISOString().replace('.000Z', 'Z')} (UTC)` } : {}),
  });
}

/**
 * `1 h 02 min`, `3 min 05 s`, `12 s`.
 * @param {number} ms
 */
export function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${pad(s % 60)} s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${pad(m % 60)} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/**
 * How long an introspection took, or has been running.
 * @param {{ started_at: string | null, finished_at: string | null, state: string }} status
 * @param {number} now
 */
export function durationOf(status, now) {
  const started = parseApiTime(status.started_at);
  const finished = parseApiTime(status.finished_at);
  if (started === undefined) return '–';
  // A reapply restarts started_at and keeps the old finished_at until it ends.
  if (finished !== undefined && finished >= started)
    return formatDuration(finished.getTime() - started.getTime());
  return `${formatDuration(now - started.getTime())} so far`;
}

/**
 * `50 GiB`, `8 GiB`, `512 MiB`.
 * @param {number | undefined} bytes
 */
export function formatBytes(bytes) {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 || Number.isInteger(value) ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** @param {string} state */
export function stateBadge(state) {
  return h('span', { class: `state state-${state}`, text: state, data: { state } });
}

/**
 * A definition list of facts; empty values are left out.
 * @param {Array<[string, Child | Child[]]>} rows
 */
export function facts(rows) {
  const list = h('dl', { class: 'facts' });
  for (const [name, value] of rows) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    list.append(h('dt', { text: name }), h('dd', null, value));
  }
  return list;
}
