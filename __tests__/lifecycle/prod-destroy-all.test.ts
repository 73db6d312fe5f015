/**
 * prod through one full cycle (3 kafka nodes in a spread placement group, 2 private app nodes),
 * then the only way the public IPs may go: destroy-all with its typed confirmation. A plain
 * destroy of the persistent stack is refused, and renaming a persistent IP's construct id is
 * caught (with protection) or visibly changes the address (without it).
 */
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { FakeHcloud } from './fake-hcloud';
import { api } from './support/api';
import { inventory, persistentAddresses, primaryIps, servers } from './support/cloud';
import { cycleCommands } from '../../scripts/ops/cycle-commands';
import { ProjectEngine } from '../../scripts/ops/engine';
import { EngineIdentityStore } from '../../scripts/ops/identity-store';
import { STATE_PASSPHRASE_ENV } from '../../lib/state-encryption';
import {
  TEST_SSH_KEYS,
  Workspace,
  lifecycleToolchain,
  TEST_STATE_PASSPHRASE,
  startFakeCloud,
  stopFakeCloud,
} from './support/engine';

const toolchain = lifecycleToolchain();
const describeLifecycle = toolchain ? describe : describe.skip;
const CP_IP = 'trading-prod-control-plane-ipv4';
const KAFKA_IP = 'trading-prod-kafka-ipv4';

jest.setTimeout(300_000);

describeLifecycle('prod: full cycle, then destroy-all', () => {
  let fake: FakeHcloud;
  let ws: Workspace;

  beforeAll(async () => {
    ({ fake, ws } = await startFakeCloud(toolchain!));
  });

  afterAll(() => stopFakeCloud(fake, ws));

  function expectProdTopology(addresses: Record<string, string>): void {
    const vms = servers(fake);
    expect([...vms.keys()].sort()).toEqual([
      'trading-prod-app-0',
      'trading-prod-app-1',
      'trading-prod-cp-0',
      'trading-prod-kafka-0',
      'trading-prod-kafka-1',
      'trading-prod-kafka-2',
    ]);
    const expected: Record<string, [string, string | undefined, string]> = {
      'trading-prod-cp-0': ['10.1.1.10', addresses[CP_IP], 'cpx32'],
      'trading-prod-kafka-0': ['10.1.1.20', addresses[KAFKA_IP], 'ccx23'],
      'trading-prod-kafka-1': ['10.1.1.21', undefined, 'ccx23'],
      'trading-prod-kafka-2': ['10.1.1.22', undefined, 'ccx23'],
      'trading-prod-app-0': ['10.1.1.30', undefined, 'cpx42'],
      'trading-prod-app-1': ['10.1.1.31', undefined, 'cpx42'],
    };
    for (const [name, [privateIp, publicIpv4, serverType]] of Object.entries(expected)) {
      expect({ name, ...vms.get(name) }).toMatchObject({
        name,
        privateIp,
        publicIpv4,
        serverType,
        hasIpv6: false,
      });
    }
    for (const k of [0, 1, 2])
      expect(vms.get(`trading-prod-kafka-${k}`)!.placementGroup).toBe('trading-prod-kafka');
    expect(fake.store.primaryIps.size).toBe(2);
  }

  test('one full cycle: deploy, plan shows nothing, destroy keeps only the IPs, deploy brings them back', async () => {
    await ws.apply('prod-persistent');
    await ws.apply('prod');
    const addresses = persistentAddresses(fake, 'prod');
    expectProdTopology(addresses);
    expect((await ws.plan('prod-persistent')).outcome).toBe('no-changes');
    expect((await ws.plan('prod')).outcome).toBe('no-changes');

    await ws.destroy('prod');
    expect(inventory(fake)).toEqual([`primary_ip/${CP_IP}`, `primary_ip/${KAFKA_IP}`]);
    await ws.apply('prod');
    expectProdTopology(addresses);
    expect(persistentAddresses(fake, 'prod')).toEqual(addresses);
  });

  test('a plain destroy of the persistent stack is refused while prevent_destroy and protection hold', async () => {
    const before = persistentAddresses(fake, 'prod');
    const r = await ws.run('prod-persistent', ['destroy', '-auto-approve', '-input=false', '-no-color']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/prevent_destroy/);
    expect(persistentAddresses(fake, 'prod')).toEqual(before);
    // At the API too: protected, and assigned to a running server.
    const ip = primaryIps(fake).get(CP_IP)!;
    const del = await api(fake, 'DELETE', `/primary_ips/${ip.id}`);
    expect(del.status).toBe(403);
    expect(del.body.error.code).toBe('protected');
  });

  test('destroy-all: refuses a wrong confirmation, then removes cluster, IPs and identity through the explicit path', async () => {
    const env = {
      ...toolchain!.env,
      ...fake.env,
      TF_VAR_ssh_public_key: TEST_SSH_KEYS.prod,
      [STATE_PASSPHRASE_ENV]: TEST_STATE_PASSPHRASE,
    };
    const outdir = join(ws.dir, 'cdktf.out');
    // The workspace's state holds the workspace's identity: the CLI reads it back from there.
    const commands = cycleCommands({ env, outdir, sweep: async () => [] });
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    expect(await commands['destroy-all'].run(['prod', '--confirm', 'dev'], io)).toBe(2);
    expect(lines.join('\n')).toMatch(/--confirm must repeat the environment name/);
    expect(servers(fake).size).toBe(6);

    const code = await commands['destroy-all'].run(['prod', '--confirm', 'prod'], io);
    expect({ code, out: code ? lines.join('\n') : '' }).toEqual({ code: 0, out: '' });
    expect(inventory(fake)).toEqual([]);
    // It says that the identity goes too, and the state no longer holds one.
    expect(lines.join('\n')).toMatch(/this also removes the identity/);
    const state = readFileSync(ws.statePath('prod-persistent'), 'utf8');
    expect(state).not.toContain('BEGIN');
    expect(await new EngineIdentityStore(new ProjectEngine({ env, outdir })).load('prod')).toBeUndefined();
  });

  test('renaming a persistent IP construct id: API delete protection refuses it, without protection the address changes', async () => {
    ws.synth();
    await ws.apply('prod-persistent');
    const before = persistentAddresses(fake, 'prod');
    const file = join(ws.stackDir('prod-persistent'), 'cdk.tf.json');
    const rename = () => {
      const json = readFileSync(file, 'utf8');
      const id = /"(control-plane-ipv4_ip_[0-9A-F]+)"/.exec(json)![1];
      writeFileSync(file, json.split(id).join('control-plane-ipv4-renamed'));
    };

    // prevent_destroy does not help here: the old block is gone from the config, so the engine
    // plans to destroy it. The API's delete protection is what refuses.
    rename();
    const planned = await ws.plan('prod-persistent');
    expect(planned.outcome).toBe('changes');
    expect(planned.result.stdout).toMatch(/1 to add, 0 to change, 1 to destroy/);
    const refused = await ws.run('prod-persistent', ['apply', '-auto-approve', '-input=false', '-no-color']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/protected/);
    expect(persistentAddresses(fake, 'prod')).toEqual(before);

    ws.synth({ ALLOW_DESTROY_PERSISTENT: 'prod' });
    await ws.apply('prod-persistent'); // lift protection first, as destroy-all does
    rename();
    // Delete and create run in parallel; the create may meet the old name once (uniqueness_error).
    const first = await ws.run('prod-persistent', ['apply', '-auto-approve', '-input=false', '-no-color']);
    if (first.code !== 0) {
      expect(first.stderr).toMatch(/uniqueness_error/);
      await ws.apply('prod-persistent');
    }
    const after = persistentAddresses(fake, 'prod');
    // The daily-cycle assertion (same address on the same role) would catch this.
    expect(after[CP_IP]).not.toBe(before[CP_IP]);
    expect(after[KAFKA_IP]).toBe(before[KAFKA_IP]);
  });
});
