/**
 * The first step of every scheduled guard job: what `guard <env> --dry-run` decides (the same
 * `guard` of cycle.ts: observe the project by label, ask the calendar), run from a bundle with
 * every dependency inlined (scripts/ops/dist/guard-decide.cjs, `npm run bundle-guard`), so a
 * job that finds nothing to do never restores node_modules or installs OpenTofu.
 *
 *   node scripts/ops/dist/guard-decide.cjs <env> [--at ISO-instant] [--dry-run]
 *
 *   HCLOUD_TOKEN (HCLOUD_ENDPOINT)   the project's API token (read access is enough)
 *   GITHUB_OUTPUT                    gets `action=<nothing|ensure-up|ensure-down>` and
 *                                    `done=<true|false>`: true when nothing is left to do
 *                                    (nothing to do, or a dry run), false when the job's next
 *                                    steps must run the full guard
 *   GITHUB_STEP_SUMMARY              the guard's summary, when this step is the whole job
 *
 * Exit 0 with a decision, 1 when it cannot decide (the API fails: the job fails, loudly), 2
 * on a bad command line. It changes nothing: the engine and the label sweep refuse to run.
 */
import { appendFileSync } from 'fs';
import { DateTime } from 'luxon';
import { calendarFor } from '../../environments/calendars';
import { priceListFromPricing, priceListFromTable } from '../../lib/cost';
import { parseArgs, UsageError } from './cycle-commands';
import { CycleError, environmentNamed, guard, type CycleDeps, type GuardResult } from './cycle';
import type { Engine } from './engine';
import { HcloudClient } from './hcloud';
import { costSoFar } from './read-commands';
import { appendStepSummary } from './summary';

/** What the step decided. */
export interface Decision {
  readonly action: GuardResult['action'];
  /** Nothing left for the job to do (nothing to do, or a dry run). */
  readonly done: boolean;
  readonly result: GuardResult;
}

const refuse = (what: string) => () => {
  throw new CycleError(
    `guard-decide changes nothing: ${what} is for the full guard (scripts/ops/ops.sh guard)`,
  );
};

/** An engine that refuses every call: a dry-run guard never uses one. */
const NO_ENGINE: Engine = {
  synth: refuse('synth'),
  run: refuse('the engine'),
  stackJson: refuse('the synthesized stack'),
};

/** Options of {@link decide}. */
export interface DecideOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly client?: HcloudClient;
  readonly now?: () => Date;
  readonly log?: (line: string) => void;
  /** The guard's job summary (markdown). @default - appended to GITHUB_STEP_SUMMARY when done */
  readonly summary?: (markdown: string, done: boolean) => void;
}

/**
 * Runs `guard <environment> --dry-run` (optionally `--at`): the decision, and whether the
 * job is done with it. The guard's summary goes out only when the job is done (otherwise the
 * full guard writes its own).
 */
export async function decide(
  environment: string,
  opts: { readonly at?: string; readonly dryRun?: boolean } & DecideOptions = {},
): Promise<Decision> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const now = opts.now ?? (() => new Date());
  const client = opts.client ?? HcloudClient.fromEnv(env, (l) => log(`  ${l}`));
  let markdown = '';
  const deps: CycleDeps = {
    client,
    engine: NO_ENGINE,
    sweep: refuse('the label sweep'),
    log,
    summary: (md) => (markdown += md),
    env,
    now,
    costOfDay: async (resolved, observation) => {
      // As cycle-commands.ts: live prices (one GET /pricing), else the dated table.
      const at = DateTime.fromJSDate(now());
      const prices = await client
        .pricing()
        .then((p) => priceListFromPricing(p, at.toUTC().toISODate()!, `${client.endpoint}/pricing`))
        .catch(() => priceListFromTable());
      const c = costSoFar(resolved, calendarFor(resolved.name), observation, prices, at);
      return `${c.today.totalNet.toFixed(2)} ${c.currency} net since ${c.today.since} (servers ${c.today.serversNet.toFixed(2)}, Primary IPs ${c.today.primaryIpsNet.toFixed(2)}; ${prices.kind === 'live' ? 'live prices' : `price table of ${prices.date}`})`;
    },
  };
  const result = await guard(deps, environment, { at: opts.at, dryRun: true });
  const done = Boolean(opts.dryRun) || result.action === 'nothing';
  // Not asked for a dry run, a decision of nothing is the guard's whole run: say so.
  if (!opts.dryRun) markdown = markdown.replace(/^(### guard \S+: nothing) \(dry run\)/, '$1');
  (opts.summary ?? ((md, d) => d && appendStepSummary(md, env)))(markdown, done);
  return { action: result.action, done, result };
}

/** The command line; resolves to the exit code. */
export async function main(
  argv: readonly string[],
  opts: DecideOptions & { readonly err?: (line: string) => void } = {},
): Promise<number> {
  const env = opts.env ?? process.env;
  const err = opts.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const usage = 'usage: node scripts/ops/dist/guard-decide.cjs <env> [--at ISO-instant] [--dry-run]';
  let environment: string;
  let at: string | undefined;
  let dryRun: boolean;
  try {
    const a = parseArgs(argv, { positional: ['env'], flags: { at: 'instant', 'dry-run': 'boolean' } });
    environment = a.positional.env;
    environmentNamed(environment);
    at = a.flags.at as string | undefined;
    dryRun = Boolean(a.flags['dry-run']) || env.DRY_RUN === 'true';
  } catch (e) {
    if (e instanceof UsageError || e instanceof CycleError) {
      err(`guard-decide: ${(e as Error).message}\n${usage}`);
      return 2;
    }
    throw e;
  }
  try {
    const d = await decide(environment, { ...opts, env, log, at, dryRun });
    log(
      d.done
        ? `guard-decide ${environment}: ${d.action}${dryRun ? ' (dry run)' : ''}: done, the job installs nothing`
        : `guard-decide ${environment}: ${d.action}: the next steps restore node_modules, install OpenTofu and run the guard`,
    );
    if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, `action=${d.action}\ndone=${d.done}\n`);
    return 0;
  } catch (e) {
    err(`guard-decide ${environment}: cannot decide: ${(e as Error).message}`);
    return 1;
  }
}

/** `true` in the bundle (scripts/bundle-guard.ts defines it). */
declare const GUARD_DECIDE_BUNDLE: boolean | undefined;

if (typeof GUARD_DECIDE_BUNDLE !== 'undefined' || require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`guard-decide: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
