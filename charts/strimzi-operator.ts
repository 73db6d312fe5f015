import { Construct } from 'constructs';
import { ArgoApplication } from './argocd-application';
import { HELM_CHARTS, NAMESPACES, PRIORITY_CLASSES } from './constants';

/** Props of {@link StrimziOperatorApplication}. */
export interface StrimziOperatorApplicationProps {
  /**
   * Argo CD sync wave.
   * @default 1
   */
  readonly syncWave?: number;
}

/**
 * The Strimzi cluster operator, installed by Argo CD from the pinned OCI Helm chart into
 * `kafka` and watching only that namespace. Server-side apply: Strimzi's CRDs are too
 * large for the last-applied annotation of a client-side apply.
 */
export class StrimziOperatorApplication extends ArgoApplication {
  constructor(scope: Construct, id: string, props: StrimziOperatorApplicationProps = {}) {
    super(scope, id, {
      name: 'strimzi-operator',
      destinationNamespace: NAMESPACES.kafka,
      repoUrl: HELM_CHARTS.strimzi.repoUrl,
      chart: HELM_CHARTS.strimzi.chart,
      targetRevision: HELM_CHARTS.strimzi.version,
      syncWave: props.syncWave ?? 1,
      serverSideApply: true,
      helmValues: {
        watchNamespaces: [],
        watchAnyNamespace: false,
        priorityClassName: PRIORITY_CLASSES.kafka.name,
      },
    });
  }
}
