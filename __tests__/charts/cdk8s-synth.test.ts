import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { readGitopsFolder, renderGitops, renderGitopsFiles } from '../../charts/render';

const root = path.join(__dirname, '..', '..');
const cdk8sBin = path.join(root, 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s');

/** Files a previous render could have left behind: an environment and an object that no longer exist. */
const STALE = ['old-env/apps/application-argocd-gone.yaml', 'dev/kafka/kafkatopic-kafka-removed.yaml'];

/** A scratch folder inside the repository (.build/ is ignored), with the stale files planted. */
function plantedDir(prefix: string): string {
  fs.mkdirSync(path.join(root, '.build'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(root, '.build', prefix));
  for (const rel of STALE) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), 'kind: Stale\n');
  }
  return dir;
}

/**
 * `npx cdk8s synth` from the repo root, reading cdk8s.yaml there, with GITOPS_DIR=<dir>.
 * `preload`: a script every node process loads first (NODE_OPTIONS --require).
 */
function cdk8sSynth(outDir: string, preload?: string) {
  // Only our CDK8S_* settings: the CLI reads any CDK8S_<OPTION> from the environment.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CDK8S_')));
  return spawnSync(process.execPath, [cdk8sBin, 'synth', '--no-check-upgrade'], {
    cwd: root,
    env: {
      ...env,
      CDK8S_CHECK_UPGRADE: 'false',
      GITOPS_DIR: outDir,
      ...(preload ? { NODE_OPTIONS: `--require ${preload}` } : {}),
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('`npx cdk8s synth` (cdk8s.yaml)', () => {
  test('runs the GitOps renderer, lets the CLI delete only a scratch folder, and declares no CRD imports', () => {
    const config = parse(fs.readFileSync(path.join(root, 'cdk8s.yaml'), 'utf8'));
    expect(config).toEqual({
      language: 'typescript',
      app: 'node scripts/cdk8s-app.mjs',
      output: '.build/cdk8s.out',
    });
    // the scratch folder is ignored by git, so the CLI's delete never touches a committed file
    const ignored = spawnSync('git', ['check-ignore', '-q', '.build/cdk8s.out/x'], { cwd: root });
    expect(ignored.status).toBe(0);
  });

  test('writes byte for byte the files `npm run synth` renders, and removes stale files', () => {
    const viaCdk8s = plantedDir('cdk8s-synth-');
    const viaRenderer = plantedDir('render-gitops-');
    try {
      const result = cdk8sSynth(viaCdk8s);
      if (result.status !== 0) throw new Error(`cdk8s synth failed (${result.status}):\n${result.stderr}`);
      renderGitops(viaRenderer);

      const files = [...readGitopsFolder(viaCdk8s).keys()];
      expect(files).toEqual([...readGitopsFolder(viaRenderer).keys()]);
      expect(files).toEqual([...renderGitopsFiles().keys()]);
      for (const file of files) {
        const [a, b] = [viaCdk8s, viaRenderer].map((dir) => fs.readFileSync(path.join(dir, file)));
        expect({ file, identical: a.equals(b) }).toEqual({ file, identical: true });
      }
      for (const dir of [viaCdk8s, viaRenderer]) {
        for (const rel of STALE) expect(fs.existsSync(path.join(dir, rel))).toBe(false);
        expect(fs.existsSync(path.join(dir, 'old-env'))).toBe(false);
      }
    } finally {
      fs.rmSync(viaCdk8s, { recursive: true, force: true });
      fs.rmSync(viaRenderer, { recursive: true, force: true });
    }
  }, 60_000);

  test('a render that fails leaves every committed file as it was', () => {
    const dir = plantedDir('cdk8s-failing-');
    // The renderer's own process dies at start (as a broken chart would); the CLI runs on.
    const preload = path.join(dir, '..', `${path.basename(dir)}-fail.js`);
    fs.writeFileSync(
      preload,
      "if ((process.argv[1] || '').includes('render-gitops')) { console.error('render failed on purpose'); process.exit(3); }\n",
    );
    try {
      renderGitops(dir);
      const before = readGitopsFolder(dir);
      expect(before.size).toBeGreaterThan(10);
      const result = cdk8sSynth(dir, preload);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('render failed on purpose');
      expect(readGitopsFolder(dir)).toEqual(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(preload, { force: true });
    }
  }, 60_000);

  test('a render killed between write and rename leaves a .tmp that the next render removes', () => {
    const dir = plantedDir('render-tmp-');
    try {
      fs.mkdirSync(path.join(dir, 'dev'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'dev', 'x.yaml.123.tmp'), 'half');
      renderGitops(dir);
      expect([...readGitopsFolder(dir).keys()]).toEqual([...renderGitopsFiles().keys()]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
