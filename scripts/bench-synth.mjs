#!/usr/bin/env node
// Synth benchmark: median wall time of `npm run synth` (esbuild bundle + node) beside
// cdktf's default path (cdktf-cli running ts-node on the same main.ts), measured in one
// run on this machine, and their ratio. Prints figures; asserts nothing.
//
//   node scripts/bench-synth.mjs [--runs 5] [--default-runs 3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = arg('--runs', 5);
const defaultRuns = arg('--default-runs', 3);
const scratch = mkdtempSync(join(tmpdir(), 'bench-synth-'));

function time(label, command, args, env = {}) {
  const started = performance.now();
  const result = spawnSync(command, args, {
    cwd: root,
    env: { ...process.env, CHECKPOINT_DISABLE: '1', CDKTF_DISABLE_PLUGIN_CACHE_ENV: '1', ...env },
    encoding: 'utf8',
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) {
    console.error(result.stdout, result.stderr);
    throw new Error(`${label} failed with exit code ${result.status}`);
  }
  return seconds;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function measure(label, n, command, args, env) {
  const samples = [];
  for (let i = 0; i < n; i++) samples.push(time(label, command, args, env));
  const m = median(samples);
  console.log(
    `${label.padEnd(44)} median ${m.toFixed(2)} s  (${samples.map((s) => s.toFixed(2)).join(', ')})`,
  );
  return m;
}

console.log(
  `synth benchmark on ${cpus().length} cores, node ${process.version}; ${runs} runs (fast), ${defaultRuns} runs (cdktf default)`,
);
const cdktfBin = join(root, 'node_modules', '.bin', 'cdktf');
const fastStacks = measure('npm run synth, stacks only (--no-gitops)', runs, process.execPath, [
  'scripts/synth.mjs',
  '--outdir',
  join(scratch, 'fast'),
  '--no-gitops',
]);
const fastAll = measure('npm run synth, stacks + GitOps folder', runs, process.execPath, [
  'scripts/synth.mjs',
  '--outdir',
  join(scratch, 'fast'),
]);
const slow = measure('cdktf synth (cdktf-cli + ts-node main.ts)', defaultRuns, cdktfBin, [
  'synth',
  '--app',
  'npx ts-node main.ts',
  '--output',
  join(scratch, 'default'),
]);
rmSync(scratch, { recursive: true, force: true });

console.log('');
console.log(
  `ratio, same work (stacks):   cdktf default / npm run synth = ${(slow / fastStacks).toFixed(1)}x`,
);
console.log(`ratio, all of npm run synth: cdktf default / npm run synth = ${(slow / fastAll).toFixed(1)}x`);
console.log(
  `target: npm run synth under 3 s and at least 2x faster -> ${fastAll < 3 && slow / fastAll >= 2 ? 'met' : 'NOT met'}`,
);
