/**
 * Orphans: resources at the API that carry an environment's labels but that the stack's state
 * does not know. A run killed outright (SIGKILL, a lost runner) after the API created a
 * server but before the engine wrote it down leaves one; the next apply would then fail on
 * `uniqueness_error` (the name is taken) and every later run with it. Before an apply, under
 * the state lock (so no other run is creating them right now):
 *
 * - cluster stack: orphans are deleted. They are minutes old, made by the interrupted run
 *   itself, hold nothing (every node boots from cloud-init and the persistent identity), and
 *   an imported server would be replaced anyway (its user data cannot be read back).
 * - persistent stack: an orphan Primary IP is imported, never deleted: it may already be the
 *   address a client was given.
 *
 * Only resources with all of the environment's labels (environment, cluster, managed-by)
 * count; Primary IPs are never deleted here.
 */
import type { HcloudClient } from './hcloud';
import type { StackJson } from './engine';

/** `tofu show -json`, the parts read here. */
interface ShowJson {
  readonly values?: {
    readonly root_module?: {
      readonly resources?: ReadonlyArray<{
        readonly address?: string;
        readonly type?: string;
        readonly mode?: string;
        readonly values?: { readonly id?: string | number | null };
      }>;
    };
  };
}

/** The ids the state holds, by resource type (`hcloud_server` → {'123', ...}). */
export function stateIds(show: unknown): Map<string, Set<string>> {
  const ids = new Map<string, Set<string>>();
  const resources = (show as ShowJson | null)?.values?.root_module?.resources ?? [];
  for (const r of resources) {
    if (r.mode !== 'managed' || !r.type) continue;
    const id = r.values?.id;
    if (id === null || id === undefined || id === '') continue;
    if (!ids.has(r.type)) ids.set(r.type, new Set());
    ids.get(r.type)!.add(String(id));
  }
  return ids;
}

/** The cluster stack's resource types at the API, in a safe delete order (servers first). */
export const CLUSTER_COLLECTIONS = [
  { collection: 'servers', type: 'hcloud_server', kind: 'server' },
  { collection: 'placement_groups', type: 'hcloud_placement_group', kind: 'placement group' },
  { collection: 'firewalls', type: 'hcloud_firewall', kind: 'firewall' },
  { collection: 'ssh_keys', type: 'hcloud_ssh_key', kind: 'SSH key' },
  { collection: 'networks', type: 'hcloud_network', kind: 'network' },
] as const;

/** One resource the state does not know. */
export interface Orphan {
  readonly kind: string;
  readonly collection: string;
  readonly id: number;
  readonly name: string;
}

interface Listed {
  readonly id: number;
  readonly name: string;
}

/** Lists the labelled cluster resources at the API that are not in `ids`. */
export async function findClusterOrphans(
  client: HcloudClient,
  labels: Readonly<Record<string, string>>,
  ids: ReadonlyMap<string, ReadonlySet<string>>,
): Promise<Orphan[]> {
  const orphans: Orphan[] = [];
  for (const { collection, type, kind } of CLUSTER_COLLECTIONS) {
    const known = ids.get(type) ?? new Set<string>();
    for (const r of await client.list<Listed>(collection, { labelSelector: labels })) {
      if (!known.has(String(r.id))) orphans.push({ kind, collection, id: r.id, name: r.name });
    }
  }
  return orphans;
}

/** Whether any labelled cluster resource exists at all (none: nothing can be orphaned). */
export async function anyClusterResource(
  client: HcloudClient,
  labels: Readonly<Record<string, string>>,
): Promise<boolean> {
  for (const { collection } of CLUSTER_COLLECTIONS) {
    if ((await client.list<Listed>(collection, { labelSelector: labels })).length > 0) return true;
  }
  return false;
}

/** Deletes orphans: servers first (and waits for them), then the rest in the safe order. */
export async function deleteOrphans(
  client: HcloudClient,
  orphans: readonly Orphan[],
  log: (line: string) => void,
): Promise<void> {
  const servers = orphans.filter((o) => o.collection === 'servers');
  const actions: number[] = [];
  for (const s of servers) {
    log(`  orphan: deleting server ${s.name} (id ${s.id}): at the API, not in the state`);
    const res = await client.request<{ action?: { id: number } }>('DELETE', `/servers/${s.id}`);
    if (res.action?.id) actions.push(res.action.id);
  }
  if (actions.length) await client.waitForActions(actions);
  for (const { collection } of CLUSTER_COLLECTIONS.slice(1)) {
    for (const o of orphans.filter((x) => x.collection === collection)) {
      log(`  orphan: deleting ${o.kind} ${o.name} (id ${o.id}): at the API, not in the state`);
      await client.request('DELETE', `/${collection}/${o.id}`);
    }
  }
}

/** The state address of the Primary IP resource named `name` in a synthesized stack. */
export function primaryIpAddress(stack: StackJson, name: string): string | undefined {
  const ips = stack.resource?.hcloud_primary_ip ?? {};
  const id = Object.keys(ips).find((k) => ips[k]?.name === name);
  return id === undefined ? undefined : `hcloud_primary_ip.${id}`;
}
