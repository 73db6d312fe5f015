import type { IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { attributesOf } from './attributes';

/** Policy: IPv6 is off on every server (the firewall and the design assume IPv4 only). */
export class Ipv6Off implements IAspect {
  visit(node: IConstruct): void {
    const server = attributesOf(node, 'hcloud_server');
    if (!server) return;
    const publicNet = (server.public_net as Array<{ ipv6_enabled?: unknown }> | undefined) ?? [];
    if (publicNet.length === 0 || publicNet.some((net) => net.ipv6_enabled !== false)) {
      node.node.addValidation({
        validate: () => [
          `server '${String(server.name)}' must set public_net { ipv6_enabled = false }; without it Hetzner gives it a public IPv6`,
        ],
      });
    }
  }
}
