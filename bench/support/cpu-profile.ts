/**
 * A V8 CPU profile (`.cpuprofile`, as `node --cpu-prof` writes it) summarised per unit of work (e.g.
 * per callback): where the time goes by component (a package, a project file; native functions and
 * Node's internals count for the JS that called them), and the hottest functions by self time.
 *
 * The profiler samples wall-clock time: on a busy machine a descheduled process still collects
 * samples. Shares are therefore reported, and turned into milliseconds with the CPU time measured over
 * the same window (`cpuMs`).
 *
 * @example
 * ```ts
 * const profile = JSON.parse(readFileSync('callback.cpuprofile', 'utf8'));
 * console.log(summariseProfile(profile, { units: 20, unit: 'callback', cpuMs: 1400 }));
 * ```
 */
import { formatTable } from './table.ts';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a frame's time goes: a package, a project file, Node itself, or V8's own categories. */
export function category(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(garbage collector)') return 'garbage collection';
    if (functionName === '(program)') return 'V8 / native (program)';
    return 'native functions';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg !== undefined) {
    if (pkg.startsWith('@aws-sdk/') || pkg.startsWith('@smithy/')) return 'AWS SDK';
    if (pkg.startsWith('@aws-lambda-powertools/')) return 'Powertools';
    return pkg;
  }
  if (url.startsWith('node:')) return `node (${url.slice(5).split('/')[0]})`;
  const project = /\/((?:lib|functions|scripts|bench)\/.+)$/.exec(url)?.[1];
  if (project !== undefined) return project;
  return url;
}

const V8_OWN = new Set(['(idle)', 'garbage collection', 'V8 / native (program)']);
/** Natives whose samples are mostly time blocked in a system call rather than CPU time. */
const BLOCKING_NATIVES = new Set(['writev', 'writeBuffer']);

/** Sampled time (ms) per component and per function (self), idle excluded. */
export function selfTimes(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  /** The first frame up the stack that is JavaScript outside Node (natives count for their caller). */
  const component = (id: number): string => {
    const own = byId.get(id)?.callFrame;
    const ownCategory = own === undefined ? 'unknown' : category(own.url, own.functionName);
    if (V8_OWN.has(ownCategory)) return ownCategory;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame !== undefined && frame.url !== '' && !frame.url.startsWith('node:')) {
        return category(frame.url, frame.functionName);
      }
    }
    return 'Node (event loop, I/O, HTTP)';
  };
  const perNode = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    perNode.set(id, (perNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  let blocked = 0;
  for (const [id, ms] of perNode) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    const where = component(id);
    // Idle, and the benchmark's own harness in the profiled process (IPC, starting the profiler).
    if (where === '(idle)' || where.startsWith('bench/')) continue;
    // Socket writes flushed by the event loop: on shared cores, mostly waiting for a CPU after waking
    // the peer (wall-clock samples, not CPU time); counted apart.
    if (frame.url === '' && BLOCKING_NATIVES.has(frame.functionName)) {
      blocked += ms;
      continue;
    }
    busy += ms;
    categories.set(where, (categories.get(where) ?? 0) + ms);
    const own = category(frame.url, frame.functionName);
    const name =
      frame.url === ''
        ? `${frame.functionName} (native)`
        : `${frame.functionName || '(anonymous)'} ${own}:${frame.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
  }
  return { busy, blocked, categories, functions };
}

/**
 * The summary as two tables, per `unit`: where the time goes by component, and the hottest functions.
 * `cpuMs`: CPU time measured over the profiled window (shares are turned into ms with it).
 */
export function summariseProfile(
  profile: CpuProfile,
  options: { units: number; unit: string; cpuMs: number; top?: number },
): string {
  const { units, unit, cpuMs, top = 12 } = options;
  const { busy, blocked, categories, functions } = selfTimes(profile);
  const rows = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => [
        name,
        ((cpuMs * ms) / busy / units).toFixed(2),
        `${((100 * ms) / busy).toFixed(1)}%`,
      ]);
  return [
    `CPU ${(cpuMs / units).toFixed(1)} ms per ${unit} (${units} ${unit}s; profile shares × measured CPU time).`,
    `Left out: socket writes (writev) flushed by the event loop, ${((100 * blocked) / (busy + blocked)).toFixed(0)}% of the non-idle samples:`,
    'the profiler samples wall time, and on shared cores a write that wakes its peer mostly waits for a CPU',
    "(compare the stack's kernel time in the table above).",
    '',
    formatTable(
      ['component (with the natives and Node internals it calls)', `ms per ${unit}`, 'share'],
      rows(categories),
      'lrr',
    ),
    '',
    formatTable(['hottest functions (self time)', `ms per ${unit}`, 'share'], rows(functions), 'lrr'),
  ].join('\n');
}
