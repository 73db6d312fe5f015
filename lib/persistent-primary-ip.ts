import { Construct } from 'constructs';
import { PrimaryIp } from '../.gen/providers/hcloud/primary-ip';
import { ALERTED_LABEL, resourceLabels } from './labels';

/** Props of {@link PersistentPrimaryIp}. */
export interface PersistentPrimaryIpProps {
  /** Resource name, unique in the project; the cluster stack looks the IP up by it. */
  readonly name: string;
  /** Hetzner location the IP lives in; servers using it must be in the same location. */
  readonly location: string;
  readonly environment: string;
  readonly cluster: string;
  /** Role of the server this IP is for, e.g. `control-plane` or `kafka`. */
  readonly role: string;
  /**
   * Lift delete protection and `prevent_destroy`. Only the destroy-all path sets this,
   * after a typed confirmation; apply once with it, then destroy.
   * @default false
   */
  readonly allowDestroy?: boolean;
}

/**
 * A Primary IPv4 that outlives every server: `auto_delete = false` so deleting its server
 * only unassigns it, delete protection at Hetzner, and Terraform's `prevent_destroy` so a
 * plain `destroy` of its stack is refused. Removing it takes the explicit destroy-all path.
 *
 * The construct id is part of the Terraform address: renaming it would re-create the IP
 * and change the public address.
 */
export class PersistentPrimaryIp extends Construct {
  /** The underlying resource. */
  readonly resource: PrimaryIp;
  /** The public address (known after apply). */
  readonly ipAddress: string;
  /** Resource name, as looked up by the cluster stack. */
  readonly name: string;

  constructor(scope: Construct, id: string, props: PersistentPrimaryIpProps) {
    super(scope, id);
    this.name = props.name;
    this.resource = new PrimaryIp(this, 'ip', {
      name: props.name,
      type: 'ipv4',
      location: props.location,
      autoDelete: false,
      deleteProtection: !props.allowDestroy,
      labels: resourceLabels(props.environment, props.cluster, props.role, { persistent: 'true' }),
      // The CLI's notification marker (lib/labels.ts) is not configuration.
      lifecycle: { preventDestroy: !props.allowDestroy, ignoreChanges: [`labels["${ALERTED_LABEL}"]`] },
    });
    this.ipAddress = this.resource.ipAddress;
  }
}
