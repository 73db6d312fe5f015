/**
 * The guard's cron schedule, derived from the trading calendars (environments/calendars.ts):
 * dense runs only around each up and down transition, a few safety runs the rest of the day,
 * and dated one-off lines for early closes. `npm run render-schedule` writes it into
 * `.github/workflows/daily-cycle.yml`; `__tests__/lib/schedule.test.ts` fails when the two
 * disagree and proves the properties below over a year for every calendar.
 *
 * GitHub's cron is UTC and knows no time zone, so a transition at a fixed exchange-local time
 * falls on one UTC time in summer and another in winter: the dense block of each transition
 * is rendered at every UTC time the calendar's windows put it on (both offsets of the zone,
 * read from the windows of the calendar's holiday years, never by offset arithmetic). The
 * block of the other season fires too and finds nothing to do; that is the price of a
 * zone-less cron (about half the dense runs).
 *
 * Per environment, on its UTC minute grid (minutes ≡ phase mod 5, never minute 0: GitHub
 * drops or delays more runs at the top of the hour):
 * - up: the {@link UP_BLOCK_RUNS} grid minutes from `up` (the first within 5 minutes of it),
 *   so at least {@link MIN_RUNS_PER_TRANSITION} fall inside the warm-up (`[up, open)`);
 * - down: the 3 grid minutes before `down` (inside the cool-down, `[close, down)`: they find
 *   the cluster up, or repair a broken one) and the 3 from `down` (they bring it down and
 *   retry a failed destroy), all within 15 minutes of `down`;
 * - safety: every {@link SAFETY_EVERY_HOURS} hours every day, one of them mid-session (a
 *   cluster lost during the day, or left up after three failed downs, is found within hours);
 * - early close: the down block at that day's down, as `minute hour day-of-month month *`.
 *   Cron has no year: such a line fires on that date every year (harmless: nothing to do).
 *
 * Each line belongs to one environment (their grids differ by the phase), so the workflow
 * can tell from `github.event.schedule` which environment a run is for.
 *
 * Pure: no clock, no I/O.
 */
import { DateTime } from 'luxon';
import { transitions, type TradingCalendarConfig, type UptimeWindow } from './calendar';

/** Minutes between two runs of a dense block. */
export const DENSE_SPACING_MINUTES = 5;
/** Runs each transition must see inside its warm-up (`[up, open)`) / cool-down (`[close, down)`), and after `down`. */
export const MIN_RUNS_PER_TRANSITION = 3;
/** Runs from `up` (the 4th gives a failed morning one more try, before or just after the open). */
export const UP_BLOCK_RUNS = 4;
/** Shortest warm-up and cool-down the dense spacing allows: 3 runs 5 minutes apart. */
export const MIN_MARGIN_MINUTES = MIN_RUNS_PER_TRANSITION * DENSE_SPACING_MINUTES;
/** Hours between two safety runs (3 a day; at most 4 on a 25-hour DST day). */
export const SAFETY_EVERY_HOURS = 8;
/** Most guard jobs per environment on a trading day (dated lines on top). */
export const MAX_JOBS_TRADING_DAY = 30;
/** Most guard jobs per environment on a day without a session (weekend; dated lines on top). */
export const MAX_JOBS_OTHER_DAY = 4;
/** Environments with distinct grids (phases :01 to :04 of every 5 minutes). */
export const MAX_PHASES = 4;

/**
 * How late a scheduled run is assumed to start, in minutes. GitHub documents that scheduled
 * runs "can be delayed during periods of high loads" and may be dropped; runs off the top of
 * the hour typically start within a few minutes, and 10 minutes covers most. The cost model
 * (lib/cost.ts) adds it to the down side of every window (the bill's upper bound), and the
 * simulated trading week (__tests__/lifecycle/trading-week.test.ts) fires every run up to it late.
 */
export const CRON_LAG_MINUTES = 10;

/** Years whose windows give the zone's offsets when a calendar lists no holidays. */
const DEFAULT_YEARS = [2026, 2027];

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** What a cron line is for. */
export type LineKind = 'up' | 'down' | 'safety' | 'early-close';

/** One rendered cron line (UTC, 5 fields). */
export interface CronLine {
  readonly cron: string;
  readonly environment: string;
  readonly kind: LineKind;
  /** In words, for the comment above it in the workflow. */
  readonly note: string;
}

/** One environment's schedule. */
export interface EnvironmentSchedule {
  readonly environment: string;
  /** Minute of every 5 the grid runs at (1-4). */
  readonly phase: number;
  readonly lines: readonly CronLine[];
}

/** A calendar the schedule cannot serve; the message names the environment, the field and the fix. */
export class ScheduleConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleConfigError';
  }
}

/** The years a calendar's holidays cover (the years the schedule is proven over), sorted. */
export function calendarYears(cal: TradingCalendarConfig): number[] {
  const years = [...new Set(cal.holidays.map((h) => Number(h.date.slice(0, 4))))].sort((a, b) => a - b);
  return years.length ? years : DEFAULT_YEARS;
}

/** Every window of the calendar's years, in order. */
export function windowsOfYears(cal: TradingCalendarConfig, years: readonly number[] = calendarYears(cal)) {
  const first = Math.min(...years);
  const last = Math.max(...years);
  const from = `${first}-01-01`;
  const days = Math.round((Date.UTC(last + 1, 0, 1) - Date.UTC(first, 0, 1)) / DAY_MS);
  return transitions(cal, from, days);
}

/** The first grid minute at or after `ms` (grid: UTC minutes ≡ phase mod spacing). */
function gridAtOrAfter(ms: number, phase: number): number {
  const minute = Math.ceil(ms / MINUTE_MS);
  const mod = (((minute - phase) % DENSE_SPACING_MINUTES) + DENSE_SPACING_MINUTES) % DENSE_SPACING_MINUTES;
  return (minute + (mod === 0 ? 0 : DENSE_SPACING_MINUTES - mod)) * MINUTE_MS;
}

/** The grid instants of the up block of a window. */
export function upBlock(w: UptimeWindow, phase: number): number[] {
  const first = gridAtOrAfter(Date.parse(w.up), phase);
  return Array.from({ length: UP_BLOCK_RUNS }, (_, k) => first + k * DENSE_SPACING_MINUTES * MINUTE_MS);
}

/** The grid instants of the down block of a window: 3 before `down`, 3 from it. */
export function downBlock(w: UptimeWindow, phase: number): number[] {
  const first = gridAtOrAfter(Date.parse(w.down), phase);
  const step = DENSE_SPACING_MINUTES * MINUTE_MS;
  return Array.from(
    { length: 2 * MIN_RUNS_PER_TRANSITION },
    (_, k) => first + (k - MIN_RUNS_PER_TRANSITION) * step,
  );
}

/** Problems with a calendar for the schedule (empty when it can be served). */
export function scheduleConfigProblems(environment: string, cal: TradingCalendarConfig): string[] {
  const problems: string[] = [];
  const where = `CALENDARS.${environment} in environments/calendars.ts`;
  if (cal.warmUpMinutes < MIN_MARGIN_MINUTES) {
    problems.push(
      `environment '${environment}': warmUpMinutes ${cal.warmUpMinutes} is too short for ${MIN_RUNS_PER_TRANSITION} guard runs ${DENSE_SPACING_MINUTES} minutes apart between up and the open; set warmUpMinutes to at least ${MIN_MARGIN_MINUTES} (${where})`,
    );
  }
  if (cal.coolDownMinutes < MIN_MARGIN_MINUTES) {
    problems.push(
      `environment '${environment}': coolDownMinutes ${cal.coolDownMinutes} is too short for ${MIN_RUNS_PER_TRANSITION} guard runs ${DENSE_SPACING_MINUTES} minutes apart between the close and down; set coolDownMinutes to at least ${MIN_MARGIN_MINUTES} (${where})`,
    );
  }
  return problems;
}

// ----- cron text -----------------------------------------------------------------------

/** `1,2,3,5` -> `1-3,5` (runs of 3 or more become ranges). */
function compactList(values: readonly number[]): string {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j - i >= 2 ? `${sorted[i]}-${sorted[j]}` : sorted.slice(i, j + 1).join(','));
    i = j + 1;
  }
  return parts.join(',');
}

/** Cron day of week (0 = Sunday) of a UTC instant. */
const cronWeekday = (ms: number) => new Date(ms).getUTCDay();

/**
 * Weekly lines for a set of UTC instants that recur every week: grouped as
 * `minutes hours * * weekdays`, hours with the same minutes and weekdays on one line.
 */
function weeklyLines(instants: Iterable<number>): string[] {
  // hour -> minute -> weekdays
  const byHour = new Map<number, Map<number, Set<number>>>();
  for (const ms of instants) {
    const d = new Date(ms);
    const minutes = byHour.get(d.getUTCHours()) ?? new Map<number, Set<number>>();
    byHour.set(d.getUTCHours(), minutes);
    const days = minutes.get(d.getUTCMinutes()) ?? new Set<number>();
    minutes.set(d.getUTCMinutes(), days);
    days.add(cronWeekday(ms));
  }
  // (hour, weekdays) -> minutes, then (minutes, weekdays) -> hours.
  const cells = new Map<string, { minutes: number[]; days: string; hours: number[] }>();
  for (const [hour, minutes] of [...byHour].sort((a, b) => a[0] - b[0])) {
    const byDays = new Map<string, number[]>();
    for (const [minute, days] of minutes) {
      const key = compactList([...days]);
      byDays.set(key, [...(byDays.get(key) ?? []), minute]);
    }
    for (const [days, mins] of byDays) {
      const key = `${compactList(mins)} ${days}`;
      const cell = cells.get(key) ?? { minutes: mins, days, hours: [] };
      cell.hours.push(hour);
      cells.set(key, cell);
    }
  }
  return [...cells.values()].map(
    (c) => `${compactList(c.minutes)} ${compactList(c.hours)} * * ${c.days === '0-6' ? '*' : c.days}`,
  );
}

/** Dated lines `minutes hour day month *` for one-off UTC instants. */
function datedLines(instants: Iterable<number>): string[] {
  const byDayHour = new Map<string, number[]>();
  for (const ms of instants) {
    const d = new Date(ms);
    const key = `${d.getUTCHours()} ${d.getUTCDate()} ${d.getUTCMonth() + 1}`;
    byDayHour.set(key, [...(byDayHour.get(key) ?? []), d.getUTCMinutes()]);
  }
  return [...byDayHour].map(([key, minutes]) => `${compactList(minutes)} ${key} *`);
}

/** A local `HH:mm` and its UTC times over the year, e.g. `09:00 America/New_York = 13:00/14:00 UTC`. */
function describeTimes(windows: readonly UptimeWindow[], pick: 'up' | 'down', zone: string): string {
  const local = [...new Set(windows.map((w) => (pick === 'up' ? w.upLocal : w.downLocal).slice(11, 16)))];
  const utc = [...new Set(windows.map((w) => w[pick].slice(11, 16)))].sort();
  return `${local.join('/')} ${zone} = ${utc.join('/')} UTC`;
}

// ----- the schedule --------------------------------------------------------------------

/**
 * The schedule of one environment's calendar on grid `phase`. Throws
 * {@link ScheduleConfigError} when the warm-up or cool-down is too short.
 */
export function environmentSchedule(
  environment: string,
  cal: TradingCalendarConfig,
  phase: number,
): EnvironmentSchedule {
  const problems = scheduleConfigProblems(environment, cal);
  if (problems.length) throw new ScheduleConfigError(problems.join('\n'));
  const windows = windowsOfYears(cal);
  const regular = windows.filter((w) => w.session.earlyClose === undefined);
  const early = windows.filter((w) => w.session.earlyClose !== undefined);
  const lines: CronLine[] = [];
  const push = (kind: LineKind, crons: string[], note: string) =>
    crons.forEach((cron) => lines.push({ cron, environment, kind, note }));

  // Weekly instants keyed by minute of the week, so every week's copy is one.
  const weekKey = (ms: number) => {
    const d = new Date(ms);
    return (d.getUTCDay() * 24 + d.getUTCHours()) * 60 + d.getUTCMinutes();
  };
  const weekly = (instants: number[]) => {
    const keys = new Map<number, number>();
    for (const ms of instants) keys.set(weekKey(ms), ms);
    return keys;
  };
  const ups = weekly(windows.flatMap((w) => upBlock(w, phase)));
  const downs = weekly(windows.flatMap((w) => (w.session.earlyClose ? [] : downBlock(w, phase))));
  push(
    'up',
    weeklyLines(ups.values()),
    `up ${describeTimes(regular, 'up', cal.timeZone)}: ${UP_BLOCK_RUNS} runs ${DENSE_SPACING_MINUTES} min apart from up (warm-up ${cal.warmUpMinutes} min)`,
  );
  push(
    'down',
    weeklyLines(downs.values()),
    `down ${describeTimes(regular, 'down', cal.timeZone)}: ${MIN_RUNS_PER_TRANSITION} runs before down (cool-down ${cal.coolDownMinutes} min), ${MIN_RUNS_PER_TRANSITION} from it`,
  );

  // Safety runs: every 8 hours at minute phase + 30, one of them in the middle of the session.
  const first = regular[0] ?? windows[0];
  const mid = (Date.parse(first.session.open) + Date.parse(first.session.close)) / 2;
  const midHour = Math.floor((mid % DAY_MS) / 3_600_000);
  const safetyHours = Array.from(
    { length: 24 / SAFETY_EVERY_HOURS },
    (_, k) => (midHour + k * SAFETY_EVERY_HOURS) % 24,
  );
  const safetyMinute = phase + 30;
  push(
    'safety',
    [`${safetyMinute} ${compactList(safetyHours)} * * *`],
    `safety: every ${SAFETY_EVERY_HOURS} h, every day (one mid-session)`,
  );

  // Early closes: the down block of that day, less the minutes a weekly line fires anyway.
  for (const w of early) {
    const extra = downBlock(w, phase).filter((ms) => !ups.has(weekKey(ms)) && !downs.has(weekKey(ms)));
    push(
      'early-close',
      datedLines(extra),
      `early close ${w.date} (${w.session.earlyClose}): down ${w.downLocal.slice(11, 16)} ${cal.timeZone} = ${w.down.slice(11, 16)} UTC`,
    );
  }
  // One line per cron text (two years' early closes on the same date render the same line).
  const merged = new Map<string, CronLine>();
  for (const l of lines) {
    const seen = merged.get(l.cron);
    merged.set(l.cron, seen ? { ...seen, note: `${seen.note}; ${l.note}` } : l);
  }
  return { environment, phase, lines: [...merged.values()] };
}

/**
 * The schedule of every environment, phases in the order given (the first on :01, :06, ...).
 * Throws {@link ScheduleConfigError} listing every calendar that cannot be served, or when two
 * environments would share a cron line (more than {@link MAX_PHASES} with the same calendar).
 */
export function renderSchedule(
  calendars: Readonly<Record<string, TradingCalendarConfig>>,
): EnvironmentSchedule[] {
  const names = Object.keys(calendars);
  const problems = names.flatMap((n) => scheduleConfigProblems(n, calendars[n]));
  if (problems.length)
    throw new ScheduleConfigError(`cannot render the guard schedule:\n  - ${problems.join('\n  - ')}`);
  const schedules = names.map((n, i) => environmentSchedule(n, calendars[n], 1 + (i % MAX_PHASES)));
  const owner = new Map<string, string>();
  for (const s of schedules) {
    for (const l of s.lines) {
      const other = owner.get(l.cron);
      if (other !== undefined && other !== s.environment) {
        throw new ScheduleConfigError(
          `environments '${other}' and '${s.environment}' render the same cron line '${l.cron}' (more than ${MAX_PHASES} environments share a grid); the workflow tells environments apart by their lines: give one a different calendar margin, or extend MAX_PHASES in lib/schedule.ts`,
        );
      }
      owner.set(l.cron, s.environment);
    }
  }
  return schedules;
}

/** `{ cron line: environment }` of every line, for the workflow's `github.event.schedule` lookup. */
export function environmentByLine(schedules: readonly EnvironmentSchedule[]): Record<string, string> {
  return Object.fromEntries(schedules.flatMap((s) => s.lines.map((l) => [l.cron, s.environment])));
}

// ----- when cron lines fire --------------------------------------------------------------

interface CronFields {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
  readonly daysRestricted: boolean;
  readonly weekdaysRestricted: boolean;
}

function field(text: string, min: number, max: number, what: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new SyntaxError(`cron ${what} '${text}': '${part}' is not a number, range, list or step`);
    const from = m[1] === '*' ? min : Number(m[2]);
    const to = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] ? max : from;
    const step = m[4] ? Number(m[4]) : 1;
    if (from < min || to > max || from > to || step < 1) {
      throw new RangeError(`cron ${what} '${text}': '${part}' is outside ${min}-${max}`);
    }
    for (let v = from; v <= to; v += step) out.add(what === 'weekday' && v === 7 ? 0 : v);
  }
  return out;
}

/** Parses a 5-field cron line (numbers, `*`, ranges, lists, steps; UTC). */
export function parseCron(line: string): CronFields {
  const parts = line.trim().split(/\s+/);
  if (parts.length !== 5) throw new SyntaxError(`cron '${line}' must have 5 fields, has ${parts.length}`);
  return {
    minutes: field(parts[0], 0, 59, 'minute'),
    hours: field(parts[1], 0, 23, 'hour'),
    days: field(parts[2], 1, 31, 'day of month'),
    months: field(parts[3], 1, 12, 'month'),
    weekdays: field(parts[4], 0, 7, 'weekday'),
    daysRestricted: parts[2] !== '*',
    weekdaysRestricted: parts[4] !== '*',
  };
}

/** The instants (ms, UTC) in `[fromMs, toMs)` at which a cron line fires, in order. */
export function cronFires(line: string, fromMs: number, toMs: number): number[] {
  const c = parseCron(line);
  const out: number[] = [];
  for (let day = Math.floor(fromMs / DAY_MS) * DAY_MS; day < toMs; day += DAY_MS) {
    const d = new Date(day);
    if (!c.months.has(d.getUTCMonth() + 1)) continue;
    const dom = c.days.has(d.getUTCDate());
    const dow = c.weekdays.has(d.getUTCDay());
    // Vixie cron: with both restricted, either matches.
    const match =
      c.daysRestricted && c.weekdaysRestricted
        ? dom || dow
        : c.daysRestricted
          ? dom
          : c.weekdaysRestricted
            ? dow
            : true;
    if (!match) continue;
    for (const h of [...c.hours].sort((a, b) => a - b)) {
      for (const m of [...c.minutes].sort((a, b) => a - b)) {
        const ms = day + (h * 60 + m) * MINUTE_MS;
        if (ms >= fromMs && ms < toMs) out.push(ms);
      }
    }
  }
  return out;
}

/** Every fire of several lines in `[fromMs, toMs)`, each with its line, in order. */
export function scheduleFires(
  lines: readonly Pick<CronLine, 'cron' | 'kind'>[],
  fromMs: number,
  toMs: number,
): { at: number; cron: string; kind: LineKind }[] {
  return lines
    .flatMap((l) => cronFires(l.cron, fromMs, toMs).map((at) => ({ at, cron: l.cron, kind: l.kind })))
    .sort((a, b) => a.at - b.at);
}

// ----- the properties ----------------------------------------------------------------------

/** Guard jobs on one exchange-local day. */
export interface DayCount {
  readonly date: string;
  /** `trading`: a session (early closes too); `holiday`: a trading weekday closed all day; `other`: the rest. */
  readonly kind: 'trading' | 'holiday' | 'other';
  /** Jobs of weekly lines (up, down, safety). */
  readonly weekly: number;
  /** Jobs of dated lines (early closes, any year). */
  readonly dated: number;
}

/** What {@link checkSchedule} found. */
export interface ScheduleCheck {
  readonly problems: readonly string[];
  readonly days: readonly DayCount[];
  /** Windows checked. */
  readonly windows: number;
}

/**
 * Checks an environment's lines against its calendar over `[from, from + days)` (exchange-
 * local dates): every window has at least 3 runs in `[up, open)`, 3 in `[close, down)` and 3
 * in `[down, down + 15 min)`, the first within 5 minutes of `up` and of `down`; no 8-hour-plus
 * gap without a run; at most 30 weekly-line jobs on a trading day or a weekday holiday (the
 * weekly lines fire, cron knows no holidays) and 4 on other days; dated lines on top, counted
 * apart.
 */
export function checkSchedule(
  environment: string,
  cal: TradingCalendarConfig,
  lines: readonly Pick<CronLine, 'cron' | 'kind'>[],
  from: string,
  days: number,
): ScheduleCheck {
  const zone = cal.timeZone;
  const start = DateTime.fromISO(from, { zone });
  const fromMs = start.toMillis();
  const toMs = start.plus({ days }).toMillis();
  // Runs a little outside the range reach its first and last windows.
  const fires = scheduleFires(lines, fromMs - DAY_MS, toMs + DAY_MS);
  const at = fires.map((f) => f.at);
  const count = (a: number, b: number) => lowerBound(at, b) - lowerBound(at, a);
  const firstAtOrAfter = (ms: number) => at[lowerBound(at, ms)];
  const problems: string[] = [];
  const windows = transitions(cal, from, days);
  const m = MINUTE_MS;
  const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 16) + 'Z';
  for (const w of windows) {
    const up = Date.parse(w.up);
    const open = Date.parse(w.session.open);
    const close = Date.parse(w.session.close);
    const down = Date.parse(w.down);
    const checks: [string, number, number][] = [
      [`warm-up [up ${stamp(up)}, open ${stamp(open)})`, up, open],
      [`cool-down [close ${stamp(close)}, down ${stamp(down)})`, close, down],
      [`the 15 min from down ${stamp(down)}`, down, down + MIN_MARGIN_MINUTES * m],
    ];
    for (const [what, a, b] of checks) {
      const n = count(a, b);
      if (n < MIN_RUNS_PER_TRANSITION) {
        problems.push(
          `${environment} ${w.date}: ${n} run(s) in the ${what}, want ${MIN_RUNS_PER_TRANSITION}`,
        );
      }
    }
    for (const [what, t] of [
      ['up', up],
      ['down', down],
    ] as const) {
      const first = firstAtOrAfter(t);
      if (first === undefined || first - t >= DENSE_SPACING_MINUTES * m) {
        problems.push(
          `${environment} ${w.date}: the first run after ${what} ${stamp(t)} is ${first === undefined ? 'never' : stamp(first)}, want within ${DENSE_SPACING_MINUTES} min`,
        );
      }
    }
  }
  for (let i = lowerBound(at, fromMs); i < at.length && at[i] < toMs; i++) {
    const gap = i + 1 < at.length ? at[i + 1] - at[i] : 0;
    if (gap > SAFETY_EVERY_HOURS * 3_600_000) {
      problems.push(
        `${environment}: no run for ${(gap / 3_600_000).toFixed(1)} h after ${stamp(at[i])}, want at most ${SAFETY_EVERY_HOURS} h`,
      );
    }
  }
  const sessions = new Set(windows.map((w) => w.date));
  const tradingDays = new Set(cal.tradingDays ?? ['Mon', 'Tue', 'Wed', 'Thu', 'Fri']);
  const counts: DayCount[] = [];
  for (let i = 0; i < days; i++) {
    const day = start.plus({ days: i });
    const a = day.toMillis();
    const b = day.plus({ days: 1 }).toMillis();
    const date = day.toISODate()!;
    const inDay = fires.filter((f) => f.at >= a && f.at < b);
    const dated = inDay.filter((f) => f.kind === 'early-close').length;
    const weekday = day.setLocale('en-US').toFormat('ccc');
    const kind = sessions.has(date) ? 'trading' : tradingDays.has(weekday as never) ? 'holiday' : 'other';
    counts.push({ date, kind, weekly: inDay.length - dated, dated });
    const max = kind === 'other' ? MAX_JOBS_OTHER_DAY : MAX_JOBS_TRADING_DAY;
    if (inDay.length - dated > max) {
      problems.push(
        `${environment} ${date} (${kind}): ${inDay.length - dated} jobs of weekly lines, want at most ${max}`,
      );
    }
  }
  return { problems, days: counts, windows: windows.length };
}

/** Index of the first element >= x in a sorted array. */
function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Guard jobs of an environment's lines over `[fromMs, toMs)`. */
export function jobsBetween(
  lines: readonly Pick<CronLine, 'cron' | 'kind'>[],
  fromMs: number,
  toMs: number,
): number {
  return scheduleFires(lines, fromMs, toMs).length;
}
