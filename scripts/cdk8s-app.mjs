#!/usr/bin/env node
// The `app` of cdk8s.yaml: `npx cdk8s synth` runs it after deleting its `output` folder
// (CDK8S_OUTDIR, a scratch folder under .build/). It renders the GitOps folder, gitops/ or
// GITOPS_DIR, with the same bundle of scripts/render-gitops.ts that `npm run synth` runs, so
// both write the same files. That renderer writes nothing until every environment rendered,
// so a failed render leaves the committed files as they were.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundle, root, runBundle } from './bundle.mjs';

const scratch = process.env.CDK8S_OUTDIR;
const target = resolve(process.env.GITOPS_DIR ?? join(root, 'gitops'));
if (scratch) {
  mkdirSync(scratch, { recursive: true });
  writeFileSync(join(scratch, 'README'), `cdk8s synth renders into ${target}, not here.\n`);
}
runBundle(await bundle('scripts/render-gitops.ts', 'render-gitops'), [target]);
