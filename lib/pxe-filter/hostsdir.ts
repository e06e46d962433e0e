/**
 * dnsmasq's `dhcp-hostsdir`, kept as upstream's dnsmasq PXE filter driver keeps it
 * (`ironic_inspector/pxe_filter/dnsmasq.py`): one file per MAC, named by the MAC, holding
 *
 * - `<mac>\n` to allow it (a known host: dnsmasq answers it from its range),
 * - `<mac>,ignore\n` to deny it,
 *
 * and the file `unknown_hosts_filter` holding `*:*:*:*:*:*\n` or `*:*:*:*:*:*,ignore\n` for every
 * other MAC. dnsmasq reads new and changed files by itself (inotify) but never forgets a removed
 * file's hosts, so, as upstream, files are never removed while dnsmasq runs: a MAC that has left
 * Ironic keeps its file, rewritten to the unknown-MAC policy. Only the first sync of a run purges
 * the folder (upstream's `purge_dhcp_hostsdir` at start), leaving exactly the answer's files.
 *
 * Every write is atomic: the content goes to a dot-file in the same folder (dnsmasq's inotify
 * skips dot-files), then is renamed over the MAC's file, so dnsmasq never reads half a line. Files
 * already holding the right line are left alone.
 *
 * @example
 * ```ts
 * const hostsdir = new DnsmasqHostsdir('/var/lib/ironic-inspector/dhcp-hostsdir');
 * await hostsdir.apply({ allowed_macs: ['52:54:00:12:34:56'], denied_macs: [], unknown_macs: 'deny' }, { purge: true });
 * ```
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAC, type PxeFilter, type UnknownMacsPolicy } from '#lib/pxe-filter/pxe-filter.ts';

/** Upstream's name for the wildcard file. */
export const UNKNOWN_HOSTS_FILE = 'unknown_hosts_filter';

/** The line that allows or denies one MAC. */
export function macLine(mac: string, policy: UnknownMacsPolicy): string {
  return policy === 'allow' ? `${mac}\n` : `${mac},ignore\n`;
}

/** The wildcard line for unknown MACs. */
export function unknownHostsLine(policy: UnknownMacsPolicy): string {
  return macLine('*:*:*:*:*:*', policy);
}

/** What one {@link DnsmasqHostsdir.apply} changed. */
export interface HostsdirChanges {
  /** Files (re)written, in write order. */
  readonly written: readonly string[];
  /** Files removed (only when purging). */
  readonly removed: readonly string[];
}

export class DnsmasqHostsdir {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Bring the folder to `filter`: active MACs allowed, the other ports denied, files of MACs that
   * left Ironic and the wildcard file set to the unknown-MAC policy. With `purge`, files the answer
   * does not name are removed first (the folder is dnsmasq's and ours alone, as upstream requires).
   *
   * @throws the file system's errors (a missing or unwritable folder); what was written stays written
   */
  async apply(filter: PxeFilter, options: { readonly purge: boolean }): Promise<HostsdirChanges> {
    const wanted = new Map<string, string>();
    for (const mac of filter.allowed_macs) wanted.set(mac, macLine(mac, 'allow'));
    for (const mac of filter.denied_macs) if (!wanted.has(mac)) wanted.set(mac, macLine(mac, 'deny'));

    const removed: string[] = [];
    const present = await readdir(this.dir, { withFileTypes: true });
    for (const entry of present) {
      if (!entry.isFile()) continue;
      const name = entry.name;
      if (name.startsWith('.') && name.endsWith('.tmp')) {
        await rm(join(this.dir, name), { force: true }); // a write cut short earlier
      } else if (options.purge && name !== UNKNOWN_HOSTS_FILE && !wanted.has(name)) {
        await rm(join(this.dir, name), { force: true });
        removed.push(name);
      } else if (!wanted.has(name) && MAC.test(name)) {
        // A MAC Ironic no longer has a port for: treated as unknown (upstream's removed list).
        wanted.set(name, macLine(name, filter.unknown_macs));
      }
    }
    wanted.set(UNKNOWN_HOSTS_FILE, unknownHostsLine(filter.unknown_macs));

    const written: string[] = [];
    for (const [name, line] of wanted) {
      if ((await this.#read(name)) === line) continue;
      await this.#writeAtomically(name, line);
      written.push(name);
    }
    return { written, removed };
  }

  async #read(name: string): Promise<string | undefined> {
    try {
      return await readFile(join(this.dir, name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async #writeAtomically(name: string, content: string): Promise<void> {
    const temporary = join(this.dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(temporary, content, { mode: 0o644, flush: true });
      await rename(temporary, join(this.dir, name));
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
  }
}
