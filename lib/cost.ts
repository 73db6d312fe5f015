import {
  billedHoursPerDay,
  marketHoursPerDay,
  transitions,
  uptimeSummary,
  type TradingCalendarConfig,
} from './calendar';
import type { ResolvedEnvironment } from './environment';
import { checkSchedule, CRON_LAG_MINUTES, type CronLine } from './schedule';

/** The parts of the API's `GET /pricing` answer (hcloud-go `schema.Pricing`) a cost estimate needs. */
export interface Pricing {
  readonly currency: string;
  readonly server_types: ReadonlyArray<{
    readonly name: string;
    readonly prices: ReadonlyArray<{
      readonly location: string;
      readonly price_hourly: { readonly net: string; readonly gross: string };
      readonly price_monthly: { readonly net: string; readonly gross: string };
    }>;
  }>;
  readonly primary_ips: ReadonlyArray<{
    readonly type: string;
    readonly prices: ReadonlyArray<{
      readonly location: string;
      /** Absent in older answers. */
      readonly price_hourly?: { readonly net: string; readonly gross: string };
      readonly price_monthly: { readonly net: string; readonly gross: string };
    }>;
  }>;
}

/** One line of a cost estimate. */
export interface CostLine {
  readonly item: string;
  readonly count: number;
  readonly hourlyNet?: number;
  readonly monthlyNet: number;
}

/** A monthly estimate for one environment, net of VAT. */
export interface CostEstimate {
  readonly environment: string;
  readonly currency: string;
  readonly tradingDaysPerMonth: number;
  readonly lines: readonly CostLine[];
  readonly monthlyNet: number;
  /** What the same servers would cost running all month, for comparison. */
  readonly alwaysOnMonthlyNet: number;
}

/**
 * Estimates an environment's monthly cost from live prices: servers billed hourly for
 * `uptimeHoursPerDay` on each trading day (capped at the monthly price, as Hetzner bills),
 * plus both Primary IPv4s, billed all month whether assigned or not.
 */
export function estimateCost(
  env: ResolvedEnvironment,
  pricing: Pricing,
  tradingDaysPerMonth = 21,
): CostEstimate {
  const hours = env.uptimeHoursPerDay * tradingDaysPerMonth;
  const byType = new Map<string, number>();
  for (const server of [...env.controlPlanes, ...env.kafkaNodes, ...env.appNodes]) {
    byType.set(server.serverType, (byType.get(server.serverType) ?? 0) + 1);
  }
  const lines: CostLine[] = [];
  let alwaysOn = 0;
  for (const [type, count] of byType) {
    const price = pricing.server_types
      .find((t) => t.name === type)
      ?.prices.find((p) => p.location === env.location);
    if (!price)
      throw new Error(`no price for server type '${type}' in '${env.location}' in the pricing data`);
    const hourly = Number(price.price_hourly.net);
    const monthlyCap = Number(price.price_monthly.net);
    lines.push({
      item: `server ${type}`,
      count,
      hourlyNet: hourly,
      monthlyNet: count * Math.min(hourly * hours, monthlyCap),
    });
    alwaysOn += count * monthlyCap;
  }
  const ip = pricing.primary_ips
    .find((p) => p.type === 'ipv4')
    ?.prices.find((p) => p.location === env.location);
  if (!ip) throw new Error(`no Primary IPv4 price for '${env.location}' in the pricing data`);
  const ipMonthly = 2 * Number(ip.price_monthly.net);
  lines.push({ item: 'Primary IPv4 (persistent)', count: 2, monthlyNet: ipMonthly });
  const total = lines.reduce((sum, line) => sum + line.monthlyNet, 0);
  return {
    environment: env.name,
    currency: pricing.currency,
    tradingDaysPerMonth,
    lines,
    monthlyNet: total,
    alwaysOnMonthlyNet: alwaysOn + ipMonthly,
  };
}

// ----- prices: live or a dated table, and the cost of an environment's schedule ----------

/** Where a price list comes from. */
export interface PriceSource {
  /** `live`: the API's `GET /pricing` now; `table`: {@link PRICE_TABLE}, dated. */
  readonly kind: 'live' | 'table';
  /** The day the prices were read, `YYYY-MM-DD`. */
  readonly date: string;
  /** Where: the API address, or the pages the table was read from. */
  readonly source: string;
  readonly currency: string;
}

/** Net prices of one location's server types and Primary IPv4, from either source. */
export interface PriceList extends PriceSource {
  /** Hourly net price and monthly cap of a server type in a location; undefined when unknown. */
  server(type: string, location: string): { hourlyNet: number; monthlyNet?: number } | undefined;
  /** Hourly and monthly net price of a Primary IPv4 in a location; undefined when unknown. */
  primaryIpv4(location: string): { hourlyNet: number; monthlyNet: number } | undefined;
}

/**
 * A dated price table, for estimates without an API token. Dated facts, not rules: prices
 * change (Hetzner raised them on 1 April 2026 and for new orders from 15 June 2026), so the
 * live `GET /pricing` is the authority and this table says when and where it was read.
 */
export interface PriceTable {
  /** The day the figures were read, `YYYY-MM-DD`. */
  readonly date: string;
  readonly source: string;
  readonly currency: string;
  /** The one location the figures are for. */
  readonly location: string;
  /** Hourly net price per server type (no monthly caps were published alongside). */
  readonly serverHourlyNet: Readonly<Record<string, number>>;
  readonly primaryIpv4: { readonly hourlyNet: number; readonly monthlyNet: number };
}

/**
 * Falkenstein (fsn1), EUR, net of VAT. Server types: docs.cnap.tech/compute/providers/hetzner,
 * read 2026-11-22 (an undated page that may predate the 2026 changes); it lists no CCX or
 * CPX42 price, so prod's ccx23 and cpx42 have none here: use live prices for prod. Primary
 * IPv4: docs.hetzner.com/cloud/servers/primary-ips/overview (last changed 2022-08-10), read
 * 2026-11-23.
 */
export const PRICE_TABLE: PriceTable = {
  date: '2026-11-22',
  source:
    'docs.cnap.tech/compute/providers/hetzner (server types, read 2026-11-22, undated page); docs.hetzner.com/cloud/servers/primary-ips/overview (Primary IPv4, last changed 2022-08-10)',
  currency: 'EUR',
  location: 'fsn1',
  serverHourlyNet: {
    cax11: 0.004,
    cax21: 0.007,
    cax31: 0.013,
    cx23: 0.006,
    cx33: 0.011,
    cx43: 0.021,
    cpx22: 0.008,
    cpx32: 0.016,
  },
  primaryIpv4: { hourlyNet: 0.0008, monthlyNet: 0.5 },
};

/** A price list from the dated table. */
export function priceListFromTable(table: PriceTable = PRICE_TABLE): PriceList {
  const has = (type: string) => Object.prototype.hasOwnProperty.call(table.serverHourlyNet, type);
  return {
    kind: 'table',
    date: table.date,
    source: table.source,
    currency: table.currency,
    server: (type, location) =>
      location === table.location && has(type) ? { hourlyNet: table.serverHourlyNet[type] } : undefined,
    primaryIpv4: (location) => (location === table.location ? { ...table.primaryIpv4 } : undefined),
  };
}

/** A price list from the API's `GET /pricing` answer, read on `date` from `source`. */
export function priceListFromPricing(pricing: Pricing, date: string, source: string): PriceList {
  return {
    kind: 'live',
    date,
    source,
    currency: pricing.currency,
    server: (type, location) => {
      const p = pricing.server_types
        .find((t) => t.name === type)
        ?.prices.find((x) => x.location === location);
      return p
        ? { hourlyNet: Number(p.price_hourly.net), monthlyNet: Number(p.price_monthly.net) }
        : undefined;
    },
    primaryIpv4: (location) => {
      const p = pricing.primary_ips
        .find((t) => t.type === 'ipv4')
        ?.prices.find((x) => x.location === location);
      if (!p) return undefined;
      const monthlyNet = Number(p.price_monthly.net);
      // Older answers have no hourly IP price: a month of 730 hours then.
      return { hourlyNet: p.price_hourly ? Number(p.price_hourly.net) : monthlyNet / 730, monthlyNet };
    },
  };
}

/** The servers of one role and type in a schedule estimate. */
export interface ScheduleServerLine {
  readonly role: 'control-plane' | 'kafka' | 'app';
  readonly serverType: string;
  readonly count: number;
  /** Net per hour, one server; null when the price list has none. */
  readonly hourlyNet: number | null;
  /** All `count` servers for one regular trading day's billed hours. */
  readonly perDayNet: number | null;
  /** All `count` servers for a month's billed hours, capped at the monthly price when known. */
  readonly perMonthNet: number | null;
}

/** What an environment costs at its trading calendar, net of VAT. */
export interface ScheduleCost {
  readonly environment: string;
  readonly location: string;
  readonly currency: string;
  readonly prices: PriceSource;
  /** Hours one server is billed on a regular trading day (each started hour counts). */
  readonly billedHoursPerDay: number;
  /** Hours the exchange is open on a regular day. */
  readonly marketHoursPerDay: number;
  /** billedHoursPerDay / marketHoursPerDay: what the warm-up, cool-down and rounding cost. */
  readonly billedToMarketRatio: number;
  /** Trading days in the month estimated (an average month, or as given). */
  readonly tradingDaysPerMonth: number;
  /** Hours one server is billed in that month (holidays and early closes included). */
  readonly billedHoursPerMonth: number;
  /** How the month was counted, in words. */
  readonly monthBasis: string;
  readonly servers: readonly ScheduleServerLine[];
  readonly primaryIps: {
    readonly count: number;
    readonly hourlyNet: number | null;
    readonly perMonthNet: number | null;
  };
  /** Servers for one regular trading day; null when a price is missing. */
  readonly perTradingDayNet: number | null;
  /** Servers for the month plus the Primary IPs all month; null when a price is missing. */
  readonly perMonthNet: number | null;
  /** The same servers and IPs running all month (monthly caps, or 730 h), for comparison. */
  readonly alwaysOnMonthNet: number | null;
  /** `type@location` of every server type without a price, and `primary-ipv4@location`. */
  readonly missingPrices: readonly string[];
}

/** Options of {@link scheduleCost}. */
export interface ScheduleCostOptions {
  /** Billed hours of the month: the average month of the 12 from this date. */
  readonly from: string;
  /**
   * Count the month as this many regular trading days instead.
   * @default - the calendar's average month
   */
  readonly tradingDaysPerMonth?: number;
}

/** Hours in an average month, for always-on comparisons without a monthly cap. */
const HOURS_PER_MONTH = 730;

/** Rounds a money amount to 6 places (keeps sums stable, far below a cent). */
const money = (n: number) => Math.round(n * 1e6) / 1e6;

/**
 * The cost of an environment at its trading calendar: every planned server billed for the
 * calendar's billed hours (each window rounded up to whole hours, as Hetzner bills started
 * hours), capped at the monthly price when the price list has one, plus the two persistent
 * Primary IPv4s all month whether assigned or not.
 */
export function scheduleCost(
  env: ResolvedEnvironment,
  cal: TradingCalendarConfig,
  prices: PriceList,
  opts: ScheduleCostOptions,
): ScheduleCost {
  const perDay = billedHoursPerDay(cal);
  const market = marketHoursPerDay(cal);
  let tradingDays: number;
  let monthHours: number;
  let monthBasis: string;
  if (opts.tradingDaysPerMonth !== undefined) {
    if (
      !Number.isInteger(opts.tradingDaysPerMonth) ||
      opts.tradingDaysPerMonth < 0 ||
      opts.tradingDaysPerMonth > 31
    ) {
      throw new RangeError(
        `tradingDaysPerMonth must be a whole number 0-31, got ${opts.tradingDaysPerMonth}`,
      );
    }
    tradingDays = opts.tradingDaysPerMonth;
    monthHours = tradingDays * perDay;
    monthBasis = `${tradingDays} regular trading days of ${perDay} billed hours`;
  } else {
    const year = uptimeSummary(cal, opts.from, 365);
    tradingDays = year.tradingDays / 12;
    monthHours = year.billedHours / 12;
    monthBasis = `average month of the 365 days from ${opts.from} (${year.tradingDays} trading days, ${year.earlyCloses} early close${year.earlyCloses === 1 ? '' : 's'}, ${year.billedHours} billed hours per server)`;
  }
  const missing: string[] = [];
  const lines: ScheduleServerLine[] = [];
  let alwaysOn: number | null = 0;
  for (const group of [env.controlPlanes, env.kafkaNodes, env.appNodes]) {
    const byType = new Map<string, number>();
    for (const s of group) byType.set(s.serverType, (byType.get(s.serverType) ?? 0) + 1);
    for (const [serverType, count] of byType) {
      const price = prices.server(serverType, env.location);
      if (!price) {
        missing.push(`${serverType}@${env.location}`);
        alwaysOn = null;
        lines.push({
          role: group[0].role,
          serverType,
          count,
          hourlyNet: null,
          perDayNet: null,
          perMonthNet: null,
        });
        continue;
      }
      const month = price.hourlyNet * monthHours;
      const capped = price.monthlyNet === undefined ? month : Math.min(month, price.monthlyNet);
      if (alwaysOn !== null) alwaysOn += count * (price.monthlyNet ?? price.hourlyNet * HOURS_PER_MONTH);
      lines.push({
        role: group[0].role,
        serverType,
        count,
        hourlyNet: price.hourlyNet,
        perDayNet: money(count * price.hourlyNet * perDay),
        perMonthNet: money(count * capped),
      });
    }
  }
  const ip = prices.primaryIpv4(env.location);
  if (!ip) missing.push(`primary-ipv4@${env.location}`);
  const ipCount = 2;
  const ipMonth = ip ? money(ipCount * ip.monthlyNet) : null;
  const complete = missing.length === 0;
  const sum = (pick: (l: ScheduleServerLine) => number | null) =>
    lines.reduce((total, l) => total + (pick(l) ?? 0), 0);
  return {
    environment: env.name,
    location: env.location,
    currency: prices.currency,
    prices: { kind: prices.kind, date: prices.date, source: prices.source, currency: prices.currency },
    billedHoursPerDay: perDay,
    marketHoursPerDay: market,
    billedToMarketRatio: Math.round((perDay / market) * 1000) / 1000,
    tradingDaysPerMonth: Math.round(tradingDays * 100) / 100,
    billedHoursPerMonth: Math.round(monthHours * 100) / 100,
    monthBasis,
    servers: lines,
    primaryIps: { count: ipCount, hourlyNet: ip?.hourlyNet ?? null, perMonthNet: ipMonth },
    perTradingDayNet: complete ? money(sum((l) => l.perDayNet)) : null,
    perMonthNet: complete ? money(sum((l) => l.perMonthNet) + ipMonth!) : null,
    alwaysOnMonthNet: complete && alwaysOn !== null ? money(alwaysOn + ipMonth!) : null,
    missingPrices: missing,
  };
}

// ----- the scheduler: GitHub Actions runner minutes, and the cron's lag -------------------

/**
 * GitHub-hosted runner price, a dated fact: Linux 2-core (ubuntu-24.04, what the workflows
 * use) at $0.006 per minute from 2026-01-01; every job is billed in whole minutes, rounded
 * up. Private repositories on the free plan include 2,000 minutes a month (public: free).
 */
export const RUNNER_PRICE = {
  runner: 'GitHub-hosted Linux 2-core (ubuntu-24.04)',
  usdPerMinute: 0.006,
  since: '2026-01-01',
  source:
    'docs.github.com/en/billing/reference/actions-runner-pricing (Linux 2-core $0.006/min from 2026-01-01; each job rounded up to a whole minute)',
  freeMinutesPerMonth: 2000,
} as const;

/**
 * Assumed whole minutes of a job that acts (the decide step, then node_modules, OpenTofu and
 * the apply or destroy); a job that decides nothing is one minute (measured well under 30 s).
 */
export const ACTION_JOB_MINUTES = { up: 15, down: 5 } as const;

/** What an environment's guard schedule costs in runner minutes. */
export interface SchedulerCost {
  readonly environment: string;
  readonly runner: string;
  readonly priceSource: string;
  readonly usdPerMinute: number;
  /** Jobs of the rendered schedule in an average month (the 365 days from `from`, / 12). */
  readonly jobsPerMonth: number;
  /** Most jobs on a trading day / another day (weekly lines; dated early-close lines on top). */
  readonly jobsPerTradingDay: number;
  readonly jobsPerOtherDay: number;
  /** Billed minutes: one per job, plus the longer up and down jobs of each trading day. */
  readonly minutesPerMonth: number;
  readonly usdPerMonth: number;
  /** The same for today's every-10-minutes cron (144 jobs a day), for comparison. */
  readonly everyTenMinutes: { readonly jobsPerMonth: number; readonly usdPerMonth: number };
  /** How the minutes were counted, in words. */
  readonly basis: string;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The runner minutes and dollars of an environment's cron lines over an average month from `from`. */
export function schedulerCost(
  environment: string,
  cal: TradingCalendarConfig,
  lines: readonly Pick<CronLine, 'cron' | 'kind'>[],
  from: string,
): SchedulerCost {
  const check = checkSchedule(environment, cal, lines, from, 365);
  const jobs = check.days.reduce((n, d) => n + d.weekly + d.dated, 0);
  const most = (kind: string) =>
    Math.max(0, ...check.days.filter((d) => d.kind === kind).map((d) => d.weekly));
  const extra = check.windows * (ACTION_JOB_MINUTES.up - 1 + ACTION_JOB_MINUTES.down - 1);
  const minutes = (jobs + extra) / 12;
  const tenMinuteJobs = (144 * 365) / 12;
  return {
    environment,
    runner: RUNNER_PRICE.runner,
    priceSource: `${RUNNER_PRICE.source}, read ${RUNNER_PRICE.since}`,
    usdPerMinute: RUNNER_PRICE.usdPerMinute,
    jobsPerMonth: round2(jobs / 12),
    jobsPerTradingDay: most('trading'),
    jobsPerOtherDay: most('other'),
    minutesPerMonth: round2(minutes),
    usdPerMonth: round2(minutes * RUNNER_PRICE.usdPerMinute),
    everyTenMinutes: {
      jobsPerMonth: round2(tenMinuteJobs),
      usdPerMonth: round2((tenMinuteJobs + extra / 12) * RUNNER_PRICE.usdPerMinute),
    },
    basis: `${jobs} jobs over the 365 days from ${from} (rendered schedule, lib/schedule.ts), 1 min each, plus ${check.windows} trading days x (${ACTION_JOB_MINUTES.up} min up + ${ACTION_JOB_MINUTES.down} min down jobs), / 12`,
  };
}

/** Billed hours when the cron runs late (lib/schedule.ts CRON_LAG_MINUTES). */
export interface LaggedHours {
  readonly lagMinutes: number;
  /** A regular day: warm-up + session + cool-down + lag, rounded up to whole hours. */
  readonly billedHoursPerDay: number;
  /** Σ over the 365 days from `from` of each window + lag rounded up, / 12. */
  readonly billedHoursPerMonth: number;
  /** Minutes between the latest first up run (up + lag) and the open, on a regular day. */
  readonly minutesBeforeOpen: number;
  /** Hours the exchange is open on a regular day (the lag takes none while minutesBeforeOpen > 0). */
  readonly marketHoursPerDay: number;
}

/**
 * Billed hours with the cron's lag: the cluster comes up at `up` at the earliest (the bill's
 * upper bound: an on-time morning run) and goes down up to `lagMinutes` after `down` (the
 * first run after `down` fires late); every window rounded up to whole hours.
 */
export function laggedHours(
  cal: TradingCalendarConfig,
  from: string,
  lagMinutes = CRON_LAG_MINUTES,
): LaggedHours {
  const windows = transitions(cal, from, 365);
  const hours = (w: (typeof windows)[number]) =>
    Math.ceil((Date.parse(w.down) - Date.parse(w.up) + lagMinutes * 60_000) / 3_600_000 - 1e-9);
  return {
    lagMinutes,
    billedHoursPerDay: Math.ceil((billedMinutesPerDay(cal) + lagMinutes) / 60 - 1e-9),
    billedHoursPerMonth: round2(windows.reduce((n, w) => n + hours(w), 0) / 12),
    minutesBeforeOpen: cal.warmUpMinutes - lagMinutes,
    marketHoursPerDay: marketHoursPerDay(cal),
  };
}

/** Minutes of a regular day's window (warm-up + session + cool-down). */
function billedMinutesPerDay(cal: TradingCalendarConfig): number {
  return marketHoursPerDay(cal) * 60 + cal.warmUpMinutes + cal.coolDownMinutes;
}
