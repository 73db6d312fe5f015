import { dev, prod } from '../../environments';
import type { EnvironmentConfig } from '../../environments/types';
import { EnvironmentConfigError, environmentProblems, resolveEnvironment } from '../../lib/environment';

function expectRejected(overrides: Partial<EnvironmentConfig>, message: string | RegExp, base = dev): void {
  const config = { ...base, ...overrides } as EnvironmentConfig;
  const problems = environmentProblems(config);
  expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  expect(() => resolveEnvironment(config)).toThrow(EnvironmentConfigError);
}

describe('shipped environments', () => {
  test.each([dev, prod])('$name is valid', (config) => {
    expect(environmentProblems(config)).toEqual([]);
  });

  test('dev resolves to the designed topology', () => {
    const env = resolveEnvironment(dev);
    expect(env.controlPlanes.map((s) => s.privateIp)).toEqual(['10.0.1.10']);
    expect(env.kafkaNodes.map((s) => s.privateIp)).toEqual(['10.0.1.20']);
    expect(env.appNodes).toEqual([]);
    expect(env.networkGateway).toBe('10.0.0.1');
    expect(env.controlPlaneIpName).toBe('trading-dev-control-plane-ipv4');
    expect(env.kafkaIpName).toBe('trading-dev-kafka-ipv4');
    expect(env.kafkaExternalPorts).toEqual([32100, 32101]);
  });

  test('prod resolves three kafka nodes and its app nodes from .30', () => {
    const env = resolveEnvironment(prod);
    expect(env.kafkaNodes.map((s) => s.privateIp)).toEqual(['10.1.1.20', '10.1.1.21', '10.1.1.22']);
    expect(env.appNodes.map((s) => s.privateIp)).toEqual(['10.1.1.30', '10.1.1.31']);
    expect(env.kafkaExternalPorts).toEqual([32100, 32101, 32102, 32103]);
  });

  test('app capacity comes from the app server type times the count', () => {
    expect(resolveEnvironment(prod).appCapacity).toEqual({ cores: 16, memoryGb: 32 }); // 2 x cpx42
  });

  test('without app nodes, apps get half of the control plane by default', () => {
    expect(resolveEnvironment(dev).appCapacity).toEqual({ cores: 2, memoryGb: 4 }); // cx33 / 2
  });

  test('Argo CD is reachable from the K3s API CIDRs unless argocdAllowedCidrs says otherwise', () => {
    expect(resolveEnvironment(dev).argocdAllowedCidrs).toEqual(dev.apiAllowedCidrs);
    expect(
      resolveEnvironment({ ...dev, argocdAllowedCidrs: ['198.51.100.0/24'] }).argocdAllowedCidrs,
    ).toEqual(['198.51.100.0/24']);
    expect(resolveEnvironment({ ...dev, argocdAllowedCidrs: [] }).argocdAllowedCidrs).toEqual([]);
  });

  test('an HA control plane gets .10-.12', () => {
    const env = resolveEnvironment({ ...prod, controlPlane: { count: 3, serverType: 'cpx32' } });
    expect(env.controlPlanes.map((s) => s.privateIp)).toEqual(['10.1.1.10', '10.1.1.11', '10.1.1.12']);
  });
});

describe('validation rules reject bad configs with the value and the fix', () => {
  test('environment name', () => {
    expectRejected({ name: 'Dev_1' }, /name must be 1-20 lower-case letters.*got 'Dev_1'/);
  });
  test('empty environment name', () => {
    expectRejected({ name: '' }, /name must be .*got ''/);
  });
  test('cluster name', () => {
    expectRejected({ clusterName: 'Trading!' }, /clusterName must be .*got 'Trading!'/);
  });
  test('network CIDR syntax', () => {
    expectRejected(
      { networkCidr: '10.0.0.0/33' },
      /networkCidr '10.0.0.0\/33' is not an IPv4 CIDR; write e.g. '10.0.0.0\/16'/,
    );
  });
  test('network CIDR with host bits', () => {
    expectRejected(
      { networkCidr: '10.0.5.0/16' },
      /networkCidr '10.0.5.0\/16' has host bits set; use '10.0.0.0\/16'/,
    );
  });
  test('network outside private space', () => {
    expectRejected(
      { networkCidr: '8.8.0.0/16', subnetCidr: '8.8.1.0/24' },
      /not in private \(RFC 1918\) space/,
    );
  });
  test('subnet CIDR syntax', () => {
    expectRejected({ subnetCidr: '10.0.1/24' }, /subnetCidr '10.0.1\/24' is not an IPv4 CIDR/);
  });
  test('subnet inside the network', () => {
    expectRejected(
      { subnetCidr: '10.9.1.0/24', networkCidr: '10.0.0.0/16' },
      /subnetCidr '10.9.1.0\/24' is not inside networkCidr '10.0.0.0\/16'; pick a subnet of the network, e.g. '10.0.1.0\/24'/,
    );
  });
  test('control plane count 1 or 3', () => {
    expectRejected(
      { controlPlane: { count: 2, serverType: 'cx33' } },
      /controlPlane.count must be 1 or 3 \(a single server, or 3 for an etcd quorum\), got 2/,
    );
  });
  test('kafka count 1 or 3', () => {
    expectRejected(
      { kafka: { count: 2, serverType: 'cx33' } },
      /kafka.count must be 1 or 3 \(KRaft controller quorum\), got 2/,
    );
  });
  test('app count is a whole number', () => {
    expectRejected(
      { apps: { count: -1, serverType: 'cx33' } },
      /apps.count must be a whole number >= 0, got -1/,
    );
  });
  test('empty server type', () => {
    expectRejected(
      { kafka: { count: 1, serverType: ' ' } },
      /kafka.serverType must name a Hetzner server type such as 'cx33'/,
    );
  });
  test('retired server type names its successor', () => {
    expectRejected(
      { controlPlane: { count: 1, serverType: 'cx22' } },
      /controlPlane.serverType 'cx22' was retired .*use 'cx23'/,
    );
  });
  test('app nodes fit the subnet', () => {
    expectRejected(
      { subnetCidr: '10.0.1.0/26', apps: { count: 40, serverType: 'cx33' } },
      /appHostNumber 30 with 40 server\(s\) needs hosts up to .69, but subnetCidr '10.0.1.0\/26' only has hosts up to 10.0.1.62/,
    );
  });
  test('fixed private IPs are unique', () => {
    expectRejected(
      {
        kafka: { count: 3, serverType: 'cx33' },
        kafkaHostNumber: 11,
        controlPlane: { count: 3, serverType: 'cx33' },
      },
      /private IP 10.0.1.11 is given to both controlPlaneHostNumber and kafkaHostNumber/,
    );
  });
  test('fixed private IPs stay off the subnet and gateway addresses', () => {
    expectRejected(
      { controlPlaneHostNumber: 1 },
      /controlPlaneHostNumber must be a whole number >= 2.*got 1/,
    );
  });
  test('location belongs to the network zone', () => {
    expectRejected(
      { location: 'ash' },
      /location 'ash' is in network zone 'us-east', not 'eu-central'; set networkZone: 'us-east'/,
    );
  });
  test('unknown location', () => {
    expectRejected(
      { location: 'mars1' },
      /location must be a Hetzner location of network zone 'eu-central' \(fsn1, nbg1, hel1\), got 'mars1'/,
    );
  });
  test('unknown network zone', () => {
    expectRejected({ networkZone: 'eu-west' }, /networkZone must be one of .*got 'eu-west'/);
  });
  test('SSH open to the world needs an explicit opt-in', () => {
    expectRejected(
      { sshAllowedCidrs: ['0.0.0.0/0'] },
      /sshAllowedCidrs\[0\] '0.0.0.0\/0' opens SSH \(22\) to the whole internet; .*allowWorldOpenAdminPorts: true/,
    );
    expect(
      environmentProblems({ ...dev, sshAllowedCidrs: ['0.0.0.0/0'], allowWorldOpenAdminPorts: true }),
    ).toEqual([]);
  });
  test('K3s API open to the world (IPv6) needs an explicit opt-in', () => {
    expectRejected(
      { apiAllowedCidrs: ['::/0'] },
      /apiAllowedCidrs\[0\] '::\/0' opens the K3s API \(6443\) to the whole internet/,
    );
  });
  test('Argo CD open to the world needs an explicit opt-in', () => {
    expectRejected(
      { argocdAllowedCidrs: ['0.0.0.0/0'] },
      /argocdAllowedCidrs\[0\] '0.0.0.0\/0' opens Argo CD \(HTTPS 443\) to the whole internet; .*allowWorldOpenAdminPorts: true/,
    );
    expect(
      environmentProblems({ ...dev, argocdAllowedCidrs: ['0.0.0.0/0'], allowWorldOpenAdminPorts: true }),
    ).toEqual([]);
  });
  test('Argo CD CIDR syntax', () => {
    expectRejected(
      { argocdAllowedCidrs: ['office'] },
      /argocdAllowedCidrs\[0\] 'office' is not a CIDR; write it as 'a.b.c.d\/n'/,
    );
  });
  test('Argo CD TLS Secret name', () => {
    expectRejected(
      { argocdTlsSecretName: 'Argo_TLS' },
      /argocdTlsSecretName must be a Kubernetes Secret name .*got 'Argo_TLS'/,
    );
  });
  test('allowed CIDR syntax', () => {
    expectRejected(
      { kafkaAllowedCidrs: ['203.0.113.7'] },
      /kafkaAllowedCidrs\[0\] '203.0.113.7' is not a CIDR; write it as 'a.b.c.d\/n'/,
    );
  });
  test('allowed CIDR with host bits', () => {
    expectRejected(
      { sshAllowedCidrs: ['203.0.113.7/24'] },
      /sshAllowedCidrs\[0\] '203.0.113.7\/24' has host bits set; did you mean '203.0.113.7\/32'\?/,
    );
  });
  test('duplicate allowed CIDRs', () => {
    expectRejected(
      { sshAllowedCidrs: ['203.0.113.0/24', '203.0.113.0/24'] },
      /sshAllowedCidrs lists a CIDR twice/,
    );
  });
  test('k3s version format', () => {
    expectRejected(
      { k3sVersion: '1.34.1' },
      /k3sVersion must be a pinned k3s release like 'v1.34.1\+k3s1', got '1.34.1'/,
    );
  });
  test('empty image', () => {
    expectRejected({ image: '' }, /image must name an OS image such as 'ubuntu-24.04'/);
  });
  test('uptime hours', () => {
    expectRejected({ uptimeHoursPerDay: 25 }, /uptimeHoursPerDay must be between 1 and 24, got 25/);
  });
  test('kafka NodePorts fit the NodePort range', () => {
    expectRejected(
      { kafkaExternalBootstrapPort: 32767 },
      /kafkaExternalBootstrapPort must leave room for 1 broker port\(s\) in the NodePort range 30000-32767, got 32767/,
    );
  });
  test('DNS names', () => {
    expectRejected({ apiDnsName: 'not a name' }, /apiDnsName 'not a name' is not a DNS name/);
  });
  test('GitOps repository URL', () => {
    expectRejected(
      { gitopsRepoUrl: 'github.com/x/y' },
      /gitopsRepoUrl must be an https:\/\/, ssh:\/\/ or git@ URL/,
    );
  });
  test('GitOps branch', () => {
    expectRejected(
      { gitopsBranch: '' },
      /gitopsBranch must name a branch such as 'main' or 'production', got ''/,
    );
  });
  test('Kafka version supported by Strimzi 0.50.1', () => {
    expectRejected(
      { kafkaVersion: '3.9.0' },
      /kafkaVersion must be a Kafka 4.0.x release supported by Strimzi 0.50.1/,
    );
  });
  test('duplicate topic names', () => {
    expectRejected(
      {
        topics: [
          { name: 'ticks', partitions: 1 },
          { name: 'ticks', partitions: 2 },
        ],
      },
      /topic names must be unique; 'ticks' appears more than once/,
    );
  });
  test('empty topic name', () => {
    expectRejected(
      { topics: [{ name: '', partitions: 1 }] },
      /topics\[0\].name must be lower-case letters, digits, dots or dashes, got ''/,
    );
  });
  test('duplicate app names', () => {
    const app = { name: 'ingest', kind: 'ingestion', image: 'x:1' } as const;
    expectRejected(
      { tradingApps: [app, app] },
      /trading app names must be unique; 'ingest' appears more than once/,
    );
  });
  test('empty app name', () => {
    expectRejected(
      { tradingApps: [{ name: '', kind: 'ingestion', image: 'x:1' }] },
      /tradingApps\[0\].name must be a DNS label/,
    );
  });
  test('quota shares over 100 %', () => {
    expectRejected(
      { quotaPercent: { ingestion: 60, strategies: 40, monitoring: 10 } },
      /quotaPercent shares must be >= 0 and add up to at most 100 %, got .* = 110 %/,
    );
  });
  test('every broken rule is reported at once', () => {
    const problems = environmentProblems({ ...dev, name: 'X', kafka: { count: 2, serverType: 'cx33' } });
    expect(problems).toHaveLength(2);
  });
  test('an unknown server type without capacity cannot size quotas', () => {
    expect(() => resolveEnvironment({ ...dev, controlPlane: { count: 1, serverType: 'zz99' } })).toThrow(
      /server type 'zz99' is not in lib\/server-types.ts.*appCapacityOnControlPlane/,
    );
    expect(
      resolveEnvironment({
        ...dev,
        controlPlane: { count: 1, serverType: 'zz99' },
        appCapacityOnControlPlane: { cores: 1, memoryGb: 2 },
      }).appCapacity,
    ).toEqual({ cores: 1, memoryGb: 2 });
  });
});
