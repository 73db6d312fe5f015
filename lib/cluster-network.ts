import { Construct } from 'constructs';
import { Token } from 'cdktf';
import { Network } from '../.gen/providers/hcloud/network';
import { NetworkSubnet } from '../.gen/providers/hcloud/network-subnet';
import { NetworkRoute } from '../.gen/providers/hcloud/network-route';

/** Props of {@link ClusterNetwork}. */
export interface ClusterNetworkProps {
  readonly name: string;
  /** Network range, e.g. `10.0.0.0/16`. */
  readonly networkCidr: string;
  /** Cloud subnet the servers live in, e.g. `10.0.1.0/24`. */
  readonly subnetCidr: string;
  /** Network zone of the subnet, e.g. `eu-central`. */
  readonly networkZone: string;
  /**
   * Private IP of the NAT gateway (the first control plane). When set, a route sends
   * 0.0.0.0/0 there so private-only nodes reach the internet.
   * @default - no egress route
   */
  readonly natGatewayIp?: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A private network with one cloud subnet and, optionally, the egress route through a NAT node. */
export class ClusterNetwork extends Construct {
  readonly network: Network;
  readonly subnet: NetworkSubnet;
  /** The egress route, when a NAT gateway is given. */
  readonly egressRoute?: NetworkRoute;
  /** Numeric network id, for server attachments. */
  readonly networkId: number;

  constructor(scope: Construct, id: string, props: ClusterNetworkProps) {
    super(scope, id);
    this.network = new Network(this, 'network', {
      name: props.name,
      ipRange: props.networkCidr,
      labels: { ...props.labels },
    });
    this.networkId = Token.asNumber(this.network.id);
    this.subnet = new NetworkSubnet(this, 'subnet', {
      networkId: this.networkId,
      type: 'cloud',
      networkZone: props.networkZone,
      ipRange: props.subnetCidr,
    });
    if (props.natGatewayIp) {
      this.egressRoute = new NetworkRoute(this, 'egress', {
        networkId: this.networkId,
        destination: '0.0.0.0/0',
        gateway: props.natGatewayIp,
      });
    }
  }
}
