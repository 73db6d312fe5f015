/**
 * A simulated trading week for dev, driven only by the guard (`npm run ops -- guard dev --at
 * <instant>`), with the real engine and hcloud provider against the fake API: Thanksgiving
 * week 2026 on XNYS (Mon-Wed regular, Thursday closed, Friday an early close at 13:00, so
 * dev's windows are 09:00-16:15 ET and on Friday 09:00-13:15 ET).
 *
 * The guard runs every 30 minutes (at :04 and :34, off the window edges, as a cron would)
 * from Monday 00:00 to Sunday 24:00 ET, plus at each window's edges (a minute before, at the
 * instant, twice: a repeated run must do nothing), except on Wednesday, whose edges are left
 * to the late grid runs. After every run the project must be exactly what the calendar wants
 * at that instant: the two servers up on the same two Primary IPs inside a window, nothing but
 * the two Primary IPs outside. On Tuesday morning the preferred type (cx33) is sold out: the
 * guard's up falls back to cpx32 (server type and label), and says so in the job summary. On
 * Monday a server disappears mid-session: the next run sees `partial` and repairs it. The
 * week's wall time and API calls per day are printed.
 *
 * Then the maintenance commands by hand: recreate, an `up` that is a no-op, destroy-vms
 * (servers only), destroy-cluster (only the IPs stay), and destroy-all, which refuses a wrong
 * confirmation and otherwise leaves an empty project.
 */
import { STATE_PASSPHRASE_ENV } from '../../lib/state-encryption';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { calendarFor } from '../../environments/calendars';
import { desiredState, transitions } from '../../lib/calendar';
import { cycleCommands } from '../../scripts/ops/cycle-commands';
import type { ReadinessProber } from '../../scripts/ops/cycle';
import { FakeHcloud } from './fake-hcloud';
import { api } from './support/api';
import { inventory, persistentAddresses, servers } from './support/cloud';
import { TEST_SSH_KEYS, TEST_STATE_PASSPHRASE, lifecycleToolchain } from './support/engine';

const toolchain = lifecycleToolchain();
const describeLifecycle = toolchain ? describe : describe.skip;

const CP = 'trading-dev-cp-0';
const KAFKA = 'trading-dev-kafka-0';
const CP_IP = 'trading-dev-control-plane-ipv4';
const KAFKA_IP = 'trading-dev-kafka-ipv4';
/** Monday 23 November 2026, 00:00 EST (UTC-5) to Monday 30 November 00:00 EST. */
const WEEK_START = Date.parse('2026-11-23T05:00:00Z');
const WEEK_END = Date.parse('2026-11-30T05:00:00Z');
const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

jest.setTimeout(300_000);

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
/** The exchange-local weekday (0 = Monday) of an instant in the test week (EST, no DST change). */
const dayIndex = (ms: number) => Math.floor((ms - WEEK_START) / 86_400_000);

describeLifecycle('a trading week driven by the guard (dev, Thanksgiving week 2026)', () => {
  let fake: FakeHcloud;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let summaryFile: string;

  beforeAll(async () => {
    fake = await FakeHcloud.start();
    dir = mkdtempSync(join(tmpdir(), 'trading-week-'));
    summaryFile = join(dir, 'summary.md');
    writeFileSync(summaryFile, '');
    env = {
      ...toolchain!.env,
      ...fake.env,
      TF_VAR_ssh_public_key: TEST_SSH_KEYS.dev,
      [STATE_PASSPHRASE_ENV]: TEST_STATE_PASSPHRASE,
      GITHUB_STEP_SUMMARY: summaryFile,
    };
  });

  afterAll(async () => {
    await fake?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('up exactly inside the windows, the same addresses every day, the fallback on a sold-out morning', async () => {
    const cal = calendarFor('dev');
    const windows = transitions(cal, '2026-11-23', 7);
    expect(windows.map((w) => [w.date, w.upLocal.slice(11, 16), w.downLocal.slice(11, 16)])).toEqual([
      ['2026-11-23', '09:00', '16:15'],
      ['2026-11-24', '09:00', '16:15'],
      ['2026-11-25', '09:00', '16:15'],
      ['2026-11-27', '09:00', '13:15'],
    ]);

    // The schedule: the grid, the edges (twice at the edge itself), a dry run, a lost server.
    type Run = { at: number; dryRun?: boolean; event?: 'sold-out' | 'lose-kafka' };
    const runs: Run[] = [];
    for (let t = WEEK_START + 4 * 60_000; t < WEEK_END; t += 30 * 60_000) runs.push({ at: t });
    for (const w of windows) {
      if (w.date === '2026-11-25') continue; // Wednesday: only the late grid runs
      for (const edge of [Date.parse(w.up), Date.parse(w.down)]) {
        runs.push({ at: edge - 60_000 }, { at: edge }, { at: edge });
      }
    }
    // A dry run at Monday's up instant, before the real runs there: it would bring the cluster up.
    runs.push({ at: Date.parse(windows[0].up), dryRun: true });
    runs.push({ at: Date.parse('2026-11-23T17:10:00Z'), event: 'lose-kafka' });
    runs.push({ at: Date.parse(windows[1].up), event: 'sold-out' });
    // At one instant: the dry run first, then the run that meets an event, then the others.
    const rank = (r: Run) => (r.dryRun ? 0 : r.event ? 1 : 2);
    runs.sort((a, b) => a.at - b.at || rank(a) - rank(b));
    // The sold-out morning: the first run of Tuesday's window must be the one that meets it.
    const tuesdayUp = runs.findIndex((r) => r.at === Date.parse(windows[1].up));
    expect(runs[tuesdayUp].event).toBe('sold-out');

    // The readiness wait runs too: the injected prober asks the fake (the API does not
    // answer on the first probe; then every node's server must exist).
    let probes = 0;
    const prober: ReadinessProber = async ({ host, expectedNodes }) => {
      probes++;
      if (probes % 2 === 1) return { ready: false, detail: `API not answering yet (${host}:22 refused)` };
      const vms = servers(fake);
      const waiting = expectedNodes.filter((n) => vms.get(n)?.labels.role === undefined);
      return waiting.length
        ? { ready: false, detail: `waiting for ${waiting.join(', ')}` }
        : { ready: true, detail: `${expectedNodes.length}/${expectedNodes.length} nodes Ready` };
    };
    const commands = cycleCommands({ env, outdir: join(dir, 'cdktf.out'), prober, sleep: async () => {} });

    const started = performance.now();
    const callsAtDay: number[] = [];
    let morning: Record<string, string> | undefined;
    const actions: string[] = [];
    let summaryOffset = 0;
    const callsBy: Record<string, number[]> = { nothing: [], 'ensure-up': [], 'ensure-down': [] };
    for (const run of runs) {
      const day = dayIndex(run.at);
      while (callsAtDay.length <= day) callsAtDay.push(fake.calls.length);
      if (run.event === 'sold-out') fake.knobs.unavailableServerTypes = ['cx33@fsn1'];
      if (run.event === 'lose-kafka') {
        const kafka = servers(fake).get(KAFKA)!;
        expect((await api(fake, 'DELETE', `/servers/${kafka.id}`)).status).toBe(200);
      }
      const before = inventory(fake);
      const callsBefore = fake.calls.length;
      const out: string[] = [];
      const err: string[] = [];
      const args = ['dev', '--at', iso(run.at), ...(run.dryRun ? ['--dry-run'] : []), '--wait-timeout', '60'];
      const code = await commands.guard.run(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
      const summary = readFileSync(summaryFile, 'utf8').slice(summaryOffset);
      summaryOffset = statSync(summaryFile).size;
      if (code !== 0)
        throw new Error(`guard ${args.join(' ')} exit ${code}:\n${out.join('\n')}\n${err.join('\n')}`);
      const decision = /-> (ensure-up|ensure-down|nothing)/.exec(out[0])![1];
      if (decision !== 'nothing' && !run.dryRun) actions.push(`${iso(run.at)} ${decision}`);
      if (!run.dryRun && !run.event) callsBy[decision].push(fake.calls.length - callsBefore);

      // After every run: exactly what the calendar wants at that instant.
      const want = desiredState(cal, iso(run.at)).state;
      const inv = inventory(fake, 'dev');
      const vms = servers(fake);
      if (run.dryRun) {
        expect(out[0]).toMatch(/-> ensure-up \(dry run: nothing changed\)/);
        expect(summary).toMatch(/guard dev: ensure-up \(dry run\)/);
        expect(inventory(fake)).toEqual(before);
        continue;
      }
      if (want === 'down') {
        // Outside a window nothing is left but the two Primary IPs (none before the first deploy).
        const ips = morning ? [`primary_ip/${CP_IP}`, `primary_ip/${KAFKA_IP}`] : [];
        expect({ at: iso(run.at), inv }).toEqual({ at: iso(run.at), inv: ips });
      } else {
        expect({ at: iso(run.at), servers: [...vms.keys()].sort() }).toEqual({
          at: iso(run.at),
          servers: [CP, KAFKA],
        });
        morning ??= persistentAddresses(fake, 'dev');
        expect(vms.get(CP)!.publicIpv4).toBe(morning[CP_IP]);
        expect(vms.get(KAFKA)!.publicIpv4).toBe(morning[KAFKA_IP]);
      }
      expect(persistentAddresses(fake, 'dev')).toEqual(morning ?? persistentAddresses(fake, 'dev'));

      if (run.event === 'sold-out') {
        fake.knobs.unavailableServerTypes = [];
        expect(decision).toBe('ensure-up');
        for (const name of [CP, KAFKA]) {
          expect(vms.get(name)).toMatchObject({
            serverType: 'cpx32',
            labels: { 'server-type-choice': 'fallback-1' },
          });
        }
        expect(out.join('\n')).toMatch(/fallback: kafka cx33 -> cpx32 \(fallback-1\), same location fsn1/);
        expect(summary).toMatch(/capacity fallback/);
        expect(summary).toMatch(/kafka cpx32 \(fallback-1\)/);
        expect(summary).toMatch(/resource_unavailable/);
        expect(summary).toMatch(/cost today so far +\| \d+\.\d\d [A-Z]{3} net since \d{4}-/);
      }
      if (run.event === 'lose-kafka') {
        expect(out[0]).toMatch(/observed partial, desired up .* -> ensure-up/);
      }
      if (want === 'up' && decision === 'nothing' && dayIndex(run.at) === 1) {
        // Tuesday stays on the fallback all day (an apply never resizes a running server).
        expect(vms.get(KAFKA)!.serverType).toBe('cpx32');
      }
      if (want === 'up' && dayIndex(run.at) !== 1) {
        expect(vms.get(CP)).toMatchObject({
          serverType: 'cx33',
          labels: { 'server-type-choice': 'preferred' },
        });
      }
    }
    const seconds = (performance.now() - started) / 1000;
    callsAtDay.push(fake.calls.length);
    const perDay = DAY_NAMES.map((d, i) => `${d} ${callsAtDay[i + 1] - callsAtDay[i]}`);
    const mean = (xs: number[]) => (xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : 0);
    const perRun = Object.entries(callsBy).map(([d, xs]) => `${d} ${mean(xs)} (${xs.length}x)`);

    // One up and one down per trading day, plus the repair on Monday; nothing on Thursday or the weekend.
    expect(actions).toEqual([
      '2026-11-23T14:00:00Z ensure-up',
      '2026-11-23T17:10:00Z ensure-up',
      '2026-11-23T21:15:00Z ensure-down',
      '2026-11-24T14:00:00Z ensure-up',
      '2026-11-24T21:15:00Z ensure-down',
      '2026-11-25T14:04:00Z ensure-up',
      '2026-11-25T21:34:00Z ensure-down',
      '2026-11-27T14:00:00Z ensure-up',
      '2026-11-27T18:15:00Z ensure-down',
    ]);
    expect(fake.unhandledCalls()).toEqual([]);
    console.log(
      `trading week (dev, 2026-11-23..29, ${runs.length} guard runs, ${actions.length} actions): ${seconds.toFixed(1)} s wall; API calls per day: ${perDay.join(', ')}; total ${fake.calls.length}; per guard run: ${perRun.join(', ')}`,
    );
  });
  test('then by hand: recreate, destroy-vms, destroy-cluster and destroy-all through the commands', async () => {
    const commands = cycleCommands({ env, outdir: join(dir, 'cdktf.out') });
    const run = async (name: string, args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await commands[name].run(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    const addresses = persistentAddresses(fake, 'dev');
    const ipsOnly = [`primary_ip/${CP_IP}`, `primary_ip/${KAFKA_IP}`];
    expect(inventory(fake, 'dev')).toEqual(ipsOnly);

    // recreate: down (nothing to do) then up, on the same addresses; up again is a no-op.
    expect((await run('recreate', ['dev', '--no-wait'])).code).toBe(0);
    expect([...servers(fake).keys()].sort()).toEqual([CP, KAFKA]);
    expect(servers(fake).get(CP)!.publicIpv4).toBe(addresses[CP_IP]);
    const again = await run('up', ['dev', '--no-wait']);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/Primary IPs exist .*dev-persistent not applied/);
    expect(again.out).toMatch(/Apply complete! Resources: 0 added, 0 changed, 0 destroyed/);

    // destroy-vms: servers only, by label; --dry-run deletes nothing.
    expect((await run('destroy-vms', ['dev', '--dry-run'])).out).toMatch(/would delete 2 server\(s\)/);
    expect(servers(fake).size).toBe(2);
    expect((await run('destroy-vms', ['dev'])).code).toBe(0);
    expect(servers(fake).size).toBe(0);
    expect(inventory(fake, 'dev')).toContain('network/trading-dev');

    // destroy-cluster: the stack (its servers are already gone) and the sweep; only the IPs stay.
    expect((await run('destroy-cluster', ['dev'])).code).toBe(0);
    expect(inventory(fake, 'dev')).toEqual(ipsOnly);

    // destroy-all: a wrong confirmation changes nothing; the right one removes the IPs.
    const refused = await run('destroy-all', ['dev', '--confirm', 'prod']);
    expect(refused).toMatchObject({ code: 2 });
    expect(refused.err).toMatch(/refusing: --confirm must repeat the environment name \('dev'\)/);
    expect(inventory(fake, 'dev')).toEqual(ipsOnly);
    const all = await run('destroy-all', ['dev', '--confirm', 'dev']);
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/lift delete protection/);
    expect(inventory(fake)).toEqual([]);
    expect(readFileSync(summaryFile, 'utf8')).toMatch(/### destroy-all dev\n/);
    expect(fake.unhandledCalls()).toEqual([]);
  });
});
