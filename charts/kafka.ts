import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import type { KafkaTopicConfig } from '../environments/types';
import type { ResolvedEnvironment } from '../lib/environment';
import {
  Kafka,
  KafkaSpecKafkaAuthorizationType,
  KafkaSpecKafkaListenersAuthenticationType,
  KafkaSpecKafkaListenersConfigurationExternalTrafficPolicy,
  KafkaSpecKafkaListenersType,
  KafkaSpecKafkaMetricsConfigType,
  KafkaSpecEntityOperatorTopicOperatorResourcesLimits as TopicOpLimits,
  KafkaSpecEntityOperatorTopicOperatorResourcesRequests as TopicOpRequests,
  KafkaSpecEntityOperatorUserOperatorResourcesLimits as UserOpLimits,
  KafkaSpecEntityOperatorUserOperatorResourcesRequests as UserOpRequests,
} from '../imports/strimzi-kafka';
import {
  KafkaNodePool,
  KafkaNodePoolSpecResourcesLimits,
  KafkaNodePoolSpecResourcesRequests,
  KafkaNodePoolSpecRoles,
  KafkaNodePoolSpecStorageType,
} from '../imports/strimzi-kafkanodepool';
import { KafkaTopic } from '../imports/strimzi-kafkatopic';
import {
  KafkaUser,
  KafkaUserSpecAuthenticationType,
  KafkaUserSpecAuthorizationAclsOperations,
  KafkaUserSpecAuthorizationAclsResourcePatternType,
  KafkaUserSpecAuthorizationAclsResourceType,
  KafkaUserSpecAuthorizationType,
} from '../imports/strimzi-kafkauser';
import { serverTypeSpec, type ServerTypeSpec } from '../lib/server-types';
import {
  assertChecks,
  kafkaUserName,
  kafkaUserPasswordSecretName,
  KAFKA_CLUSTER_NAME,
  KAFKA_EXTERNAL_LISTENER_PORT,
  KAFKA_INTERNAL_PORT,
  KAFKA_NODE_TAINT,
  KAFKA_PASSWORD_KEY,
  NAMESPACES,
  NODE_LABELS,
  PRIORITY_CLASSES,
  TRADING_NAMESPACES,
} from './constants';

/** Name of the node pool running every Kafka node as controller + broker. */
export const KAFKA_NODE_POOL_NAME = 'dual-role';

/** Default name of the KafkaUser for clients outside the cluster. */
export const EXTERNAL_USER_NAME = 'external-client';

/** Consumer groups of external clients must start with this prefix (ACL). */
export const EXTERNAL_GROUP_PREFIX = 'external-';

/** Replication settings that follow from the broker count. */
export interface ReplicationSettings {
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
}

/** Replication factor min(3, brokers); min ISR 2 when there are 3 replicas so one broker may be down. */
export function replicationFor(brokers: number): ReplicationSettings {
  const replicationFactor = Math.min(3, brokers);
  return { replicationFactor, minInsyncReplicas: replicationFactor >= 3 ? 2 : 1 };
}

/** Requests, limits and JVM heap of one Kafka node, derived from the kafka nodes' server type. */
export interface KafkaBrokerSizing {
  /** CPU request; no CPU limit, so a broker is never throttled by CFS quotas. */
  readonly cpuMillis: number;
  /** Memory request = limit: the heap plus what the broker uses off-heap and as page cache. */
  readonly memoryMib: number;
  /** `-Xms` = `-Xmx`. */
  readonly heapMib: number;
}

/** Largest heap we give a broker; Kafka works from the page cache, not the heap. */
const MAX_KAFKA_HEAP_MIB = 6144;

/**
 * Sizes a broker for a dedicated kafka node (tainted, so nothing else but DaemonSets runs
 * there): the node's memory less a reserve for the OS, k3s and DaemonSets (1.5 GiB or 1/8,
 * whichever is larger); half of that as heap in 256 MiB steps, at most 6 GiB; the cores
 * less half a core. Without requests and `-Xmx` a broker runs BestEffort with the JVM's
 * default heap, which Strimzi documents as meant for development.
 */
export function kafkaBrokerSizing(spec: ServerTypeSpec): KafkaBrokerSizing {
  const nodeMib = spec.memoryGb * 1024;
  const memoryMib = nodeMib - Math.max(1536, Math.round(nodeMib / 8));
  const heapMib = Math.min(MAX_KAFKA_HEAP_MIB, Math.floor(memoryMib / 2 / 256) * 256);
  return { cpuMillis: spec.cores * 1000 - 500, memoryMib, heapMib };
}

/** Props of {@link KafkaChart}. */
export interface KafkaChartProps extends ChartProps {
  /** The environment: broker count, storage, topics, external ports and DNS name come from it. */
  readonly env: ResolvedEnvironment;
  /**
   * kafka-0's stable public address, on which every broker is advertised.
   * @default - env.kafkaDnsName; without either, synthesis fails
   */
  readonly externalAddress?: string;
  /**
   * Name of the KafkaUser for external clients (SCRAM-SHA-512); it reads its password from
   * `<name>-password` in `kafka`, delivered at boot like every KafkaUser's.
   * @default 'external-client'
   */
  readonly externalUserName?: string;
}

/** The rules a Kafka chart checks before rendering; each message has the value and the fix. */
export function kafkaProblems(
  env: ResolvedEnvironment,
  externalAddress: string | undefined,
): Array<string | undefined> {
  const brokers = env.kafkaNodes.length;
  const topicProblems = (t: KafkaTopicConfig): Array<string | undefined> => [
    Number.isInteger(t.partitions) && t.partitions >= 1
      ? undefined
      : `topic '${t.name}' has ${String(t.partitions)} partitions; give it at least 1 (e.g. partitions: 6)`,
    t.replicas === undefined || (Number.isInteger(t.replicas) && t.replicas >= 1 && t.replicas <= brokers)
      ? undefined
      : `topic '${t.name}' asks for ${t.replicas} replicas but the cluster has ${brokers} broker(s); set replicas to at most ${brokers} or leave it out (default min(3, brokers))`,
  ];
  const kafkaSpec = serverTypeSpec(env.kafka.serverType);
  const appTopicProblems = env.tradingApps.flatMap((app) =>
    (app.topics ?? []).map((topic) =>
      env.topics.some((t) => t.name === topic)
        ? undefined
        : `trading app '${app.name}' lists topic '${topic}', which is not in topics; add it to topics or remove it from the app`,
    ),
  );
  return [
    kafkaSpec === undefined
      ? `kafka server type '${env.kafka.serverType}' is not in lib/server-types.ts, so the brokers' memory and heap cannot be sized; add it there or pick a listed type`
      : kafkaSpec.memoryGb < 4
        ? `kafka server type '${env.kafka.serverType}' has ${kafkaSpec.memoryGb} GB of memory; a broker needs at least 4 GB (e.g. cx23 or larger)`
        : undefined,
    ...appTopicProblems,
    brokers === 1 || brokers === 3
      ? undefined
      : `kafka node count must be 1 or 3 (KRaft controller quorum), got ${brokers}; set kafka.count to 1 or 3 in environments/${env.name}.ts`,
    externalAddress
      ? undefined
      : `the external listener has no stable address: kafka-0's address is only known at deploy time; set kafkaDnsName in environments/${env.name}.ts or pass externalAddress (the persistent Primary IP)`,
    env.kafkaExternalPorts.length === brokers + 1
      ? undefined
      : `kafkaExternalPorts must hold the bootstrap port and one port per broker (${brokers + 1}), got ${env.kafkaExternalPorts.length}: [${env.kafkaExternalPorts.join(', ')}]`,
    ...env.topics.flatMap(topicProblems),
  ];
}

/** Default retention of a topic, in hours (a week). */
export const DEFAULT_RETENTION_HOURS = 168;

/**
 * Kafka's `retention.ms` for a topic's `retentionHours`: hours in milliseconds, or -1 (Kafka's
 * "no time limit") for -1. Kafka refuses any other negative value, so the topic would never exist.
 */
export function retentionMs(retentionHours: number | undefined): number {
  const hours = retentionHours ?? DEFAULT_RETENTION_HOURS;
  return hours === -1 ? -1 : hours * 3_600_000;
}

/**
 * The Strimzi Kafka cluster `trading-cluster` in KRaft mode: one node pool of
 * controller + broker nodes pinned to the kafka nodes, an internal plain listener for
 * in-cluster apps, an external NodePort listener (TLS + SCRAM-SHA-512) advertising every
 * broker on kafka-0's stable address, the configured topics and a user for external clients.
 */
export class KafkaChart extends Chart {
  /** Number of brokers (= kafka nodes). */
  public readonly brokers: number;
  /** External bootstrap address, `host:port`. */
  public readonly externalBootstrap: string;
  /** Name of the external client's KafkaUser. */
  public readonly externalUserName: string;
  /**
   * Every KafkaUser this chart renders (trading apps' and the external one), in order. Each
   * reads its SCRAM password from `kafkaUserPasswordSecretName(name)`, key `password`, which
   * charts/identity-secrets.ts delivers at boot.
   */
  public readonly userNames: readonly string[];
  /** Broker requests, limits and heap, from the kafka nodes' server type. */
  public readonly sizing: KafkaBrokerSizing;

  constructor(scope: Construct, id: string, props: KafkaChartProps) {
    super(scope, id, { ...props, namespace: NAMESPACES.kafka });
    const { env } = props;
    const externalAddress = props.externalAddress ?? env.kafkaDnsName;
    assertChecks(`Kafka chart for environment '${env.name}'`, kafkaProblems(env, externalAddress));

    this.brokers = env.kafkaNodes.length;
    this.sizing = kafkaBrokerSizing(serverTypeSpec(env.kafka.serverType)!);
    this.externalUserName = props.externalUserName ?? EXTERNAL_USER_NAME;
    const [bootstrapPort, ...brokerPorts] = env.kafkaExternalPorts;
    this.externalBootstrap = `${externalAddress}:${bootstrapPort}`;
    const replication = replicationFor(this.brokers);
    const clusterLabel = { 'strimzi.io/cluster': KAFKA_CLUSTER_NAME };

    new KafkaNodePool(this, 'node-pool', {
      metadata: { name: KAFKA_NODE_POOL_NAME, labels: clusterLabel },
      spec: {
        replicas: this.brokers,
        roles: [KafkaNodePoolSpecRoles.CONTROLLER, KafkaNodePoolSpecRoles.BROKER],
        resources: {
          requests: {
            cpu: KafkaNodePoolSpecResourcesRequests.fromString(`${this.sizing.cpuMillis}m`),
            memory: KafkaNodePoolSpecResourcesRequests.fromString(`${this.sizing.memoryMib}Mi`),
          },
          limits: { memory: KafkaNodePoolSpecResourcesLimits.fromString(`${this.sizing.memoryMib}Mi`) },
        },
        jvmOptions: { xms: `${this.sizing.heapMib}m`, xmx: `${this.sizing.heapMib}m` },
        // Nodes live only for a trading day; local-path keeps data on the node's own disk.
        storage: {
          type: KafkaNodePoolSpecStorageType.PERSISTENT_HYPHEN_CLAIM,
          size: `${env.kafkaStorageGb}Gi`,
          class: 'local-path',
          deleteClaim: true,
        },
        template: {
          pod: {
            priorityClassName: PRIORITY_CLASSES.kafka.name,
            tolerations: [{ ...KAFKA_NODE_TAINT, operator: 'Equal' }],
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    {
                      matchExpressions: [
                        { key: NODE_LABELS.kafka.key, operator: 'In', values: [NODE_LABELS.kafka.value] },
                      ],
                    },
                  ],
                },
              },
              // One Kafka node per server, so losing a server loses one replica.
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  {
                    topologyKey: 'kubernetes.io/hostname',
                    labelSelector: {
                      matchLabels: { ...clusterLabel, 'strimzi.io/pool-name': KAFKA_NODE_POOL_NAME },
                    },
                  },
                ],
              },
            },
          },
        },
      },
    });

    new Kafka(this, 'kafka', {
      metadata: { name: KAFKA_CLUSTER_NAME },
      spec: {
        // Both CAs come from the persistent identity (charts/identity-secrets.ts): clients keep
        // trusting the same CA across the daily rebuild, and Strimzi never makes its own.
        clusterCa: { generateCertificateAuthority: false },
        clientsCa: { generateCertificateAuthority: false },
        kafka: {
          version: env.kafkaVersion,
          listeners: [
            {
              name: 'plain',
              port: KAFKA_INTERNAL_PORT,
              type: KafkaSpecKafkaListenersType.INTERNAL,
              tls: false,
              // Every in-cluster client authenticates as its own KafkaUser.
              authentication: { type: KafkaSpecKafkaListenersAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512 },
              // Only the trading namespaces (and Kafka's own) reach the internal listener.
              networkPolicyPeers: [...TRADING_NAMESPACES, NAMESPACES.kafka].map((ns) => ({
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
              })),
            },
            {
              name: 'external',
              port: KAFKA_EXTERNAL_LISTENER_PORT,
              type: KafkaSpecKafkaListenersType.NODEPORT,
              tls: true,
              authentication: { type: KafkaSpecKafkaListenersAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512 },
              configuration: {
                // kafka-0 receives every NodePort; kube-proxy forwards to brokers on the other nodes.
                externalTrafficPolicy: KafkaSpecKafkaListenersConfigurationExternalTrafficPolicy.CLUSTER,
                bootstrap: { nodePort: bootstrapPort, alternativeNames: [externalAddress!] },
                brokers: brokerPorts.map((port, broker) => ({
                  broker,
                  nodePort: port,
                  advertisedHost: externalAddress,
                  advertisedPort: port,
                })),
              },
            },
          ],
          // No super users: every client, internal or external, gets exactly its ACLs.
          authorization: { type: KafkaSpecKafkaAuthorizationType.SIMPLE },
          config: {
            'default.replication.factor': replication.replicationFactor,
            'min.insync.replicas': replication.minInsyncReplicas,
            'offsets.topic.replication.factor': replication.replicationFactor,
            'transaction.state.log.replication.factor': replication.replicationFactor,
            'transaction.state.log.min.isr': replication.minInsyncReplicas,
            'auto.create.topics.enable': false,
          },
          metricsConfig: {
            type: KafkaSpecKafkaMetricsConfigType.STRIMZI_METRICS_REPORTER,
            values: {
              allowList: [
                'kafka_controller.*',
                'kafka_log.*',
                'kafka_network.*',
                'kafka_server.*',
                'kafka_cluster.*',
              ],
            },
          },
        },
        entityOperator: {
          // Requests and a memory limit (the operators' JVMs size their heap from it).
          topicOperator: {
            resources: {
              requests: {
                cpu: TopicOpRequests.fromString('100m'),
                memory: TopicOpRequests.fromString('384Mi'),
              },
              limits: { memory: TopicOpLimits.fromString('384Mi') },
            },
          },
          userOperator: {
            resources: {
              requests: {
                cpu: UserOpRequests.fromString('100m'),
                memory: UserOpRequests.fromString('384Mi'),
              },
              limits: { memory: UserOpLimits.fromString('384Mi') },
            },
          },
          template: { pod: { priorityClassName: PRIORITY_CLASSES.kafka.name } },
        },
      },
    });

    for (const topic of env.topics) {
      const replicas = topic.replicas ?? replication.replicationFactor;
      new KafkaTopic(this, `topic-${topic.name}`, {
        metadata: { name: topic.name, labels: clusterLabel },
        spec: {
          partitions: topic.partitions,
          replicas,
          config: {
            'retention.ms': retentionMs(topic.retentionHours),
            'min.insync.replicas': replicas >= 3 ? 2 : 1,
          },
        },
      });
    }

    const acl = (
      type: KafkaUserSpecAuthorizationAclsResourceType,
      name: string,
      patternType: KafkaUserSpecAuthorizationAclsResourcePatternType,
      operations: KafkaUserSpecAuthorizationAclsOperations[],
    ) => ({ resource: { type, name, patternType }, operations });
    const Op = KafkaUserSpecAuthorizationAclsOperations;
    type Acl = ReturnType<typeof acl>;
    // Every user authenticates with SCRAM-SHA-512 and reads its password from a Secret
    // delivered at boot from the persistent identity, so it never lands in git and stays
    // the same across the daily rebuild.
    const users: string[] = [];
    const addUser = (id: string, name: string, acls: Acl[]) => {
      users.push(name);
      new KafkaUser(this, id, {
        metadata: { name, labels: clusterLabel },
        spec: {
          authentication: {
            type: KafkaUserSpecAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512,
            password: {
              valueFrom: {
                secretKeyRef: { name: kafkaUserPasswordSecretName(name), key: KAFKA_PASSWORD_KEY },
              },
            },
          },
          authorization: { type: KafkaUserSpecAuthorizationType.SIMPLE, acls },
        },
      });
    };
    const topicAcl = (topic: string, operations: KafkaUserSpecAuthorizationAclsOperations[]) =>
      acl(
        KafkaUserSpecAuthorizationAclsResourceType.TOPIC,
        topic,
        KafkaUserSpecAuthorizationAclsResourcePatternType.LITERAL,
        operations,
      );
    // One user per trading app; ingestion produces, strategies consume (in their own group).
    for (const app of env.tradingApps) {
      const topics = app.topics ?? env.topics.map((t) => t.name);
      const acls =
        app.kind === 'ingestion'
          ? topics.map((t) => topicAcl(t, [Op.DESCRIBE, Op.WRITE]))
          : [
              ...topics.map((t) => topicAcl(t, [Op.DESCRIBE, Op.READ])),
              acl(
                KafkaUserSpecAuthorizationAclsResourceType.GROUP,
                app.name,
                KafkaUserSpecAuthorizationAclsResourcePatternType.PREFIX,
                [Op.READ],
              ),
            ];
      addUser(`user-${app.name}`, kafkaUserName(app.name), acls);
    }

    addUser('external-user', this.externalUserName, [
      ...env.topics.map((t) =>
        acl(
          KafkaUserSpecAuthorizationAclsResourceType.TOPIC,
          t.name,
          KafkaUserSpecAuthorizationAclsResourcePatternType.LITERAL,
          [Op.DESCRIBE, Op.READ, Op.WRITE],
        ),
      ),
      acl(
        KafkaUserSpecAuthorizationAclsResourceType.GROUP,
        EXTERNAL_GROUP_PREFIX,
        KafkaUserSpecAuthorizationAclsResourcePatternType.PREFIX,
        [Op.READ],
      ),
    ]);
    this.userNames = users;
    assertChecks(`Kafka users of environment '${env.name}'`, kafkaUserProblems(users));
  }
}

/**
 * Name clashes among the KafkaUsers: Strimzi's User Operator writes a Secret named after each
 * KafkaUser into `kafka`, so no user may share its name with another, nor with another
 * user's password Secret (`<user>-password`), which it would overwrite.
 */
export function kafkaUserProblems(userNames: readonly string[]): Array<string | undefined> {
  const seen = new Set<string>();
  return userNames.flatMap((name) => {
    const duplicate = seen.has(name);
    seen.add(name);
    const clash = userNames.find((other) => kafkaUserPasswordSecretName(other) === name);
    return [
      duplicate
        ? `two KafkaUsers are named '${name}'; rename the trading app or pass another externalUserName`
        : undefined,
      clash === undefined
        ? undefined
        : `KafkaUser '${name}' would overwrite the password Secret of KafkaUser '${clash}' (Strimzi writes a Secret named after each user); rename one of them`,
    ];
  });
}
