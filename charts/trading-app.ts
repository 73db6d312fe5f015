import { Chart, ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { ResolvedEnvironment } from '../lib/environment';
import type { ProbeConfig } from '../environments/types';
import {
  assertChecks,
  kafkaCredentialsSecretName,
  KAFKA_INTERNAL_BOOTSTRAP,
  KAFKA_SASL_MECHANISM,
  NODE_LABELS,
  PRIORITY_CLASSES,
  TRADING_PRIORITY_CLASSES,
  TradingNamespace,
} from './constants';

/** Props of {@link TradingApp}. */
export interface TradingAppProps {
  /** Deployment name, e.g. `market-data-ingest`. */
  readonly name: string;
  /** `ingestion` or `strategies`: the namespace, and the kind of app. */
  readonly namespace: TradingNamespace;
  /** Container image, e.g. `ghcr.io/example-org/momentum-strategy:0.1.0`. */
  readonly image: string;
  /** @default 1 */
  readonly replicas?: number;
  /** CPU request in millicores; no CPU limit, so apps may burst. @default 250 */
  readonly cpuMillis?: number;
  /** Memory request and limit in MiB. @default 256 */
  readonly memoryMib?: number;
  /**
   * One of `trading-high`, `trading-medium`, `trading-low`.
   * @default - `trading-high` for ingestion, `trading-medium` for strategies
   */
  readonly priorityClassName?: string;
  /**
   * Kafka bootstrap servers, passed as `KAFKA_BOOTSTRAP_SERVERS`.
   * @default 'trading-cluster-kafka-bootstrap.kafka.svc.cluster.local:9092'
   */
  readonly kafkaBootstrapServers?: string;
  /**
   * More environment variables for the container.
   * @default {}
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Secret in the app's namespace with its Kafka credentials (`username`, `password`,
   * `sasl.jaas.config`), exposed as `KAFKA_SASL_*` variables.
   * @default - `<name>-kafka-credentials`, created at boot for each configured trading app
   */
  readonly kafkaCredentialsSecret?: string;
  /**
   * Numeric user the container runs as (Pod Security `restricted` needs non-root).
   * @default 10001
   */
  readonly runAsUser?: number;
  /** @default - no readiness probe */
  readonly readinessProbe?: ProbeConfig;
  /** @default - no liveness probe */
  readonly livenessProbe?: ProbeConfig;
}

/** Default non-root user of trading containers. */
export const DEFAULT_RUN_AS_USER = 10001;

/** Size of the writable `/tmp` (the root filesystem is read-only); counts against the memory limit. */
const TMP_SIZE_LIMIT = '256Mi';

function probe(config: ProbeConfig | undefined): k8s.Probe | undefined {
  if (!config) return undefined;
  const port = k8s.IntOrString.fromNumber(config.port);
  return {
    ...(config.path !== undefined ? { httpGet: { path: config.path, port } } : { tcpSocket: { port } }),
    periodSeconds: config.periodSeconds ?? 10,
    initialDelaySeconds: config.initialDelaySeconds ?? 0,
    failureThreshold: config.failureThreshold ?? 3,
  };
}

/** The checks a trading app's props must pass; each message has the value and the fix. */
export function tradingAppProblems(props: TradingAppProps): Array<string | undefined> {
  const pc = props.priorityClassName;
  return [
    pc === undefined || TRADING_PRIORITY_CLASSES.includes(pc)
      ? undefined
      : `trading app '${props.name}' uses priority class '${pc}', which is unknown; use one of ${TRADING_PRIORITY_CLASSES.join(', ')}`,
    props.replicas === undefined || (Number.isInteger(props.replicas) && props.replicas >= 0)
      ? undefined
      : `trading app '${props.name}' has replicas ${props.replicas}; use a whole number >= 0`,
    ...(['cpuMillis', 'memoryMib'] as const).map((key) =>
      props[key] === undefined || (Number.isInteger(props[key]) && props[key]! > 0)
        ? undefined
        : `trading app '${props.name}' has ${key} ${props[key]}; use a whole number > 0`,
    ),
    props.runAsUser === undefined || (Number.isInteger(props.runAsUser) && props.runAsUser > 0)
      ? undefined
      : `trading app '${props.name}' has runAsUser ${JSON.stringify(props.runAsUser)}; use a non-root user id > 0 (Pod Security restricted), e.g. 10001`,
    ...(['readinessProbe', 'livenessProbe'] as const).map((key) => {
      const p = props[key];
      if (p === undefined) return undefined;
      if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) {
        return `trading app '${props.name}' has ${key}.port ${JSON.stringify(p.port)}; use a container port 1-65535`;
      }
      return p.path === undefined || (typeof p.path === 'string' && p.path.startsWith('/'))
        ? undefined
        : `trading app '${props.name}' has ${key}.path ${JSON.stringify(p.path)}; use an HTTP path starting with '/', or leave it out for a TCP probe`;
    }),
  ];
}

/**
 * An ingestion or strategy Deployment: on the app nodes (`app=true`), with a trading
 * priority class, requests and a memory limit that count against the namespace quota,
 * `KAFKA_BOOTSTRAP_SERVERS` pointing at the internal Kafka listener and the app's own
 * Kafka credentials from a Secret. Hardened for Pod Security `restricted`: non-root,
 * read-only root filesystem with a writable `/tmp`, seccomp `RuntimeDefault`, no
 * capabilities. With more than one replica: spread across app nodes and a
 * PodDisruptionBudget so a node drain keeps all but one replica running.
 */
export class TradingApp extends Construct {
  /** The rendered Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The PodDisruptionBudget, when there is more than one replica. */
  public readonly disruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The priority class the pods run with. */
  public readonly priorityClassName: string;

  constructor(scope: Construct, id: string, props: TradingAppProps) {
    super(scope, id);
    assertChecks(`Trading app '${props.name}'`, tradingAppProblems(props));
    this.priorityClassName =
      props.priorityClassName ??
      (props.namespace === 'ingestion' ? PRIORITY_CLASSES.high.name : PRIORITY_CLASSES.medium.name);
    const selector = { 'app.kubernetes.io/name': props.name };
    const labels = { ...selector, 'app.kubernetes.io/part-of': 'trading' };
    const replicas = props.replicas ?? 1;
    const memory = k8s.Quantity.fromString(`${props.memoryMib ?? 256}Mi`);
    const credentials = props.kafkaCredentialsSecret ?? kafkaCredentialsSecretName(props.name);
    const fromSecret = (name: string, key: string): k8s.EnvVar => ({
      name,
      valueFrom: { secretKeyRef: { name: credentials, key } },
    });
    const env: k8s.EnvVar[] = [
      { name: 'KAFKA_BOOTSTRAP_SERVERS', value: props.kafkaBootstrapServers ?? KAFKA_INTERNAL_BOOTSTRAP },
      { name: 'KAFKA_SECURITY_PROTOCOL', value: 'SASL_PLAINTEXT' },
      { name: 'KAFKA_SASL_MECHANISM', value: KAFKA_SASL_MECHANISM },
      fromSecret('KAFKA_SASL_USERNAME', 'username'),
      fromSecret('KAFKA_SASL_PASSWORD', 'password'),
      fromSecret('KAFKA_SASL_JAAS_CONFIG', 'sasl.jaas.config'),
      ...Object.entries(props.env ?? {}).map(([name, value]) => ({ name, value })),
    ];
    const runAsUser = props.runAsUser ?? DEFAULT_RUN_AS_USER;

    this.deployment = new k8s.KubeDeployment(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: {
        replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            priorityClassName: this.priorityClassName,
            securityContext: {
              runAsNonRoot: true,
              runAsUser,
              runAsGroup: runAsUser,
              fsGroup: runAsUser,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            automountServiceAccountToken: false,
            nodeSelector: { [NODE_LABELS.app.key]: NODE_LABELS.app.value },
            ...(replicas > 1
              ? {
                  // One replica per app node while the nodes are healthy; cordoned or
                  // tainted nodes do not count, so a drain never leaves a pod pending.
                  topologySpreadConstraints: [
                    {
                      topologyKey: 'kubernetes.io/hostname',
                      maxSkew: 1,
                      whenUnsatisfiable: 'DoNotSchedule',
                      nodeTaintsPolicy: 'Honor',
                      labelSelector: { matchLabels: selector },
                    },
                  ],
                }
              : {}),
            containers: [
              {
                name: props.name,
                image: props.image,
                env,
                resources: {
                  requests: { cpu: k8s.Quantity.fromString(`${props.cpuMillis ?? 250}m`), memory },
                  limits: { memory },
                },
                securityContext: {
                  runAsNonRoot: true,
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
                readinessProbe: probe(props.readinessProbe),
                livenessProbe: probe(props.livenessProbe),
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString(TMP_SIZE_LIMIT) } }],
          },
        },
      },
    });

    if (replicas > 1) {
      this.disruptionBudget = new k8s.KubePodDisruptionBudget(this, 'Budget', {
        metadata: { name: props.name, namespace: props.namespace, labels },
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
      });
    }
  }
}

/** Props of {@link TradingAppsChart}. */
export interface TradingAppsChartProps extends ChartProps {
  /** The environment: `tradingApps` lists the apps. */
  readonly env: ResolvedEnvironment;
}

/** The environment's trading apps (`config.tradingApps`), one {@link TradingApp} each. */
export class TradingAppsChart extends Chart {
  /** The apps, by name. */
  public readonly apps: Readonly<Record<string, TradingApp>>;

  constructor(scope: Construct, id: string, props: TradingAppsChartProps) {
    super(scope, id, props);
    const apps: Record<string, TradingApp> = {};
    for (const app of props.env.tradingApps) {
      apps[app.name] = new TradingApp(this, app.name, {
        name: app.name,
        namespace: app.kind,
        image: app.image,
        replicas: app.replicas,
        cpuMillis: app.cpuMillis,
        memoryMib: app.memoryMib,
        priorityClassName: app.priorityClass,
        runAsUser: app.runAsUser,
        readinessProbe: app.readinessProbe,
        livenessProbe: app.livenessProbe,
      });
    }
    this.apps = apps;
  }
}
