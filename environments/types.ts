/**
 * The typed configuration of one environment. One object drives both halves of the
 * project: the Terraform stacks (servers, network, firewall) and the cdk8s charts
 * (quotas computed from the same server types, Kafka sized by the same node count).
 *
 * Environments are code (`environments/dev.ts`, `environments/prod.ts`), validated by
 * {@link validateEnvironment} before any construct is created.
 */

/** A group of servers of one role. */
export interface NodeGroupConfig {
  /** How many servers of this role. */
  readonly count: number;
  /**
   * Hetzner server type name, e.g. `cx23`, `cpx32`, `ccx13`. Any name is accepted; the
   * capacity of well-known types is in `lib/server-types.ts`.
   */
  readonly serverType: string;
  /**
   * Server types tried in order when `serverType` is sold out in the location on a morning
   * (Hetzner answers `resource_unavailable`). Same location: the Primary IPs are bound to
   * it. Each must be in `lib/server-types.ts`, of the same CPU architecture and with at
   * least the cores and memory of `serverType` (quotas and Kafka's heap are rendered from
   * `serverType`), and for Kafka with room on its disk for `kafkaStorageGb`.
   * @default - none: a sold-out type fails the morning's apply
   */
  readonly fallbackServerTypes?: readonly string[];
}

/** An example trading application deployed by the GitOps side. */
export interface TradingAppConfig {
  /** Deployment name, e.g. `market-data-ingest`. */
  readonly name: string;
  /** `ingestion` or `strategies`: the namespace and the kind of app. */
  readonly kind: 'ingestion' | 'strategies';
  /** Container image. */
  readonly image: string;
  /** @default 1 */
  readonly replicas?: number;
  /** CPU request in millicores. @default 250 */
  readonly cpuMillis?: number;
  /** Memory request in MiB. @default 256 */
  readonly memoryMib?: number;
  /** @default - `trading-high` for ingestion, `trading-medium` for strategies */
  readonly priorityClass?: string;
  /**
   * Topics the app's KafkaUser may use: ingestion apps produce to them, strategies
   * consume from them (ACLs by kind).
   * @default - every topic in `topics`
   */
  readonly topics?: readonly string[];
  /**
   * Numeric user the container runs as (Pod Security `restricted` needs a non-root user;
   * an image whose USER is root would otherwise be refused by the kubelet).
   * @default 10001
   */
  readonly runAsUser?: number;
  /** HTTP (with `path`) or TCP readiness probe. @default - none */
  readonly readinessProbe?: ProbeConfig;
  /** HTTP (with `path`) or TCP liveness probe. @default - none */
  readonly livenessProbe?: ProbeConfig;
}

/** A container probe: an HTTP GET when `path` is set, a TCP connect otherwise. */
export interface ProbeConfig {
  /** Container port to probe. */
  readonly port: number;
  /** HTTP path, e.g. `/healthz`. @default - a TCP probe */
  readonly path?: string;
  /** @default 10 */
  readonly periodSeconds?: number;
  /** @default 0 */
  readonly initialDelaySeconds?: number;
  /** @default 3 */
  readonly failureThreshold?: number;
}

/** A Kafka topic created by the GitOps side. */
export interface KafkaTopicConfig {
  readonly name: string;
  readonly partitions: number;
  /** @default - min(3, brokers) */
  readonly replicas?: number;
  /** @default 168 (7 days) */
  readonly retentionHours?: number;
}

/** The whole environment. */
export interface EnvironmentConfig {
  /** Environment name: lower-case letters, digits and dashes, e.g. `dev`, `prod`. */
  readonly name: string;
  /**
   * Cluster name, part of every resource name and the `cluster` label.
   * @default 'trading'
   */
  readonly clusterName?: string;
  /** Hetzner location, e.g. `fsn1`, `nbg1`, `hel1`, `ash`, `hil`, `sin`. */
  readonly location: string;
  /** Hetzner network zone of the subnet; must contain `location`, e.g. `eu-central`. */
  readonly networkZone: string;
  /** Private network range, e.g. `10.0.0.0/16`. */
  readonly networkCidr: string;
  /** Cloud subnet inside the network, e.g. `10.0.1.0/24`. */
  readonly subnetCidr: string;
  /** OS image for every server. @default 'ubuntu-24.04' */
  readonly image?: string;
  /** Pinned k3s release, e.g. `v1.33.5+k3s1`. */
  readonly k3sVersion: string;

  /** Control plane servers: 1, or 3 for HA with embedded etcd. */
  readonly controlPlane: NodeGroupConfig;
  /** Kafka nodes: 1 or 3 (KRaft quorum). kafka-0 carries Primary IP #2. */
  readonly kafka: NodeGroupConfig;
  /** App nodes: 0..N. With 0, apps run on the control plane. */
  readonly apps: NodeGroupConfig;

  /** Host number of the first control plane in the subnet (.10). @default 10 */
  readonly controlPlaneHostNumber?: number;
  /** Host number of kafka-0 in the subnet (.20). @default 20 */
  readonly kafkaHostNumber?: number;
  /** Host number of the first app node in the subnet (.30). @default 30 */
  readonly appHostNumber?: number;

  /** CIDRs allowed to reach SSH (22) on the control plane. No default: say who. */
  readonly sshAllowedCidrs: readonly string[];
  /** CIDRs allowed to reach the K3s API (6443). */
  readonly apiAllowedCidrs: readonly string[];
  /** CIDRs allowed to reach Kafka's external NodePorts on kafka-0. */
  readonly kafkaAllowedCidrs: readonly string[];
  /**
   * CIDRs allowed to reach Argo CD's UI and API (HTTPS, 443) on the control plane. Argo CD
   * deploys anything into the cluster, so it is an admin port; `[]` closes 443 (reach it
   * with `kubectl port-forward` only). Port 80 is never opened.
   * @default - the `apiAllowedCidrs`
   */
  readonly argocdAllowedCidrs?: readonly string[];
  /**
   * Secret (type `kubernetes.io/tls`, in namespace `argocd`) with the certificate Traefik
   * serves for Argo CD, e.g. one valid for `apiDnsName` that you obtained once and create
   * each day after the cluster is up. Until it exists, and when unset, Traefik serves its
   * self-signed default certificate.
   * @default - Traefik's self-signed default certificate
   */
  readonly argocdTlsSecretName?: string;
  /**
   * Explicit opt-in to open SSH, the K3s API or Argo CD to the whole internet (0.0.0.0/0
   * or ::/0). Without it such a CIDR is rejected at synth.
   * @default false
   */
  readonly allowWorldOpenAdminPorts?: boolean;

  /** DNS name of the control plane (K3s API, ArgoCD), e.g. `k3s.dev.example.com`. */
  readonly apiDnsName?: string;
  /**
   * DNS name of Kafka's external listener (kafka-0), e.g. `kafka.dev.example.com`. Required:
   * the GitOps manifests are rendered before the Primary IP's address is known, and the
   * broker advertises this name to clients. Point its A record at the Kafka Primary IP
   * (cluster stack output `dns_records`).
   */
  readonly kafkaDnsName: string;

  /** Hours a day the cluster runs (for the cost estimate and schedule). */
  readonly uptimeHoursPerDay: number;

  /**
   * Kafka external NodePort of the bootstrap service; broker i uses this + 1 + i. The
   * cluster's NodePort range starts here (`<port>-32767`), so all of them lie in its static
   * band, which random NodePort allocations leave alone (lib/node-ports.ts).
   * @default 32100
   */
  readonly kafkaExternalBootstrapPort?: number;

  // ----- GitOps side -------------------------------------------------------------
  /** Git repository ArgoCD syncs from. */
  readonly gitopsRepoUrl: string;
  /** Branch the root Application follows: `main` for dev, `production` for prod. */
  readonly gitopsBranch: string;
  /** Kafka version run by Strimzi. @default '4.0.1' */
  readonly kafkaVersion?: string;
  /** Kafka storage per broker in GiB (local-path). @default 20 */
  readonly kafkaStorageGb?: number;
  /** Topics to create. */
  readonly topics: readonly KafkaTopicConfig[];
  /** Example trading apps. */
  readonly tradingApps: readonly TradingAppConfig[];
  /** Deploy Prometheus and Grafana. @default false */
  readonly monitoring?: boolean;
  /**
   * Capacity apps may use on the control plane when there are no app nodes.
   * @default - 50 % of the control plane server's cores and memory
   */
  readonly appCapacityOnControlPlane?: { readonly cores: number; readonly memoryGb: number };
  /** Quota shares of app capacity in percent. @default { ingestion: 50, strategies: 40, monitoring: 10 } */
  readonly quotaPercent?: {
    readonly ingestion: number;
    readonly strategies: number;
    readonly monitoring: number;
  };
}
