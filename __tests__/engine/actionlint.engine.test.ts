/**
 * actionlint on every workflow in .github/workflows: syntax, expressions, runner labels, known
 * actions' inputs, permissions, and shellcheck on every `run:` block (actionlint runs
 * shellcheck when it is on PATH; in CI it must be). actionlint comes from `npm run toolchain`
 * (`.toolchain/bin`, version pinned in scripts/toolchain.sh and lib/versions.ts), else from
 * PATH. Without it the test skips loudly; with CI=true it fails.
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { pinnedVersion } from '../../lib/versions';
import { findTool, REPO_ROOT, toolchainDir } from './support/toolchain';

jest.setTimeout(60_000);

const WORKFLOW_DIR = join('.github', 'workflows');
const workflows = readdirSync(join(REPO_ROOT, WORKFLOW_DIR))
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => join(WORKFLOW_DIR, f));

const actionlint = findTool('actionlint');
const shellcheck = spawnSync('sh', ['-c', 'command -v shellcheck'], { encoding: 'utf8' }).stdout.trim();
if (actionlint && !shellcheck) {
  const message =
    "shellcheck is not on PATH: actionlint cannot check the workflows' run: blocks (npm run setup).";
  if (process.env.CI === 'true') throw new Error(`${message} CI=true, so this cannot be skipped.`);
  console.warn(`\n!!!!! PARTLY SKIPPING ACTIONLINT: ${message}\n`);
}

/** Exit code and output of actionlint on the given files (paths relative to the repository). */
function lint(files: readonly string[]): { status: number | null; output: string } {
  const result = spawnSync(actionlint!, ['-no-color', `-shellcheck=${shellcheck}`, ...files], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 50_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

const maybe = actionlint ? test : test.skip;

describe('GitHub workflows pass actionlint', () => {
  test('there is a workflow to lint', () => {
    expect(workflows).toContain(join(WORKFLOW_DIR, 'ci.yml'));
  });

  maybe('the toolchain builds the pinned actionlint', () => {
    const version = spawnSync(actionlint!, ['-version'], { encoding: 'utf8' }).stdout.split('\n')[0];
    if (actionlint!.startsWith(toolchainDir())) {
      expect(version).toBe(pinnedVersion('actionlint'));
    } else {
      console.warn(
        `actionlint from PATH (${actionlint}) is ${version}; the pinned one is built by npm run toolchain`,
      );
    }
  });

  (actionlint ? test.each : test.skip.each)(workflows)('%s', (workflow) => {
    expect(lint([workflow])).toEqual({ status: 0, output: '' });
  });

  maybe('a broken workflow fails, with shellcheck findings on its run: block', () => {
    const dir = mkdtempSync(join(tmpdir(), 'actionlint-'));
    try {
      const file = join(dir, 'broken.yml');
      writeFileSync(
        file,
        [
          'on: push',
          'permissions:',
          '  contents: raed',
          'jobs:',
          '  test:',
          '    runs-on: ubuntu-24.04',
          '    steps:',
          '      - uses: actions/checkout@v6',
          '        with:',
          '          fetch-dept: 1',
          '      - run: cp $SRC /tmp',
          '',
        ].join('\n'),
      );
      const { status, output } = lint([file]);
      expect(status).toBe(1);
      expect(output).toContain('raed');
      expect(output).toContain('fetch-dept');
      if (shellcheck) expect(output).toMatch(/SC2086/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
