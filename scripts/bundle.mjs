// esbuild bundling shared by scripts/synth.mjs (`npm run synth`) and scripts/cdk8s-app.mjs
// (`npx cdk8s synth`): a TypeScript entry becomes one CommonJS file in .build/ run by plain
// node, without ts-node compiling the provider bindings (no type-check; `npm run build` does that).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, '.build');

/** Bundles one TypeScript entry (relative to the repo root) into .build/<name>.js; node_modules stay external. */
export async function bundle(entry, name) {
  mkdirSync(buildDir, { recursive: true });
  const outfile = join(buildDir, `${name}.js`);
  const { outputFiles } = await build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    sourcemap: 'inline',
    write: false,
  });
  // Write, then rename: a synth running beside another one never starts a half-written bundle.
  const partial = `${outfile}.${process.pid}.tmp`;
  writeFileSync(partial, outputFiles[0].contents);
  renameSync(partial, outfile);
  return outfile;
}

/** Runs a bundle with node from the repo root; exits with its status if it fails. */
export function runBundle(file, args = [], env = {}) {
  const result = spawnSync(process.execPath, ['--enable-source-maps', file, ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
