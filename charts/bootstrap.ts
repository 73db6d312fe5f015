import { App, Chart, ChartProps, Yaml } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import type { ResolvedEnvironment } from '../lib/environment';
import type { ManifestFile } from '../templates/cloud-init';
import { HelmChart } from '../imports/k3s-helmchart';
import { ArgoApplication } from './argocd-application';
import { argocdTlsSecretName, gitopsPath, HELM_CHARTS, NAMESPACES } from './constants';
import { GITOPS_FOLDERS } from './app-of-apps';

/** Name of the root Application of every environment. */
export const ROOT_APPLICATION_NAME = 'root';

/**
 * Argo CD health check for Applications. Argo CD stopped assessing Application health in
 * 1.8; without it, the sync waves of an app-of-apps do not wait for each child to be healthy.
 */
const APPLICATION_HEALTH_LUA = `hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil and obj.status.health ~= nil then
  hs.status = obj.status.health.status
  if obj.status.health.message ~= nil then
    hs.message = obj.status.health.message
  end
end
return hs
`;

/** The argocd-server Service: release `argocd` of the argo-cd chart, whose `nameOverride` is `argocd`. */
export const ARGOCD_SERVER_SERVICE = 'argocd-server';

/**
 * Argo CD's own URL (argocd-cm `url`) without a DNS name: the public IP is only known at
 * deploy time, so it is the address `kubectl port-forward svc/argocd-server -n argocd 8080:443`
 * gives (plain HTTP inside kubectl's TLS tunnel, as argocd-server runs with `server.insecure`).
 */
export const ARGOCD_PORT_FORWARD_URL = 'http://localhost:8080';

/**
 * Annotations that put the Argo CD route on k3s Traefik's `websecure` entrypoint (443) only,
 * as a TLS router. `spec.tls` alone only loads certificates; TLS on the router needs
 * `router.tls`. Without the entrypoint list the router would also serve `web` (80) in plain HTTP.
 */
export const TRAEFIK_TLS_ONLY_ANNOTATIONS = {
  'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
  'traefik.ingress.kubernetes.io/router.tls': 'true',
} as const;

/**
 * The Ingress to Argo CD's UI and API: TLS-only on Traefik's `websecure` entrypoint, with the
 * certificate Secret `argocdTlsSecretName` (default `argocd-ingress-tls`), which the identity
 * delivers at boot when it holds a UI certificate. Until that Secret exists, or when there is
 * none, Traefik serves its self-signed default certificate: its Ingress provider logs the
 * missing Secret and still builds the routes (traefik/traefik
 * pkg/provider/kubernetes/ingress/kubernetes.go, `getCertificates`). TLS ends
 * at Traefik, which reaches argocd-server on its plain-HTTP port (`server.insecure`), as
 * Argo CD documents for Traefik. The argocd CLI goes through it with `--grpc-web`.
 *
 * With `apiDnsName` the rule matches that host; without one it has no host and answers on
 * any name or address that reaches the control plane's public IP on 443.
 */
export function argocdIngress(env: ResolvedEnvironment): Record<string, unknown> {
  const host = env.apiDnsName;
  return k8s.KubeIngress.manifest({
    metadata: {
      name: ARGOCD_SERVER_SERVICE,
      namespace: NAMESPACES.argocd,
      annotations: { ...TRAEFIK_TLS_ONLY_ANNOTATIONS },
    },
    spec: {
      ingressClassName: 'traefik',
      rules: [
        {
          host,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: ARGOCD_SERVER_SERVICE, port: { name: 'http' } } },
              },
            ],
          },
        },
      ],
      tls: [{ hosts: host ? [host] : undefined, secretName: argocdTlsSecretName(env) }],
    },
  });
}

/** The argo-cd chart values used at bootstrap. Public Helm repositories only: no credentials. */
export function argocdHelmValues(env: ResolvedEnvironment): Record<string, unknown> {
  const repositories: Record<string, Record<string, string>> = {
    'strimzi-helm': {
      name: 'strimzi-helm',
      type: 'helm',
      url: HELM_CHARTS.strimzi.repoUrl,
      enableOCI: 'true',
    },
  };
  if (env.monitoring) {
    repositories['prometheus-community'] = {
      name: 'prometheus-community',
      type: 'helm',
      url: HELM_CHARTS.kubePrometheusStack.repoUrl,
    };
  }
  return {
    crds: { keep: true },
    dex: { enabled: false },
    // The chart derives argocd-cm `url` from it: https://<global.domain>.
    ...(env.apiDnsName ? { global: { domain: env.apiDnsName } } : {}),
    configs: {
      cm: {
        ...(env.apiDnsName ? {} : { url: ARGOCD_PORT_FORWARD_URL }),
        'resource.customizations.health.argoproj.io_Application': APPLICATION_HEALTH_LUA,
      },
      // TLS ends at k3s's Traefik (see argocdIngress).
      params: { 'server.insecure': true },
      repositories,
      // argocd-secret (admin password, its mtime, server.secretkey) comes from the persistent
      // identity (charts/identity-secrets.ts); the chart's would reset them on every install.
      secret: { createSecret: false },
    },
    // The chart's own Ingress always names a host (hostname, else global.domain), so it could
    // not serve the no-DNS case; ours comes in through extraObjects.
    server: { ingress: { enabled: false } },
    extraObjects: [argocdIngress(env)],
  };
}

/** Props of {@link BootstrapChart}. */
export interface BootstrapChartProps extends ChartProps {
  /** The environment: repository, branch and DNS name. */
  readonly env: ResolvedEnvironment;
}

/**
 * What a new cluster needs before Argo CD takes over, dropped by cloud-init into k3s's
 * auto-deploy folder: a k3s `HelmChart` installing Argo CD, and the environment's root
 * Application (app-of-apps over `gitops/<env>/apps`).
 */
export class BootstrapChart extends Chart {
  /** The k3s HelmChart installing Argo CD. */
  public readonly argocd: HelmChart;
  /** The root Application. */
  public readonly root: ArgoApplication;

  constructor(scope: Construct, id: string, props: BootstrapChartProps) {
    super(scope, id, props);
    const { env } = props;
    this.argocd = new HelmChart(this, 'argocd', {
      metadata: { name: 'argocd', namespace: 'kube-system' },
      spec: {
        repo: HELM_CHARTS.argocd.repoUrl,
        chart: HELM_CHARTS.argocd.chart,
        version: HELM_CHARTS.argocd.version,
        targetNamespace: NAMESPACES.argocd,
        createNamespace: true,
        valuesContent: stringify(argocdHelmValues(env), { lineWidth: 0 }),
      },
    });
    // In project `default`: the `trading` AppProject is itself synced by this Application.
    this.root = new ArgoApplication(this, 'root', {
      name: ROOT_APPLICATION_NAME,
      project: 'default',
      destinationNamespace: NAMESPACES.argocd,
      repoUrl: env.gitopsRepoUrl,
      targetRevision: env.gitopsBranch,
      path: gitopsPath(env.name, GITOPS_FOLDERS.apps),
    });
  }
}

/** File names in k3s's auto-deploy folder (`/var/lib/rancher/k3s/server/manifests/`). */
export const BOOTSTRAP_FILES = {
  argocd: 'gitops-argocd.yaml',
  root: 'gitops-root-application.yaml',
} as const;

/**
 * The bootstrap manifests for k3s's auto-deploy folder, one YAML text per file. The
 * cluster stack's cloud-init embeds them; k3s re-applies the root Application until the
 * Argo CD CRDs installed by the HelmChart exist.
 */
export function renderBootstrapManifests(env: ResolvedEnvironment): ManifestFile[] {
  const chart = new BootstrapChart(new App(), 'bootstrap', { env });
  return [
    { fileName: BOOTSTRAP_FILES.argocd, content: Yaml.stringify(chart.argocd.toJson()) },
    { fileName: BOOTSTRAP_FILES.root, content: Yaml.stringify(chart.root.application.toJson()) },
  ];
}
