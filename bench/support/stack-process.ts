/**
 * The local stack in a child process of its own, for the lifecycle benchmark: its CPU time and memory
 * are then the stack's alone. Settings come from the environment (as for `npm start`); the parent
 * talks to it over the IPC channel:
 *
 * - it sends `{ type: 'ready', url }` once the stack listens;
 * - `{ type: 'usage' }` → `{ type: 'usage', cpuMs, rss }` (CPU time since start, user + system);
 * - `{ type: 'idle' }` → `{ type: 'idle' }` once no worker job is queued or running;
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

type Request =
  | { type: 'usage' }
  | { type: 'idle' }
  | { type: 'profile-start' }
  | { type: 'profile-stop'; path: string }
  | { type: 'stop' };

const send = (message: Record<string, unknown>) => process.send?.(message);

const stack = await startLocalStack({ port: 0, cleanUpPeriodSeconds: 0 });
let session: Session | undefined;

process.on('message', (message: Request) => {
  void (async () => {
    switch (message.type) {
      case 'usage': {
        const cpu = process.cpuUsage();
        send({ type: 'usage', cpuMs: (cpu.user + cpu.system) / 1000, rss: process.memoryUsage().rss });
        break;
      }
      case 'idle':
        await stack.idle();
        send({ type: 'idle' });
        break;
      case 'profile-start':
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 100 });
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
