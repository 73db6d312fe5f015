/**
 * What exists of one environment's cluster at Hetzner, by label, and what state that is:
 * `up` (every planned server exists and is running, and cp-0 carries `up`'s record that the
 * cluster was ready to trade), `not-ready` (every planned server running, but no such record:
 * a readiness wait that failed, was interrupted, or a replaced cp-0), `down` (no server of the
 * environment, nor any other resource of its cluster stack) or `partial` (anything in between:
 * a failed or half-done apply or destroy, a server still starting or powered off, a network or
 * firewall left by a destroy that was killed). The guard compares it with the calendar (`guardDecision` in lib/calendar.ts);
 * `status` and `list` show it.
 */
import { ENVIRONMENTS } from '../../environments';
import type { ObservedState } from '../../lib/calendar';
import { MANAGED_BY, resolveEnvironment, type PlannedServer } from '../../lib/environment';
import { readinessOf, type RecordedReadiness } from './readiness-record';
import type {
  Firewall,
  HcloudClient,
  Labels,
  Network,
  PlacementGroup,
  PrimaryIp,
  Server,
  SshKey,
} from './hcloud';

/** The environment to observe: a name and cluster, and optionally its planned servers. */
export interface ObserveTarget {
  readonly name: string;
  readonly clusterName: string;
  /**
   * The planned servers (a `ResolvedEnvironment` has them).
   * @default - resolved from the environment of that name in environments/index.ts
   */
  readonly controlPlanes?: readonly PlannedServer[];
  readonly kafkaNodes?: readonly PlannedServer[];
  readonly appNodes?: readonly PlannedServer[];
}

/** A server as observed. */
export interface ObservedServer {
  readonly id: number;
  readonly name: string;
  readonly role: string;
  readonly status: string;
  readonly serverType: string;
  readonly location: string;
  readonly publicIpv4: string | null;
  /** ISO 8601. */
  readonly created: string;
  /** Whether the environment's config plans a server of that name. */
  readonly planned: boolean;
  readonly labels: Labels;
  /** The API's answer, for prices and anything else. */
  readonly raw: Server;
}

/** A Primary IP as observed. */
export interface ObservedPrimaryIp {
  readonly id: number;
  readonly name: string;
  readonly ip: string;
  readonly type: string;
  readonly location: string;
  /** The server it is assigned to (name, or id when the server is not the environment's). */
  readonly assignedTo: string | null;
  readonly created: string;
  readonly labels: Labels;
}

/** Another labelled resource (firewall, network, placement group, SSH key). */
export interface ObservedResource {
  readonly kind: 'firewall' | 'network' | 'placement group' | 'SSH key';
  readonly id: number;
  readonly name: string;
  readonly created: string;
  readonly labels: Labels;
}

/** What `observeEnvironment` found. */
export interface Observation {
  readonly state: ObservedState;
  /** `environment=..,cluster=..,managed-by=..` as `label_selector`. */
  readonly selector: string;
  readonly servers: readonly ObservedServer[];
  readonly primaryIps: readonly ObservedPrimaryIp[];
  readonly other: readonly ObservedResource[];
  /** Planned servers that do not exist or are not running. */
  readonly missing: readonly string[];
  /** Servers carrying the labels that the config does not plan (e.g. after a count went down). */
  readonly unplanned: readonly string[];
  /** cp-0's readiness record (`none` when cp-0 does not exist or has none). */
  readonly readiness: RecordedReadiness;
  /** When it was recorded (ISO 8601, minutes), and the seconds to each stage. */
  readonly readinessAt?: string;
  readonly stages: ReturnType<typeof readinessOf>['stages'];
}

/** The labels every resource of the environment's cluster carries. */
export function environmentLabels(env: { name: string; clusterName: string }): Record<string, string> {
  return { environment: env.name, cluster: env.clusterName, 'managed-by': MANAGED_BY };
}

/** The names of the servers the environment plans, cp-0 first. */
export function plannedServerNames(env: ObserveTarget): string[] {
  if (env.controlPlanes && env.kafkaNodes && env.appNodes) {
    return [...env.controlPlanes, ...env.kafkaNodes, ...env.appNodes].map((s) => s.name);
  }
  const config = ENVIRONMENTS.find((e) => e.name === env.name);
  if (!config) {
    throw new Error(
      `unknown environment '${env.name}' (environments: ${ENVIRONMENTS.map((e) => e.name).join(', ')})`,
    );
  }
  const resolved = resolveEnvironment({ ...config, clusterName: env.clusterName });
  return [...resolved.controlPlanes, ...resolved.kafkaNodes, ...resolved.appNodes].map((s) => s.name);
}

/**
 * The state from the planned server names (cp-0 first) and what exists. With every planned
 * server running, cp-0's readiness record decides between `up` (`ready`, or `unchecked`
 * after an `up --no-wait`) and `not-ready`.
 */
export function stateOf(
  planned: readonly string[],
  servers: readonly (Pick<ObservedServer, 'name' | 'status'> & { readonly labels?: Labels })[],
): ObservedState {
  if (servers.length === 0) return 'down';
  const running = new Set(servers.filter((s) => s.status === 'running').map((s) => s.name));
  if (!planned.every((n) => running.has(n))) return 'partial';
  const cp0 = servers.find((s) => s.name === planned[0]);
  const { readiness } = readinessOf(cp0?.labels);
  return readiness === 'ready' || readiness === 'unchecked' ? 'up' : 'not-ready';
}

/** Lists everything carrying the environment's labels and says whether it is up, down or partial. */
export async function observeEnvironment(client: HcloudClient, env: ObserveTarget): Promise<Observation> {
  const wanted = environmentLabels(env);
  const planned = plannedServerNames(env);
  const by = { labelSelector: wanted };
  const [servers, ips, firewalls, networks, groups, keys] = await Promise.all([
    client.list<Server>('servers', by),
    client.list<PrimaryIp>('primary_ips', by),
    client.list<Firewall>('firewalls', by),
    client.list<Network>('networks', by),
    client.list<PlacementGroup>('placement_groups', by),
    client.list<SshKey>('ssh_keys', by),
  ]);
  const observed: ObservedServer[] = servers
    .map((s) => ({
      id: s.id,
      name: s.name,
      role: s.labels.role ?? '-',
      status: s.status,
      serverType: s.server_type?.name ?? '?',
      location: s.location?.name ?? '?',
      publicIpv4: s.public_net?.ipv4?.ip ?? null,
      created: s.created,
      planned: planned.includes(s.name),
      labels: s.labels,
      raw: s,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const serverName = new Map(servers.map((s) => [s.id, s.name]));
  const primaryIps: ObservedPrimaryIp[] = ips
    .map((p) => ({
      id: p.id,
      name: p.name,
      ip: p.ip,
      type: p.type,
      location: p.location?.name ?? '?',
      assignedTo:
        p.assignee_id === null || p.assignee_id === undefined
          ? null
          : (serverName.get(p.assignee_id) ?? `server ${p.assignee_id}`),
      created: p.created,
      labels: p.labels,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const other: ObservedResource[] = [
    ...firewalls.map((r) => ({ kind: 'firewall' as const, r })),
    ...networks.map((r) => ({ kind: 'network' as const, r })),
    ...groups.map((r) => ({ kind: 'placement group' as const, r })),
    ...keys.map((r) => ({ kind: 'SSH key' as const, r })),
  ].map(({ kind, r }) => ({ kind, id: r.id, name: r.name, created: r.created, labels: r.labels }));
  const running = new Set(observed.filter((s) => s.status === 'running').map((s) => s.name));
  const record = readinessOf(observed.find((s) => s.name === planned[0])?.labels);
  return {
    // No server but a network, firewall, key or group left: a destroy that did not finish
    // (it may have left its lock too), not down; the guard finishes it.
    state: observed.length === 0 && other.length > 0 ? 'partial' : stateOf(planned, observed),
    readiness: record.readiness,
    readinessAt: record.at,
    stages: record.stages,
    selector: Object.entries(wanted)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    servers: observed,
    primaryIps,
    other,
    missing: planned.filter((n) => !running.has(n)),
    unplanned: observed.filter((s) => !s.planned).map((s) => s.name),
  };
}
