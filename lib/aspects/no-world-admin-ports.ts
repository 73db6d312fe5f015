import type { IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { attributesOf } from './attributes';

/**
 * SSH, the K3s API, and the two ports of k3s's Traefik: 443 serves Argo CD, which deploys
 * anything into the cluster, and 80 would serve any Ingress in plain HTTP.
 */
const ADMIN_PORTS = [22, 6443, 443, 80];
const WORLD = ['0.0.0.0/0', '::/0'];

/** The admin ports a rule's `port` opens: one port (`22`), a range (`1-1024`) or `any`. */
function adminPortsIn(port: string | undefined): number[] {
  if (port === undefined) return [];
  if (port === 'any') return ADMIN_PORTS;
  const [from, to = from] = port.split('-').map(Number);
  return ADMIN_PORTS.filter((p) => from <= p && p <= to);
}

/**
 * Policy: no firewall rule opens SSH (22), the K3s API (6443) or Traefik (443 with Argo CD,
 * 80) to the whole internet, unless the environment opted in with `allowWorldOpenAdminPorts`.
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
        adminPortsIn(rule.port).length > 0 && (rule.source_ips ?? []).some((ip) => WORLD.includes(ip)),
    );
    if (open.length > 0) {
      node.node.addValidation({
        validate: () =>
          open.map((rule) => {
            const ports = adminPortsIn(rule.port);
            const which = rule.port === String(ports[0]) ? '' : ` (admin ports ${ports.join(', ')})`;
            return `firewall '${String(firewall.name)}' opens port ${rule.port}${which} to the whole internet; restrict source_ips or set allowWorldOpenAdminPorts: true in the environment`;
          }),
      });
    }
  }
}
