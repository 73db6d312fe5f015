/**
 * The kubeconfig of a cluster: k3s writes `/etc/rancher/k3s/k3s.yaml` on the control plane
 * (server `https://127.0.0.1:6443`, everything named `default`, an admin client
 * certificate). `fetchKubeconfig` reads it over SSH, `rewriteKubeconfig` points it at the
 * public address and names it `trading-<env>`, `writePrivateFile` stores it with mode 0600.
 *
 * The cluster is recreated every trading day and k3s makes a new CA each time, so the file
 * is only good for the day it was fetched. The same goes for the server's SSH host key: each
 * server id gets its own known-hosts file, so `StrictHostKeyChecking=accept-new` trusts
 * today's server on first use and checks it afterwards, and yesterday's key never blocks.
 */
import { spawn } from 'child_process';
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'fs';
import { homedir } from 'os';
import { dirname, join } from 'path';
import { parseDocument } from 'yaml';

/** Runs `ssh` with the given arguments; resolves to its exit code and output. */
export type SshRunner = (
  args: readonly string[],
) => Promise<{ code: number; stdout: string; stderr: string }>;

/** Where k3s writes the admin kubeconfig. */
export const K3S_KUBECONFIG = '/etc/rancher/k3s/k3s.yaml';

/** The real runner: `ssh` from PATH, no shell, 60 s limit. */
export const sshRunner: SshRunner = (args) =>
  new Promise((resolve, reject) => {
    const child = spawn('ssh', [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGTERM'), 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ssh: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 255 : 0), stdout, stderr });
    });
  });

/** Options of {@link sshArgs}. */
export interface SshTarget {
  readonly host: string;
  /** @default 'root' */
  readonly user?: string;
  /** A private key file (`-i`). @default - ssh's own choice (agent, ~/.ssh/id_*) */
  readonly keyFile?: string;
  /** The known-hosts file for this server. */
  readonly knownHostsFile: string;
}

/** The known-hosts file of one server: `~/.ssh/hetzner-trading/known_hosts.<env>.<server id>`. */
export function knownHostsFileFor(environment: string, serverId: number, dir?: string): string {
  return join(dir ?? join(homedir(), '.ssh', 'hetzner-trading'), `known_hosts.${environment}.${serverId}`);
}

/** The arguments of `ssh` that print the k3s kubeconfig (via `sudo -n` for a user other than root). */
export function sshArgs(target: SshTarget): string[] {
  const user = target.user ?? 'root';
  return [
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    `UserKnownHostsFile=${target.knownHostsFile}`,
    '-o',
    'ConnectTimeout=15',
    ...(target.keyFile ? ['-i', target.keyFile, '-o', 'IdentitiesOnly=yes'] : []),
    `${user}@${target.host}`,
    user === 'root' ? `cat ${K3S_KUBECONFIG}` : `sudo -n cat ${K3S_KUBECONFIG}`,
  ];
}

/** Reads the k3s kubeconfig over SSH; throws with ssh's own message (never the file's content). */
export async function fetchKubeconfig(target: SshTarget, run: SshRunner = sshRunner): Promise<string> {
  const result = await run(sshArgs(target));
  if (result.code !== 0) {
    const why = result.stderr.trim().split('\n').slice(-3).join(' / ') || `exit code ${result.code}`;
    throw new Error(`ssh ${target.user ?? 'root'}@${target.host} failed: ${why}`);
  }
  if (!/\bclusters:/.test(result.stdout) || !/\bserver:\s*https:\/\//.test(result.stdout)) {
    throw new Error(
      `ssh ${target.user ?? 'root'}@${target.host}: ${K3S_KUBECONFIG} is not a kubeconfig (is k3s up yet?)`,
    );
  }
  return result.stdout;
}

/**
 * Points a k3s kubeconfig at `https://<host>:6443` and names its cluster, user and context
 * `name` (the current context too). Throws when it is not a k3s kubeconfig with one cluster.
 */
export function rewriteKubeconfig(text: string, opts: { host: string; name: string; port?: number }): string {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`the kubeconfig is not valid YAML: ${doc.errors[0].message}`);
  const config = doc.toJS() as {
    clusters?: { name: string; cluster: { server: string } }[];
    users?: { name: string }[];
    contexts?: { name: string; context: { cluster: string; user: string } }[];
  } | null;
  if (!config?.clusters?.length || !config.users?.length || !config.contexts?.length) {
    throw new Error('the kubeconfig has no clusters, users or contexts');
  }
  if (config.clusters.length !== 1 || config.users.length !== 1 || config.contexts.length !== 1) {
    throw new Error('expected the k3s kubeconfig: one cluster, one user, one context');
  }
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const server = `https://${host}:${opts.port ?? 6443}`;
  doc.setIn(['clusters', 0, 'name'], opts.name);
  doc.setIn(['clusters', 0, 'cluster', 'server'], server);
  doc.setIn(['users', 0, 'name'], opts.name);
  doc.setIn(['contexts', 0, 'name'], opts.name);
  doc.setIn(['contexts', 0, 'context', 'cluster'], opts.name);
  doc.setIn(['contexts', 0, 'context', 'user'], opts.name);
  doc.set('current-context', opts.name);
  return doc.toString();
}

/**
 * Writes a secret file with mode 0600: into a new temporary file created with that mode in
 * the same directory (made 0700 when missing), chmod in case the umask interfered, then
 * renamed over `path`, so the content is never readable by others, not even for a moment.
 */
export function writePrivateFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
    chmodSync(path, 0o600);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}
