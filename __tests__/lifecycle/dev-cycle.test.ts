/**
 * The daily promise for dev, with the real engine and hcloud provider against the fake API:
 * a fresh deploy puts the designed servers on the designed addresses, a plan right after shows
 * nothing to do, and five evening-destroy / morning-deploy cycles leave only the persistent IPs
 * overnight and bring the same addresses back on the same roles.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { FakeHcloud } from './fake-hcloud';
import { inventory, persistentAddresses, primaryIps, servers } from './support/cloud';
import { Workspace, lifecycleToolchain, startFakeCloud, stopFakeCloud } from './support/engine';

const toolchain = lifecycleToolchain();
const describeLifecycle = toolchain ? describe : describe.skip;
const CYCLES = 5;
const CP_IP = 'trading-dev-control-plane-ipv4';
const KAFKA_IP = 'trading-dev-kafka-ipv4';

jest.setTimeout(300_000);

describeLifecycle('dev: fresh deploy, idempotency and the daily cycle', () => {
  let fake: FakeHcloud;
  let ws: Workspace;

  beforeAll(async () => {
    ({ fake, ws } = await startFakeCloud(toolchain!));
  });

  afterAll(() => stopFakeCloud(fake, ws));

  test('fresh deploy: persistent IPs, then servers with the designed private IPs, labels, firewalls and public IPs', async () => {
    // TF_LOG=DEBUG once: hcloud-go logs every request it sends (one log file per run).
    const debugLogs = ['dev-persistent', 'dev'].map((stack) => join(ws.dir, `tf-debug-${stack}.log`));
    await ws.apply('dev-persistent', { TF_LOG: 'DEBUG', TF_LOG_PATH: debugLogs[0] });

    const ips = primaryIps(fake);
    expect([...ips.keys()].sort()).toEqual([CP_IP, KAFKA_IP]);
    for (const [name, ip] of ips) {
      expect({ name, ...ip }).toMatchObject({
        assignee: undefined,
        protected: true,
        autoDelete: false,
        location: 'fsn1',
        labels: {
          environment: 'dev',
          cluster: 'trading',
          'managed-by': 'cdktf-hetzner-trading',
          persistent: 'true',
          role: name === CP_IP ? 'control-plane' : 'kafka',
        },
      });
    }

    await ws.apply('dev', { TF_LOG: 'DEBUG', TF_LOG_PATH: debugLogs[1] });
    const vms = servers(fake);
    expect([...vms.keys()].sort()).toEqual(['trading-dev-cp-0', 'trading-dev-kafka-0']);
    const cp = vms.get('trading-dev-cp-0')!;
    const kafka = vms.get('trading-dev-kafka-0')!;
    expect(cp).toMatchObject({
      privateIp: '10.0.1.10',
      networkName: 'trading-dev',
      publicIpv4: ips.get(CP_IP)!.ip,
      publicIpv4Id: ips.get(CP_IP)!.id,
      hasIpv6: false,
      firewalls: ['trading-dev-control-plane'],
      serverType: 'cx33',
      image: 'ubuntu-24.04',
      location: 'fsn1',
      labels: {
        environment: 'dev',
        cluster: 'trading',
        role: 'control-plane',
        'managed-by': 'cdktf-hetzner-trading',
        'node-index': '0',
      },
    });
    expect(kafka).toMatchObject({
      privateIp: '10.0.1.20',
      networkName: 'trading-dev',
      publicIpv4: ips.get(KAFKA_IP)!.ip,
      hasIpv6: false,
      firewalls: ['trading-dev-kafka-external'],
      labels: {
        environment: 'dev',
        cluster: 'trading',
        role: 'kafka',
        'managed-by': 'cdktf-hetzner-trading',
        'node-index': '0',
      },
    });
    expect(cp.userData).toMatch(/^#cloud-config/);
    expect(kafka.userData).toContain('10.0.1.10');

    const network = [...fake.store.networks.values()].find((n) => n.name === 'trading-dev')!;
    expect(network.subnets.map((s) => s.ip_range)).toEqual(['10.0.1.0/24']);
    expect(network.routes).toEqual([{ destination: '0.0.0.0/0', gateway: '10.0.1.10' }]);
    expect(primaryIps(fake).get(CP_IP)!.assignee).toBe('trading-dev-cp-0');
    expect(primaryIps(fake).get(KAFKA_IP)!.assignee).toBe('trading-dev-kafka-0');

    // TF_LOG=DEBUG: every request hcloud-go logged is one the fake serves, and the fake saw them all.
    const logged = debugLogs.flatMap((log) => [
      ...readFileSync(log, 'utf8').matchAll(
        /--- Request:\s*\n(?:\S+ \[DEBUG\] [^:]+: )?(GET|POST|PUT|DELETE) (\S+) HTTP/g,
      ),
    ]);
    expect(logged.length).toBeGreaterThan(20);
    const missing = logged
      .map(([, m, p]) => `${m} ${p}`)
      .filter((r) => !fake.routeOf(...(r.split(' ') as [string, string])));
    expect(missing).toEqual([]);
    expect(fake.unhandledCalls()).toEqual([]);
    expect(logged.length).toBe(fake.calls.length);
  });

  test('idempotency: a plan right after apply shows no changes, for both stacks', async () => {
    expect((await ws.plan('dev-persistent')).outcome).toBe('no-changes');
    expect((await ws.plan('dev')).outcome).toBe('no-changes');
  });

  test(`daily cycle x${CYCLES}: destroy leaves only the persistent IPs, deploy brings the same addresses back on the same roles`, async () => {
    const morning = persistentAddresses(fake, 'dev');
    const ids = [...primaryIps(fake).values()].map((p) => p.id).sort();
    expect(Object.keys(morning)).toHaveLength(2);

    for (let day = 1; day <= CYCLES; day++) {
      await ws.destroy('dev');
      // Evening: nothing but the two persistent IPs, unassigned, protected, same addresses.
      expect(inventory(fake)).toEqual([`primary_ip/${CP_IP}`, `primary_ip/${KAFKA_IP}`]);
      const overnight = primaryIps(fake);
      for (const ip of overnight.values()) expect(ip).toMatchObject({ assignee: undefined, protected: true });
      expect(persistentAddresses(fake, 'dev')).toEqual(morning);
      expect([...overnight.values()].map((p) => p.id).sort()).toEqual(ids);

      await ws.apply('dev');
      // Morning: the same addresses on the same roles.
      const vms = servers(fake);
      expect(vms.get('trading-dev-cp-0')).toMatchObject({
        publicIpv4: morning[CP_IP],
        privateIp: '10.0.1.10',
      });
      expect(vms.get('trading-dev-kafka-0')).toMatchObject({
        publicIpv4: morning[KAFKA_IP],
        privateIp: '10.0.1.20',
      });
      expect(vms.size).toBe(2);
      expect(fake.store.primaryIps.size).toBe(2);
    }
    expect((await ws.plan('dev')).outcome).toBe('no-changes');
    expect(fake.unhandledCalls()).toEqual([]);
  });
});
