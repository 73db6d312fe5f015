#!/usr/bin/env node
// Fast synth: bundles main.ts with esbuild (no type-check; `npm run build` does that)
// and runs it with plain node, then renders the GitOps folder. Same main.ts as
// `cdktf synth`, without ts-node compiling the provider bindings on every run.
//
//   node scripts/synth.mjs [--outdir cdktf.out] [--no-gitops]
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { join, resolve } from 'node:path';
import { bundle, root, runBundle } from './bundle.mjs';

const args = process.argv.slice(2);
const outIndex = args.indexOf('--outdir');
const outdir = resolve(root, outIndex >= 0 ? args[outIndex + 1] : (process.env.CDKTF_OUTDIR ?? 'cdktf.out'));
const gitops = !args.includes('--no-gitops');
mkdirSync(outdir, { recursive: true });

const started = performance.now();
const [mainJs, gitopsJs] = await Promise.all([
  bundle('main.ts', 'main'),
  gitops ? bundle('scripts/render-gitops.ts', 'render-gitops') : Promise.resolve(undefined),
]);
runBundle(mainJs, [], { CDKTF_OUTDIR: outdir });
// Drop folders of stacks that no longer exist (cdktf-cli's synth does the same).
const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
const stacksDir = join(outdir, 'stacks');
const current = new Set(Object.keys(manifest.stacks));
if (existsSync(stacksDir)) {
  for (const name of readdirSync(stacksDir)) {
    if (!current.has(name)) rmSync(join(stacksDir, name), { recursive: true, force: true });
  }
}
if (gitopsJs) runBundle(gitopsJs);
const seconds = ((performance.now() - started) / 1000).toFixed(2);
console.log(`synth: stacks in ${outdir}${gitops ? ', GitOps folder in gitops/' : ''} (${seconds} s)`);
