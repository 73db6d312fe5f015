/**
 * destroy-vms: deletes the servers of one cluster and environment by label, without Terraform
 * state (the fast evening clean-up, and the way out when state is lost). Only servers labelled
 * `environment=<env>,cluster=<cluster>,managed-by=cdktf-hetzner-trading` are touched; their
 * labels are checked again client-side before each delete. Primary IPs are never touched (they
 * are not auto-deleted, only unassigned). With `--cluster-resources` it also deletes what else
 * the cluster stack creates (placement groups, firewalls, SSH keys, networks), selected the same
 * way: the way back to a clean project when the cluster stack's state is lost.
 *
 *   HCLOUD_TOKEN=... npm run destroy-vms -- --env dev [--cluster trading] [--cluster-resources] [--dry-run]
 *
 * HCLOUD_ENDPOINT defaults to https://api.hetzner.cloud/v1.
 */

import { MANAGED_BY } from '../../lib/environment';
import { DEFAULT_ENDPOINT, HcloudClient, labelSelector } from './hcloud';

/** The `managed-by` label value every resource of this project carries. */
export { MANAGED_BY };

/** Options of `destroyVms`. */
export interface DestroyVmsOptions {
  readonly endpoint: string;
  readonly token: string;
  readonly environment: string;
  /** @default 'trading' */
  readonly cluster?: string;
  /** List what would be deleted, delete nothing. @default false */
  readonly dryRun?: boolean;
  /** Where progress lines go. @default console.log */
  readonly log?: (line: string) => void;
  /** Wait for each delete action to finish. @default true */
  readonly wait?: boolean;
  /**
   * Also delete the cluster stack's other resources (placement groups, firewalls, SSH keys,
   * networks) carrying the same labels. Primary IPs are never deleted.
   * @default false
   */
  readonly clusterResources?: boolean;
}

/** A server that was (or would be) deleted. */
export interface DeletedServer {
  readonly id: number;
  readonly name: string;
  readonly labels: Record<string, string>;
}

const LABEL_VALUE = /^[a-z0-9A-Z]([\w.-]{0,61}[a-z0-9A-Z])?$/;

/** Cluster-stack resources besides servers, in a safe delete order (servers are gone first). */
const CLUSTER_RESOURCES = [
  { collection: 'placement_groups', kind: 'placement group' },
  { collection: 'firewalls', kind: 'firewall' },
  { collection: 'ssh_keys', kind: 'SSH key' },
  { collection: 'networks', kind: 'network' },
] as const;

function labelsWanted(opts: DestroyVmsOptions): Record<string, string> {
  const cluster = opts.cluster ?? 'trading';
  for (const [name, value] of [
    ['environment', opts.environment],
    ['cluster', cluster],
  ]) {
    if (!LABEL_VALUE.test(value)) throw new Error(`${name} must be a plain label value, got '${value}'`);
  }
  return { environment: opts.environment, cluster, 'managed-by': MANAGED_BY };
}

/**
 * Deletes (or with `dryRun` lists) the servers of one cluster and environment, and with
 * `clusterResources` the rest of its cluster stack; returns the servers.
 */
export async function destroyVms(opts: DestroyVmsOptions): Promise<DeletedServer[]> {
  const log = opts.log ?? console.log;
  const client = new HcloudClient({ token: opts.token, endpoint: opts.endpoint, log });
  const wanted = labelsWanted(opts);
  const selector = labelSelector(wanted);
  // The client lists every page by selector and re-checks the labels client-side.
  const matching = await client.list<DeletedServer>('servers', { labelSelector: wanted });
  if (matching.length === 0) log(`destroy-vms: no servers labelled ${selector}`);
  const actions: number[] = [];
  for (const s of matching) {
    log(
      `destroy-vms: ${opts.dryRun ? 'would delete' : 'deleting'} server ${s.name} (id ${s.id}, role ${s.labels.role ?? '-'})`,
    );
    if (opts.dryRun) continue;
    const res = await client.request<{ action?: { id: number } }>('DELETE', `/servers/${s.id}`);
    if (res.action?.id) actions.push(res.action.id);
  }
  if (opts.wait !== false && actions.length) {
    try {
      await client.waitForActions(actions, 300_000);
    } catch (error) {
      throw new Error(`destroy-vms: delete failed: ${(error as Error).message}`);
    }
  }
  log(`destroy-vms: ${opts.dryRun ? 'would delete' : 'deleted'} ${matching.length} server(s)`);
  if (opts.clusterResources) {
    for (const { collection, kind } of CLUSTER_RESOURCES) {
      for (const r of await client.list<DeletedServer>(collection, { labelSelector: wanted })) {
        log(`destroy-vms: ${opts.dryRun ? 'would delete' : 'deleting'} ${kind} ${r.name} (id ${r.id})`);
        if (!opts.dryRun) await client.request('DELETE', `/${collection}/${r.id}`);
      }
    }
  }
  return matching.map((s) => ({ id: s.id, name: s.name, labels: s.labels }));
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const environment = flag(argv, 'env');
  const token = process.env.HCLOUD_TOKEN ?? '';
  if (!environment) {
    throw new Error(
      'usage: destroy-vms --env <environment> [--cluster trading] [--cluster-resources] [--dry-run]',
    );
  }
  if (!token) throw new Error('HCLOUD_TOKEN is not set');
  await destroyVms({
    endpoint: process.env.HCLOUD_ENDPOINT || DEFAULT_ENDPOINT,
    token,
    environment,
    cluster: flag(argv, 'cluster') ?? 'trading',
    dryRun: argv.includes('--dry-run'),
    clusterResources: argv.includes('--cluster-resources'),
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
