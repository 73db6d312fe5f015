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
const MAX_ATTEMPTS = 6;

/** The parts of API answers this tool reads. */
interface ApiBody {
  servers?: DeletedServer[];
  [collection: string]: unknown;
  action?: { id: number };
  actions?: { id: number; status: string; error: unknown }[];
  meta?: { pagination?: { next_page: number | null } };
  error?: { code?: string; message?: string };
}

async function call(opts: DestroyVmsOptions, method: string, path: string): Promise<ApiBody> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${opts.endpoint.replace(/\/$/, '')}${path}`, {
      method,
      headers: { Authorization: `Bearer ${opts.token}` },
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    const body = (text ? JSON.parse(text) : {}) as ApiBody;
    if (res.ok) return body;
    const code = body?.error?.code ?? '';
    const transient = res.status === 429 || res.status === 503 || code === 'conflict' || code === 'locked';
    if (transient && attempt < MAX_ATTEMPTS) {
      await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5000)));
      continue;
    }
    throw new Error(`${method} ${path}: HTTP ${res.status} ${code}: ${body?.error?.message ?? text}`);
  }
}

/** A labelled resource the cluster stack creates, as listed by the API. */
interface Labelled {
  readonly id: number;
  readonly name: string;
  readonly labels: Record<string, string>;
}

/** Cluster-stack resources besides servers, in a safe delete order (servers are gone first). */
const CLUSTER_RESOURCES = [
  { path: '/placement_groups', key: 'placement_groups', kind: 'placement group' },
  { path: '/firewalls', key: 'firewalls', kind: 'firewall' },
  { path: '/ssh_keys', key: 'ssh_keys', kind: 'SSH key' },
  { path: '/networks', key: 'networks', kind: 'network' },
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

function selectorOf(wanted: Record<string, string>): string {
  return Object.entries(wanted)
    .map(([k, v]) => `${k}==${v}`)
    .join(',');
}

/** Lists one collection by label selector, all pages, and re-checks the labels client-side. */
async function listLabelled(
  opts: DestroyVmsOptions,
  path: string,
  key: string,
  wanted: Record<string, string>,
): Promise<Labelled[]> {
  const found: Labelled[] = [];
  for (let page = 1; page <= 1000; page++) {
    const body = await call(
      opts,
      'GET',
      `${path}?label_selector=${encodeURIComponent(selectorOf(wanted))}&page=${page}&per_page=50`,
    );
    found.push(...((body[key] as Labelled[] | undefined) ?? []));
    if (!body.meta?.pagination?.next_page) break;
  }
  // Defence in depth: never trust the selector alone.
  return found.filter((r) => Object.entries(wanted).every(([k, v]) => r.labels?.[k] === v));
}

/**
 * Deletes (or with `dryRun` lists) the servers of one cluster and environment, and with
 * `clusterResources` the rest of its cluster stack; returns the servers.
 */
export async function destroyVms(opts: DestroyVmsOptions): Promise<DeletedServer[]> {
  const log = opts.log ?? console.log;
  const wanted = labelsWanted(opts);
  const selector = selectorOf(wanted);
  const matching = await listLabelled(opts, '/servers', 'servers', wanted);
  if (matching.length === 0) log(`destroy-vms: no servers labelled ${selector}`);
  const actions: number[] = [];
  for (const s of matching) {
    log(
      `destroy-vms: ${opts.dryRun ? 'would delete' : 'deleting'} server ${s.name} (id ${s.id}, role ${s.labels.role ?? '-'})`,
    );
    if (opts.dryRun) continue;
    const res = await call(opts, 'DELETE', `/servers/${s.id}`);
    if (res.action?.id) actions.push(res.action.id);
  }
  if (opts.wait !== false && actions.length) {
    for (let i = 0; i < 600; i++) {
      const ids = actions.map((id) => `id=${id}`).join('&');
      const body = await call(opts, 'GET', `/actions?${ids}&per_page=50`);
      const states = body.actions ?? [];
      const failed = states.filter((a) => a.status === 'error');
      if (failed.length)
        throw new Error(`destroy-vms: delete failed: ${JSON.stringify(failed.map((a) => a.error))}`);
      if (states.every((a) => a.status === 'success')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  log(`destroy-vms: ${opts.dryRun ? 'would delete' : 'deleted'} ${matching.length} server(s)`);
  if (opts.clusterResources) {
    for (const { path, key, kind } of CLUSTER_RESOURCES) {
      for (const r of await listLabelled(opts, path, key, wanted)) {
        log(`destroy-vms: ${opts.dryRun ? 'would delete' : 'deleting'} ${kind} ${r.name} (id ${r.id})`);
        if (!opts.dryRun) await call(opts, 'DELETE', `${path}/${r.id}`);
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
    endpoint: process.env.HCLOUD_ENDPOINT || 'https://api.hetzner.cloud/v1',
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
