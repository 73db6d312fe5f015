import { Construct } from 'constructs';
import { DataResource, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import type { ResolvedEnvironment } from '../environment';
import { PersistentPrimaryIp } from '../persistent-primary-ip';
import { hcloudProvider } from '../providers';
import { configureBackend, type StateBackendConfig } from '../backend';
import { encryptState } from '../state-encryption';
import { IDENTITY_FORMAT } from '../identity-format';

/** Variable and output of the persistent stack that carry the identity (JSON, lib/identity.ts). */
export const IDENTITY_VARIABLE = 'identity';
/** Terraform address of the resource that keeps the identity in the (encrypted) state. */
export const IDENTITY_RESOURCE_ADDRESS = 'terraform_data.identity';

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
  /** The cluster's identity (CAs, keys, passwords), kept in this stack's encrypted state. */
  readonly identity: DataResource;

  constructor(scope: Construct, id: string, props: PersistentStackProps) {
    super(scope, id);
    const env = props.environment;
    configureBackend(this, id, props.backend ?? { kind: 'local' });
    encryptState(this);
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

    // The identity lives as long as the addresses: made once (`ops identity init`), kept in this
    // state (encrypted), removed only by destroy-all. The operator CLI passes the stored value
    // back on every apply of this stack, so the value changes only when the CLI changes it.
    const identityVar = new TerraformVariable(this, IDENTITY_VARIABLE, {
      type: 'string',
      sensitive: true,
      description: `The cluster identity of ${env.name} as JSON; the operator CLI sets it (npm run ops -- identity ${env.name}).`,
      validation: [
        {
          condition: `\${try(jsondecode(var.${IDENTITY_VARIABLE}).format, "") == "${IDENTITY_FORMAT}" && try(jsondecode(var.${IDENTITY_VARIABLE}).environment, "") == "${env.name}"}`,
          errorMessage: `identity must be the JSON identity of environment ${env.name} (format ${IDENTITY_FORMAT}); let the operator CLI pass it (npm run ops -- identity init ${env.name}).`,
        },
      ],
    });
    this.identity = new DataResource(this, 'identity-store', {
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
    // The address is the contract (terraform_data.identity; the construct id is the variable's).
    this.identity.overrideLogicalId('identity');
    // terraform_data takes any value; cdktf types `input` as a map, the identity is a string.
    this.identity.addOverride('input', identityVar.stringValue);
    new TerraformOutput(this, 'identity-output', {
      value: this.identity.output,
      sensitive: true,
      description: 'The cluster identity (JSON); read it with npm run ops -- identity.',
    }).overrideLogicalId(IDENTITY_VARIABLE);

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
