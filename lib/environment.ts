import type { EnvironmentConfig, NodeGroupConfig } from '../environments/types';
import { nodePortRangeFlag, nodePortRangeFor } from './node-ports';
import type { ConfigProblem } from './config-values';
import { appCapacity, DEFAULT_QUOTA_PERCENT, environmentConfigProblems } from './environment-rules';
import { ipv4Host, parseCidr } from './network';

export { LOCATIONS_BY_ZONE } from './environment-rules';
export type { ConfigProblem } from './config-values';

/** The label every managed resource carries under `managed-by`. */
export const MANAGED_BY = 'cdktf-hetzner-trading';

/** A server the cluster stack creates, with everything derived from the config. */
export interface PlannedServer {
  /** Resource name, e.g. `trading-dev-kafka-0`. */
  readonly name: string;
  /** Role: `control-plane`, `kafka` or `app`. */
  readonly role: 'control-plane' | 'kafka' | 'app';
  /** Index within the role, from 0. */
  readonly index: number;
  readonly serverType: string;
  readonly privateIp: string;
}

/** An environment with every default applied and every derived value computed. */
export interface ResolvedEnvironment extends Required<
  Omit<EnvironmentConfig, 'apiDnsName' | 'kafkaDnsName' | 'appCapacityOnControlPlane' | 'argocdTlsSecretName'>
> {
  readonly apiDnsName?: string;
  /** The user's TLS Secret for Argo CD; absent: Traefik's default certificate. */
  readonly argocdTlsSecretName?: string;
  readonly kafkaDnsName?: string;
  /** `<cluster>-<env>`, the prefix of every resource name. */
  readonly prefix: string;
  /** The network's gateway (first host), the next hop of private-only nodes. */
  readonly networkGateway: string;
  readonly controlPlanes: readonly PlannedServer[];
  readonly kafkaNodes: readonly PlannedServer[];
  readonly appNodes: readonly PlannedServer[];
  /** Names of the persistent Primary IPs, looked up by name from the cluster stack. */
  readonly controlPlaneIpName: string;
  readonly kafkaIpName: string;
  /** Kafka external NodePorts: bootstrap first, then broker 0..n-1. */
  readonly kafkaExternalPorts: readonly number[];
  /**
   * The API server's NodePort range (k3s `service-node-port-range`): from the Kafka bootstrap
   * port to 32767, so Kafka's ports lie in its static band, safe from random allocation.
   */
  readonly serviceNodePortRange: string;
  /** CPU cores and memory the trading apps may use, from which quotas are computed. */
  readonly appCapacity: { readonly cores: number; readonly memoryGb: number };
}

/**
 * Raised when an environment config breaks a rule, before any construct is created;
 * lists every broken rule, and `fields` names the fields they concern.
 */
export class EnvironmentConfigError extends Error {
  /** The fields the broken rules concern, as paths such as `topics[0].name`. */
  readonly fields: readonly string[];
  /** One message per broken rule, each naming its field, the value and the fix. */
  readonly problems: readonly string[];

  constructor(
    readonly environment: string,
    problems: ReadonlyArray<string | ConfigProblem>,
  ) {
    const list = problems.map((p) => (typeof p === 'string' ? { field: '', message: p } : p));
    super(`Invalid environment config '${environment}':\n` + list.map((p) => `  - ${p.message}`).join('\n'));
    this.name = 'EnvironmentConfigError';
    this.problems = list.map((p) => p.message);
    this.fields = [...new Set(list.map((p) => p.field).filter(Boolean))];
  }
}

/** Every broken rule with its field (empty when valid). Checks types at run time: pass anything. */
export function environmentFieldProblems(config: unknown): ConfigProblem[] {
  return environmentConfigProblems(config);
}

/** Runs every rule; returns the messages of the broken ones (empty when valid). */
export function environmentProblems(config: unknown): string[] {
  return environmentConfigProblems(config).map((p) => p.message);
}

/** The environment's name for messages, whatever was passed. */
function nameOf(config: unknown): string {
  const name = (config as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name !== '' ? name : JSON.stringify(name ?? null);
}

/** Throws {@link EnvironmentConfigError} listing every broken rule. */
export function validateEnvironment(config: unknown): asserts config is EnvironmentConfig {
  const problems = environmentConfigProblems(config);
  if (problems.length > 0) throw new EnvironmentConfigError(nameOf(config), problems);
}

function servers(
  prefix: string,
  role: PlannedServer['role'],
  label: string,
  group: NodeGroupConfig,
  subnet: ReturnType<typeof parseCidr>,
  firstHost: number,
): PlannedServer[] {
  return Array.from({ length: group.count }, (_, index) => ({
    name: `${prefix}-${label}-${index}`,
    role,
    index,
    serverType: group.serverType,
    privateIp: ipv4Host(subnet!, firstHost + index),
  }));
}

/** Validates the config, applies defaults and computes names, IPs and ports. */
export function resolveEnvironment(config: EnvironmentConfig): ResolvedEnvironment {
  validateEnvironment(config);
  const clusterName = config.clusterName ?? 'trading';
  const prefix = `${clusterName}-${config.name}`;
  const subnet = parseCidr(config.subnetCidr)!;
  const network = parseCidr(config.networkCidr)!;
  const controlPlaneHostNumber = config.controlPlaneHostNumber ?? 10;
  const kafkaHostNumber = config.kafkaHostNumber ?? 20;
  const appHostNumber = config.appHostNumber ?? 30;
  const kafkaExternalBootstrapPort = config.kafkaExternalBootstrapPort ?? 32100;
  // Validation guarantees the capacity is known.
  const capacity = appCapacity(config as unknown as Record<string, unknown>)!;
  return {
    ...config,
    clusterName,
    image: config.image ?? 'ubuntu-24.04',
    controlPlaneHostNumber,
    kafkaHostNumber,
    appHostNumber,
    allowWorldOpenAdminPorts: config.allowWorldOpenAdminPorts ?? false,
    argocdAllowedCidrs: config.argocdAllowedCidrs ?? config.apiAllowedCidrs,
    kafkaExternalBootstrapPort,
    kafkaVersion: config.kafkaVersion ?? '4.0.1',
    kafkaStorageGb: config.kafkaStorageGb ?? 20,
    monitoring: config.monitoring ?? false,
    quotaPercent: config.quotaPercent ?? { ...DEFAULT_QUOTA_PERCENT },
    prefix,
    networkGateway: ipv4Host(network, 1),
    controlPlanes: servers(
      prefix,
      'control-plane',
      'cp',
      config.controlPlane,
      subnet,
      controlPlaneHostNumber,
    ),
    kafkaNodes: servers(prefix, 'kafka', 'kafka', config.kafka, subnet, kafkaHostNumber),
    appNodes: servers(prefix, 'app', 'app', config.apps, subnet, appHostNumber),
    controlPlaneIpName: `${prefix}-control-plane-ipv4`,
    kafkaIpName: `${prefix}-kafka-ipv4`,
    kafkaExternalPorts: Array.from(
      { length: config.kafka.count + 1 },
      (_, i) => kafkaExternalBootstrapPort + i,
    ),
    serviceNodePortRange: nodePortRangeFlag(nodePortRangeFor(kafkaExternalBootstrapPort)),
    appCapacity: capacity,
  };
}
