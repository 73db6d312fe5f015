import type { IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { attributesOf } from './attributes';

/**
 * Policy: every server with a public interface has a firewall, and no server without one
 * has a firewall (the API refuses that with `private_net_only_server`).
 */
export class PublicServersHaveFirewall implements IAspect {
  visit(node: IConstruct): void {
    const server = attributesOf(node, 'hcloud_server');
    if (!server) return;
    const firewalls = (server.firewall_ids as unknown[] | undefined) ?? [];
    const publicNet = (server.public_net as Array<{ ipv4_enabled?: unknown; ipv6_enabled?: unknown }>) ?? [];
    const isPublic =
      publicNet.length === 0 || publicNet.some((n) => n.ipv4_enabled !== false || n.ipv6_enabled !== false);
    const name = String(server.name);
    if (isPublic && firewalls.length === 0) {
      node.node.addValidation({
        validate: () => [`server '${name}' has a public interface but no firewall; pass firewallIds`],
      });
    } else if (!isPublic && firewalls.length > 0) {
      node.node.addValidation({
        validate: () => [
          `server '${name}' has no public interface, so the API refuses its firewall (private_net_only_server); drop firewall_ids`,
        ],
      });
    }
  }
}
