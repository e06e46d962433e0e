/**
 * `npm start` (scripts/start.ts) as a user runs it, in a process of its own with its own data folder:
 * a port in use is one line naming `PORT`, with nothing left running; and SIGINT, SIGTERM or an
 * uncaught exception stop the DynamoDB Local it started. The stand-in tests of the same handlers:
 * test/unit/exit-handlers.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/local-services.ts';

const root = resolve(import.meta.dirname, '../..');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The processes whose command line mentions `text` (DynamoDB Local's names its data folder). */
async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(text) && cmdline.includes('DynamoDBLocal')) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

interface Started {
  readonly child: ChildProcess;
  readonly dataDir: string;
  output(): string;
  exited: Promise<number | null>;
}

/** `npm start`'s script in one node process (tsx as a loader, so signals reach it directly). */
async function npmStart(port: number): Promise<Started> {
  const dataDir = await mkdtemp(join(tmpdir(), 'npm-start-'));
  const child = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      '--import',
      'tsx',
      '--require',
      './test/support/crash-on-signal.cjs',
      'scripts/start.ts',
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(port),
        LOCAL_DATA_DIR: dataDir,
        CLEAN_UP_PERIOD: '0',
        NODE_OPTIONS: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    for (const pid of await processesMentioning(dataDir)) process.kill(pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });
  return { child, dataDir, output: () => output, exited };
}

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('npm start', () => {
  it('a port in use: one line naming PORT, exit 1, and no DynamoDB Local left running', async () => {
    const holder: Server = createServer();
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
    cleanups.push(() => new Promise((done) => holder.close(() => done())));
    const port = (holder.address() as { port: number }).port;
    const started = await npmStart(port);
    expect(await started.exited).toBe(1);
    expect(started.output()).toContain(
      `Serverless Inspector could not start: Port ${port} on 127.0.0.1 is already in use (another \`npm start\`?). Stop what holds it, or set PORT to another port: PORT=${port + 1} npm start`,
    );
    expect(started.output()).not.toMatch(/\n\s+at /); // no stack trace
    expect(await processesMentioning(started.dataDir)).toEqual([]);
  }, 120_000);

  it.each([
    ['SIGINT', 0],
    ['SIGTERM', 0],
    ['SIGUSR2', 1], // an uncaught exception (test/support/crash-on-signal.cjs)
  ] as const)(
    '%s: stops DynamoDB Local and exits %i',
    async (signal, code) => {
      const started = await npmStart(await freePort());
      await until(() => started.output().includes('listening on'), 'the stack');
      const url = /listening on (http:\/\/\S+)/.exec(started.output())?.[1] as string;
      expect((await fetch(`${url}/v1/introspection`)).status).toBe(200);
      expect(await processesMentioning(started.dataDir)).toHaveLength(1);
      started.child.kill(signal);
      expect(await started.exited).toBe(code);
      await until(
        async () => (await processesMentioning(started.dataDir)).length === 0,
        'DynamoDB Local to end',
        15_000,
      );
      if (signal === 'SIGUSR2')
        expect(started.output()).toContain('Uncaught exception: Error: injected crash');
    },
    180_000,
  );
});
