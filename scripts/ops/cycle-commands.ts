/**
 * The commands that change the project: up, down, recreate, guard and the destroy paths. The
 * logic is in `cycle.ts`; here are the command lines, the defaults taken from the process
 * environment, and the job summary.
 *
 *   HCLOUD_TOKEN                 the project's API token (HCLOUD_ENDPOINT: another API, e.g. the fake)
 *   TF_VAR_ssh_public_key        the key installed on the nodes (the cluster stack needs it)
 *   SSH_PRIVATE_KEY_FILE         its private key: `up` waits for the nodes over SSH to cp-0
 *   STATE_BACKEND=s3 ...         state in object storage (main.ts); default local state/
 *   USE_PUBLIC_REGISTRY=1        your tofu/terraform and the public registry (else the toolchain's)
 *   GITHUB_STEP_SUMMARY          set in a workflow step: the summary goes there too
 */
import { parseCommandLine, UsageError } from './args';
import { DateTime } from 'luxon';
import { calendarFor } from '../../environments/calendars';
import { priceListFromPricing, priceListFromTable } from '../../lib/cost';
import type { Command, CommandIo } from './command';
import {
  choiceVars,
  CycleError,
  destroyAll,
  downSummary,
  ensureDown,
  ensureUp,
  environmentNamed,
  guard,
  sshProber,
  webhookNotifier,
  upSummary,
  type CycleDeps,
  type LabelSweep,
  type ReadinessProber,
} from './cycle';
import { destroyVms } from './destroy-vms';
import { ProjectEngine, type Engine } from './engine';
import { HcloudClient } from './hcloud';
import { clusterVars, requireStatePassphrase } from './identity-store';
import { runLimitsFromEnv, StateLockedError } from './run-limits';
import { STATE_PASSPHRASE_ENV } from '../../lib/state-encryption';
import { costSoFar } from './read-commands';
import { appendStepSummary } from './summary';

// ----- arguments -----------------------------------------------------------------------

/** A command line that does not fit the command's usage (exit 2). */
export { UsageError };

/** What a command accepts: positional names, and flags with their kind. */
export interface ArgSpec {
  readonly positional: readonly string[];
  readonly flags: Readonly<Record<string, 'boolean' | 'string' | 'seconds' | 'instant'>>;
}

/** Parsed arguments: positionals by name, flags by name (without `--`). */
export interface ParsedArgs {
  readonly positional: Readonly<Record<string, string>>;
  readonly flags: Readonly<Record<string, string | number | boolean | undefined>>;
}

/** An ISO 8601 instant with its offset, as `--at` takes it. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/i;

/** Longest `--wait-timeout`: two hours (the workflow's job limit is one). */
export const MAX_WAIT_SECONDS = 7200;

/**
 * Parses `args` against `spec`: every positional required, flags `--name value` or
 * `--name=value` (booleans take none), each at most once. Throws {@link UsageError}.
 */
export function parseArgs(args: readonly string[], spec: ArgSpec): ParsedArgs {
  const stringly = Object.fromEntries(
    Object.entries(spec.flags).map(
      ([name, kind]) => [name, kind === 'boolean' ? 'boolean' : 'string'] as const,
    ),
  );
  const { positional, flags: raw } = parseCommandLine(args, stringly);
  const flags: Record<string, string | number | boolean | undefined> = { ...raw };
  for (const [name, value] of Object.entries(raw)) {
    const kind = spec.flags[name];
    if (typeof value !== 'string') continue;
    if (kind === 'seconds') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > MAX_WAIT_SECONDS) {
        throw new UsageError(`--${name} must be whole seconds 1-${MAX_WAIT_SECONDS}, got '${value}'`);
      }
      flags[name] = n;
    } else if (kind === 'instant' && (!INSTANT.test(value) || Number.isNaN(Date.parse(value)))) {
      throw new UsageError(
        `--${name} must be an ISO 8601 instant with its offset, e.g. 2026-11-24T14:00:00Z or 2026-11-24T09:00:00-05:00, got '${value}'`,
      );
    }
  }
  if (positional.length < spec.positional.length) {
    throw new UsageError(`missing <${spec.positional[positional.length]}>`);
  }
  if (positional.length > spec.positional.length) {
    throw new UsageError(`unexpected argument '${positional[spec.positional.length]}'`);
  }
  return {
    positional: Object.fromEntries(spec.positional.map((n, i) => [n, positional[i]])),
    flags,
  };
}

// ----- dependencies ----------------------------------------------------------------------

/** What the commands use; every part has a default from the process environment. */
export interface CycleCommandOptions {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Where stacks are synthesized (local state in `<outdir>/../state`). @default $CDKTF_OUTDIR or cdktf.out */
  readonly outdir?: string;
  /** @default HcloudClient.fromEnv(env) */
  readonly client?: HcloudClient;
  /** @default a ProjectEngine on `outdir` */
  readonly engine?: Engine;
  /** @default SSH to cp-0 with SSH_PRIVATE_KEY_FILE, when set */
  readonly prober?: ReadinessProber;
  /** @default destroyVms (label sweep) with the same token and endpoint */
  readonly sweep?: LabelSweep;
  /** @default appendStepSummary (GITHUB_STEP_SUMMARY) */
  readonly summary?: (markdown: string) => void;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly costOfDay?: CycleDeps['costOfDay'];
  /** @default a webhook to ALERT_WEBHOOK_URL, when set */
  readonly notify?: CycleDeps['notify'];
}

/**
 * ALERT_WEBHOOK_URL: a Slack-compatible incoming webhook (`{"text": ...}`) that a failed guard
 * run notifies once a day. https only (plain http only to this machine, for tests); unset =
 * no notification. Throws naming the value and the fix.
 */
export function alertWebhookFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.ALERT_WEBHOOK_URL;
  if (raw === undefined || raw === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  const local = url?.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost');
  if (!url || !(url.protocol === 'https:' || local)) {
    // The URL is a credential: show only its scheme and host.
    const shown = url ? `${url.protocol}//${url.host}/...` : `a value of ${raw.length} characters`;
    throw new Error(
      `ALERT_WEBHOOK_URL (${shown}) is not an https URL: set it to the incoming webhook of your chat (Slack or compatible, e.g. https://hooks.example.com/services/...), or unset it for no notifications`,
    );
  }
  return raw;
}

const COMMON = { outdir: 'string' } as const;
const WAIT = { 'no-wait': 'boolean', 'wait-timeout': 'seconds' } as const;

/** The commands, with their dependencies; `CYCLE_COMMANDS` is this with the defaults. */
export function cycleCommands(options: CycleCommandOptions = {}): Readonly<Record<string, Command>> {
  const depsFor = (io: CommandIo, flags: ParsedArgs['flags']): CycleDeps => {
    const env = options.env ?? process.env;
    const log = io.out;
    const client = options.client ?? HcloudClient.fromEnv(env, (l) => log(`  ${l}`));
    const outdir = (flags.outdir as string | undefined) ?? options.outdir;
    const keyFile = env.SSH_PRIVATE_KEY_FILE;
    // One deadline for the whole command (checked before anything runs: see `run` below).
    const limits = runLimitsFromEnv(env, (options.now ?? (() => new Date()))().getTime());
    const webhook = alertWebhookFromEnv(env);
    return {
      client,
      limits,
      notify: options.notify ?? (webhook ? webhookNotifier(webhook) : undefined),
      engine: options.engine ?? new ProjectEngine({ outdir, env, log, limits }),
      prober: options.prober ?? (keyFile ? sshProber({ keyFile }) : undefined),
      sweep:
        options.sweep ??
        ((o) =>
          destroyVms({
            endpoint: client.endpoint,
            token: env.HCLOUD_TOKEN ?? '',
            environment: o.environment,
            cluster: o.cluster,
            clusterResources: o.clusterResources,
            dryRun: o.dryRun,
            log: o.log,
          })),
      log,
      summary: options.summary ?? ((md) => appendStepSummary(md, env)),
      env,
      now: options.now,
      sleep: options.sleep,
      costOfDay:
        options.costOfDay ??
        (async (resolved, observation) => {
          // Live prices (one GET /pricing), else the dated table in lib/cost.ts.
          const at = DateTime.fromJSDate((options.now ?? (() => new Date()))());
          const prices = await client
            .pricing()
            .then((p) => priceListFromPricing(p, at.toUTC().toISODate()!, `${client.endpoint}/pricing`))
            .catch(() => priceListFromTable());
          const c = costSoFar(resolved, calendarFor(resolved.name), observation, prices, at);
          const missing = c.missingPrices.length ? `; no price for ${c.missingPrices.join(', ')}` : '';
          return `${c.today.totalNet.toFixed(2)} ${c.currency} net since ${c.today.since} (servers ${c.today.serversNet.toFixed(2)}, Primary IPs ${c.today.primaryIpsNet.toFixed(2)}; ${prices.kind === 'live' ? 'live prices' : `price table of ${prices.date}`}${missing})`;
        }),
    };
  };

  /** A command: parse, check the environment's name, run; usage problems exit 2, failures 1. */
  const command = (
    name: string,
    usage: string,
    summary: string,
    spec: ArgSpec,
    body: (deps: CycleDeps, args: ParsedArgs) => Promise<void>,
    /** A refusal before anything is touched (exit 2), e.g. a wrong confirmation. */
    refuse?: (args: ParsedArgs) => string | undefined,
  ): Command => ({
    usage,
    summary,
    async run(args, io) {
      let parsed: ParsedArgs;
      try {
        parsed = parseArgs(args, spec);
        environmentNamed(parsed.positional.env);
      } catch (e) {
        if (e instanceof UsageError || e instanceof CycleError) {
          io.err(`${(e as Error).message}\nusage: ${usage}`);
          return 2;
        }
        throw e;
      }
      const refusal = refuse?.(parsed);
      if (refusal) {
        io.err(refusal);
        return 2;
      }
      // Everything but the label sweep runs the engine on encrypted state: check the passphrase first.
      if (name !== 'destroy-vms' && !(name === 'guard' && parsed.flags['dry-run'])) {
        try {
          requireStatePassphrase(options.env ?? process.env);
        } catch (e) {
          io.err(`${name}: ${(e as Error).message}`);
          return 1;
        }
      }
      try {
        runLimitsFromEnv(options.env ?? process.env);
        alertWebhookFromEnv(options.env ?? process.env);
      } catch (e) {
        io.err(`${name}: ${(e as Error).message}`);
        return 2;
      }
      const deps = depsFor(io, parsed.flags);
      try {
        await body(deps, parsed);
      } catch (error) {
        // The guard writes its own; the others say here what failed.
        if (name !== 'guard') {
          deps.summary?.(
            `### ${name} ${parsed.positional.env}: failed\n\n\`\`\`\n${(error as Error).message}\n\`\`\`\n\n`,
          );
        }
        throw error;
      }
      return 0;
    },
  });

  const upOptions = (a: ParsedArgs) => ({
    wait: !a.flags['no-wait'],
    waitTimeoutSeconds: (a.flags['wait-timeout'] as number | undefined) ?? 900,
  });

  return {
    up: command(
      'up',
      '<env> [--no-wait] [--wait-timeout 900] [--outdir cdktf.out]',
      'ensure the cluster is up: persistent IPs if missing, cluster stack (capacity fallback), wait until ready to trade (nodes, Argo CD, Kafka)',
      { positional: ['env'], flags: { ...WAIT, ...COMMON } },
      async (deps, a) => {
        const r = await ensureUp(deps, a.positional.env, upOptions(a));
        deps.summary?.(upSummary(r));
      },
    ),
    down: command(
      'down',
      '<env> [--outdir cdktf.out]',
      'ensure the cluster is down: destroy the cluster stack, sweep by label; only the Primary IPs stay',
      { positional: ['env'], flags: COMMON },
      async (deps, a) => {
        deps.summary?.(downSummary(await ensureDown(deps, a.positional.env)));
      },
    ),
    recreate: command(
      'recreate',
      '<env> [--no-wait] [--wait-timeout 900] [--outdir cdktf.out]',
      'down, then up (same addresses, new servers)',
      { positional: ['env'], flags: { ...WAIT, ...COMMON } },
      async (deps, a) => {
        const down = await ensureDown(deps, a.positional.env);
        const up = await ensureUp(deps, a.positional.env, upOptions(a));
        deps.summary?.(`${downSummary(down)}\n${upSummary(up)}`);
      },
    ),
    guard: command(
      'guard',
      '<env> [--at ISO-instant] [--dry-run] [--no-wait] [--wait-timeout 900] [--outdir cdktf.out]',
      'follow the trading calendar: up inside the window, down outside it, else nothing',
      { positional: ['env'], flags: { at: 'instant', 'dry-run': 'boolean', ...WAIT, ...COMMON } },
      async (deps, a) => {
        await guard(deps, a.positional.env, {
          ...upOptions(a),
          at: a.flags.at as string | undefined,
          dryRun: Boolean(a.flags['dry-run']),
        });
      },
    ),
    'destroy-vms': command(
      'destroy-vms',
      '<env> [--dry-run]',
      'delete the servers of the environment by label (no state needed); the rest stays',
      { positional: ['env'], flags: { 'dry-run': 'boolean' } },
      async (deps, a) => {
        const { env } = environmentNamed(a.positional.env);
        const sweep = () =>
          deps.sweep({
            environment: env.name,
            cluster: env.clusterName,
            clusterResources: false,
            dryRun: Boolean(a.flags['dry-run']),
            log: deps.log,
          });
        // Under the cluster stack's state lock when the state can be read (no run may be
        // creating servers meanwhile); without it (the state lost, unreadable, or no
        // passphrase here) this is the way out, so it goes on and says so.
        const processEnv = options.env ?? process.env;
        const reachable =
          !a.flags['dry-run'] &&
          processEnv.STATE_BACKEND !== 'none' &&
          Boolean(processEnv[STATE_PASSPHRASE_ENV]) &&
          deps.engine.holdLock !== undefined;
        let deleted!: Awaited<ReturnType<typeof sweep>>;
        let locked = false;
        if (reachable) {
          try {
            await deps.engine.synth(choiceVars(env.name, {}));
            deleted = await deps.engine.holdLock!(env.name, clusterVars(undefined, env.name), async () => {
              locked = true;
              return sweep();
            });
          } catch (e) {
            // Another run holds the lock (or the sweep itself failed): never sweep under it.
            if (locked || e instanceof StateLockedError) throw e;
            deps.log(
              `destroy-vms: the state lock could not be taken (${(e as Error).message.split('\n')[0]}); going on WITHOUT it: make sure no other run is applying`,
            );
            deleted = await sweep();
          }
        } else {
          deps.log(
            `destroy-vms: ${a.flags['dry-run'] ? 'dry run: no lock needed' : 'WITHOUT the state lock (no readable state here: STATE_BACKEND=none or no state passphrase); make sure no other run is applying'}`,
          );
          deleted = await sweep();
        }
        deps.summary?.(
          `### destroy-vms ${env.name}${a.flags['dry-run'] ? ' (dry run)' : ''}\n\n${deleted.length ? deleted.map((s) => `- ${s.name}`).join('\n') : 'no servers'}\n`,
        );
      },
    ),
    'destroy-cluster': command(
      'destroy-cluster',
      '<env> [--outdir cdktf.out]',
      'destroy the cluster stack and sweep by label, whatever the calendar says (= down)',
      { positional: ['env'], flags: COMMON },
      async (deps, a) => {
        deps.summary?.(downSummary(await ensureDown(deps, a.positional.env), 'destroy-cluster'));
      },
    ),
    'destroy-all': command(
      'destroy-all',
      '<env> --confirm <env> [--outdir cdktf.out]',
      'remove everything, the persistent Primary IPs too (the addresses are gone for good)',
      { positional: ['env'], flags: { confirm: 'string', ...COMMON } },
      async (deps, a) => {
        const name = a.positional.env;
        const r = await destroyAll(deps, name, a.flags.confirm as string);
        deps.summary?.(
          `### destroy-all ${name}\n\nremoved everything; Primary IPs released: ${
            Object.entries(r.removed)
              .map(([n, ip]) => `${n} ${ip}`)
              .join(', ') || 'none existed'
          }\n`,
        );
      },
      (a) =>
        a.flags.confirm === a.positional.env
          ? undefined
          : `destroy-all: refusing: --confirm must repeat the environment name ('${a.positional.env}'), got '${a.flags.confirm ?? ''}'. This deletes the persistent public IPs of ${a.positional.env}; the addresses cannot be recovered.`,
    ),
  };
}

/** up, down, recreate, guard, destroy-vms, destroy-cluster, destroy-all. */
export const CYCLE_COMMANDS: Readonly<Record<string, Command>> = cycleCommands();
