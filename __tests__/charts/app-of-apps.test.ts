import { Testing } from 'cdk8s';
import { AppOfAppsChart } from '../../charts/app-of-apps';
import type { ResolvedEnvironment } from '../../lib/environment';
import { find, ofKind, resolved } from './helpers';
import type { Manifest } from './helpers';

const synth = (env: ResolvedEnvironment) => Testing.synth(new AppOfAppsChart(Testing.app(), 'apps', { env }));
const wave = (app: Manifest) => Number(app.metadata.annotations['argocd.argoproj.io/sync-wave']);

describe('AppOfAppsChart', () => {
  test('syncs platform, operator, kafka, trading apps and, last, the optional monitoring', () => {
    const apps = ofKind(synth(resolved('prod')), 'Application');
    const order = [...apps].sort((a, b) => wave(a) - wave(b)).map((a) => a.metadata.name);
    expect(order).toEqual(['platform', 'strimzi-operator', 'kafka', 'trading-apps', 'monitoring']);
    expect(new Set(apps.map(wave)).size).toBe(apps.length);
  });

  test('every child is automated (prune + self-heal), creates its namespace and has the resources finalizer', () => {
    for (const app of ofKind(synth(resolved('prod')), 'Application')) {
      expect(app.metadata.namespace).toBe('argocd');
      expect(app.metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
      expect(app.spec.project).toBe('trading');
      expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
      expect(app.spec.syncPolicy.syncOptions).toContain('CreateNamespace=true');
    }
  });

  test('git children follow the environment branch and folder', () => {
    const dev = find(synth(resolved('dev')), 'Application', 'kafka').spec.source;
    expect(dev).toEqual({
      repoURL: 'https://github.com/example-org/hetzner-trading-cluster.git',
      targetRevision: 'main',
      path: 'gitops/dev/kafka',
    });
    expect(find(synth(resolved('prod')), 'Application', 'platform').spec.source.targetRevision).toBe(
      'production',
    );
  });

  test('installs the Strimzi 0.50.1 OCI chart server-side, watching kafka', () => {
    const app = find(synth(resolved('dev')), 'Application', 'strimzi-operator');
    expect(app.spec.source).toEqual(
      expect.objectContaining({
        repoURL: 'quay.io/strimzi-helm',
        chart: 'strimzi-kafka-operator',
        targetRevision: '0.50.1',
      }),
    );
    expect(app.spec.destination.namespace).toBe('kafka');
    expect(app.spec.syncPolicy.syncOptions).toContain('ServerSideApply=true');
  });

  test('deploys monitoring only where the config asks for it, at low priority, scraping Kafka', () => {
    expect(ofKind(synth(resolved('dev')), 'Application').map((a) => a.metadata.name)).not.toContain(
      'monitoring',
    );
    const values = find(synth(resolved('prod')), 'Application', 'monitoring').spec.source.helm.valuesObject;
    expect(values.prometheus.prometheusSpec.priorityClassName).toBe('trading-low');
    expect(values.prometheus.additionalPodMonitors[0]).toEqual(
      expect.objectContaining({
        namespaceSelector: { matchNames: ['kafka'] },
        podMetricsEndpoints: [{ path: '/metrics', port: 'tcp-prometheus' }],
      }),
    );
  });

  test('the AppProject limits sources, destinations and cluster-scoped kinds', () => {
    const project = find(synth(resolved('dev')), 'AppProject', 'trading');
    expect(wave(project)).toBeLessThan(0);
    expect(project.spec.sourceRepos).toEqual([
      'https://github.com/example-org/hetzner-trading-cluster.git',
      'quay.io/strimzi-helm',
    ]);
    expect(project.spec.destinations.map((d: Manifest) => d.namespace)).toEqual([
      'kafka',
      'ingestion',
      'strategies',
      'argocd',
    ]);
    expect(project.spec.clusterResourceWhitelist).toEqual(
      expect.arrayContaining([
        { group: '', kind: 'Namespace' },
        { group: 'scheduling.k8s.io', kind: 'PriorityClass' },
        { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
      ]),
    );
  });
});
