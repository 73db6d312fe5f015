/**
 * The bundled decide step (scripts/ops/dist/guard-decide.cjs, `npm run bundle-guard`): it is a
 * fresh build of scripts/ops/guard-decide.ts, needs nothing but Node's own modules, and decides
 * what `guard --dry-run` decides, against the fake API, without node_modules or ts-node.
 */
import { spawn } from 'child_process';
import { readFileSync } from 'fs';
import { builtinModules } from 'module';
import { join } from 'path';
import { FakeHcloud } from '../lifecycle/fake-hcloud';
import { GUARD_BUNDLE, guardBundle, ROOT } from '../../scripts/bundle-guard';
import { main } from '../../scripts/ops/guard-decide';

jest.setTimeout(60_000);

test('the committed bundle is a fresh build (else: npm run bundle-guard)', async () => {
  const fresh = await guardBundle();
  const committed = readFileSync(GUARD_BUNDLE, 'utf8');
  if (committed !== fresh) {
    throw new Error(
      'scripts/ops/dist/guard-decide.cjs is not a fresh build of scripts/ops/guard-decide.ts and what it imports: run `npm run bundle-guard` and commit it',
    );
  }
});

test('the bundle requires nothing but Node built-ins (no node_modules on the runner)', () => {
  const text = readFileSync(GUARD_BUNDLE, 'utf8');
  const required = [...text.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
  const builtin = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  expect([...new Set(required)].filter((r) => !builtin.has(r))).toEqual([]);
});

describe('the bundle against the fake API decides as guard --dry-run does', () => {
  let fake: FakeHcloud;
  beforeAll(async () => {
    fake = await FakeHcloud.start();
  });
  afterAll(async () => fake?.stop());

  // Asynchronously: the fake answers from this process.
  const runBundle = (args: string[], env: Record<string, string> = fake.env) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn(process.execPath, [GUARD_BUNDLE, ...args], {
        cwd: join(ROOT, 'scripts', 'ops', 'dist'),
        // Only what a runner step gets: no NODE_PATH, no ts-node, no node_modules/.bin on PATH.
        env: { PATH: '/usr/bin:/bin', ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (status) => done({ status, stdout, stderr }));
    });

  test.each([
    ['2026-11-24T12:00:00Z', 'nothing'],
    ['2026-11-24T14:01:00Z', 'ensure-up'],
    ['2026-11-28T14:01:00Z', 'nothing'],
  ])('dev at %s (nothing exists): %s, as the in-process decide says', async (at, action) => {
    const started = performance.now();
    const ran = await runBundle(['dev', '--at', at]);
    const seconds = (performance.now() - started) / 1000;
    expect({ status: ran.status, stderr: ran.stderr }).toEqual({ status: 0, stderr: '' });
    expect(ran.stdout).toMatch(new RegExp(`guard-decide dev: ${action}: `));
    const out: string[] = [];
    expect(await main(['dev', '--at', at], { env: { ...fake.env }, log: (l) => out.push(l) })).toBe(0);
    expect(out.join('\n')).toMatch(new RegExp(`-> ${action}\\b`));
    expect(ran.stdout.split('\n')[0]).toBe(out[0]);
    expect(seconds).toBeLessThan(30);
  });

  test('a bad command line exits 2 with the usage; an API it cannot reach exits 1', async () => {
    expect((await runBundle(['staging'])).status).toBe(2);
    const unreachable = await runBundle(['dev'], {
      HCLOUD_ENDPOINT: 'http://127.0.0.1:9/v1',
      HCLOUD_TOKEN: 'x',
    });
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toMatch(/guard-decide dev: cannot decide/);
  });
});
