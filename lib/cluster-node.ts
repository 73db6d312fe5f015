import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { Server } from '../.gen/providers/hcloud/server';
import { READINESS_LABEL_KEYS } from './labels';

/** Props of {@link ClusterNode}. */
export interface ClusterNodeProps {
  readonly name: string;
  readonly serverType: string;
  /** @default 'ubuntu-24.04' */
  readonly image?: string;
  readonly location: string;
  readonly networkId: number;
  /** Fixed private IP in the cluster subnet. */
  readonly privateIp: string;
  /**
   * Id of the persistent Primary IPv4 this node carries.
   * @default - no public IPv4: the node reaches the internet through the NAT route
   */
  readonly primaryIpId?: number;
  /**
   * Firewalls of the public interface. Must be empty for a node without a public IPv4:
   * the API refuses firewalls on private-only servers (`private_net_only_server`), and
   * Hetzner firewalls do not filter private-network traffic anyway.
   */
  readonly firewallIds: readonly number[];
  readonly sshKeyIds: readonly string[];
  /** @default - no placement group */
  readonly placementGroupId?: number;
  readonly labels: Readonly<Record<string, string>>;
  /** cloud-init user data; the node installs and joins k3s by itself. */
  readonly userData: string;
  /** Resources that must exist first (the subnet; the egress route for private nodes). */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * One server of the cluster: private IP from the design, IPv6 off, a public IPv4 (and a
 * firewall on it) only when it carries a persistent Primary IP, its role's labels and
 * user data.
 */
export class ClusterNode extends Construct {
  readonly server: Server;
  /** Private IP in the cluster subnet. */
  readonly privateIp: string;

  constructor(scope: Construct, id: string, props: ClusterNodeProps) {
    super(scope, id);
    this.privateIp = props.privateIp;
    const hasPublicIpv4 = props.primaryIpId !== undefined;
    if (!hasPublicIpv4 && props.firewallIds.length > 0) {
      throw new Error(
        `server '${props.name}' has no public interface, so it cannot take a firewall (Hetzner answers private_net_only_server); drop its firewallIds`,
      );
    }
    this.server = new Server(this, 'server', {
      name: props.name,
      serverType: props.serverType,
      image: props.image ?? 'ubuntu-24.04',
      location: props.location,
      labels: { ...props.labels },
      userData: props.userData,
      sshKeys: [...props.sshKeyIds],
      firewallIds: props.firewallIds.length > 0 ? [...props.firewallIds] : undefined,
      placementGroupId: props.placementGroupId,
      publicNet: [
        hasPublicIpv4
          ? { ipv4Enabled: true, ipv4: props.primaryIpId, ipv6Enabled: false }
          : { ipv4Enabled: false, ipv6Enabled: false },
      ],
      network: [{ networkId: props.networkId, ip: props.privateIp }],
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
      // The readiness record the CLI writes after `up` (lib/labels.ts) is not configuration:
      // an apply must neither remove it nor plan a change for it.
      lifecycle: { ignoreChanges: READINESS_LABEL_KEYS.map((k) => `labels["${k}"]`) },
    });
  }
}
