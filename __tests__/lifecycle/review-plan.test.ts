/**
 * The review's validate and plan scripts with the real engine, the state in a fake S3 bucket
 * and the fake API (issue 14: the plan failed after validate, which had initialised another
 * backend). As review.yml runs them: `npm run tf -- <stack> validate` for every stack, then
 * `scripts/workflows/review-plan.sh`, after an `up` made the state. The plan must succeed for
 * both stacks, take no lock, and find nothing to change.
 */
import { spawn } from 'child_process';
import { existsSync, mkdtempSync, readFileSync } from 'fs';
import { join } from 'path';
import { cycleCommands } from '../../scripts/ops/cycle-commands';
import { FakeHcloud } from './fake-hcloud';
import { FakeS3 } from './fake-s3';
import { cliEnvironment, fakeAndDir, lifecycleToolchain } from './support/engine';
import { REPO_ROOT } from '../engine/support/toolchain';

const toolchain = lifecycleToolchain();
const describeLifecycle = toolchain ? describe : describe.skip;
jest.setTimeout(600_000);

describeLifecycle('review: validate, then plan against the S3 state, with the real engine', () => {
  let fake: FakeHcloud;
  let s3: FakeS3;
  let dir: string;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ fake, dir, stop } = await fakeAndDir('review-plan-'));
    s3 = await FakeS3.start();
  });
  afterAll(async () => {
    await s3?.stop();
    await stop?.();
  });

  test('validate leaves the S3 plan working; the plan reads the state, takes no lock, finds no change', async () => {
    const env = { ...cliEnvironment(toolchain!, fake, dir), ...s3.env };
    const lines: string[] = [];
    const up = await cycleCommands({ env, outdir: join(dir, 'cdktf.out') }).up.run(['dev', '--no-wait'], {
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
    });
    expect({ up, out: up ? lines.join('\n') : '' }).toEqual({ up: 0, out: '' });
    expect(s3.objects.has('hetzner-trading/dev.tfstate')).toBe(true);

    // Asynchronous: the fakes answer from this process, so a spawnSync would block them.
    const run = (args: string[], extra: Record<string, string> = {}) =>
      new Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
        (done) => {
          const child = spawn(args[0]!, args.slice(1), { cwd: REPO_ROOT, env: { ...env, ...extra } });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          const timer = setTimeout(() => child.kill('SIGTERM'), 300_000);
          child.on('close', (status, signal) => {
            clearTimeout(timer);
            done({ status, signal, stdout, stderr });
          });
        },
      );
    // review.yml's validate step: without the passphrase, as a pull request's job has none.
    for (const stack of ['dev-persistent', 'dev']) {
      const v = await run(['npm', 'run', '--silent', 'tf', '--', stack, 'validate', '-no-color'], {
        TF_VAR_state_passphrase: '',
      });
      expect({ stack, status: v.status, out: v.status ? v.stdout + v.stderr : '' }).toEqual({
        stack,
        status: 0,
        out: '',
      });
    }
    const locksBefore = s3.calls.filter((c) => c.includes('.tflock')).length;
    const reviewDir = mkdtempSync(join(dir, 'review-'));
    const plan = await run(['bash', join(REPO_ROOT, 'scripts', 'workflows', 'review-plan.sh')], {
      REVIEW_DIR: reviewDir,
      RUNNER_TEMP: dir,
      HCLOUD_TOKEN_READONLY_DEV: fake.env.HCLOUD_TOKEN!,
    });
    expect({
      signal: plan.signal,
      out: plan.signal ? `${plan.stdout}\n${plan.stderr}`.slice(-6000) : '',
    }).toEqual({
      signal: null,
      out: '',
    });
    const note = join(reviewDir, 'plan.note');
    expect({
      skipped: existsSync(note) ? readFileSync(note, 'utf8') + plan.stdout + plan.stderr : '',
    }).toEqual({
      skipped: '',
    });
    const md = readFileSync(join(reviewDir, 'plan.md'), 'utf8');
    expect({ status: plan.status, md: plan.status ? `${md}\n${plan.stdout}\n${plan.stderr}` : '' }).toEqual({
      status: 0,
      md: '',
    });
    expect(md).toMatch(/#### `dev-persistent`/);
    expect(md).toMatch(/#### `dev`/);
    expect(md).not.toMatch(/plan failed/);
    expect(md).toMatch(/no changes|0 to add, 0 to change, 0 to destroy/i);
    // -lock=false: a review never holds up the daily cycle.
    expect(s3.calls.filter((c) => c.includes('.tflock')).length).toBe(locksBefore);
  });
});
