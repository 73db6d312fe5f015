import { Chart, Testing } from 'cdk8s';
import { TradingApp, TradingAppsChart } from '../../charts/trading-app';
import { find, resolved, unvalidated } from './helpers';

const synthApp = (props: ConstructorParameters<typeof TradingApp>[2]) => {
  const chart = new Chart(Testing.app(), 'test');
  new TradingApp(chart, 'app', props);
  return Testing.synth(chart)[0];
};

describe('TradingApp', () => {
  test('runs on app nodes with the internal Kafka bootstrap, requests and a memory limit', () => {
    const d = synthApp({ name: 'ticks', namespace: 'ingestion', image: 'example/ticks:1' });
    expect(d.metadata).toEqual(expect.objectContaining({ name: 'ticks', namespace: 'ingestion' }));
    const pod = d.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ app: 'true' });
    expect(pod.priorityClassName).toBe('trading-high');
    const [c] = pod.containers;
    expect(c.image).toBe('example/ticks:1');
    expect(c.env).toEqual([
      {
        name: 'KAFKA_BOOTSTRAP_SERVERS',
        value: 'trading-cluster-kafka-bootstrap.kafka.svc.cluster.local:9092',
      },
      { name: 'KAFKA_SECURITY_PROTOCOL', value: 'SASL_PLAINTEXT' },
      { name: 'KAFKA_SASL_MECHANISM', value: 'SCRAM-SHA-512' },
      ...['username', 'password', 'sasl.jaas.config'].map((key) => ({
        name: `KAFKA_SASL_${key === 'sasl.jaas.config' ? 'JAAS_CONFIG' : key.toUpperCase()}`,
        valueFrom: { secretKeyRef: { name: 'ticks-kafka-credentials', key } },
      })),
    ]);
    expect(c.resources).toEqual({ requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '256Mi' } });
    expect(d.spec.replicas).toBe(1);
  });

  test('is hardened for Pod Security restricted: non-root, read-only root with a writable /tmp, no capabilities', () => {
    const pod = synthApp({ name: 'ticks', namespace: 'ingestion', image: 'example/ticks:1' }).spec.template
      .spec;
    expect(pod.securityContext).toEqual(
      expect.objectContaining({
        runAsNonRoot: true,
        runAsUser: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      }),
    );
    const [c] = pod.containers;
    expect(c.securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }]);
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  test('with one replica: no PodDisruptionBudget (it would block every drain) and no spread', () => {
    const chart = new Chart(Testing.app(), 'test');
    const app = new TradingApp(chart, 'app', { name: 'one', namespace: 'strategies', image: 'e/one:1' });
    expect(app.disruptionBudget).toBeUndefined();
    expect(Testing.synth(chart).map((m) => m.kind)).toEqual(['Deployment']);
    expect(app.deployment.toJson().spec.template.spec.topologySpreadConstraints).toBeUndefined();
  });

  test('with more replicas: a PodDisruptionBudget keeping all but one, and a spread across app nodes', () => {
    const chart = new Chart(Testing.app(), 'test');
    new TradingApp(chart, 'app', { name: 'two', namespace: 'strategies', image: 'e/two:1', replicas: 3 });
    const manifests = Testing.synth(chart);
    const pdb = find(manifests, 'PodDisruptionBudget', 'two', 'strategies');
    expect(pdb.spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'two' } },
    });
    const spread = find(manifests, 'Deployment', 'two').spec.template.spec.topologySpreadConstraints;
    expect(spread).toEqual([
      {
        topologyKey: 'kubernetes.io/hostname',
        maxSkew: 1,
        whenUnsatisfiable: 'DoNotSchedule',
        nodeTaintsPolicy: 'Honor',
        labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'two' } },
      },
    ]);
  });

  test('renders optional readiness (HTTP) and liveness (TCP) probes from config', () => {
    const [c] = synthApp({
      name: 'p',
      namespace: 'strategies',
      image: 'e/p:1',
      readinessProbe: { port: 8080, path: '/ready' },
      livenessProbe: { port: 8080, periodSeconds: 5, failureThreshold: 6 },
    }).spec.template.spec.containers;
    expect(c.readinessProbe).toEqual({
      httpGet: { path: '/ready', port: 8080 },
      periodSeconds: 10,
      initialDelaySeconds: 0,
      failureThreshold: 3,
    });
    expect(c.livenessProbe).toEqual({
      tcpSocket: { port: 8080 },
      periodSeconds: 5,
      initialDelaySeconds: 0,
      failureThreshold: 6,
    });
    const plain = synthApp({ name: 'q', namespace: 'strategies', image: 'e/q:1' }).spec.template.spec;
    expect(plain.containers[0].readinessProbe).toBeUndefined();
  });

  test.each([
    [{ runAsUser: 0 }, 'has runAsUser 0; use a non-root user id > 0'],
    [{ readinessProbe: { port: 0 } }, 'has readinessProbe.port 0; use a container port 1-65535'],
    [
      { livenessProbe: { port: 80, path: 'healthz' } },
      `has livenessProbe.path "healthz"; use an HTTP path starting with '/'`,
    ],
  ])('fails at synth on %j', (bad, message) => {
    expect(() => synthApp({ name: 'b', namespace: 'strategies', image: 'e/b:1', ...bad })).toThrow(message);
  });

  test('defaults strategies to trading-medium and takes an explicit priority class', () => {
    const base = { name: 's', namespace: 'strategies', image: 'example/s:1' } as const;
    expect(synthApp(base).spec.template.spec.priorityClassName).toBe('trading-medium');
    expect(synthApp({ ...base, priorityClassName: 'trading-low' }).spec.template.spec.priorityClassName).toBe(
      'trading-low',
    );
  });

  test('fails at synth on an unknown priority class, naming the allowed ones', () => {
    expect(() =>
      synthApp({ name: 's', namespace: 'strategies', image: 'example/s:1', priorityClassName: 'urgent' }),
    ).toThrow(
      "trading app 's' uses priority class 'urgent', which is unknown; use one of trading-high, trading-medium, trading-low",
    );
  });
});

describe('TradingAppsChart', () => {
  test('renders config.tradingApps into their namespaces with the configured image and size', () => {
    const manifests = Testing.synth(new TradingAppsChart(Testing.app(), 'apps', { env: resolved('prod') }));
    const ingest = find(manifests, 'Deployment', 'market-data-ingest', 'ingestion');
    expect(ingest.spec.replicas).toBe(2);
    expect(ingest.spec.template.spec.containers[0].resources.requests).toEqual({
      cpu: '1000m',
      memory: '1024Mi',
    });
    expect(
      find(manifests, 'Deployment', 'momentum-strategy', 'strategies').spec.template.spec.containers[0].image,
    ).toBe('ghcr.io/example-org/momentum-strategy:0.1.0');
  });

  test('rejects an unknown priority class coming from the environment config', () => {
    const env = unvalidated('dev', {
      tradingApps: [{ name: 'x', kind: 'strategies', image: 'example/x:1', priorityClass: 'kafka-critical' }],
    });
    expect(() => new TradingAppsChart(Testing.app(), 'apps', { env })).toThrow(
      "trading app 'x' uses priority class 'kafka-critical', which is unknown",
    );
  });
});
