import { dev, prod } from '../../environments';
import type { EnvironmentConfig } from '../../environments/types';
import {
  EnvironmentConfigError,
  environmentProblems,
  resolveEnvironment,
  validateEnvironment,
} from '../../lib/environment';

/**
 * `overrides` on top of `base` (dev) is refused with EnvironmentConfigError, naming
 * `field` and with a message matching `message`. Overrides are `unknown`: configs come
 * from JSON and plain JS too, so the tests pass values of the wrong type on purpose.
 */
function expectRejected(
  overrides: Record<string, unknown>,
  field: string,
  message: string | RegExp,
  base: EnvironmentConfig = dev,
): void {
  const config = { ...base, ...overrides };
  let error: unknown;
  try {
    validateEnvironment(config);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(EnvironmentConfigError);
  const e = error as EnvironmentConfigError;
  expect(e.fields).toContain(field);
  expect(e.problems).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
}

/** dev with one trading app replaced by `app` (merged onto dev's first app). */
function withApp(app: Record<string, unknown>): Record<string, unknown> {
  return { tradingApps: [{ ...dev.tradingApps[0], ...app }] };
}

/** dev with one topic replaced by `topic` (merged onto dev's first topic). */
function withTopic(topic: Record<string, unknown>): Record<string, unknown> {
  return { topics: [{ ...dev.topics[0], ...topic }] };
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

describe('opt-ins and switches are booleans, never truthy strings', () => {
  test("allowWorldOpenAdminPorts: 'false' (a string) is refused, not read as an opt-in", () => {
    expectRejected(
      { allowWorldOpenAdminPorts: 'false', sshAllowedCidrs: ['0.0.0.0/0'] },
      'allowWorldOpenAdminPorts',
      /allowWorldOpenAdminPorts must be true or false \(a boolean.*got "false" \(string\)/,
    );
    expectRejected(
      { allowWorldOpenAdminPorts: 'false', sshAllowedCidrs: ['0.0.0.0/0'] },
      'sshAllowedCidrs[0]',
      /sshAllowedCidrs\[0\] '0.0.0.0\/0' opens SSH \(22\) to the whole internet/,
    );
  });
  test('allowWorldOpenAdminPorts: 1 is refused', () => {
    expectRejected({ allowWorldOpenAdminPorts: 1 }, 'allowWorldOpenAdminPorts', /got 1 \(number\)/);
  });
  test("monitoring: 'false' (a string) is refused, not read as on", () => {
    expectRejected(
      { monitoring: 'false' },
      'monitoring',
      /monitoring must be true or false.*got "false" \(string\)/,
    );
  });
});

describe('world-open admin ports need the boolean opt-in', () => {
  test('SSH open to the world', () => {
    expectRejected(
      { sshAllowedCidrs: ['0.0.0.0/0'] },
      'sshAllowedCidrs[0]',
      /sshAllowedCidrs\[0\] '0.0.0.0\/0' opens SSH \(22\) to the whole internet; .*allowWorldOpenAdminPorts: true/,
    );
    expect(
      environmentProblems({ ...dev, sshAllowedCidrs: ['0.0.0.0/0'], allowWorldOpenAdminPorts: true }),
    ).toEqual([]);
  });
  test('a CIDR list whose union is the whole internet (0.0.0.0/1 + 128.0.0.0/1)', () => {
    expectRejected(
      { sshAllowedCidrs: ['0.0.0.0/1', '128.0.0.0/1'] },
      'sshAllowedCidrs',
      /sshAllowedCidrs \["0.0.0.0\/1","128.0.0.0\/1"\] together cover the whole internet and open SSH \(22\) to it/,
    );
  });
  test('a union of nested and disjoint blocks that covers everything', () => {
    expectRejected(
      { apiAllowedCidrs: ['0.0.0.0/2', '64.0.0.0/2', '128.0.0.0/1', '10.0.0.0/8'] },
      'apiAllowedCidrs',
      /together cover the whole internet and open the K3s API \(6443\)/,
    );
  });
  test('half the internet is not the whole internet', () => {
    expect(environmentProblems({ ...dev, sshAllowedCidrs: ['0.0.0.0/1'] })).toEqual([]);
  });
  test('the IPv6 world (::/0 and a ::/1 pair)', () => {
    expectRejected({ apiAllowedCidrs: ['::/0'] }, 'apiAllowedCidrs[0]', /'::\/0' opens the K3s API \(6443\)/);
    expectRejected(
      { apiAllowedCidrs: ['::/1', '8000::/1'] },
      'apiAllowedCidrs',
      /together cover the whole internet/,
    );
  });
  test('Argo CD open to the world', () => {
    expectRejected(
      { argocdAllowedCidrs: ['0.0.0.0/0'] },
      'argocdAllowedCidrs[0]',
      /argocdAllowedCidrs\[0\] '0.0.0.0\/0' opens Argo CD \(HTTPS 443\) to the whole internet/,
    );
    expect(
      environmentProblems({ ...dev, argocdAllowedCidrs: ['0.0.0.0/0'], allowWorldOpenAdminPorts: true }),
    ).toEqual([]);
  });
  test('Kafka is not an admin port: a world-open Kafka list is allowed', () => {
    expect(environmentProblems({ ...dev, kafkaAllowedCidrs: ['0.0.0.0/0'] })).toEqual([]);
  });
});

describe('wrong types get a message, never a stack trace', () => {
  test.each([
    ['topics missing', { topics: undefined }, 'topics', /topics is missing; set it to a list of topics/],
    [
      'topics not an array',
      { topics: 'stock-stream' },
      'topics',
      /topics must be a list of topics.*got "stock-stream" \(string\)/,
    ],
    ['tradingApps missing', { tradingApps: undefined }, 'tradingApps', /tradingApps is missing/],
    [
      'tradingApps: "name"',
      { tradingApps: 'name' },
      'tradingApps',
      /tradingApps must be a list of trading apps.*got "name" \(string\)/,
    ],
    [
      'topics: [null]',
      { topics: [null] },
      'topics[0]',
      /topics\[0\] must be an object \{ name, partitions \}.*got null \(null\)/,
    ],
    [
      'image: null',
      { image: null },
      'image',
      /image must be an OS image name such as 'ubuntu-24.04', got null \(null\)/,
    ],
    [
      'a trading app image: null',
      withApp({ image: null }),
      'tradingApps[0].image',
      /tradingApps\[0\].image must be a container image.*got null \(null\)/,
    ],
    [
      'an IPv6 networkCidr',
      { networkCidr: 'fd00::/64' },
      'networkCidr',
      /networkCidr must be an IPv4 CIDR such as '10.0.0.0\/16', got "fd00::\/64" \(string\)/,
    ],
    [
      'an IPv6 networkCidr with host bits',
      { networkCidr: 'fd00::1/64' },
      'networkCidr',
      /networkCidr must be an IPv4 CIDR/,
    ],
    [
      'count: "1" (a string)',
      { controlPlane: { count: '1', serverType: 'cx33' } },
      'controlPlane.count',
      /controlPlane.count must be 1 or 3 .*got "1" \(string\)/,
    ],
    [
      'a node group that is not an object',
      { kafka: 'cx33' },
      'kafka',
      /kafka must be an object \{ count, serverType \}.*got "cx33" \(string\)/,
    ],
    [
      'serverType: 33 (a number)',
      { apps: { count: 0, serverType: 33 } },
      'apps.serverType',
      /apps.serverType must be a Hetzner server type name.*got 33 \(number\)/,
    ],
    [
      'a CIDR that is not a string',
      { sshAllowedCidrs: [42] },
      'sshAllowedCidrs[0]',
      /sshAllowedCidrs\[0\] must be a CIDR string.*got 42 \(number\)/,
    ],
    [
      'a CIDR list that is a string',
      { apiAllowedCidrs: '203.0.113.0/24' },
      'apiAllowedCidrs',
      /apiAllowedCidrs must be a list of CIDRs.*got "203.0.113.0\/24" \(string\)/,
    ],
    ['uptime as a string', { uptimeHoursPerDay: '8' }, 'uptimeHoursPerDay', /got "8" \(string\)/],
    ['the whole config is null', null, '(environment)', /must be an environment object/],
  ])('%s', (_, overrides, field, message) => {
    if (overrides === null) {
      expect(() => validateEnvironment(null)).toThrow(EnvironmentConfigError);
      expect(environmentProblems(null)).toEqual([expect.stringMatching(message)]);
      return;
    }
    expectRejected(overrides, field, message);
  });
});

describe('arrays where strings belong are refused before they reach the JSON', () => {
  test.each(['kafkaDnsName', 'apiDnsName', 'networkZone', 'clusterName'])('%s: an array', (field) => {
    expectRejected(
      { [field]: ['a.example.com'] },
      field,
      new RegExp(`${field} must be .*got \\["a.example.com"\\] \\(array\\)`),
    );
  });
});

describe('values that were accepted and broke later', () => {
  test('a network smaller than Hetzner’s minimum /24', () => {
    expectRejected(
      { networkCidr: '10.0.1.0/25', subnetCidr: '10.0.1.0/26' },
      'networkCidr',
      /networkCidr '10.0.1.0\/25' is smaller than Hetzner's minimum network size \/24/,
    );
  });
  test('a trading app kind that is not ingestion or strategies', () => {
    expectRejected(
      withApp({ kind: 'backtest' }),
      'tradingApps[0].kind',
      /tradingApps\[0\].kind must be 'ingestion' or 'strategies'.*got "backtest" \(string\)/,
    );
  });
  test('an empty trading app image', () => {
    expectRejected(
      withApp({ image: '' }),
      'tradingApps[0].image',
      /tradingApps\[0\].image must be a container image.*got "" \(string\)/,
    );
  });
  test('an image reference with upper case or spaces', () => {
    expectRejected(
      withApp({ image: 'ghcr.io/Org/app:1' }),
      'tradingApps[0].image',
      /must be a container image/,
    );
    expectRejected(withApp({ image: 'app 1' }), 'tradingApps[0].image', /must be a container image/);
  });
  test('retentionHours below -1', () => {
    expectRejected(
      withTopic({ retentionHours: -2 }),
      'topics[0].retentionHours',
      /topics\[0\].retentionHours must be a whole number of hours >= 1, or -1.*got -2 \(number\)/,
    );
  });
  test('retentionHours 0 (would delete every message at once)', () => {
    expectRejected(withTopic({ retentionHours: 0 }), 'topics[0].retentionHours', /got 0 \(number\)/);
  });
  test('retentionHours -1 keeps messages forever', () => {
    expect(environmentProblems({ ...dev, ...withTopic({ retentionHours: -1 }) })).toEqual([]);
  });
  // Names of Object.prototype members are no keys of our tables: refused with a message, never a crash.
  test.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('networkZone %s', (zone) => {
    expectRejected({ networkZone: zone }, 'networkZone', /networkZone must be one of eu-central/);
  });
  test.each(['constructor', 'valueOf'])('server type %s for every role', (type) => {
    for (const role of ['controlPlane', 'kafka'] as const) {
      expectRejected(
        { [role]: { ...dev[role], serverType: type } },
        `${role}.serverType`,
        new RegExp(`${role}\\.serverType '${type}' is not in lib/server-types\\.ts`),
      );
    }
  });
  test.each(['controlPlane', 'kafka', 'apps'] as const)(
    'a %s server type missing from lib/server-types.ts is refused before Hetzner refuses it',
    (role) => {
      const base = prod;
      expectRejected(
        { [role]: { ...base[role], count: base[role]?.count || 1, serverType: 'cpx99' } },
        `${role}.serverType`,
        new RegExp(`${role}\\.serverType 'cpx99' is not in lib/server-types\\.ts.*add it there`),
        base,
      );
    },
  );
  test.each([0, -1, Number.NaN])('appCapacityOnControlPlane.cores %s', (cores) => {
    expectRejected(
      { appCapacityOnControlPlane: { cores, memoryGb: 2 } },
      'appCapacityOnControlPlane.cores',
      new RegExp(
        `appCapacityOnControlPlane.cores must be a number of cores above 0, got ${String(cores)} \\(number\\)`,
      ),
    );
  });
  test('appCapacityOnControlPlane.memoryGb 0', () => {
    expectRejected(
      { appCapacityOnControlPlane: { cores: 1, memoryGb: 0 } },
      'appCapacityOnControlPlane.memoryGb',
      /above 0, got 0/,
    );
  });
  test.each([0, -5, 2.5, '20'])('kafkaStorageGb %s', (kafkaStorageGb) => {
    expectRejected({ kafkaStorageGb }, 'kafkaStorageGb', /kafkaStorageGb must be a whole number of GiB >= 1/);
  });
  test.each([
    ['Stock_Stream', 'upper case and underscore'],
    ['a..b', 'an empty label (Kubernetes refuses it)'],
    ['-ticks', 'a leading dash'],
    ['ticks.', 'a trailing dot'],
    ['x'.repeat(250), 'longer than Kafka’s 249'],
  ])('topic name %s (%s)', (name) => {
    expectRejected(
      withTopic({ name }),
      'topics[0].name',
      /topics\[0\].name must be a topic name Kafka and Kubernetes both accept/,
    );
  });
  test('topic names Kafka and Kubernetes both accept', () => {
    expect(environmentProblems({ ...dev, ...withTopic({ name: 'md.ticks-v2' }) })).toEqual([]);
  });
  test('kafkaVersion outside the list Strimzi 0.50.1 runs, and the message names that list', () => {
    expectRejected(
      { kafkaVersion: '4.0.9' },
      'kafkaVersion',
      /kafkaVersion must be a Kafka version Strimzi 0.50.1 runs \(4.0.0, 4.0.1, 4.1.0, 4.1.1\), got "4.0.9" \(string\)/,
    );
    expectRejected({ kafkaVersion: '3.9.0' }, 'kafkaVersion', /got "3.9.0"/);
  });
  test('every Kafka version of the list is accepted', () => {
    for (const kafkaVersion of ['4.0.0', '4.0.1', '4.1.0', '4.1.1']) {
      expect(environmentProblems({ ...dev, kafkaVersion })).toEqual([]);
    }
  });
});

describe('field rules', () => {
  test('environment name', () => {
    expectRejected({ name: 'Dev_1' }, 'name', /name must be 1-20 lower-case letters.*got "Dev_1" \(string\)/);
  });
  test('empty environment name', () => {
    expectRejected({ name: '' }, 'name', /name must be .*got "" \(string\)/);
  });
  test('cluster name', () => {
    expectRejected({ clusterName: 'Trading!' }, 'clusterName', /clusterName must be .*got "Trading!"/);
  });
  test('an unknown field is refused with the likely one (a typo)', () => {
    expectRejected(
      { monitorng: true },
      'monitorng',
      /monitorng is not a field of an environment; did you mean 'monitoring'\?/,
    );
  });
  test('an unknown field in a trading app', () => {
    expectRejected(withApp({ replica: 2 }), 'tradingApps[0].replica', /did you mean 'replicas'\?/);
  });
  test('network CIDR syntax', () => {
    expectRejected(
      { networkCidr: '10.0.0.0/33' },
      'networkCidr',
      /networkCidr must be an IPv4 CIDR such as '10.0.0.0\/16', got "10.0.0.0\/33"/,
    );
  });
  test('network CIDR with host bits', () => {
    expectRejected(
      { networkCidr: '10.0.5.0/16' },
      'networkCidr',
      /networkCidr '10.0.5.0\/16' has host bits set; use '10.0.0.0\/16'/,
    );
  });
  test('network outside private space', () => {
    expectRejected(
      { networkCidr: '8.8.0.0/16', subnetCidr: '8.8.1.0/24' },
      'networkCidr',
      /not in private \(RFC 1918\) space/,
    );
  });
  test("a network overlapping k3s's pod network", () => {
    expectRejected(
      { networkCidr: '10.0.0.0/8' },
      'networkCidr',
      /networkCidr '10.0.0.0\/8' overlaps k3s's pod network 10.42.0.0\/16/,
    );
    expectRejected(
      { networkCidr: '10.43.0.0/16', subnetCidr: '10.43.1.0/24' },
      'subnetCidr',
      /subnetCidr '10.43.1.0\/24' overlaps k3s's service network 10.43.0.0\/16/,
    );
  });
  test('subnet CIDR syntax', () => {
    expectRejected(
      { subnetCidr: '10.0.1/24' },
      'subnetCidr',
      /subnetCidr must be an IPv4 CIDR.*got "10.0.1\/24"/,
    );
  });
  test('subnet too small', () => {
    expectRejected({ subnetCidr: '10.0.1.0/30' }, 'subnetCidr', /subnetCidr '10.0.1.0\/30' is too small/);
  });
  test('control plane count 1 or 3', () => {
    expectRejected(
      { controlPlane: { count: 2, serverType: 'cx33' } },
      'controlPlane.count',
      /controlPlane.count must be 1 or 3 \(a single server, or 3 for an etcd quorum\), got 2 \(number\)/,
    );
  });
  test('kafka count 1 or 3', () => {
    expectRejected(
      { kafka: { count: 2, serverType: 'cx33' } },
      'kafka.count',
      /kafka.count must be 1 or 3 \(KRaft controller quorum\), got 2/,
    );
  });
  test('app count is a whole number', () => {
    expectRejected(
      { apps: { count: -1, serverType: 'cx33' } },
      'apps.count',
      /apps.count must be a whole number 0-100, got -1/,
    );
    expectRejected({ apps: { count: 1.5, serverType: 'cx33' } }, 'apps.count', /got 1.5 \(number\)/);
  });
  test('empty server type', () => {
    expectRejected(
      { kafka: { count: 1, serverType: ' ' } },
      'kafka.serverType',
      /kafka.serverType must be a Hetzner server type name such as 'cx33'/,
    );
  });
  test('retired server type names its successor', () => {
    expectRejected(
      { controlPlane: { count: 1, serverType: 'cx22' } },
      'controlPlane.serverType',
      /controlPlane.serverType 'cx22' was retired .*use 'cx23'/,
    );
  });
  test('unknown location', () => {
    expectRejected(
      { location: 'mars1' },
      'location',
      /location must be a Hetzner location \(fsn1, nbg1, hel1, ash, hil, sin\), got "mars1"/,
    );
  });
  test('unknown network zone', () => {
    expectRejected({ networkZone: 'eu-west' }, 'networkZone', /networkZone must be one of .*got "eu-west"/);
  });
  test('allowed CIDR syntax', () => {
    expectRejected(
      { kafkaAllowedCidrs: ['203.0.113.7'] },
      'kafkaAllowedCidrs[0]',
      /kafkaAllowedCidrs\[0\] '203.0.113.7' is not a CIDR; write it as 'a.b.c.d\/n'/,
    );
  });
  test('allowed CIDR with host bits', () => {
    expectRejected(
      { sshAllowedCidrs: ['203.0.113.7/24'] },
      'sshAllowedCidrs[0]',
      /sshAllowedCidrs\[0\] '203.0.113.7\/24' has host bits set; did you mean '203.0.113.7\/32'\?/,
    );
  });
  test('duplicate allowed CIDRs', () => {
    expectRejected(
      { sshAllowedCidrs: ['203.0.113.0/24', '203.0.113.0/24'] },
      'sshAllowedCidrs',
      /sshAllowedCidrs lists a CIDR twice/,
    );
  });
  test('Argo CD CIDR syntax', () => {
    expectRejected(
      { argocdAllowedCidrs: ['office'] },
      'argocdAllowedCidrs[0]',
      /argocdAllowedCidrs\[0\] 'office' is not a CIDR/,
    );
  });
  test('Argo CD TLS Secret name', () => {
    expectRejected(
      { argocdTlsSecretName: 'Argo_TLS' },
      'argocdTlsSecretName',
      /argocdTlsSecretName must be a Kubernetes Secret name .*got "Argo_TLS"/,
    );
  });
  test('k3s version format', () => {
    expectRejected(
      { k3sVersion: '1.34.1' },
      'k3sVersion',
      /k3sVersion must be a pinned k3s release like 'v1.34.1\+k3s1', got "1.34.1"/,
    );
  });
  test('empty OS image', () => {
    expectRejected(
      { image: '' },
      'image',
      /image must be an OS image name such as 'ubuntu-24.04', got "" \(string\)/,
    );
  });
  test('uptime hours', () => {
    expectRejected(
      { uptimeHoursPerDay: 25 },
      'uptimeHoursPerDay',
      /uptimeHoursPerDay must be a number of hours above 0 and at most 24, got 25/,
    );
    expectRejected({ uptimeHoursPerDay: 0 }, 'uptimeHoursPerDay', /got 0/);
  });
  test('kafka NodePort outside the NodePort range', () => {
    expectRejected(
      { kafkaExternalBootstrapPort: 8080 },
      'kafkaExternalBootstrapPort',
      /kafkaExternalBootstrapPort must be a NodePort 30000-32767, got 8080/,
    );
  });
  test('DNS names', () => {
    expectRejected(
      { apiDnsName: 'not a name' },
      'apiDnsName',
      /apiDnsName must be a DNS name .*got "not a name"/,
    );
  });
  test('the Kafka DNS name is required (the GitOps manifests advertise it)', () => {
    expectRejected(
      { kafkaDnsName: undefined },
      'kafkaDnsName',
      /kafkaDnsName is missing; set it to a DNS name such as 'kafka.dev.example.com'/,
    );
  });
  test('GitOps repository URL', () => {
    expectRejected(
      { gitopsRepoUrl: 'github.com/x/y' },
      'gitopsRepoUrl',
      /gitopsRepoUrl must be an https:\/\/, ssh:\/\/ or git@ URL/,
    );
  });
  test.each(['', 'feature..x', '-main', 'main/', 'release.lock', '.hidden'])(
    'GitOps branch %p',
    (gitopsBranch) => {
      expectRejected(
        { gitopsBranch },
        'gitopsBranch',
        /gitopsBranch must be a branch name such as 'main' or 'production'/,
      );
    },
  );
  test('empty topic name', () => {
    expectRejected(withTopic({ name: '' }), 'topics[0].name', /topics\[0\].name must be a topic name/);
  });
  test('a topic with no partitions', () => {
    expectRejected(
      withTopic({ partitions: 0 }),
      'topics[0].partitions',
      /topics\[0\].partitions must be a whole number 1-10000, got 0/,
    );
  });
  test('empty app name', () => {
    expectRejected(withApp({ name: '' }), 'tradingApps[0].name', /tradingApps\[0\].name must be a DNS label/);
  });
  test('an unknown priority class', () => {
    expectRejected(
      withApp({ priorityClass: 'kafka-critical' }),
      'tradingApps[0].priorityClass',
      /must be one of trading-high, trading-medium, trading-low, got "kafka-critical"/,
    );
  });
  test('a root user', () => {
    expectRejected(withApp({ runAsUser: 0 }), 'tradingApps[0].runAsUser', /must be a non-root user id >= 1/);
  });
  test('a probe port out of range and a path without /', () => {
    expectRejected(
      withApp({ readinessProbe: { port: 70000 } }),
      'tradingApps[0].readinessProbe.port',
      /must be a container port 1-65535, got 70000/,
    );
    expectRejected(
      withApp({ livenessProbe: { port: 8080, path: 'healthz' } }),
      'tradingApps[0].livenessProbe.path',
      /must be an HTTP path starting with '\/'/,
    );
  });
  test('app topics must be strings', () => {
    expectRejected(withApp({ topics: [7] }), 'tradingApps[0].topics[0]', /got 7 \(number\)/);
  });
  test('negative or non-numeric quota shares', () => {
    expectRejected(
      { quotaPercent: { ingestion: -1, strategies: 40, monitoring: 10 } },
      'quotaPercent.ingestion',
      /quotaPercent.ingestion must be a percentage 0-100, got -1/,
    );
    expectRejected(
      { quotaPercent: { ingestion: '50', strategies: 40, monitoring: 10 } },
      'quotaPercent.ingestion',
      /got "50" \(string\)/,
    );
  });
});

describe('rules across fields', () => {
  test('location belongs to the network zone', () => {
    expectRejected(
      { location: 'ash' },
      'location',
      /location 'ash' is in network zone 'us-east', not 'eu-central'; set networkZone: 'us-east'/,
    );
  });
  test('subnet inside the network', () => {
    expectRejected(
      { subnetCidr: '10.9.1.0/24', networkCidr: '10.0.0.0/16' },
      'subnetCidr',
      /subnetCidr '10.9.1.0\/24' is not inside networkCidr '10.0.0.0\/16'; pick a subnet of the network, e.g. '10.0.1.0\/24'/,
    );
  });
  test('app nodes fit the subnet', () => {
    expectRejected(
      { subnetCidr: '10.0.1.0/26', apps: { count: 40, serverType: 'cx33' } },
      'appHostNumber',
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
      'kafkaHostNumber',
      /private IP 10.0.1.11 is given to both controlPlaneHostNumber and kafkaHostNumber/,
    );
  });
  test('fixed private IPs stay off the subnet and gateway addresses', () => {
    expectRejected(
      { controlPlaneHostNumber: 1 },
      'controlPlaneHostNumber',
      /controlPlaneHostNumber must be a whole number >= 2.*got 1/,
    );
  });
  test('kafka NodePorts must all lie in the static band of the range that starts at the bootstrap port', () => {
    expectRejected(
      { kafkaExternalBootstrapPort: 32767 },
      'kafkaExternalBootstrapPort',
      /kafkaExternalBootstrapPort 32767 leaves no room for the bootstrap and 1 broker port\(s\) in the static NodePort band \(32767-32767 keeps only 0 port\(s\).*use 30000-\d+/,
    );
    expect(environmentProblems({ ...dev, kafkaExternalBootstrapPort: 30000 })).toEqual([]);
    expect(resolveEnvironment(dev).serviceNodePortRange).toBe(
      `${dev.kafkaExternalBootstrapPort ?? 32100}-32767`,
    );
  });
  test('Kafka storage fits the Kafka node’s disk', () => {
    expectRejected(
      { kafkaStorageGb: 70 },
      'kafkaStorageGb',
      /kafkaStorageGb 70 does not fit on cx33's 80 GB disk.*use at most 60/,
    );
    expect(environmentProblems({ ...dev, kafkaStorageGb: 60 })).toEqual([]);
  });
  test('Kafka nodes of an unknown or too small server type', () => {
    expectRejected(
      { kafka: { count: 1, serverType: 'cx99' } },
      'kafka.serverType',
      /kafka.serverType 'cx99' is not in lib\/server-types.ts/,
    );
    expectRejected(
      { kafka: { count: 1, serverType: 'cpx12' } },
      'kafka.serverType',
      /has 2 GB of memory; a broker needs at least 4 GB/,
    );
  });
  test('a topic with more replicas than brokers', () => {
    expectRejected(
      withTopic({ replicas: 3 }),
      'topics[0].replicas',
      /topics\[0\].replicas 3 is more than the 1 Kafka broker\(s\)/,
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
      'topics',
      /topics lists 'ticks' more than once; topic names must be unique/,
    );
  });
  test('duplicate app names', () => {
    const app = { name: 'ingest', kind: 'ingestion', image: 'x:1' };
    expectRejected(
      { tradingApps: [app, app] },
      'tradingApps',
      /tradingApps lists 'ingest' more than once; app names must be unique/,
    );
  });
  test('an app listing a topic that does not exist', () => {
    expectRejected(
      withApp({ topics: ['nope'] }),
      'tradingApps[0].topics[0]',
      /tradingApps\[0\].topics\[0\] 'nope' is not in topics/,
    );
  });
  test('quota shares over 100 %', () => {
    expectRejected(
      { quotaPercent: { ingestion: 60, strategies: 40, monitoring: 10 } },
      'quotaPercent',
      /quotaPercent shares must add up to at most 100 %, got .* = 110 %/,
    );
  });
  test("trading apps that do not fit their namespace's quota (with rolling-update surge pods)", () => {
    // dev: half a cx33 (2 cores), ingestion 50 % = 1000m; 2 replicas + 1 surge pod of 400m = 1200m.
    expectRejected(
      withApp({ replicas: 2, cpuMillis: 400 }),
      'tradingApps',
      /the ingestion apps \(tradingApps\[0\]\) request 1200m CPU and 768Mi with their rolling-update surge pods, but the ingestion quota is 1000m and 2048Mi/,
    );
    expect(environmentProblems({ ...dev, ...withApp({ replicas: 2, cpuMillis: 300 }) })).toEqual([]);
  });
  test('the quota message names the fields that sized the capacity and how to raise it', () => {
    const big = withApp({ replicas: 2, cpuMillis: 4000 });
    expectRejected(
      big,
      'tradingApps',
      new RegExp(
        `from half of controlPlane\\.serverType '${dev.controlPlane.serverType}' \\(no app nodes\\).*pick a larger controlPlane\\.serverType`,
      ),
    );
    expectRejected(
      { ...big, appCapacityOnControlPlane: { cores: 1, memoryGb: 2 } },
      'tradingApps',
      /from appCapacityOnControlPlane\);.*raise appCapacityOnControlPlane/,
    );
    const prodBig = { tradingApps: [{ ...prod.tradingApps[0], replicas: 8, cpuMillis: 1000 }] };
    expectRejected(
      prodBig,
      'tradingApps',
      new RegExp(
        `from apps\\.count ${prod.apps!.count} x apps\\.serverType '${prod.apps!.serverType}'\\);.*raise apps\\.count`,
      ),
      prod,
    );
  });
  test('a container larger than one app node', () => {
    expectRejected(
      {
        ...withApp({ memoryMib: 20000 }),
        quotaPercent: { ingestion: 100, strategies: 0, monitoring: 0 },
        tradingApps: [{ ...dev.tradingApps[0], memoryMib: 20000 }],
      },
      'tradingApps[0].memoryMib',
      /tradingApps\[0\].memoryMib 20000 is more than one app node offers \(4096 MiB\)/,
    );
  });
  test('monitoring needs a quota that holds Prometheus and Grafana', () => {
    expectRejected(
      { monitoring: true },
      'quotaPercent.monitoring',
      /monitoring is on, but the monitoring quota \(200m CPU, 409Mi, 10 % of 2 cores \/ 4 GB\) cannot hold Prometheus and Grafana \(250m, 896Mi requested\); set quotaPercent.monitoring to at least 22/,
    );
    expect(
      environmentProblems({
        ...dev,
        monitoring: true,
        quotaPercent: { ingestion: 40, strategies: 30, monitoring: 22 },
      }),
    ).toEqual([]);
  });
  test('appCapacityOnControlPlane with app nodes has no effect and is refused', () => {
    expectRejected(
      { appCapacityOnControlPlane: { cores: 1, memoryGb: 2 } },
      'appCapacityOnControlPlane',
      /appCapacityOnControlPlane has no effect with 2 app node\(s\)/,
      prod,
    );
  });
  test('appCapacityOnControlPlane larger than the control plane', () => {
    expectRejected(
      { appCapacityOnControlPlane: { cores: 8, memoryGb: 4 } },
      'appCapacityOnControlPlane',
      /is more than the control plane server has \(4 cores, 8 GB\)/,
    );
  });
  test('every broken rule is reported at once', () => {
    const problems = environmentProblems({ ...dev, name: 'X', kafka: { count: 2, serverType: 'cx33' } });
    expect(problems).toHaveLength(2);
  });
  test('an unknown server type is refused even with an explicit capacity: Hetzner would refuse it at create', () => {
    for (const extra of [{}, { appCapacityOnControlPlane: { cores: 2, memoryGb: 4 } }]) {
      expectRejected(
        { controlPlane: { count: 1, serverType: 'zz99' }, ...extra },
        'controlPlane.serverType',
        /controlPlane.serverType 'zz99' is not in lib\/server-types.ts.*add it there/,
      );
    }
  });
  test('a fallback server type must stand in for the preferred one', () => {
    expectRejected(
      { kafka: { count: 1, serverType: 'cx33', fallbackServerTypes: ['cpx22'] } },
      'kafka.fallbackServerTypes[0]',
      /kafka.fallbackServerTypes\[0\] 'cpx22' cannot stand in for kafka.serverType 'cx33' \(2 cores < 4, 4 GB < 8 GB memory\)/,
    );
    expectRejected(
      { controlPlane: { count: 1, serverType: 'cx33', fallbackServerTypes: ['cax21'] } },
      'controlPlane.fallbackServerTypes[0]',
      /arm instead of x86/,
    );
    expectRejected(
      { kafkaStorageGb: 70, kafka: { count: 1, serverType: 'ccx23', fallbackServerTypes: ['cx33'] } },
      'kafka.fallbackServerTypes[0]',
      /a 80 GB disk cannot hold kafkaStorageGb 70 \+ 20 GB/,
    );
  });
  test('fallback server types: known, listed once, not the preferred type, not retired', () => {
    expectRejected(
      { apps: { count: 0, serverType: 'cx33', fallbackServerTypes: ['zz99'] } },
      'apps.fallbackServerTypes[0]',
      /'zz99' is not in lib\/server-types.ts/,
    );
    expectRejected(
      { apps: { count: 0, serverType: 'cx33', fallbackServerTypes: ['cx33'] } },
      'apps.fallbackServerTypes[0]',
      /is already apps.serverType/,
    );
    expectRejected(
      { apps: { count: 0, serverType: 'cx33', fallbackServerTypes: ['cpx32', 'cpx32'] } },
      'apps.fallbackServerTypes[1]',
      /is already in the list/,
    );
    expectRejected(
      { apps: { count: 0, serverType: 'cx33', fallbackServerTypes: ['cpx31'] } },
      'apps.fallbackServerTypes[0]',
      /retired .*use 'cpx32'/,
    );
    expectRejected(
      { apps: { count: 0, serverType: 'cx33', fallbackServerTypes: 'cpx32' } },
      'apps.fallbackServerTypes',
      /must be a list of server type names.*got "cpx32" \(string\)/,
    );
  });
});
