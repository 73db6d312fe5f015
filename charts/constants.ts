import { pinnedVersion } from '../lib/versions';

/**
 * Names and pinned versions shared by the GitOps charts. Everything that another chart,
 * the cluster stack or a client refers to by name is defined once here.
 */

/** Namespaces the platform chart creates. */
export const NAMESPACES = {
  kafka: 'kafka',
  ingestion: 'ingestion',
  strategies: 'strategies',
  monitoring: 'monitoring',
  argocd: 'argocd',
} as const;

/** The namespaces trading apps run in (quota'd, default-deny network policies). */
export const TRADING_NAMESPACES = [NAMESPACES.ingestion, NAMESPACES.strategies] as const;

/** A namespace trading apps run in. */
export type TradingNamespace = (typeof TRADING_NAMESPACES)[number];

/** PriorityClasses, highest value first: Kafka outranks every trading workload. */
export const PRIORITY_CLASSES = {
  kafka: { name: 'kafka-critical', value: 1_000_000 },
  high: { name: 'trading-high', value: 100_000 },
  medium: { name: 'trading-medium', value: 10_000 },
  low: { name: 'trading-low', value: 1_000 },
} as const;

/** The priority classes a trading app may use. */
export const TRADING_PRIORITY_CLASSES: readonly string[] = [
  PRIORITY_CLASSES.high.name,
  PRIORITY_CLASSES.medium.name,
  PRIORITY_CLASSES.low.name,
];

/** Requests of the two largest monitoring pods; the monitoring quota must hold at least these. */
export const MONITORING_REQUESTS = {
  prometheus: { cpuMillis: 200, memoryMib: 768, memoryLimitMib: 1536 },
  grafana: { cpuMillis: 50, memoryMib: 128, memoryLimitMib: 256 },
} as const;

/** The Strimzi Kafka cluster name; service and secret names derive from it. */
export const KAFKA_CLUSTER_NAME = 'trading-cluster';

/** Port of the internal plain listener. */
export const KAFKA_INTERNAL_PORT = 9092;

/** Port of the external TLS + SCRAM-SHA-512 listener inside the pods (reached through NodePorts). */
export const KAFKA_EXTERNAL_LISTENER_PORT = 9094;

/** In-cluster bootstrap address of the internal listener. */
export const KAFKA_INTERNAL_BOOTSTRAP = `${KAFKA_CLUSTER_NAME}-kafka-bootstrap.${NAMESPACES.kafka}.svc.cluster.local:${KAFKA_INTERNAL_PORT}`;

/** SASL mechanism of the internal listener and of every KafkaUser. */
export const KAFKA_SASL_MECHANISM = 'SCRAM-SHA-512';

/** The KafkaUser (and Kafka principal `User:<name>`) of a trading app. */
export function kafkaUserName(appName: string): string {
  return `app-${appName}`;
}

/** Key of the SCRAM password in a KafkaUser's password Secret. */
export const KAFKA_PASSWORD_KEY = 'password';

/**
 * Secret in `kafka` holding the SCRAM password of a KafkaUser (key {@link KAFKA_PASSWORD_KEY}),
 * which the KafkaUser reads through `secretKeyRef`. Delivered at boot from the persistent
 * identity (charts/identity-secrets.ts), so the password survives the daily rebuild.
 */
export function kafkaUserPasswordSecretName(userName: string): string {
  return `${userName}-password`;
}

/** The password Secret of a trading app's KafkaUser ({@link kafkaUserPasswordSecretName}). */
export function kafkaPasswordSecretName(appName: string): string {
  return kafkaUserPasswordSecretName(kafkaUserName(appName));
}

/**
 * Secret in the app's own namespace with its Kafka credentials (keys `username`,
 * `password`, `sasl.jaas.config`); pods reference it, never a literal.
 */
export function kafkaCredentialsSecretName(appName: string): string {
  return `${appName}-kafka-credentials`;
}

/**
 * The Secrets of Strimzi's cluster CA and clients CA in `kafka`, under the names Strimzi reads
 * when `generateCertificateAuthority` is false (`<cluster>-cluster-ca-cert` with `ca.crt`,
 * `<cluster>-cluster-ca` with `ca.key`, the same for `clients-ca`). Delivered at boot, so
 * external clients trust the same CA every day.
 */
export const STRIMZI_CA_SECRETS = {
  clusterCaCert: `${KAFKA_CLUSTER_NAME}-cluster-ca-cert`,
  clusterCaKey: `${KAFKA_CLUSTER_NAME}-cluster-ca`,
  clientsCaCert: `${KAFKA_CLUSTER_NAME}-clients-ca-cert`,
  clientsCaKey: `${KAFKA_CLUSTER_NAME}-clients-ca`,
} as const;

/**
 * Argo CD's own Secret (admin password, its mtime, `server.secretkey`). Delivered at boot
 * instead of being made by the argo-cd chart, so logins and tokens survive the rebuild.
 */
export const ARGOCD_SECRET_NAME = 'argocd-secret';

/**
 * The TLS Secret of the Argo CD Ingress when the environment names none
 * (`argocdTlsSecretName`); delivered at boot when the identity holds a UI certificate.
 */
export const ARGOCD_DEFAULT_TLS_SECRET_NAME = 'argocd-ingress-tls';

/** The TLS Secret the Argo CD Ingress references: the environment's, else the default. */
export function argocdTlsSecretName(env: { readonly argocdTlsSecretName?: string }): string {
  return env.argocdTlsSecretName ?? ARGOCD_DEFAULT_TLS_SECRET_NAME;
}

/** Argo CD credential template (`repo-creds`) for the GitOps repository, when the identity holds one. */
export const ARGOCD_REPO_CREDS_SECRET_NAME = 'gitops-repo-creds';

/**
 * Grafana's admin login in `monitoring` (grafana chart `admin.existingSecret`, `userKey`,
 * `passwordKey`), delivered at boot instead of the chart's password made anew every morning.
 */
export const GRAFANA_ADMIN_SECRET = {
  name: 'grafana-admin',
  userKey: 'admin-user',
  passwordKey: 'admin-password',
  /** The login name. */
  user: 'admin',
} as const;

/** Node labels and taints set by the cluster stack at k3s registration. */
export const NODE_LABELS = {
  kafka: { key: 'kafka', value: 'true' },
  app: { key: 'app', value: 'true' },
} as const;

/** Taint on the kafka nodes so only Kafka lands there. */
export const KAFKA_NODE_TAINT = { key: 'dedicated', value: 'kafka', effect: 'NoSchedule' } as const;

/** A cluster-scoped kind (group and kind), as an AppProject whitelist lists it. */
export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

const RBAC_CLUSTER_KINDS: readonly GroupKind[] = [
  { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
  { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
];
const CRD: GroupKind = { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' };

/**
 * Pinned Helm charts (versions from lib/versions.ts) and the cluster-scoped kinds each
 * one creates, which the AppProject must whitelist or Argo CD refuses the whole sync.
 */
export const HELM_CHARTS = {
  /** Strimzi operator; Argo CD reads an OCI Helm repository as `host/path` without `oci://`. */
  strimzi: {
    repoUrl: 'quay.io/strimzi-helm',
    chart: 'strimzi-kafka-operator',
    version: pinnedVersion('helm:strimzi-kafka-operator'),
    /** templates/crds and the 0x0-ClusterRole*.yaml / ClusterRoleBinding templates of the chart. */
    clusterScopedKinds: [CRD, ...RBAC_CLUSTER_KINDS],
  },
  /** Argo CD, installed by k3s at bootstrap (not by an Application). */
  argocd: {
    repoUrl: 'https://argoproj.github.io/argo-helm',
    chart: 'argo-cd',
    version: pinnedVersion('helm:argo-cd'),
  },
  /** Prometheus operator, Prometheus and Grafana. */
  kubePrometheusStack: {
    repoUrl: 'https://prometheus-community.github.io/helm-charts',
    chart: 'kube-prometheus-stack',
    version: pinnedVersion('helm:kube-prometheus-stack'),
    /** CRDs, RBAC of the operator, Grafana and kube-state-metrics, the operator's admission webhooks. */
    clusterScopedKinds: [
      CRD,
      ...RBAC_CLUSTER_KINDS,
      { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration' },
      { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration' },
    ],
  },
} as const;

/** The in-cluster API server as an Argo CD destination. */
export const IN_CLUSTER = 'https://kubernetes.default.svc';

/** The Argo CD project every child Application belongs to. */
export const ARGOCD_PROJECT = 'trading';

/** Where an environment's rendered manifests live in the GitOps repository. */
export function gitopsPath(envName: string, folder?: string): string {
  return folder ? `gitops/${envName}/${folder}` : `gitops/${envName}`;
}

/** Raised by a chart when its config cannot be rendered; the message names the value and the fix. */
export class ChartConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChartConfigError';
  }
}

/** Runs a table of checks and throws one {@link ChartConfigError} listing every broken rule. */
export function assertChecks(what: string, problems: ReadonlyArray<string | undefined>): void {
  const broken = problems.filter((p): p is string => p !== undefined);
  if (broken.length > 0) {
    throw new ChartConfigError(`${what}:\n` + broken.map((p) => `  - ${p}`).join('\n'));
  }
}
