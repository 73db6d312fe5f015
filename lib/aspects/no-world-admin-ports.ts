import type { IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { attributesOf } from './attributes';

const ADMIN_PORTS = ['22', '6443'];
const WORLD = ['0.0.0.0/0', '::/0'];

/**
 * Policy: no firewall rule opens SSH (22) or the K3s API (6443) to the whole internet,
 * unless the environment opted in with `allowWorldOpenAdminPorts`.
 */
export class NoWorldAdminPorts implements IAspect {
  constructor(private readonly allowWorld = false) {}

  visit(node: IConstruct): void {
    if (this.allowWorld) return;
    const firewall = attributesOf(node, 'hcloud_firewall');
    if (!firewall) return;
    const rules = (firewall.rule as Array<{ port?: string; source_ips?: string[] }> | undefined) ?? [];
    const open = rules.filter(
      (rule) =>
        ADMIN_PORTS.includes(String(rule.port)) && (rule.source_ips ?? []).some((ip) => WORLD.includes(ip)),
    );
    if (open.length > 0) {
      node.node.addValidation({
        validate: () =>
          open.map(
            (rule) =>
              `firewall '${String(firewall.name)}' opens port ${rule.port} to the whole internet; restrict source_ips or set allowWorldOpenAdminPorts: true in the environment`,
          ),
      });
    }
  }
}
