import type { ResolvedEnvironment } from './environment';

/** One inbound firewall rule, in the hcloud_firewall rule shape. */
export interface InboundRule {
  readonly description: string;
  readonly protocol: 'tcp' | 'udp' | 'icmp';
  /** Port or range (`32100-32103`); absent for ICMP. */
  readonly port?: string;
  readonly sourceIps: readonly string[];
}

const ANYWHERE = ['0.0.0.0/0', '::/0'];

/**
 * Inbound rules of the control plane's public interface: SSH, the K3s API and Argo CD
 * (HTTPS through k3s's Traefik) only from the configured CIDRs (no world access unless the
 * config opts in), and ICMP. Port 80 stays closed: Argo CD is served over TLS only. A rule
 * with no allowed CIDR is left out, which closes its port.
 */
export function controlPlaneRules(env: ResolvedEnvironment): InboundRule[] {
  return [
    { description: 'SSH from admin CIDRs', protocol: 'tcp', port: '22', sourceIps: env.sshAllowedCidrs },
    {
      description: 'K3s API from admin CIDRs',
      protocol: 'tcp',
      port: '6443',
      sourceIps: env.apiAllowedCidrs,
    },
    {
      description: 'Argo CD (HTTPS) from admin CIDRs',
      protocol: 'tcp',
      port: '443',
      sourceIps: env.argocdAllowedCidrs,
    },
    { description: 'ICMP', protocol: 'icmp', sourceIps: ANYWHERE },
  ].filter((rule) => rule.sourceIps.length > 0) as InboundRule[];
}

/**
 * Inbound rules of kafka-0's public interface: exactly Kafka's external NodePorts
 * (bootstrap, then one per broker), only from the configured CIDRs, and ICMP.
 */
export function kafkaExternalRules(env: ResolvedEnvironment): InboundRule[] {
  const ports = env.kafkaExternalPorts;
  const rules: InboundRule[] = ports.map((port, i) => ({
    description: i === 0 ? 'Kafka external bootstrap' : `Kafka external broker ${i - 1}`,
    protocol: 'tcp',
    port: String(port),
    sourceIps: env.kafkaAllowedCidrs,
  }));
  return [
    ...rules.filter((rule) => rule.sourceIps.length > 0),
    { description: 'ICMP', protocol: 'icmp', sourceIps: ANYWHERE },
  ];
}
