import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import type { ResolvedEnvironment } from '../lib/environment';
import { AppProject } from '../imports/argocd-appproject';
import { ArgoApplication } from './argocd-application';
import { ARGOCD_PROJECT, gitopsPath, GroupKind, HELM_CHARTS, IN_CLUSTER, NAMESPACES } from './constants';
import { PLATFORM_CLUSTER_KINDS, platformNamespaces } from './platform';
import { MonitoringApplication } from './monitoring';
import { StrimziOperatorApplication } from './strimzi-operator';

/** Folders under `gitops/<env>/`, one per child Application that syncs from Git. */
export const GITOPS_FOLDERS = {
  apps: 'apps',
  platform: 'platform',
  kafka: 'kafka',
  tradingApps: 'trading-apps',
  bootstrap: 'bootstrap',
} as const;

/**
 * Sync waves of the child Applications: each waits for the previous one to be healthy.
 * Optional apps come after everything trading needs: a child that never becomes healthy
 * blocks every later wave, and automated sync does not retry the same commit once its
 * retries are spent, so an optional app placed earlier could cost the trading day.
 */
export const SYNC_WAVES = {
  project: -1,
  platform: 0,
  operator: 1,
  kafka: 2,
  apps: 3,
  monitoring: 4,
} as const;

/** Child Applications an environment may turn off; they must never gate a required one. */
export const OPTIONAL_APPLICATIONS: readonly string[] = ['monitoring'];

/** Props of {@link AppOfAppsChart}. */
export interface AppOfAppsChartProps extends ChartProps {
  /** The environment: repository, branch and whether monitoring is on. */
  readonly env: ResolvedEnvironment;
}

/**
 * What the root Application syncs (`gitops/<env>/apps`): the AppProject that limits what
 * the children may deploy, and the child Applications in sync waves — platform, Strimzi
 * operator, Kafka, trading apps, and last the optional monitoring.
 */
export class AppOfAppsChart extends Chart {
  /** The child Applications, by name. */
  public readonly applications: Readonly<Record<string, ArgoApplication>>;

  constructor(scope: Construct, id: string, props: AppOfAppsChartProps) {
    super(scope, id, props);
    const { env } = props;

    const sourceRepos = [
      env.gitopsRepoUrl,
      HELM_CHARTS.strimzi.repoUrl,
      ...(env.monitoring ? [HELM_CHARTS.kubePrometheusStack.repoUrl] : []),
    ];
    // Exactly what is rendered: Argo CD refuses a whole sync when one object is not permitted.
    const namespaces = platformNamespaces(env);
    const helmCharts = [HELM_CHARTS.strimzi, ...(env.monitoring ? [HELM_CHARTS.kubePrometheusStack] : [])];
    const clusterKinds = new Map<string, GroupKind>();
    for (const gk of [...PLATFORM_CLUSTER_KINDS, ...helmCharts.flatMap((c) => c.clusterScopedKinds)]) {
      clusterKinds.set(`${gk.group}/${gk.kind}`, gk);
    }
    new AppProject(this, 'project', {
      metadata: {
        name: ARGOCD_PROJECT,
        namespace: NAMESPACES.argocd,
        annotations: { 'argocd.argoproj.io/sync-wave': String(SYNC_WAVES.project) },
      },
      spec: {
        description: `Trading platform of environment ${env.name}: only these repositories, namespaces and cluster kinds`,
        sourceRepos,
        destinations: namespaces.map((namespace) => ({ server: IN_CLUSTER, namespace })),
        // The platform's own kinds, plus the CRDs, RBAC and webhooks the Helm charts bring.
        clusterResourceWhitelist: [...clusterKinds.values()].map((gk) => ({ ...gk })),
      },
    });

    const fromGit = (folder: string) => ({
      repoUrl: env.gitopsRepoUrl,
      targetRevision: env.gitopsBranch,
      path: gitopsPath(env.name, folder),
    });
    const applications: Record<string, ArgoApplication> = {
      platform: new ArgoApplication(this, 'platform', {
        name: 'platform',
        destinationNamespace: NAMESPACES.argocd,
        syncWave: SYNC_WAVES.platform,
        ...fromGit(GITOPS_FOLDERS.platform),
      }),
      'strimzi-operator': new StrimziOperatorApplication(this, 'strimzi-operator', {
        syncWave: SYNC_WAVES.operator,
      }),
      kafka: new ArgoApplication(this, 'kafka', {
        name: 'kafka',
        destinationNamespace: NAMESPACES.kafka,
        syncWave: SYNC_WAVES.kafka,
        serverSideApply: true,
        // The Strimzi CRDs arrive with the operator one wave earlier.
        extraSyncOptions: ['SkipDryRunOnMissingResource=true'],
        ...fromGit(GITOPS_FOLDERS.kafka),
      }),
    };
    applications['trading-apps'] = new ArgoApplication(this, 'trading-apps', {
      name: 'trading-apps',
      destinationNamespace: NAMESPACES.strategies,
      syncWave: SYNC_WAVES.apps,
      ...fromGit(GITOPS_FOLDERS.tradingApps),
    });
    if (env.monitoring) {
      applications.monitoring = new MonitoringApplication(this, 'monitoring', {
        syncWave: SYNC_WAVES.monitoring,
      });
    }
    this.applications = applications;
  }
}
