/**
 * Engine tier: every synthesized stack of every environment passes `validate` with the
 * real engine and the real providers from the local mirror, and every server's user data
 * passes `cloud-init schema` and `shellcheck`.
 */
import { execFile } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { ENVIRONMENTS } from '../../environments';
import { resolveEnvironment } from '../../lib/environment';
import { createIdentity } from '../../lib/identity';
import { bootMaterialFor, identityNeeds } from '../../scripts/ops/identity-store';
import { writeFileContent } from '../../templates/cloud-init';
import { interpolateBoot } from '../support/boot-material';
import { findToolchain, REPO_ROOT } from './support/toolchain';
import { missingUserDataTools, validateUserData, INSTALL_HINT } from './support/validate-user-data';

const run = promisify(execFile);
jest.setTimeout(300_000);

const toolchain = findToolchain();
const outdir = mkdtempSync(join(tmpdir(), 'synth-engine-'));
let stacks: string[] = [];

beforeAll(async () => {
  await run(process.execPath, [join(REPO_ROOT, 'scripts', 'synth.mjs'), '--outdir', outdir, '--no-gitops'], {
    cwd: REPO_ROOT,
  });
  stacks = Object.keys(JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')).stacks).sort();
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function stackJson(name: string): { resource: Record<string, Record<string, Record<string, unknown>>> } {
  return JSON.parse(readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8'));
}

test('synth produces a persistent and a cluster stack per environment', () => {
  expect(stacks).toEqual(['dev', 'dev-persistent', 'prod', 'prod-persistent']);
});

(toolchain ? describe : describe.skip)('engine validate', () => {
  test('every stack passes init and validate with the real engine and providers', async () => {
    const results = await Promise.all(
      stacks.map(async (name) => {
        const cwd = join(outdir, 'stacks', name);
        await run(toolchain!.engine, ['init', '-backend=false', '-input=false', '-no-color'], {
          cwd,
          env: toolchain!.env,
        });
        const { stdout } = await run(toolchain!.engine, ['validate', '-json', '-no-color'], {
          cwd,
          env: toolchain!.env,
        }).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
        const report = JSON.parse(stdout) as { valid: boolean; error_count: number; diagnostics: unknown[] };
        return { name, valid: report.valid, errors: report.error_count, diagnostics: report.diagnostics };
      }),
    );
    for (const result of results) {
      expect({ name: result.name, valid: result.valid, errors: result.errors }).toEqual({
        name: result.name,
        valid: true,
        errors: 0,
      });
    }
  });

  test("the review's validate (scripts/tf.sh <stack> validate) passes without the state passphrase or the identity", async () => {
    // A pull request's job never gets TF_VAR_state_passphrase; validate must not need it.
    const env = Object.fromEntries(Object.entries(toolchain!.env).filter(([k]) => !k.startsWith('TF_VAR_')));
    const scratch = mkdtempSync(join(tmpdir(), 'tf-sh-validate-'));
    try {
      for (const name of stacks) {
        const r = await run('bash', [join(REPO_ROOT, 'scripts', 'tf.sh'), name, 'validate', '-no-color'], {
          cwd: REPO_ROOT,
          env: { ...env, CDKTF_OUTDIR: join(scratch, 'cdktf.out') },
        });
        expect({ name, out: r.stdout.trim().split('\n').pop() }).toEqual({
          name,
          out: 'Success! The configuration is valid.',
        });
      }
      // and a command that reads state refuses clearly without the passphrase
      const plan = await run('bash', [join(REPO_ROOT, 'scripts', 'tf.sh'), 'dev', 'plan'], {
        cwd: REPO_ROOT,
        env: { ...env, CDKTF_OUTDIR: join(scratch, 'cdktf.out') },
      }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      );
      expect(plan.code).toBe(1);
      expect(plan.stderr).toMatch(/\[tf\] set TF_VAR_state_passphrase/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  test('validate catches a broken stack (the check can fail)', async () => {
    const cwd = join(outdir, 'stacks', 'dev');
    const broken = JSON.parse(readFileSync(join(cwd, 'cdk.tf.json'), 'utf8'));
    const servers = broken.resource.hcloud_server;
    delete servers[Object.keys(servers)[0]].server_type;
    const brokenDir = mkdtempSync(join(tmpdir(), 'broken-stack-'));
    require('fs').writeFileSync(join(brokenDir, 'cdk.tf.json'), JSON.stringify(broken));
    delete broken.terraform.backend;
    require('fs').writeFileSync(join(brokenDir, 'cdk.tf.json'), JSON.stringify(broken));
    await run(toolchain!.engine, ['init', '-backend=false', '-input=false', '-no-color'], {
      cwd: brokenDir,
      env: toolchain!.env,
    });
    const outcome = await run(toolchain!.engine, ['validate', '-json', '-no-color'], {
      cwd: brokenDir,
      env: toolchain!.env,
    }).then(
      (r) => r.stdout,
      (error: { stdout: string }) => error.stdout,
    );
    rmSync(brokenDir, { recursive: true, force: true });
    const report = JSON.parse(outcome);
    expect(report.valid).toBe(false);
    expect(JSON.stringify(report.diagnostics)).toMatch(/server_type/);
  });
});

const userDataTools = missingUserDataTools();
if (userDataTools.length > 0) {
  if (process.env.CI === 'true') {
    throw new Error(
      `${userDataTools.join(', ')} missing: ${INSTALL_HINT}. CI=true, so this cannot be skipped.`,
    );
  }
  console.warn(
    `\n!!!!! SKIPPING USER DATA VALIDATION: ${userDataTools.join(', ')} missing; ${INSTALL_HINT}\n`,
  );
}

(userDataTools.length === 0 ? describe : describe.skip)('user data of every synthesized server', () => {
  test('passes cloud-init schema and shellcheck', async () => {
    const checked: string[] = [];
    for (const name of stacks.filter((s) => !s.endsWith('-persistent'))) {
      const servers = stackJson(name).resource.hcloud_server;
      for (const [id, server] of Object.entries(servers)) {
        await validateUserData(String(server.user_data));
        checked.push(`${name}/${id}`);
      }
    }
    // dev: cp-0, kafka-0; prod: cp-0, kafka-0..2, app-0..1
    expect(checked).toHaveLength(2 + 6);
  });

  test('with a real identity filled in, as the servers receive it, it still passes', async () => {
    let manifests = 0;
    for (const config of ENVIRONMENTS) {
      const env = resolveEnvironment(config);
      const boot = bootMaterialFor(env, await createIdentity(identityNeeds(env)));
      for (const server of Object.values(stackJson(env.name).resource.hcloud_server)) {
        const filled = interpolateBoot(String(server.user_data), boot);
        expect(filled).not.toMatch(/local\.boot/);
        await validateUserData(filled);
        const doc = parseYaml(filled) as {
          write_files: { path: string; content: string; encoding?: string }[];
        };
        for (const f of doc.write_files.filter((w) => w.path.endsWith('/identity-secrets.yaml'))) {
          const kinds = parseAllDocuments(writeFileContent(f)).map((d) => d.toJS()?.kind);
          expect(new Set(kinds)).toEqual(new Set(['Secret']));
          manifests++;
        }
      }
    }
    expect(manifests).toBe(ENVIRONMENTS.length);
  });
});
