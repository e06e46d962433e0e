/**
 * A provisioning network in a box, for the PXE filter's dnsmasq test: two network namespaces made
 * here joined by a veth pair (nothing outside the machine), Debian's dnsmasq serving DHCP in one from
 * a `dhcp-hostsdir`, and busybox's udhcpc asking from the other with whatever MAC the test gives it.
 * Needs root, and `scripts/dhcp-tools.sh install` (run by {@link startDhcpNetwork}).
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const TOOLS = resolve(import.meta.dirname, '../../scripts/dhcp-tools.sh');

export interface DhcpNetwork {
  /** Ask for a lease with `mac`: the address offered and acknowledged, or undefined when none came. */
  lease(mac: string): Promise<string | undefined>;
  /** dnsmasq's log so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Install the tools when missing (root), then build the network and start dnsmasq on `hostsdir`. */
export async function startDhcpNetwork(hostsdir: string): Promise<DhcpNetwork> {
  if (process.getuid?.() !== 0) {
    throw new Error('The dnsmasq test needs root (network namespaces, dnsmasq); CI runs as root');
  }
  execFileSync(TOOLS, ['install'], { stdio: ['ignore', 'inherit', 'inherit'] });

  const id = randomBytes(3).toString('hex');
  const server = `pxf-${id}-srv`;
  const client = `pxf-${id}-cli`;
  const serverIf = `pxs${id}`;
  const clientIf = `pxc${id}`;
  const work = mkdtempSync(join(tmpdir(), 'dhcp-network-'));
  const script = join(work, 'udhcpc.sh');
  writeFileSync(script, '#!/bin/sh\n[ "$1" = bound ] && echo "LEASE $ip"\nexit 0\n');
  chmodSync(script, 0o755);
  // dnsmasq reads the folder as root here, but keep it readable as a real deployment would.
  chmodSync(hostsdir, 0o755);

  const ip = (...args: string[]) => run('ip', args);
  let dnsmasq: ChildProcess | undefined;
  let output = '';
  const teardown = async () => {
    if (dnsmasq && dnsmasq.exitCode === null) {
      const exited = new Promise((r) => dnsmasq?.once('exit', r));
      dnsmasq.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
    }
    await ip('netns', 'del', server).catch(() => undefined);
    await ip('netns', 'del', client).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  };
  try {
    await ip('netns', 'add', server);
    await ip('netns', 'add', client);
    await ip('link', 'add', serverIf, 'type', 'veth', 'peer', 'name', clientIf);
    await ip('link', 'set', serverIf, 'netns', server);
    await ip('link', 'set', clientIf, 'netns', client);
    await ip('-n', server, 'addr', 'add', '10.251.0.1/24', 'dev', serverIf);
    await ip('-n', server, 'link', 'set', serverIf, 'up');
    await ip('-n', server, 'link', 'set', 'lo', 'up');

    dnsmasq = spawn(
      'ip',
      [
        'netns',
        'exec',
        server,
        '/usr/sbin/dnsmasq',
        '--no-daemon',
        '--conf-file=/dev/null',
        '--port=0', // DHCP only
        `--interface=${serverIf}`,
        '--bind-interfaces',
        '--dhcp-range=10.251.0.100,10.251.0.200,2m',
        `--dhcp-hostsdir=${hostsdir}`,
        `--dhcp-leasefile=${join(work, 'leases')}`,
        '--pid-file=',
        '--user=root',
        '--log-dhcp',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    dnsmasq.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    dnsmasq.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const deadline = Date.now() + 15_000;
    while (!output.includes('DHCP, sockets bound exclusively')) {
      if (dnsmasq.exitCode !== null || Date.now() > deadline) {
        throw new Error(`dnsmasq did not start:\n${output}`);
      }
      await sleep(100);
    }
  } catch (err) {
    await teardown();
    throw err;
  }

  return {
    async lease(mac) {
      // A new MAC on a link that is down, then up: the first packets then go out with it.
      await ip('-n', client, 'link', 'set', clientIf, 'down');
      await ip('-n', client, 'link', 'set', clientIf, 'address', mac);
      await ip('-n', client, 'link', 'set', clientIf, 'up');
      // -B: ask for broadcast answers (the client has no address yet); -n: give up after -t tries.
      const result = await run(
        'ip',
        [
          'netns',
          'exec',
          client,
          'busybox',
          'udhcpc',
          '-i',
          clientIf,
          '-n',
          '-q',
          '-t',
          '3',
          '-T',
          '1',
          '-A',
          '1',
          '-B',
          '-s',
          script,
        ],
        { timeout: 30_000 },
      ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
      return /LEASE (\S+)/.exec(result.stdout)?.[1];
    },
    log: () => output,
    stop: teardown,
  };
}
