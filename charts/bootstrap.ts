import { App, Chart, ChartProps, Yaml } from 'cdk8s';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import type { ResolvedEnvironment } from '../lib/environment';
import type { ManifestFile } from '../templates/cloud-init';
import { HelmChart } from '../imports/k3s-helmchart';
import { ArgoApplication } from './argocd-application';
import { gitopsPath, HELM_CHARTS, NAMESPACES } from './constants';
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
    configs: {
      cm: { 'resource.customizations.health.argoproj.io_Application': APPLICATION_HEALTH_LUA },
      // TLS ends at k3s's Traefik ingress.
      params: { 'server.insecure': true },
      repositories,
    },
    ...(env.apiDnsName
      ? { server: { ingress: { enabled: true, ingressClassName: 'traefik', hostname: env.apiDnsName } } }
      : {}),
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
