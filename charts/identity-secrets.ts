import { App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import type { ResolvedEnvironment } from '../lib/environment';
import type { ManifestFile } from '../templates/cloud-init';
import {
  ARGOCD_REPO_CREDS_SECRET_NAME,
  ARGOCD_SECRET_NAME,
  argocdTlsSecretName,
  assertChecks,
  GRAFANA_ADMIN_SECRET,
  kafkaCredentialsSecretName,
  kafkaUserName,
  kafkaUserPasswordSecretName,
  KAFKA_CLUSTER_NAME,
  KAFKA_PASSWORD_KEY,
  NAMESPACES,
  STRIMZI_CA_SECRETS,
} from './constants';
import { KafkaChart } from './kafka';

/** File name of the identity's Secrets in k3s's auto-deploy folder on the first control plane. */
export const IDENTITY_SECRETS_FILE = 'identity-secrets.yaml';

/** One of Strimzi's CAs as PEM, with the generations Strimzi tracks it by. */
export interface StrimziCaInput {
  /** The CA certificate (PEM; a chain CA first, root last). */
  readonly cert: string;
  /** The CA's private key (PEM, unencrypted). */
  readonly key: string;
  /** `strimzi.io/ca-cert-generation` on the certificate Secret; raise it when the certificate changes. */
  readonly certGeneration: number;
  /** `strimzi.io/ca-key-generation` on the key Secret; raise it when the key changes. */
  readonly keyGeneration: number;
}

/** Argo CD's credentials for the GitOps repository: an SSH deploy key, or a GitHub App. */
export type RepoCredsInput =
  | { readonly sshPrivateKey: string }
  | {
      readonly githubAppId: string;
      readonly githubAppInstallationId: string;
      readonly githubAppPrivateKey: string;
    };

/** The cluster identity's secret values, as lib/identity.ts keeps them (plain text, never in git). */
export interface IdentitySecretsInput {
  readonly strimzi: {
    readonly clusterCa: StrimziCaInput;
    readonly clientsCa: StrimziCaInput;
  };
  /** KafkaUser name -> SCRAM password, for every KafkaUser the kafka chart renders (trading apps and the external user). */
  readonly kafkaPasswords: Readonly<Record<string, string>>;
  readonly argocd: {
    /** bcrypt hash of the admin password (`$2a$10$...`), Argo CD's `admin.password`. */
    readonly adminPasswordBcrypt: string;
    /** When the admin password was set (RFC 3339, e.g. `2026-01-02T15:04:05Z`); fixed, so sessions stay valid. */
    readonly passwordMtime: string;
    /** Argo CD's `server.secretkey`, which signs its session tokens. */
    readonly serverSecretKey: string;
    /**
     * UI certificate (PEM chain + key) for the Argo CD Ingress, as a `kubernetes.io/tls` Secret
     * named `argocdTlsSecretName(env)`, which the Ingress references.
     * @default - none: Traefik serves its self-signed default certificate
     */
    readonly tls?: { readonly cert: string; readonly key: string };
    /**
     * Credentials for a private GitOps repository, as an Argo CD `repo-creds` Secret for the
     * environment's `gitopsRepoUrl`: an SSH deploy key (SSH URL) or a GitHub App (https URL).
     * @default - none: the repository is public
     */
    readonly repoCreds?: RepoCredsInput;
  };
  /** Grafana admin password; only rendered when env.monitoring. */
  readonly grafanaAdminPassword: string;
}

/**
 * The KafkaUsers the kafka chart renders for an environment (trading apps' users, then the
 * external user): read from the chart itself, so a user added there needs a password here.
 */
export function kafkaUserNames(env: ResolvedEnvironment): string[] {
  return [...new KafkaChart(new App(), 'kafka', { env }).userNames];
}

// ----- validation --------------------------------------------------------------------------

/** Well-formed PEM blocks of a text: label and base64 body between matching BEGIN/END lines. */
function pemBlocks(text: string): string[] {
  const blocks = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END \1-----/g;
  return [...text.matchAll(blocks)].map((m) => m[1]);
}

const isPrivateKeyLabel = (label: string) => label.endsWith('PRIVATE KEY');

/** What is wrong with a string field, or undefined: a missing or empty value. */
function textProblem(field: string, value: unknown, what: string): string | undefined {
  if (typeof value !== 'string') return `${field} must be ${what} (a string), got ${typeof value}`;
  if (value.trim() === '') return `${field} is empty; give ${what}`;
  return undefined;
}

/**
 * A PEM certificate (or chain): public, so the message may quote its start. A private key in
 * it is refused: a certificate Secret such as `ca.crt` is handed to every client.
 */
function certProblem(field: string, value: unknown): string | undefined {
  const what = 'the PEM certificate text (-----BEGIN CERTIFICATE-----)';
  const missing = textProblem(field, value, what);
  if (missing !== undefined || typeof value !== 'string') return missing;
  const labels = pemBlocks(value);
  if (labels.some(isPrivateKeyLabel)) {
    return `${field} contains a private key, which would be published with the certificate; give the certificate only (were cert and key swapped?)`;
  }
  if (!labels.includes('CERTIFICATE')) {
    return `${field} is not a PEM certificate: no -----BEGIN CERTIFICATE----- block in text starting ${JSON.stringify(value.trim().slice(0, 24))}; give the PEM text itself, not a file path or base64 of it`;
  }
  return undefined;
}

/** A PEM private key: never quoted in the message. */
function keyProblem(field: string, value: unknown, labelOk: (label: string) => boolean): string | undefined {
  const what = 'the PEM private key text (-----BEGIN PRIVATE KEY-----)';
  const missing = textProblem(field, value, what);
  if (missing !== undefined || typeof value !== 'string') return missing;
  const labels = pemBlocks(value);
  if (labels.includes('ENCRYPTED PRIVATE KEY')) {
    return `${field} is an encrypted private key, which nothing in the cluster can open; give it unencrypted (openssl pkcs8 -nocrypt)`;
  }
  if (labels.length !== 1 || !labelOk(labels[0])) {
    return `${field} is not one PEM private key (found ${labels.length === 0 ? 'no PEM block' : labels.map((l) => `'${l}'`).join(', ')}; the value is not shown); give the PEM text of the key itself, not a file path`;
  }
  return undefined;
}

const pkcsKey = (label: string) => ['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY'].includes(label);
const sshKey = (label: string) => label === 'OPENSSH PRIVATE KEY' || pkcsKey(label);

function caProblems(field: string, ca: StrimziCaInput | undefined): Array<string | undefined> {
  if (ca === undefined || ca === null || typeof ca !== 'object') {
    return [`${field} is missing; give the CA's cert, key, certGeneration and keyGeneration`];
  }
  const generation = (name: 'certGeneration' | 'keyGeneration', annotation: string) =>
    Number.isInteger(ca[name]) && ca[name] >= 0
      ? undefined
      : `${field}.${name} must be a whole number >= 0 (Strimzi's ${annotation}; start at 0, raise it on every change), got ${JSON.stringify(ca[name])}`;
  return [
    certProblem(`${field}.cert`, ca.cert),
    keyProblem(`${field}.key`, ca.key, pkcsKey),
    generation('certGeneration', 'strimzi.io/ca-cert-generation'),
    generation('keyGeneration', 'strimzi.io/ca-key-generation'),
  ];
}

/** A SCRAM password: it also goes into a JAAS line between double quotes. */
function passwordProblem(env: ResolvedEnvironment, user: string, value: unknown): string | undefined {
  if (value === undefined) {
    return `kafkaPasswords has no password for KafkaUser '${user}', which the kafka chart renders; add one (npm run ops -- identity init ${env.name} fills in missing passwords)`;
  }
  const missing = textProblem(`kafkaPasswords['${user}']`, value, 'the SCRAM password');
  if (missing !== undefined || typeof value !== 'string') return missing;
  return /["\\\r\n]/.test(value)
    ? `kafkaPasswords['${user}'] contains a double quote, backslash or line break, which would break the client's sasl.jaas.config line; use letters, digits and URL-safe symbols`
    : undefined;
}

const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const SSH_URL = /^(ssh:\/\/|[A-Za-z0-9._-]+@[^:/]+:)/;

function repoCredsProblems(env: ResolvedEnvironment, creds: RepoCredsInput): Array<string | undefined> {
  const url = env.gitopsRepoUrl;
  if (typeof creds !== 'object' || creds === null || !('sshPrivateKey' in creds || 'githubAppId' in creds)) {
    return [
      'argocd.repoCreds must hold sshPrivateKey (an SSH deploy key), or githubAppId, githubAppInstallationId and githubAppPrivateKey (a GitHub App); leave it out for a public repository',
    ];
  }
  if ('sshPrivateKey' in creds) {
    return [
      keyProblem('argocd.repoCreds.sshPrivateKey', creds.sshPrivateKey, sshKey),
      SSH_URL.test(url)
        ? undefined
        : `argocd.repoCreds is an SSH deploy key, but gitopsRepoUrl '${url}' is not an SSH URL and Argo CD uses SSH keys only for ssh:// or git@ URLs; set gitopsRepoUrl to the repository's SSH URL (git@github.com:<org>/<repo>.git) in environments/${env.name}.ts, or give a GitHub App`,
    ];
  }
  const id = (field: 'githubAppId' | 'githubAppInstallationId') =>
    typeof creds[field] === 'string' && /^[1-9]\d*$/.test(creds[field])
      ? undefined
      : `argocd.repoCreds.${field} must be the GitHub App's numeric id as a string (e.g. '123456'), got ${JSON.stringify(creds[field])}`;
  return [
    id('githubAppId'),
    id('githubAppInstallationId'),
    keyProblem('argocd.repoCreds.githubAppPrivateKey', creds.githubAppPrivateKey, pkcsKey),
    url.startsWith('https://')
      ? undefined
      : `argocd.repoCreds is a GitHub App, but gitopsRepoUrl '${url}' is not an https:// URL and Argo CD uses GitHub App credentials only over HTTPS; set gitopsRepoUrl to https://github.com/<org>/<repo>.git in environments/${env.name}.ts, or give an SSH deploy key`,
  ];
}

/**
 * The rules the identity's values must meet before they are rendered; each message names the
 * field and the fix, never a secret value. Inputs may come from stored JSON, so nothing
 * trusts the TypeScript types.
 */
export function identitySecretsProblems(
  env: ResolvedEnvironment,
  input: IdentitySecretsInput,
): Array<string | undefined> {
  const { strimzi, argocd } = input;
  const passwords: Readonly<Record<string, unknown>> = input.kafkaPasswords ?? {};
  const mtime = argocd?.passwordMtime;
  return [
    ...caProblems('strimzi.clusterCa', strimzi?.clusterCa),
    ...caProblems('strimzi.clientsCa', strimzi?.clientsCa),
    ...kafkaUserNames(env).map((user) =>
      passwordProblem(env, user, Object.hasOwn(passwords, user) ? passwords[user] : undefined),
    ),
    typeof argocd?.adminPasswordBcrypt === 'string' && BCRYPT.test(argocd.adminPasswordBcrypt)
      ? undefined
      : `argocd.adminPasswordBcrypt must be a bcrypt hash of the admin password ($2a$10$ and 53 more characters; the value is not shown), not the password itself; hash it with 'argocd account bcrypt'`,
    typeof mtime === 'string' && RFC3339.test(mtime) && !Number.isNaN(Date.parse(mtime))
      ? undefined
      : `argocd.passwordMtime must be an RFC 3339 time such as '2026-01-02T15:04:05Z', fixed when the password was set, got ${JSON.stringify(mtime)}`,
    textProblem('argocd.serverSecretKey', argocd?.serverSecretKey, "Argo CD's server.secretkey"),
    ...(argocd?.tls === undefined
      ? []
      : [
          certProblem('argocd.tls.cert', argocd.tls.cert),
          keyProblem('argocd.tls.key', argocd.tls.key, pkcsKey),
        ]),
    ...(argocd?.repoCreds === undefined ? [] : repoCredsProblems(env, argocd.repoCreds)),
    env.monitoring
      ? textProblem('grafanaAdminPassword', input.grafanaAdminPassword, "Grafana's admin password")
      : undefined,
  ];
}

// ----- the Secrets -------------------------------------------------------------------------

/** Props of {@link IdentitySecretsChart}. */
export interface IdentitySecretsChartProps {
  /** The environment: its KafkaUsers, trading apps, GitOps repository and monitoring switch. */
  readonly env: ResolvedEnvironment;
  /** The identity's secret values. */
  readonly input: IdentitySecretsInput;
}

/**
 * The persistent identity's Secrets, which k3s applies at boot from the first control plane's
 * auto-deploy folder, so the cluster rebuilt every morning keeps what its clients trust:
 * Strimzi's two CAs, every KafkaUser's SCRAM password (plus each trading app's credentials in
 * its own namespace), Argo CD's `argocd-secret`, optionally its UI certificate and GitOps
 * repository credentials, and Grafana's admin login. Never rendered into the GitOps folder.
 */
export class IdentitySecretsChart extends Chart {
  constructor(scope: Construct, id: string, props: IdentitySecretsChartProps) {
    super(scope, id);
    const { env, input } = props;
    assertChecks(`Identity Secrets of environment '${env.name}'`, identitySecretsProblems(env, input));

    // The four Secrets, keys, labels and annotations of Strimzi's documented custom-CA procedure (strimzi/strimzi-kafka-operator documentation/modules/security/proc-installing-your-own-ca-certificates.adoc; annotation names from operator-common/.../model/Ca.java ANNO_STRIMZI_IO_CA_CERT_GENERATION / _KEY_GENERATION).
    const strimziLabels = { 'strimzi.io/kind': 'Kafka', 'strimzi.io/cluster': KAFKA_CLUSTER_NAME };
    const caSecrets = (id: string, ca: StrimziCaInput, certName: string, keyName: string) => {
      this.secret(`${id}-cert`, certName, NAMESPACES.kafka, { 'ca.crt': ca.cert }, strimziLabels, {
        'strimzi.io/ca-cert-generation': String(ca.certGeneration),
      });
      this.secret(`${id}-key`, keyName, NAMESPACES.kafka, { 'ca.key': ca.key }, strimziLabels, {
        'strimzi.io/ca-key-generation': String(ca.keyGeneration),
      });
    };
    const { clusterCa, clientsCa } = input.strimzi;
    caSecrets('cluster-ca', clusterCa, STRIMZI_CA_SECRETS.clusterCaCert, STRIMZI_CA_SECRETS.clusterCaKey);
    caSecrets('clients-ca', clientsCa, STRIMZI_CA_SECRETS.clientsCaCert, STRIMZI_CA_SECRETS.clientsCaKey);

    // Every KafkaUser reads its password from `<user>-password` in `kafka`; a pod cannot read
    // a Secret of another namespace, so each trading app also gets its credentials at home.
    const trading = { 'app.kubernetes.io/part-of': 'trading' };
    for (const user of kafkaUserNames(env)) {
      this.secret(
        `${user}-password`,
        kafkaUserPasswordSecretName(user),
        NAMESPACES.kafka,
        {
          [KAFKA_PASSWORD_KEY]: input.kafkaPasswords[user],
        },
        trading,
      );
    }
    for (const app of env.tradingApps) {
      const username = kafkaUserName(app.name);
      const password = input.kafkaPasswords[username];
      this.secret(
        `${app.name}-credentials`,
        kafkaCredentialsSecretName(app.name),
        app.kind,
        {
          username,
          password,
          'sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`,
        },
        trading,
      );
    }

    // What the argo-cd chart's argocd-secret would carry (configs.secret.createSecret is false):
    // argo-helm charts/argo-cd/templates/argocd-configs/argocd-secret.yaml.
    const { argocd } = input;
    this.secret(
      'argocd-secret',
      ARGOCD_SECRET_NAME,
      NAMESPACES.argocd,
      {
        'admin.password': argocd.adminPasswordBcrypt,
        'admin.passwordMtime': argocd.passwordMtime,
        'server.secretkey': argocd.serverSecretKey,
      },
      { 'app.kubernetes.io/name': ARGOCD_SECRET_NAME, 'app.kubernetes.io/part-of': 'argocd' },
    );
    if (argocd.tls) {
      new k8s.KubeSecret(this, 'argocd-tls', {
        metadata: { name: argocdTlsSecretName(env), namespace: NAMESPACES.argocd },
        type: 'kubernetes.io/tls',
        stringData: { 'tls.crt': argocd.tls.cert, 'tls.key': argocd.tls.key },
      });
    }
    if (argocd.repoCreds) {
      const creds: Record<string, string> =
        'sshPrivateKey' in argocd.repoCreds
          ? { sshPrivateKey: argocd.repoCreds.sshPrivateKey }
          : {
              githubAppID: argocd.repoCreds.githubAppId,
              githubAppInstallationID: argocd.repoCreds.githubAppInstallationId,
              githubAppPrivateKey: argocd.repoCreds.githubAppPrivateKey,
            };
      this.secret(
        'repo-creds',
        ARGOCD_REPO_CREDS_SECRET_NAME,
        NAMESPACES.argocd,
        { type: 'git', url: env.gitopsRepoUrl, ...creds },
        { 'argocd.argoproj.io/secret-type': 'repo-creds' },
      );
    }

    if (env.monitoring) {
      this.secret('grafana-admin', GRAFANA_ADMIN_SECRET.name, NAMESPACES.monitoring, {
        [GRAFANA_ADMIN_SECRET.userKey]: GRAFANA_ADMIN_SECRET.user,
        [GRAFANA_ADMIN_SECRET.passwordKey]: input.grafanaAdminPassword,
      });
    }
  }

  private secret(
    id: string,
    name: string,
    namespace: string,
    stringData: Record<string, string>,
    labels?: Record<string, string>,
    annotations?: Record<string, string>,
  ): void {
    new k8s.KubeSecret(this, id, {
      metadata: { name, namespace, labels, annotations },
      type: 'Opaque',
      stringData,
    });
  }
}

/**
 * The identity's Secrets as one multi-document manifest for the first control plane's
 * auto-deploy folder. k3s re-applies it until the namespaces exist (Argo CD's platform app
 * creates them). Lines are never folded: PEM texts and passwords stay byte-exact.
 */
export function renderIdentitySecrets(env: ResolvedEnvironment, input: IdentitySecretsInput): ManifestFile {
  const chart = new IdentitySecretsChart(new App(), 'identity-secrets', { env, input });
  const content = chart
    .toJson()
    .map((doc) => stringify(doc, { lineWidth: 0 }))
    .join('---\n');
  return { fileName: IDENTITY_SECRETS_FILE, content };
}
