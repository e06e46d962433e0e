/**
 * The local stack in a child process of its own, for the lifecycle benchmark: its CPU time and memory
 * are then the stack's alone. Settings come from the environment (as for `npm start`); the parent
 * talks to it over the IPC channel:
 *
 * - it sends `{ type: 'ready', url }` once the stack listens;
 * - `{ type: 'usage' }` → `{ type: 'usage', cpuMs, systemMs, rss }` (CPU time since start: user +
 *   system, and system alone);
 * - `{ type: 'idle' }` → `{ type: 'idle' }` once no worker job is queued or running;
 * - `{ type: 'counts' }` → `{ type: 'counts', ironic, dynamoDb, s3 }`: requests sent since the last
 *   `counts`, by kind (`[key, count]` pairs), counted inside this process: Ironic requests by wrapping
 *   `fetch` (the Ironic client's transport; nothing else here uses it), DynamoDB and S3 commands with
 *   the SDK middleware of `scripts/request-counter.ts` (every attempt). No proxy, so no extra hop;
 * - `{ type: 'log-cost', lines }` → `{ type: 'log-cost', cpuMsPerLine }`: CPU time of one log line
 *   through the process's logger as configured (written to stdout like any other);
 * - `{ type: 'profile-start' }` / `{ type: 'profile-stop', path }`: V8's CPU profiler (what
 *   `node --cpu-prof` runs), around a window the parent chooses; the profile is written to `path`;
 * - `{ type: 'stop' }`: stops the stack and exits.
 *
 * @example
 * ```ts
 * const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/stack-process.ts'], {
 *   env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
 * ```
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { startLocalStack } from '../../scripts/local-stack.ts';
import { recordCommands } from '../../scripts/request-counter.ts';

type Request =
  | { type: 'usage' }
  | { type: 'idle' }
  | { type: 'counts' }
  | { type: 'log-cost'; lines: number }
  | { type: 'profile-start' }
  | { type: 'profile-stop'; path: string }
  | { type: 'stop' };

const send = (message: Record<string, unknown>) => process.send?.(message);

// Ironic requests: `GET /v1/nodes/{id}`, … (the Ironic client calls the global fetch; wrap it first).
const ironicUrl = (process.env.IRONIC_URL ?? 'http://127.0.0.1:6385').replace(/\/+$/, '');
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const ironicRequests: string[] = [];
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  if (url.startsWith(ironicUrl)) {
    const path = new URL(url).pathname.replace(UUID, '{id}');
    ironicRequests.push(`${init?.method ?? (input instanceof Request ? input.method : 'GET')} ${path}`);
  }
  return realFetch(input, init);
};

const stack = await startLocalStack({ port: 0, cleanUpPeriodSeconds: 0 });
const clients = stack.runtime.clients;
if (clients === undefined) throw new Error('the benchmark runs the stack on DynamoDB Local and s3rver');
const dynamoDbCommands = recordCommands(clients.dynamoDb);
const s3Commands = recordCommands(await clients.s3.get());
let session: Session | undefined;

/** `[key, count]` pairs of `items`, then empties it. */
function take(items: string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) {
    const key = item.replace(/Command$/, ''); // SDK command names: `GetItemCommand` → `GetItem`
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  items.length = 0;
  return [...counts];
}

process.on('message', (message: Request) => {
  void (async () => {
    switch (message.type) {
      case 'usage': {
        const cpu = process.cpuUsage();
        send({
          type: 'usage',
          cpuMs: (cpu.user + cpu.system) / 1000,
          systemMs: cpu.system / 1000,
          rss: process.memoryUsage().rss,
        });
        break;
      }
      case 'idle':
        await stack.idle();
        send({ type: 'idle' });
        break;
      case 'counts': {
        send({
          type: 'counts',
          ironic: take(ironicRequests),
          dynamoDb: take(dynamoDbCommands),
          s3: take(s3Commands),
        });
        break;
      }
      case 'log-cost': {
        const { powertoolsLogger } = await import('#lib/observability.ts');
        const node = '1be26c0b-2f7e-4bd4-8d2f-6e1a1c6f7c1e';
        const before = process.cpuUsage();
        for (let i = 0; i < message.lines; i++) {
          powertoolsLogger.info('Introspection started', { node, attempt: i });
        }
        const cpu = process.cpuUsage(before);
        send({ type: 'log-cost', cpuMsPerLine: (cpu.user + cpu.system) / 1000 / message.lines });
        break;
      }
      case 'profile-start':
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
        send({ type: 'profile-start' });
        break;
      case 'profile-stop': {
        const result = await session?.post('Profiler.stop');
        session?.disconnect();
        session = undefined;
        writeFileSync(message.path, JSON.stringify(result?.profile ?? {}));
        send({ type: 'profile-stop' });
        break;
      }
      case 'stop':
        await stack.stop();
        process.exit(0);
    }
  })().catch((err: unknown) => {
    console.error(`stack-process: ${String(err)}`);
    process.exit(1);
  });
});
process.on('disconnect', () => {
  void stack.stop().finally(() => process.exit(0));
});
send({ type: 'ready', url: stack.url });
