import { Testing } from 'cdktf';
import { dev, prod } from '../../environments';
import type { EnvironmentConfig } from '../../environments/types';
import { resolveEnvironment } from '../../lib/environment';
import { PersistentStack } from '../../lib/stacks/persistent-stack';
import { ClusterStack } from '../../lib/stacks/cluster-stack';
import { renderBootstrapManifests } from '../../charts/bootstrap';
import { parse as parseYaml } from 'yaml';
import { writeFileContent } from '../../templates/cloud-init';

interface TfJson {
  resource: Record<string, Record<string, Record<string, any>>>;
  data: Record<string, Record<string, Record<string, any>>>;
  output: Record<string, { value: unknown }>;
  terraform: Record<string, any>;
}

function persistent(config: EnvironmentConfig, allowDestroy = false): TfJson {
  const stack = new PersistentStack(Testing.app(), `${config.name}-persistent`, {
    environment: resolveEnvironment(config),
    allowDestroy,
  });
  return JSON.parse(Testing.synth(stack, true));
}

function cluster(config: EnvironmentConfig): TfJson {
  const env = resolveEnvironment(config);
  const stack = new ClusterStack(Testing.app(), config.name, {
    environment: env,
    bootstrapManifests: renderBootstrapManifests(env),
  });
  return JSON.parse(Testing.synth(stack, true));
}

/** The files cloud-init writes from a server's user data, by path, decoded. */
function writtenFiles(userData: string): Record<string, string> {
  const doc = parseYaml(userData) as { write_files: { path: string; content: string; encoding?: string }[] };
  // Content that is a Terraform reference is only known at apply.
  return Object.fromEntries(
    doc.write_files.map((f) => [f.path, f.content.startsWith('${') ? f.content : writeFileContent(f)]),
  );
}

const servers = (json: TfJson) => Object.values(json.resource.hcloud_server);
const serverNamed = (json: TfJson, name: string) => servers(json).find((s) => s.name === name)!;

describe('persistent stack', () => {
  const json = persistent(dev);

  test('holds exactly the two Primary IPs and the identity, nothing else', () => {
    expect(Object.keys(json.resource).sort()).toEqual(['hcloud_primary_ip', 'terraform_data']);
    expect(Object.keys(json.resource.terraform_data)).toEqual(['identity']);
    expect(Object.values(json.resource.hcloud_primary_ip).map((ip) => ip.name)).toEqual([
      'trading-dev-control-plane-ipv4',
      'trading-dev-kafka-ipv4',
    ]);
  });

  test('the IPs are not auto-deleted, are protected and cannot be destroyed by plan', () => {
    for (const ip of Object.values(json.resource.hcloud_primary_ip)) {
      expect(ip).toMatchObject({
        type: 'ipv4',
        location: 'fsn1',
        auto_delete: false,
        delete_protection: true,
        lifecycle: { prevent_destroy: true },
      });
    }
  });

  test('the IPs carry the standard labels', () => {
    const [cp, kafka] = Object.values(json.resource.hcloud_primary_ip);
    expect(cp.labels).toEqual({
      environment: 'dev',
      cluster: 'trading',
      role: 'control-plane',
      'managed-by': 'cdktf-hetzner-trading',
      persistent: 'true',
    });
    expect(kafka.labels.role).toBe('kafka');
  });

  test('Terraform addresses of the IPs are pinned: renaming a construct id would change the address', () => {
    expect(Object.keys(json.resource.hcloud_primary_ip)).toEqual([
      'control-plane-ipv4_ip_9498CEBA',
      'kafka-ipv4_ip_E1CA9265',
    ]);
  });

  test('only the explicit destroy-all path lifts the protection', () => {
    for (const ip of Object.values(persistent(dev, true).resource.hcloud_primary_ip)) {
      expect(ip).toMatchObject({ delete_protection: false, lifecycle: { prevent_destroy: false } });
    }
  });

  test('outputs both addresses and the identity, the latter sensitive', () => {
    expect(Object.keys(json.output).sort()).toEqual(['control_plane_ipv4', 'identity', 'kafka_ipv4']);
    expect(json.output.identity).toMatchObject({ sensitive: true });
  });

  test('the identity is kept in state from a sensitive, validated variable and outlives every daily destroy', () => {
    const identity = json.resource.terraform_data.identity;
    expect(identity.input).toBe('${var.identity}');
    expect(identity.lifecycle).toEqual({ prevent_destroy: true });
    expect(persistent(dev, true).resource.terraform_data.identity.lifecycle).toEqual({
      prevent_destroy: false,
    });
    const variable = (json as unknown as { variable: Record<string, any> }).variable.identity;
    expect(variable).toMatchObject({ type: 'string', sensitive: true });
    expect(variable.validation[0].condition).toContain('"dev"');
  });

  test('state and plans are encrypted with a key from the state passphrase, enforced', () => {
    const encryption = JSON.stringify(json.terraform.encryption);
    expect(encryption).toContain('var.state_passphrase');
    expect(encryption).toMatch(/"enforced":true/);
  });
});

describe('cluster stack', () => {
  const devJson = cluster(dev);
  const prodJson = cluster(prod);

  test('creates no Primary IP but looks both up by name', () => {
    for (const json of [devJson, prodJson]) {
      expect(json.resource.hcloud_primary_ip).toBeUndefined();
    }
    expect(Object.values(devJson.data.hcloud_primary_ip).map((d) => d.name)).toEqual([
      'trading-dev-control-plane-ipv4',
      'trading-dev-kafka-ipv4',
    ]);
  });

  test('never reads another stack state', () => {
    expect(devJson.data.terraform_remote_state).toBeUndefined();
  });

  test('every server has IPv6 off and the private IP from the design', () => {
    const ips = (json: TfJson) =>
      Object.fromEntries(servers(json).map((s) => [s.name, s.network.map((n: { ip: string }) => n.ip)]));
    expect(ips(devJson)).toEqual({ 'trading-dev-cp-0': ['10.0.1.10'], 'trading-dev-kafka-0': ['10.0.1.20'] });
    expect(ips(prodJson)).toEqual({
      'trading-prod-cp-0': ['10.1.1.10'],
      'trading-prod-kafka-0': ['10.1.1.20'],
      'trading-prod-kafka-1': ['10.1.1.21'],
      'trading-prod-kafka-2': ['10.1.1.22'],
      'trading-prod-app-0': ['10.1.1.30'],
      'trading-prod-app-1': ['10.1.1.31'],
    });
    for (const server of [...servers(devJson), ...servers(prodJson)]) {
      expect(server.public_net[0].ipv6_enabled).toBe(false);
    }
  });

  test('IP #1 goes to the control plane, IP #2 to kafka-0, no other node has a public IPv4', () => {
    const cpIp = '${data.hcloud_primary_ip.control-plane-ipv4.id}';
    const kafkaIp = '${data.hcloud_primary_ip.kafka-ipv4.id}';
    for (const server of servers(prodJson)) {
      const net = server.public_net[0];
      if (server.name === 'trading-prod-cp-0')
        expect(net).toEqual({ ipv4: cpIp, ipv4_enabled: true, ipv6_enabled: false });
      else if (server.name === 'trading-prod-kafka-0')
        expect(net).toEqual({ ipv4: kafkaIp, ipv4_enabled: true, ipv6_enabled: false });
      else expect(net).toEqual({ ipv4_enabled: false, ipv6_enabled: false });
    }
  });

  test('every server carries its role labels and user data; exactly the public ones a firewall', () => {
    for (const server of servers(prodJson)) {
      expect(server.labels).toMatchObject({
        environment: 'prod',
        cluster: 'trading',
        'managed-by': 'cdktf-hetzner-trading',
      });
      expect(['control-plane', 'kafka', 'app']).toContain(server.labels.role);
      // The API refuses firewalls on servers without a public interface (private_net_only_server).
      expect(server.firewall_ids?.length ?? 0).toBe(server.public_net[0].ipv4_enabled ? 1 : 0);
      expect(server.user_data).toMatch(/^#cloud-config\n/);
      expect(server.location).toBe('fsn1');
      expect(server.image).toBe('ubuntu-24.04');
    }
  });

  test('every labelled resource carries environment, cluster, role and managed-by', () => {
    for (const [type, resources] of Object.entries(prodJson.resource)) {
      for (const resource of Object.values(resources)) {
        if (!('labels' in resource)) continue;
        expect({ type, labels: Object.keys(resource.labels) }).toEqual({
          type,
          labels: expect.arrayContaining(['environment', 'cluster', 'role', 'managed-by']),
        });
      }
    }
  });

  test('no firewall opens SSH, the K3s API or Argo CD to the world', () => {
    for (const json of [devJson, prodJson]) {
      for (const firewall of Object.values(json.resource.hcloud_firewall)) {
        for (const rule of firewall.rule) {
          if (['22', '6443', '443', '80'].includes(rule.port)) {
            expect(rule.source_ips).toEqual(['203.0.113.0/24']);
          }
        }
      }
    }
  });

  describe('the control plane opens 443 (Argo CD over TLS) only to argocdAllowedCidrs, and never 80', () => {
    const controlPlaneTcp = (config: EnvironmentConfig) => {
      const firewall = Object.values(cluster(config).resource.hcloud_firewall).find(
        (f) => f.name === `trading-${config.name}-control-plane`,
      )!;
      return firewall.rule.filter((r: { protocol: string }) => r.protocol === 'tcp');
    };
    const sourcesOf443 = (config: EnvironmentConfig) =>
      controlPlaneTcp(config).find((r: { port: string }) => r.port === '443')?.source_ips;

    test('by default from the apiAllowedCidrs; port 80 stays closed', () => {
      expect(controlPlaneTcp(dev).map((r: { port: string }) => r.port)).toEqual(['22', '6443', '443']);
      expect(sourcesOf443(dev)).toEqual(dev.apiAllowedCidrs);
    });
    test('from argocdAllowedCidrs when set', () => {
      expect(sourcesOf443({ ...dev, argocdAllowedCidrs: ['198.51.100.0/24'] })).toEqual(['198.51.100.0/24']);
    });
    test('not at all with an empty list (port-forward only)', () => {
      expect(sourcesOf443({ ...dev, argocdAllowedCidrs: [] })).toBeUndefined();
    });
  });

  test('kafka-0 alone gets the firewall opening exactly the Kafka external NodePorts', () => {
    const firewalls = Object.entries(prodJson.resource.hcloud_firewall);
    const [kafkaId, kafka] = firewalls.find(([, f]) => f.name === 'trading-prod-kafka-external')!;
    const tcpPorts = kafka.rule
      .filter((r: { protocol: string }) => r.protocol === 'tcp')
      .map((r: { port: string }) => r.port);
    expect(tcpPorts).toEqual(['32100', '32101', '32102', '32103']);
    const ref = `\${hcloud_firewall.${kafkaId}.id}`;
    const using = servers(prodJson)
      .filter((s) => (s.firewall_ids ?? []).includes(ref))
      .map((s) => s.name);
    expect(using).toEqual(['trading-prod-kafka-0']);
  });

  test('private nodes reach the internet through a route via the control plane', () => {
    expect(Object.values(devJson.resource.hcloud_network_route)).toEqual([
      expect.objectContaining({ destination: '0.0.0.0/0', gateway: '10.0.1.10' }),
    ]);
    expect(Object.values(devJson.resource.hcloud_network)[0]).toMatchObject({ ip_range: '10.0.0.0/16' });
    expect(Object.values(devJson.resource.hcloud_network_subnet)[0]).toMatchObject({
      ip_range: '10.0.1.0/24',
      network_zone: 'eu-central',
      type: 'cloud',
    });
  });

  test('servers wait for the subnet; private-only servers also for the egress route', () => {
    expect(serverNamed(prodJson, 'trading-prod-cp-0').depends_on).toHaveLength(1);
    expect(serverNamed(prodJson, 'trading-prod-app-0').depends_on).toHaveLength(2);
  });

  test('kafka nodes are spread by a placement group when there are several', () => {
    expect(devJson.resource.hcloud_placement_group).toBeUndefined();
    const groups = Object.entries(prodJson.resource.hcloud_placement_group);
    expect(groups.map(([, g]) => [g.name, g.type])).toEqual([['trading-prod-kafka', 'spread']]);
    const kafka = servers(prodJson).filter((s) => s.labels.role === 'kafka');
    expect(new Set(kafka.map((s) => s.placement_group_id))).toEqual(
      new Set([`\${hcloud_placement_group.${groups[0][0]}.id}`]),
    );
  });

  test('an HA control plane: 3 servers, embedded etcd on the first, the others join it', () => {
    const json = cluster({ ...prod, controlPlane: { count: 3, serverType: 'cpx32' } });
    const cps = servers(json).filter((s) => s.labels.role === 'control-plane');
    expect(cps.map((s) => s.network[0].ip)).toEqual(['10.1.1.10', '10.1.1.11', '10.1.1.12']);
    expect(cps[0].user_data).toMatch(/cluster-init: true/);
    expect(cps[1].user_data).toMatch(/server: 'https:\/\/10\.1\.1\.10:6443'/);
    expect(cps[1].public_net[0].ipv4_enabled).toBe(false);
    expect(Object.values(json.resource.hcloud_placement_group).map((g) => g.name)).toContain(
      'trading-prod-control-plane',
    );
  });

  test('the k3s tokens come from the persistent identity and agents get only the agent token', () => {
    // Nothing secret is generated per cluster: a new one each morning would break every client.
    expect(prodJson.resource.random_password).toBeUndefined();
    expect((prodJson as unknown as { locals: Record<string, string> }).locals.boot).toBe(
      '${jsondecode(var.identity)}',
    );
    for (const cp of servers(prodJson).filter((s) => s.labels.role === 'control-plane')) {
      expect(cp.user_data).toContain("token: '${local.boot.token}'");
      expect(cp.user_data).toContain("agent-token: '${local.boot.agent_token}'");
    }
    for (const agent of servers(prodJson).filter((s) => s.labels.role !== 'control-plane')) {
      expect(agent.user_data).toContain("token: '${local.boot.agent_token}'");
      expect(agent.user_data).not.toContain('local.boot.token');
    }
  });

  test('every node gets its own persistent SSH host key; cloud-init makes none', () => {
    for (const json of [devJson, prodJson]) {
      for (const server of servers(json)) {
        expect(server.user_data).toContain(
          `ed25519_private: \${jsonencode(local.boot.host_keys["${server.name}"].private)}`,
        );
        expect(server.user_data).toMatch(/ssh_deletekeys: true/);
        expect(server.user_data).not.toMatch(/ssh_genkeytypes/);
        const others = servers(json).filter((o) => o.name !== server.name);
        for (const other of others) expect(server.user_data).not.toContain(`host_keys["${other.name}"]`);
      }
    }
  });

  test('kafka nodes are labelled and tainted at registration; app nodes labelled', () => {
    const kafka = serverNamed(prodJson, 'trading-prod-kafka-1').user_data;
    expect(kafka).toContain("- 'kafka=true'");
    expect(kafka).toContain("- 'dedicated=kafka:NoSchedule'");
    expect(serverNamed(prodJson, 'trading-prod-app-0').user_data).toContain("- 'app=true'");
    // dev has no app nodes: apps run on the control plane
    expect(serverNamed(devJson, 'trading-dev-cp-0').user_data).toContain("- 'app=true'");
  });

  test('with app nodes the control planes are tainted, so workloads stay off the server holding the token', () => {
    for (const cp of servers(prodJson).filter((s) => s.labels.role === 'control-plane')) {
      expect(cp.user_data).toContain("- 'node-role.kubernetes.io/control-plane:NoSchedule'");
      expect(cp.user_data).not.toContain("- 'app=true'");
    }
    // dev has no app nodes: its control plane runs the apps and stays untainted
    expect(serverNamed(devJson, 'trading-dev-cp-0').user_data).not.toContain('control-plane:NoSchedule');
  });

  test('only the first server gets the k3s CA files and the identity Secrets, as references', () => {
    for (const json of [devJson, prodJson]) {
      const [first, ...rest] = servers(json).filter((s) => s.labels.role === 'control-plane');
      for (const file of [
        'server-ca.crt',
        'server-ca.key',
        'client-ca.key',
        'etcd/peer-ca.key',
        'service.key',
      ]) {
        expect(first.user_data).toContain(`- path: /var/lib/rancher/k3s/server/tls/${file}`);
        expect(first.user_data).toContain(`content: \${jsonencode(local.boot.tls_files["${file}"])}`);
      }
      expect(first.user_data).toContain(
        '- path: /var/lib/rancher/k3s/server/manifests/identity-secrets.yaml',
      );
      // one Secret per KafkaUser and app: compressed at apply, so it scales with the config
      expect(first.user_data).toContain(
        'content: ${jsonencode(base64gzip(local.boot.manifests["identity-secrets.yaml"]))}\n    encoding: gz+b64\n',
      );
      for (const other of [...rest, ...servers(json).filter((s) => s.labels.role !== 'control-plane')]) {
        expect(other.user_data).not.toContain('local.boot.tls_files');
        expect(other.user_data).not.toContain('local.boot.manifests');
      }
    }
  });

  test("the control plane's user data carries the ArgoCD bootstrap", () => {
    const cp = serverNamed(devJson, 'trading-dev-cp-0').user_data;
    const written = writtenFiles(cp);
    expect(written['/var/lib/rancher/k3s/server/manifests/gitops-argocd.yaml']).toContain('kind: HelmChart');
    expect(cp).toContain('/var/lib/rancher/k3s/server/manifests/gitops-root-application.yaml');
    expect(serverNamed(devJson, 'trading-dev-kafka-0').user_data).not.toContain('HelmChart');
  });

  test('outputs the addresses, private IPs, DNS records and the SSH command', () => {
    expect(Object.keys(devJson.output).sort()).toEqual([
      'control_plane_public_ipv4',
      'dns_records',
      'kafka_external_bootstrap',
      'kafka_public_ipv4',
      'private_ips',
      'server_types',
      'ssh_command',
    ]);
    expect(devJson.output.dns_records.value).toEqual([
      {
        name: 'k3s.dev.example.com',
        type: 'A',
        value: '${data.hcloud_primary_ip.control-plane-ipv4.ip_address}',
      },
      { name: 'kafka.dev.example.com', type: 'A', value: '${data.hcloud_primary_ip.kafka-ipv4.ip_address}' },
    ]);
  });

  test('the SSH public key is a Terraform variable, not part of the synthesized JSON', () => {
    expect(Object.values(devJson.resource.hcloud_ssh_key)[0].public_key).toBe('${var.ssh_public_key}');
  });
});

describe('secrets', () => {
  test('nothing secret appears in plain text in the synthesized JSON', () => {
    const token = 'T'.repeat(64);
    const previous = process.env.HCLOUD_TOKEN;
    process.env.HCLOUD_TOKEN = token;
    try {
      const text = JSON.stringify([persistent(dev), cluster(dev), cluster(prod)]);
      expect(text).not.toContain(token);
      expect(text).not.toMatch(/PRIVATE KEY/);
      expect(text).not.toMatch(/BEGIN (EC |OPENSSH )?PRIVATE/);
      expect(text).not.toMatch(/K10[0-9a-f]{64}::/);
      // every token in user data is a reference to the identity, resolved only at apply time
      const tokenLines = text.match(/(agent-)?token: '[^']*'/g) ?? [];
      expect(tokenLines.length).toBeGreaterThan(0);
      for (const line of tokenLines) expect(line).toMatch(/token: '\$\{local\.boot\.(agent_)?token\}'/);
      // the hcloud provider block carries no token
      for (const json of [persistent(dev), cluster(dev)]) {
        expect(JSON.stringify(json.terraform)).not.toContain('token');
      }
    } finally {
      if (previous === undefined) delete process.env.HCLOUD_TOKEN;
      else process.env.HCLOUD_TOKEN = previous;
    }
  });
});
