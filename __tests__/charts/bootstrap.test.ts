import { parse } from 'yaml';
import { renderBootstrapManifests } from '../../charts/bootstrap';
import { resolved } from './helpers';

describe('renderBootstrapManifests', () => {
  test('returns the Argo CD HelmChart and the root Application under stable file names', () => {
    const files = renderBootstrapManifests(resolved('dev'));
    expect(files.map((f) => f.fileName)).toEqual(['gitops-argocd.yaml', 'gitops-root-application.yaml']);
  });

  test('installs the pinned argo-cd chart into argocd through k3s helm-controller', () => {
    const [helm] = renderBootstrapManifests(resolved('prod'));
    const chart = parse(helm.content);
    expect(chart).toEqual(expect.objectContaining({ apiVersion: 'helm.cattle.io/v1', kind: 'HelmChart' }));
    expect(chart.metadata).toEqual({ name: 'argocd', namespace: 'kube-system' });
    expect(chart.spec).toEqual(
      expect.objectContaining({
        repo: 'https://argoproj.github.io/argo-helm',
        chart: 'argo-cd',
        version: '10.1.1',
        targetNamespace: 'argocd',
      }),
    );
    const values = parse(chart.spec.valuesContent);
    expect(values.configs.cm['resource.customizations.health.argoproj.io_Application']).toContain(
      'obj.status.health',
    );
    expect(values.configs.repositories['strimzi-helm']).toEqual(
      expect.objectContaining({ url: 'quay.io/strimzi-helm', enableOCI: 'true' }),
    );
  });

  test.each([
    ['dev', 'main'],
    ['prod', 'production'],
  ] as const)('the %s root Application follows %s over gitops/<env>/apps', (name, branch) => {
    const root = parse(renderBootstrapManifests(resolved(name))[1].content);
    expect(root.kind).toBe('Application');
    expect(root.metadata).toEqual(expect.objectContaining({ name: 'root', namespace: 'argocd' }));
    expect(root.spec.source).toEqual({
      repoURL: 'https://github.com/example-org/hetzner-trading-cluster.git',
      targetRevision: branch,
      path: `gitops/${name}/apps`,
    });
    expect(root.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
  });
});
