/**
 * The PXE filter agent: runs next to dnsmasq on the provisioning network, asks the inspector API for
 * the filter (`GET /v1/pxe-filter`) every interval and keeps dnsmasq's `dhcp-hostsdir` in line with
 * it (see `hostsdir.ts`). Upstream runs this as a periodic task inside the inspector; here the
 * inspector is in AWS and dnsmasq on premises, so the task moves next to dnsmasq.
 *
 * - It sends the ETag of the last answer it applied (`If-None-Match`): an unchanged filter is a 304
 *   without a body; the folder is still checked against it each interval (only files that differ
 *   are written), so a file removed or edited by hand is put back, as upstream's periodic sync does.
 * - When the API cannot be reached or answers an error, the hosts directory stays exactly as it is
 *   (the last good filter), one log line says why (again only when the reason changes), and the
 *   next interval tries again; one line says when it works again.
 * - A stop request (SIGTERM) ends the wait at once; a sync under way finishes its file writes first.
 *
 * @example
 * ```ts
 * const agent = new PxeFilterAgent({ apiUrl: 'https://inspector.example.com', hostsdir, intervalMs: 15_000,
 *   auth: agentAuth('none', undefined), logger, purge: true });
 * await agent.run(controller.signal);
 * ```
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Logger } from '#lib/ports/logger.ts';
import type { AgentAuth } from '#lib/pxe-filter/agent-auth.ts';
import { DnsmasqHostsdir, type HostsdirChanges } from '#lib/pxe-filter/hostsdir.ts';
import { MAC, type PxeFilter } from '#lib/pxe-filter/pxe-filter.ts';

export interface PxeFilterAgentOptions {
  /** The inspector API's root (as clients reach it; a path prefix is kept). */
  readonly apiUrl: string;
  /** dnsmasq's `dhcp-hostsdir`. */
  readonly hostsdir: string;
  readonly intervalMs: number;
  readonly auth: AgentAuth;
  readonly logger: Logger;
  /** Remove files the first answer does not name (upstream's `purge_dhcp_hostsdir`, default on). */
  readonly purge: boolean;
  /** Per request (default 10 s). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export type SyncOutcome =
  | { readonly kind: 'applied'; readonly filter: PxeFilter; readonly changes: HostsdirChanges }
  | { readonly kind: 'unchanged'; readonly changes: HostsdirChanges }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'stopped' };

const answerSchema = z.object({
  allowed_macs: z.array(z.string().regex(MAC, 'not a lower-case MAC')),
  denied_macs: z.array(z.string().regex(MAC, 'not a lower-case MAC')),
  unknown_macs: z.enum(['allow', 'deny']),
});

class SyncFailure extends Error {}

export class PxeFilterAgent {
  readonly #options: PxeFilterAgentOptions;
  readonly #url: URL;
  readonly #hostsdir: DnsmasqHostsdir;
  readonly #fetch: typeof fetch;
  /** The last answer applied in full, and its ETag. */
  #last: PxeFilter | undefined;
  #etag: string | undefined;
  #purged = false;
  /** The reason of the failures since the last success, and how many. */
  #failing: string | undefined;
  #failures = 0;

  constructor(options: PxeFilterAgentOptions) {
    this.#options = options;
    this.#url = new URL(
      'v1/pxe-filter',
      options.apiUrl.endsWith('/') ? options.apiUrl : `${options.apiUrl}/`,
    );
    this.#hostsdir = new DnsmasqHostsdir(options.hostsdir);
    this.#fetch = options.fetch ?? fetch;
  }

  /** The endpoint asked. */
  get url(): string {
    return this.#url.href;
  }

  /** One round: ask, and apply a new answer. Never throws. */
  async syncOnce(signal?: AbortSignal): Promise<SyncOutcome> {
    const { logger } = this.#options;
    let outcome: SyncOutcome;
    try {
      const answer = await this.#ask(signal);
      // 304: the answer applied last still holds; the folder is checked against it all the same.
      const filter = answer?.filter ?? this.#last;
      if (filter === undefined) throw new SyncFailure('the API answered 304 to a first request');
      let changes: HostsdirChanges;
      try {
        changes = await this.#hostsdir.apply(filter, { purge: this.#options.purge && !this.#purged });
      } catch (err) {
        throw new SyncFailure(`cannot write the hosts directory ${this.#options.hostsdir}: ${message(err)}`);
      }
      this.#purged = true;
      this.#last = filter;
      if (answer !== undefined) this.#etag = answer.etag;
      outcome = answer === undefined ? { kind: 'unchanged', changes } : { kind: 'applied', filter, changes };
      if (changes.written.length > 0 || changes.removed.length > 0) {
        logger.info(
          `PXE filter applied: ${filter.allowed_macs.length} allowed, ${filter.denied_macs.length} denied, unknown MACs ${filter.unknown_macs}; ${changes.written.length} files written, ${changes.removed.length} removed`,
        );
      }
    } catch (err) {
      if (signal?.aborted) return { kind: 'stopped' };
      const reason = err instanceof SyncFailure ? err.message : `unexpected failure: ${message(err)}`;
      this.#failures++;
      if (reason !== this.#failing) {
        logger.warn(`PXE filter not updated, the hosts directory stays as it was: ${reason}`);
        this.#failing = reason;
      }
      return { kind: 'failed', reason };
    }
    if (this.#failing !== undefined) {
      logger.info(`PXE filter in sync again after ${this.#failures} failed attempts`);
      this.#failing = undefined;
      this.#failures = 0;
    }
    return outcome;
  }

  /** Sync every interval until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { logger, intervalMs, hostsdir } = this.#options;
    logger.info(`PXE filter agent started: ${this.url} -> ${hostsdir} every ${intervalMs / 1000} s`);
    while (!signal.aborted) {
      await this.syncOnce(signal);
      await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
    }
    logger.info('PXE filter agent stopped');
  }

  /** The new filter and its ETag, or undefined when the API says it is unchanged (304). */
  async #ask(
    signal: AbortSignal | undefined,
  ): Promise<{ filter: PxeFilter; etag: string | undefined } | undefined> {
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      const timeoutMs = this.#options.timeoutMs ?? 10_000;
      try {
        const headers: Record<string, string> = {
          Accept: 'application/json',
          ...(await this.#options.auth.headers()),
          ...(this.#etag === undefined ? {} : { 'If-None-Match': this.#etag }),
        };
        const timeout = AbortSignal.timeout(timeoutMs);
        response = await this.#fetch(this.#url, {
          headers,
          signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
        });
      } catch (err) {
        if ((err as Error).name === 'TimeoutError') {
          throw new SyncFailure(`the API at ${this.url} did not answer within ${timeoutMs / 1000} s`);
        }
        throw new SyncFailure(`the API at ${this.url} is unreachable (${message(err)})`);
      }
      if (response.status === 304) {
        await response.body?.cancel();
        return undefined;
      }
      const text = await response.text();
      if (response.status === 401 && attempt === 1 && this.#options.auth.invalidate()) continue;
      if (response.status !== 200) {
        throw new SyncFailure(`the API answered ${response.status}${errorText(text)}`);
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new SyncFailure('the API answered 200 without a JSON body');
      }
      const parsed = answerSchema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new SyncFailure(
          `the API's answer is not a PXE filter (${issue?.path.join('.')}: ${issue?.message})`,
        );
      }
      return { filter: parsed.data, etag: response.headers.get('etag') ?? undefined };
    }
  }
}

function message(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? err.message;
  }
  return String(err);
}

/** `: <message>` from the inspector's error body, when there is one. */
function errorText(text: string): string {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown }; message?: unknown }).error?.message;
    if (typeof message === 'string') return `: ${message}`;
  } catch {
    // not JSON: the status says it all
  }
  return '';
}
