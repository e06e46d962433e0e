/**
 * `serverless-inspector`, the package's command (`npx serverless-inspector …`; `bin/` starts it).
 *
 *   serverless-inspector pxe-filter --api URL --hostsdir DIR [--interval 15] [--auth MODE]
 *                                   [--credentials FILE] [--timeout 10] [--no-purge] [--once]
 *
 * Exit status: 0 after a stop (SIGTERM, SIGINT) or a successful `--once`; 1 when `--once` failed;
 * 2 for bad arguments or credentials.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Logger } from '#lib/ports/logger.ts';
import { PxeFilterAgent } from '#lib/pxe-filter/agent.ts';
import { type AgentAuthMode, AgentConfigurationError, agentAuth } from '#lib/pxe-filter/agent-auth.ts';

export const USAGE = `Usage: serverless-inspector pxe-filter --api URL --hostsdir DIR [options]

Keeps dnsmasq's dhcp-hostsdir in line with the inspector's PXE filter (GET /v1/pxe-filter), as
ironic-inspector's dnsmasq PXE filter does: one file per MAC, "<mac>" to allow, "<mac>,ignore" to
deny, and "unknown_hosts_filter" for every other MAC.

Options:
  --api URL            the inspector API (as clients reach it)
  --hostsdir DIR       dnsmasq's dhcp-hostsdir (the agent's alone)
  --interval SECONDS   how often to ask (default 15, upstream's [pxe_filter]sync_period)
  --auth MODE          none (default), http_basic or keystone
  --credentials FILE   JSON credentials for --auth (or the PXE_FILTER_CREDENTIALS variable):
                       http_basic {"username","password"}; keystone {"token"} or
                       {"auth_url","username","password","project_name"|"system_scope":"all"}
  --timeout SECONDS    per request (default 10)
  --no-purge           keep files the first answer does not name (upstream's purge_dhcp_hostsdir=False)
  --once               one sync, then exit (1 when it failed)
  -h, --help           this text
`;

/** One short line per event on stderr (journald adds its own timestamps under systemd). */
const lineLogger: Logger = {
  debug(message) {
    if (process.env.LOG_LEVEL?.toUpperCase() === 'DEBUG') console.error(`DEBUG ${message}`);
  },
  info(message) {
    console.error(`INFO ${message}`);
  },
  warn(message) {
    console.error(`WARN ${message}`);
  },
  error(message) {
    console.error(`ERROR ${message}`);
  },
};

class UsageError extends Error {}

function seconds(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number of seconds`);
  return n;
}

/** Run the command; resolves to the exit status. */
export async function main(argv: readonly string[], logger: Logger = lineLogger): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === '-h' || command === '--help') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (command !== 'pxe-filter')
      throw new UsageError(command ? `Unknown command: ${command}` : 'No command');
    const { values } = parseArgs({
      args: rest,
      strict: true,
      allowNegative: true,
      options: {
        api: { type: 'string' },
        hostsdir: { type: 'string' },
        interval: { type: 'string' },
        auth: { type: 'string' },
        credentials: { type: 'string' },
        timeout: { type: 'string' },
        purge: { type: 'boolean', default: true },
        once: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (values.api === undefined) throw new UsageError('--api URL is required');
    if (!URL.canParse(values.api)) throw new UsageError(`--api: not a URL: ${values.api}`);
    if (values.hostsdir === undefined) throw new UsageError('--hostsdir DIR is required');
    const mode = values.auth ?? 'none';
    if (!['none', 'http_basic', 'keystone'].includes(mode)) {
      throw new UsageError('--auth must be none, http_basic or keystone');
    }
    let credentials: string | undefined = process.env.PXE_FILTER_CREDENTIALS;
    if (values.credentials !== undefined) {
      try {
        credentials = readFileSync(values.credentials, 'utf8');
      } catch (err) {
        throw new AgentConfigurationError(
          `Cannot read --credentials ${values.credentials}: ${(err as Error).message}`,
        );
      }
    }
    const agent = new PxeFilterAgent({
      apiUrl: values.api,
      hostsdir: values.hostsdir,
      intervalMs: seconds('interval', values.interval, 15) * 1000,
      timeoutMs: seconds('timeout', values.timeout, 10) * 1000,
      auth: agentAuth(mode as AgentAuthMode, mode === 'none' ? undefined : credentials),
      logger,
      purge: values.purge,
    });
    if (values.once) {
      const outcome = await agent.syncOnce();
      return outcome.kind === 'failed' ? 1 : 0;
    }
    const controller = new AbortController();
    const stop = (signal: NodeJS.Signals) => {
      if (controller.signal.aborted) process.exit(1); // a second signal: do not wait
      logger.info(`${signal} received, stopping`);
      controller.abort();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    try {
      await agent.run(controller.signal);
    } finally {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    }
    return 0;
  } catch (err) {
    if (
      err instanceof UsageError ||
      ((err as Error).name === 'TypeError' && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
    ) {
      process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof AgentConfigurationError) {
      logger.error(err.message);
      return 2;
    }
    throw err;
  }
}
