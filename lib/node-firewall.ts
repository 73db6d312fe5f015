import { Construct } from 'constructs';
import { Token } from 'cdktf';
import { Firewall } from '../.gen/providers/hcloud/firewall';
import type { InboundRule } from './firewall-rules';

/** Props of {@link NodeFirewall}. */
export interface NodeFirewallProps {
  readonly name: string;
  /** Inbound rules; anything not listed is dropped. Outbound is open. */
  readonly rules: readonly InboundRule[];
  readonly labels: Readonly<Record<string, string>>;
}

/** A Hetzner firewall for one kind of node, attached by the servers that use it. */
export class NodeFirewall extends Construct {
  readonly firewall: Firewall;
  /** Numeric id, for `firewall_ids` on servers. */
  readonly firewallId: number;

  constructor(scope: Construct, id: string, props: NodeFirewallProps) {
    super(scope, id);
    this.firewall = new Firewall(this, 'firewall', {
      name: props.name,
      labels: { ...props.labels },
      rule: props.rules.map((rule) => ({
        direction: 'in',
        description: rule.description,
        protocol: rule.protocol,
        port: rule.port,
        sourceIps: [...rule.sourceIps],
      })),
    });
    this.firewallId = Token.asNumber(this.firewall.id);
  }
}
