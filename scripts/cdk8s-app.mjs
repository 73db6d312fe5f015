#!/usr/bin/env node
// The `app` of cdk8s.yaml: `npx cdk8s synth` runs it with CDK8S_OUTDIR set (`output:` of
// cdk8s.yaml, i.e. gitops/, or `--output`). It renders the GitOps folder there with the same
// bundle of scripts/render-gitops.ts that `npm run synth` runs, so both write the same files.
// The cdk8s CLI deletes the output folder before it runs this; render-gitops deletes stale YAML
// files itself, so both leave the same tree (gitops/ holds nothing else).
import { resolve } from 'node:path';
import { bundle, runBundle } from './bundle.mjs';

const outdir = process.env.CDK8S_OUTDIR;
if (!outdir) {
  console.error('CDK8S_OUTDIR is not set: run `npx cdk8s synth` (or `npm run synth`)');
  process.exit(1);
}
// Relative to the folder cdk8s was started in (where cdk8s.yaml is), before runBundle moves to the repo root.
runBundle(await bundle('scripts/render-gitops.ts', 'render-gitops'), [resolve(outdir)]);
