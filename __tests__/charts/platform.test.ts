import { Testing } from 'cdk8s';
import { computeQuotas, PlatformChart } from '../../charts/platform';
import { find, ofKind, resolved } from './helpers';

const synth = (env = resolved('prod')) =>
  Testing.synth(new PlatformChart(Testing.app(), 'platform', { env }));

describe('PlatformChart', () => {
  test('creates the five namespaces (prod, with monitoring) and keeps argocd out of pruning', () => {
    const manifests = synth();
    expect(ofKind(manifests, 'Namespace').map((n) => n.metadata.name)).toEqual([
      'kafka',
      'ingestion',
      'strategies',
      'monitoring',
      'argocd',
    ]);
    expect(find(manifests, 'Namespace', 'argocd').metadata.annotations).toEqual({
      'argocd.argoproj.io/sync-options': 'Delete=false,Prune=false',
    });
  });

  test('renders the monitoring namespace, quota and LimitRange only when monitoring is on', () => {
    const dev = synth(resolved('dev'));
    expect(resolved('dev').monitoring).toBe(false);
    expect(
      dev.filter((m) => m.metadata.name === 'monitoring' || m.metadata.namespace === 'monitoring'),
    ).toEqual([]);
    expect(ofKind(synth(), 'Namespace').map((n) => n.metadata.name)).toContain('monitoring');
  });

  test('enforces Pod Security restricted on the trading namespaces', () => {
    const manifests = synth();
    for (const ns of ['ingestion', 'strategies']) {
      expect(find(manifests, 'Namespace', ns).metadata.labels).toEqual({
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
      });
    }
    expect(find(manifests, 'Namespace', 'kafka').metadata.labels).toBeUndefined();
  });

  test('ranks priority classes kafka > trading-high > trading-medium > trading-low', () => {
    const pcs = ofKind(synth(), 'PriorityClass');
    const byValue = [...pcs].sort((a, b) => b.value - a.value).map((p) => p.metadata.name);
    expect(byValue).toEqual(['kafka-critical', 'trading-high', 'trading-medium', 'trading-low']);
    expect(pcs.every((p) => p.globalDefault === false)).toBe(true);
  });

  test('sizes quotas at 50/40/10 % of the app nodes (prod: 2 x cpx42 = 16 cores, 32 GB)', () => {
    const manifests = synth();
    const hard = (ns: string) => find(manifests, 'ResourceQuota', 'app-capacity-share', ns).spec.hard;
    expect(hard('ingestion')).toEqual({ 'requests.cpu': '8000m', 'requests.memory': '16384Mi' });
    expect(hard('strategies')).toEqual({ 'requests.cpu': '6400m', 'requests.memory': '13107Mi' });
    expect(hard('monitoring')).toEqual({ 'requests.cpu': '1600m', 'requests.memory': '3276Mi' });
  });

  test('sizes dev quotas from the control plane share when there are no app nodes', () => {
    const env = resolved('dev');
    expect(env.appNodes).toHaveLength(0);
    const quotas = computeQuotas(env.appCapacity, env.quotaPercent);
    expect(quotas.ingestion.cpuMillis).toBe(env.appCapacity.cores * 500);
    const hard = find(synth(env), 'ResourceQuota', 'app-capacity-share', 'ingestion').spec.hard;
    expect(hard['requests.cpu']).toBe(`${quotas.ingestion.cpuMillis}m`);
  });

  test("gives every quota'd namespace a LimitRange with default requests", () => {
    const ranges = ofKind(synth(), 'LimitRange');
    expect(ranges.map((r) => r.metadata.namespace).sort()).toEqual(['ingestion', 'monitoring', 'strategies']);
    for (const r of ranges)
      expect(r.spec.limits[0].defaultRequest).toEqual(
        expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
      );
  });

  test('injects no CPU limit (apps burst; a defaulted limit below a request is refused) and a memory default', () => {
    for (const r of ofKind(synth(), 'LimitRange')) {
      const [limits] = r.spec.limits;
      expect(limits.default).toEqual({ memory: expect.stringMatching(/^\d+Mi$/) });
      expect(limits.max).toEqual({ memory: expect.stringMatching(/^\d+Mi$/) });
    }
  });

  test('caps a container at the memory of one app node (prod: cpx42 = 16 GB; dev: half of cp-0)', () => {
    const max = (env = resolved('prod')) =>
      find(synth(env), 'LimitRange', 'container-defaults', 'ingestion').spec.limits[0].max.memory;
    expect(max()).toBe('16384Mi');
    expect(max(resolved('dev'))).toBe('4096Mi');
  });

  test('denies all traffic in trading namespaces except DNS, Kafka 9092 and scraping from monitoring', () => {
    const manifests = synth();
    for (const ns of ['ingestion', 'strategies']) {
      expect(find(manifests, 'NetworkPolicy', 'default-deny', ns).spec).toEqual({
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
      });
      const kafka = find(manifests, 'NetworkPolicy', 'allow-kafka', ns).spec.egress[0];
      expect(kafka.ports).toEqual([{ protocol: 'TCP', port: 9092 }]);
      expect(kafka.to[0].namespaceSelector.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'kafka' });
      expect(find(manifests, 'NetworkPolicy', 'allow-dns', ns).spec.egress[0].ports).toContainEqual({
        protocol: 'UDP',
        port: 53,
      });
      expect(find(manifests, 'NetworkPolicy', 'allow-monitoring-scrape', ns).spec.ingress[0].from[0]).toEqual(
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
        },
      );
    }
    expect(
      ofKind(manifests, 'NetworkPolicy').filter((p) => p.metadata.name === 'allow-internet-egress'),
    ).toHaveLength(1);
  });

  test('fails with the value and the fix when quota shares exceed 100 %', () => {
    const env = { ...resolved('prod'), quotaPercent: { ingestion: 60, strategies: 40, monitoring: 10 } };
    expect(() => synth(env)).toThrow(
      'quota shares are over 100 % of the app capacity: ingestion 60 + strategies 40 + monitoring 10 = 110 %; lower quotaPercent so the shares add up to at most 100',
    );
  });
});
