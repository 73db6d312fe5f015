import type { IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { attributesOf } from './attributes';

/** Policy: every server is created with at least one firewall attached. */
export class ServersHaveFirewall implements IAspect {
  visit(node: IConstruct): void {
    const server = attributesOf(node, 'hcloud_server');
    if (!server) return;
    const firewalls = server.firewall_ids as unknown[] | undefined;
    if (!firewalls || firewalls.length === 0) {
      node.node.addValidation({
        validate: () => [
          `server '${String(server.name)}' has no firewall; pass firewallIds (every node gets one, even private-only nodes)`,
        ],
      });
    }
  }
}
