// @ts-check
/** The small chart of introspections finished and failed over time (SVG, no library). */
import { parseApiTime, svg } from './format.js';

/** @typedef {{ state: string, finished_at: string | null }} Finishing */

export const RANGES = /** @type {const} */ ({
  '24h': { label: 'last 24 hours', buckets: 24, bucketMs: 3_600_000 },
  '7d': { label: 'last 7 days', buckets: 7, bucketMs: 86_400_000 },
  '30d': { label: 'last 30 days', buckets: 30, bucketMs: 86_400_000 },
});

/** @param {Date} date @param {number} bucketMs */
function label(date, bucketMs) {
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return bucketMs < 86_400_000
    ? `${pad(date.getHours())}:00`
    : `${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** @param {Date} date @param {number} bucketMs the bucket's start in local time */
function floor(date, bucketMs) {
  const d = new Date(date);
  d.setMinutes(0, 0, 0);
  if (bucketMs >= 86_400_000) d.setHours(0);
  return d;
}

/**
 * Count finished (`finished`) and failed (`error`) introspections per bucket, by `finished_at`.
 * @param {Finishing[]} statuses
 * @param {number} now
 * @param {keyof typeof RANGES} range
 */
export function bucketsOf(statuses, now, range) {
  const { buckets, bucketMs } = RANGES[range];
  const last = floor(new Date(now), bucketMs).getTime();
  const first = last - (buckets - 1) * bucketMs;
  const rows = Array.from({ length: buckets }, (_, i) => ({
    start: new Date(first + i * bucketMs),
    finished: 0,
    failed: 0,
  }));
  for (const status of statuses) {
    const at = parseApiTime(status.finished_at)?.getTime();
    if (at === undefined || at < first || at >= last + bucketMs) continue;
    const row = rows[Math.floor((at - first) / bucketMs)];
    if (row === undefined) continue;
    if (status.state === 'finished') row.finished++;
    else if (status.state === 'error') row.failed++;
  }
  return rows;
}

/**
 * The chart.
 * @param {Finishing[]} statuses
 * @param {number} now
 * @param {keyof typeof RANGES} range
 */
export function chartOf(statuses, now, range) {
  const rows = bucketsOf(statuses, now, range);
  const { bucketMs } = RANGES[range];
  const width = 640;
  const height = 140;
  const bottom = 18;
  const top = 8;
  const max = Math.max(1, ...rows.map((r) => Math.max(r.finished, r.failed)));
  const slot = width / rows.length;
  const bar = Math.max(2, Math.min(10, slot / 2 - 2));
  /** @type {SVGElement[]} */
  const parts = [svg('line', { class: 'axis', x1: 0, x2: width, y1: height - bottom, y2: height - bottom })];
  const every = Math.ceil(rows.length / 8);
  rows.forEach((row, i) => {
    const x = i * slot + slot / 2;
    const scale = (/** @type {number} */ n) => ((height - bottom - top) * n) / max;
    const when = label(row.start, bucketMs);
    for (const [kind, count, dx] of /** @type {const} */ ([
      ['finished', row.finished, -bar - 1],
      ['failed', row.failed, 1],
    ])) {
      if (count === 0) continue;
      const h = scale(count);
      parts.push(
        svg(
          'rect',
          { class: `bar-${kind}`, x: x + dx, y: height - bottom - h, width: bar, height: h, rx: 1 },
          svg('title', {}, document.createTextNode(`${when}: ${count} ${kind}`)),
        ),
      );
    }
    if (i % every === 0) {
      const t = svg('text', { x, y: height - 4, 'text-anchor': 'middle' });
      t.textContent = when;
      parts.push(t);
    }
  });
  const maxLabel = svg('text', { x: 2, y: top + 8 });
  maxLabel.textContent = String(max);
  parts.push(maxLabel);
  const finished = rows.reduce((n, r) => n + r.finished, 0);
  const failed = rows.reduce((n, r) => n + r.failed, 0);
  const chart = svg(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': `${finished} finished and ${failed} failed, ${RANGES[range].label}`,
    },
    ...parts,
  );
  return { chart, finished, failed };
}
