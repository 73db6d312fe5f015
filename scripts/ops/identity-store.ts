/**
 * Where the cluster identity (lib/identity.ts) is kept: the persistent stack's state, as the
 * value of `terraform_data.identity`, encrypted by OpenTofu's state encryption with the
 * passphrase from `TF_VAR_state_passphrase`. So it shares the Primary IPs' backend, lock and
 * lifetime: `down`, `destroy-vms` and `destroy-cluster` keep it; `destroy-all` removes it.
 *
 * Also the glue the cycle needs: make it on the first `up`, complete it when the config grew
 * (a node, a KafkaUser), and derive the cluster stack's boot material from it.
 */
import {
  IDENTITY_SECRETS_FILE,
  kafkaUserNames,
  renderIdentitySecrets,
  type RepoCredsInput,
} from '../../charts/identity-secrets';
import type { ResolvedEnvironment } from '../../lib/environment';
import {
  assertIdentity,
  bootMaterial,
  completeIdentity,
  createIdentity,
  knownHostKeys,
  nodeNames,
  type BootMaterial,
  type ClusterIdentity,
  type IdentityNeeds,
} from '../../lib/identity';
import { BOOT_MATERIAL_FORMAT, IDENTITY_FORMAT } from '../../lib/identity-format';
import { IDENTITY_RESOURCE_ADDRESS, IDENTITY_VARIABLE } from '../../lib/stacks/persistent-stack';
import { MIN_PASSPHRASE_LENGTH, STATE_PASSPHRASE_ENV } from '../../lib/state-encryption';
import { tail, type Engine } from './engine';

/** Reads and writes an environment's identity. */
export interface IdentityStore {
  /** The stored identity, or undefined when none was made yet. */
  load(environment: string): Promise<ClusterIdentity | undefined>;
  save(identity: ClusterIdentity): Promise<void>;
}

/** Throws the fix when the state passphrase is missing or too short (before any engine run). */
export function requireStatePassphrase(env: NodeJS.ProcessEnv = process.env): void {
  const value = env[STATE_PASSPHRASE_ENV];
  if (!value || value.length < MIN_PASSPHRASE_LENGTH) {
    throw new Error(
      `${STATE_PASSPHRASE_ENV} is ${value ? `only ${value.length} characters` : 'not set'}: the state (which holds the cluster identity) is encrypted with it. ` +
        `Set it to a passphrase of at least ${MIN_PASSPHRASE_LENGTH} characters, the same every run (CI: the environment's STATE_PASSPHRASE secret; make one with 'openssl rand -base64 32').`,
    );
  }
}

/** `TF_VAR_identity` for an apply or destroy of the persistent stack. */
export function persistentVars(
  identity: ClusterIdentity | undefined,
  environment: string,
): Record<string, string> {
  // Without a stored identity (destroy-all after a lost state) a stub passes the validation.
  const value = identity ?? { format: IDENTITY_FORMAT, environment };
  return { [`TF_VAR_${IDENTITY_VARIABLE}`]: JSON.stringify(value) };
}

/** `TF_VAR_identity` for the cluster stack: the boot material, or a stub for a destroy without identity. */
export function clusterVars(boot: BootMaterial | undefined, environment: string): Record<string, string> {
  const value = boot ?? { format: BOOT_MATERIAL_FORMAT, environment };
  return { TF_VAR_identity: JSON.stringify(value) };
}

/** The identity kept in the persistent stack's encrypted state, through the engine. */
export class EngineIdentityStore implements IdentityStore {
  constructor(private readonly engine: Engine) {}

  async load(environment: string): Promise<ClusterIdentity | undefined> {
    const stack = `${environment}-persistent`;
    const r = await this.engine.run(stack, ['output', '-json', '-no-color', IDENTITY_VARIABLE]);
    if (r.code !== 0) {
      if (/output .*not found|no outputs|Output "identity" not found/i.test(r.stderr)) return undefined;
      throw new Error(
        `could not read the identity of ${environment} from ${stack}'s state (exit ${r.code}):\n${tail(r.stderr, 15)}`,
      );
    }
    const text = r.stdout.trim();
    if (text === '' || text === 'null') return undefined;
    const outer: unknown = JSON.parse(text);
    const value: unknown = typeof outer === 'string' ? JSON.parse(outer) : outer;
    if (value && typeof value === 'object' && !('cas' in value)) return undefined; // a destroy-all stub
    assertIdentity(value, environment);
    return value;
  }

  async save(identity: ClusterIdentity): Promise<void> {
    const stack = `${identity.environment}-persistent`;
    const r = await this.engine.run(
      stack,
      ['apply', '-auto-approve', '-input=false', '-no-color', `-target=${IDENTITY_RESOURCE_ADDRESS}`],
      persistentVars(identity, identity.environment),
    );
    if (r.code !== 0) {
      throw new Error(
        `could not store the identity of ${identity.environment} in ${stack} (exit ${r.code}):\n${tail(r.stderr || r.stdout, 20)}`,
      );
    }
  }
}

/** What the identity of an environment must hold: its node names and KafkaUsers. */
export function identityNeeds(env: ResolvedEnvironment): IdentityNeeds {
  return { environment: env.name, nodeNames: nodeNames(env), kafkaUsers: kafkaUserNames(env) };
}

/** What {@link ensureIdentity} did. */
export interface EnsuredIdentity {
  readonly identity: ClusterIdentity;
  readonly created: boolean;
  /** Items added to an existing identity (a new node's host key, a new user's password). */
  readonly added: readonly string[];
}

/**
 * The environment's identity: the stored one, completed for a grown config; made and stored
 * when there is none (saying so). Never replaces anything that exists.
 */
export async function ensureIdentity(
  store: IdentityStore,
  env: ResolvedEnvironment,
  log: (line: string) => void,
  now: Date = new Date(),
): Promise<EnsuredIdentity> {
  const needs = identityNeeds(env);
  const stored = await store.load(env.name);
  if (!stored) {
    log(
      `== identity ${env.name}: none stored yet: making it once (CAs, tokens, host keys, passwords) and keeping it in ${env.name}-persistent's encrypted state`,
    );
    const identity = await createIdentity(needs, now);
    await store.save(identity);
    return { identity, created: true, added: [] };
  }
  const completed = await completeIdentity(stored, needs, now);
  if (completed.added.length > 0) {
    log(`== identity ${env.name}: adding ${completed.added.join(', ')} (nothing existing changes)`);
    await store.save(completed.identity);
  }
  return { identity: completed.identity, created: false, added: completed.added };
}

/** The cluster stack's boot material: tokens, CA files, host keys and the Secrets manifest. */
export function bootMaterialFor(env: ResolvedEnvironment, identity: ClusterIdentity): BootMaterial {
  const cas = identity.cas;
  const manifest = renderIdentitySecrets(env, {
    strimzi: {
      clusterCa: {
        cert: cas['strimzi-cluster-ca'].current.cert,
        key: cas['strimzi-cluster-ca'].current.key,
        certGeneration: cas['strimzi-cluster-ca'].generation,
        keyGeneration: cas['strimzi-cluster-ca'].generation,
      },
      clientsCa: {
        cert: cas['strimzi-clients-ca'].current.cert,
        key: cas['strimzi-clients-ca'].current.key,
        certGeneration: cas['strimzi-clients-ca'].generation,
        keyGeneration: cas['strimzi-clients-ca'].generation,
      },
    },
    kafkaPasswords: Object.fromEntries(Object.entries(identity.kafkaPasswords).map(([u, s]) => [u, s.value])),
    argocd: {
      adminPasswordBcrypt: identity.argocd.adminPasswordBcrypt,
      passwordMtime: identity.argocd.passwordMtime,
      serverSecretKey: identity.argocd.serverSecretKey.value,
      tls: identity.argocd.tls ? { cert: identity.argocd.tls.cert, key: identity.argocd.tls.key } : undefined,
      repoCreds: repoCredsInput(identity.argocd.repoCreds),
    },
    grafanaAdminPassword: identity.grafanaAdminPassword.value,
  });
  return bootMaterial(identity, nodeNames(env), { [IDENTITY_SECRETS_FILE]: manifest.content });
}

function repoCredsInput(creds: ClusterIdentity['argocd']['repoCreds']): RepoCredsInput | undefined {
  if (!creds) return undefined;
  return 'sshPrivateKey' in creds
    ? { sshPrivateKey: creds.sshPrivateKey }
    : {
        githubAppId: creds.githubAppId,
        githubAppInstallationId: creds.githubAppInstallationId,
        githubAppPrivateKey: creds.githubAppPrivateKey,
      };
}

/** known_hosts lines: each public name of a node with its pinned key(s). */
export function knownHostsText(
  env: ResolvedEnvironment,
  identity: ClusterIdentity,
  addresses: { readonly controlPlane?: string; readonly kafka?: string },
): string {
  const lines: string[] = [];
  const add = (names: (string | undefined)[], node: string) => {
    const key = identity.sshHostKeys[node];
    const hosts = names.filter((n): n is string => !!n);
    if (!key || hosts.length === 0) return;
    for (const k of knownHostKeys(key))
      lines.push(`${hosts.join(',')} ${k.split(' ').slice(0, 2).join(' ')}`);
  };
  const cp0 = env.controlPlanes[0];
  add([env.apiDnsName, addresses.controlPlane, cp0.privateIp], cp0.name);
  const kafka0 = env.kafkaNodes[0];
  if (kafka0) add([env.kafkaDnsName, addresses.kafka, kafka0.privateIp], kafka0.name);
  for (const s of [...env.controlPlanes.slice(1), ...env.kafkaNodes.slice(1), ...env.appNodes])
    add([s.privateIp], s.name);
  return lines.join('\n') + '\n';
}
