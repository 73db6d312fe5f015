import type { EnvironmentConfig, NodeGroupConfig } from '../environments/types';
import {
  cidrContains,
  ipInCidr,
  ipv4Host,
  ipv4Size,
  isNetworkAddress,
  isPrivateIpv4Range,
  isWorld,
  parseCidr,
} from './network';
import { RETIRED_SERVER_TYPES, serverTypeSpec } from './server-types';

/** Hetzner locations by network zone (API `GET /locations`, field `network_zone`). */
export const LOCATIONS_BY_ZONE: Readonly<Record<string, readonly string[]>> = {
  'eu-central': ['fsn1', 'nbg1', 'hel1'],
  'us-east': ['ash'],
  'us-west': ['hil'],
  'ap-southeast': ['sin'],
};

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
  /** CPU cores and memory the trading apps may use, from which quotas are computed. */
  readonly appCapacity: { readonly cores: number; readonly memoryGb: number };
}

/** Raised when an environment config breaks a rule; lists every broken rule. */
export class EnvironmentConfigError extends Error {
  constructor(
    readonly environment: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid environment config '${environment}':\n` + problems.map((p) => `  - ${p}`).join('\n'));
    this.name = 'EnvironmentConfigError';
  }
}

const NAME = /^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$/;
const K3S_VERSION = /^v1\.\d+\.\d+\+k3s\d+$/;
const KAFKA_VERSION = /^4\.0\.\d+$/;
const BRANCH = /^[A-Za-z0-9._/-]+$/;
/** A DNS-1123 subdomain, as Kubernetes requires of Secret names. */
const SECRET_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

type Check = (c: EnvironmentConfig) => string | string[] | undefined;

function groupChecks(
  key: 'controlPlane' | 'kafka' | 'apps',
  counts: readonly number[] | 'any',
  why: string,
): Check[] {
  return [
    (c) => {
      const g: NodeGroupConfig | undefined = c[key];
      if (!g) return `${key} is missing; add { count, serverType }`;
      const problems: string[] = [];
      if (!Number.isInteger(g.count) || g.count < 0) {
        problems.push(`${key}.count must be a whole number >= 0, got ${String(g.count)}`);
      } else if (counts !== 'any' && !counts.includes(g.count)) {
        problems.push(`${key}.count must be ${counts.join(' or ')} (${why}), got ${g.count}`);
      }
      if (typeof g.serverType !== 'string' || g.serverType.trim() === '') {
        problems.push(
          `${key}.serverType must name a Hetzner server type such as 'cx33', got '${String(g.serverType)}'`,
        );
      } else if (RETIRED_SERVER_TYPES[g.serverType]) {
        problems.push(
          `${key}.serverType '${g.serverType}' was retired by Hetzner in EU locations in late 2025; use '${RETIRED_SERVER_TYPES[g.serverType]}'`,
        );
      }
      return problems;
    },
  ];
}

function cidrListCheck(
  key: 'sshAllowedCidrs' | 'apiAllowedCidrs' | 'kafkaAllowedCidrs' | 'argocdAllowedCidrs',
  adminPort: string | undefined,
  { optional = false } = {},
): Check {
  return (c) => {
    const list = c[key];
    if (list === undefined && optional) return undefined;
    if (!Array.isArray(list)) return `${key} must be a list of CIDRs, e.g. ['203.0.113.0/24']`;
    const problems: string[] = [];
    list.forEach((text, i) => {
      const cidr = parseCidr(text);
      if (!cidr) {
        problems.push(`${key}[${i}] '${text}' is not a CIDR; write it as 'a.b.c.d/n', e.g. '203.0.113.7/32'`);
      } else if (!isNetworkAddress(cidr)) {
        problems.push(
          `${key}[${i}] '${text}' has host bits set; did you mean '${cidr.address.toString()}/${cidr.address.kind() === 'ipv4' ? 32 : 128}'?`,
        );
      } else if (adminPort && isWorld(cidr) && !c.allowWorldOpenAdminPorts) {
        problems.push(
          `${key}[${i}] '${text}' opens ${adminPort} to the whole internet; list your office/VPN CIDRs instead, or set allowWorldOpenAdminPorts: true to accept the risk`,
        );
      }
    });
    if (new Set(list).size !== list.length) problems.push(`${key} lists a CIDR twice: ${list.join(', ')}`);
    return problems;
  };
}

function duplicates(names: readonly string[]): string[] {
  return [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
}

/** The rules, in the order their messages are reported. */
const CHECKS: readonly Check[] = [
  (c) =>
    typeof c.name === 'string' && NAME.test(c.name)
      ? undefined
      : `name must be 1-20 lower-case letters, digits or dashes, starting with a letter (e.g. 'dev'), got '${String(c.name)}'`,
  (c) =>
    c.clusterName === undefined || NAME.test(c.clusterName)
      ? undefined
      : `clusterName must be 1-20 lower-case letters, digits or dashes, starting with a letter (e.g. 'trading'), got '${c.clusterName}'`,
  (c) => {
    const zone = LOCATIONS_BY_ZONE[c.networkZone];
    if (!zone) {
      return `networkZone must be one of ${Object.keys(LOCATIONS_BY_ZONE).join(', ')}, got '${String(c.networkZone)}'`;
    }
    if (!zone.includes(c.location)) {
      const home = Object.entries(LOCATIONS_BY_ZONE).find(([, l]) => l.includes(c.location))?.[0];
      return home
        ? `location '${c.location}' is in network zone '${home}', not '${c.networkZone}'; set networkZone: '${home}' or pick one of ${zone.join(', ')}`
        : `location must be a Hetzner location of network zone '${c.networkZone}' (${zone.join(', ')}), got '${String(c.location)}'`;
    }
    return undefined;
  },
  (c) => {
    const net = parseCidr(c.networkCidr);
    if (!net || net.address.kind() !== 'ipv4') {
      return `networkCidr '${String(c.networkCidr)}' is not an IPv4 CIDR; write e.g. '10.0.0.0/16'`;
    }
    if (!isNetworkAddress(net))
      return `networkCidr '${c.networkCidr}' has host bits set; use '${ipv4Host(net, 0)}/${net.prefix}'`;
    if (!isPrivateIpv4Range(net)) {
      return `networkCidr '${c.networkCidr}' is not in private (RFC 1918) space, which Hetzner networks require; use e.g. '10.0.0.0/16'`;
    }
    return undefined;
  },
  (c) => {
    const net = parseCidr(c.networkCidr);
    const sub = parseCidr(c.subnetCidr);
    if (!sub || sub.address.kind() !== 'ipv4') {
      return `subnetCidr '${String(c.subnetCidr)}' is not an IPv4 CIDR; write e.g. '10.0.1.0/24'`;
    }
    if (!isNetworkAddress(sub))
      return `subnetCidr '${c.subnetCidr}' has host bits set; use '${ipv4Host(sub, 0)}/${sub.prefix}'`;
    if (sub.prefix > 29) return `subnetCidr '${c.subnetCidr}' is too small; use a /24 or at least a /29`;
    if (net && !cidrContains(net, sub)) {
      return `subnetCidr '${c.subnetCidr}' is not inside networkCidr '${c.networkCidr}'; pick a subnet of the network, e.g. '${ipv4Host(net, 256)}/24'`;
    }
    return undefined;
  },
  ...groupChecks('controlPlane', [1, 3], 'a single server, or 3 for an etcd quorum'),
  ...groupChecks('kafka', [1, 3], 'KRaft controller quorum'),
  ...groupChecks('apps', 'any', ''),
  (c) => {
    const sub = parseCidr(c.subnetCidr);
    if (!sub || sub.address.kind() !== 'ipv4' || !c.controlPlane || !c.kafka || !c.apps) return undefined;
    const size = ipv4Size(sub);
    const problems: string[] = [];
    const groups: Array<[string, number | undefined, number, number]> = [
      ['controlPlaneHostNumber', c.controlPlaneHostNumber, 10, c.controlPlane.count],
      ['kafkaHostNumber', c.kafkaHostNumber, 20, c.kafka.count],
      ['appHostNumber', c.appHostNumber, 30, c.apps.count],
    ];
    const used = new Map<string, string>();
    for (const [key, given, fallback, count] of groups) {
      const first = given ?? fallback;
      if (!Number.isInteger(first) || first < 2) {
        problems.push(
          `${key} must be a whole number >= 2 (.0 is the subnet, .1 the gateway), got ${String(first)}`,
        );
        continue;
      }
      const last = first + Math.max(count, 1) - 1;
      if (count > 0 && last > size - 2) {
        problems.push(
          `${key} ${first} with ${count} server(s) needs hosts up to .${last}, but subnetCidr '${c.subnetCidr}' only has hosts up to ${ipv4Host(sub, size - 2)}; use a larger subnet or fewer servers`,
        );
        continue;
      }
      for (let i = 0; i < count; i++) {
        const ip = ipv4Host(sub, first + i);
        if (!ipInCidr(ip, sub))
          problems.push(`private IP ${ip} of ${key} is outside subnetCidr '${c.subnetCidr}'`);
        const other = used.get(ip);
        if (other) {
          problems.push(
            `private IP ${ip} is given to both ${other} and ${key}; move ${key} so the ranges do not overlap`,
          );
        }
        used.set(ip, key);
      }
    }
    return problems;
  },
  cidrListCheck('sshAllowedCidrs', 'SSH (22)'),
  cidrListCheck('apiAllowedCidrs', 'the K3s API (6443)'),
  cidrListCheck('kafkaAllowedCidrs', undefined),
  cidrListCheck('argocdAllowedCidrs', 'Argo CD (HTTPS 443)', { optional: true }),
  (c) =>
    c.argocdTlsSecretName === undefined || SECRET_NAME.test(c.argocdTlsSecretName)
      ? undefined
      : `argocdTlsSecretName must be a Kubernetes Secret name (lower-case letters, digits, '-' and '.', at most 253), e.g. 'argocd-ingress-tls', got '${c.argocdTlsSecretName}'`,
  (c) =>
    typeof c.k3sVersion === 'string' && K3S_VERSION.test(c.k3sVersion)
      ? undefined
      : `k3sVersion must be a pinned k3s release like 'v1.34.1+k3s1', got '${String(c.k3sVersion)}'`,
  (c) =>
    c.image === undefined || c.image.trim() !== ''
      ? undefined
      : `image must name an OS image such as 'ubuntu-24.04', got an empty string`,
  (c) =>
    Number.isFinite(c.uptimeHoursPerDay) && c.uptimeHoursPerDay > 0 && c.uptimeHoursPerDay <= 24
      ? undefined
      : `uptimeHoursPerDay must be between 1 and 24, got ${String(c.uptimeHoursPerDay)}`,
  (c) => {
    const port = c.kafkaExternalBootstrapPort ?? 32100;
    const brokers = c.kafka?.count ?? 1;
    return Number.isInteger(port) && port >= 30000 && port + brokers <= 32767
      ? undefined
      : `kafkaExternalBootstrapPort must leave room for ${brokers} broker port(s) in the NodePort range 30000-32767, got ${String(port)}`;
  },
  (c) =>
    [c.apiDnsName, c.kafkaDnsName].flatMap((dns, i) =>
      dns === undefined || /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/.test(dns)
        ? []
        : [
            `${i === 0 ? 'apiDnsName' : 'kafkaDnsName'} '${dns}' is not a DNS name; write e.g. 'k3s.dev.example.com' or leave it out`,
          ],
    ),
  (c) =>
    typeof c.gitopsRepoUrl === 'string' && /^(https:\/\/|ssh:\/\/|git@)\S+$/.test(c.gitopsRepoUrl)
      ? undefined
      : `gitopsRepoUrl must be an https://, ssh:// or git@ URL of the GitOps repository, got '${String(c.gitopsRepoUrl)}'`,
  (c) =>
    typeof c.gitopsBranch === 'string' && BRANCH.test(c.gitopsBranch)
      ? undefined
      : `gitopsBranch must name a branch such as 'main' or 'production', got '${String(c.gitopsBranch)}'`,
  (c) =>
    c.kafkaVersion === undefined || KAFKA_VERSION.test(c.kafkaVersion)
      ? undefined
      : `kafkaVersion must be a Kafka 4.0.x release supported by Strimzi 0.50.1 (4.0.0 or 4.0.1), got '${c.kafkaVersion}'`,
  (c) => {
    const topics = Array.isArray(c.topics) ? c.topics : [];
    const problems = topics.flatMap((t, i) =>
      typeof t.name === 'string' && /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(t.name)
        ? []
        : [`topics[${i}].name must be lower-case letters, digits, dots or dashes, got '${String(t.name)}'`],
    );
    const dup = duplicates(topics.map((t) => t.name));
    if (dup.length) problems.push(`topic names must be unique; '${dup.join("', '")}' appears more than once`);
    return problems;
  },
  (c) => {
    const apps = Array.isArray(c.tradingApps) ? c.tradingApps : [];
    const problems = apps.flatMap((a, i) =>
      typeof a.name === 'string' && /^[a-z]([a-z0-9-]{0,50}[a-z0-9])?$/.test(a.name)
        ? []
        : [
            `tradingApps[${i}].name must be a DNS label such as 'market-data-ingest', got '${String(a.name)}'`,
          ],
    );
    const dup = duplicates(apps.map((a) => a.name));
    if (dup.length)
      problems.push(`trading app names must be unique; '${dup.join("', '")}' appears more than once`);
    return problems;
  },
  (c) => {
    const q = c.quotaPercent;
    if (!q) return undefined;
    const total = q.ingestion + q.strategies + q.monitoring;
    const bad = [q.ingestion, q.strategies, q.monitoring].some((v) => !Number.isFinite(v) || v < 0);
    return bad || total > 100
      ? `quotaPercent shares must be >= 0 and add up to at most 100 %, got ingestion ${q.ingestion} + strategies ${q.strategies} + monitoring ${q.monitoring} = ${total} %`
      : undefined;
  },
];

/** Runs every rule; returns the messages of the broken ones (empty when valid). */
export function environmentProblems(config: EnvironmentConfig): string[] {
  return CHECKS.flatMap((check) => {
    const result = check(config);
    return result === undefined ? [] : Array.isArray(result) ? result : [result];
  });
}

/** Throws {@link EnvironmentConfigError} listing every broken rule. */
export function validateEnvironment(config: EnvironmentConfig): void {
  const problems = environmentProblems(config);
  if (problems.length > 0) throw new EnvironmentConfigError(String(config.name), problems);
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
  const cpSpec = serverTypeSpec(config.controlPlane.serverType);
  const appSpec = serverTypeSpec(config.apps.serverType);
  const appCapacity =
    config.apps.count > 0
      ? appSpec
        ? { cores: appSpec.cores * config.apps.count, memoryGb: appSpec.memoryGb * config.apps.count }
        : undefined
      : (config.appCapacityOnControlPlane ??
        (cpSpec ? { cores: cpSpec.cores / 2, memoryGb: cpSpec.memoryGb / 2 } : undefined));
  if (!appCapacity) {
    const type = config.apps.count > 0 ? config.apps.serverType : config.controlPlane.serverType;
    throw new EnvironmentConfigError(config.name, [
      `server type '${type}' is not in lib/server-types.ts, so the app capacity for ResourceQuotas is unknown; add it there` +
        (config.apps.count > 0 ? '' : ' or set appCapacityOnControlPlane: { cores, memoryGb }'),
    ]);
  }
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
    quotaPercent: config.quotaPercent ?? { ingestion: 50, strategies: 40, monitoring: 10 },
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
    appCapacity,
  };
}
