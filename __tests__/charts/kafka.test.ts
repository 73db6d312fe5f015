import { Testing } from 'cdk8s';
import { SERVER_TYPES } from '../../lib/server-types';
import {
  kafkaBrokerSizing,
  KafkaChart,
  KafkaChartProps,
  replicationFor,
  retentionMs,
} from '../../charts/kafka';
import type { ResolvedEnvironment } from '../../lib/environment';
import { find, fixtureEnvironments, ofKind, resolved, unvalidated } from './helpers';
import type { Manifest } from './helpers';

const synth = (env: ResolvedEnvironment, props: Partial<KafkaChartProps> = {}) =>
  Testing.synth(new KafkaChart(Testing.app(), 'kafka', { env, ...props }));

describe('KafkaChart', () => {
  test('runs one controller + broker node pool per kafka node, on kafka=true nodes past their taint', () => {
    const pool = find(synth(resolved('prod')), 'KafkaNodePool', 'dual-role');
    expect(pool.metadata).toEqual(
      expect.objectContaining({ namespace: 'kafka', labels: { 'strimzi.io/cluster': 'trading-cluster' } }),
    );
    expect(pool.spec.replicas).toBe(3);
    expect(pool.spec.roles).toEqual(['controller', 'broker']);
    expect(pool.spec.storage).toEqual(
      expect.objectContaining({ type: 'persistent-claim', class: 'local-path', size: '100Gi' }),
    );
    const pod = pool.spec.template.pod;
    expect(pod.tolerations).toEqual([
      { key: 'dedicated', value: 'kafka', effect: 'NoSchedule', operator: 'Equal' },
    ]);
    expect(
      pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]
        .matchExpressions,
    ).toEqual([{ key: 'kafka', operator: 'In', values: ['true'] }]);
    expect(pod.priorityClassName).toBe('kafka-critical');
  });

  test.each([
    ['dev', 1, 1, 1],
    ['prod', 3, 3, 2],
  ] as const)('%s: %i broker(s) give replication factor %i and min ISR %i', (name, brokers, rf, isr) => {
    const env = resolved(name);
    expect(env.kafkaNodes).toHaveLength(brokers);
    expect(replicationFor(brokers)).toEqual({ replicationFactor: rf, minInsyncReplicas: isr });
    const kafka = find(synth(env), 'Kafka', 'trading-cluster');
    expect(kafka.spec.kafka.config).toEqual(
      expect.objectContaining({
        'default.replication.factor': rf,
        'min.insync.replicas': isr,
        'offsets.topic.replication.factor': rf,
        'transaction.state.log.replication.factor': rf,
        'transaction.state.log.min.isr': isr,
      }),
    );
  });

  test('runs the configured Kafka 4.0 version with simple authorization and the entity operator', () => {
    const spec = find(synth(resolved('prod')), 'Kafka', 'trading-cluster').spec;
    expect(spec.kafka.version).toBe('4.0.1');
    expect(spec.kafka.authorization.type).toBe('simple');
    expect(Object.keys(spec.entityOperator).sort()).toEqual(['template', 'topicOperator', 'userOperator']);
    expect(spec.entityOperator.userOperator.resources.limits.memory).toBe('384Mi');
    expect(spec.kafka.metricsConfig.type).toBe('strimziMetricsReporter');
  });

  test('has an internal plain listener on 9092 open to the trading namespaces', () => {
    const plain = find(synth(resolved('prod')), 'Kafka', 'trading-cluster').spec.kafka.listeners[0];
    expect(plain).toEqual(
      expect.objectContaining({ name: 'plain', port: 9092, type: 'internal', tls: false }),
    );
    expect(
      plain.networkPolicyPeers.map(
        (p: Manifest) => p.namespaceSelector.matchLabels['kubernetes.io/metadata.name'],
      ),
    ).toEqual(['ingestion', 'strategies', 'kafka']);
  });

  test("advertises every broker on kafka-0's DNS name with its own NodePort (TLS + SCRAM-SHA-512)", () => {
    const external = find(synth(resolved('prod')), 'Kafka', 'trading-cluster').spec.kafka.listeners[1];
    expect(external).toEqual(
      expect.objectContaining({ type: 'nodeport', tls: true, authentication: { type: 'scram-sha-512' } }),
    );
    expect(external.configuration.bootstrap).toEqual({
      nodePort: 32100,
      alternativeNames: ['kafka.prod.example.com'],
    });
    expect(external.configuration.brokers).toEqual([
      { broker: 0, nodePort: 32101, advertisedHost: 'kafka.prod.example.com', advertisedPort: 32101 },
      { broker: 1, nodePort: 32102, advertisedHost: 'kafka.prod.example.com', advertisedPort: 32102 },
      { broker: 2, nodePort: 32103, advertisedHost: 'kafka.prod.example.com', advertisedPort: 32103 },
    ]);
  });

  test('takes an explicit external address (the Primary IP) over the DNS name', () => {
    const chart = new KafkaChart(Testing.app(), 'kafka', {
      env: { ...resolved('dev'), kafkaDnsName: undefined },
      externalAddress: '192.0.2.10',
    });
    expect(chart.externalBootstrap).toBe('192.0.2.10:32100');
    const brokers = find(Testing.synth(chart), 'Kafka', 'trading-cluster').spec.kafka.listeners[1]
      .configuration.brokers;
    expect(brokers).toEqual([
      { broker: 0, nodePort: 32101, advertisedHost: '192.0.2.10', advertisedPort: 32101 },
    ]);
  });

  test('creates topics from config with replicas = min(3, brokers) by default', () => {
    const topics = ofKind(synth(resolved('prod')), 'KafkaTopic');
    expect(topics.map((t) => [t.metadata.name, t.spec.partitions, t.spec.replicas])).toEqual([
      ['stock-stream', 6, 3],
      ['signals', 3, 3],
    ]);
    expect(find(topics, 'KafkaTopic', 'signals').spec.config['retention.ms']).toBe(24 * 3_600_000);
    expect(find(synth(resolved('dev')), 'KafkaTopic', 'stock-stream').spec.replicas).toBe(1);
  });

  test('retention.ms is what Kafka accepts (-1 or a positive time): -1 hours keeps forever, the default is a week', () => {
    expect(retentionMs(-1)).toBe(-1);
    expect(retentionMs(undefined)).toBe(7 * 24 * 3_600_000);
    expect(retentionMs(1)).toBe(3_600_000);
    const base = resolved('prod');
    const env = {
      ...base,
      topics: base.topics.map((t, i) => ({ ...t, retentionHours: i === 0 ? -1 : t.retentionHours })),
    };
    const topics = ofKind(synth(env), 'KafkaTopic');
    expect(find(topics, 'KafkaTopic', base.topics[0].name).spec.config['retention.ms']).toBe(-1);
    for (const [, fixture] of fixtureEnvironments()) {
      for (const topic of ofKind(synth(fixture), 'KafkaTopic')) {
        const ms = topic.spec.config['retention.ms'];
        expect({
          topic: topic.metadata.name,
          ok: ms === -1 || (Number.isInteger(ms) && ms >= 3_600_000),
        }).toEqual({
          topic: topic.metadata.name,
          ok: true,
        });
      }
    }
  });

  test('gives the external SCRAM user read/write on the configured topics only', () => {
    const user = find(synth(resolved('prod')), 'KafkaUser', 'external-client');
    expect(user.metadata.labels).toEqual({ 'strimzi.io/cluster': 'trading-cluster' });
    expect(user.spec.authentication).toEqual({
      type: 'scram-sha-512',
      password: { valueFrom: { secretKeyRef: { name: 'external-client-password', key: 'password' } } },
    });
    const topicAcls = user.spec.authorization.acls.filter((a: Manifest) => a.resource.type === 'topic');
    expect(topicAcls.map((a: Manifest) => a.resource.name)).toEqual(['stock-stream', 'signals']);
    expect(topicAcls[0].operations).toEqual(['Describe', 'Read', 'Write']);
  });

  test('no client is a super user: the internal listener authenticates with SCRAM-SHA-512', () => {
    const kafka = find(synth(resolved('prod')), 'Kafka', 'trading-cluster').spec.kafka;
    expect(kafka.authorization).toEqual({ type: 'simple' });
    expect(kafka.listeners[0].authentication).toEqual({ type: 'scram-sha-512' });
    for (const listener of kafka.listeners) expect(listener.authentication).toBeDefined();
  });

  test.each([
    // server type, node GB -> memory request = limit, heap, CPU request
    ['cx33', 6656, 3328, 3500],
    ['ccx23', 14336, 6144, 3500],
    ['cpx22', 2560, 1280, 1500],
  ] as const)(
    'sizes brokers from the kafka server type %s (Burstable with a fixed heap, never BestEffort)',
    (serverType, memoryMib, heapMib, cpuMillis) => {
      const env = resolved('dev', { kafka: { count: 1, serverType } });
      const pool = find(synth(env), 'KafkaNodePool', 'dual-role').spec;
      expect(pool.resources).toEqual({
        requests: { cpu: `${cpuMillis}m`, memory: `${memoryMib}Mi` },
        limits: { memory: `${memoryMib}Mi` },
      });
      expect(pool.jvmOptions).toEqual({ '-Xms': `${heapMib}m`, '-Xmx': `${heapMib}m` });
      expect(kafkaBrokerSizing(SERVER_TYPES[serverType])).toEqual({ memoryMib, heapMib, cpuMillis });
      // the heap leaves room for off-heap memory and page cache inside the limit
      expect(heapMib).toBeLessThanOrEqual(memoryMib / 2);
    },
  );

  test('gives every trading app its own KafkaUser: ingestion produces, strategies consume in their group', () => {
    const users = ofKind(synth(resolved('prod')), 'KafkaUser');
    expect(users.map((u) => u.metadata.name).sort()).toEqual([
      'app-market-data-ingest',
      'app-momentum-strategy',
      'external-client',
    ]);
    const ingest = find(users, 'KafkaUser', 'app-market-data-ingest').spec;
    expect(ingest.authentication).toEqual({
      type: 'scram-sha-512',
      password: { valueFrom: { secretKeyRef: { name: 'app-market-data-ingest-password', key: 'password' } } },
    });
    expect(
      ingest.authorization.acls.map((a: Manifest) => [a.resource.type, a.resource.name, a.operations]),
    ).toEqual([
      ['topic', 'stock-stream', ['Describe', 'Write']],
      ['topic', 'signals', ['Describe', 'Write']],
    ]);
    const strategy = find(users, 'KafkaUser', 'app-momentum-strategy').spec.authorization.acls;
    expect(
      strategy.map((a: Manifest) => [a.resource.type, a.resource.name, a.resource.patternType, a.operations]),
    ).toEqual([
      ['topic', 'stock-stream', 'literal', ['Describe', 'Read']],
      ['topic', 'signals', 'literal', ['Describe', 'Read']],
      ['group', 'momentum-strategy', 'prefix', ['Read']],
    ]);
    // no consumer may write, no producer may read
    expect(JSON.stringify(strategy)).not.toContain('Write');
  });

  test("limits an app's ACLs to the topics it lists", () => {
    const env = resolved('prod', {
      tradingApps: [{ name: 'sig', kind: 'strategies', image: 'example/sig:1', topics: ['signals'] }],
    });
    const acls = find(synth(env), 'KafkaUser', 'app-sig').spec.authorization.acls;
    expect(acls.map((a: Manifest) => a.resource.name)).toEqual(['signals', 'sig']);
  });

  describe.each(fixtureEnvironments())('for environment %s', (_name, env) => {
    const chart = new KafkaChart(Testing.app(), 'kafka', { env });
    const manifests = Testing.synth(chart);

    test('Strimzi generates neither CA: both come from the persistent identity', () => {
      const spec = find(manifests, 'Kafka', 'trading-cluster').spec;
      expect(spec.clusterCa).toEqual({ generateCertificateAuthority: false });
      expect(spec.clientsCa).toEqual({ generateCertificateAuthority: false });
    });

    test('every KafkaUser reads its password from its own Secret, and userNames lists them all', () => {
      const users = ofKind(manifests, 'KafkaUser');
      expect(users.map((u) => u.metadata.name)).toEqual(chart.userNames);
      expect(chart.userNames).toEqual([...env.tradingApps.map((a) => `app-${a.name}`), 'external-client']);
      for (const user of users) {
        expect(user.spec.authentication).toEqual({
          type: 'scram-sha-512',
          password: {
            valueFrom: { secretKeyRef: { name: `${user.metadata.name}-password`, key: 'password' } },
          },
        });
      }
    });
  });

  test("refuses a KafkaUser whose Secret would overwrite another user's password Secret", () => {
    const image = 'example/x:1';
    const env = resolved('dev', {
      tradingApps: [
        { name: 'x', kind: 'ingestion', image },
        { name: 'x-password', kind: 'strategies', image },
      ],
    });
    expect(() => synth(env)).toThrow(
      "KafkaUser 'app-x-password' would overwrite the password Secret of KafkaUser 'app-x' (Strimzi writes a Secret named after each user); rename one of them",
    );
    expect(() => synth(resolved('dev'), { externalUserName: 'app-momentum-strategy' })).toThrow(
      "two KafkaUsers are named 'app-momentum-strategy'; rename the trading app or pass another externalUserName",
    );
  });

  describe("the chart's own guards (constructs used without a validated config)", () => {
    test('an app listing a topic that does not exist', () => {
      const env = unvalidated('dev', {
        tradingApps: [{ name: 'x', kind: 'ingestion', image: 'example/x:1', topics: ['nope'] }],
      });
      expect(() => synth(env)).toThrow(
        "trading app 'x' lists topic 'nope', which is not in topics; add it to topics or remove it from the app",
      );
    });

    test('kafka nodes of a server type whose memory is unknown', () => {
      const env = unvalidated('dev', { kafka: { count: 1, serverType: 'cx99' } });
      expect(() => synth(env)).toThrow(
        "kafka server type 'cx99' is not in lib/server-types.ts, so the brokers' memory and heap cannot be sized",
      );
    });

    test('a topic with more replicas than brokers', () => {
      const env = unvalidated('dev', { topics: [{ name: 'stock-stream', partitions: 6, replicas: 3 }] });
      expect(() => synth(env)).toThrow(
        "topic 'stock-stream' asks for 3 replicas but the cluster has 1 broker(s); set replicas to at most 1",
      );
    });

    test('a topic with no partitions', () => {
      const env = unvalidated('dev', { topics: [{ name: 'stock-stream', partitions: 0 }] });
      expect(() => synth(env)).toThrow(
        "topic 'stock-stream' has 0 partitions; give it at least 1 (e.g. partitions: 6)",
      );
    });

    test('an external listener without a stable address', () => {
      const env = { ...resolved('dev'), kafkaDnsName: undefined };
      expect(() => synth(env)).toThrow(
        "the external listener has no stable address: kafka-0's address is only known at deploy time; set kafkaDnsName in environments/dev.ts or pass externalAddress (the persistent Primary IP)",
      );
    });

    test('a kafka node count other than 1 or 3', () => {
      const prod = resolved('prod');
      const env = {
        ...prod,
        kafkaNodes: prod.kafkaNodes.slice(0, 2),
        kafkaExternalPorts: [32100, 32101, 32102],
      };
      expect(() => synth(env)).toThrow(
        'kafka node count must be 1 or 3 (KRaft controller quorum), got 2; set kafka.count to 1 or 3 in environments/prod.ts',
      );
    });
  });
});
