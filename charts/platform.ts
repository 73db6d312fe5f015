import { Chart, ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { ResolvedEnvironment } from '../lib/environment';
import {
  assertChecks,
  KAFKA_CLUSTER_NAME,
  KAFKA_INTERNAL_PORT,
  NAMESPACES,
  PRIORITY_CLASSES,
  TRADING_NAMESPACES,
} from './constants';
import { computeQuotas, NamespaceQuota, perNodeAppMemoryMib, QuotaNamespace } from '../lib/capacity';

export { computeQuotas, perNodeAppMemoryMib };
export type { NamespaceQuota, QuotaNamespace };

/** The quota share rules, shown with the value and the fix. */
export function quotaProblems(percent: ResolvedEnvironment['quotaPercent']): string[] {
  const { ingestion, strategies, monitoring } = percent;
  const total = ingestion + strategies + monitoring;
  const problems: string[] = [];
  for (const [key, value] of Object.entries(percent)) {
    if (!Number.isFinite(value) || value < 0) {
      problems.push(`quotaPercent.${key} must be a number >= 0, got ${String(value)}`);
    }
  }
  if (total > 100) {
    problems.push(
      `quota shares are over 100 % of the app capacity: ingestion ${ingestion} + strategies ${strategies} + monitoring ${monitoring} = ${total} %; lower quotaPercent so the shares add up to at most 100`,
    );
  }
  return problems;
}

/**
 * Container defaults per quota'd namespace, so pods without requests are admitted. No
 * default CPU limit: trading apps run without one so they may burst, and a defaulted
 * CPU limit below an app's request makes the API server refuse the pod
 * (requests must not exceed limits). Memory gets a default limit, never below the request.
 */
const LIMIT_DEFAULTS: Record<QuotaNamespace, { request: NamespaceQuota; memoryLimitMib: number }> = {
  ingestion: { request: { cpuMillis: 100, memoryMib: 128 }, memoryLimitMib: 512 },
  strategies: { request: { cpuMillis: 100, memoryMib: 128 }, memoryLimitMib: 512 },
  monitoring: { request: { cpuMillis: 50, memoryMib: 64 }, memoryLimitMib: 512 },
};

/** Cluster-scoped kinds the platform chart renders; the AppProject whitelists them. */
export const PLATFORM_CLUSTER_KINDS = [
  { group: '', kind: 'Namespace' },
  { group: 'scheduling.k8s.io', kind: 'PriorityClass' },
] as const;

/** The namespaces the platform chart renders: `monitoring` only when monitoring is on. */
export function platformNamespaces(env: Pick<ResolvedEnvironment, 'monitoring'>): string[] {
  return Object.values(NAMESPACES).filter((ns) => env.monitoring || ns !== NAMESPACES.monitoring);
}

/** Pod Security Standard enforced on the trading namespaces (their pods are ours). */
export const TRADING_POD_SECURITY = 'restricted';

/** Props of {@link PlatformChart}. */
export interface PlatformChartProps extends ChartProps {
  /** The environment: app capacity and quota shares come from it. */
  readonly env: ResolvedEnvironment;
}

/**
 * The cluster's ground rules: namespaces, PriorityClasses (Kafka above every trading
 * workload), ResourceQuotas sized from the app nodes, LimitRanges so quota'd namespaces
 * admit pods without requests, and default-deny NetworkPolicies in the trading
 * namespaces with the traffic they need.
 */
export class PlatformChart extends Chart {
  /** The quota of each namespace, as rendered. */
  public readonly quotas: Record<QuotaNamespace, NamespaceQuota>;

  constructor(scope: Construct, id: string, props: PlatformChartProps) {
    super(scope, id, props);
    const { env } = props;
    assertChecks(`Platform chart for environment '${env.name}'`, quotaProblems(env.quotaPercent));
    this.quotas = computeQuotas(env.appCapacity, env.quotaPercent);

    for (const name of platformNamespaces(env)) {
      const podSecurity = (TRADING_NAMESPACES as readonly string[]).includes(name)
        ? {
            labels: {
              'pod-security.kubernetes.io/enforce': TRADING_POD_SECURITY,
              'pod-security.kubernetes.io/warn': TRADING_POD_SECURITY,
            },
          }
        : {};
      new k8s.KubeNamespace(this, `namespace-${name}`, {
        metadata: {
          name,
          ...podSecurity,
          // Argo CD itself runs in `argocd`: never delete or prune it with this app.
          annotations:
            name === NAMESPACES.argocd
              ? { 'argocd.argoproj.io/sync-options': 'Delete=false,Prune=false' }
              : {},
        },
      });
    }

    const descriptions: Record<keyof typeof PRIORITY_CLASSES, string> = {
      kafka: 'Kafka brokers and controllers: the backbone every trading app depends on.',
      high: 'Market data ingestion: losing ticks is worse than delaying a strategy.',
      medium: 'Trading strategies.',
      low: 'Monitoring and other best-effort workloads; preempted first.',
    };
    for (const [key, pc] of Object.entries(PRIORITY_CLASSES) as Array<
      [keyof typeof PRIORITY_CLASSES, (typeof PRIORITY_CLASSES)[keyof typeof PRIORITY_CLASSES]]
    >) {
      new k8s.KubePriorityClass(this, `priority-${pc.name}`, {
        metadata: { name: pc.name },
        value: pc.value,
        globalDefault: false,
        preemptionPolicy: 'PreemptLowerPriority',
        description: descriptions[key],
      });
    }

    const maxContainerMemoryMib = perNodeAppMemoryMib(env);
    for (const [ns, quota] of Object.entries(this.quotas) as Array<[QuotaNamespace, NamespaceQuota]>) {
      if (ns === NAMESPACES.monitoring && !env.monitoring) continue;
      new k8s.KubeResourceQuota(this, `quota-${ns}`, {
        metadata: { name: 'app-capacity-share', namespace: ns },
        spec: {
          hard: {
            'requests.cpu': k8s.Quantity.fromString(`${quota.cpuMillis}m`),
            'requests.memory': k8s.Quantity.fromString(`${quota.memoryMib}Mi`),
          },
        },
      });
      const d = LIMIT_DEFAULTS[ns];
      new k8s.KubeLimitRange(this, `limits-${ns}`, {
        metadata: { name: 'container-defaults', namespace: ns },
        spec: {
          limits: [
            {
              type: 'Container',
              defaultRequest: {
                cpu: k8s.Quantity.fromString(`${d.request.cpuMillis}m`),
                memory: k8s.Quantity.fromString(`${d.request.memoryMib}Mi`),
              },
              default: { memory: k8s.Quantity.fromString(`${d.memoryLimitMib}Mi`) },
              max: { memory: k8s.Quantity.fromString(`${maxContainerMemoryMib}Mi`) },
            },
          ],
        },
      });
    }

    for (const ns of TRADING_NAMESPACES) this.tradingNetworkPolicies(ns);
  }

  private tradingNetworkPolicies(ns: string): void {
    const inNamespace = (name: string) => ({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } },
    });
    new k8s.KubeNetworkPolicy(this, `netpol-${ns}-default-deny`, {
      metadata: { name: 'default-deny', namespace: ns },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    new k8s.KubeNetworkPolicy(this, `netpol-${ns}-dns`, {
      metadata: { name: 'allow-dns', namespace: ns },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ ...inNamespace('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
            ports: [
              { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
              { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
            ],
          },
        ],
      },
    });
    new k8s.KubeNetworkPolicy(this, `netpol-${ns}-kafka`, {
      metadata: { name: 'allow-kafka', namespace: ns },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              {
                ...inNamespace(NAMESPACES.kafka),
                podSelector: { matchLabels: { 'strimzi.io/cluster': KAFKA_CLUSTER_NAME } },
              },
            ],
            ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(KAFKA_INTERNAL_PORT) }],
          },
        ],
      },
    });
    new k8s.KubeNetworkPolicy(this, `netpol-${ns}-scraping`, {
      metadata: { name: 'allow-monitoring-scrape', namespace: ns },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [{ from: [inNamespace(NAMESPACES.monitoring)] }],
      },
    });
    if (ns === NAMESPACES.ingestion) {
      // Ingestion pulls market data from outside feeds; strategies only talk to Kafka.
      new k8s.KubeNetworkPolicy(this, `netpol-${ns}-internet`, {
        metadata: { name: 'allow-internet-egress', namespace: ns },
        spec: {
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [
            {
              to: [
                {
                  ipBlock: {
                    cidr: '0.0.0.0/0',
                    except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'],
                  },
                },
              ],
            },
          ],
        },
      });
    }
  }
}
