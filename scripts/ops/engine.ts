/**
 * Runs the synth and the Terraform engine for the operator CLI the way `scripts/tf.sh` does:
 * the engine and the offline provider mirror from `npm run toolchain` when present
 * (`.toolchain/engine`, `TF_CLI_CONFIG_FILE=.toolchain/terraformrc`), else with
 * `USE_PUBLIC_REGISTRY=1` (or without a toolchain) `$ENGINE`, `tofu` or `terraform` on PATH
 * with the public registry. Every child is spawned asynchronously in its own process group,
 * with a time limit, so an in-process fake API keeps answering in tests and a hung engine
 * never hangs a workflow.
 */
import { spawn, spawnSync } from 'child_process';
import { existsSync, mkdirSync, readFileSync } from 'fs';
import { dirname, join, resolve } from 'path';
import {
  DeadlineError,
  parseLockInfo,
  secondsLeft,
  STATE_LOCKED,
  StateLockedError,
  staleLockDecision,
  type RunLimits,
} from './run-limits';

/** The repository root (scripts/ops/../..). */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/** One finished child process. */
export interface EngineRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

/** What the cycle needs from the synth and the engine; tests may pass their own. */
export interface Engine {
  /** Synthesizes every stack into the outdir; `vars` are extra process variables for main.ts. */
  synth(vars?: Readonly<Record<string, string>>): Promise<void>;
  /**
   * Runs an engine command in a stack's folder (after `init` when the folder has none);
   * `vars` are extra process variables for this run only (e.g. `TF_VAR_identity`).
   */
  run(stack: string, args: readonly string[], vars?: Readonly<Record<string, string>>): Promise<EngineRun>;
  /** The synthesized `cdk.tf.json` of a stack. */
  stackJson(stack: string): StackJson;
  /**
   * Runs `fn` while holding the stack's state lock (as the engine takes it), so nothing the
   * engine does on that stack runs meanwhile. @default - no lock (test engines)
   */
  holdLock?<T>(stack: string, vars: Readonly<Record<string, string>>, fn: () => Promise<T>): Promise<T>;
}

/** The parts of a synthesized stack the cycle reads. */
export interface StackJson {
  readonly resource?: Record<
    string,
    Record<
      string,
      { readonly labels?: Record<string, string>; readonly name?: string; readonly server_type?: string }
    >
  >;
}

/** Options of {@link ProjectEngine}. */
export interface ProjectEngineOptions {
  /** Where the stacks are synthesized; local state lands in `<outdir>/../state`. @default $CDKTF_OUTDIR or <repo>/cdktf.out */
  readonly outdir?: string;
  /** Process variables for every child (HCLOUD_TOKEN, TF_VAR_ssh_public_key, ...). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress lines. */
  readonly log?: (line: string) => void;
  /** Time limit of one engine command, in seconds. @default 1800 */
  readonly timeoutSeconds?: number;
  /** The run's deadline, lock timeout and stale-lock rule. @default - no deadline, -lock-timeout 120 s, locks never cleared */
  readonly limits?: RunLimits;
}

/** Engine commands that take the state lock (they get `-lock-timeout`). */
const LOCKING = new Set(['apply', 'destroy', 'plan', 'import', 'refresh', 'console', 'taint', 'untaint']);
const LOCKING_STATE = new Set(['rm', 'mv', 'push', 'replace-provider']);

/** `args` with `-lock-timeout=<s>s` after the (sub)command, for commands that lock. */
export function withLockTimeout(args: readonly string[], seconds: number): string[] {
  if (args.some((a) => a.startsWith('-lock-timeout') || a === '-lock=false')) return [...args];
  const flag = `-lock-timeout=${seconds}s`;
  if (LOCKING.has(args[0] ?? '')) return [args[0]!, flag, ...args.slice(1)];
  if (args[0] === 'state' && LOCKING_STATE.has(args[1] ?? ''))
    return [args[0], args[1]!, flag, ...args.slice(2)];
  return [...args];
}

/** The engine binary and CLI config to use, as scripts/tf.sh picks them. */
export function locateEngine(env: NodeJS.ProcessEnv = process.env): { engine: string; cliConfig?: string } {
  const toolchain = env.TOOLCHAIN_DIR ?? join(REPO_ROOT, '.toolchain');
  const enginePath = join(toolchain, 'engine');
  const rc = join(toolchain, 'terraformrc');
  if (env.USE_PUBLIC_REGISTRY !== '1' && existsSync(enginePath) && existsSync(rc)) {
    const engine = readFileSync(enginePath, 'utf8').trim();
    if (engine && existsSync(engine)) return { engine, cliConfig: rc };
  }
  if (env.ENGINE) return { engine: env.ENGINE };
  for (const name of ['tofu', 'terraform']) {
    const found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim()) return { engine: found.stdout.trim() };
  }
  throw new Error(
    "no Terraform engine: run 'npm run toolchain' (offline build), or install tofu/terraform (USE_PUBLIC_REGISTRY=1)",
  );
}

/** Engine lines worth showing while an apply or destroy runs (resource progress and the totals). */
const PROGRESS =
  /(: (Creating|Creation complete|Destroying|Destruction complete|Modifying|Modifications complete|Still [a-z]+)\b|^(Apply|Destroy) complete!|^No changes\.)/;

/** Sends a signal to a process group we started; ignores groups already gone. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already exited
  }
}

/** Thrown instead of starting an engine run once this process was interrupted. */
export class InterruptedError extends Error {
  constructor(
    readonly signal: NodeJS.Signals,
    what: string,
  ) {
    super(`interrupted by ${signal}: ${what} not started`);
    this.name = 'InterruptedError';
  }
}

/**
 * SIGINT and SIGTERM of this process (Ctrl-C; a workflow cancel or timeout sends SIGINT, then
 * SIGTERM, then SIGKILL). The engines run in their own process groups, so a signal reaches
 * them only through here: the first one is forwarded once, as SIGINT, to every running engine,
 * which then stops starting work, waits for what is in flight, writes its state and releases
 * the lock. No new engine run starts after it. Later signals are only logged: a second SIGINT
 * would make the engine exit without saving, leaving servers the state does not know.
 */
export class Interrupts {
  #signal: NodeJS.Signals | undefined;
  readonly #groups = new Set<number>();
  #installed = false;

  /** The first signal received, if any. */
  get signal(): NodeJS.Signals | undefined {
    return this.#signal;
  }

  /** Handles SIGINT and SIGTERM from now on (once per process). */
  install(log: (line: string) => void): void {
    if (this.#installed) return;
    this.#installed = true;
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.#signal) {
        log(
          `[ops] ${signal} again: still waiting for the engine to write its state (stopping it now would leave servers it does not know)`,
        );
        return;
      }
      this.#signal = signal;
      log(
        this.#groups.size
          ? `[ops] ${signal}: asking the running engine to stop and write its state; nothing new starts`
          : `[ops] ${signal}: nothing new starts`,
      );
      for (const pid of this.#groups) killGroup(pid, 'SIGINT');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  /** @internal runChild's bookkeeping: a started engine's process group. */
  started(pid: number): void {
    this.#groups.add(pid);
    if (this.#signal) killGroup(pid, 'SIGINT');
  }

  /** @internal */
  ended(pid: number): void {
    this.#groups.delete(pid);
  }
}

/** This process's interrupts (installed by the operator CLI). */
export const interrupts = new Interrupts();

/**
 * Runs a command in its own process group, streaming complete lines to `onLine`; after
 * `timeoutSeconds` it sends SIGINT (the engine then stops cleanly and releases its state
 * lock) and SIGKILL 60 s later.
 */
export async function runChild(
  command: string,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutSeconds: number; onLine?: (line: string) => void },
): Promise<EngineRun> {
  if (interrupts.signal) throw new InterruptedError(interrupts.signal, `${command} ${args[0] ?? ''}`.trim());
  const started = performance.now();
  const child = spawn(command, [...args], {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid) interrupts.started(child.pid);
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.on('data', (d: Buffer) => {
    const text = d.toString('utf8');
    stdout += text;
    if (!opts.onLine) return;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) opts.onLine(line);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  let killTimer: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    stderr += `\n[ops] ${args[0] ?? command} stopped after ${opts.timeoutSeconds} s (time limit)`;
    if (child.pid) killGroup(child.pid, 'SIGINT');
    killTimer = setTimeout(() => child.pid && killGroup(child.pid, 'SIGKILL'), 60_000);
  }, opts.timeoutSeconds * 1000);
  const code = await new Promise<number>((resolveCode) => {
    child.on('error', (e) => {
      stderr += String(e);
      resolveCode(127);
    });
    child.on('close', (c) => resolveCode(c ?? 1));
  });
  if (child.pid) interrupts.ended(child.pid);
  clearTimeout(timer);
  if (killTimer) clearTimeout(killTimer);
  if (partial && opts.onLine) opts.onLine(partial);
  return { code, stdout, stderr, seconds: (performance.now() - started) / 1000 };
}

/** Needs `init` again (new provider, other backend): the engine says so on stderr. */
const NEEDS_INIT =
  /Backend initialization required|Backend configuration changed|Inconsistent dependency lock file|Required plugins are not installed|Module not installed|please run "(terraform|tofu) init"/i;

/** The synth (scripts/synth.mjs) and the engine over the project's stacks. */
export class ProjectEngine implements Engine {
  readonly outdir: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly log: (line: string) => void;
  private readonly timeoutSeconds: number;
  private readonly limits?: RunLimits;
  private located?: { engine: string; cliConfig?: string };
  private readonly initialized = new Set<string>();

  constructor(opts: ProjectEngineOptions = {}) {
    this.env = opts.env ?? process.env;
    this.outdir = resolve(REPO_ROOT, opts.outdir ?? this.env.CDKTF_OUTDIR ?? 'cdktf.out');
    this.log = opts.log ?? (() => undefined);
    this.timeoutSeconds = opts.timeoutSeconds ?? 1800;
    this.limits = opts.limits;
  }

  async synth(vars: Readonly<Record<string, string>> = {}): Promise<void> {
    mkdirSync(this.outdir, { recursive: true });
    const r = await runChild(
      process.execPath,
      [join(REPO_ROOT, 'scripts', 'synth.mjs'), '--outdir', this.outdir, '--no-gitops'],
      {
        cwd: REPO_ROOT,
        env: { ...this.env, ALLOW_DESTROY_PERSISTENT: '', ...vars },
        timeoutSeconds: 300,
      },
    );
    if (r.code !== 0) throw new Error(`synth failed (exit ${r.code}):\n${tail(r.stderr || r.stdout)}`);
  }

  stackJson(stack: string): StackJson {
    return JSON.parse(readFileSync(join(this.stackDir(stack), 'cdk.tf.json'), 'utf8')) as StackJson;
  }

  /** Folder of a synthesized stack. */
  stackDir(stack: string): string {
    return join(this.outdir, 'stacks', stack);
  }

  async run(
    stack: string,
    args: readonly string[],
    vars: Readonly<Record<string, string>> = {},
  ): Promise<EngineRun> {
    const dir = this.stackDir(stack);
    if (!existsSync(join(dir, 'cdk.tf.json')))
      throw new Error(`no synthesized stack '${stack}' in ${this.outdir}`);
    if (!this.initialized.has(stack) && !existsSync(join(dir, '.terraform'))) await this.init(stack);
    const locking = withLockTimeout(args, this.limits?.lockTimeoutSeconds ?? 120);
    let result = await this.exec(stack, locking, vars);
    if (result.code !== 0 && NEEDS_INIT.test(result.stderr)) {
      await this.init(stack);
      result = await this.exec(stack, locking, vars);
    }
    if (result.code !== 0 && STATE_LOCKED.test(result.stderr) && (await this.clearStaleLock(stack, result))) {
      result = await this.exec(stack, locking, vars);
    }
    if (result.code !== 0 && STATE_LOCKED.test(result.stderr)) {
      const info = parseLockInfo(result.stderr);
      throw new StateLockedError(
        stack,
        info,
        info
          ? staleLockDecision(info, this.limits ?? { maxRunSeconds: Infinity, clearStaleLocks: false }).reason
          : tail(result.stderr, 12),
      );
    }
    return result;
  }

  /**
   * A lock the engine could not take after `-lock-timeout`: clears it when the rule says it
   * was left by a killed run (logged with the reason); false when it stays.
   */
  private async clearStaleLock(stack: string, failed: EngineRun): Promise<boolean> {
    const info = parseLockInfo(failed.stderr);
    if (!info || !this.limits) return false;
    const decision = staleLockDecision(info, this.limits);
    if (!decision.clear) return false;
    this.log(`  [${stack}] clearing a stale state lock: ${decision.reason}`);
    const r = await this.exec(stack, ['force-unlock', '-force', '-no-color', info.id]);
    if (r.code !== 0) {
      this.log(`  [${stack}] force-unlock failed (exit ${r.code}): ${tail(r.stderr || r.stdout, 5)}`);
      return false;
    }
    return true;
  }

  /**
   * Holds the stack's state lock while `fn` runs: `console` takes the lock as any engine
   * command does (with `-lock-timeout`) and keeps it while its input stays open; it answers a
   * marker once it holds it. Closing its input releases the lock. Killed outright, it leaves
   * the lock behind like any engine (the stale-lock rule then applies).
   */
  async holdLock<T>(stack: string, vars: Readonly<Record<string, string>>, fn: () => Promise<T>): Promise<T> {
    const dir = this.stackDir(stack);
    if (!existsSync(join(dir, 'cdk.tf.json')))
      throw new Error(`no synthesized stack '${stack}' in ${this.outdir}`);
    if (!this.initialized.has(stack) && !existsSync(join(dir, '.terraform'))) await this.init(stack);
    const marker = `ops-holds-the-lock-${process.pid}`;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const holder = this.startConsole(stack, vars);
      const held = await holder.until(marker);
      if (held.ok) {
        try {
          return await fn();
        } finally {
          await holder.release();
        }
      }
      const failed = { code: held.code, stdout: '', stderr: held.output, seconds: 0 };
      if (STATE_LOCKED.test(held.output) && attempt === 1 && (await this.clearStaleLock(stack, failed)))
        continue;
      if (STATE_LOCKED.test(held.output)) {
        const info = parseLockInfo(held.output);
        throw new StateLockedError(
          stack,
          info,
          info
            ? staleLockDecision(info, this.limits ?? { maxRunSeconds: Infinity, clearStaleLocks: false })
                .reason
            : tail(held.output, 12),
        );
      }
      throw new Error(
        `could not take the state lock of ${stack} (exit ${held.code}):\n${tail(held.output, 20)}`,
      );
    }
    throw new Error(`could not take the state lock of ${stack}`);
  }

  /** `console` on a stack, fed `"<marker>"` so its answer says when it holds the lock. */
  private startConsole(
    stack: string,
    vars: Readonly<Record<string, string>>,
  ): {
    until: (marker: string) => Promise<{ ok: boolean; code: number; output: string }>;
    release: () => Promise<void>;
  } {
    if (interrupts.signal) throw new InterruptedError(interrupts.signal, 'taking the state lock');
    this.located ??= locateEngine(this.env);
    const { engine, cliConfig } = this.located;
    const args = withLockTimeout(['console', '-no-color'], this.limits?.lockTimeoutSeconds ?? 120);
    const child = spawn(engine, args, {
      cwd: this.stackDir(stack),
      env: {
        ...this.env,
        ...vars,
        ...(cliConfig ? { TF_CLI_CONFIG_FILE: cliConfig } : {}),
        CHECKPOINT_DISABLE: '1',
        TF_IN_AUTOMATION: '1',
      },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (child.pid) interrupts.started(child.pid);
    let output = '';
    const listeners = new Set<() => void>();
    const seen = (d: Buffer) => {
      output += d.toString('utf8');
      for (const l of listeners) l();
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    const closed = new Promise<number>((r) => {
      child.on('error', (e) => {
        output += String(e);
        r(127);
      });
      child.on('close', (c) => r(c ?? 1));
    });
    void closed.then(() => child.pid && interrupts.ended(child.pid));
    const limit = Math.min(this.limits?.lockTimeoutSeconds ?? 120, 600) + 120;
    return {
      until: async (marker) => {
        child.stdin.write(`"${marker}"\n`);
        const answered = new Promise<void>((r) => {
          const check = () => output.includes(marker) && r();
          listeners.add(check);
          check();
        });
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>(
          (r) => (timer = setTimeout(() => r('timeout'), limit * 1000)),
        );
        const first = await Promise.race([answered.then(() => 'held' as const), closed, timedOut]);
        clearTimeout(timer);
        if (first === 'held') return { ok: true, code: 0, output };
        if (first === 'timeout') {
          if (child.pid) killGroup(child.pid, 'SIGINT');
          return {
            ok: false,
            code: await closed,
            output: `${output}\n[ops] console did not answer in ${limit} s`,
          };
        }
        return { ok: false, code: first, output };
      },
      release: async () => {
        child.stdin.end();
        let timer: NodeJS.Timeout | undefined;
        const gone = await Promise.race([
          closed.then(() => true),
          new Promise<false>((r) => (timer = setTimeout(() => r(false), 60_000))),
        ]);
        clearTimeout(timer);
        if (!gone && child.pid) killGroup(child.pid, 'SIGINT');
      },
    };
  }

  private async init(stack: string): Promise<void> {
    if ((this.env.STATE_BACKEND ?? 'local') === 'local') {
      mkdirSync(join(dirname(this.outdir), 'state'), { recursive: true });
    }
    const r = await this.exec(stack, ['init', '-input=false', '-no-color']);
    if (r.code !== 0 && /Backend configuration changed/i.test(r.stderr + r.stdout)) {
      // Never silently switch state: the other backend's state would look empty and the
      // next apply would try to create what exists.
      throw new Error(
        `init of ${stack} failed: its state backend changed (STATE_BACKEND is '${this.env.STATE_BACKEND ?? 'local'}' now). ` +
          `To move the state, run: npm run tf -- ${stack} init -migrate-state; to use the new backend's state as it is: npm run tf -- ${stack} init -reconfigure`,
      );
    }
    if (r.code !== 0)
      throw new Error(`init of ${stack} failed (exit ${r.code}):\n${tail(r.stderr || r.stdout)}`);
    this.initialized.add(stack);
  }

  private exec(
    stack: string,
    args: readonly string[],
    vars: Readonly<Record<string, string>> = {},
  ): Promise<EngineRun> {
    this.located ??= locateEngine(this.env);
    const { engine, cliConfig } = this.located;
    const env: NodeJS.ProcessEnv = {
      ...this.env,
      ...vars,
      ...(cliConfig ? { TF_CLI_CONFIG_FILE: cliConfig } : {}),
      CHECKPOINT_DISABLE: '1',
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
    };
    const verb = args[0];
    const progress = verb === 'apply' || verb === 'destroy';
    // Bounded by the run's deadline: at the deadline the engine gets SIGINT and writes its state.
    const left = this.limits ? secondsLeft(this.limits) : Infinity;
    if (left <= 0) throw new DeadlineError(`${verb ?? 'engine'} of ${stack}`, this.limits!.deadline);
    return runChild(engine, args, {
      cwd: this.stackDir(stack),
      env,
      timeoutSeconds: Math.min(this.timeoutSeconds, left),
      onLine: progress
        ? (line) => {
            if (PROGRESS.test(line)) this.log(`  [${stack}] ${line.trim()}`);
          }
        : undefined,
    });
  }
}

/** The last `lines` lines of a text, for error messages. */
export function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split('\n');
  return (all.length > lines ? ['...', ...all.slice(-lines)] : all).join('\n');
}
