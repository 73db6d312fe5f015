import { App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import type { ResolvedEnvironment } from '../lib/environment';
import type { ManifestFile } from '../templates/cloud-init';
import { kafkaCredentialsSecretName, kafkaPasswordSecretName, kafkaUserName, NAMESPACES } from './constants';

/** File name of the credentials manifest in k3s's auto-deploy folder. */
export const KAFKA_CREDENTIALS_FILE = 'kafka-credentials.yaml';

/** Props of {@link KafkaCredentialsChart}. */
export interface KafkaCredentialsChartProps {
  /** The environment: one pair of Secrets per trading app. */
  readonly env: ResolvedEnvironment;
  /**
   * Password of each trading app's KafkaUser, by app name: Terraform references
   * (`random_password` results), so the text never holds a real password.
   */
  readonly passwords: Readonly<Record<string, string>>;
}

/**
 * The Kafka credentials of the trading apps, two Secrets per app: `<user>-password` in
 * `kafka`, which the app's KafkaUser reads its SCRAM password from, and
 * `<app>-kafka-credentials` in the app's namespace, which its pods reference. A pod
 * cannot read a Secret of another namespace, and Strimzi's User Operator writes only into
 * `kafka`, so both come from one Terraform-generated password that k3s applies at boot.
 * Never rendered into the GitOps folder: secrets stay out of git.
 */
export class KafkaCredentialsChart extends Chart {
  constructor(scope: Construct, id: string, props: KafkaCredentialsChartProps) {
    super(scope, id);
    for (const app of props.env.tradingApps) {
      const password = props.passwords[app.name];
      if (password === undefined) {
        throw new Error(`no Kafka password given for trading app '${app.name}'; pass one per app`);
      }
      const username = kafkaUserName(app.name);
      const labels = { 'app.kubernetes.io/part-of': 'trading' };
      new k8s.KubeSecret(this, `${app.name}-password`, {
        metadata: { name: kafkaPasswordSecretName(app.name), namespace: NAMESPACES.kafka, labels },
        type: 'Opaque',
        stringData: { password },
      });
      new k8s.KubeSecret(this, `${app.name}-credentials`, {
        metadata: { name: kafkaCredentialsSecretName(app.name), namespace: app.kind, labels },
        type: 'Opaque',
        stringData: {
          username,
          password,
          'sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`,
        },
      });
    }
  }
}

/**
 * The credentials as one multi-document manifest for the first control plane's
 * auto-deploy folder. k3s re-applies it until the namespaces exist (the platform app
 * creates them). Values are not folded, so Terraform references survive intact.
 */
export function renderKafkaCredentials(
  env: ResolvedEnvironment,
  passwords: Readonly<Record<string, string>>,
): ManifestFile | undefined {
  if (env.tradingApps.length === 0) return undefined;
  const chart = new KafkaCredentialsChart(new App(), 'kafka-credentials', { env, passwords });
  const content = chart
    .toJson()
    .map((doc) => stringify(doc, { lineWidth: 0 }))
    .join('---\n');
  return { fileName: KAFKA_CREDENTIALS_FILE, content };
}
