import { parse } from 'yaml';
import { renderBootstrapManifests } from '../../charts/bootstrap';
import { fixtureEnvironments, resolved } from './helpers';

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

describe('reaching Argo CD', () => {
  type Values = Record<string, any>;
  const valuesOf = (env: ReturnType<typeof resolved>): Values =>
    parse(parse(renderBootstrapManifests(env)[0].content).spec.valuesContent);
  const ENTRYPOINTS = 'traefik.ingress.kubernetes.io/router.entrypoints';
  const ROUTER_TLS = 'traefik.ingress.kubernetes.io/router.tls';

  /** Every Ingress the argo-cd release creates: the chart's own (when enabled) and extraObjects. */
  function ingresses(values: Values): Values[] {
    const own = values.server?.ingress;
    const chartIngress = own?.enabled
      ? [{ kind: 'Ingress', metadata: { annotations: own.annotations ?? {} }, chart: own }]
      : [];
    const extra = ((values.extraObjects ?? []) as Values[]).filter((o) => o.kind === 'Ingress');
    return [...chartIngress, ...extra];
  }
  const theIngress = (values: Values): Values => {
    const all = ingresses(values);
    expect(all).toHaveLength(1);
    return all[0];
  };

  test.each(['dev', 'prod'] as const)(
    '%s: every route to the UI is a TLS router on Traefik websecure only, none on plain-HTTP web',
    (name) => {
      const all = ingresses(valuesOf(resolved(name)));
      expect(all.length).toBeGreaterThan(0);
      for (const ingress of all) {
        // Without an entrypoint list Traefik binds every entrypoint, web (80) included;
        // spec.tls alone does not make the router TLS, router.tls does.
        expect(ingress.metadata.annotations[ENTRYPOINTS]).toBe('websecure');
        expect(ingress.metadata.annotations[ROUTER_TLS]).toBe('true');
      }
    },
  );

  test('TLS ends at Traefik, which reaches argocd-server on its plain-HTTP port', () => {
    const values = valuesOf(resolved('dev'));
    expect(values.configs.params['server.insecure']).toBe(true);
    expect(theIngress(values).spec.rules[0].http.paths).toEqual([
      {
        path: '/',
        pathType: 'Prefix',
        backend: { service: { name: 'argocd-server', port: { name: 'http' } } },
      },
    ]);
  });

  test('the Ingress matches apiDnsName; without one it matches any host on the public IP', () => {
    expect(theIngress(valuesOf(resolved('dev'))).spec.rules[0].host).toBe('k3s.dev.example.com');
    const noDns = theIngress(valuesOf(resolved('dev', { apiDnsName: undefined })));
    expect(noDns.spec.rules).toHaveLength(1);
    expect(noDns.spec.rules[0]).not.toHaveProperty('host');
    expect(noDns.metadata.annotations[ENTRYPOINTS]).toBe('websecure');
  });

  test("the Ingress names the environment's TLS Secret, else argocd-ingress-tls, which the identity may deliver", () => {
    // Without that Secret Traefik logs it and serves its default certificate on the same routes.
    expect(theIngress(valuesOf(resolved('dev'))).spec.tls).toEqual([
      { hosts: ['k3s.dev.example.com'], secretName: 'argocd-ingress-tls' },
    ]);
    const own = theIngress(valuesOf(resolved('dev', { argocdTlsSecretName: 'argocd-tls' })));
    expect(own.metadata.namespace).toBe('argocd');
    expect(own.spec.tls).toEqual([{ hosts: ['k3s.dev.example.com'], secretName: 'argocd-tls' }]);
    const noDns = theIngress(valuesOf(resolved('dev', { apiDnsName: undefined })));
    expect(noDns.spec.tls).toEqual([{ secretName: 'argocd-ingress-tls' }]);
  });

  test.each(fixtureEnvironments())(
    '%s: the chart makes no argocd-secret (the identity delivers it)',
    (_name, env) => {
      expect(valuesOf(env).configs.secret).toEqual({ createSecret: false });
    },
  );

  test.each([
    ['dev', 'k3s.dev.example.com'],
    ['prod', 'k3s.prod.example.com'],
  ] as const)("%s: Argo CD's own URL is https://%s, not the chart's example domain", (name, host) => {
    const values = valuesOf(resolved(name));
    // argo-cd chart 7+ sets argocd-cm url to https://<global.domain> unless configs.cm.url is given.
    expect(values.global.domain).toBe(host);
    expect(values.configs.cm).not.toHaveProperty('url');
  });

  test("without apiDnsName, Argo CD's URL is the port-forward address, not the chart's example", () => {
    const values = valuesOf(resolved('dev', { apiDnsName: undefined }));
    expect(values.configs.cm.url).toBe('http://localhost:8080');
  });
});
