/**
 * Drives the real engine (OpenTofu or Terraform from the toolchain) over the synthesized stacks,
 * against a fake Hetzner Cloud API: synth into a temp dir, `init` once per stack folder, then
 * apply / plan / destroy with `HCLOUD_ENDPOINT`, `HCLOUD_TOKEN` and `TF_VAR_ssh_public_key` set.
 * Every engine run is asynchronous, so a fake served from the same process keeps answering.
 */
import { FakeHcloud } from '../fake-hcloud';
import { spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { REPO_ROOT, type Toolchain, findToolchain } from '../../engine/support/toolchain';
import { environmentNamed } from '../../../scripts/ops/cycle';
import {
  bootMaterialFor,
  clusterVars,
  identityNeeds,
  persistentVars,
} from '../../../scripts/ops/identity-store';
import { createIdentity, type ClusterIdentity } from '../../../lib/identity';
import { STATE_PASSPHRASE_ENV } from '../../../lib/state-encryption';

/** The state passphrase of every lifecycle workspace (state and plans are encrypted). */
export const TEST_STATE_PASSPHRASE = 'lifecycle-test-passphrase-0123';

/** A valid OpenSSH public key line for `TF_VAR_ssh_public_key` (one per environment: fingerprints are unique). */
export const TEST_SSH_KEYS: Readonly<Record<string, string>> = {
  dev: testSshKey('dev'),
  prod: testSshKey('prod'),
};

/** A well-formed ssh-ed25519 public key line whose 32 key bytes derive from `seed`. */
export function testSshKey(seed: string): string {
  const part = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([
    part(Buffer.from('ssh-ed25519')),
    part(createHash('sha256').update(seed).digest()),
  ]);
  return `ssh-ed25519 ${blob.toString('base64')} lifecycle-${seed}`;
}

/** Result of one engine run. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

/** What `plan -detailed-exitcode` said. */
export type PlanOutcome = 'no-changes' | 'changes';

/** Options of a `Workspace`. */
export interface WorkspaceOptions {
  /** HCLOUD_ENDPOINT / HCLOUD_TOKEN of the fake. */
  readonly apiEnv: Record<string, string>;
  /** Extra environment for every engine run (e.g. `TF_LOG`). */
  readonly extraEnv?: Record<string, string>;
  /** Per-command time limit in seconds. @default 300 */
  readonly timeoutSeconds?: number;
}

/** The toolchain, or undefined outside CI when it is missing (the caller then skips). */
export function lifecycleToolchain(): Toolchain | undefined {
  return findToolchain();
}

/** A temp dir with synthesized stacks and their local state, driven by the real engine. */
export class Workspace {
  /** Root of the temp dir: `cdktf.out/` and `state/` live here. */
  readonly dir: string;
  private readonly initialized = new Set<string>();
  private readonly timeoutMs: number;
  private readonly identities = new Map<string, Promise<ClusterIdentity>>();

  constructor(
    private readonly toolchain: Toolchain,
    private readonly options: WorkspaceOptions,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'lifecycle-'));
    this.timeoutMs = (options.timeoutSeconds ?? 300) * 1000;
    this.synth();
  }

  /**
   * Synthesizes all stacks into this workspace (about 1.5 s). `ALLOW_DESTROY_PERSISTENT=<env>`
   * lifts `prevent_destroy` and delete protection on that env's persistent IPs.
   */
  synth(env: Record<string, string> = {}): void {
    const outdir = join(this.dir, 'cdktf.out');
    mkdirSync(outdir, { recursive: true });
    const result = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'scripts', 'synth.mjs'), '--outdir', outdir, '--no-gitops'],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, ALLOW_DESTROY_PERSISTENT: '', ...env },
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    if (result.status !== 0) throw new Error(`synth failed:\n${result.stdout}\n${result.stderr}`);
  }

  /** The identity this workspace uses for an environment (made once, like the CLI's). */
  identity(environment: string): Promise<ClusterIdentity> {
    let made = this.identities.get(environment);
    if (!made) {
      made = createIdentity(identityNeeds(environmentNamed(environment).env));
      this.identities.set(environment, made);
    }
    return made;
  }

  /** `TF_VAR_identity` of a stack: the identity (persistent) or its boot material (cluster). */
  async identityVars(stack: string): Promise<Record<string, string>> {
    const persistent = stack.endsWith('-persistent');
    const environment = stack.replace(/-persistent$/, '');
    const identity = await this.identity(environment);
    return persistent
      ? persistentVars(identity, environment)
      : clusterVars(bootMaterialFor(environmentNamed(environment).env, identity), environment);
  }

  /** Folder of one synthesized stack. */
  stackDir(stack: string): string {
    return join(this.dir, 'cdktf.out', 'stacks', stack);
  }

  /** Path of a stack's local state file. */
  statePath(stack: string): string {
    return join(this.dir, 'state', `${stack}.tfstate`);
  }

  private env(stack: string): NodeJS.ProcessEnv {
    const envName = stack.replace(/-persistent$/, '');
    return {
      ...this.toolchain.env,
      ...this.options.apiEnv,
      TF_VAR_ssh_public_key: TEST_SSH_KEYS[envName] ?? TEST_SSH_KEYS.dev,
      [STATE_PASSPHRASE_ENV]: TEST_STATE_PASSPHRASE,
      TF_INPUT: '0',
      ...this.options.extraEnv,
    };
  }

  /**
   * Runs the engine in a stack folder (init first, once). The child gets its own process group,
   * so a timeout or `kill` also ends the provider plugins it started.
   */
  async run(
    stack: string,
    args: string[],
    opts: { onSpawn?: (pid: number) => void; extraEnv?: Record<string, string> } = {},
  ): Promise<RunResult> {
    if (!this.initialized.has(stack) && args[0] !== 'init') {
      const init = await this.run(stack, ['init', '-input=false', '-no-color']);
      if (init.code !== 0) throw new Error(`init of ${stack} failed:\n${init.stdout}\n${init.stderr}`);
    }
    const started = performance.now();
    const child = spawn(this.toolchain.engine, args, {
      cwd: this.stackDir(stack),
      env: { ...this.env(stack), ...(await this.identityVars(stack)), ...opts.extraEnv },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid) opts.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      if (child.pid) killGroup(child.pid, 'SIGKILL');
      stderr += `\n[lifecycle] ${args[0]} of ${stack} killed after ${this.timeoutMs / 1000} s`;
    }, this.timeoutMs);
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
    clearTimeout(timer);
    if (args[0] === 'init' && code === 0) this.initialized.add(stack);
    return { code, stdout, stderr, seconds: (performance.now() - started) / 1000 };
  }

  /** `apply -auto-approve`; throws with the engine's output when it fails. */
  async apply(stack: string, extraEnv?: Record<string, string>): Promise<RunResult> {
    return this.expectOk(
      stack,
      await this.run(stack, ['apply', '-auto-approve', '-input=false', '-no-color'], { extraEnv }),
    );
  }

  /** `destroy -auto-approve`; throws with the engine's output when it fails. */
  async destroy(stack: string): Promise<RunResult> {
    return this.expectOk(
      stack,
      await this.run(stack, ['destroy', '-auto-approve', '-input=false', '-no-color']),
    );
  }

  /** `plan -detailed-exitcode`: exit 0 is no changes, 2 is changes, anything else an error. */
  async plan(stack: string, extra: string[] = []): Promise<{ outcome: PlanOutcome; result: RunResult }> {
    const result = await this.run(stack, [
      'plan',
      '-detailed-exitcode',
      '-input=false',
      '-no-color',
      ...extra,
    ]);
    if (result.code === 0) return { outcome: 'no-changes', result };
    if (result.code === 2) return { outcome: 'changes', result };
    throw new Error(`plan of ${stack} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }

  /** Addresses in the stack's state (`state list`). */
  async stateList(stack: string): Promise<string[]> {
    const r = this.expectOk(stack, await this.run(stack, ['state', 'list']));
    return r.stdout.split('\n').filter((l) => l.trim() !== '');
  }

  private expectOk(stack: string, r: RunResult): RunResult {
    if (r.code !== 0)
      throw new Error(`engine failed in ${stack} (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r;
  }

  /** Removes the temp dir. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Sends a signal to a process group we started (negative pid); ignores groups already gone. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already exited
  }
}

/** Runs any command asynchronously (so the in-process fake keeps serving), with a time limit. */
export async function runCommand(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutSeconds = 300,
): Promise<RunResult> {
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.pid && killGroup(child.pid, 'SIGKILL'), timeoutSeconds * 1000);
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  clearTimeout(timer);
  return { code, stdout, stderr, seconds: (performance.now() - started) / 1000 };
}

/** A running fake API and a workspace whose engine runs talk to it. */
export interface FakeCloud {
  readonly fake: FakeHcloud;
  readonly ws: Workspace;
}

/** Starts a fake Hetzner API on 127.0.0.1 and a workspace wired to it (for a `beforeAll`). */
export async function startFakeCloud(toolchain: Toolchain): Promise<FakeCloud> {
  const fake = await FakeHcloud.start();
  return { fake, ws: new Workspace(toolchain, { apiEnv: fake.env }) };
}

/** Stops what {@link startFakeCloud} started; safe when it never started (for an `afterAll`). */
export async function stopFakeCloud(fake: FakeHcloud | undefined, ws: Workspace | undefined): Promise<void> {
  await fake?.stop();
  ws?.dispose();
}

/**
 * The environment the operator CLI gets in a lifecycle test: the toolchain, the fake's endpoint
 * and token, a private HOME and synth folder under `dir`, an admin key, the state passphrase.
 */
export function cliEnvironment(
  toolchain: Toolchain,
  fake: { readonly env: Record<string, string> },
  dir: string,
  sshKey: string = TEST_SSH_KEYS.dev,
): NodeJS.ProcessEnv {
  return {
    ...toolchain.env,
    ...fake.env,
    HOME: dir,
    CDKTF_OUTDIR: join(dir, 'cdktf.out'),
    TF_VAR_ssh_public_key: sshKey,
    [STATE_PASSPHRASE_ENV]: TEST_STATE_PASSPHRASE,
    GITHUB_STEP_SUMMARY: '',
  };
}

/** A fake API and a temp dir for one lifecycle test file; `stop` removes both. */
export async function fakeAndDir(
  prefix: string,
): Promise<{ fake: FakeHcloud; dir: string; stop: () => Promise<void> }> {
  const fake = await FakeHcloud.start();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    fake,
    dir,
    stop: async () => {
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
