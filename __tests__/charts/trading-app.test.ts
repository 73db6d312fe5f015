import { Chart, Testing } from 'cdk8s';
import { TradingApp, TradingAppsChart } from '../../charts/trading-app';
import { find, resolved } from './helpers';

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
    ]);
    expect(c.resources).toEqual({ requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '256Mi' } });
    expect(d.spec.replicas).toBe(1);
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
    const env = resolved('dev', {
      tradingApps: [{ name: 'x', kind: 'strategies', image: 'example/x:1', priorityClass: 'kafka-critical' }],
    });
    expect(() => new TradingAppsChart(Testing.app(), 'apps', { env })).toThrow(
      "trading app 'x' uses priority class 'kafka-critical', which is unknown",
    );
  });
});
