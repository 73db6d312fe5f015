/**
 * The operator CLI's read commands: status, schedule, cost, cost-diff, kubeconfig, list.
 * They read the project (by label, through `hcloud.ts`), the trading calendar and prices,
 * and change nothing at Hetzner (kubeconfig writes one local file). Tables are markdown, so
 * the same text goes to the terminal and, in a workflow, to the job summary.
 *
 * Exit codes: 0 done, 1 failed (API, SSH, files), 2 bad usage (unknown environment, a bad
 * flag or value), with the usage line.
 */
import { CommandLine, FlagKind, parseCommandLine, UsageError } from './args';
import { SERVER_TYPE_CHOICE_LABEL } from '../../lib/server-type-choice';
import { readFileSync } from 'fs';
import { DateTime } from 'luxon';
import { ENVIRONMENTS } from '../../environments';
import { CALENDARS, calendarFor } from '../../environments/calendars';
import { renderSchedule } from '../../lib/schedule';
import {
  billedHoursPerDay,
  desiredState,
  guardDecision,
  marketHoursPerDay,
  MAX_TRANSITION_DAYS,
  transitions,
  uptimeSummary,
  WEEKDAYS,
  windowOn,
  type TradingCalendarConfig,
} from '../../lib/calendar';
import {
  priceListFromPricing,
  priceListFromTable,
  scheduleCost,
  type PriceList,
  type ScheduleCost,
  laggedHours,
  RUNNER_PRICE,
  schedulerCost,
} from '../../lib/cost';
import { resolveEnvironment, type ResolvedEnvironment } from '../../lib/environment';
import type { Command, CommandIo } from './command';
import { HcloudClient } from './hcloud';
import { observeEnvironment, type Observation } from './observe';
import { describeStages } from './readiness-record';
import { appendStepSummary, markdownTable } from './summary';

// ----- plumbing ----------------------------------------------------------------------

/** What the read commands take from outside; tests replace each. */
export interface ReadDeps {
  /** HCLOUD_TOKEN, HCLOUD_ENDPOINT, GITHUB_STEP_SUMMARY. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** The clock. @default () => new Date() */
  readonly now?: () => Date;
}

export { UsageError };

/** Parses the options `spec` allows and checks the number of positionals. */
export function parseArgs(
  args: readonly string[],
  spec: Readonly<Record<string, FlagKind>>,
  positional: { min: number; max: number },
): CommandLine {
  const parsed = parseCommandLine(args, spec);
  const rest = parsed.positional;
  if (rest.length < positional.min) throw new UsageError('missing argument');
  if (rest.length > positional.max) throw new UsageError(`unexpected argument '${rest[positional.max]}'`);
  return parsed;
}

/** The environment of that name, resolved; a usage error listing the environments otherwise. */
export function environmentNamed(name: string | undefined): ResolvedEnvironment {
  const names = ENVIRONMENTS.map((e) => e.name);
  const config = ENVIRONMENTS.find((e) => e.name === name);
  if (!config) {
    throw new UsageError(
      `${name === undefined ? 'no environment given' : `unknown environment '${name}'`}: environments are ${names.join(', ')} (environments/index.ts)`,
    );
  }
  return resolveEnvironment(config);
}

/** An instant from `--at`/`--from` (ISO 8601 with offset, or a date); a usage error otherwise. */
function instantFlag(value: string, flag: string, zone: string): DateTime {
  const local = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const t = local ? DateTime.fromISO(value, { zone }) : DateTime.fromISO(value, { setZone: true });
  if (!t.isValid || (!local && !/(Z|[+-]\d{2}:?\d{2})$/i.test(value))) {
    throw new UsageError(
      `--${flag} must be an ISO 8601 instant with its offset (2026-11-30T15:00:00Z) or a date (2026-11-30), got '${value}'`,
    );
  }
  return t;
}

/** A whole number flag in a range; a usage error otherwise. */
function wholeFlag(
  value: string | boolean | undefined,
  flag: string,
  min: number,
  max: number,
  dflt: number,
): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || n < min || n > max) {
    throw new UsageError(`--${flag} must be a whole number ${min}-${max}, got '${String(value)}'`);
  }
  return n;
}

function define(
  name: string,
  usage: string,
  summary: string,
  run: (args: readonly string[], io: CommandIo) => Promise<number>,
): Command {
  return {
    usage,
    summary,
    async run(args, io) {
      try {
        return await run(args, io);
      } catch (error) {
        if (error instanceof UsageError) {
          io.err(`${name}: ${error.message}\nusage: npm run ops -- ${name} ${usage}`);
          return 2;
        }
        io.err(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        return 1;
      }
    },
  };
}

// ----- formatting --------------------------------------------------------------------

const HOUR_MS = 3_600_000;

/** `2026-11-30 09:00 EST`. */
function localStamp(iso: string | DateTime, zone: string, format = 'yyyy-LL-dd HH:mm ZZZZ'): string {
  const t = typeof iso === 'string' ? DateTime.fromISO(iso, { setZone: true }) : iso;
  return t.setZone(zone).setLocale('en-US').toFormat(format);
}

/** `14:00 UTC` (with the date when `withDate`). */
function utcStamp(iso: string | DateTime, withDate = false): string {
  const t = typeof iso === 'string' ? DateTime.fromISO(iso, { setZone: true }) : iso;
  return t.setZone('utc').toFormat(withDate ? "yyyy-LL-dd HH:mm 'UTC'" : "HH:mm 'UTC'");
}

/** `42m`, `5h 03m`, `3d 4h`. */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

const money = (n: number | null | undefined, places = 2) =>
  n === null || n === undefined ? 'n/a' : n.toFixed(places);
const hours = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

/** Hours Hetzner bills for `[from, to)`: every started hour. */
const billedHoursBetween = (fromMs: number, toMs: number) =>
  toMs <= fromMs ? 0 : Math.ceil((toMs - fromMs) / HOUR_MS - 1e-9);

function emit(io: CommandIo, env: NodeJS.ProcessEnv, markdown: string): void {
  io.out(markdown);
  appendStepSummary(`${markdown}\n`, env);
}

// ----- prices ------------------------------------------------------------------------

async function livePrices(client: HcloudClient, now: DateTime): Promise<PriceList> {
  return priceListFromPricing(await client.pricing(), now.toUTC().toISODate()!, `${client.endpoint}/pricing`);
}

function describePrices(p: PriceList | ScheduleCost['prices']): string {
  return p.kind === 'live'
    ? `live prices from GET ${p.source} on ${p.date} (${p.currency}, net of VAT)`
    : `the dated price table in lib/cost.ts (${p.currency}, net of VAT, read ${p.date}; source: ${p.source}); set HCLOUD_TOKEN for live prices`;
}

// ----- status ------------------------------------------------------------------------

/** Cost so far of an environment, net of VAT. */
export interface CostSoFar {
  readonly currency: string;
  readonly prices: string;
  /** Since 00:00 in the exchange's zone, from the servers' and IPs' `created`. */
  readonly today: {
    readonly since: string;
    readonly serversNet: number;
    readonly primaryIpsNet: number;
    readonly totalNet: number;
  };
  /** Since the 1st, 00:00 in the exchange's zone: an estimate from the schedule. */
  readonly monthToDate: {
    readonly since: string;
    readonly serversNet: number;
    readonly primaryIpsNet: number;
    readonly totalNet: number;
    readonly billedHoursPerServer: number;
    readonly estimate: string;
  };
  /** Server types or locations without a price (counted as 0). */
  readonly missingPrices: readonly string[];
}

/** Today's cost from what exists, month to date from the calendar's billed hours. */
export function costSoFar(
  env: ResolvedEnvironment,
  cal: TradingCalendarConfig,
  observed: Pick<Observation, 'servers' | 'primaryIps'>,
  prices: PriceList,
  at: DateTime,
): CostSoFar {
  const zone = cal.timeZone;
  const nowMs = at.toMillis();
  const dayStart = at.setZone(zone).startOf('day');
  const monthStart = at.setZone(zone).startOf('month');
  const missing = new Set<string>();
  const serverPrice = (type: string, location: string) => {
    const p = prices.server(type, location);
    if (!p) missing.add(`${type}@${location}`);
    return p;
  };
  const ipPrice = (location: string) => {
    const p = prices.primaryIpv4(location);
    if (!p) missing.add(`primary-ipv4@${location}`);
    return p;
  };
  const since = (created: string, start: DateTime) => Math.max(Date.parse(created), start.toMillis());

  let serversToday = 0;
  for (const s of observed.servers) {
    const p = serverPrice(s.serverType, s.location);
    if (p) serversToday += p.hourlyNet * billedHoursBetween(since(s.created, dayStart), nowMs);
  }
  let ipsToday = 0;
  let ipsMonth = 0;
  for (const ip of observed.primaryIps.filter((x) => x.type === 'ipv4')) {
    const p = ipPrice(ip.location);
    if (!p) continue;
    ipsToday += p.hourlyNet * billedHoursBetween(since(ip.created, dayStart), nowMs);
    ipsMonth += Math.min(
      p.monthlyNet,
      p.hourlyNet * billedHoursBetween(since(ip.created, monthStart), nowMs),
    );
  }

  // Month to date: the calendar's windows since the 1st, each rounded up to whole hours.
  const days = Math.floor(at.setZone(zone).startOf('day').diff(monthStart, 'days').days) + 1;
  let serverHours = 0;
  for (const w of transitions(cal, monthStart.toISODate()!, days)) {
    const up = Date.parse(w.up);
    if (up < nowMs) serverHours += billedHoursBetween(up, Math.min(Date.parse(w.down), nowMs));
  }
  let serversMonth = 0;
  for (const s of [...env.controlPlanes, ...env.kafkaNodes, ...env.appNodes]) {
    const p = serverPrice(s.serverType, env.location);
    if (p) serversMonth += Math.min(p.hourlyNet * serverHours, p.monthlyNet ?? Infinity);
  }
  const round = (n: number) => Math.round(n * 1e6) / 1e6;
  return {
    currency: prices.currency,
    prices: describePrices(prices),
    today: {
      since: dayStart.toISO()!,
      serversNet: round(serversToday),
      primaryIpsNet: round(ipsToday),
      totalNet: round(serversToday + ipsToday),
    },
    monthToDate: {
      since: monthStart.toISO()!,
      serversNet: round(serversMonth),
      primaryIpsNet: round(ipsMonth),
      totalNet: round(serversMonth + ipsMonth),
      billedHoursPerServer: serverHours,
      estimate:
        'estimate from the schedule: the planned servers for the calendar windows since the 1st (each rounded up to whole hours), plus the Primary IPs since the 1st; not the invoice',
    },
    missingPrices: [...missing],
  };
}

async function statusCommand(
  args: readonly string[],
  io: CommandIo,
  deps: Required<Pick<ReadDeps, 'env' | 'now'>>,
) {
  const { positional, flags } = parseArgs(args, { json: 'boolean', at: 'string' }, { min: 1, max: 1 });
  const env = environmentNamed(positional[0]);
  const cal = calendarFor(env.name);
  const at = flags.at ? instantFlag(flags.at as string, 'at', cal.timeZone) : DateTime.fromJSDate(deps.now());
  const client = HcloudClient.fromEnv(deps.env, io.err);
  const observed = await observeEnvironment(client, env);
  const desired = desiredState(cal, at.toUTC().toISO()!);
  const action = guardDecision(cal, at.toUTC().toISO()!, observed.state);
  const since = observed.servers.length
    ? observed.servers.map((s) => s.created).sort((a, b) => Date.parse(a) - Date.parse(b))[0]
    : null;
  let cost: CostSoFar | { error: string };
  try {
    cost = costSoFar(env, cal, observed, await livePrices(client, at), at);
  } catch (error) {
    cost = { error: `no cost: ${(error as Error).message}` };
  }
  const zone = cal.timeZone;
  const until = desired.state === 'up' ? desired.nextDown : desired.nextUp;
  const desiredText = `${desired.state} until ${localStamp(until, zone, 'ccc yyyy-LL-dd HH:mm ZZZZ')} (${utcStamp(until, true)})`;

  if (flags.json) {
    io.out(
      JSON.stringify(
        {
          environment: env.name,
          cluster: env.clusterName,
          location: env.location,
          at: at.toUTC().toISO(),
          state: observed.state,
          desired: { ...desired, until },
          matchesCalendar: action === 'nothing',
          guardAction: action,
          since,
          selector: observed.selector,
          missing: observed.missing,
          unplanned: observed.unplanned,
          // Everything observed but the API's raw server answers.
          servers: observed.servers.map((s) => ({
            id: s.id,
            name: s.name,
            role: s.role,
            status: s.status,
            serverType: s.serverType,
            location: s.location,
            publicIpv4: s.publicIpv4,
            created: s.created,
            planned: s.planned,
            labels: s.labels,
          })),
          primaryIps: observed.primaryIps,
          other: observed.other,
          cost,
        },
        null,
        2,
      ),
    );
    return 0;
  }

  const nowMs = at.toMillis();
  const lines: string[] = [
    `## ${env.name}: ${observed.state}`,
    '',
    `- cluster \`${env.clusterName}\` in ${env.location}, labels \`${observed.selector}\`, at ${localStamp(at, zone)} (${utcStamp(at, true)})`,
    `- calendar (${cal.exchange}): desired ${desiredText}; ${desired.reason}`,
    action === 'nothing'
      ? `- matches the calendar`
      : `- differs from the calendar: the next guard run does \`${action}\``,
    since
      ? `- servers since ${localStamp(since, zone)} (${formatAge(nowMs - Date.parse(since))})`
      : '- no servers',
  ];
  if (observed.missing.length && observed.servers.length) {
    lines.push(`- planned but not running: ${observed.missing.join(', ')}`);
  }
  if (observed.servers.length) {
    // up's record on cp-0: the verdict of its readiness wait and the time to each stage.
    const verdict = {
      ready: 'ready to trade',
      'not-ready': 'NOT ready (the last readiness wait failed; the next guard run waits again)',
      unchecked: 'not checked (up --no-wait)',
      none: 'not known (no readiness record on cp-0: a wait interrupted, or still running)',
    }[observed.readiness];
    lines.push(
      `- readiness: ${verdict}${observed.readinessAt ? ` at ${localStamp(observed.readinessAt, zone)}` : ''}; time to ready: ${describeStages(observed.stages)}`,
    );
  }
  if (observed.unplanned.length) lines.push(`- not in the config: ${observed.unplanned.join(', ')}`);
  if (observed.servers.length) {
    lines.push(
      '',
      markdownTable(
        ['server', 'role', 'type', 'location', 'public IPv4', 'status', 'created', 'up'],
        observed.servers.map((s) => [
          s.name,
          s.role,
          // The capacity fallback's choice, when a preferred type was sold out this morning.
          s.labels[SERVER_TYPE_CHOICE_LABEL] && s.labels[SERVER_TYPE_CHOICE_LABEL] !== 'preferred'
            ? `${s.serverType} (${s.labels[SERVER_TYPE_CHOICE_LABEL]})`
            : s.serverType,
          s.location,
          s.publicIpv4 ?? '-',
          s.status,
          localStamp(s.created, zone),
          formatAge(nowMs - Date.parse(s.created)),
        ]),
      ),
    );
  }
  if (observed.primaryIps.length) {
    lines.push(
      '',
      markdownTable(
        ['Primary IP', 'address', 'assigned to', 'created'],
        observed.primaryIps.map((p) => [
          p.name,
          p.ip,
          p.assignedTo ?? 'unassigned',
          localStamp(p.created, zone),
        ]),
      ),
    );
  }
  if (observed.other.length) {
    lines.push(
      '',
      markdownTable(
        ['kind', 'name', 'id'],
        observed.other.map((o) => [o.kind, o.name, o.id]),
      ),
    );
  }
  lines.push('');
  if ('error' in cost) {
    lines.push(cost.error);
  } else {
    lines.push(
      markdownTable(
        ['cost so far', `servers ${cost.currency}`, `Primary IPs ${cost.currency}`, `total ${cost.currency}`],
        [
          [
            `today (since ${localStamp(cost.today.since, zone, 'HH:mm ZZZZ')})`,
            money(cost.today.serversNet),
            money(cost.today.primaryIpsNet),
            money(cost.today.totalNet),
          ],
          [
            `month to date (since ${localStamp(cost.monthToDate.since, zone, 'LLL d')}) *`,
            money(cost.monthToDate.serversNet),
            money(cost.monthToDate.primaryIpsNet),
            money(cost.monthToDate.totalNet),
          ],
        ],
      ),
      '',
      `Prices: ${cost.prices}. Today counts the servers that exist now from their \`created\` time, every started hour.`,
      `\\* Month to date is an ${cost.monthToDate.estimate} (${cost.monthToDate.billedHoursPerServer} billed hours per server so far).`,
    );
    if (cost.missingPrices.length)
      lines.push(`No price for ${cost.missingPrices.join(', ')} (counted as 0).`);
  }
  emit(io, deps.env, lines.join('\n'));
  return 0;
}

// ----- schedule ----------------------------------------------------------------------

async function scheduleCommand(
  args: readonly string[],
  io: CommandIo,
  deps: Required<Pick<ReadDeps, 'env' | 'now'>>,
) {
  const { positional, flags } = parseArgs(
    args,
    { days: 'string', from: 'string', json: 'boolean' },
    { min: 1, max: 1 },
  );
  const env = environmentNamed(positional[0]);
  const days = wholeFlag(flags.days, 'days', 1, MAX_TRANSITION_DAYS, 14);
  const cal = calendarFor(env.name);
  const zone = cal.timeZone;
  const from = (
    flags.from ? instantFlag(flags.from as string, 'from', zone) : DateTime.fromJSDate(deps.now())
  )
    .setZone(zone)
    .toISODate()!;
  const windows = transitions(cal, from, days);
  const summary = uptimeSummary(cal, from, days);
  const start = DateTime.fromISO(from, { zone });
  const tradingDays = new Set((cal.tradingDays ?? ['Mon', 'Tue', 'Wed', 'Thu', 'Fri']) as readonly string[]);
  const rows: { date: string; weekday: string; window?: (typeof windows)[number]; closed?: string }[] = [];
  for (let i = 0; i < days; i++) {
    const day = start.plus({ days: i });
    const date = day.toISODate()!;
    const weekday = WEEKDAYS[day.weekday - 1];
    const window = windowOn(cal, date);
    if (window) rows.push({ date, weekday, window });
    else if (tradingDays.has(weekday)) {
      const holiday = cal.holidays.find((h) => h.date === date);
      rows.push({ date, weekday, closed: holiday ? holiday.name : 'closed' });
    }
  }
  const hoursOf = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / HOUR_MS;
  const ratio = summary.marketHours ? summary.billedHours / summary.marketHours : 0;
  if (flags.json) {
    io.out(
      JSON.stringify(
        {
          environment: env.name,
          exchange: cal.exchange,
          timeZone: zone,
          from,
          days,
          windows: windows.map((w) => ({
            date: w.date,
            up: w.up,
            down: w.down,
            upLocal: w.upLocal,
            downLocal: w.downLocal,
            marketHours: hoursOf(w.session.open, w.session.close),
            billedHours: billedHoursBetween(Date.parse(w.up), Date.parse(w.down)),
            earlyClose: w.session.earlyClose ?? null,
          })),
          closed: rows.filter((r) => r.closed).map((r) => ({ date: r.date, name: r.closed })),
          totals: { ...summary, billedToMarketRatio: Math.round(ratio * 1000) / 1000 },
        },
        null,
        2,
      ),
    );
    return 0;
  }
  const servers = env.controlPlanes.length + env.kafkaNodes.length + env.appNodes.length;
  const md = [
    `## ${env.name}: schedule for ${days} days from ${from} (${cal.exchange}, ${zone})`,
    '',
    `Up ${cal.warmUpMinutes} min before the ${cal.open} open, down ${cal.coolDownMinutes} min after the ${cal.close} close (an early close on early-close days); a regular day is ${hours(marketHoursPerDay(cal))} market hours and ${billedHoursPerDay(cal)} billed hours per server (Hetzner bills every started hour).`,
    '',
    markdownTable(
      [
        'date',
        'day',
        `up (${zone})`,
        `down (${zone})`,
        'up (UTC)',
        'down (UTC)',
        'market h',
        'billed h',
        'note',
      ],
      rows.map((r) =>
        r.window
          ? [
              r.date,
              r.weekday,
              localStamp(r.window.up, zone, 'HH:mm ZZZZ'),
              localStamp(r.window.down, zone, 'HH:mm ZZZZ'),
              utcStamp(r.window.up),
              utcStamp(r.window.down),
              hours(hoursOf(r.window.session.open, r.window.session.close)),
              billedHoursBetween(Date.parse(r.window.up), Date.parse(r.window.down)),
              r.window.session.earlyClose ? `early close (${r.window.session.earlyClose})` : '',
            ]
          : [r.date, r.weekday, '-', '-', '-', '-', 0, 0, `closed: ${r.closed}`],
      ),
    ),
    '',
    `Totals: ${summary.tradingDays} trading days (${summary.earlyCloses} early close${summary.earlyCloses === 1 ? '' : 's'}), ${hours(summary.marketHours)} market hours, ${hours(summary.uptimeHours)} hours up, ${summary.billedHours} billed hours per server (x ${servers} servers = ${summary.billedHours * servers} server-hours); billed / market = ${ratio.toFixed(2)}.`,
  ].join('\n');
  emit(io, deps.env, md);
  return 0;
}

// ----- cost --------------------------------------------------------------------------

/** What `cost --json` prints (and `cost-diff` reads). */
export interface CostReport {
  readonly generated: string;
  readonly from: string;
  readonly prices: { kind: 'live' | 'table'; date: string; source: string; currency: string };
  readonly environments: readonly ScheduleCost[];
}

async function costCommand(
  args: readonly string[],
  io: CommandIo,
  deps: Required<Pick<ReadDeps, 'env' | 'now'>>,
) {
  const { positional, flags } = parseArgs(
    args,
    { json: 'boolean', prices: 'string', 'trading-days': 'string', from: 'string' },
    { min: 0, max: 1 },
  );
  const envs = positional[0]
    ? [environmentNamed(positional[0])]
    : ENVIRONMENTS.map((c) => resolveEnvironment(c));
  const mode = (flags.prices as string | undefined) ?? (deps.env.HCLOUD_TOKEN ? 'live' : 'table');
  if (mode !== 'live' && mode !== 'table')
    throw new UsageError(`--prices must be 'live' or 'table', got '${mode}'`);
  const tradingDays =
    flags['trading-days'] === undefined
      ? undefined
      : wholeFlag(flags['trading-days'], 'trading-days', 0, 31, 21);
  const now = DateTime.fromJSDate(deps.now());
  const from = flags.from
    ? instantFlag(flags.from as string, 'from', 'utc').toISODate()!
    : now.setZone(calendarFor(envs[0].name).timeZone).toISODate()!;
  if (mode === 'live' && !deps.env.HCLOUD_TOKEN) {
    throw new Error('--prices live needs HCLOUD_TOKEN (a read-only token is enough); or use --prices table');
  }
  const prices =
    mode === 'live' ? await livePrices(HcloudClient.fromEnv(deps.env, io.err), now) : priceListFromTable();
  const schedule = renderSchedule(CALENDARS);
  const estimates = envs.map((env) =>
    scheduleCost(env, calendarFor(env.name), prices, { from, tradingDaysPerMonth: tradingDays }),
  );
  if (flags.json) {
    const report: CostReport = {
      generated: now.toUTC().toISO()!,
      from,
      prices: { kind: prices.kind, date: prices.date, source: prices.source, currency: prices.currency },
      environments: estimates,
    };
    io.out(JSON.stringify(report, null, 2));
    return 0;
  }
  const cur = prices.currency;
  const md: string[] = [
    `## Cost at the trading calendar (${cur}, net of VAT)`,
    '',
    `Prices: ${describePrices(prices)}.`,
    '',
    markdownTable(
      [
        'environment',
        'servers',
        'billed h/day',
        'market h/day',
        'billed/market',
        `per trading day`,
        'trading days/month',
        `per month`,
        `always on`,
      ],
      estimates.map((e) => [
        e.environment,
        e.servers.reduce((n, l) => n + l.count, 0),
        e.billedHoursPerDay,
        hours(e.marketHoursPerDay),
        `${e.billedToMarketRatio.toFixed(2)}x`,
        money(e.perTradingDayNet),
        hours(e.tradingDaysPerMonth),
        money(e.perMonthNet),
        money(e.alwaysOnMonthNet),
      ]),
    ),
  ];
  for (const e of estimates) {
    md.push(
      '',
      `### ${e.environment} (${e.location})`,
      '',
      markdownTable(
        ['item', 'count', `${cur}/hour each`, `per trading day`, `per month`],
        [
          ...e.servers.map((l) => [
            `${l.role} ${l.serverType}`,
            l.count,
            money(l.hourlyNet, 4),
            money(l.perDayNet),
            money(l.perMonthNet),
          ]),
          [
            'Primary IPv4 (persistent, all month)',
            e.primaryIps.count,
            money(e.primaryIps.hourlyNet, 4),
            '',
            money(e.primaryIps.perMonthNet),
          ],
          ['**total**', '', '', money(e.perTradingDayNet), money(e.perMonthNet)],
        ],
      ),
      '',
      `Month: ${e.monthBasis}.`,
    );
    const lag = laggedHours(calendarFor(e.environment), from);
    const sched = schedule.find((s) => s.environment === e.environment);
    if (sched) {
      const r = schedulerCost(e.environment, calendarFor(e.environment), sched.lines, from);
      const hetzner = e.perMonthNet === null ? 'n/a' : `${money(e.perMonthNet)} ${cur}`;
      md.push(
        '',
        markdownTable(
          [
            'scheduler (GitHub Actions)',
            'jobs/day trading / other',
            'jobs/month',
            'runner min/month',
            'USD/month',
            'Hetzner/month',
          ],
          [
            [
              `derived schedule (lib/schedule.ts)`,
              `${r.jobsPerTradingDay} / ${r.jobsPerOtherDay}`,
              r.jobsPerMonth,
              r.minutesPerMonth,
              r.usdPerMonth.toFixed(2),
              hetzner,
            ],
            [
              'every 10 minutes (before)',
              '144 / 144',
              r.everyTenMinutes.jobsPerMonth,
              '',
              r.everyTenMinutes.usdPerMonth.toFixed(2),
              '',
            ],
          ],
        ),
        '',
        `Runner: ${r.runner} at $${r.usdPerMinute}/min (${r.priceSource}); ${r.basis}. A private repository's free plan includes ${RUNNER_PRICE.freeMinutesPerMonth} minutes a month for all workflows; public repositories pay nothing.`,
        `With the cron's lag (${lag.lagMinutes} min assumed, CRON_LAG_MINUTES in lib/schedule.ts): ${lag.billedHoursPerDay} billed hours on a regular day (the first run after down may fire that late), ${lag.billedHoursPerMonth} per server per month; the morning's first run may reach up ${lag.lagMinutes} min late, leaving ${lag.minutesBeforeOpen} min before the open (market hours ${hours(lag.marketHoursPerDay)} a day, untouched while that stays positive).`,
      );
    }
    if (e.missingPrices.length) {
      md.push(
        `No price for ${e.missingPrices.join(', ')} in ${prices.kind === 'table' ? 'the dated table: use --prices live (HCLOUD_TOKEN)' : 'the live price list'}.`,
      );
    }
  }
  emit(io, deps.env, md.join('\n'));
  return 0;
}

function readReport(path: string, label: string): CostReport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the ${label} report ${path}: ${(error as Error).message}`);
  }
  let report: CostReport;
  try {
    report = JSON.parse(text) as CostReport;
  } catch (error) {
    throw new Error(
      `the ${label} report ${path} is not JSON (from \`npm run ops -- cost --json\`?): ${(error as Error).message}`,
    );
  }
  if (!report || !Array.isArray(report.environments) || !report.prices) {
    throw new Error(`the ${label} report ${path} is not the output of \`npm run ops -- cost --json\``);
  }
  return report;
}

/** The markdown of the monthly cost change between two `cost --json` reports. */
export function costDiffMarkdown(base: CostReport, head: CostReport): string {
  const names = [...new Set([...base.environments, ...head.environments].map((e) => e.environment))];
  const cur = head.prices.currency;
  const signed = (n: number) => `${n > 0 ? '+' : n < 0 ? '-' : '±'}${Math.abs(n).toFixed(2)}`;
  let baseTotal = 0;
  let headTotal = 0;
  let unknown = false;
  const rows = names.map((name) => {
    const b = base.environments.find((e) => e.environment === name);
    const h = head.environments.find((e) => e.environment === name);
    const bm = b ? b.perMonthNet : 0;
    const hm = h ? h.perMonthNet : 0;
    if (bm === null || hm === null) {
      unknown = true;
      return [name, money(bm), money(hm), 'n/a', 'n/a', money(h?.perTradingDayNet)];
    }
    baseTotal += bm;
    headTotal += hm;
    const delta = hm - bm;
    const pct = bm ? `${delta >= 0 ? '+' : ''}${((delta / bm) * 100).toFixed(1)} %` : h && !b ? 'new' : '-';
    return [
      b ? name : `${name} (new)`,
      b ? money(bm) : '-',
      h ? money(hm) : '- (removed)',
      signed(delta),
      pct,
      money(h?.perTradingDayNet),
    ];
  });
  const totalDelta = headTotal - baseTotal;
  rows.push([
    '**total**',
    money(baseTotal),
    money(headTotal),
    unknown ? `${signed(totalDelta)} (known part)` : signed(totalDelta),
    baseTotal ? `${totalDelta >= 0 ? '+' : ''}${((totalDelta / baseTotal) * 100).toFixed(1)} %` : '-',
    '',
  ]);
  const md = [
    `### Monthly cost change (${cur}, net of VAT)`,
    '',
    markdownTable(
      ['environment', 'base / month', 'head / month', 'change', 'change %', 'head / trading day'],
      rows,
    ),
  ];
  const changes: string[] = [];
  for (const name of names) {
    const b = base.environments.find((e) => e.environment === name);
    const h = head.environments.find((e) => e.environment === name);
    if (!b || !h) continue;
    const line = (e: ScheduleCost) =>
      e.servers.map((l) => `${l.count} x ${l.role} ${l.serverType}`).join(', ');
    if (line(b) !== line(h)) changes.push(`- ${name} servers: ${line(b)} → ${line(h)}`);
    if (b.billedHoursPerMonth !== h.billedHoursPerMonth) {
      changes.push(
        `- ${name} billed hours per server and month: ${hours(b.billedHoursPerMonth)} → ${hours(h.billedHoursPerMonth)}`,
      );
    }
  }
  if (changes.length) md.push('', ...changes);
  const source = (r: CostReport) => `${r.prices.kind} prices of ${r.prices.date}`;
  md.push(
    '',
    base.prices.kind === head.prices.kind &&
      base.prices.date === head.prices.date &&
      base.prices.currency === head.prices.currency
      ? `Both at ${source(head)} (${head.prices.kind === 'live' ? 'GET /pricing' : 'lib/cost.ts'}); servers billed per started hour at the trading calendar, Primary IPs all month.`
      : `Prices differ: base at ${source(base)} (${base.prices.currency}), head at ${source(head)} (${head.prices.currency}); the change includes that.`,
  );
  if (unknown) md.push('Some prices are missing (n/a): see `npm run ops -- cost`.');
  return md.join('\n');
}

async function costDiffCommand(
  args: readonly string[],
  io: CommandIo,
  deps: Required<Pick<ReadDeps, 'env'>>,
) {
  const { positional } = parseArgs(args, {}, { min: 2, max: 2 });
  const md = costDiffMarkdown(readReport(positional[0], 'base'), readReport(positional[1], 'head'));
  emit(io, deps.env, md);
  return 0;
}

// ----- kubeconfig --------------------------------------------------------------------

// ----- list --------------------------------------------------------------------------

async function listCommand(
  args: readonly string[],
  io: CommandIo,
  deps: Required<Pick<ReadDeps, 'env' | 'now'>>,
) {
  const { positional, flags } = parseArgs(args, { json: 'boolean' }, { min: 1, max: 1 });
  const env = environmentNamed(positional[0]);
  const client = HcloudClient.fromEnv(deps.env, io.err);
  const now = DateTime.fromJSDate(deps.now());
  const observed = await observeEnvironment(client, env);
  let prices: PriceList | undefined;
  let priceNote: string;
  try {
    prices = await livePrices(client, now);
    priceNote = describePrices(prices);
  } catch (error) {
    priceNote = `no prices: ${(error as Error).message}`;
  }
  const nowMs = now.toMillis();
  const rows = [
    ...observed.servers.map((s) => ({
      kind: 'server',
      name: s.name,
      id: s.id,
      details: `${s.role}, ${s.serverType}, ${s.status}${s.publicIpv4 ? `, ${s.publicIpv4}` : ''}`,
      location: s.location,
      created: s.created,
      hourlyNet: prices?.server(s.serverType, s.location)?.hourlyNet ?? null,
    })),
    ...observed.primaryIps.map((p) => ({
      kind: 'primary IP',
      name: p.name,
      id: p.id,
      details: `${p.type} ${p.ip}, ${p.assignedTo ? `on ${p.assignedTo}` : 'unassigned'}`,
      location: p.location,
      created: p.created,
      hourlyNet: p.type === 'ipv4' ? (prices?.primaryIpv4(p.location)?.hourlyNet ?? null) : 0,
    })),
    ...observed.other.map((o) => ({
      kind: o.kind,
      name: o.name,
      id: o.id,
      details: '',
      location: '-',
      created: o.created,
      hourlyNet: 0,
    })),
  ];
  const total = rows.reduce((sum, r) => sum + (r.hourlyNet ?? 0), 0);
  if (flags.json) {
    io.out(
      JSON.stringify(
        {
          environment: env.name,
          selector: observed.selector,
          state: observed.state,
          currency: prices?.currency ?? null,
          prices: priceNote,
          resources: rows.map((r) => ({
            ...r,
            ageSeconds: Math.round((nowMs - Date.parse(r.created)) / 1000),
          })),
          hourlyNetTotal: Math.round(total * 1e6) / 1e6,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  const zone = calendarFor(env.name).timeZone;
  const cur = prices?.currency ?? '';
  const md = [
    `## ${env.name}: everything labelled \`${observed.selector}\` (cluster ${observed.state})`,
    '',
    rows.length
      ? markdownTable(
          ['kind', 'name', 'id', 'details', 'location', 'created', 'age', `${cur}/hour`.trim()],
          rows.map((r) => [
            r.kind,
            r.name,
            r.id,
            r.details,
            r.location,
            localStamp(r.created, zone),
            formatAge(nowMs - Date.parse(r.created)),
            r.hourlyNet === null ? '?' : r.hourlyNet === 0 ? '-' : r.hourlyNet.toFixed(4),
          ]),
        )
      : 'Nothing carries these labels.',
    '',
    `${rows.length} resource(s); ${money(total, 4)} ${cur} per hour now, net of VAT (${priceNote}). Firewalls, networks, placement groups and SSH keys are free.`,
  ].join('\n');
  emit(io, deps.env, md);
  return 0;
}

// ----- the commands ------------------------------------------------------------------

/** The read commands with their dependencies (tests pass a fake clock and env). */
export function createReadCommands(deps: ReadDeps = {}): Record<string, Command> {
  const d = {
    env: deps.env ?? process.env,
    now: deps.now ?? (() => new Date()),
  };
  return {
    status: define(
      'status',
      '<env> [--json] [--at ISO]',
      'what exists by label, the state against the trading calendar, and the cost so far today and this month',
      (args, io) => statusCommand(args, io, d),
    ),
    schedule: define(
      'schedule',
      '<env> [--days 14] [--from DATE|ISO] [--json]',
      "coming up/down times in the exchange's zone and UTC, billed vs market hours per day, totals",
      (args, io) => scheduleCommand(args, io, d),
    ),
    cost: define(
      'cost',
      '[<env>] [--json] [--prices live|table] [--trading-days N] [--from DATE]',
      'cost per trading day and month at the calendar (live prices with HCLOUD_TOKEN, else the dated table)',
      (args, io) => costCommand(args, io, d),
    ),
    'cost-diff': define(
      'cost-diff',
      '<base.json> <head.json>',
      'markdown table of the monthly cost change between two `cost --json` outputs',
      (args, io) => costDiffCommand(args, io, d),
    ),
    list: define(
      'list',
      '<env> [--json]',
      "everything carrying the environment's labels, with age and hourly price",
      (args, io) => listCommand(args, io, d),
    ),
  };
}

/** status, schedule, cost, cost-diff, list (kubeconfig is in identity-commands.ts). */
export const READ_COMMANDS: Readonly<Record<string, Command>> = createReadCommands();
