/**
 * The engine runner under the run's limits, with a stand-in engine (a shell script on
 * `ENGINE`) so the timing is exact: the deadline bounds a running command (SIGINT, as for
 * the job's timeout), refuses to start one past it, and every locking command gets
 * `-lock-timeout`; a stale lock is cleared with `force-unlock` and the command runs again.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ProjectEngine } from '../../scripts/ops/engine';
import { DeadlineError, StateLockedError, type RunLimits } from '../../scripts/ops/run-limits';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'engine-limits-'));
  mkdirSync(join(dir, 'out', 'stacks', 'dev', '.terraform'), { recursive: true });
  writeFileSync(join(dir, 'out', 'stacks', 'dev', 'cdk.tf.json'), '{}');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in engine: logs its arguments, then runs `body`. */
function engineScript(body: string): string {
  const path = join(dir, 'engine.sh');
  writeFileSync(path, `#!/usr/bin/env bash\necho "$*" >> "${join(dir, 'calls')}"\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const calls = () => readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');

function engineWith(script: string, limits: RunLimits): ProjectEngine {
  return new ProjectEngine({
    outdir: join(dir, 'out'),
    env: { PATH: process.env.PATH, TOOLCHAIN_DIR: join(dir, 'none'), ENGINE: script },
    limits,
  });
}

const limits = (over: Partial<RunLimits> = {}): RunLimits => ({
  deadline: Date.now() + 600_000,
  maxRunSeconds: 3600,
  clearStaleLocks: false,
  lockTimeoutSeconds: 7,
  ...over,
});

test('a command still running at the deadline gets SIGINT (and writes its state)', async () => {
  const script = engineScript(
    `trap 'echo "SIGINT: writing state" >&2; exit 1' INT\nfor i in $(seq 1 300); do sleep 0.1; done`,
  );
  const started = Date.now();
  const r = await engineWith(script, limits({ deadline: Date.now() + 2000 })).run('dev', ['apply']);
  const seconds = (Date.now() - started) / 1000;
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/SIGINT: writing state/);
  expect(r.stderr).toMatch(/stopped after [12] s \(time limit\)/);
  expect(seconds).toBeLessThan(20);
});

test('nothing starts past the deadline', async () => {
  const script = engineScript('exit 0');
  await expect(
    engineWith(script, limits({ deadline: Date.now() - 1 })).run('dev', ['apply']),
  ).rejects.toThrow(DeadlineError);
});

test('locking commands get -lock-timeout, reading ones do not', async () => {
  const script = engineScript('exit 0');
  const e = engineWith(script, limits());
  await e.run('dev', ['apply', '-auto-approve']);
  await e.run('dev', ['output', '-json']);
  expect(calls()).toEqual(['apply -lock-timeout=7s -auto-approve', 'output -json']);
});

const LOCK_ERROR = (created: string) =>
  `cat >&2 <<'EOF'\nError: Error acquiring the state lock\n\nLock Info:\n  ID:        lock-1\n  Path:      b/k\n  Operation: OperationTypeApply\n  Who:       runner@gone\n  Version:   1.12.6\n  Created:   ${created}\n  Info:\nEOF\nexit 1`;

test('a stale lock is cleared (logged) and the command runs again', async () => {
  const old = '2026-01-01 00:00:00.000000000 +0000 UTC';
  const script = engineScript(
    `if [[ "$1" == force-unlock ]]; then rm -f "${join(dir, 'locked')}"; exit 0; fi\nif [[ ! -e "${join(dir, 'unlocked-once')}" ]]; then touch "${join(dir, 'unlocked-once')}"; ${LOCK_ERROR(old)}; fi\nexit 0`,
  );
  const lines: string[] = [];
  const e = new ProjectEngine({
    outdir: join(dir, 'out'),
    env: { PATH: process.env.PATH, TOOLCHAIN_DIR: join(dir, 'none'), ENGINE: script },
    limits: limits({ clearStaleLocks: true }),
    log: (l) => lines.push(l),
  });
  const r = await e.run('dev', ['apply']);
  expect(r.code).toBe(0);
  expect(calls()).toEqual([
    'apply -lock-timeout=7s',
    'force-unlock -force -no-color lock-1',
    'apply -lock-timeout=7s',
  ]);
  expect(lines.join('\n')).toMatch(/clearing a stale state lock: held by runner@gone .*left by a killed run/);
});

test('a young lock, or clearing not allowed: the run fails with the exact command', async () => {
  const now = new Date().toISOString();
  const young = `${now.slice(0, 10)} ${now.slice(11, 19)}.000000000 +0000 UTC`;
  for (const [created, clear, why] of [
    [young, true, /younger than the longest run/],
    ['2026-01-01 00:00:00.000000000 +0000 UTC', false, /OPS_CLEAR_STALE_LOCKS is not 1/],
  ] as const) {
    rmSync(join(dir, 'calls'), { force: true });
    const script = engineScript(LOCK_ERROR(created));
    const run = engineWith(script, limits({ clearStaleLocks: clear })).run('dev', ['apply']);
    await expect(run).rejects.toThrow(StateLockedError);
    await expect(run).rejects.toThrow(why);
    await expect(run).rejects.toThrow('npm run tf -- dev force-unlock -force lock-1');
    expect(calls()).toEqual(['apply -lock-timeout=7s']);
  }
});
