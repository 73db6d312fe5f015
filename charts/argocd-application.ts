import { Construct } from 'constructs';
import { Application } from '../imports/argocd-application';
import { ARGOCD_PROJECT, IN_CLUSTER, NAMESPACES } from './constants';

/** Finalizer that makes Argo CD delete an Application's resources when the Application goes. */
export const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

/** Props of {@link ArgoApplication}: either a Git path or a Helm chart. */
export interface ArgoApplicationProps {
  /** Application name (in namespace `argocd`). */
  readonly name: string;
  /** Namespace the Application deploys into by default (created if missing). */
  readonly destinationNamespace: string;
  /** Git repository URL or Helm repository (`host/path` for OCI). */
  readonly repoUrl: string;
  /** Branch, tag or chart version. */
  readonly targetRevision: string;
  /**
   * Folder in the Git repository.
   * @default - none; set either `path` or `chart`
   */
  readonly path?: string;
  /**
   * Helm chart name in `repoUrl`.
   * @default - none; set either `path` or `chart`
   */
  readonly chart?: string;
  /**
   * Helm values.
   * @default - the chart's defaults
   */
  readonly helmValues?: Record<string, unknown>;
  /**
   * Argo CD sync wave: lower waves are synced (and healthy) before higher ones.
   * @default 0
   */
  readonly syncWave?: number;
  /**
   * Apply server-side (needed for large CRDs such as Strimzi's and Prometheus').
   * @default false
   */
  readonly serverSideApply?: boolean;
  /**
   * Argo CD project.
   * @default 'trading'
   */
  readonly project?: string;
  /**
   * More sync options, e.g. `SkipDryRunOnMissingResource=true`.
   * @default []
   */
  readonly extraSyncOptions?: readonly string[];
}

/**
 * An Argo CD Application with this repository's conventions: automated sync with prune
 * and self-heal, `CreateNamespace`, retries with backoff, the resources finalizer and a
 * sync wave.
 */
export class ArgoApplication extends Construct {
  /** The rendered Application. */
  public readonly application: Application;

  constructor(scope: Construct, id: string, props: ArgoApplicationProps) {
    super(scope, id);
    if (!props.path === !props.chart) {
      throw new Error(`Application '${props.name}' needs exactly one of path or chart`);
    }
    const syncOptions = [
      'CreateNamespace=true',
      ...(props.serverSideApply ? ['ServerSideApply=true'] : []),
      ...(props.extraSyncOptions ?? []),
    ];
    this.application = new Application(this, 'Resource', {
      metadata: {
        name: props.name,
        namespace: NAMESPACES.argocd,
        annotations: { 'argocd.argoproj.io/sync-wave': String(props.syncWave ?? 0) },
        finalizers: [RESOURCES_FINALIZER],
      },
      spec: {
        project: props.project ?? ARGOCD_PROJECT,
        source: {
          repoUrl: props.repoUrl,
          targetRevision: props.targetRevision,
          ...(props.path ? { path: props.path } : {}),
          ...(props.chart ? { chart: props.chart } : {}),
          ...(props.helmValues ? { helm: { valuesObject: props.helmValues } } : {}),
        },
        destination: { server: IN_CLUSTER, namespace: props.destinationNamespace },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions,
          retry: { limit: 10, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
        },
      },
    });
  }
}
