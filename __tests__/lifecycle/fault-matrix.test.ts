/**
 * The fault matrix of the daily cycle (issue 14, section 1), the way runs really end: the CLI
 * run as the workflows run it (`bash scripts/ops/ops.sh`), against the fake API with the real
 * engine and provider, the state in a fake S3 bucket locked with a lock object (as in
 * production: a killed engine's lock stays behind, unlike a local state file's).
 *
 * Each case interrupts `up` or `down` at one point (the persistent apply, the server creates,
 * the destroy) with either a runner's cancel (SIGINT, SIGTERM 1 s later, SIGKILL of every
 * process 10 s later) or a lost runner (SIGKILL of every process at once), then runs one guard
 * (as the next scheduled job would: `OPS_CLEAR_STALE_LOCKS=1`, the lock aged past the longest
 * run). After it: the cluster is as the calendar wants it, nothing at the API is unknown to the
 * state (no orphan), and no lock is left.
 */
import { spawn } from 'child_process';
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { cycleCommands } from '../../scripts/ops/cycle-commands';
import { ProjectEngine } from '../../scripts/ops/engine';
import { clusterVars } from '../../scripts/ops/identity-store';
import { stateIds } from '../../scripts/ops/orphans';
import { FakeHcloud } from './fake-hcloud';
import { FakeS3 } from './fake-s3';
import { cliEnvironment, fakeAndDir, lifecycleToolchain } from './support/engine';
import { REPO_ROOT } from '../engine/support/toolchain';

const toolchain = lifecycleToolchain();
const describeLifecycle = toolchain ? describe : describe.skip;
jest.setTimeout(900_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(
  what: string,
  check: () => boolean,
  seconds: number,
  gone?: () => string | undefined,
): Promise<void> {
  for (let i = 0; i < seconds * 10; i++) {
    if (check()) return;
    const why = gone?.();
    if (why !== undefined) throw new Error(`the command ended before ${what}:\n${why}`);
    await sleep(100);
  }
  throw new Error(`timed out after ${seconds} s waiting for ${what}`);
}

/** Every process below `pid` (the CLI's engine runs in its own process group, so a tree walk). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(entry), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) {
      if (pp === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

/** SIGKILL to a process and everything below it, as a runner that is lost or times out does. */
function killTree(pid: number): void {
  for (const p of [pid, ...descendants(pid)]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

type Fault = 'cancel' | 'kill';
type Point = 'persistent apply' | 'server creates' | 'destroy';

/** A Wednesday inside dev's window (10:00 New York) and the same evening, outside it. */
const INSIDE = '2026-12-02T15:00:00Z';
const OUTSIDE = '2026-12-02T23:00:00Z';

describeLifecycle('fault matrix: interrupted up and down, then one guard run', () => {
  let fake: FakeHcloud;
  let s3: FakeS3;
  let dir: string;
  let stop: (() => Promise<void>) | undefined;
  const timings: string[] = [];

  beforeAll(async () => {
    ({ fake, dir, stop } = await fakeAndDir('fault-matrix-'));
    s3 = await FakeS3.start();
  });
  afterAll(async () => {
    if (timings.length) console.log(`fault matrix timings:\n${timings.join('\n')}`);
    await s3?.stop();
    await stop?.();
  });

  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    ...cliEnvironment(toolchain!, fake, dir),
    ...s3.env,
    // The next scheduled job: the concurrency group excludes any other run.
    OPS_CLEAR_STALE_LOCKS: '1',
    // A dead run's lock is waited for this long before it is judged (120 s by default: the
    // lost-runner cases would wait that long each; the rule is the same).
    OPS_LOCK_TIMEOUT_SECONDS: '15',
    ...extra,
  });

  /** Runs a CLI command in-process, as a guard job would; returns its exit code and output. */
  async function cli(
    args: string[],
    extra: Record<string, string> = {},
  ): Promise<{ code: number; out: string }> {
    const lines: string[] = [];
    let code: number;
    try {
      code = await cycleCommands({ env: env(extra), outdir: join(dir, 'cdktf.out') })[args[0]!]!.run(
        args.slice(1),
        { out: (l) => lines.push(l), err: (l) => lines.push(l) },
      );
    } catch (e) {
      // As scripts/ops/cli.ts does: the message, exit 1.
      lines.push(`${(e as Error).name}: ${(e as Error).message}\n${(e as Error).stack ?? ''}`);
      code = 1;
    }
    return { code, out: lines.join('\n') };
  }

  /** Ages every lock object past the longest run: the guard runs as if an hour later. */
  function ageLocks(): void {
    for (const key of s3.locks()) {
      const o = s3.objects.get(key)!;
      const info = JSON.parse(o.body.toString('utf8')) as Record<string, unknown>;
      info.Created = new Date(Date.now() - 2 * 3600_000).toISOString();
      s3.objects.set(key, { ...o, body: Buffer.from(JSON.stringify(info)) });
    }
  }

  /** What the API holds with dev's labels that the states do not know. */
  async function orphans(): Promise<string[]> {
    const engine = new ProjectEngine({ env: env(), outdir: join(dir, 'cdktf.out') });
    const ids = new Map<string, Set<string>>();
    for (const stack of ['dev', 'dev-persistent']) {
      const r = await engine.run(stack, ['show', '-json', '-no-color'], clusterVars(undefined, 'dev'));
      expect({ stack, code: r.code, err: r.code ? r.stderr : '' }).toEqual({ stack, code: 0, err: '' });
      for (const [type, set] of stateIds(r.stdout.trim() ? JSON.parse(r.stdout) : {})) {
        ids.set(type, new Set([...(ids.get(type) ?? []), ...set]));
      }
    }
    const st = fake.store;
    const dev = (labels: Record<string, string>) => labels.environment === 'dev';
    const unknown = (
      type: string,
      items: Iterable<{ id: number; name: string; labels: Record<string, string> }>,
    ) =>
      [...items]
        .filter((r) => dev(r.labels) && !ids.get(type)?.has(String(r.id)))
        .map((r) => `${type} ${r.name}`);
    return [
      ...unknown('hcloud_server', st.servers.values()),
      ...unknown('hcloud_primary_ip', st.primaryIps.values()),
      ...unknown('hcloud_network', st.networks.values()),
      ...unknown('hcloud_firewall', st.firewalls.values()),
      ...unknown('hcloud_ssh_key', st.sshKeys.values()),
      ...unknown('hcloud_placement_group', st.placementGroups.values()),
    ];
  }

  const devServers = () => [...fake.store.servers.values()].filter((s) => s.labels.environment === 'dev');

  /** Starts `ops.sh <command> dev`, waits for `point`, interrupts it with `fault`; returns its output. */
  async function interrupted(command: 'up' | 'down', point: Point, fault: Fault): Promise<string> {
    const args = command === 'up' ? ['up', 'dev', '--no-wait'] : ['down', 'dev'];
    const child = spawn('bash', [join(REPO_ROOT, 'scripts', 'ops', 'ops.sh'), ...args], {
      cwd: REPO_ROOT,
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    let ended = false;
    const exited = new Promise<void>((r) =>
      child.on('close', () => {
        ended = true;
        r();
      }),
    );
    const gone = () => (ended ? output : undefined);
    try {
      if (point === 'persistent apply') {
        await until('the persistent apply', () => /apply dev-persistent/.test(output), 240, gone);
        fake.knobs.actionLatencyMs = 3000;
        fake.knobs.requestLatencyMs = 300;
        await until('a Primary IP being created', () => fake.store.primaryIps.size > 0, 120);
      } else if (point === 'server creates') {
        await until('the cluster apply', () => /apply dev with/.test(output), 300, gone);
        fake.knobs.actionLatencyMs = 4000;
        await until('a server being created', () => devServers().length > 0, 120);
      } else {
        await until('the destroy', () => /destroy dev/.test(output), 240, gone);
        fake.knobs.actionLatencyMs = 4000;
        await until('a server being deleted', () => devServers().length < 2, 120);
      }
      if (fault === 'kill') {
        killTree(child.pid!);
      } else {
        child.kill('SIGINT');
        await sleep(1000);
        if (child.exitCode === null) child.kill('SIGTERM');
        const done = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
        if (!done) killTree(child.pid!);
      }
      await Promise.race([exited, sleep(30_000)]);
    } finally {
      fake.knobs.actionLatencyMs = 0;
      fake.knobs.requestLatencyMs = 0;
      killTree(child.pid!);
      child.stdout.destroy();
      child.stderr.destroy();
    }
    // What a killed engine started goes on at the API (the fake finishes its actions).
    await sleep(500);
    return output;
  }

  const cases: [string, 'up' | 'down', Point, Fault][] = [
    ['up: a cancel during the persistent apply', 'up', 'persistent apply', 'cancel'],
    ['up: a lost runner during the persistent apply', 'up', 'persistent apply', 'kill'],
    ['up: a cancel during the server creates', 'up', 'server creates', 'cancel'],
    ['up: a lost runner during the server creates', 'up', 'server creates', 'kill'],
    ['down: a cancel during the destroy', 'down', 'destroy', 'cancel'],
    ['down: a lost runner during the destroy', 'down', 'destroy', 'kill'],
  ];

  test.each(cases)('%s: one guard run converges, no orphan, no lock', async (name, command, point, fault) => {
    const started = Date.now();
    if (point === 'persistent apply') {
      // From nothing: the Primary IPs are created by this up.
      if (fake.store.primaryIps.size > 0)
        expect((await cli(['destroy-all', 'dev', '--confirm', 'dev'])).code).toBe(0);
    } else if (command === 'up') {
      expect((await cli(['down', 'dev'])).code).toBe(0);
    } else {
      expect((await cli(['up', 'dev', '--no-wait'])).code).toBe(0);
    }
    const output = await interrupted(command, point, fault);
    if (fault === 'cancel') expect(output).toMatch(/\[ops\] SIGINT: /);

    ageLocks();
    const at = command === 'up' ? INSIDE : OUTSIDE;
    const g = await cli(['guard', 'dev', '--at', at, '--no-wait']);
    expect({ code: g.code, out: g.code ? g.out : '' }).toEqual({ code: 0, out: '' });

    if (command === 'up') {
      expect(
        devServers()
          .map((s) => `${s.name} ${s.status}`)
          .sort(),
      ).toEqual(['trading-dev-cp-0 running', 'trading-dev-kafka-0 running']);
    } else {
      expect(devServers()).toEqual([]);
    }
    expect(await orphans()).toEqual([]);
    expect(s3.locks()).toEqual([]);
    // A second guard finds everything as desired.
    const again = await cli(['guard', 'dev', '--at', at, '--no-wait']);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/-> nothing/);
    timings.push(`  ${name}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });

  test('a young lock (a run may still be working) fails the guard with the exact command to clear it', async () => {
    expect((await cli(['down', 'dev'])).code).toBe(0);
    const key = 'hetzner-trading/dev.tfstate.tflock';
    const info = {
      ID: '11111111-2222-3333-4444-555555555555',
      Operation: 'OperationTypeApply',
      Info: '',
      Who: 'runner@elsewhere',
      Version: '1.12.6',
      Created: new Date().toISOString(),
      Path: `${s3.bucket}/hetzner-trading/dev.tfstate`,
    };
    s3.objects.set(key, { body: Buffer.from(JSON.stringify(info)), etag: 'x', modified: new Date() });
    const g = await cli(['guard', 'dev', '--at', INSIDE, '--no-wait'], { OPS_LOCK_TIMEOUT_SECONDS: '2' });
    expect(g.code).not.toBe(0);
    expect(g.out).toMatch(/younger than the longest run/);
    expect(g.out).toContain(`npm run tf -- dev force-unlock -force ${info.ID}`);
    expect(devServers()).toEqual([]);
    expect(s3.locks()).toEqual([key]);
    s3.objects.delete(key);
  });
});
