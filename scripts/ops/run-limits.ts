/**
 * The limits of one operator run and the state lock rules:
 *
 * - the run deadline: every cycle command ends before the job that runs it is killed. The
 *   engine's commands and the readiness wait get the time left; an engine still running at the
 *   deadline is asked to stop (SIGINT: it writes its state and releases the lock), so the
 *   runner's SIGKILL at `timeout-minutes` never meets an engine mid-write.
 * - the lock timeout: every locking engine command waits `-lock-timeout` for a lock another
 *   run is about to release, instead of failing at once.
 * - stale locks: a lock older than the longest possible run cannot belong to a live run when
 *   nothing else can run (the workflows' concurrency group `cluster-<env>` excludes a second
 *   job; `OPS_CLEAR_STALE_LOCKS=1` says so). Such a lock is left by a killed run (SIGKILL, a
 *   lost runner) and is cleared with its reason logged; any other lock makes the run fail with
 *   the exact command to clear it.
 */

/** Environment variables that set the limits (documented in README, "Interrupted runs"). */
export const RUN_LIMIT_VARS = {
  deadline: 'OPS_DEADLINE_MINUTES',
  maxRun: 'OPS_MAX_RUN_MINUTES',
  clearStale: 'OPS_CLEAR_STALE_LOCKS',
  lockTimeout: 'OPS_LOCK_TIMEOUT_SECONDS',
} as const;

/** What a run may use. */
export interface RunLimits {
  /** When the run must be done, ms since the epoch. */
  readonly deadline: number;
  /** A lock older than this many seconds is stale (the longest possible run: the job's timeout). */
  readonly maxRunSeconds: number;
  /** Clear stale locks (only where nothing else can run at the same time). */
  readonly clearStaleLocks: boolean;
  /** The engine's `-lock-timeout`, in seconds. */
  readonly lockTimeoutSeconds: number;
}

/** @default deadline 50 min: the daily-cycle job's timeout-minutes is 60. */
export const DEFAULT_DEADLINE_MINUTES = 50;
/** @default 60 min, the daily-cycle job's `timeout-minutes`. */
export const DEFAULT_MAX_RUN_MINUTES = 60;
/** @default 120 s: long enough for another run's state write, short against the deadline. */
export const DEFAULT_LOCK_TIMEOUT_SECONDS = 120;

/** A run-limit setting that is not a positive number. */
export class RunLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunLimitError';
  }
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    throw new RunLimitError(
      `${name} must be a positive number, got '${raw}'; unset it for the default ${fallback}`,
    );
  }
  return n;
}

/** The limits of a run starting at `now`, from the process environment. */
export function runLimitsFromEnv(env: NodeJS.ProcessEnv, now: number = Date.now()): RunLimits {
  const deadlineMinutes = positive(env, RUN_LIMIT_VARS.deadline, DEFAULT_DEADLINE_MINUTES);
  const maxRunMinutes = positive(env, RUN_LIMIT_VARS.maxRun, DEFAULT_MAX_RUN_MINUTES);
  if (deadlineMinutes > maxRunMinutes) {
    throw new RunLimitError(
      `${RUN_LIMIT_VARS.deadline} (${deadlineMinutes}) must not exceed ${RUN_LIMIT_VARS.maxRun} (${maxRunMinutes}): a lock of a run still inside its deadline would count as stale`,
    );
  }
  const clear = env[RUN_LIMIT_VARS.clearStale] ?? '';
  if (!['', '0', '1'].includes(clear)) {
    throw new RunLimitError(`${RUN_LIMIT_VARS.clearStale} must be 1 or 0, got '${clear}'`);
  }
  return {
    deadline: now + deadlineMinutes * 60_000,
    maxRunSeconds: maxRunMinutes * 60,
    clearStaleLocks: clear === '1',
    lockTimeoutSeconds: positive(env, RUN_LIMIT_VARS.lockTimeout, DEFAULT_LOCK_TIMEOUT_SECONDS),
  };
}

/** Seconds left before the deadline (0 when past it). */
export function secondsLeft(limits: Pick<RunLimits, 'deadline'>, now: number = Date.now()): number {
  return Math.max(0, Math.floor((limits.deadline - now) / 1000));
}

/** What the engine says about the lock it could not take (its "Lock Info" block). */
export interface LockInfo {
  readonly id: string;
  readonly path?: string;
  readonly operation?: string;
  readonly who?: string;
  readonly version?: string;
  /** ms since the epoch, when the engine printed a readable time. */
  readonly created?: number;
}

/** The engine could not take the state lock (OpenTofu and Terraform say it so). */
export const STATE_LOCKED = /Error acquiring the state lock/;

/** Reads the Lock Info block of an engine's "Error acquiring the state lock" output. */
export function parseLockInfo(output: string): LockInfo | undefined {
  if (!STATE_LOCKED.test(output)) return undefined;
  const field = (name: string) => new RegExp(`^\\s*${name}:[ \\t]*(.*)$`, 'm').exec(output)?.[1]?.trim();
  const id = field('ID');
  if (!id) return undefined;
  // `2026-12-02 20:13:35.382329096 +0000 UTC` (Go's time.String()).
  const raw = field('Created');
  const m = raw && /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)? ([+-]\d{2})(\d{2})/.exec(raw);
  const created = m ? Date.parse(`${m[1]}T${m[2]}${(m[3] ?? '').slice(0, 4)}${m[4]}:${m[5]}`) : undefined;
  return {
    id,
    path: field('Path') || undefined,
    operation: field('Operation') || undefined,
    who: field('Who') || undefined,
    version: field('Version') || undefined,
    created: Number.isFinite(created) ? created : undefined,
  };
}

/** Whether a lock may be cleared, and why (for the log or the error). */
export function staleLockDecision(
  info: LockInfo,
  limits: Pick<RunLimits, 'maxRunSeconds' | 'clearStaleLocks'>,
  now: number = Date.now(),
): { readonly clear: boolean; readonly reason: string } {
  const holder = `${info.who ?? 'someone'} (${info.operation ?? 'an operation'}, lock ID ${info.id})`;
  if (info.created === undefined) {
    return { clear: false, reason: `held by ${holder}; its age is unknown` };
  }
  const age = Math.round((now - info.created) / 1000);
  const since = `since ${new Date(info.created).toISOString()} (${age} s ago)`;
  if (age <= limits.maxRunSeconds) {
    return {
      clear: false,
      reason: `held by ${holder} ${since}, younger than the longest run (${limits.maxRunSeconds} s): another run may be working`,
    };
  }
  if (!limits.clearStaleLocks) {
    return {
      clear: false,
      reason: `held by ${holder} ${since}, older than the longest run (${limits.maxRunSeconds} s); not cleared here because nothing guarantees that no other run is going on (${RUN_LIMIT_VARS.clearStale} is not 1)`,
    };
  }
  return {
    clear: true,
    reason: `held by ${holder} ${since}, older than the longest run (${limits.maxRunSeconds} s) while the concurrency group excludes any other run: left by a killed run`,
  };
}

/** The command an operator runs to clear a lock by hand. */
export function forceUnlockCommand(stack: string, id: string): string {
  return `npm run tf -- ${stack} force-unlock -force ${id}`;
}

/** An engine command failed on a lock that is not ours to clear. */
export class StateLockedError extends Error {
  constructor(
    readonly stack: string,
    readonly info: LockInfo | undefined,
    reason: string,
  ) {
    super(
      `the state of ${stack} is locked: ${reason}. ` +
        (info
          ? `If no run is going on (a killed job leaves its lock behind), clear it with: ${forceUnlockCommand(stack, info.id)}`
          : `Look at the engine's message; to clear a lock left by a killed run: ${forceUnlockCommand(stack, '<lock ID>')}`),
    );
    this.name = 'StateLockedError';
  }
}

/** The run's deadline passed before an engine command could start. */
export class DeadlineError extends Error {
  constructor(what: string, deadline: number) {
    super(
      `run deadline ${new Date(deadline).toISOString()} reached: ${what} not started (${RUN_LIMIT_VARS.deadline} bounds every run below the job's timeout). Run the same command again; it converges from what exists.`,
    );
    this.name = 'DeadlineError';
  }
}
