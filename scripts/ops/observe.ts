/**
 * What exists of one environment's cluster at Hetzner, by label, and what state that is:
 * `up` (every planned server exists and is running), `down` (no server of the environment)
 * or `partial` (anything in between: a failed or half-done apply or destroy, a server still
 * starting). The guard compares it with the calendar (`guardDecision` in lib/calendar.ts);
 * `status` and `list` show it.
 */
import { ENVIRONMENTS } from '../../environments';
import type { ObservedState } from '../../lib/calendar';
import { MANAGED_BY, resolveEnvironment, type PlannedServer } from '../../lib/environment';
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
}

/** The labels every resource of the environment's cluster carries. */
export function environmentLabels(env: { name: string; clusterName: string }): Record<string, string> {
  return { environment: env.name, cluster: env.clusterName, 'managed-by': MANAGED_BY };
}

/** The names of the servers the environment plans. */
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

/** The state from the planned server names and what exists. */
export function stateOf(
  planned: readonly string[],
  servers: readonly Pick<ObservedServer, 'name' | 'status'>[],
): ObservedState {
  if (servers.length === 0) return 'down';
  const running = new Set(servers.filter((s) => s.status === 'running').map((s) => s.name));
  return planned.every((n) => running.has(n)) ? 'up' : 'partial';
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
  return {
    state: stateOf(planned, observed),
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
