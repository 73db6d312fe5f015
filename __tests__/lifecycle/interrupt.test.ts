/**
 * Interrupting `up` the way a runner does (SIGINT to the CLI, SIGTERM shortly after, SIGKILL
 * 10 s later), while the engine creates servers, against the fake API with the real engine:
 * the CLI forwards one SIGINT to the engine (which runs in its own process group), starts
 * nothing new, and says what to run; the engine writes its state and releases the lock, so
 * every server at the API is in the state and the next `up` converges without a name clash.
 */
import { spawn } from 'child_process';
import { existsSync, readdirSync } from 'fs';
import { join } from 'path';
import { cycleCommands } from '../../scripts/ops/cycle-commands';
import { ProjectEngine } from '../../scripts/ops/engine';
import { clusterVars } from '../../scripts/ops/identity-store';
import { FakeHcloud } from './fake-hcloud';
import { servers } from './support/cloud';
import { cliEnvironment, fakeAndDir, lifecycleToolchain } from './support/engine';
import { REPO_ROOT } from '../engine/support/toolchain';

const toolchain = lifecycleToolchain();
const describeLifecycle = toolchain ? describe : describe.skip;
jest.setTimeout(400_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, seconds: number): Promise<void> {
  for (let i = 0; i < seconds * 10; i++) {
    if (check()) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${seconds} s waiting for ${what}`);
}

describeLifecycle('dev: up interrupted while servers are created', () => {
  let fake: FakeHcloud;
  let dir: string;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ fake, dir, stop } = await fakeAndDir('interrupt-'));
  });
  afterAll(async () => stop?.());

  test.each([
    [
      'SIGINT, then SIGTERM 1 s later, then SIGKILL 10 s later (a workflow cancel)',
      ['SIGINT', 'SIGTERM', 'SIGKILL'],
    ],
  ] as const)(
    '%s: state written, lock released, nothing orphaned, the next up converges',
    async (_, signals) => {
      const env = cliEnvironment(toolchain!, fake, dir);
      // As the workflows run it: bash scripts/ops/ops.sh, which exec's node on the CLI.
      const cli = spawn('bash', [join(REPO_ROOT, 'scripts', 'ops', 'ops.sh'), 'up', 'dev', '--no-wait'], {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      cli.stdout.on('data', (d: Buffer) => (output += d.toString()));
      cli.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((r) => cli.on('close', (code) => r(code)));

      // The persistent stack goes first at full speed; then servers take a while to create.
      await until('the cluster apply', () => /apply dev with/.test(output), 240);
      fake.knobs.actionLatencyMs = 4000;
      await until('a server being created', () => fake.store.servers.size > 0, 120);

      cli.kill(signals[0]);
      await sleep(1000);
      if (cli.exitCode === null) cli.kill(signals[1]);
      const code = await Promise.race([exited, sleep(10_000).then(() => 'alive' as const)]);
      if (code === 'alive') cli.kill(signals[2]);
      const finalCode = code === 'alive' ? await exited : code;
      fake.knobs.actionLatencyMs = 0;
      cli.stdout.destroy();
      cli.stderr.destroy();

      // The engine was asked to stop once and wrote its state: the lock goes away by itself.
      const stateDir = join(dir, 'state');
      await until(
        'the engine to release the state lock',
        () => !readdirSync(stateDir).some((f) => f.includes('lock')),
        120,
      );
      expect(output).toMatch(
        /\[ops\] SIGINT: asking the running engine to stop and write its state; nothing new starts/,
      );
      if (finalCode !== null) {
        expect(finalCode).toBe(130);
        expect(output).toMatch(/interrupted by SIGINT.*run the same command again/);
      }

      // Every server at the API is in the state (nothing the state does not know).
      const engine = new ProjectEngine({ env, outdir: join(dir, 'cdktf.out') });
      const list = await engine.run('dev', ['state', 'list'], clusterVars(undefined, 'dev'));
      expect(list.code).toBe(0);
      const inState = list.stdout.split('\n').filter((l) => l.startsWith('hcloud_server.')).length;
      expect(inState).toBe(servers(fake).size);
      expect(existsSync(join(stateDir, 'dev.tfstate'))).toBe(true);

      // The next up (in-process, as a guard run would) converges: no uniqueness error.
      const lines: string[] = [];
      const again = await cycleCommands({ env, outdir: join(dir, 'cdktf.out') }).up.run(
        ['dev', '--no-wait'],
        {
          out: (l) => lines.push(l),
          err: (l) => lines.push(l),
        },
      );
      expect({ again, out: again ? lines.join('\n') : '' }).toEqual({ again: 0, out: '' });
      expect(lines.join('\n')).not.toMatch(/uniqueness_error/);
      expect([...servers(fake).keys()].sort()).toEqual(['trading-dev-cp-0', 'trading-dev-kafka-0']);
    },
  );
});
