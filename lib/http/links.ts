/**
 * The bodies that carry links, built from the root URL clients reach the API at: the version list
 * (`GET /`), the v1 resources (`GET /v1`) and a node's status object.
 *
 * @example
 * ```ts
 * statusBody(nodeInfo, 'waiting', 'https://inspector.example.com'); // {error, finished, …, links, …}
 * ```
 */
import type { IntrospectionState } from '#lib/domain/state-machine.ts';
import { toApiTimestamp } from '#lib/domain/timestamps.ts';
import { MAX_API_VERSION } from '#lib/http/version.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';

/** `GET /`: the one version, current. */
export function versionsBody(root: string): Record<string, unknown> {
  return {
    versions: [{ id: MAX_API_VERSION, links: [{ href: `${root}/v1`, rel: 'self' }], status: 'CURRENT' }],
  };
}

/** `GET /v1`: the resources. */
export function resourcesBody(root: string): Record<string, unknown> {
  const resources = ['continue', 'introspection', 'rules'].map((name) => ({
    links: [{ href: `${root}/v1/${name}`, rel: 'self' }],
    name,
  }));
  return { resources };
}

/** The status object of one node (upstream's fields, naive UTC timestamps). */
export function statusBody(
  nodeInfo: NodeInfo,
  state: IntrospectionState,
  root: string,
): Record<string, unknown> {
  return {
    error: nodeInfo.error,
    finished: nodeInfo.finishedAt !== null,
    finished_at: nodeInfo.finishedAt === null ? null : toApiTimestamp(nodeInfo.finishedAt),
    links: [{ href: `${root}/v1/introspection/${nodeInfo.uuid}`, rel: 'self' }],
    started_at: nodeInfo.startedAt === null ? null : toApiTimestamp(nodeInfo.startedAt),
    state,
    uuid: nodeInfo.uuid,
  };
}
