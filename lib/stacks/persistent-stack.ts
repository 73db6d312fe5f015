import { Construct } from 'constructs';
import { TerraformOutput, TerraformStack } from 'cdktf';
import type { ResolvedEnvironment } from '../environment';
import { PersistentPrimaryIp } from '../persistent-primary-ip';
import { hcloudProvider } from '../providers';
import { configureBackend, type StateBackendConfig } from '../backend';

/** Props of {@link PersistentStack}. */
export interface PersistentStackProps {
  readonly environment: ResolvedEnvironment;
  /** @default - local state under `state/` */
  readonly backend?: StateBackendConfig;
  /**
   * Lift protection from the IPs so they can be destroyed (destroy-all only).
   * @default false
   */
  readonly allowDestroy?: boolean;
}

/**
 * What an environment keeps for months: Primary IPv4 #1 (control plane) and #2 (kafka-0).
 * Deployed once; the daily cycle never touches it. The cluster stack finds these IPs by
 * name, never through this stack's state.
 */
export class PersistentStack extends TerraformStack {
  /** Primary IP #1, for the first control plane (SSH, K3s API, ingress). */
  readonly controlPlaneIp: PersistentPrimaryIp;
  /** Primary IP #2, for kafka-0 (Kafka's external NodePorts). */
  readonly kafkaIp: PersistentPrimaryIp;

  constructor(scope: Construct, id: string, props: PersistentStackProps) {
    super(scope, id);
    const env = props.environment;
    configureBackend(this, id, props.backend ?? { kind: 'local' });
    hcloudProvider(this);

    const common = {
      location: env.location,
      environment: env.name,
      cluster: env.clusterName,
      allowDestroy: props.allowDestroy ?? false,
    };
    // Construct ids 'control-plane-ipv4' and 'kafka-ipv4' are Terraform addresses: renaming
    // one would destroy the IP and change the public address (pinned by tests).
    this.controlPlaneIp = new PersistentPrimaryIp(this, 'control-plane-ipv4', {
      ...common,
      name: env.controlPlaneIpName,
      role: 'control-plane',
    });
    this.kafkaIp = new PersistentPrimaryIp(this, 'kafka-ipv4', {
      ...common,
      name: env.kafkaIpName,
      role: 'kafka',
    });

    new TerraformOutput(this, 'control_plane_ipv4', {
      value: this.controlPlaneIp.ipAddress,
      description: `Primary IP #1 (${env.controlPlaneIpName}): control plane, K3s API, SSH`,
    });
    new TerraformOutput(this, 'kafka_ipv4', {
      value: this.kafkaIp.ipAddress,
      description: `Primary IP #2 (${env.kafkaIpName}): kafka-0, Kafka external NodePorts`,
    });
  }
}
