/**
 * The cluster's identity: everything a client trusts, made once per environment and carried
 * across the daily rebuild, as Talos or Cluster API keep cluster secrets outside the cluster.
 *
 * - k3s: five flat, self-signed EC P-256 CAs (server, client, request-header, etcd peer and
 *   server) and the service-account key, which k3s uses unchanged when they are in
 *   `/var/lib/rancher/k3s/server/tls` before its first start; the server and agent tokens in
 *   their secure form `K10<sha256 of server-ca.crt>::<user>:<secret>`.
 * - An ed25519 SSH host key per node name (cloud-init `ssh_keys`).
 * - Strimzi's cluster CA and clients CA (`generateCertificateAuthority: false`).
 * - A SCRAM password per KafkaUser; Argo CD's admin password (bcrypt, fixed mtime) and
 *   `server.secretkey`; Grafana's admin password; optionally Argo CD's UI certificate and the
 *   GitOps repository credentials, given once.
 *
 * This module is pure: it makes, completes, rotates and derives; where the identity is kept
 * (the persistent stack's encrypted state) is the operator CLI's business.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import bcrypt from 'bcryptjs';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  webcrypto,
  X509Certificate,
} from 'crypto';
import sshpk from 'sshpk';
import type { ResolvedEnvironment } from './environment';
import { BOOT_MATERIAL_FORMAT, IDENTITY_FORMAT } from './identity-format';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export { BOOT_MATERIAL_FORMAT, IDENTITY_FORMAT };

/** How long a CA made here is valid. k3s and Strimzi never renew a CA they were given. */
export const CA_VALIDITY_YEARS = 10;
/** bcrypt cost of Argo CD's admin password (Argo CD's own `argocd account bcrypt` uses 10). */
export const BCRYPT_COST = 10;

/** The CAs of an identity: k3s's five, then Strimzi's two. */
export const CA_NAMES = [
  'k3s-server-ca',
  'k3s-client-ca',
  'k3s-request-header-ca',
  'k3s-etcd-peer-ca',
  'k3s-etcd-server-ca',
  'strimzi-cluster-ca',
  'strimzi-clients-ca',
] as const;
export type CaName = (typeof CA_NAMES)[number];

/** Where each k3s CA lives under `/var/lib/rancher/k3s/server/tls` (k3s's own file names). */
export const K3S_CA_FILES: Readonly<Record<Extract<CaName, `k3s-${string}`>, string>> = {
  'k3s-server-ca': 'server-ca',
  'k3s-client-ca': 'client-ca',
  'k3s-request-header-ca': 'request-header-ca',
  'k3s-etcd-peer-ca': 'etcd/peer-ca',
  'k3s-etcd-server-ca': 'etcd/server-ca',
};
/** k3s's service-account signing key, beside the CAs. */
export const K3S_SERVICE_KEY_FILE = 'service.key';
/** Every file the first server gets under `/var/lib/rancher/k3s/server/tls`, relative paths. */
export const K3S_TLS_FILES: readonly string[] = [
  ...Object.values(K3S_CA_FILES).flatMap((base) => [`${base}.crt`, `${base}.key`]),
  K3S_SERVICE_KEY_FILE,
];

/** A certificate and its PKCS#8 private key, both PEM. */
export interface CertAndKey {
  readonly cert: string;
  readonly key: string;
}

/**
 * One CA with its rotation slots: `current` signs; `next` (after `rotate ... begin`) is
 * already trusted by clients; `previous` (after `switch`) is still trusted until `finish`.
 */
export interface CaSlot {
  readonly current: CertAndKey;
  readonly next?: CertAndKey;
  readonly previous?: string;
  /** Bumped on every switch; Strimzi's `ca-cert-generation` / `ca-key-generation`. */
  readonly generation: number;
  readonly createdAt: string;
}

/** A random value with its date. */
export interface SecretValue {
  readonly value: string;
  readonly createdAt: string;
}

/** An OpenSSH ed25519 host key. */
export interface HostKey {
  /** OpenSSH private key format (`-----BEGIN OPENSSH PRIVATE KEY-----`). */
  readonly privateKey: string;
  /** `ssh-ed25519 AAAA...`. */
  readonly publicKey: string;
  readonly createdAt: string;
  /** After `rotate ... begin`: the key the nodes get from the switch on. */
  readonly next?: { readonly privateKey: string; readonly publicKey: string };
  /** After `switch`: the old public key, still in known_hosts until `finish`. */
  readonly previousPublicKey?: string;
}

/** GitOps repository credentials for Argo CD, given once (`identity set-repo-creds`). */
export type RepoCreds =
  | { readonly sshPrivateKey: string }
  | {
      readonly githubAppId: string;
      readonly githubAppInstallationId: string;
      readonly githubAppPrivateKey: string;
    };

/** Everything an environment's clients trust, as stored (JSON). */
export interface ClusterIdentity {
  readonly format: typeof IDENTITY_FORMAT;
  readonly environment: string;
  readonly createdAt: string;
  readonly cas: Readonly<Record<CaName, CaSlot>>;
  /** k3s's service-account key (PKCS#8 PEM): service-account tokens stay valid. */
  readonly serviceAccountKey: SecretValue;
  /** The password part of the k3s server token. */
  readonly k3sServerSecret: SecretValue;
  /** The password part of the k3s agent token. */
  readonly k3sAgentSecret: SecretValue;
  /** By node name. */
  readonly sshHostKeys: Readonly<Record<string, HostKey>>;
  /** By KafkaUser name. */
  readonly kafkaPasswords: Readonly<Record<string, SecretValue>>;
  readonly argocd: {
    readonly adminPassword: SecretValue;
    readonly adminPasswordBcrypt: string;
    /** Fixed: the chart's default ("now") would invalidate every token on each render. */
    readonly passwordMtime: string;
    readonly serverSecretKey: SecretValue;
    readonly tls?: CertAndKey & { readonly createdAt: string };
    readonly repoCreds?: RepoCreds & { readonly createdAt: string };
  };
  readonly grafanaAdminPassword: SecretValue;
}

/** What the cluster stack receives at apply (`TF_VAR_identity`): only what the nodes need. */
export interface BootMaterial {
  readonly format: typeof BOOT_MATERIAL_FORMAT;
  readonly environment: string;
  /** `K10<sha256(server-ca.crt)>::server:<secret>`. */
  readonly token: string;
  /** `K10<sha256(server-ca.crt)>::node:<secret>`. */
  readonly agent_token: string;
  /** Relative path under `/var/lib/rancher/k3s/server/tls` → content ({@link K3S_TLS_FILES}). */
  readonly tls_files: Readonly<Record<string, string>>;
  /** Node name → the host key it serves this morning. */
  readonly host_keys: Readonly<Record<string, { readonly private: string; readonly public: string }>>;
  /** File name in k3s's auto-deploy folder → manifest text (the identity's Secrets). */
  readonly manifests: Readonly<Record<string, string>>;
}

/** What a rotation step did, for the CLI's message. */
export interface RotationResult {
  readonly identity: ClusterIdentity;
  readonly message: string;
}

// ----- making things ---------------------------------------------------------------------

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function pemWrap(label: string, der: ArrayBuffer | Buffer): string {
  const b64 = Buffer.from(der as ArrayBuffer).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

function randomSecret(bytes = 24): string {
  // Hex: safe in YAML, shell, URLs and k3s's `user:password` token part.
  return randomBytes(bytes).toString('hex');
}

function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f; // positive
  return b.toString('hex');
}

function addYears(date: Date, years: number): Date {
  const d = new Date(date);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

async function importSigningKey(pkcs8Pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pkcs8Pem).export({ format: 'der', type: 'pkcs8' });
  return (await webcrypto.subtle.importKey('pkcs8', der, EC_P256, false, ['sign'])) as CryptoKey;
}

/** A flat, self-signed EC P-256 CA: `CA:TRUE`, `keyCertSign`, valid {@link CA_VALIDITY_YEARS} years. */
export async function makeCa(commonName: string, now: Date): Promise<CertAndKey> {
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000); // an hour of clock skew
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}@${Math.floor(now.getTime() / 1000)}`,
    notBefore,
    notAfter: addYears(now, CA_VALIDITY_YEARS),
    signingAlgorithm: EC_P256,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { cert: cert.toString('pem') + '\n', key: pemWrap('PRIVATE KEY', pkcs8) };
}

/** Options of {@link issueCertificate}. */
export interface IssueOptions {
  /** Subject common name, e.g. the user name. */
  readonly commonName: string;
  /** Subject organizations: Kubernetes groups of a client certificate. @default [] */
  readonly organizations?: readonly string[];
  /** @default 'client' */
  readonly usage?: 'client' | 'server';
  /** DNS names and IPs of a server certificate. @default [] */
  readonly subjectAltNames?: readonly string[];
  readonly days: number;
  readonly now: Date;
}

/** A leaf certificate signed by `ca`, with a fresh EC P-256 key. */
export async function issueCertificate(ca: CertAndKey, opts: IssueOptions): Promise<CertAndKey> {
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const issuer = new x509.X509Certificate(ca.cert);
  const name = [`CN=${opts.commonName}`, ...(opts.organizations ?? []).map((o) => `O=${o}`)].join(', ');
  const sans = opts.subjectAltNames ?? [];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: name,
    issuer: issuer.subject,
    notBefore: new Date(opts.now.getTime() - 5 * 60 * 1000),
    notAfter: new Date(opts.now.getTime() + opts.days * 86_400_000),
    signingAlgorithm: EC_P256,
    publicKey: keys.publicKey,
    signingKey: await importSigningKey(ca.key),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(
        [opts.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth],
        false,
      ),
      await x509.AuthorityKeyIdentifierExtension.create(issuer, false),
      ...(sans.length
        ? [
            new x509.SubjectAlternativeNameExtension(
              sans.map((s) => (/^[\d.]+$|:/.test(s) ? { type: 'ip', value: s } : { type: 'dns', value: s })),
            ),
          ]
        : []),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { cert: cert.toString('pem') + '\n', key: pemWrap('PRIVATE KEY', pkcs8) };
}

function makeServiceKey(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
}

/** A new OpenSSH ed25519 key pair. */
export function makeHostKeyPair(comment: string): { privateKey: string; publicKey: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const key = sshpk.parsePrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 'pkcs8');
  key.comment = comment;
  return {
    privateKey: key.toString('openssh'),
    publicKey:
      key
        .toPublic()
        .toString('ssh')
        .replace(/ \(unnamed\)$/, '') + '',
  };
}

const secretValue = (now: Date, bytes?: number): SecretValue => ({
  value: randomSecret(bytes),
  createdAt: now.toISOString(),
});

async function caSlot(commonName: string, now: Date): Promise<CaSlot> {
  return { current: await makeCa(commonName, now), generation: 0, createdAt: now.toISOString() };
}

/** Common name of each CA, as k3s and Strimzi name their own. */
const CA_COMMON_NAMES: Readonly<Record<CaName, string>> = {
  'k3s-server-ca': 'k3s-server-ca',
  'k3s-client-ca': 'k3s-client-ca',
  'k3s-request-header-ca': 'k3s-request-header-ca',
  'k3s-etcd-peer-ca': 'etcd-peer-ca',
  'k3s-etcd-server-ca': 'etcd-server-ca',
  'strimzi-cluster-ca': 'cluster-ca',
  'strimzi-clients-ca': 'clients-ca',
};

/** Node names of an environment: one host key each. */
export function nodeNames(env: ResolvedEnvironment): string[] {
  return [...env.controlPlanes, ...env.kafkaNodes, ...env.appNodes].map((s) => s.name);
}

/** What {@link createIdentity} and {@link completeIdentity} need to know of the environment. */
export interface IdentityNeeds {
  readonly environment: string;
  readonly nodeNames: readonly string[];
  /** Every KafkaUser the GitOps manifests render (each gets a password). */
  readonly kafkaUsers: readonly string[];
}

/** A new identity for an environment. */
export async function createIdentity(needs: IdentityNeeds, now: Date = new Date()): Promise<ClusterIdentity> {
  const cas = {} as Record<CaName, CaSlot>;
  for (const name of CA_NAMES) cas[name] = await caSlot(`${CA_COMMON_NAMES[name]}-${needs.environment}`, now);
  const adminPassword = secretValue(now, 16);
  const base: ClusterIdentity = {
    format: IDENTITY_FORMAT,
    environment: needs.environment,
    createdAt: now.toISOString(),
    cas,
    serviceAccountKey: { value: makeServiceKey(), createdAt: now.toISOString() },
    k3sServerSecret: secretValue(now),
    k3sAgentSecret: secretValue(now),
    sshHostKeys: {},
    kafkaPasswords: {},
    argocd: {
      adminPassword,
      adminPasswordBcrypt: bcrypt.hashSync(adminPassword.value, BCRYPT_COST),
      // Second precision, RFC 3339, as Argo CD writes it.
      passwordMtime: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      serverSecretKey: secretValue(now, 32),
    },
    grafanaAdminPassword: secretValue(now, 16),
  };
  return (await completeIdentity(base, needs, now)).identity;
}

/**
 * Adds what a grown config needs (a host key for a new node, a password for a new KafkaUser)
 * and changes nothing that exists. Idempotent.
 */
export async function completeIdentity(
  identity: ClusterIdentity,
  needs: IdentityNeeds,
  now: Date = new Date(),
): Promise<{ identity: ClusterIdentity; added: string[] }> {
  assertIdentity(identity, needs.environment);
  const added: string[] = [];
  const sshHostKeys = { ...identity.sshHostKeys };
  for (const node of needs.nodeNames) {
    if (!sshHostKeys[node]) {
      sshHostKeys[node] = { ...makeHostKeyPair(`root@${node}`), createdAt: now.toISOString() };
      added.push(`ssh-host-key:${node}`);
    }
  }
  const kafkaPasswords = { ...identity.kafkaPasswords };
  for (const user of needs.kafkaUsers) {
    if (!kafkaPasswords[user]) {
      kafkaPasswords[user] = secretValue(now);
      added.push(`kafka-password:${user}`);
    }
  }
  return { identity: { ...identity, sshHostKeys, kafkaPasswords }, added };
}

// ----- checking what was read ------------------------------------------------------------

/** Throws unless `value` is an identity of `environment` in the format this code reads. */
export function assertIdentity(value: unknown, environment: string): asserts value is ClusterIdentity {
  const v = value as Partial<ClusterIdentity> | null;
  if (!v || typeof v !== 'object' || v.format !== IDENTITY_FORMAT) {
    throw new Error(
      `the stored identity is not in format '${IDENTITY_FORMAT}' (got ${JSON.stringify((v as { format?: unknown } | null)?.format)}); it was written by another version of this tool`,
    );
  }
  if (v.environment !== environment) {
    throw new Error(
      `the stored identity belongs to environment '${String(v.environment)}', not '${environment}'; check which state you read`,
    );
  }
  for (const name of CA_NAMES) {
    if (!v.cas?.[name]?.current?.cert || !v.cas[name].current.key) {
      throw new Error(`the stored identity of '${environment}' has no CA '${name}'; it is damaged`);
    }
  }
}

// ----- what consumers read ---------------------------------------------------------------

/** The trust bundle a client should hold for a CA: current, then next or previous. */
export function trustBundle(slot: CaSlot): string {
  return [slot.current.cert, slot.next?.cert, slot.previous].filter((c): c is string => !!c).join('');
}

/** The exact bytes of `server-ca.crt` written on the first server (the token hashes them). */
export function serverCaFile(identity: ClusterIdentity): string {
  return identity.cas['k3s-server-ca'].current.cert;
}

/** The SHA-256 k3s puts in a secure token: of the PEM file as stored on disk (a self-signed CA). */
export function k3sCaHash(identity: ClusterIdentity): string {
  return createHash('sha256').update(serverCaFile(identity), 'utf8').digest('hex');
}

/** The k3s tokens in their secure form. */
export function k3sTokens(identity: ClusterIdentity): { server: string; agent: string } {
  const hash = k3sCaHash(identity);
  return {
    server: `K10${hash}::server:${identity.k3sServerSecret.value}`,
    agent: `K10${hash}::node:${identity.k3sAgentSecret.value}`,
  };
}

/**
 * The files under `/var/lib/rancher/k3s/server/tls` on the first server. The client CA file is
 * a bundle (current first: k3s signs with the first certificate and the key), so client
 * certificates of a CA being introduced or retired keep working; the others hold one CA.
 */
export function k3sTlsFiles(identity: ClusterIdentity): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, base] of Object.entries(K3S_CA_FILES) as [keyof typeof K3S_CA_FILES, string][]) {
    const slot = identity.cas[name];
    files[`${base}.crt`] = name === 'k3s-client-ca' ? trustBundle(slot) : slot.current.cert;
    files[`${base}.key`] = slot.current.key;
  }
  files[K3S_SERVICE_KEY_FILE] = identity.serviceAccountKey.value;
  return files;
}

/** The known_hosts lines of a node: its key, and during a rotation the other one too. */
export function knownHostKeys(key: HostKey): string[] {
  return [key.publicKey, key.next?.publicKey, key.previousPublicKey].filter((k): k is string => !!k);
}

/** The boot material of the cluster stack; `manifests` are rendered by the caller (charts/). */
export function bootMaterial(
  identity: ClusterIdentity,
  nodes: readonly string[],
  manifests: Readonly<Record<string, string>>,
): BootMaterial {
  const tokens = k3sTokens(identity);
  const host_keys: Record<string, { private: string; public: string }> = {};
  for (const node of nodes) {
    const key = identity.sshHostKeys[node];
    if (!key)
      throw new Error(`the identity of '${identity.environment}' has no SSH host key for node '${node}'`);
    host_keys[node] = { private: key.privateKey, public: key.publicKey };
  }
  return {
    format: BOOT_MATERIAL_FORMAT,
    environment: identity.environment,
    token: tokens.server,
    agent_token: tokens.agent,
    tls_files: k3sTlsFiles(identity),
    host_keys,
    manifests: { ...manifests },
  };
}

// ----- listing -----------------------------------------------------------------------------

/** One line of `ops identity <env>`. */
export interface IdentityItem {
  readonly name: string;
  readonly kind: 'ca' | 'key' | 'ssh-host-key' | 'token' | 'password' | 'certificate' | 'credentials';
  /** `SHA256:<base64>` of the DER certificate, key or SSH blob; of the value for a secret. */
  readonly fingerprint: string;
  readonly created: string;
  /** ISO date, or `never`. */
  readonly expires: string;
  /** e.g. `next CA staged` or `previous CA still trusted`. */
  readonly rotation?: string;
}

const b64Sha256 = (data: Buffer | string) => `SHA256:${createHash('sha256').update(data).digest('base64')}`;

/** SHA-256 fingerprint of a PEM certificate's DER bytes, as `openssl x509 -fingerprint -sha256` gives it (base64 form). */
export function certFingerprint(pem: string): string {
  return b64Sha256(new X509Certificate(pem).raw);
}

function keyFingerprint(pem: string): string {
  return b64Sha256(createPublicKey(pem).export({ format: 'der', type: 'spki' }));
}

/** Every item of an identity with its fingerprint and dates; never a secret value. */
export function identityItems(identity: ClusterIdentity): IdentityItem[] {
  const items: IdentityItem[] = [];
  for (const name of CA_NAMES) {
    const slot = identity.cas[name];
    const cert = new X509Certificate(slot.current.cert);
    items.push({
      name,
      kind: 'ca',
      fingerprint: certFingerprint(slot.current.cert),
      created: slot.createdAt,
      expires: new Date(cert.validTo).toISOString(),
      rotation: slot.next
        ? `next CA staged (${certFingerprint(slot.next.cert)}), trusted by clients`
        : slot.previous
          ? `previous CA still trusted (${certFingerprint(slot.previous)})`
          : undefined,
    });
  }
  items.push({
    name: 'k3s-service-account-key',
    kind: 'key',
    fingerprint: keyFingerprint(identity.serviceAccountKey.value),
    created: identity.serviceAccountKey.createdAt,
    expires: 'never',
  });
  const tokens = k3sTokens(identity);
  for (const [name, value, secret] of [
    ['k3s-server-token', tokens.server, identity.k3sServerSecret],
    ['k3s-agent-token', tokens.agent, identity.k3sAgentSecret],
  ] as const) {
    items.push({
      name,
      kind: 'token',
      fingerprint: b64Sha256(value),
      created: secret.createdAt,
      expires: 'never',
    });
  }
  for (const [node, key] of Object.entries(identity.sshHostKeys)) {
    items.push({
      name: `ssh-host-key:${node}`,
      kind: 'ssh-host-key',
      fingerprint: sshpk.parseKey(key.publicKey, 'ssh').fingerprint('sha256').toString(),
      created: key.createdAt,
      expires: 'never',
      rotation: key.next
        ? 'next key staged, in known_hosts'
        : key.previousPublicKey
          ? 'previous key still in known_hosts'
          : undefined,
    });
  }
  for (const [user, secret] of Object.entries(identity.kafkaPasswords)) {
    items.push({
      name: `kafka-password:${user}`,
      kind: 'password',
      fingerprint: b64Sha256(secret.value),
      created: secret.createdAt,
      expires: 'never',
    });
  }
  const a = identity.argocd;
  items.push(
    {
      name: 'argocd-admin-password',
      kind: 'password',
      fingerprint: b64Sha256(a.adminPasswordBcrypt),
      created: a.adminPassword.createdAt,
      expires: 'never',
    },
    {
      name: 'argocd-server-secretkey',
      kind: 'key',
      fingerprint: b64Sha256(a.serverSecretKey.value),
      created: a.serverSecretKey.createdAt,
      expires: 'never',
    },
    {
      name: 'grafana-admin-password',
      kind: 'password',
      fingerprint: b64Sha256(identity.grafanaAdminPassword.value),
      created: identity.grafanaAdminPassword.createdAt,
      expires: 'never',
    },
  );
  if (a.tls) {
    items.push({
      name: 'argocd-ui-certificate',
      kind: 'certificate',
      fingerprint: certFingerprint(a.tls.cert),
      created: a.tls.createdAt,
      expires: new Date(new X509Certificate(a.tls.cert).validTo).toISOString(),
    });
  }
  if (a.repoCreds) {
    const material =
      'sshPrivateKey' in a.repoCreds ? a.repoCreds.sshPrivateKey : a.repoCreds.githubAppPrivateKey;
    items.push({
      name: 'gitops-repo-credentials',
      kind: 'credentials',
      fingerprint: b64Sha256(material),
      created: a.repoCreds.createdAt,
      expires: 'never',
    });
  }
  return items;
}

// ----- rotation ----------------------------------------------------------------------------

/** The rotation steps of a CA or host key. */
export type RotationStep = 'begin' | 'switch' | 'finish';

/** Items `rotate` takes: a CA name, `ssh-host-key:<node>`, `kafka-password:<user>`, or a one-step secret. */
export const ONE_STEP_SECRETS = [
  'argocd-admin-password',
  'argocd-server-secretkey',
  'grafana-admin-password',
] as const;

/**
 * One rotation step. CAs and host keys go by overlap: `begin` stages a new one that clients
 * trust next to the old (nodes still use the old), `switch` makes the nodes use the new one
 * from the next morning (the old stays trusted), `finish` drops the old. Passwords and keys
 * without clients that pin them change in one step and take effect on the next morning.
 */
export async function rotate(
  identity: ClusterIdentity,
  item: string,
  step: RotationStep | undefined,
  now: Date = new Date(),
): Promise<RotationResult> {
  const when = now.toISOString();
  if ((CA_NAMES as readonly string[]).includes(item)) {
    const name = item as CaName;
    const slot = identity.cas[name];
    const s = requireStep(item, step);
    let next: CaSlot;
    let message: string;
    if (s === 'begin') {
      if (slot.next) throw new Error(`${item}: a new CA is already staged; run 'switch' or 'finish' next`);
      next = { ...slot, next: await makeCa(`${CA_COMMON_NAMES[name]}-${identity.environment}`, now) };
      message = `${item}: new CA staged. Hand out the new trust bundle now (kubeconfig / kafka-client write both CAs); then 'switch' on a chosen morning.`;
    } else if (s === 'switch') {
      if (!slot.next) throw new Error(`${item}: nothing staged; run 'begin' first`);
      next = {
        current: slot.next,
        previous: slot.current.cert,
        generation: slot.generation + 1,
        createdAt: when,
      };
      message = `${item}: the next morning's cluster uses the new CA; the old one stays trusted until 'finish'.`;
    } else {
      if (!slot.previous) throw new Error(`${item}: no previous CA to drop`);
      next = { current: slot.current, generation: slot.generation, createdAt: slot.createdAt };
      message = `${item}: the old CA is no longer trusted from the next morning on; re-issue client configs that still carry it.`;
    }
    return { identity: { ...identity, cas: { ...identity.cas, [name]: next } }, message };
  }
  if (item.startsWith('ssh-host-key:')) {
    const node = item.slice('ssh-host-key:'.length);
    const key = identity.sshHostKeys[node];
    if (!key)
      throw new Error(
        `${item}: no such node in the identity (nodes: ${Object.keys(identity.sshHostKeys).join(', ')})`,
      );
    const s = requireStep(item, step);
    let next: HostKey;
    if (s === 'begin') {
      if (key.next) throw new Error(`${item}: a new key is already staged`);
      next = { ...key, next: makeHostKeyPair(`root@${node}`) };
    } else if (s === 'switch') {
      if (!key.next) throw new Error(`${item}: nothing staged; run 'begin' first`);
      next = { ...key.next, createdAt: when, previousPublicKey: key.publicKey };
    } else {
      if (!key.previousPublicKey) throw new Error(`${item}: no previous key to drop`);
      next = { privateKey: key.privateKey, publicKey: key.publicKey, createdAt: key.createdAt };
    }
    return {
      identity: { ...identity, sshHostKeys: { ...identity.sshHostKeys, [node]: next } },
      message: `${item}: ${s} done; run 'ops known-hosts' to refresh the pinned known_hosts.`,
    };
  }
  if (step !== undefined) throw new Error(`${item} changes in one step; drop '--step ${step}'`);
  if (item.startsWith('kafka-password:')) {
    const user = item.slice('kafka-password:'.length);
    if (!identity.kafkaPasswords[user]) {
      throw new Error(
        `${item}: no such KafkaUser (users: ${Object.keys(identity.kafkaPasswords).join(', ')})`,
      );
    }
    return {
      identity: { ...identity, kafkaPasswords: { ...identity.kafkaPasswords, [user]: secretValue(now) } },
      message: `${item}: new password, in effect from the next morning; re-run 'ops kafka-client --user ${user}'.`,
    };
  }
  switch (item as (typeof ONE_STEP_SECRETS)[number]) {
    case 'argocd-admin-password': {
      const adminPassword = secretValue(now, 16);
      return {
        identity: {
          ...identity,
          argocd: {
            ...identity.argocd,
            adminPassword,
            adminPasswordBcrypt: bcrypt.hashSync(adminPassword.value, BCRYPT_COST),
            passwordMtime: when.replace(/\.\d{3}Z$/, 'Z'),
          },
        },
        message: `${item}: new password from the next morning (existing Argo CD sessions end then).`,
      };
    }
    case 'argocd-server-secretkey':
      return {
        identity: { ...identity, argocd: { ...identity.argocd, serverSecretKey: secretValue(now, 32) } },
        message: `${item}: new key from the next morning; every Argo CD session and API token signed with the old one ends.`,
      };
    case 'grafana-admin-password':
      return {
        identity: { ...identity, grafanaAdminPassword: secretValue(now, 16) },
        message: `${item}: new password from the next morning.`,
      };
  }
  throw new Error(
    `cannot rotate '${item}': use a CA (${CA_NAMES.join(', ')}), ssh-host-key:<node>, kafka-password:<user> or ${ONE_STEP_SECRETS.join(', ')}`,
  );
}

function requireStep(item: string, step: RotationStep | undefined): RotationStep {
  if (step === 'begin' || step === 'switch' || step === 'finish') return step;
  throw new Error(`${item} rotates by overlap: pass --step begin, then switch, then finish`);
}
