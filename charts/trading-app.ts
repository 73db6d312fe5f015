import { Chart, ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { ResolvedEnvironment } from '../lib/environment';
import {
  assertChecks,
  KAFKA_INTERNAL_BOOTSTRAP,
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
  ];
}

/**
 * An ingestion or strategy Deployment: on the app nodes (`app=true`), with a trading
 * priority class, requests and a memory limit that count against the namespace quota,
 * and `KAFKA_BOOTSTRAP_SERVERS` pointing at the internal Kafka listener.
 */
export class TradingApp extends Construct {
  /** The rendered Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The priority class the pods run with. */
  public readonly priorityClassName: string;

  constructor(scope: Construct, id: string, props: TradingAppProps) {
    super(scope, id);
    assertChecks(`Trading app '${props.name}'`, tradingAppProblems(props));
    this.priorityClassName =
      props.priorityClassName ??
      (props.namespace === 'ingestion' ? PRIORITY_CLASSES.high.name : PRIORITY_CLASSES.medium.name);
    const labels = { 'app.kubernetes.io/name': props.name, 'app.kubernetes.io/part-of': 'trading' };
    const memory = k8s.Quantity.fromString(`${props.memoryMib ?? 256}Mi`);
    const env = {
      KAFKA_BOOTSTRAP_SERVERS: props.kafkaBootstrapServers ?? KAFKA_INTERNAL_BOOTSTRAP,
      ...props.env,
    };

    this.deployment = new k8s.KubeDeployment(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: {
        replicas: props.replicas ?? 1,
        selector: { matchLabels: { 'app.kubernetes.io/name': props.name } },
        template: {
          metadata: { labels },
          spec: {
            priorityClassName: this.priorityClassName,
            securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
            nodeSelector: { [NODE_LABELS.app.key]: NODE_LABELS.app.value },
            containers: [
              {
                name: props.name,
                image: props.image,
                env: Object.entries(env).map(([name, value]) => ({ name, value })),
                resources: {
                  requests: { cpu: k8s.Quantity.fromString(`${props.cpuMillis ?? 250}m`), memory },
                  limits: { memory },
                },
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              },
            ],
          },
        },
      },
    });
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
      });
    }
    this.apps = apps;
  }
}
