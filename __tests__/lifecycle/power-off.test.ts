/**
 * A planned server found powered off (by hand, or by Hetzner maintenance) is part of no
 * engine plan: `up` used to report "No changes" and leave it off all day. With the real
 * engine and provider against the fake API: `up`, power a node off at the API, `up` again.
 */
import { join } from 'path';
import { cycleCommands } from '../../scripts/ops/cycle-commands';
import { FakeHcloud } from './fake-hcloud';
import { api } from './support/api';
import { servers } from './support/cloud';
import { cliEnvironment, fakeAndDir, lifecycleToolchain } from './support/engine';

const toolchain = lifecycleToolchain();
const describeLifecycle = toolchain ? describe : describe.skip;
jest.setTimeout(300_000);

describeLifecycle('dev: a planned server found powered off', () => {
  let fake: FakeHcloud;
  let dir: string;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ fake, dir, stop } = await fakeAndDir('power-off-'));
  });
  afterAll(async () => stop?.());

  const statusOf = (name: string) => [...fake.store.servers.values()].find((s) => s.name === name)?.status;

  test('the next up powers it on, says so, and leaves the running ones alone', async () => {
    const env = cliEnvironment(toolchain!, fake, dir);
    const cycle = cycleCommands({ env, outdir: join(dir, 'cdktf.out') });
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    expect(await cycle.up.run(['dev', '--no-wait'], io)).toBe(0);

    const kafka = servers(fake).get('trading-dev-kafka-0')!;
    const off = await api(fake, 'POST', `/servers/${kafka.id}/actions/poweroff`);
    expect(off.status).toBe(201);
    // the fake finishes actions over time: wait until it reports the server off
    for (let i = 0; i < 100 && statusOf('trading-dev-kafka-0') !== 'off'; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(statusOf('trading-dev-kafka-0')).toBe('off');
    const created = servers(fake).get('trading-dev-cp-0')!.id;

    lines.length = 0;
    const code = await cycle.up.run(['dev', '--no-wait'], io);
    expect({ code, out: code ? lines.join('\n') : '' }).toEqual({ code: 0, out: '' });
    expect(lines.join('\n')).toMatch(/trading-dev-kafka-0 found powered off: powering on/);
    const after = servers(fake);
    expect(statusOf('trading-dev-kafka-0')).toBe('running');
    expect(after.get('trading-dev-kafka-0')!.id).toBe(kafka.id); // powered on, not replaced
    expect(after.get('trading-dev-cp-0')!.id).toBe(created);
  });
});
