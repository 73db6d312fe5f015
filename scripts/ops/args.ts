/**
 * Command-line arguments of the operator CLI's subcommands, split by Node's own
 * `util.parseArgs` (its tokens) and checked here once for every command: unknown options,
 * options given twice, a boolean given a value, an option missing its value.
 */
import { parseArgs } from 'node:util';

/** A bad command line: the command exits 2 with its usage line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** How an option is written: `--flag`, or `--name value` / `--name=value`. */
export type FlagKind = 'boolean' | 'string';

/** The positionals in order, and the options by name (without `--`). */
export interface CommandLine {
  readonly positional: string[];
  readonly flags: Record<string, string | boolean | undefined>;
}

/** Splits `args` into positionals and the options `spec` allows; throws {@link UsageError}. */
export function parseCommandLine(
  args: readonly string[],
  spec: Readonly<Record<string, FlagKind>>,
): CommandLine {
  const { tokens } = parseArgs({
    args: [...args],
    options: Object.fromEntries(Object.entries(spec).map(([name, type]) => [name, { type }])),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const positional: string[] = [];
  const flags: Record<string, string | boolean | undefined> = {};
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positional.push(token.value);
      continue;
    }
    if (token.kind !== 'option') continue;
    const name = token.name;
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!kind) {
      const known = Object.keys(spec).map((f) => `--${f}`);
      throw new UsageError(
        `unknown option ${token.rawName}${known.length ? ` (options: ${known.join(', ')})` : ''}`,
      );
    }
    if (name in flags) throw new UsageError(`--${name} given twice`);
    if (kind === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const value = token.value;
    // `--at --dry-run`: the next option is not a value, whatever util.parseArgs made of it.
    if (value === undefined || value === '' || (!token.inlineValue && value.startsWith('--'))) {
      throw new UsageError(`--${name} needs a value`);
    }
    flags[name] = value;
  }
  return { positional, flags };
}
