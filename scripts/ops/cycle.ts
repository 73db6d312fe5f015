/**
 * The logic behind the cycle commands (`scripts/ops/cycle-commands.ts`): bring an
 * environment's cluster up (with the capacity fallback) and down, follow the trading
 * calendar (the guard), and the destroy paths. Everything that talks to the world comes in
 * through {@link CycleDeps}: the API client, the synth + engine, the node readiness prober,
 * the clock, so the lifecycle tests run the same code against the fake API.
 *
 * - ensure up: the persistent stack only when its Primary IPs are missing; the cluster stack,
 *   retried on the next fallback server type of a role whose type is sold out
 *   (`resource_unavailable`); powers on planned servers found off; then, unless told not to,
 *   waits until the cluster is ready to trade (scripts/ops/readiness.ts: k3s API, nodes, Argo
 *   CD Applications, Kafka and its topics and users; one SSH call to cp-0 per probe), bounded
 *   by the run's deadline and the calendar's readiness deadline, and records the verdict and
 *   the time to each stage on cp-0 (labels the guard reads).
 * - ensure down: destroys the cluster stack, then sweeps by label whatever it left (never the
 *   Primary IPs), and checks that no server is left.
 * - guard: observes, asks `guardDecision` (lib/calendar.ts), runs ensure up / ensure down or
 *   nothing, and writes what it did to the job summary; a failure notifies (webhook) once a day.
 */
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ENVIRONMENTS } from '../../environments';
import type { EnvironmentConfig } from '../../environments/types';
import { desiredState, guardDecision, readinessDeadline, type GuardAction } from '../../lib/calendar';
import { ALERTED_LABEL } from '../../lib/labels';
import { calendarFor } from '../../environments/calendars';
import { resolveEnvironment, type ResolvedEnvironment } from '../../lib/environment';
import {
  choiceName,
  NODE_GROUP_ROLES,
  NODE_GROUPS,
  perEnvironmentVar,
  resolveServerTypes,
  SERVER_TYPE_CHOICE_LABEL,
  SERVER_TYPE_CHOICE_VAR,
  serverTypeCandidates,
  serverTypeChoicesFromEnv,
  type NodeGroup,
  type NodeGroupsConfig,
  type ServerTypeChoice,
} from '../../lib/server-type-choice';
import { runChild, tail, type Engine, type StackJson } from './engine';
import { anyClusterResource, deleteOrphans, findClusterOrphans, primaryIpAddress, stateIds } from './orphans';
import { STATE_LOCKED, secondsLeft, type RunLimits } from './run-limits';
import {
  bootMaterialFor,
  clusterVars,
  EngineIdentityStore,
  ensureIdentity,
  knownHostsText,
  persistentVars,
  type IdentityStore,
} from './identity-store';
import type { HcloudClient, PrimaryIp, Server } from './hcloud';
import { environmentLabels, observeEnvironment, type Observation } from './observe';
import { markdownTable } from './summary';
import {
  describeStages,
  evaluateReadiness,
  expectedReadiness,
  parseSnapshot,
  readinessLabels,
  snapshotCommand,
  type ReadinessExpectation,
  type RecordedReadiness,
  type StageSeconds,
  type StageState,
} from './readiness';

// ----- dependencies ------------------------------------------------------------------

/** Whether the cluster is ready to trade, and how far it got. */
export interface NodeProbe {
  readonly ready: boolean;
  /** What is missing, in words (`API not answering: ...`, `1/2 nodes Ready; waiting for ...`). */
  readonly detail: string;
  /** The stages complete. @default - all when `ready`, none otherwise */
  readonly stages?: StageState;
  /** One line per thing not ready (which app or resource, its state, its message). */
  readonly missing?: readonly string[];
}

/** Asks the cluster whether it is ready (production: SSH to cp-0; tests: anything). */
export type ReadinessProber = (target: {
  /** The control plane's public address (Primary IP #1). */
  readonly host: string;
  /** The k3s node names that must be Ready (= the server names). */
  readonly expectedNodes: readonly string[];
  /** known_hosts lines of the persistent host keys: the prober checks them strictly. */
  readonly knownHosts?: string;
  /** Everything that must be ready. @default - the nodes only */
  readonly expected?: ReadinessExpectation;
}) => Promise<NodeProbe>;

/** Sends one notification (a Slack-compatible webhook in production). */
export type Notifier = (text: string) => Promise<void>;

/** Removes servers (and with `clusterResources` the rest of the cluster stack) by label. */
export type LabelSweep = (opts: {
  readonly environment: string;
  readonly cluster: string;
  readonly clusterResources: boolean;
  readonly dryRun?: boolean;
  readonly log: (line: string) => void;
}) => Promise<readonly { readonly name: string }[]>;

/** Everything the cycle touches. */
export interface CycleDeps {
  readonly client: HcloudClient;
  readonly engine: Engine;
  readonly sweep: LabelSweep;
  /** @default - none: waiting needs one (see `sshProber`) */
  readonly prober?: ReadinessProber;
  /** Progress lines. */
  readonly log: (line: string) => void;
  /** Markdown for the job summary ($GITHUB_STEP_SUMMARY). @default - none */
  readonly summary?: (markdown: string) => void;
  /** Process variables (SERVER_TYPE_CHOICE / SERVER_TYPES_<ENV> as the starting choice). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** One line on the cost of the day so far, if the project can tell. @default - none */
  readonly costOfDay?: (env: ResolvedEnvironment, observation: Observation) => Promise<string | undefined>;
  /** Where the cluster identity is kept. @default - the persistent stack's encrypted state, through `engine` */
  readonly identity?: IdentityStore;
  /** The run's deadline (the readiness wait ends before it). @default - none */
  readonly limits?: RunLimits;
  /** Where a failed guard run notifies, once a day (ALERT_WEBHOOK_URL). @default - nowhere */
  readonly notify?: Notifier;
}

const identityStore = (deps: CycleDeps): IdentityStore =>
  deps.identity ?? new EngineIdentityStore(deps.engine);

/** A failure of a cycle step, with the message an operator needs. */
export class CycleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CycleError';
  }
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The config and the resolved environment of a name; throws naming the known ones. */
export function environmentNamed(name: string): { config: EnvironmentConfig; env: ResolvedEnvironment } {
  const config = ENVIRONMENTS.find((e) => e.name === name);
  if (!config) {
    throw new CycleError(
      `unknown environment '${name}' (environments: ${ENVIRONMENTS.map((e) => e.name).join(', ')})`,
    );
  }
  return { config, env: resolveEnvironment(config) };
}

/** Stack names: `<env>` (the daily cluster) and `<env>-persistent` (the Primary IPs). */
export function stacksOf(environment: string): { cluster: string; persistent: string } {
  return { cluster: environment, persistent: `${environment}-persistent` };
}

const APPLY = ['apply', '-auto-approve', '-input=false', '-no-color'] as const;
const DESTROY = ['destroy', '-auto-approve', '-input=false', '-no-color'] as const;

// ----- capacity fallback: reading the engine's errors ----------------------------------

/** A server the engine could not create because its type is sold out. */
export interface UnavailableServer {
  /** The engine's address, e.g. `hcloud_server.kafka-0_server_BDDCBFFE`. */
  readonly address?: string;
  /** The `role` label of that resource in the synthesized stack. */
  readonly role?: string;
  /** The server type that was tried (from the stack, else from the message). */
  readonly serverType?: string;
  /** The error line, e.g. `error during placement (resource_unavailable, 1d1d17e504e28a4c)`. */
  readonly message: string;
}

/** Terraform/OpenTofu output without colours and box-drawing margins. */
function plainOutput(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/\u001b\[[0-9;]*m/g, '')
      .split('\n')
      .map((l) => l.replace(/^\s*[│╷╵]\s?/, ''))
      .join('\n')
  );
}

/**
 * The servers an apply could not create because their type is sold out: every `Error:`
 * block that carries `resource_unavailable`, with the resource it names (`with
 * hcloud_server.<id>`) mapped to its role through the synthesized stack. The real API's
 * message (`error during placement`) does not name the type; the fake's does.
 */
export function unavailableServers(output: string, stack: StackJson): UnavailableServer[] {
  const servers = stack.resource?.hcloud_server ?? {};
  const blocks = plainOutput(output).split(/^(?=Error: )/m);
  const found: UnavailableServer[] = [];
  for (const block of blocks) {
    if (!block.startsWith('Error: ') || !/\bresource_unavailable\b/.test(block)) continue;
    const message = block.split('\n')[0].slice('Error: '.length).trim();
    const address = /\bwith (hcloud_server\.[A-Za-z0-9_-]+)(\[[^\]]*\])?/.exec(block);
    const id = address?.[1].slice('hcloud_server.'.length);
    const resource = id !== undefined && Object.hasOwn(servers, id) ? servers[id] : undefined;
    const named = /server type (\S+?) is unavailable/.exec(message)?.[1];
    found.push({
      address: address ? address[1] + (address[2] ?? '') : undefined,
      role: resource?.labels?.role,
      serverType: resource?.server_type ?? named,
      message,
    });
  }
  return found;
}

/** One group moved to its next candidate. */
export interface FallbackStep {
  readonly group: NodeGroup;
  readonly from: string;
  readonly to: string;
  /** `fallback-<n>` of `to`. */
  readonly choice: string;
}

/**
 * The choice for the next attempt: every group that hit `resource_unavailable` moves to the
 * candidate after the one it was on, in the order of `fallbackServerTypes`. Throws a
 * {@link CycleError} when a group has no candidate left, or when a failure cannot be tied to
 * a group (no server address and no type that one group runs on).
 */
export function nextServerTypeChoice(
  config: NodeGroupsConfig,
  choice: ServerTypeChoice,
  failures: readonly UnavailableServer[],
  location = '',
): { choice: ServerTypeChoice; steps: FallbackStep[] } {
  const current = resolveServerTypes(config, choice);
  const groups = new Set<NodeGroup>();
  for (const f of failures) {
    const byRole = NODE_GROUPS.find((g) => f.role !== undefined && NODE_GROUP_ROLES[g] === f.role);
    const byType = NODE_GROUPS.filter(
      (g) => f.serverType !== undefined && current[g].serverType === f.serverType,
    );
    if (byRole) groups.add(byRole);
    else if (byType.length > 0) byType.forEach((g) => groups.add(g));
    else {
      throw new CycleError(
        `a server could not be created (${f.message}${f.address ? `, ${f.address}` : ''}) and it is not clear which role it belongs to; nothing to fall back on`,
      );
    }
  }
  const next: ServerTypeChoice = { ...choice };
  const steps: FallbackStep[] = [];
  const exhausted: string[] = [];
  for (const group of NODE_GROUPS.filter((g) => groups.has(g))) {
    const candidates = serverTypeCandidates(config, group);
    const from = current[group].serverType;
    const to = candidates[candidates.indexOf(from) + 1];
    if (to === undefined) {
      exhausted.push(
        `${group} (role ${NODE_GROUP_ROLES[group]}): every candidate is sold out${location ? ` in ${location}` : ''}: ${candidates.join(', ')}`,
      );
      continue;
    }
    next[group] = to;
    steps.push({ group, from, to, choice: choiceName(config, group, to)! });
  }
  if (exhausted.length > 0) {
    throw new CycleError(
      `no server type left to try:\n${exhausted.map((e) => `  - ${e}`).join('\n')}\nadd fallbackServerTypes to the environment (same location: the Primary IPs are bound to it), or try again later`,
    );
  }
  return { choice: next, steps };
}

/** `control-plane cx33 (preferred), kafka cpx32 (fallback-1)`: the groups that have servers. */
export function describeServerTypes(config: NodeGroupsConfig, choice: ServerTypeChoice): string {
  const types = resolveServerTypes(config, choice);
  return NODE_GROUPS.filter((g) => config[g].count > 0)
    .map((g) => `${NODE_GROUP_ROLES[g]} ${types[g].serverType} (${types[g].choice})`)
    .join(', ');
}

/**
 * The starting choice of an apply: for each group that has servers now, the type they run
 * on (an apply never resizes a running server to go back to the preferred type); else what
 * the operator set (SERVER_TYPE_CHOICE / SERVER_TYPES_<ENV>); else the preferred type.
 */
export function startingChoice(
  config: NodeGroupsConfig,
  servers: readonly { readonly role: string; readonly serverType: string }[],
  vars: Readonly<Record<string, string | undefined>> = {},
): ServerTypeChoice {
  const fromVars = serverTypeChoicesFromEnv(vars, [config.name])[config.name] ?? {};
  const choice: ServerTypeChoice = { ...fromVars };
  for (const group of NODE_GROUPS) {
    const types = [
      ...new Set(servers.filter((s) => s.role === NODE_GROUP_ROLES[group]).map((s) => s.serverType)),
    ];
    if (types.length === 1 && choiceName(config, group, types[0]) !== undefined) choice[group] = types[0];
  }
  resolveServerTypes(config, choice); // refuses a bad operator choice before any apply
  return choice;
}

/** Process variables that make the synth use `choice` for this environment (and nothing stale). */
export function choiceVars(environment: string, choice: ServerTypeChoice): Record<string, string> {
  return {
    [SERVER_TYPE_CHOICE_VAR]: JSON.stringify({ [environment]: choice }),
    [perEnvironmentVar(environment)]: '',
  };
}

// ----- readiness -----------------------------------------------------------------------

/**
 * The production prober: one `ssh root@<cp-0>` running `k3s kubectl get` of the nodes, the
 * Argo CD Applications and the Strimzi resources (`snapshotCommand`) with the key in
 * `keyFile`, judged by `evaluateReadiness`. cp-0's host key is persistent (the identity), so the prober writes the pinned
 * known_hosts lines it is given and checks strictly (`StrictHostKeyChecking=yes`). It never
 * trusts on first use: without pinned lines every probe fails with ssh's host key error.
 */
export function sshProber(opts: {
  readonly keyFile: string;
  readonly user?: string;
  /** @default a new file in the temp dir */
  readonly knownHostsFile?: string;
  readonly timeoutSeconds?: number;
  readonly run?: (
    command: string,
    args: readonly string[],
  ) => Promise<{ code: number; stdout: string; stderr: string }>;
}): ReadinessProber {
  const run =
    opts.run ??
    ((command: string, args: readonly string[]) =>
      runChild(command, args, {
        cwd: process.cwd(),
        env: process.env,
        timeoutSeconds: opts.timeoutSeconds ?? 30,
      }));
  let knownHosts = opts.knownHostsFile;
  return async ({ host, expectedNodes, knownHosts: pinned, expected }) => {
    knownHosts ??= join(mkdtempSync(join(tmpdir(), 'ops-known-hosts-')), 'known_hosts');
    if (pinned) writeFileSync(knownHosts, pinned, { mode: 0o600 });
    const r = await run('ssh', sshProbeArgs({ ...opts, knownHostsFile: knownHosts, host }));
    if (r.code !== 0) {
      const why = (r.stderr || r.stdout).trim().split('\n').pop() || `exit ${r.code}`;
      return { ready: false, detail: `API not answering yet (${why})`, missing: [`k3s API: ${why}`] };
    }
    return evaluateReadiness(
      parseSnapshot(r.stdout),
      expected ?? { nodes: expectedNodes, applications: [], kafkas: [], topics: [], users: [] },
    );
  };
}

/** The `ssh` arguments of one readiness probe. */
export function sshProbeArgs(o: {
  readonly keyFile: string;
  readonly knownHostsFile: string;
  readonly host: string;
  readonly user?: string;
}): string[] {
  return [
    '-i',
    o.keyFile,
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    // The host keys are persistent and pinned in the file: never trust on first use.
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${o.knownHostsFile}`,
    '-o',
    'LogLevel=ERROR',
    '-o',
    'ConnectTimeout=10',
    `${o.user ?? 'root'}@${o.host}`,
    snapshotCommand(),
  ];
}

/**
 * Powers on every planned server of the environment that is `off` (only ours: the
 * environment's labels and a planned name) and waits for the actions. Returns their names.
 */
export async function powerOnPlannedServers(
  client: HcloudClient,
  env: ResolvedEnvironment,
  log: (line: string) => void,
): Promise<string[]> {
  const planned = new Set([...env.controlPlanes, ...env.kafkaNodes, ...env.appNodes].map((s) => s.name));
  const servers = await client.list<Server>('servers', { labelSelector: environmentLabels(env) });
  const off = servers.filter((s) => s.status === 'off' && planned.has(s.name));
  if (off.length === 0) return [];
  log(`== up ${env.name}: ${off.map((s) => s.name).join(', ')} found powered off: powering on`);
  const actions = await Promise.all(
    off.map((s) => client.request<{ action: { id: number } }>('POST', `/servers/${s.id}/actions/poweron`)),
  );
  await client.waitForActions(actions.map((a) => a.action.id));
  return off.map((s) => s.name);
}

/** A readiness wait that ended without the cluster ready: what is missing, how far it got. */
export class ReadinessError extends CycleError {
  constructor(
    message: string,
    readonly missing: readonly string[],
    readonly stages: StageSeconds,
  ) {
    super(message);
    this.name = 'ReadinessError';
  }
}

const STAGES = ['nodes', 'argocd', 'kafka'] as const;

/**
 * Polls the prober until ready or `timeoutSeconds` pass (then throws a {@link ReadinessError}
 * with the last answer's missing items). Records when each stage was first complete, in
 * seconds since `startedAt` (the start of `up`; default: the start of the wait).
 */
export async function waitForNodes(
  prober: ReadinessProber,
  target: Parameters<ReadinessProber>[0],
  opts: {
    readonly timeoutSeconds: number;
    readonly intervalSeconds?: number;
    readonly log: (line: string) => void;
    readonly now?: () => number;
    readonly sleep?: (ms: number) => Promise<void>;
    /** ms epoch the stage times count from. @default - the start of the wait */
    readonly startedAt?: number;
    /** Why the wait ends when it does, for the error (`the readiness deadline 09:20`). */
    readonly until?: string;
  },
): Promise<{ seconds: number; detail: string; stages: StageSeconds }> {
  const now = opts.now ?? (() => Date.now());
  const sleep = opts.sleep ?? realSleep;
  const interval = (opts.intervalSeconds ?? 15) * 1000;
  const started = now();
  const origin = opts.startedAt ?? started;
  const stages: Partial<Record<(typeof STAGES)[number], number>> = {};
  let last = 'not asked yet';
  let missing: readonly string[] = ['no probe answered'];
  for (let probe = 1; probe <= 100_000; probe++) {
    let result: NodeProbe;
    try {
      result = await prober(target);
    } catch (e) {
      result = { ready: false, detail: `probe failed: ${(e as Error).message}` };
    }
    last = result.detail;
    missing = result.missing ?? [result.detail];
    const complete = result.stages ?? { nodes: result.ready, argocd: result.ready, kafka: result.ready };
    for (const stage of STAGES) {
      if (complete[stage] && stages[stage] === undefined) stages[stage] = Math.round((now() - origin) / 1000);
    }
    const elapsed = Math.round((now() - started) / 1000);
    if (result.ready) {
      opts.log(`  ready: ${result.detail} after ${elapsed} s (${describeStages(stages)})`);
      return { seconds: elapsed, detail: result.detail, stages };
    }
    if (now() - started + interval > opts.timeoutSeconds * 1000) break;
    opts.log(`  waiting: ${result.detail} (${elapsed} s of ${opts.timeoutSeconds} s)`);
    await sleep(interval);
  }
  throw new ReadinessError(
    `the cluster at ${target.host} is not ready to trade after ${opts.timeoutSeconds} s${opts.until ? ` (${opts.until})` : ''}: ${last}.\nMissing:\n${missing.map((m) => `  - ${m}`).join('\n')}\nReached: ${describeStages(stages)}. The servers exist (billed); look with 'npm run ops -- kubeconfig' and kubectl, or 'ssh root@${target.host} journalctl -u k3s'; the next guard run waits again, or run 'down'.`,
    missing,
    stages,
  );
}

// ----- up ------------------------------------------------------------------------------

/** One apply of the cluster stack. */
export interface ApplyAttempt {
  readonly serverTypes: string;
  readonly ok: boolean;
  /** For a failed attempt: the sold-out types, e.g. `kafka cx33: server type cx33 is unavailable ...`. */
  readonly unavailable?: readonly string[];
}

/** What `ensureUp` did. */
export interface UpResult {
  readonly environment: string;
  readonly persistentApplied: boolean;
  readonly attempts: readonly ApplyAttempt[];
  /** The choice the cluster runs on. */
  readonly choice: ServerTypeChoice;
  /** `control-plane cx33 (preferred), kafka cpx32 (fallback-1)`. */
  readonly serverTypes: string;
  /** True when some group runs on a fallback. */
  readonly fallback: boolean;
  /** Primary IP name → address. */
  readonly addresses: Readonly<Record<string, string>>;
  /** Readiness: `skipped (--no-wait)` or `ready: 2 nodes, 5 Applications, ... after 95 s`. */
  readonly readiness: string;
  /** What was recorded on cp-0: `ready`, or `unchecked` after `--no-wait`. */
  readonly recorded: RecordedReadiness;
  /** Seconds from the start of `up` to each stage: servers created, nodes Ready, Argo CD synced, Kafka Ready. */
  readonly stages: StageSeconds;
  /** The persistent identity: `created` on the first up, else `kept` (or what was added). */
  readonly identity: string;
  /** Planned servers that were found powered off and powered on. */
  readonly poweredOn: readonly string[];
  /** Resources of an interrupted run the state did not know: `server x (deleted)`, `Primary IP y (imported)`. */
  readonly orphans: readonly string[];
  readonly seconds: number;
}

/** Options of `ensureUp`. */
export interface UpOptions {
  /** Wait for the API and every node. @default true */
  readonly wait?: boolean;
  /** @default 900 */
  readonly waitTimeoutSeconds?: number;
  /** Seconds between readiness probes. @default 15 */
  readonly waitIntervalSeconds?: number;
  /**
   * The calendar's readiness deadline (ISO 8601): the wait ends there at the latest, and
   * failing it fails the run. @default - none (a manual up or a repair during the session)
   */
  readonly readyBy?: string;
}

/** The environment's Primary IPs that exist at the API, by name. */
async function persistentIps(
  client: HcloudClient,
  env: ResolvedEnvironment,
): Promise<Map<string, Pick<PrimaryIp, 'id' | 'name' | 'ip'>>> {
  const ips = await client.list<PrimaryIp>('primary_ips', {
    labelSelector: environmentLabels(env),
  });
  const wanted = [env.controlPlaneIpName, env.kafkaIpName];
  return new Map(ips.filter((p) => wanted.includes(p.name)).map((p) => [p.name, p]));
}

/** The ids a stack's state holds, by resource type (`show -json`; reads without locking). */
async function stateIdsOf(
  engine: Engine,
  stack: string,
  vars: Readonly<Record<string, string>>,
): Promise<Map<string, Set<string>>> {
  const r = await engine.run(stack, ['show', '-json', '-no-color'], vars);
  if (r.code !== 0) {
    throw new CycleError(`could not read the state of ${stack} (exit ${r.code}):\n${tail(r.stderr, 15)}`);
  }
  return stateIds(r.stdout.trim() ? JSON.parse(r.stdout) : {});
}

/**
 * Imports the environment's Primary IPs that exist at the API but not in the persistent
 * state (a persistent apply killed after the create): never deleted, a client may know them.
 */
async function importPersistentOrphans(
  deps: CycleDeps,
  env: ResolvedEnvironment,
  existing: ReadonlyMap<string, { readonly id: number }>,
  vars: Readonly<Record<string, string>>,
): Promise<string[]> {
  const stack = stacksOf(env.name).persistent;
  const known = (await stateIdsOf(deps.engine, stack, vars)).get('hcloud_primary_ip') ?? new Set<string>();
  const imported: string[] = [];
  for (const [name, ip] of existing) {
    if (known.has(String(ip.id))) continue;
    const address = primaryIpAddress(deps.engine.stackJson(stack), name);
    if (!address) continue;
    deps.log(
      `  orphan: importing Primary IP ${name} (id ${ip.id}) into ${stack} as ${address}: at the API, not in the state`,
    );
    const r = await deps.engine.run(
      stack,
      ['import', '-input=false', '-no-color', address, String(ip.id)],
      vars,
    );
    if (r.code !== 0) {
      throw new CycleError(
        `import of Primary IP ${name} (id ${ip.id}) into ${stack} failed (exit ${r.code}):\n${tail(r.stderr || r.stdout, 15)}`,
      );
    }
    imported.push(name);
  }
  return imported;
}

/**
 * Deletes the environment's cluster resources that the cluster state does not know (a run
 * killed after a create), holding the state lock so no other run is creating them now.
 * Nothing labelled at all (a normal morning): nothing to compare, no lock taken.
 */
export async function removeClusterOrphans(
  deps: CycleDeps,
  env: ResolvedEnvironment,
  vars: Readonly<Record<string, string>>,
): Promise<string[]> {
  const labels = environmentLabels(env);
  if (!(await anyClusterResource(deps.client, labels))) return [];
  const stack = stacksOf(env.name).cluster;
  const work = async () => {
    const orphans = await findClusterOrphans(deps.client, labels, await stateIdsOf(deps.engine, stack, vars));
    await deleteOrphans(deps.client, orphans, deps.log);
    return orphans.map((o) => `${o.kind} ${o.name}`);
  };
  return deps.engine.holdLock ? deps.engine.holdLock(stack, vars, work) : work();
}

/**
 * Ensures the cluster is up: idempotent, an existing healthy cluster makes the apply a no-op.
 * The persistent stack is applied only when one of its Primary IPs is missing; the cluster
 * stack falls back server type by server type on `resource_unavailable`.
 */
export async function ensureUp(
  deps: CycleDeps,
  environment: string,
  opts: UpOptions = {},
): Promise<UpResult> {
  const { config, env } = environmentNamed(environment);
  const { log, engine, client } = deps;
  const wait = opts.wait ?? true;
  if (wait && !deps.prober) {
    throw new CycleError(
      'waiting for the nodes needs SSH to the control plane: set SSH_PRIVATE_KEY_FILE (the private key of TF_VAR_ssh_public_key), or pass --no-wait',
    );
  }
  const started = Date.now();
  const stacks = stacksOf(environment);
  log(`== up ${environment}: looking at the project`);
  const before = await observeEnvironment(client, env);
  let choice = startingChoice(config, before.servers, deps.env ?? process.env);
  await engine.synth(choiceVars(environment, choice));
  // The identity first: made once (on the first up), then the same every morning.
  const ensured = await ensureIdentity(identityStore(deps), env, log);
  const boot = bootMaterialFor(env, ensured.identity);

  // Persistent stack: only when an IP is missing (a first deploy, or after destroy-all).
  let ips = new Map(
    before.primaryIps
      .filter((p) => p.name === env.controlPlaneIpName || p.name === env.kafkaIpName)
      .map((p) => [p.name, { id: p.id, name: p.name, ip: p.ip }]),
  );
  let persistentApplied = false;
  const orphans: string[] = [];
  if (ips.size > 0) {
    orphans.push(
      ...(await importPersistentOrphans(deps, env, ips, persistentVars(ensured.identity, environment))).map(
        (n) => `Primary IP ${n} (imported)`,
      ),
    );
  }
  if (ips.size < 2) {
    log(`== up ${environment}: Primary IPs missing (${ips.size}/2 exist): apply ${stacks.persistent}`);
    const r = await engine.run(stacks.persistent, APPLY, persistentVars(ensured.identity, environment));
    if (r.code !== 0) {
      throw new CycleError(
        `apply of ${stacks.persistent} failed (exit ${r.code}):\n${tail(r.stderr || r.stdout)}\nIf the IPs exist but the state was lost, import them (README, "Deploying for real").`,
      );
    }
    persistentApplied = true;
    ips = await persistentIps(client, env);
  } else {
    log(
      `== up ${environment}: Primary IPs exist (${[...ips.values()].map((p) => `${p.name} ${p.ip}`).join(', ')}); ${stacks.persistent} not applied`,
    );
  }

  // What an interrupted run created but never wrote down would clash by name in the apply.
  orphans.push(
    ...(await removeClusterOrphans(deps, env, clusterVars(boot, environment))).map((o) => `${o} (deleted)`),
  );

  // Cluster stack, with the capacity fallback.
  const attempts: ApplyAttempt[] = [];
  const maxAttempts = 1 + NODE_GROUPS.reduce((n, g) => n + (config[g].fallbackServerTypes?.length ?? 0), 0);
  for (let attempt = 1; ; attempt++) {
    const serverTypes = describeServerTypes(config, choice);
    log(
      `== up ${environment}: apply ${stacks.cluster} with ${serverTypes}${attempt > 1 ? ` (attempt ${attempt})` : ''}`,
    );
    const r = await engine.run(stacks.cluster, APPLY, clusterVars(boot, environment));
    if (r.code === 0) {
      attempts.push({ serverTypes, ok: true });
      break;
    }
    const failures = unavailableServers(`${r.stdout}\n${r.stderr}`, engine.stackJson(stacks.cluster));
    if (failures.length === 0) {
      throw new CycleError(
        `apply of ${stacks.cluster} failed (exit ${r.code}):\n${tail(r.stderr || r.stdout)}`,
      );
    }
    const unavailable = failures.map(
      (f) => `${f.role ?? f.address ?? '?'} ${f.serverType ?? '?'}: ${f.message}`,
    );
    attempts.push({ serverTypes, ok: false, unavailable });
    for (const u of unavailable) log(`  sold out: ${u}`);
    if (attempt >= maxAttempts) {
      throw new CycleError(`apply of ${stacks.cluster} failed ${attempt} times on sold-out server types`);
    }
    const next = nextServerTypeChoice(config, choice, failures, env.location);
    for (const s of next.steps) {
      log(
        `  fallback: ${NODE_GROUP_ROLES[s.group]} ${s.from} -> ${s.to} (${s.choice}), same location ${env.location}`,
      );
    }
    choice = next.choice;
    await engine.synth(choiceVars(environment, choice));
  }

  // The engine does not manage the power state: a planned server found off (powered off by
  // hand or by Hetzner maintenance) stays off through "No changes", so power it on here.
  const poweredOn = await powerOnPlannedServers(client, env, log);
  const stages: { -readonly [K in keyof StageSeconds]: StageSeconds[K] } = {
    servers: Math.round((Date.now() - started) / 1000),
  };

  const addresses = Object.fromEntries([...ips.values()].map((p) => [p.name, p.ip]));
  let readiness = 'skipped (--no-wait)';
  let recorded: RecordedReadiness = 'unchecked';
  if (!wait) await recordReadiness(client, env, 'unchecked', stages, log);
  if (wait) {
    const host = ips.get(env.controlPlaneIpName)?.ip;
    if (!host) throw new CycleError(`Primary IP ${env.controlPlaneIpName} not found after the apply`);
    const expectedNodes = [...env.controlPlanes, ...env.kafkaNodes, ...env.appNodes].map((s) => s.name);
    const expected = expectedReadiness(config, expectedNodes);
    // Never past the run's deadline (kept below the job's timeout-minutes), nor past the
    // calendar's readiness deadline (that is the failure to report).
    const asked = opts.waitTimeoutSeconds ?? 900;
    const bounds: { seconds: number; why: string }[] = [
      { seconds: asked, why: `the wait timeout ${asked} s` },
    ];
    if (deps.limits) bounds.push({ seconds: secondsLeft(deps.limits) - 30, why: "the run's deadline" });
    if (opts.readyBy) {
      bounds.push({
        seconds: Math.round((Date.parse(opts.readyBy) - Date.now()) / 1000),
        why: `the readiness deadline ${opts.readyBy}`,
      });
    }
    const bound = bounds.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const timeout = Math.max(1, bound.seconds);
    log(
      `== up ${environment}: waiting until ready to trade: k3s API at ${host}, ${expectedNodes.length} nodes, ${expected.applications.length} Argo CD Applications, Kafka with ${expected.topics.length} topics and ${expected.users.length} users (at most ${timeout} s: ${bound.why})`,
    );
    try {
      const w = await waitForNodes(
        deps.prober!,
        {
          host,
          expectedNodes,
          expected,
          knownHosts: knownHostsText(env, ensured.identity, {
            controlPlane: host,
            kafka: ips.get(env.kafkaIpName)?.ip,
          }),
        },
        {
          timeoutSeconds: timeout,
          intervalSeconds: opts.waitIntervalSeconds,
          log,
          sleep: deps.sleep,
          startedAt: started,
          until: bound.why,
        },
      );
      Object.assign(stages, w.stages);
      readiness = `${w.detail} after ${w.seconds} s`;
      recorded = 'ready';
    } catch (error) {
      if (error instanceof ReadinessError) {
        Object.assign(stages, error.stages);
        await recordReadiness(client, env, 'not-ready', stages, log);
      }
      throw error;
    }
    await recordReadiness(client, env, 'ready', stages, log);
  }
  const resolved = resolveServerTypes(config, choice);
  const result: UpResult = {
    environment,
    persistentApplied,
    attempts,
    choice,
    serverTypes: describeServerTypes(config, choice),
    fallback: NODE_GROUPS.some((g) => config[g].count > 0 && resolved[g].choice !== 'preferred'),
    addresses,
    readiness,
    recorded,
    stages,
    identity: ensured.created
      ? 'created (first up)'
      : ensured.added.length
        ? `kept; added ${ensured.added.join(', ')}`
        : 'kept',
    poweredOn,
    orphans,
    seconds: (Date.now() - started) / 1000,
  };
  log(
    `== up ${environment}: done in ${result.seconds.toFixed(1)} s: ${result.serverTypes}; ${Object.entries(
      addresses,
    )
      .map(([n, ip]) => `${n} ${ip}`)
      .join(', ')}; ${readiness}`,
  );
  return result;
}

/**
 * Writes the readiness record on cp-0 (merged into its labels). Best effort: a failed write
 * leaves no record, which the guard reads as not ready (it waits again), never as ready.
 */
export async function recordReadiness(
  client: HcloudClient,
  env: ResolvedEnvironment,
  verdict: Exclude<RecordedReadiness, 'none'>,
  stages: StageSeconds,
  log: (line: string) => void,
): Promise<void> {
  const cp0 = env.controlPlanes[0]?.name;
  try {
    const servers = await client.list<Server>('servers', { labelSelector: environmentLabels(env) });
    const server = servers.find((s) => s.name === cp0);
    if (!server) throw new Error(`${cp0} not found`);
    await client.request('PUT', `/servers/${server.id}`, {
      labels: { ...server.labels, ...readinessLabels(verdict, new Date(), stages) },
    });
    log(`  recorded on ${cp0}: readiness=${verdict}; ${describeStages(stages)}`);
  } catch (e) {
    log(
      `  could not record the readiness on ${cp0} (${(e as Error).message}); the next guard run checks again`,
    );
  }
}

// ----- down ----------------------------------------------------------------------------

/** What `ensureDown` did. */
export interface DownResult {
  readonly environment: string;
  /** Names of what the label sweep removed after the engine's destroy (usually nothing). */
  readonly swept: readonly string[];
  /** What is left: the Primary IPs, by name → address. */
  readonly addresses: Readonly<Record<string, string>>;
  readonly seconds: number;
}

/**
 * Ensures the cluster is down: destroys the cluster stack, then sweeps by label what the
 * stack would have created (servers first, then placement groups, firewalls, SSH keys,
 * networks; never the Primary IPs), then checks that no server of the environment is left.
 * Idempotent: on a down cluster both steps do nothing.
 */
export async function ensureDown(deps: CycleDeps, environment: string): Promise<DownResult> {
  const { env } = environmentNamed(environment);
  const { log, engine } = deps;
  const started = Date.now();
  const stacks = stacksOf(environment);
  log(`== down ${environment}: destroy ${stacks.cluster}`);
  await engine.synth(choiceVars(environment, {}));
  // The destroy evaluates the configuration, user data included: pass the real boot material
  // (a stub only when no identity is stored, e.g. after a lost persistent state).
  const stored = await identityStore(deps).load(environment);
  // A lock held by another run makes the engine throw (StateLockedError, with the command
  // that clears a dead run's lock): never sweep under a running engine.
  const r = await engine.run(
    stacks.cluster,
    DESTROY,
    clusterVars(stored ? bootMaterialFor(env, stored) : undefined, environment),
  );
  if (r.code !== 0 && STATE_LOCKED.test(r.stderr)) {
    throw new CycleError(
      `destroy of ${stacks.cluster} failed: its state is locked by another run; nothing swept:\n${tail(r.stderr, 20)}`,
    );
  }
  if (r.code !== 0) {
    // Go on with the sweep: it needs no state, and what it cannot delete it reports.
    log(
      `  destroy of ${stacks.cluster} failed (exit ${r.code}); sweeping by label instead:\n${tail(r.stderr || r.stdout, 15)}`,
    );
  }
  log(
    `== down ${environment}: label sweep (${Object.entries(environmentLabels(env))
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}; never the Primary IPs)`,
  );
  // Under the state lock: no other run may be creating what the sweep deletes.
  const sweep = () =>
    deps.sweep({
      environment,
      cluster: env.clusterName,
      clusterResources: true,
      log: (l) => log(`  ${l}`),
    });
  const downVars = clusterVars(stored ? bootMaterialFor(env, stored) : undefined, environment);
  const swept = engine.holdLock ? await engine.holdLock(stacks.cluster, downVars, sweep) : await sweep();
  const after = await observeEnvironment(deps.client, env);
  if (after.servers.length > 0 || after.other.length > 0) {
    throw new CycleError(
      `still there after destroy and sweep: ${[...after.servers.map((s) => `server ${s.name}`), ...after.other.map((o) => `${o.kind} ${o.name}`)].join(', ')}`,
    );
  }
  if (r.code !== 0) {
    log(
      `  the sweep removed what the destroy left; the state of ${stacks.cluster} may list resources that are gone (the next apply drops them)`,
    );
  }
  const result: DownResult = {
    environment,
    swept: swept.map((s) => s.name),
    addresses: Object.fromEntries(after.primaryIps.map((p) => [p.name, p.ip])),
    seconds: (Date.now() - started) / 1000,
  };
  log(
    `== down ${environment}: done in ${result.seconds.toFixed(1)} s; left: ${
      Object.entries(result.addresses)
        .map(([n, ip]) => `${n} ${ip}`)
        .join(', ') || 'nothing'
    }`,
  );
  return result;
}

// ----- guard ---------------------------------------------------------------------------

/** What a guard run saw, decided and did. */
export interface GuardResult {
  readonly environment: string;
  /** The instant decided on (ISO 8601, UTC). */
  readonly at: string;
  readonly observed: Observation['state'];
  readonly desired: 'up' | 'down';
  readonly reason: string;
  readonly action: GuardAction;
  readonly dryRun: boolean;
  /** When the desired state next changes. */
  readonly next: string;
  readonly up?: UpResult;
  readonly down?: DownResult;
  /** The server types the cluster runs on after the run (from the `server-type-choice` labels). */
  readonly serverTypes?: string;
  readonly cost?: string;
}

/**
 * One guard run: observe, decide (`guardDecision`, pure), act. A late, early or repeated
 * run does no harm: it finds the desired state and does nothing.
 */
export async function guard(
  deps: CycleDeps,
  environment: string,
  opts: UpOptions & { readonly at?: string; readonly dryRun?: boolean } = {},
): Promise<GuardResult> {
  const { config, env } = environmentNamed(environment);
  const calendar = calendarFor(environment);
  const at = opts.at ?? (deps.now ?? (() => new Date()))().toISOString();
  const observation = await observeEnvironment(deps.client, env);
  const desired = desiredState(calendar, at);
  const action = guardDecision(calendar, at, observation.state);
  const next = desired.state === 'up' ? `down at ${desired.nextDown}` : `up at ${desired.nextUp}`;
  deps.log(
    `guard ${environment} at ${at}: observed ${observation.state}, desired ${desired.state} (${desired.reason}) -> ${action}${opts.dryRun ? (action === 'nothing' ? ' (dry run)' : ' (dry run: nothing changed)') : ''}; next ${next}`,
  );
  let up: UpResult | undefined;
  let down: DownResult | undefined;
  let last = observation;
  try {
    if (!opts.dryRun && action === 'ensure-up') {
      // Before the open, the calendar's readiness deadline bounds the wait.
      // (--at simulates the instant: the deadline keeps its distance from it on the real clock.)
      const deadline = readinessDeadline(calendar, at);
      const readyBy =
        opts.readyBy ??
        (deadline ? new Date(Date.now() + Date.parse(deadline) - Date.parse(at)).toISOString() : undefined);
      up = await ensureUp(deps, environment, { ...opts, readyBy });
      last = await observeEnvironment(deps.client, env);
    } else if (!opts.dryRun && action === 'ensure-down') {
      down = await ensureDown(deps, environment);
      last = await observeEnvironment(deps.client, env);
    }
  } catch (error) {
    deps.summary?.(
      `### guard ${environment}: ${action} failed\n\nobserved ${observation.state}, desired ${desired.state} (${desired.reason})\n\n\`\`\`\n${(error as Error).message}\n\`\`\`\n\n`,
    );
    await notifyOnce(deps, env, {
      key: `${localDate(at, calendar.timeZone).replace(/-/g, '')}-${action}`,
      text: `${environment}: guard ${action} failed at ${at} (desired ${desired.state}: ${desired.reason})\n${(error as Error).message}`,
    });
    throw error;
  }
  // The day's cost when something ran or runs (an idle run on a down cluster skips GET /pricing).
  const cost =
    deps.costOfDay && (action !== 'nothing' || last.servers.length > 0)
      ? await deps.costOfDay(env, last).catch(() => undefined)
      : undefined;
  const result: GuardResult = {
    environment,
    at: new Date(Date.parse(at)).toISOString().replace('.000Z', 'Z'),
    observed: observation.state,
    desired: desired.state,
    reason: desired.reason,
    action,
    dryRun: opts.dryRun ?? false,
    next,
    up,
    down,
    serverTypes: serverTypesFromLabels(config, last),
    cost,
  };
  deps.summary?.(guardSummary(result, last));
  return result;
}

/** The exchange-local date (`YYYY-MM-DD`) of an instant. */
function localDate(at: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(at));
}

/**
 * Notifies once per `key` (day and action): the key is kept as a label on the control-plane
 * Primary IP, which outlives the servers. Without a notifier it only logs. A notification
 * that fails is logged and retried by the next failing run; the run's own error stands.
 */
export async function notifyOnce(
  deps: CycleDeps,
  env: ResolvedEnvironment,
  note: { readonly key: string; readonly text: string },
): Promise<void> {
  if (!deps.notify) return;
  try {
    const ips = await deps.client.list<PrimaryIp>('primary_ips', { labelSelector: environmentLabels(env) });
    const ip = ips.find((p) => p.name === env.controlPlaneIpName);
    if (ip?.labels[ALERTED_LABEL] === note.key) {
      deps.log(`  already notified for ${note.key} (label ${ALERTED_LABEL} on ${ip.name}); not again`);
      return;
    }
    await deps.notify(note.text);
    deps.log(`  notified (${note.key})`);
    if (ip) {
      await deps.client.request('PUT', `/primary_ips/${ip.id}`, {
        labels: { ...ip.labels, [ALERTED_LABEL]: note.key },
      });
    }
  } catch (e) {
    deps.log(`  notification failed: ${(e as Error).message}`);
  }
}

/** A Slack-compatible incoming webhook (`{"text": ...}`), bounded to 10 s. */
export function webhookNotifier(url: string, fetchImpl: typeof fetch = globalThis.fetch): Notifier {
  return async (text) => {
    const res = await fetchImpl(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`webhook answered HTTP ${res.status}`);
  };
}

/** The server types the servers run on, from their type and `server-type-choice` label. */
export function serverTypesFromLabels(
  config: NodeGroupsConfig,
  observation: Pick<Observation, 'servers'>,
): string | undefined {
  if (observation.servers.length === 0) return undefined;
  return NODE_GROUPS.filter((g) => config[g].count > 0)
    .map((g) => {
      const servers = observation.servers.filter((s) => s.role === NODE_GROUP_ROLES[g]);
      const seen = [
        ...new Set(
          servers.map(
            (s) =>
              `${s.serverType} (${s.labels[SERVER_TYPE_CHOICE_LABEL] ?? choiceName(config, g, s.serverType) ?? 'not a candidate'})`,
          ),
        ),
      ];
      return `${NODE_GROUP_ROLES[g]} ${seen.length ? seen.join(' + ') : 'none'}`;
    })
    .join(', ');
}

/** The job summary of a guard run (markdown). */
export function guardSummary(r: GuardResult, after: Pick<Observation, 'servers' | 'primaryIps'>): string {
  const did =
    r.action === 'nothing'
      ? 'nothing (already as desired)'
      : r.dryRun
        ? `${r.action} (dry run: nothing changed)`
        : r.up
          ? `${r.action}: ${r.up.persistentApplied ? 'persistent stack applied, ' : ''}cluster applied in ${r.up.attempts.length} attempt(s), ${r.up.seconds.toFixed(0)} s; ${r.up.readiness}`
          : r.down
            ? `${r.action}: cluster destroyed${r.down.swept.length ? `, swept ${r.down.swept.join(', ')}` : ''}, ${r.down.seconds.toFixed(0)} s`
            : r.action;
  const rows: [string, string][] = [
    ['at', r.at],
    ['observed', r.observed],
    ['desired', `${r.desired}: ${r.reason}`],
    ['done', did],
    ['next', r.next],
  ];
  if (r.up) rows.push(['time to ready', describeStages(r.up.stages)]);
  if (r.serverTypes) rows.push(['server types', r.serverTypes]);
  if (r.up?.fallback) {
    const failed = r.up.attempts.filter((a) => !a.ok).flatMap((a) => a.unavailable ?? []);
    rows.push(['capacity fallback', `used: ${r.up.serverTypes}; sold out: ${failed.join('; ')}`]);
  }
  const ips = after.primaryIps.map((p) => `${p.name} ${p.ip}${p.assignedTo ? ` (on ${p.assignedTo})` : ''}`);
  if (ips.length) rows.push(['addresses', ips.join(', ')]);
  if (r.cost) rows.push(['cost today so far', r.cost]);
  return `### guard ${r.environment}: ${r.action}${r.dryRun ? ' (dry run)' : ''}\n\n${markdownTable(['what', 'value'], rows)}\n\n`;
}

/** The job summary of an `up` (markdown). */
export function upSummary(r: UpResult): string {
  const rows: [string, string][] = [
    ['server types', r.serverTypes],
    [
      'attempts',
      r.attempts
        .map((a) => `${a.serverTypes}: ${a.ok ? 'ok' : `sold out (${(a.unavailable ?? []).join('; ')})`}`)
        .join('<br>'),
    ],
    [
      'persistent stack',
      r.persistentApplied ? 'applied (Primary IPs were missing)' : 'not applied (Primary IPs exist)',
    ],
    [
      'addresses',
      Object.entries(r.addresses)
        .map(([n, ip]) => `${n} ${ip}`)
        .join(', '),
    ],
    ['identity', r.identity],
    ...(r.poweredOn.length ? [['powered on', r.poweredOn.join(', ')] as [string, string]] : []),
    ...(r.orphans.length
      ? [['orphans of an interrupted run', r.orphans.join(', ')] as [string, string]]
      : []),
    ['readiness', `${r.readiness} (recorded: ${r.recorded})`],
    ['time to ready', describeStages(r.stages)],
    ['time', `${r.seconds.toFixed(0)} s`],
  ];
  return `### up ${r.environment}${r.fallback ? ' (capacity fallback)' : ''}\n\n${markdownTable(['what', 'value'], rows)}\n\n`;
}

/** The job summary of a `down` (markdown). */
export function downSummary(r: DownResult, title = 'down'): string {
  const rows: [string, string][] = [
    ['swept after destroy', r.swept.length ? r.swept.join(', ') : 'nothing (the destroy removed everything)'],
    [
      'left (billed)',
      Object.entries(r.addresses)
        .map(([n, ip]) => `${n} ${ip}`)
        .join(', ') || 'nothing',
    ],
    ['time', `${r.seconds.toFixed(0)} s`],
  ];
  return `### ${title} ${r.environment}\n\n${markdownTable(['what', 'value'], rows)}\n\n`;
}

// ----- destroy-all ---------------------------------------------------------------------

/**
 * Removes an environment completely, the Primary IPs too (the addresses are gone for good):
 * synth with `ALLOW_DESTROY_PERSISTENT=<env>` (lifts prevent_destroy and delete protection
 * on that environment's IPs only), ensure down, apply the persistent stack (turns delete
 * protection off at the API), destroy it, and check that no IP of the environment is left.
 * `confirm` must equal the environment's name.
 */
export async function destroyAll(
  deps: CycleDeps,
  environment: string,
  confirm: string | undefined,
): Promise<{ removed: Readonly<Record<string, string>>; seconds: number }> {
  if (confirm !== environment) {
    throw new CycleError(
      `refusing: --confirm must repeat the environment name ('${environment}'), got '${confirm ?? ''}'. This deletes the persistent public IPs of ${environment}; the addresses cannot be recovered.`,
    );
  }
  const { env } = environmentNamed(environment);
  const { log, engine } = deps;
  const started = Date.now();
  const stacks = stacksOf(environment);
  const before = await persistentIps(deps.client, env);
  await ensureDown(deps, environment);
  log(`== destroy-all ${environment}: synth with ALLOW_DESTROY_PERSISTENT=${environment}`);
  await engine.synth({ ...choiceVars(environment, {}), ALLOW_DESTROY_PERSISTENT: environment });
  const identity = await identityStore(deps).load(environment);
  log(
    identity
      ? `== destroy-all ${environment}: this also removes the identity (k3s and Strimzi CAs, tokens, SSH host keys, passwords): kubeconfigs, Kafka client configs and known_hosts written for ${environment} stop working for good`
      : `== destroy-all ${environment}: no identity stored`,
  );
  for (const [step, args] of [
    ['lift delete protection on the Primary IPs', APPLY],
    ['destroy the persistent stack (the Primary IPs and the identity)', DESTROY],
  ] as const) {
    log(`== destroy-all ${environment}: ${step}`);
    const r = await engine.run(stacks.persistent, args, persistentVars(identity, environment));
    if (r.code !== 0) {
      throw new CycleError(`${step} failed (exit ${r.code}):\n${tail(r.stderr || r.stdout)}`);
    }
  }
  const left = await persistentIps(deps.client, env);
  if (left.size > 0) {
    throw new CycleError(
      `Primary IPs still there after destroying ${stacks.persistent} (not in its state?): ${[...left.values()].map((p) => `${p.name} ${p.ip} (id ${p.id})`).join(', ')}`,
    );
  }
  const removed = Object.fromEntries([...before.values()].map((p) => [p.name, p.ip]));
  const seconds = (Date.now() - started) / 1000;
  log(
    `== destroy-all ${environment}: done in ${seconds.toFixed(1)} s; removed ${
      Object.entries(removed)
        .map(([n, ip]) => `${n} ${ip}`)
        .join(', ') || 'no Primary IPs (there were none)'
    }`,
  );
  return { removed, seconds };
}
