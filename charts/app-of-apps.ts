import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import type { ResolvedEnvironment } from '../lib/environment';
import { AppProject } from '../imports/argocd-appproject';
import { ArgoApplication } from './argocd-application';
import { ARGOCD_PROJECT, gitopsPath, HELM_CHARTS, IN_CLUSTER, NAMESPACES } from './constants';
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

/** Sync waves of the child Applications: each waits for the previous one to be healthy. */
export const SYNC_WAVES = {
  project: -1,
  platform: 0,
  operator: 1,
  kafka: 2,
  monitoring: 3,
  apps: 4,
} as const;

/** Props of {@link AppOfAppsChart}. */
export interface AppOfAppsChartProps extends ChartProps {
  /** The environment: repository, branch and whether monitoring is on. */
  readonly env: ResolvedEnvironment;
}

/**
 * What the root Application syncs (`gitops/<env>/apps`): the AppProject that limits what
 * the children may deploy, and the child Applications in sync waves — platform, Strimzi
 * operator, Kafka, monitoring (optional), trading apps.
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
    const namespaces = Object.values(NAMESPACES).filter(
      (ns) => env.monitoring || ns !== NAMESPACES.monitoring,
    );
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
        clusterResourceWhitelist: [
          { group: '', kind: 'Namespace' },
          { group: 'scheduling.k8s.io', kind: 'PriorityClass' },
          // The Strimzi and Prometheus operators bring their CRDs and cluster-wide RBAC.
          { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
          { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
          { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
          ...(env.monitoring
            ? [
                { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration' },
                { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration' },
              ]
            : []),
        ],
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
    if (env.monitoring) {
      applications.monitoring = new MonitoringApplication(this, 'monitoring', {
        syncWave: SYNC_WAVES.monitoring,
      });
    }
    applications['trading-apps'] = new ArgoApplication(this, 'trading-apps', {
      name: 'trading-apps',
      destinationNamespace: NAMESPACES.strategies,
      syncWave: SYNC_WAVES.apps,
      ...fromGit(GITOPS_FOLDERS.tradingApps),
    });
    this.applications = applications;
  }
}
