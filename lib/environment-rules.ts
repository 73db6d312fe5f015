/**
 * The rules an environment config must pass, checked at run time before any construct is
 * created. First one rule per field (its type, then its value: `FIELD_RULES`, typed so a
 * new field of {@link EnvironmentConfig} cannot be added without a rule), then the rules
 * across fields (`CROSS_RULES`), which read other fields through type guards and stay
 * silent on a field whose own rule already failed. Every message names the field, shows
 * the value and says how to fix it.
 */
import type {
  EnvironmentConfig,
  KafkaTopicConfig,
  NodeGroupConfig,
  ProbeConfig,
  TradingAppConfig,
} from '../environments/types';
import { MONITORING_REQUESTS, TRADING_PRIORITY_CLASSES } from '../charts/constants';
import { computeQuotas, perNodeAppMemoryMib, QuotaNamespace } from './capacity';
import {
  asInteger,
  asList,
  asNumber,
  asRecord,
  asString,
  checkObject,
  ConfigProblem,
  FieldRule,
  flag,
  listOf,
  mustBe,
  oneOf,
  positiveNumber,
  RawConfig,
  text,
  wholeNumber,
} from './config-values';
import {
  Cidr,
  cidrContains,
  cidrsOverlap,
  coversWholeInternet,
  ipv4Host,
  ipv4Size,
  isNetworkAddress,
  isPrivateIpv4Range,
  isWorld,
  parseCidr,
} from './network';
import {
  DEFAULT_NODE_PORT_RANGE,
  MIN_DYNAMIC_NODE_PORTS,
  nodePortRangeFlag,
  nodePortRangeFor,
  staticBandSize,
} from './node-ports';
import { retiredReplacement, serverTypeSpec, ServerTypeSpec } from './server-types';
import { STRIMZI_KAFKA_VERSIONS } from './versions';

/** Hetzner locations by network zone (API `GET /locations`, field `network_zone`). */
export const LOCATIONS_BY_ZONE: Readonly<Record<string, readonly string[]>> = {
  'eu-central': ['fsn1', 'nbg1', 'hel1'],
  'us-east': ['ash'],
  'us-west': ['hil'],
  'ap-southeast': ['sin'],
};

/** k3s's default pod and service networks (`--cluster-cidr`, `--service-cidr`). */
export const K3S_CLUSTER_CIDRS = { pods: '10.42.0.0/16', services: '10.43.0.0/16' } as const;

/** Hetzner's smallest network (`ip_range`) is a /24. */
const MIN_NETWORK_PREFIX = 24;
/** Disk a Kafka node keeps for the OS, k3s and images besides the broker's local-path volume. */
const KAFKA_NODE_DISK_RESERVE_GB = 20;
/** Most servers of one role; a Hetzner project's default server limit is far lower. */
const MAX_SERVERS_PER_ROLE = 100;

const NAME = /^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$/;
const SERVER_TYPE = /^[a-z][a-z0-9-]*$/;
const K3S_VERSION = /^v1\.\d+\.\d+\+k3s\d+$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** A branch name `git check-ref-format --branch` accepts (the common subset). */
const BRANCH = /^(?!-|\/|.*\/\/|.*\.\.|.*\/$|.*\.$|.*\.lock$|(.*\/)?\.)[A-Za-z0-9._/-]+$/;
const GIT_URL = /^(https:\/\/|ssh:\/\/|git@)\S+$/;
const OS_IMAGE = /^\S+$/;
/** A DNS-1123 subdomain, as Kubernetes requires of Secret names. */
const SECRET_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/**
 * A topic name both Kafka (`[a-zA-Z0-9._-]`, at most 249) and Kubernetes (the KafkaTopic's
 * name is a DNS-1123 subdomain) accept.
 */
const TOPIC_NAME = /^(?=.{1,249}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A DNS label short enough for `app-<name>` and `<name>-kafka-credentials`. */
const APP_NAME = /^[a-z]([a-z0-9-]{0,50}[a-z0-9])?$/;
/** A container image reference: registry[:port]/path[:tag][@sha256:digest]. */
const IMAGE =
  /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*(:\w[\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const HTTP_PATH = /^\/\S*$/;

const NAME_TEXT = '1-20 lower-case letters, digits or dashes, starting with a letter';
const ALL_LOCATIONS = Object.values(LOCATIONS_BY_ZONE).flat();

// ----- one rule per field ----------------------------------------------------------

/** An IPv4 CIDR string; returns it parsed, or the problem. */
function ipv4Cidr(value: unknown, field: string, example: string): Cidr | ConfigProblem {
  const cidr = typeof value === 'string' ? parseCidr(value) : undefined;
  if (!cidr || cidr.address.kind() !== 'ipv4')
    return mustBe(field, `an IPv4 CIDR such as '${example}'`, value);
  if (!isNetworkAddress(cidr)) {
    return {
      field,
      message: `${field} '${String(value)}' has host bits set; use '${ipv4Host(cidr, 0)}/${cidr.prefix}'`,
    };
  }
  return cidr;
}

/** Problems of a range that would collide with k3s's own pod or service network. */
function k3sOverlap(cidr: Cidr, field: string, text: string): ConfigProblem[] {
  return Object.entries(K3S_CLUSTER_CIDRS).flatMap(([what, range]) =>
    cidrsOverlap(cidr, parseCidr(range)!)
      ? [
          {
            field,
            message: `${field} '${text}' overlaps k3s's ${what === 'pods' ? 'pod' : 'service'} network ${range}, so nodes could not tell cluster traffic from private-network traffic; use a range outside 10.42.0.0/15, e.g. '10.0.0.0/16'`,
          },
        ]
      : [],
  );
}

const networkCidrRule: FieldRule = {
  expectation: "an IPv4 CIDR such as '10.0.0.0/16'",
  check: (value, field) => {
    const net = ipv4Cidr(value, field, '10.0.0.0/16');
    if (!('address' in net)) return [net];
    const text = String(value);
    if (!isPrivateIpv4Range(net)) {
      return [
        {
          field,
          message: `${field} '${text}' is not in private (RFC 1918) space, which Hetzner networks require; use e.g. '10.0.0.0/16'`,
        },
      ];
    }
    if (net.prefix > MIN_NETWORK_PREFIX) {
      return [
        {
          field,
          message: `${field} '${text}' is smaller than Hetzner's minimum network size /${MIN_NETWORK_PREFIX}; use e.g. '${ipv4Host(net, 0)}/${MIN_NETWORK_PREFIX}' or a /16`,
        },
      ];
    }
    return k3sOverlap(net, field, text);
  },
};

const subnetCidrRule: FieldRule = {
  expectation: "an IPv4 CIDR such as '10.0.1.0/24'",
  check: (value, field) => {
    const sub = ipv4Cidr(value, field, '10.0.1.0/24');
    if (!('address' in sub)) return [sub];
    if (sub.prefix > 29) {
      return [{ field, message: `${field} '${String(value)}' is too small; use a /24 or at least a /29` }];
    }
    return k3sOverlap(sub, field, String(value));
  },
};

function nodeGroupRule(counts: readonly number[] | 'any', why: string): FieldRule {
  const rules = {
    count:
      counts === 'any'
        ? wholeNumber(0, MAX_SERVERS_PER_ROLE)
        : oneOf(counts, `${counts.join(' or ')} (${why})`),
    serverType: text("a Hetzner server type name such as 'cx33'", SERVER_TYPE, {
      extra: (type, field) =>
        retiredReplacement(type)
          ? `${field} '${type}' was retired by Hetzner in EU locations in late 2025; use '${retiredReplacement(type)}'`
          : undefined,
    }),
    fallbackServerTypes: listOf(
      (value, field) =>
        typeof value === 'string' && SERVER_TYPE.test(value)
          ? retiredReplacement(value)
            ? [
                {
                  field,
                  message: `${field} '${value}' was retired by Hetzner in EU locations in late 2025; use '${retiredReplacement(value)}'`,
                },
              ]
            : []
          : [mustBe(field, "a Hetzner server type name such as 'cpx32'", value)],
      "a list of server type names such as ['cpx32', 'ccx23'], tried in order",
      true,
    ),
  } satisfies Record<keyof NodeGroupConfig, FieldRule>;
  const expectation = "an object { count, serverType }, e.g. { count: 1, serverType: 'cx33' }";
  return {
    expectation,
    check: (value, field, config) => checkObject(value, field, rules, expectation, config),
  };
}

/**
 * A list of CIDRs allowed to reach a port. For an admin port, a list that covers the
 * whole internet (`0.0.0.0/0`, or `0.0.0.0/1` + `128.0.0.0/1`) needs the boolean opt-in.
 */
function cidrListRule(adminPort: string | undefined, optional = false): FieldRule {
  const expectation = "a list of CIDRs such as ['203.0.113.0/24']";
  return {
    optional,
    expectation,
    check: (value, field, config) => {
      if (!Array.isArray(value)) return [mustBe(field, expectation, value)];
      const problems: ConfigProblem[] = [];
      const parsed: Cidr[] = [];
      value.forEach((item: unknown, i) => {
        const at = `${field}[${i}]`;
        const cidr = typeof item === 'string' ? parseCidr(item) : undefined;
        if (typeof item !== 'string') {
          problems.push(mustBe(at, "a CIDR string such as '203.0.113.7/32'", item));
        } else if (!cidr) {
          problems.push({
            field: at,
            message: `${at} '${item}' is not a CIDR; write it as 'a.b.c.d/n', e.g. '203.0.113.7/32'`,
          });
        } else if (!isNetworkAddress(cidr)) {
          problems.push({
            field: at,
            message: `${at} '${item}' has host bits set; did you mean '${cidr.address.toString()}/${cidr.address.kind() === 'ipv4' ? 32 : 128}'?`,
          });
        } else {
          parsed.push(cidr);
        }
      });
      const strings = value.filter((v): v is string => typeof v === 'string');
      if (new Set(strings).size !== strings.length) {
        problems.push({ field, message: `${field} lists a CIDR twice: ${strings.join(', ')}` });
      }
      if (adminPort && config.allowWorldOpenAdminPorts !== true && coversWholeInternet(parsed)) {
        const world = value.findIndex((v) => typeof v === 'string' && isWorld(parseCidr(v) ?? parsed[0]));
        const fix =
          'list your office/VPN CIDRs instead, or set allowWorldOpenAdminPorts: true to accept the risk';
        problems.push(
          world >= 0 && parseCidr(String(value[world]))?.prefix === 0
            ? {
                field: `${field}[${world}]`,
                message: `${field}[${world}] '${String(value[world])}' opens ${adminPort} to the whole internet; ${fix}`,
              }
            : {
                field,
                message: `${field} ${JSON.stringify(value)} together cover the whole internet and open ${adminPort} to it; ${fix}`,
              },
        );
      }
      return problems;
    },
  };
}

const dnsName = (optional: boolean, example: string) =>
  text(`a DNS name such as '${example}'${optional ? ', or left out' : ''}`, DNS_NAME, { optional });

const probeRules = {
  port: wholeNumber(1, 65535, { expectation: 'a container port 1-65535' }),
  path: text("an HTTP path starting with '/', or left out for a TCP probe", HTTP_PATH, { optional: true }),
  periodSeconds: wholeNumber(1, 3600, { optional: true }),
  initialDelaySeconds: wholeNumber(0, 3600, { optional: true }),
  failureThreshold: wholeNumber(1, 100, { optional: true }),
} satisfies Record<keyof ProbeConfig, FieldRule>;

function objectRule(
  rules: Readonly<Record<string, FieldRule>>,
  expectation: string,
  optional = false,
): FieldRule {
  return {
    optional,
    expectation,
    check: (value, field, config) => checkObject(value, field, rules, expectation, config),
  };
}

const topicRules = {
  name: text(
    "a topic name Kafka and Kubernetes both accept: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 249 characters (e.g. 'stock-stream')",
    TOPIC_NAME,
  ),
  partitions: wholeNumber(1, 10000),
  replicas: wholeNumber(1, 3, { optional: true }),
  retentionHours: {
    optional: true,
    expectation: 'a whole number of hours >= 1, or -1 to keep messages forever',
    check: (value, field) =>
      Number.isInteger(value) && ((value as number) >= 1 || value === -1)
        ? []
        : [mustBe(field, 'a whole number of hours >= 1, or -1 to keep messages forever', value)],
  },
} satisfies Record<keyof KafkaTopicConfig, FieldRule>;

const appRules = {
  name: text(
    "a DNS label such as 'market-data-ingest' (lower-case letters, digits, '-'; at most 52)",
    APP_NAME,
  ),
  kind: oneOf(['ingestion', 'strategies'], "'ingestion' or 'strategies' (the namespace the app runs in)"),
  image: text("a container image such as 'ghcr.io/example-org/app:1.0.0'", IMAGE),
  replicas: wholeNumber(0, MAX_SERVERS_PER_ROLE, { optional: true }),
  cpuMillis: wholeNumber(1, 1_000_000, { optional: true, expectation: 'a whole number of millicores >= 1' }),
  memoryMib: wholeNumber(16, 1_000_000, { optional: true, expectation: 'a whole number of MiB >= 16' }),
  priorityClass: oneOf(TRADING_PRIORITY_CLASSES, `one of ${TRADING_PRIORITY_CLASSES.join(', ')}`, {
    optional: true,
  }),
  topics: listOf(
    (value, field) =>
      typeof value === 'string' ? [] : [mustBe(field, "a topic name such as 'stock-stream'", value)],
    "a list of topic names such as ['stock-stream']",
    true,
  ),
  runAsUser: wholeNumber(1, 2_147_483_647, {
    optional: true,
    expectation: 'a non-root user id >= 1 (Pod Security restricted refuses root), e.g. 10001',
  }),
  readinessProbe: objectRule(probeRules, "a probe such as { port: 8080, path: '/healthz' }", true),
  livenessProbe: objectRule(probeRules, "a probe such as { port: 8080, path: '/healthz' }", true),
} satisfies Record<keyof TradingAppConfig, FieldRule>;

const percent = positiveNumber('a percentage 0-100', { above: -Number.MIN_VALUE, max: 100 });

/** One rule per field of {@link EnvironmentConfig}: type first, then value. */
export const FIELD_RULES = {
  name: text(`${NAME_TEXT} (e.g. 'dev')`, NAME),
  clusterName: text(`${NAME_TEXT} (e.g. 'trading')`, NAME, { optional: true }),
  location: oneOf(ALL_LOCATIONS, `a Hetzner location (${ALL_LOCATIONS.join(', ')})`),
  networkZone: oneOf(Object.keys(LOCATIONS_BY_ZONE), `one of ${Object.keys(LOCATIONS_BY_ZONE).join(', ')}`),
  networkCidr: networkCidrRule,
  subnetCidr: subnetCidrRule,
  image: text("an OS image name such as 'ubuntu-24.04'", OS_IMAGE, { optional: true }),
  k3sVersion: text("a pinned k3s release like 'v1.34.1+k3s1'", K3S_VERSION),
  controlPlane: nodeGroupRule([1, 3], 'a single server, or 3 for an etcd quorum'),
  kafka: nodeGroupRule([1, 3], 'KRaft controller quorum'),
  apps: nodeGroupRule('any', ''),
  controlPlaneHostNumber: wholeNumber(2, 65534, {
    optional: true,
    expectation: 'a whole number >= 2 (.0 is the subnet, .1 the gateway)',
  }),
  kafkaHostNumber: wholeNumber(2, 65534, {
    optional: true,
    expectation: 'a whole number >= 2 (.0 is the subnet, .1 the gateway)',
  }),
  appHostNumber: wholeNumber(2, 65534, {
    optional: true,
    expectation: 'a whole number >= 2 (.0 is the subnet, .1 the gateway)',
  }),
  sshAllowedCidrs: cidrListRule('SSH (22)'),
  apiAllowedCidrs: cidrListRule('the K3s API (6443)'),
  kafkaAllowedCidrs: cidrListRule(undefined),
  argocdAllowedCidrs: cidrListRule('Argo CD (HTTPS 443)', true),
  argocdTlsSecretName: text(
    "a Kubernetes Secret name (lower-case letters, digits, '-' and '.', at most 253), e.g. 'argocd-ingress-tls'",
    SECRET_NAME,
    { optional: true },
  ),
  allowWorldOpenAdminPorts: flag(),
  apiDnsName: dnsName(true, 'k3s.dev.example.com'),
  kafkaDnsName: dnsName(false, 'kafka.dev.example.com'),
  uptimeHoursPerDay: positiveNumber('a number of hours above 0 and at most 24', { max: 24 }),
  kafkaExternalBootstrapPort: wholeNumber(30000, 32767, {
    optional: true,
    expectation: 'a NodePort 30000-32767',
  }),
  gitopsRepoUrl: text('an https://, ssh:// or git@ URL of the GitOps repository', GIT_URL),
  gitopsBranch: text("a branch name such as 'main' or 'production'", BRANCH),
  kafkaVersion: oneOf(
    STRIMZI_KAFKA_VERSIONS,
    `a Kafka version Strimzi 0.50.1 runs (${STRIMZI_KAFKA_VERSIONS.join(', ')})`,
    { optional: true },
  ),
  kafkaStorageGb: wholeNumber(1, 100_000, { optional: true, expectation: 'a whole number of GiB >= 1' }),
  topics: listOf(
    (value, field, config) =>
      checkObject(
        value,
        field,
        topicRules,
        "an object { name, partitions }, e.g. { name: 'ticks', partitions: 6 }",
        config,
      ),
    "a list of topics such as [{ name: 'stock-stream', partitions: 6 }], or []",
  ),
  tradingApps: listOf(
    (value, field, config) => checkObject(value, field, appRules, 'an object { name, kind, image }', config),
    "a list of trading apps such as [{ name: 'ingest', kind: 'ingestion', image: 'ghcr.io/org/ingest:1.0' }], or []",
  ),
  monitoring: flag(),
  appCapacityOnControlPlane: objectRule(
    {
      cores: positiveNumber('a number of cores above 0'),
      memoryGb: positiveNumber('a number of GB above 0'),
    },
    'an object { cores, memoryGb }, e.g. { cores: 2, memoryGb: 4 }',
    true,
  ),
  quotaPercent: objectRule(
    { ingestion: percent, strategies: percent, monitoring: percent },
    'an object { ingestion, strategies, monitoring } of percentages',
    true,
  ),
} satisfies Record<keyof EnvironmentConfig, FieldRule>;

// ----- rules across fields ----------------------------------------------------------

type CrossRule = (c: RawConfig) => ConfigProblem[];

const problem = (field: string, message: string): ConfigProblem => ({ field, message });

/** A node group's count and server type, when both are well-typed. */
function group(c: RawConfig, key: 'controlPlane' | 'kafka' | 'apps') {
  const g = asRecord(c[key]);
  const count = asInteger(g?.count);
  const serverType = asString(g?.serverType);
  return { count, serverType, spec: serverType ? serverTypeSpec(serverType) : undefined };
}

/** Each rule reads other fields through guards and stays silent when a field's own rule failed. */
const CROSS_RULES: readonly CrossRule[] = [
  (c) => {
    const zone = asString(c.networkZone);
    const location = asString(c.location);
    const locations = zone && Object.hasOwn(LOCATIONS_BY_ZONE, zone) ? LOCATIONS_BY_ZONE[zone] : undefined;
    if (!locations || !location || !ALL_LOCATIONS.includes(location) || locations.includes(location))
      return [];
    const home = Object.entries(LOCATIONS_BY_ZONE).find(([, l]) => l.includes(location))![0];
    return [
      problem(
        'location',
        `location '${location}' is in network zone '${home}', not '${zone}'; set networkZone: '${home}' or pick one of ${locations.join(', ')}`,
      ),
    ];
  },
  (c) => {
    const net = parseCidr(asString(c.networkCidr) ?? '');
    const sub = parseCidr(asString(c.subnetCidr) ?? '');
    if (!net || !sub || net.address.kind() !== 'ipv4' || sub.address.kind() !== 'ipv4') return [];
    return cidrContains(net, sub)
      ? []
      : [
          problem(
            'subnetCidr',
            `subnetCidr '${String(c.subnetCidr)}' is not inside networkCidr '${String(c.networkCidr)}'; pick a subnet of the network, e.g. '${ipv4Host(net, net.prefix <= 24 ? 256 : 0)}/24'`,
          ),
        ];
  },
  (c) => {
    const sub = parseCidr(asString(c.subnetCidr) ?? '');
    if (!sub || sub.address.kind() !== 'ipv4' || !isNetworkAddress(sub)) return [];
    const size = ipv4Size(sub);
    const problems: ConfigProblem[] = [];
    const used = new Map<string, string>();
    const groups = [
      ['controlPlaneHostNumber', c.controlPlaneHostNumber, 10, group(c, 'controlPlane').count],
      ['kafkaHostNumber', c.kafkaHostNumber, 20, group(c, 'kafka').count],
      ['appHostNumber', c.appHostNumber, 30, group(c, 'apps').count],
    ] as const;
    for (const [key, given, fallback, count] of groups) {
      const first = given === undefined ? fallback : asInteger(given);
      if (first === undefined || first < 2 || count === undefined || count < 0) continue;
      const last = first + Math.max(count, 1) - 1;
      if (count > 0 && last > size - 2) {
        problems.push(
          problem(
            key,
            `${key} ${first} with ${count} server(s) needs hosts up to .${last}, but subnetCidr '${String(c.subnetCidr)}' only has hosts up to ${ipv4Host(sub, size - 2)}; use a larger subnet or fewer servers`,
          ),
        );
        continue;
      }
      for (let i = 0; i < count; i++) {
        const ip = ipv4Host(sub, first + i);
        const other = used.get(ip);
        if (other) {
          problems.push(
            problem(
              key,
              `private IP ${ip} is given to both ${other} and ${key}; move ${key} so the ranges do not overlap`,
            ),
          );
        }
        used.set(ip, key);
      }
    }
    return problems;
  },
  // Every role's type must be in the table: quotas, Kafka's heap and the fallbacks are sized
  // from it, and a name Hetzner does not sell would fail only at create time.
  (c) =>
    (['controlPlane', 'kafka', 'apps'] as const).flatMap((role) => {
      const { count, serverType, spec } = group(c, role);
      if (!serverType || spec || retiredReplacement(serverType) || count === 0) return [];
      const sized = role === 'kafka' ? "the brokers' memory and heap" : 'the quotas and capacity checks';
      return [
        problem(
          `${role}.serverType`,
          `${role}.serverType '${serverType}' is not in lib/server-types.ts, so ${sized} cannot be sized from it; add it there (cores, memory, disk, architecture from Hetzner's price list) or pick a listed type such as 'cx33'`,
        ),
      ];
    }),
  (c) => {
    const { serverType, spec } = group(c, 'kafka');
    if (!serverType || !spec) return [];
    return spec.memoryGb < 4
      ? [
          problem(
            'kafka.serverType',
            `kafka.serverType '${serverType}' has ${spec.memoryGb} GB of memory; a broker needs at least 4 GB (e.g. cx23 or larger)`,
          ),
        ]
      : [];
  },
  (c) => (['controlPlane', 'kafka', 'apps'] as const).flatMap((role) => fallbackProblems(c, role)),
  (c) => {
    const storage = asInteger(c.kafkaStorageGb) ?? 20;
    const { serverType, spec } = group(c, 'kafka');
    if (!spec || storage + KAFKA_NODE_DISK_RESERVE_GB <= spec.diskGb) return [];
    return [
      problem(
        'kafkaStorageGb',
        `kafkaStorageGb ${storage} does not fit on ${serverType}'s ${spec.diskGb} GB disk (the broker's local-path volume lives there, next to ${KAFKA_NODE_DISK_RESERVE_GB} GB for the OS, k3s and images); use at most ${spec.diskGb - KAFKA_NODE_DISK_RESERVE_GB} or a larger kafka.serverType`,
      ),
    ];
  },
  // The cluster's NodePort range starts at the bootstrap port (lib/node-ports.ts): every Kafka
  // port must lie in its static band, and random NodePorts need room above it.
  (c) => {
    const port = c.kafkaExternalBootstrapPort === undefined ? 32100 : asInteger(c.kafkaExternalBootstrapPort);
    const brokers = group(c, 'kafka').count;
    if (port === undefined || brokers === undefined) return [];
    const range = nodePortRangeFor(port);
    const band = staticBandSize(range);
    if (brokers + 1 <= band && range.size - band >= MIN_DYNAMIC_NODE_PORTS) return [];
    // The highest bootstrap port that still fits: bands only shrink as the range does.
    let highest = DEFAULT_NODE_PORT_RANGE.base;
    for (let p = DEFAULT_NODE_PORT_RANGE.base; p <= DEFAULT_NODE_PORT_RANGE.max; p++) {
      const r = nodePortRangeFor(p);
      if (brokers + 1 <= staticBandSize(r) && r.size - staticBandSize(r) >= MIN_DYNAMIC_NODE_PORTS)
        highest = p;
    }
    return [
      problem(
        'kafkaExternalBootstrapPort',
        `kafkaExternalBootstrapPort ${port} leaves no room for the bootstrap and ${brokers} broker port(s) in the static NodePort band (${nodePortRangeFlag(range)} keeps only ${band} port(s) safe from random allocation, and needs ${MIN_DYNAMIC_NODE_PORTS} random ones above them); use ${DEFAULT_NODE_PORT_RANGE.base}-${highest}`,
      ),
    ];
  },
  (c) => {
    const topics = asList(c.topics).map(asRecord);
    const names = topics.map((t) => asString(t?.name)).filter((n): n is string => n !== undefined);
    const problems = duplicates(names).map((name) =>
      problem('topics', `topics lists '${name}' more than once; topic names must be unique`),
    );
    const brokers = group(c, 'kafka').count;
    topics.forEach((t, i) => {
      const replicas = asInteger(t?.replicas);
      if (brokers !== undefined && replicas !== undefined && replicas > brokers) {
        problems.push(
          problem(
            `topics[${i}].replicas`,
            `topics[${i}].replicas ${replicas} is more than the ${brokers} Kafka broker(s); use at most ${brokers} or leave it out (default min(3, brokers))`,
          ),
        );
      }
    });
    return problems;
  },
  (c) => {
    const apps = asList(c.tradingApps).map(asRecord);
    const names = apps.map((a) => asString(a?.name)).filter((n): n is string => n !== undefined);
    const problems = duplicates(names).map((name) =>
      problem('tradingApps', `tradingApps lists '${name}' more than once; app names must be unique`),
    );
    const topics = new Set(asList(c.topics).map((t) => asString(asRecord(t)?.name)));
    apps.forEach((a, i) =>
      asList(a?.topics).forEach((topic, j) => {
        if (typeof topic === 'string' && !topics.has(topic)) {
          problems.push(
            problem(
              `tradingApps[${i}].topics[${j}]`,
              `tradingApps[${i}].topics[${j}] '${topic}' is not in topics; add it to topics or remove it from the app`,
            ),
          );
        }
      }),
    );
    return problems;
  },
  (c) => {
    const capacity = c.appCapacityOnControlPlane;
    if (capacity === undefined) return [];
    const apps = group(c, 'apps').count;
    if (apps !== undefined && apps > 0) {
      return [
        problem(
          'appCapacityOnControlPlane',
          `appCapacityOnControlPlane has no effect with ${apps} app node(s) (their server type sizes the quotas); remove it, or set apps.count to 0`,
        ),
      ];
    }
    const cp = group(c, 'controlPlane').spec;
    const cores = asNumber(asRecord(capacity)?.cores);
    const memoryGb = asNumber(asRecord(capacity)?.memoryGb);
    if (!cp || cores === undefined || memoryGb === undefined) return [];
    return cores <= cp.cores && memoryGb <= cp.memoryGb
      ? []
      : [
          problem(
            'appCapacityOnControlPlane',
            `appCapacityOnControlPlane { cores: ${cores}, memoryGb: ${memoryGb} } is more than the control plane server has (${cp.cores} cores, ${cp.memoryGb} GB); lower it or pick a larger controlPlane.serverType`,
          ),
        ];
  },
  (c) => {
    const q = asRecord(c.quotaPercent);
    if (!q) return [];
    const shares = [q.ingestion, q.strategies, q.monitoring].map(asNumber);
    if (shares.some((s) => s === undefined)) return [];
    const total = shares.reduce((a, b) => a! + b!, 0)!;
    return total > 100
      ? [
          problem(
            'quotaPercent',
            `quotaPercent shares must add up to at most 100 %, got ingestion ${String(q.ingestion)} + strategies ${String(q.strategies)} + monitoring ${String(q.monitoring)} = ${total} %`,
          ),
        ]
      : [];
  },
  (c) => appFitProblems(c),
  (c) => {
    if (c.monitoring !== true) return [];
    const capacity = appCapacity(c);
    const percent = quotaPercent(c);
    if (!capacity || !percent) return [];
    const quota = computeQuotas(capacity, percent).monitoring;
    const need = Object.values(MONITORING_REQUESTS).reduce(
      (sum, r) => ({ cpuMillis: sum.cpuMillis + r.cpuMillis, memoryMib: sum.memoryMib + r.memoryMib }),
      { cpuMillis: 0, memoryMib: 0 },
    );
    if (quota.cpuMillis >= need.cpuMillis && quota.memoryMib >= need.memoryMib) return [];
    const pct = Math.ceil(
      Math.max(need.cpuMillis / (capacity.cores * 10), need.memoryMib / (capacity.memoryGb * 10.24)),
    );
    return [
      problem(
        'quotaPercent.monitoring',
        `monitoring is on, but the monitoring quota (${quota.cpuMillis}m CPU, ${quota.memoryMib}Mi, ${percent.monitoring} % of ${capacity.cores} cores / ${capacity.memoryGb} GB) cannot hold Prometheus and Grafana (${need.cpuMillis}m, ${need.memoryMib}Mi requested); set quotaPercent.monitoring to at least ${pct}, add app capacity, or set monitoring: false`,
      ),
    ];
  },
];

/**
 * A role's fallback server types must be able to stand in for its `serverType`: known
 * capacity, the same CPU architecture (images and the k3s binary), at least its cores and
 * memory (quotas and Kafka's heap are rendered from `serverType`), Kafka's volume on the
 * disk, no repeats.
 */
function fallbackProblems(c: RawConfig, role: 'controlPlane' | 'kafka' | 'apps'): ConfigProblem[] {
  const { serverType, spec } = group(c, role);
  const list = asList(asRecord(c[role])?.fallbackServerTypes);
  if (!serverType || list.length === 0) return [];
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>([serverType]);
  const storage = asInteger(c.kafkaStorageGb) ?? 20;
  list.forEach((type, i) => {
    if (typeof type !== 'string' || !SERVER_TYPE.test(type) || retiredReplacement(type)) return;
    const field = `${role}.fallbackServerTypes[${i}]`;
    const fallback = serverTypeSpec(type);
    if (seen.has(type)) {
      problems.push(
        problem(
          field,
          `${field} '${type}' is already ${type === serverType ? `${role}.serverType` : 'in the list'}; list each type once`,
        ),
      );
    } else if (!fallback) {
      problems.push(
        problem(
          field,
          `${field} '${type}' is not in lib/server-types.ts, so it cannot be checked to stand in for '${serverType}'; add it there or pick a listed type`,
        ),
      );
    } else if (spec) {
      const short: string[] = [];
      if (fallback.architecture !== spec.architecture)
        short.push(`${fallback.architecture} instead of ${spec.architecture}`);
      if (fallback.cores < spec.cores) short.push(`${fallback.cores} cores < ${spec.cores}`);
      if (fallback.memoryGb < spec.memoryGb)
        short.push(`${fallback.memoryGb} GB < ${spec.memoryGb} GB memory`);
      if (role === 'kafka' && storage + KAFKA_NODE_DISK_RESERVE_GB > fallback.diskGb) {
        short.push(
          `a ${fallback.diskGb} GB disk cannot hold kafkaStorageGb ${storage} + ${KAFKA_NODE_DISK_RESERVE_GB} GB`,
        );
      }
      if (short.length > 0) {
        problems.push(
          problem(
            field,
            `${field} '${type}' cannot stand in for ${role}.serverType '${serverType}' (${short.join(', ')}); pick a type at least as large, of the same architecture`,
          ),
        );
      }
    }
    seen.add(type);
  });
  return problems;
}

function duplicates(names: readonly string[]): string[] {
  return [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
}

/**
 * CPU cores and memory the trading apps may use: the app nodes' server type times their
 * count, or without app nodes `appCapacityOnControlPlane` (default: half the control
 * plane). Undefined when a server type is unknown or a field is ill-typed.
 */
export function appCapacity(c: RawConfig): { cores: number; memoryGb: number } | undefined {
  const apps = group(c, 'apps');
  if (apps.count === undefined) return undefined;
  if (apps.count > 0) {
    return apps.spec
      ? { cores: apps.spec.cores * apps.count, memoryGb: apps.spec.memoryGb * apps.count }
      : undefined;
  }
  if (c.appCapacityOnControlPlane !== undefined) {
    const given = asRecord(c.appCapacityOnControlPlane);
    const cores = asNumber(given?.cores);
    const memoryGb = asNumber(given?.memoryGb);
    return cores !== undefined && cores > 0 && memoryGb !== undefined && memoryGb > 0
      ? { cores, memoryGb }
      : undefined;
  }
  const cp: ServerTypeSpec | undefined = group(c, 'controlPlane').spec;
  return cp ? { cores: cp.cores / 2, memoryGb: cp.memoryGb / 2 } : undefined;
}

/** Which fields sized {@link appCapacity}, and how to raise it, for messages. */
function appCapacitySource(c: RawConfig): { from: string; raise: string } {
  const apps = group(c, 'apps');
  if ((apps.count ?? 0) > 0) {
    return {
      from: `apps.count ${apps.count} x apps.serverType '${apps.serverType}'`,
      raise: 'raise apps.count or pick a larger apps.serverType',
    };
  }
  if (c.appCapacityOnControlPlane !== undefined) {
    return { from: 'appCapacityOnControlPlane', raise: 'raise appCapacityOnControlPlane' };
  }
  return {
    from: `half of controlPlane.serverType '${group(c, 'controlPlane').serverType}' (no app nodes)`,
    raise:
      'pick a larger controlPlane.serverType, set appCapacityOnControlPlane or add app nodes (apps.count)',
  };
}

/** The quota shares, with the default when left out; undefined when ill-typed. */
function quotaPercent(c: RawConfig) {
  if (c.quotaPercent === undefined) return DEFAULT_QUOTA_PERCENT;
  const q = asRecord(c.quotaPercent);
  const [ingestion, strategies, monitoring] = [q?.ingestion, q?.strategies, q?.monitoring].map(asNumber);
  if (ingestion === undefined || strategies === undefined || monitoring === undefined) return undefined;
  return { ingestion, strategies, monitoring };
}

/** Quota shares when `quotaPercent` is left out. */
export const DEFAULT_QUOTA_PERCENT = { ingestion: 50, strategies: 40, monitoring: 10 } as const;

/** Defaults of a trading app's requests (charts/trading-app.ts renders the same). */
export const TRADING_APP_DEFAULTS = { replicas: 1, cpuMillis: 250, memoryMib: 256 } as const;

/**
 * Trading apps must fit where they run: each container's memory on one app node (the
 * LimitRange refuses more), its CPU on one node (the scheduler could never place it), and
 * each namespace's Deployments, with one rolling-update surge pod each (maxSurge 25 %,
 * rounded up), inside the namespace's ResourceQuota; otherwise pods are refused.
 */
function appFitProblems(c: RawConfig): ConfigProblem[] {
  const capacity = appCapacity(c);
  const percent = quotaPercent(c);
  const appNodes = group(c, 'apps').count;
  if (!capacity || !percent || appNodes === undefined) return [];
  const quotas = computeQuotas(capacity, percent);
  const nodeMemoryMib = perNodeAppMemoryMib({ appCapacity: capacity, appNodes: { length: appNodes } });
  const nodeCpuMillis = Math.floor((capacity.cores * 1000) / Math.max(1, appNodes));
  const problems: ConfigProblem[] = [];
  const used: Record<QuotaNamespace, { cpuMillis: number; memoryMib: number; apps: string[] }> = {
    ingestion: { cpuMillis: 0, memoryMib: 0, apps: [] },
    strategies: { cpuMillis: 0, memoryMib: 0, apps: [] },
    monitoring: { cpuMillis: 0, memoryMib: 0, apps: [] },
  };
  asList(c.tradingApps).forEach((raw, i) => {
    const app = asRecord(raw);
    const kind = app?.kind;
    if (kind !== 'ingestion' && kind !== 'strategies') return;
    const read = (key: keyof typeof TRADING_APP_DEFAULTS) =>
      app![key] === undefined ? TRADING_APP_DEFAULTS[key] : asInteger(app![key]);
    const [replicas, cpuMillis, memoryMib] = [read('replicas'), read('cpuMillis'), read('memoryMib')];
    if (replicas === undefined || cpuMillis === undefined || memoryMib === undefined) return;
    if (memoryMib > nodeMemoryMib) {
      problems.push(
        problem(
          `tradingApps[${i}].memoryMib`,
          `tradingApps[${i}].memoryMib ${memoryMib} is more than one app node offers (${nodeMemoryMib} MiB), so the pod could never run; lower it or pick a larger apps.serverType`,
        ),
      );
    }
    if (cpuMillis > nodeCpuMillis) {
      problems.push(
        problem(
          `tradingApps[${i}].cpuMillis`,
          `tradingApps[${i}].cpuMillis ${cpuMillis} is more than one app node offers (${nodeCpuMillis}m), so the pod could never be scheduled; lower it or pick a larger apps.serverType`,
        ),
      );
    }
    const pods = replicas + Math.ceil(replicas / 4);
    used[kind].cpuMillis += pods * cpuMillis;
    used[kind].memoryMib += pods * memoryMib;
    used[kind].apps.push(`tradingApps[${i}]`);
  });
  const source = appCapacitySource(c);
  for (const ns of ['ingestion', 'strategies'] as const) {
    const u = used[ns];
    const q = quotas[ns];
    if (u.apps.length === 0 || (u.cpuMillis <= q.cpuMillis && u.memoryMib <= q.memoryMib)) continue;
    problems.push(
      problem(
        'tradingApps',
        `the ${ns} apps (${u.apps.join(', ')}) request ${u.cpuMillis}m CPU and ${u.memoryMib}Mi with their rolling-update surge pods, but the ${ns} quota is ${q.cpuMillis}m and ${q.memoryMib}Mi (quotaPercent.${ns} ${percent[ns]} % of ${capacity.cores} cores / ${capacity.memoryGb} GB from ${source.from}); lower replicas, cpuMillis or memoryMib, raise quotaPercent.${ns}, or ${source.raise}`,
      ),
    );
  }
  return problems;
}

/**
 * Every broken rule of `config`, each with its field. A config that is not an object at
 * all yields one problem.
 */
export function environmentConfigProblems(config: unknown): ConfigProblem[] {
  const expectation = 'an environment object such as the ones in environments/dev.ts';
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    return [mustBe('(environment)', expectation, config)];
  }
  const c = config as RawConfig;
  return [...checkObject(c, '', FIELD_RULES, expectation, c), ...CROSS_RULES.flatMap((rule) => rule(c))];
}
