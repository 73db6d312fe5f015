import { Construct } from 'constructs';
import { ArgoApplication } from './argocd-application';
import {
  GRAFANA_ADMIN_SECRET,
  HELM_CHARTS,
  KAFKA_CLUSTER_NAME,
  MONITORING_REQUESTS,
  NAMESPACES,
  NODE_LABELS,
  PRIORITY_CLASSES,
} from './constants';

const resources = (r: { cpuMillis: number; memoryMib: number; memoryLimitMib: number }) => ({
  requests: { cpu: `${r.cpuMillis}m`, memory: `${r.memoryMib}Mi` },
  limits: { memory: `${r.memoryLimitMib}Mi` },
});

/** Props of {@link MonitoringApplication}. */
export interface MonitoringApplicationProps {
  /**
   * Argo CD sync wave: after every required app, so monitoring never gates trading.
   * @default 4
   */
  readonly syncWave?: number;
  /**
   * How long Prometheus keeps samples. The cluster is rebuilt every day, so a day is enough.
   * @default '1d'
   */
  readonly retention?: string;
}

/**
 * Prometheus and Grafana (kube-prometheus-stack) in `monitoring` at the lowest trading
 * priority, scraping Kafka's metrics (Strimzi metrics reporter on port `tcp-prometheus`)
 * and the Strimzi operator through PodMonitors declared in the chart values. Grafana's admin
 * login is the Secret `GRAFANA_ADMIN_SECRET`, delivered at boot.
 */
export class MonitoringApplication extends ArgoApplication {
  constructor(scope: Construct, id: string, props: MonitoringApplicationProps = {}) {
    const low = PRIORITY_CLASSES.low.name;
    const onAppNodes = { [NODE_LABELS.app.key]: NODE_LABELS.app.value };
    super(scope, id, {
      name: 'monitoring',
      destinationNamespace: NAMESPACES.monitoring,
      repoUrl: HELM_CHARTS.kubePrometheusStack.repoUrl,
      chart: HELM_CHARTS.kubePrometheusStack.chart,
      targetRevision: HELM_CHARTS.kubePrometheusStack.version,
      syncWave: props.syncWave ?? 4,
      serverSideApply: true,
      helmValues: {
        // k3s runs these inside its own process; their endpoints cannot be scraped.
        kubeControllerManager: { enabled: false },
        kubeScheduler: { enabled: false },
        kubeProxy: { enabled: false },
        kubeEtcd: { enabled: false },
        coreDns: { enabled: false },
        alertmanager: { enabled: false },
        prometheusOperator: { priorityClassName: low, nodeSelector: onAppNodes },
        'kube-state-metrics': { priorityClassName: low, nodeSelector: onAppNodes },
        'prometheus-node-exporter': { priorityClassName: low },
        grafana: {
          priorityClassName: low,
          nodeSelector: onAppNodes,
          resources: resources(MONITORING_REQUESTS.grafana),
          // The login from the persistent identity (charts/identity-secrets.ts), not a random
          // password the chart makes anew with every morning's cluster.
          admin: {
            existingSecret: GRAFANA_ADMIN_SECRET.name,
            userKey: GRAFANA_ADMIN_SECRET.userKey,
            passwordKey: GRAFANA_ADMIN_SECRET.passwordKey,
          },
        },
        prometheus: {
          prometheusSpec: {
            priorityClassName: low,
            nodeSelector: onAppNodes,
            retention: props.retention ?? '1d',
            resources: resources(MONITORING_REQUESTS.prometheus),
            podMonitorSelectorNilUsesHelmValues: false,
            serviceMonitorSelectorNilUsesHelmValues: false,
          },
          additionalPodMonitors: [
            {
              name: 'kafka-resources-metrics',
              namespaceSelector: { matchNames: [NAMESPACES.kafka] },
              selector: {
                matchLabels: { 'strimzi.io/cluster': KAFKA_CLUSTER_NAME },
                matchExpressions: [{ key: 'strimzi.io/kind', operator: 'In', values: ['Kafka'] }],
              },
              podMetricsEndpoints: [{ path: '/metrics', port: 'tcp-prometheus' }],
            },
            {
              name: 'strimzi-cluster-operator-metrics',
              namespaceSelector: { matchNames: [NAMESPACES.kafka] },
              selector: { matchLabels: { 'strimzi.io/kind': 'cluster-operator' } },
              podMetricsEndpoints: [{ path: '/metrics', port: 'http' }],
            },
          ],
        },
      },
    });
  }
}
