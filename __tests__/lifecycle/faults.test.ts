/**
 * Faults: a rate-limited API (429) is absorbed by hcloud-go's retries; a flaky one (503) fails
 * the apply and one re-run converges; an apply interrupted half-way converges on re-run without
 * duplicates; a sold-out server type fails with an error naming the type and the location.
 */
import { FakeHcloud } from './fake-hcloud';
import { inventory, persistentAddresses, servers } from './support/cloud';
import { Workspace, lifecycleToolchain, startFakeCloud, stopFakeCloud } from './support/engine';

const toolchain = lifecycleToolchain();
const describeLifecycle = toolchain ? describe : describe.skip;

jest.setTimeout(400_000);

describeLifecycle('faults', () => {
  let fake: FakeHcloud;
  let ws: Workspace;
  let addresses: Record<string, string>;

  beforeAll(async () => {
    ({ fake, ws } = await startFakeCloud(toolchain!));
    await ws.apply('dev-persistent');
    addresses = persistentAddresses(fake, 'dev');
  });

  afterAll(() => stopFakeCloud(fake, ws));

  /** No duplicates: exactly the two designed servers, each name once, the IPs on their roles. */
  function expectDevConverged(): void {
    expect(fake.store.servers.size).toBe(2);
    const vms = servers(fake);
    expect(vms.get('trading-dev-cp-0')).toMatchObject({
      publicIpv4: addresses['trading-dev-control-plane-ipv4'],
      privateIp: '10.0.1.10',
    });
    expect(vms.get('trading-dev-kafka-0')).toMatchObject({
      publicIpv4: addresses['trading-dev-kafka-ipv4'],
      privateIp: '10.0.1.20',
    });
    expect(fake.store.networks.size).toBe(1);
    expect(fake.store.firewalls.size).toBe(2); // control plane, kafka-0 (private-only nodes take none)
    expect(fake.store.sshKeys.size).toBe(1);
  }

  test('25% of answers 429: the deploy converges in one run (hcloud-go retries rate_limit_exceeded)', async () => {
    Object.assign(fake.knobs, { faultRate: 0.25, faultStatuses: [429], faultSeed: 7 });
    const from = fake.calls.length;
    try {
      await ws.apply('dev');
    } finally {
      fake.knobs.faultRate = 0;
    }
    const injected = fake.calls.slice(from).filter((c) => c.injected).length;
    expect(injected).toBeGreaterThan(3);
    expectDevConverged();
    expect((await ws.plan('dev')).outcome).toBe('no-changes');
    await ws.destroy('dev');
  });

  test('10% of answers 503: the deploy fails (hcloud-go does not retry 503), one re-run converges', async () => {
    Object.assign(fake.knobs, { faultRate: 0.1, faultStatuses: [503], faultSeed: 3 });
    const first = await ws.run('dev', ['apply', '-auto-approve', '-input=false', '-no-color']);
    fake.knobs.faultRate = 0;
    expect(first.code).not.toBe(0);
    expect(first.stderr).toMatch(/unavailable/);
    await ws.apply('dev');
    expectDevConverged();
    expect((await ws.plan('dev')).outcome).toBe('no-changes');
    await ws.destroy('dev');
  });

  test('an apply interrupted half-way (SIGINT, as CI cancel sends) converges on re-run with no duplicates', async () => {
    fake.knobs.actionLatencyMs = 1500; // keep servers busy long enough to interrupt mid-flight
    let pid = 0;
    const from = fake.calls.length;
    const running = ws.run('dev', ['apply', '-auto-approve', '-input=false', '-no-color'], {
      onSpawn: (p) => (pid = p),
    });
    // Interrupt once both server creates were answered and the provider is polling their
    // actions: the servers exist at the API and their ids are in state (the provider records
    // the id before waiting), so nothing is orphaned. A kill while a create request is still
    // in flight can orphan a server; see the destroy-vms recovery in the README.
    const inFlightCreatesDone = () => {
      const since = fake.calls.slice(from);
      const lastCreate = since.map((c) => c.route).lastIndexOf('POST /servers');
      const creates = since.filter((c) => c.route === 'POST /servers').length;
      const pollsAfter = since.slice(lastCreate + 1).filter((c) => c.route === 'GET /actions').length;
      return creates === 2 && pollsAfter >= 2;
    };
    for (let i = 0; i < 600 && !inFlightCreatesDone(); i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(inFlightCreatesDone()).toBe(true);
    process.kill(pid, 'SIGINT');
    const interrupted = await running;
    fake.knobs.actionLatencyMs = 0;
    expect(interrupted.code).not.toBe(0);
    expect(interrupted.stdout + interrupted.stderr).toMatch(/[Ii]nterrupt/);
    expect(fake.store.servers.size).toBeLessThanOrEqual(2);

    await ws.apply('dev');
    expectDevConverged();
    expect((await ws.plan('dev')).outcome).toBe('no-changes');
    await ws.destroy('dev');
  });

  test('resource_unavailable surfaces as a clear error naming the server type and location', async () => {
    fake.knobs.unavailableServerTypes = ['cx33@fsn1'];
    const r = await ws.run('dev', ['apply', '-auto-approve', '-input=false', '-no-color']);
    fake.knobs.unavailableServerTypes = [];
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/server type cx33 is unavailable in location fsn1 \(resource_unavailable/);
    expect(inventory(fake).filter((x) => x.startsWith('server/'))).toEqual([]);
    await ws.apply('dev');
    expectDevConverged();
  });
});
