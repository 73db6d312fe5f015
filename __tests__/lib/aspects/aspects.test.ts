import { Aspects, Testing, TerraformStack } from 'cdktf';
import { Firewall } from '../../../.gen/providers/hcloud/firewall';
import { HcloudProvider } from '../../../.gen/providers/hcloud/provider';
import { Server } from '../../../.gen/providers/hcloud/server';
import { Ipv6Off } from '../../../lib/aspects/ipv6-off';
import { NoWorldAdminPorts } from '../../../lib/aspects/no-world-admin-ports';
import { PublicServersHaveFirewall } from '../../../lib/aspects/public-servers-have-firewall';

function stackWith(build: (stack: TerraformStack) => void, aspect: object): () => string {
  const stack = new TerraformStack(Testing.app(), 'policy');
  new HcloudProvider(stack, 'hcloud', {});
  build(stack);
  Aspects.of(stack).add(aspect as never);
  return () => Testing.synth(stack, true);
}

const server = (stack: TerraformStack, extra: Record<string, unknown>) =>
  new Server(stack, 'node', { name: 'node-1', serverType: 'cx23', image: 'ubuntu-24.04', ...extra });

describe('PublicServersHaveFirewall', () => {
  const publicNet = [{ ipv4Enabled: true, ipv6Enabled: false }];
  const privateNet = [{ ipv4Enabled: false, ipv6Enabled: false }];
  test('passes a public server with a firewall', () => {
    expect(
      stackWith((s) => server(s, { publicNet, firewallIds: [1] }), new PublicServersHaveFirewall()),
    ).not.toThrow();
  });
  test('passes a private-only server without one', () => {
    expect(
      stackWith((s) => server(s, { publicNet: privateNet }), new PublicServersHaveFirewall()),
    ).not.toThrow();
  });
  test('rejects a public server without a firewall, naming it', () => {
    expect(stackWith((s) => server(s, { publicNet }), new PublicServersHaveFirewall())).toThrow(
      /server 'node-1' has a public interface but no firewall/,
    );
  });
  test('rejects a firewall on a private-only server, as the API would', () => {
    expect(
      stackWith(
        (s) => server(s, { publicNet: privateNet, firewallIds: [1] }),
        new PublicServersHaveFirewall(),
      ),
    ).toThrow(
      /server 'node-1' has no public interface, so the API refuses its firewall \(private_net_only_server\)/,
    );
  });
});

describe('Ipv6Off', () => {
  test('passes a server with IPv6 off', () => {
    const publicNet = [{ ipv4Enabled: false, ipv6Enabled: false }];
    expect(stackWith((s) => server(s, { publicNet }), new Ipv6Off())).not.toThrow();
  });
  test('rejects a server that leaves IPv6 to the default', () => {
    expect(stackWith((s) => server(s, {}), new Ipv6Off())).toThrow(
      /server 'node-1' must set public_net \{ ipv6_enabled = false \}/,
    );
  });
});

describe('NoWorldAdminPorts', () => {
  const firewall =
    (sourceIps: string[], port = '22') =>
    (s: TerraformStack) =>
      new Firewall(s, 'fw', {
        name: 'fw-1',
        rule: [{ direction: 'in', protocol: 'tcp', port, sourceIps }],
      });
  test('passes SSH from a restricted CIDR', () => {
    expect(stackWith(firewall(['203.0.113.0/24']), new NoWorldAdminPorts())).not.toThrow();
  });
  test('rejects SSH from the whole internet', () => {
    expect(stackWith(firewall(['0.0.0.0/0']), new NoWorldAdminPorts())).toThrow(
      /firewall 'fw-1' opens admin port 22 to the whole internet \(sources 0.0.0.0\/0\); restrict source_ips or set allowWorldOpenAdminPorts: true/,
    );
  });
  test.each(['443', '80'])('rejects Traefik port %s (Argo CD) from the whole internet', (port) => {
    expect(stackWith(firewall(['0.0.0.0/0'], port), new NoWorldAdminPorts())).toThrow(
      new RegExp(`firewall 'fw-1' opens admin port ${port} to the whole internet`),
    );
  });
  test('rejects a world-open range or `any` that covers an admin port, naming the ports', () => {
    const range = stackWith(firewall(['0.0.0.0/0'], '1-1024'), new NoWorldAdminPorts());
    for (const port of [22, 443, 80])
      expect(range).toThrow(new RegExp(`opens admin port ${port} to the whole`));
    expect(stackWith(firewall(['::/0'], 'any'), new NoWorldAdminPorts())).toThrow(/opens admin port 6443/);
  });
  test('rejects sources whose union is the whole internet, across rules', () => {
    const halves = (s: TerraformStack) =>
      new Firewall(s, 'fw', {
        name: 'fw-1',
        rule: [
          { direction: 'in', protocol: 'tcp', port: '22', sourceIps: ['0.0.0.0/1'] },
          { direction: 'in', protocol: 'tcp', port: '1-1024', sourceIps: ['128.0.0.0/1'] },
        ],
      });
    expect(stackWith(halves, new NoWorldAdminPorts())).toThrow(
      /opens admin port 22 to the whole internet \(sources 0.0.0.0\/1, 128.0.0.0\/1\)/,
    );
    expect(stackWith(firewall(['0.0.0.0/1']), new NoWorldAdminPorts())).not.toThrow();
  });
  test('passes a world-open port that is not an admin port', () => {
    expect(stackWith(firewall(['0.0.0.0/0'], '32100'), new NoWorldAdminPorts())).not.toThrow();
  });
  test('accepts it after the explicit opt-in', () => {
    expect(stackWith(firewall(['::/0']), new NoWorldAdminPorts(true))).not.toThrow();
  });
});
