/**
 * A simulated trading week for dev, driven only by the guard (`npm run ops -- guard dev --at
 * <instant>`), with the real engine and hcloud provider against the fake API: Thanksgiving
 * week 2026 on XNYS (Mon-Wed regular, Thursday closed, Friday an early close at 13:00, so
 * dev's windows are 09:00-16:15 ET and on Friday 09:00-13:15 ET).
 *
 * The guard runs when the derived schedule fires it (lib/schedule.ts, `renderSchedule` of
 * environments/calendars.ts, dev's lines as the workflow carries them: the up and down blocks,
 * the safety runs, the dated early-close lines) from Monday 00:00 to Sunday 24:00 ET, each run
 * late by a fixed pseudo-random 0 to CRON_LAG_MINUTES minutes (on Wednesday every run is the
 * full lag late), plus a dry run. After every run the project must be exactly what the
 * calendar wants at that run's instant (what the guard just converged): the two servers up on
 * the same two Primary IPs inside a window, nothing but the two Primary IPs outside. Every up
 * and down of the week is reached, Friday's early close through its dated line, and nothing
 * happens on Thanksgiving. On Tuesday morning the preferred type (cx33) is sold out: the first
 * run inside the window falls back to cpx32 (server type and label), and says so in the job
 * summary. On Monday a server disappears mid-session: the project is `partial` until the next
 * scheduled run (a safety run) sees it and repairs it. The week's wall time, API calls per
 * day and guard jobs per day (against 144 a day every 10 minutes) are printed.
 *
 * Then the maintenance commands by hand: recreate, an `up` that is a no-op, destroy-vms
 * (servers only), destroy-cluster (only the IPs stay), and destroy-all, which refuses a wrong
 * confirmation and otherwise leaves an empty project.
 */
import { STATE_PASSPHRASE_ENV } from '../../lib/state-encryption';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CALENDARS, calendarFor } from '../../environments/calendars';
import { desiredState, transitions } from '../../lib/calendar';
import { CRON_LAG_MINUTES, renderSchedule, scheduleFires, type LineKind } from '../../lib/schedule';
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
/** Guard jobs a day of the old schedule (every 10 minutes). */
const EVERY_10_MINUTES_PER_DAY = 144;
/** Monday 12:10 ET: the Kafka server is deleted at the API, mid-session, between two runs. */
const KAFKA_LOST = Date.parse('2026-11-23T17:10:00Z');
const MINUTE = 60_000;

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

    // The schedule: dev's lines as rendered into the workflow, fired over the week, each run
    // late by a fixed pseudo-random lag of 0 to CRON_LAG_MINUTES minutes (Park-Miller, seed 14);
    // on Wednesday (a loaded day) every run is the full lag late.
    const lines = renderSchedule(CALENDARS).find((s) => s.environment === 'dev')!.lines;
    const fires = scheduleFires(lines, WEEK_START, WEEK_END);
    let seed = 14;
    const nextLag = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed % (CRON_LAG_MINUTES + 1);
    };
    type Run = {
      at: number;
      fired?: number;
      kind?: LineKind;
      dryRun?: boolean;
      event?: 'sold-out' | 'lose-kafka';
    };
    const runs: Run[] = fires.map((f) => {
      const lag = dayIndex(f.at) === 2 ? CRON_LAG_MINUTES : nextLag();
      return { at: f.at + lag * MINUTE, fired: f.at, kind: f.kind };
    });
    const lags = runs.map((r) => (r.at - r.fired!) / MINUTE);
    expect(Math.min(...lags)).toBe(0);
    expect(Math.max(...lags)).toBe(CRON_LAG_MINUTES);
    runs.sort((a, b) => a.at - b.at || a.fired! - b.fired!);
    const wants = (r: Run) => desiredState(cal, iso(r.at)).state;
    const firstUpOn = (w: (typeof windows)[number]) =>
      runs.findIndex((r) => r.at >= Date.parse(w.up) && r.at < Date.parse(w.down));
    // A dry run at the instant of Monday's first run inside the window, before it: it would
    // bring the cluster up.
    const mondayUp = firstUpOn(windows[0]);
    expect(wants(runs[mondayUp])).toBe('up');
    runs.splice(mondayUp, 0, { at: runs[mondayUp].at, dryRun: true });
    // The sold-out morning: the first run of Tuesday's window meets it.
    const tuesdayUp = firstUpOn(windows[1]);
    expect(runs[tuesdayUp].kind).toBe('up');
    runs[tuesdayUp].event = 'sold-out';
    // The lost server: the first scheduled run after the loss (a safety run) finds it.
    const repair = runs.findIndex((r) => r.at > KAFKA_LOST);
    expect({ kind: runs[repair].kind, want: wants(runs[repair]) }).toEqual({ kind: 'safety', want: 'up' });
    runs[repair].event = 'lose-kafka';
    // Guard jobs per exchange-local day, beside every 10 minutes.
    const jobsPerDay = DAY_NAMES.map((_, i) => fires.filter((f) => dayIndex(f.at) === i).length);

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
        // Lost at KAFKA_LOST (no run in between): partial until this run.
        const kafka = servers(fake).get(KAFKA)!;
        expect((await api(fake, 'DELETE', `/servers/${kafka.id}`)).status).toBe(200);
        expect([...servers(fake).keys()]).toEqual([CP]);
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
      if (decision !== 'nothing' && !run.dryRun) actions.push(`${iso(run.at)} ${decision} ${run.kind}`);
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

    // One up and one down per trading day, plus the repair on Monday (by the safety run);
    // nothing on Thursday or the weekend. Each up by the first run from `up` (inside the
    // warm-up, even the full lag late), each down by the first from `down` (Friday's by the
    // dated early-close line), with the line that fired it.
    const at = (d: string) =>
      actions.filter((x) => x.split(' ')[1] === d).map((x) => Date.parse(x.split(' ')[0]));
    for (const w of windows) {
      const [up, open, down] = [w.up, w.session.open, w.down].map((t) => Date.parse(t));
      const late = down + (15 + CRON_LAG_MINUTES) * MINUTE;
      expect({
        date: w.date,
        up: at('ensure-up').some((t) => t >= up && t < open),
        down: at('ensure-down').some((t) => t >= down && t < late),
      }).toEqual({ date: w.date, up: true, down: true });
    }
    expect(actions).toEqual([
      '2026-11-23T14:04:00Z ensure-up up',
      '2026-11-23T17:37:00Z ensure-up safety',
      '2026-11-23T21:20:00Z ensure-down down',
      '2026-11-24T14:06:00Z ensure-up up',
      '2026-11-24T21:15:00Z ensure-down down',
      '2026-11-25T14:11:00Z ensure-up up',
      '2026-11-25T21:16:00Z ensure-down down',
      '2026-11-27T14:03:00Z ensure-up up',
      '2026-11-27T18:16:00Z ensure-down early-close',
    ]);
    // Jobs a day: 8 of the up lines (both DST offsets), 12 of the down lines, 3 safety runs on
    // every weekday (cron knows no holidays), 3 on the weekend; Friday's early close adds its 6
    // dated runs, and so does Thursday (26 November is the early close of 2027: cron has no year).
    // The targets, not today's counts: at most 30 a trading day and 4 on other days, plus the
    // dated lines' runs on top.
    const dated = DAY_NAMES.map(
      (_, i) => fires.filter((f) => dayIndex(f.at) === i && f.kind === 'early-close').length,
    );
    DAY_NAMES.forEach((d, i) =>
      expect({ d, jobs: jobsPerDay[i] - dated[i] <= (i < 5 ? 30 : 4) }).toEqual({ d, jobs: true }),
    );
    expect(fake.unhandledCalls()).toEqual([]);
    const jobs = jobsPerDay.reduce((a, b) => a + b, 0);
    console.log(
      `trading week (dev, 2026-11-23..29, derived schedule, lag 0-${CRON_LAG_MINUTES} min): ${runs.length} guard runs (${fires.length} scheduled + 1 dry run), ${actions.length} actions: ${seconds.toFixed(1)} s wall; guard jobs per day: ${DAY_NAMES.map((d, i) => `${d} ${jobsPerDay[i]}`).join(', ')} = ${jobs} a week (every 10 minutes: ${EVERY_10_MINUTES_PER_DAY} a day, ${7 * EVERY_10_MINUTES_PER_DAY} a week); API calls per day: ${perDay.join(', ')}; total ${fake.calls.length}; per guard run: ${perRun.join(', ')}`,
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
