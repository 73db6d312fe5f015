/**
 * destroy-vms without state: deletes exactly the servers of the chosen cluster and environment.
 * Servers of the other environment, of another cluster, unmanaged look-alikes and unlabelled
 * ones, seeded beforehand, are all still there; the persistent IPs stay and the next deploy
 * converges with the same addresses.
 */
import { rmSync } from 'fs';
import { join } from 'path';
import { destroyVms } from '../../scripts/ops/destroy-vms';
import { FakeHcloud } from './fake-hcloud';
import { api } from './support/api';
import { persistentAddresses, servers } from './support/cloud';
import { REPO_ROOT } from '../engine/support/toolchain';
import { Workspace, lifecycleToolchain, runCommand, startFakeCloud, stopFakeCloud } from './support/engine';

const toolchain = lifecycleToolchain();
const describeLifecycle = toolchain ? describe : describe.skip;
const MANAGED = 'cdktf-hetzner-trading';

jest.setTimeout(300_000);

describeLifecycle('destroy-vms: label clean-up without state', () => {
  let fake: FakeHcloud;
  let ws: Workspace;
  const foreign = {
    'trading-prod-cp-0': {
      environment: 'prod',
      cluster: 'trading',
      role: 'control-plane',
      'managed-by': MANAGED,
    },
    'research-dev-cp-0': {
      environment: 'dev',
      cluster: 'research',
      role: 'control-plane',
      'managed-by': MANAGED,
    },
    'dev-hand-made': { environment: 'dev', cluster: 'trading' },
    unlabelled: {},
  };

  beforeAll(async () => {
    ({ fake, ws } = await startFakeCloud(toolchain!));
    for (const [name, labels] of Object.entries(foreign)) {
      const r = await api(fake, 'POST', '/servers', {
        name,
        server_type: 'cx23',
        image: 'ubuntu-24.04',
        location: 'nbg1',
        labels,
      });
      expect(r.status).toBe(201);
    }
    await ws.apply('dev-persistent');
    await ws.apply('dev');
  });

  afterAll(() => stopFakeCloud(fake, ws));

  test('--dry-run lists the cluster servers and deletes nothing (CLI)', async () => {
    const r = await runCommand(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        join('scripts', 'ops', 'destroy-vms.ts'),
        '--env',
        'dev',
        '--dry-run',
      ],
      { ...process.env, ...fake.env, TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.json') },
      120,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('would delete server trading-dev-cp-0');
    expect(r.stdout).toContain('would delete server trading-dev-kafka-0');
    expect(r.stdout).toContain('would delete 2 server(s)');
    expect(servers(fake).size).toBe(6);
  });

  test('deletes exactly the servers of environment dev, cluster trading; everything foreign stays', async () => {
    const addresses = persistentAddresses(fake, 'dev');
    const lines: string[] = [];
    const deleted = await destroyVms({
      endpoint: fake.endpoint,
      token: fake.token,
      environment: 'dev',
      log: (l) => lines.push(l),
    });
    expect(deleted.map((s) => s.name).sort()).toEqual(['trading-dev-cp-0', 'trading-dev-kafka-0']);
    expect(lines.join('\n')).toMatch(/deleting server trading-dev-cp-0/);
    expect([...servers(fake).keys()].sort()).toEqual(Object.keys(foreign).sort());
    // The rest of the cluster and the IPs are untouched; the IPs are merely unassigned.
    expect([...fake.store.networks.values()].map((n) => n.name)).toEqual(['trading-dev']);
    expect(fake.store.firewalls.size).toBe(2); // control plane, kafka-0 (private-only nodes take none)
    expect(persistentAddresses(fake, 'dev')).toEqual(addresses);
    expect(
      [...fake.store.primaryIps.values()]
        .filter((p) => p.name.startsWith('trading-dev'))
        .map((p) => p.assigneeId),
    ).toEqual([null, null]);
  });

  test('the next deploy converges: the servers come back with the same addresses', async () => {
    const addresses = persistentAddresses(fake, 'dev');
    expect((await ws.plan('dev')).outcome).toBe('changes');
    await ws.apply('dev');
    const vms = servers(fake);
    expect(vms.get('trading-dev-cp-0')!.publicIpv4).toBe(addresses['trading-dev-control-plane-ipv4']);
    expect(vms.get('trading-dev-kafka-0')!.publicIpv4).toBe(addresses['trading-dev-kafka-ipv4']);
    expect((await ws.plan('dev')).outcome).toBe('no-changes');
  });
});

describeLifecycle('destroy-vms --cluster-resources: recovery when the cluster state is lost', () => {
  let fake: FakeHcloud;
  let ws: Workspace;
  const foreignNetwork = {
    name: 'research-dev',
    labels: { environment: 'dev', cluster: 'research', 'managed-by': MANAGED },
  };
  const foreignFirewall = { name: 'hand-made-firewall', labels: {} };
  const foreignGroup = {
    name: 'trading-prod-kafka',
    labels: { environment: 'prod', cluster: 'trading', 'managed-by': MANAGED },
  };

  beforeAll(async () => {
    ({ fake, ws } = await startFakeCloud(toolchain!));
    expect(
      (await api(fake, 'POST', '/networks', { ...foreignNetwork, ip_range: '10.9.0.0/16' })).status,
    ).toBe(201);
    expect((await api(fake, 'POST', '/firewalls', foreignFirewall)).status).toBe(201);
    expect((await api(fake, 'POST', '/placement_groups', { ...foreignGroup, type: 'spread' })).status).toBe(
      201,
    );
    await ws.apply('dev-persistent');
    await ws.apply('dev');
  });

  afterAll(() => stopFakeCloud(fake, ws));

  test('without state a plain re-deploy fails on the names still taken', async () => {
    rmSync(ws.statePath('dev'));
    const r = await ws.run('dev', ['apply', '-auto-approve', '-input=false', '-no-color']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/uniqueness_error/);
  });

  test('deletes everything the dev cluster stack made, and nothing else', async () => {
    const addresses = persistentAddresses(fake, 'dev');
    const lines: string[] = [];
    await destroyVms({
      endpoint: fake.endpoint,
      token: fake.token,
      environment: 'dev',
      clusterResources: true,
      log: (l) => lines.push(l),
    });
    expect(lines.join('\n')).toMatch(/deleting network trading-dev/);
    expect([...servers(fake).keys()]).toEqual([]);
    expect([...fake.store.networks.values()].map((n) => n.name)).toEqual([foreignNetwork.name]);
    expect([...fake.store.firewalls.values()].map((f) => f.name)).toEqual([foreignFirewall.name]);
    expect([...fake.store.placementGroups.values()].map((g) => g.name)).toEqual([foreignGroup.name]);
    expect(fake.store.sshKeys.size).toBe(0);
    expect(persistentAddresses(fake, 'dev')).toEqual(addresses);
  });

  test('a deploy from empty state then converges with the same addresses', async () => {
    const addresses = persistentAddresses(fake, 'dev');
    await ws.apply('dev');
    const vms = servers(fake);
    expect(vms.get('trading-dev-cp-0')!.publicIpv4).toBe(addresses['trading-dev-control-plane-ipv4']);
    expect(vms.get('trading-dev-kafka-0')!.publicIpv4).toBe(addresses['trading-dev-kafka-ipv4']);
    expect((await ws.plan('dev')).outcome).toBe('no-changes');
  });
});
