import type { IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { Cidr, coversWholeInternet, parseCidr } from '../network';
import { attributesOf } from './attributes';

/**
 * SSH, the K3s API, and the two ports of k3s's Traefik: 443 serves Argo CD, which deploys
 * anything into the cluster, and 80 would serve any Ingress in plain HTTP.
 */
const ADMIN_PORTS = [22, 6443, 443, 80];

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
  constructor(private readonly allowWorld: boolean = false) {}

  visit(node: IConstruct): void {
    if (this.allowWorld === true) return;
    const firewall = attributesOf(node, 'hcloud_firewall');
    if (!firewall) return;
    const rules = (firewall.rule as Array<{ port?: string; source_ips?: string[] }> | undefined) ?? [];
    // Per admin port, the union of every rule's sources: two halves of the internet in two
    // rules (or one) open the port to everyone just as 0.0.0.0/0 does.
    const open = ADMIN_PORTS.flatMap((port) => {
      const sources = rules
        .filter((rule) => adminPortsIn(rule.port).includes(port))
        .flatMap((rule) => rule.source_ips ?? []);
      const cidrs = sources.map(parseCidr).filter((c): c is Cidr => c !== undefined);
      return coversWholeInternet(cidrs) ? [{ port, sources }] : [];
    });
    if (open.length > 0) {
      node.node.addValidation({
        validate: () =>
          open.map(
            ({ port, sources }) =>
              `firewall '${String(firewall.name)}' opens admin port ${port} to the whole internet (sources ${sources.join(', ')}); restrict source_ips or set allowWorldOpenAdminPorts: true in the environment`,
          ),
      });
    }
  }
}
