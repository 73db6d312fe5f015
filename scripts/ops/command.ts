/** One subcommand of the operator CLI (`scripts/ops/cli.ts`). */
export interface Command {
  /** Arguments, e.g. `<env> [--days 14]`. */
  readonly usage: string;
  /** One line: what it does. */
  readonly summary: string;
  /** Runs it; resolves to the exit code (0 ok, 1 failed, 2 bad usage). */
  run(args: readonly string[], io: CommandIo): Promise<number>;
}

/** Where a command writes: lines for people (`out`) and errors (`err`). */
export interface CommandIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}
