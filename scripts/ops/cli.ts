/**
 * The operator CLI: one command with subcommands, what the workflows run and what an
 * operator types by hand.
 *
 *   npm run ops -- <command> [args]      (npm run ops -- help)
 *
 * Commands live in two modules: `read-commands.ts` (status, schedule, cost, kubeconfig,
 * list: they read the project and the calendar) and `cycle-commands.ts` (up, down,
 * recreate, guard and the destroy commands: they change the project). Everything talks
 * to Hetzner through the one client in `hcloud.ts`; HCLOUD_ENDPOINT points it at the fake
 * in tests.
 */
import { CYCLE_COMMANDS } from './cycle-commands';
import { READ_COMMANDS } from './read-commands';
import { IDENTITY_COMMANDS } from './identity-commands';
import type { Command } from './command';
import { interrupts } from './engine';

const COMMANDS: Readonly<Record<string, Command>> = {
  ...READ_COMMANDS,
  ...IDENTITY_COMMANDS,
  ...CYCLE_COMMANDS,
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'usage: npm run ops -- <command> [args]',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.usage}  ${c.summary}`),
  ].join('\n');
}

/** Runs one command line; returns the exit code. Exported for tests. */
export async function runCli(
  argv: readonly string[],
  io: { out: (s: string) => void; err: (s: string) => void },
) {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help') {
    io.out(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  let code: number;
  try {
    code = await command.run(args, io);
  } catch (error) {
    io.err(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    code = 1;
  }
  const signal = interrupts.signal;
  if (signal) {
    io.err(
      `${name}: interrupted by ${signal}. The engine was asked to stop and write its state, and nothing new was started. ` +
        'Servers it was creating or deleting may be half done: run the same command again (or let the next guard run); it converges from what exists. ' +
        `See what is there with: npm run ops -- status ${args.find((a) => !a.startsWith('-')) ?? '<env>'}`,
    );
    return signal === 'SIGTERM' ? 143 : 130;
  }
  return code;
}

if (require.main === module) {
  interrupts.install((line) => process.stderr.write(`${line}\n`));
  runCli(process.argv.slice(2), {
    out: (s) => process.stdout.write(`${s}\n`),
    err: (s) => process.stderr.write(`${s}\n`),
  }).then((code) => process.exit(code));
}
