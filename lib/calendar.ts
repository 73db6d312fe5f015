/**
 * The trading calendar: when an environment's cluster should exist. A calendar names an
 * exchange, its IANA time zone, the regular session (local 'HH:mm'), the trading weekdays,
 * dated holidays (closed all day, or an early close) and how long before the open the
 * cluster comes up (warm-up) and after the close it stays (cool-down).
 *
 * Everything here is a pure function of the calendar and an instant: no clock, no I/O.
 * Local times become instants through Luxon in the exchange's zone, so daylight saving
 * time is the tz database's business, never arithmetic by hand. Instants come out as ISO
 * 8601 strings in UTC (`2026-03-09T12:30:00Z`), what a cron schedule and the API speak.
 *
 * The window of a trading day is the half-open interval `[open - warmUp, close + coolDown)`,
 * with the early close in place of the close on an early-close day: at the exact `up`
 * instant the cluster should be up, at the exact `down` instant it should be down.
 */
import { DateTime, Info } from 'luxon';
import {
  checkObject,
  ConfigProblem,
  FieldRule,
  isRecord,
  listOf,
  mustBe,
  RawConfig,
  show,
  text,
  wholeNumber,
} from './config-values';

/** Weekday names, Monday first (index + 1 is Luxon's and ISO 8601's weekday number). */
export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

/** A weekday name. */
export type Weekday = (typeof WEEKDAYS)[number];

/** The trading weekdays when a calendar does not name them. */
export const DEFAULT_TRADING_DAYS: readonly Weekday[] = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'];

/** Longest warm-up and cool-down, in minutes (6 hours each). */
export const MAX_WARM_UP_MINUTES = 360;
/** @see MAX_WARM_UP_MINUTES */
export const MAX_COOL_DOWN_MINUTES = 360;

/**
 * Longest window (warm-up + session + cool-down), in hours. The rest of the day, at least
 * 4 hours (3 on a 23-hour DST day), is the cluster's down time: windows of consecutive
 * days never touch, so every day has one `up` and one `down`.
 */
export const MAX_WINDOW_HOURS = 20;

/** How far ahead {@link desiredState} looks for the next session before giving up. */
export const MAX_SCAN_DAYS = 400;

/** Most days {@link transitions} and {@link uptimeSummary} list in one call (about 10 years). */
export const MAX_TRANSITION_DAYS = 3660;

/** A day the exchange is closed, or closes early. */
export interface CalendarHoliday {
  /** The exchange-local date, `YYYY-MM-DD`. */
  readonly date: string;
  /** What the exchange calls the day, e.g. `Good Friday`. */
  readonly name: string;
  /**
   * An early close, local `HH:mm` (before the regular close, after the open).
   * @default - closed all day
   */
  readonly closesAt?: string;
}

/** When one environment's cluster should be up: an exchange's sessions plus margins. */
export interface TradingCalendarConfig {
  /** The exchange's ISO 10383 MIC, e.g. `XNYS`, `XETR`, `XTKS`. */
  readonly exchange: string;
  /** The exchange's IANA time zone, e.g. `America/New_York` (a region, never a fixed offset). */
  readonly timeZone: string;
  /**
   * Regular open, local `HH:mm`. On a DST day a wall time in the skipped hour moves
   * forward by the gap, and one in the repeated hour is the later (standard-time) one
   * (Luxon's rule); exchanges do not trade then.
   */
  readonly open: string;
  /** Regular close, local `HH:mm`, later the same local day than `open`. */
  readonly close: string;
  /** Minutes before the open the cluster comes up (apply, k3s, Argo CD sync, Kafka ready). */
  readonly warmUpMinutes: number;
  /** Minutes after the close (or early close) before the cluster goes down. */
  readonly coolDownMinutes: number;
  /**
   * The readiness deadline: minutes before the open by which the cluster must be ready to
   * trade (nodes, Argo CD, Kafka). A guard `up` not ready by then fails, saying what is
   * missing, and notifies (ALERT_WEBHOOK_URL). Less than `warmUpMinutes`.
   * @default 10
   */
  readonly readyBeforeOpenMinutes?: number;
  /** The weekdays the exchange trades. @default ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'] */
  readonly tradingDays?: readonly Weekday[];
  /** Dated closures and early closes; a weekday not listed trades the regular session. */
  readonly holidays: readonly CalendarHoliday[];
}

/** One trading session: exchange-local date and its open and close as UTC instants. */
export interface TradingSession {
  /** The exchange-local date, `YYYY-MM-DD`. */
  readonly date: string;
  /** The open, ISO 8601 in UTC. */
  readonly open: string;
  /** The close (the early close on such a day), ISO 8601 in UTC. */
  readonly close: string;
  /** The holiday's name on an early-close day. */
  readonly earlyClose?: string;
}

/** The time the cluster should be up for one session: `[up, down)`. */
export interface UptimeWindow {
  /** The exchange-local date of the session. */
  readonly date: string;
  /** `open - warmUp`, ISO 8601 in UTC. */
  readonly up: string;
  /** `close + coolDown`, ISO 8601 in UTC. */
  readonly down: string;
  /** `up` in the exchange's zone, with its offset (`2026-03-09T08:30:00-04:00`). */
  readonly upLocal: string;
  /** `down` in the exchange's zone, with its offset. */
  readonly downLocal: string;
  /** The session the window surrounds. */
  readonly session: TradingSession;
}

/** What the cluster should be at an instant, and when that next changes. */
export interface DesiredState {
  readonly state: 'up' | 'down';
  /** Why, in words: the window, the weekend, the holiday. */
  readonly reason: string;
  /** The window the instant is in (only when `up`). */
  readonly window?: { readonly up: string; readonly down: string };
  /** The start of the next window after the instant's (ISO 8601, UTC). */
  readonly nextUp: string;
  /** The end of the current window when up, of the next one when down (ISO 8601, UTC). */
  readonly nextDown: string;
}

/**
 * What a guard run found: every server there and the cluster recorded ready to trade (`up`),
 * every server running but not recorded ready (`not-ready`: a readiness wait failed or was
 * interrupted), none (`down`), or some (`partial`: a failed or half-done run).
 */
export type ObservedState = 'up' | 'down' | 'partial' | 'not-ready';

/** What a guard run should do. Both actions are idempotent (`apply` / `destroy`). */
export type GuardAction = 'ensure-up' | 'ensure-down' | 'nothing';

/** Hours of a stretch of days, for cost estimates. */
export interface UptimeSummary {
  /** Days with a session (early closes included). */
  readonly tradingDays: number;
  /** Of those, early-close days. */
  readonly earlyCloses: number;
  /** Hours the exchange is open. */
  readonly marketHours: number;
  /** Hours the cluster is up (sum of the windows). */
  readonly uptimeHours: number;
  /** Hours one server is billed: each window rounded up to whole hours (Hetzner bills started hours). */
  readonly billedHours: number;
}

/** A calendar that fails {@link calendarProblems}; lists every broken rule. */
export class CalendarConfigError extends Error {
  /** The fields the broken rules concern, as paths such as `calendar.holidays[2].date`. */
  readonly fields: readonly string[];
  /** One message per broken rule, each naming its field, the value and the fix. */
  readonly problems: readonly string[];

  constructor(
    readonly calendar: string,
    problems: readonly ConfigProblem[],
  ) {
    super(`Invalid trading calendar '${calendar}':\n` + problems.map((p) => `  - ${p.message}`).join('\n'));
    this.name = 'CalendarConfigError';
    this.problems = problems.map((p) => p.message);
    this.fields = [...new Set(problems.map((p) => p.field))];
  }
}

// ----- validation ------------------------------------------------------------------

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MIC = /^[A-Z0-9]{4}$/;
/** An ISO 8601 date-time that states its offset (a bare local time would be ambiguous). */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/i;

const HH_MM_TEXT = "'HH:mm' (24-hour, exchange-local time)";
const WEEKDAY_TEXT = WEEKDAYS.map((d) => `'${d}'`).join(', ');

/** The English name of a date's weekday, e.g. `Saturday`. */
const dayName = (day: DateTime) => day.setLocale('en-US').weekdayLong!;

/** Minutes since midnight of a valid 'HH:mm'. */
function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

const isTime = (v: unknown): v is string => typeof v === 'string' && HH_MM.test(v);
const isWholeIn = (v: unknown, max: number): v is number =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max;

/** The problem with a 'YYYY-MM-DD' string that names no real date, if any. */
function dateProblem(value: string, field: string): string | undefined {
  const [, y, m, d] = ISO_DATE.exec(value)!;
  if (DateTime.fromISO(value).isValid) return undefined;
  const month = Number(m);
  const why =
    month < 1 || month > 12
      ? `there is no month ${m}`
      : `${y}-${m} has ${DateTime.fromObject({ year: Number(y), month }).daysInMonth} days, not ${d}`;
  return `${field} must be a date that exists, got ${show(value)}, but ${why}; write an existing 'YYYY-MM-DD'`;
}

const timeZoneRule: FieldRule = {
  expectation: "the exchange's IANA time zone such as 'America/New_York' or 'Europe/Berlin'",
  check: (value, field) => {
    const expectation = `an IANA time zone of the tz database such as 'America/New_York' or 'Europe/Berlin'`;
    if (typeof value !== 'string' || !Info.isValidIANAZone(value)) return [mustBe(field, expectation, value)];
    if (!value.includes('/') || /^etc\//i.test(value)) {
      return [
        {
          field,
          message: `${field} must be the exchange's region zone such as 'America/New_York', got ${show(value)}, a fixed offset or abbreviation that ignores the exchange's daylight saving time`,
        },
      ];
    }
    const spelled = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
    if (spelled !== value && spelled.toLowerCase() === value.toLowerCase()) {
      return [
        {
          field,
          message: `${field} must be spelled as the tz database does, got ${show(value)}; write '${spelled}'`,
        },
      ];
    }
    return [];
  },
};

const tradingDaysRule: FieldRule = {
  optional: true,
  expectation: `a non-empty list of weekdays such as ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'] (${WEEKDAY_TEXT})`,
  check: (value, field) => {
    if (!Array.isArray(value) || value.length === 0)
      return [mustBe(field, tradingDaysRule.expectation, value)];
    const problems: ConfigProblem[] = [];
    value.forEach((day: unknown, i) => {
      const at = `${field}[${i}]`;
      if (!(WEEKDAYS as readonly unknown[]).includes(day)) {
        problems.push(mustBe(at, `one of ${WEEKDAY_TEXT}`, day));
      } else if (value.indexOf(day) !== i) {
        problems.push({
          field: at,
          message: `${at} ${show(day)} repeats ${field}[${value.indexOf(day)}]; list each weekday once`,
        });
      }
    });
    return problems;
  },
};

const HOLIDAY_EXPECTATION =
  "an object { date, name, closesAt? }, e.g. { date: '2026-12-24', name: 'Christmas Eve', closesAt: '13:00' }";

const HOLIDAY_RULES = {
  date: text("a date 'YYYY-MM-DD' such as '2026-12-25'", ISO_DATE, { extra: dateProblem }),
  name: text("a non-empty name such as 'Christmas Day'", /\S/),
  closesAt: text(
    `an early-close time ${HH_MM_TEXT} such as '13:00'; leave it out for a day closed all day`,
    HH_MM,
    { optional: true },
  ),
} satisfies Record<keyof CalendarHoliday, FieldRule>;

const CALENDAR_RULES = {
  exchange: text("the exchange's MIC, 4 capital letters or digits such as 'XNYS' or 'XETR'", MIC),
  timeZone: timeZoneRule,
  open: text(`the regular open ${HH_MM_TEXT} such as '09:30'`, HH_MM),
  close: text(`the regular close ${HH_MM_TEXT} such as '16:00'`, HH_MM),
  warmUpMinutes: wholeNumber(0, MAX_WARM_UP_MINUTES, {
    expectation: `a whole number of minutes 0-${MAX_WARM_UP_MINUTES} (how long before the open the cluster comes up)`,
  }),
  coolDownMinutes: wholeNumber(0, MAX_COOL_DOWN_MINUTES, {
    expectation: `a whole number of minutes 0-${MAX_COOL_DOWN_MINUTES} (how long after the close the cluster stays up)`,
  }),
  readyBeforeOpenMinutes: wholeNumber(0, MAX_WARM_UP_MINUTES, {
    optional: true,
    expectation: `a whole number of minutes 0-${MAX_WARM_UP_MINUTES} (how long before the open the cluster must be ready), less than warmUpMinutes`,
  }),
  tradingDays: tradingDaysRule,
  holidays: listOf(
    (value, field, config) => checkObject(value, field, HOLIDAY_RULES, HOLIDAY_EXPECTATION, config),
    "a list of holidays such as [{ date: '2026-12-25', name: 'Christmas Day' }] (may be empty)",
  ),
} satisfies Record<keyof TradingCalendarConfig, FieldRule>;

/** Rules across fields; each reads only fields that passed their own rule. */
function crossProblems(cal: RawConfig, field: string): ConfigProblem[] {
  const at = (key: string) => `${field}.${key}`;
  const problems: ConfigProblem[] = [];
  const { open, close, warmUpMinutes: warm, coolDownMinutes: cool } = cal;
  const timesOk = isTime(open) && isTime(close);
  if (timesOk && minutesOf(close) <= minutesOf(open)) {
    problems.push({
      field: at('close'),
      message: `${at('close')} ${show(close)} is not after ${at('open')} ${show(open)}; a session opens and closes on the same local day, so set close later than open (e.g. open '09:30', close '16:00')`,
    });
  }
  if (
    timesOk &&
    minutesOf(close) > minutesOf(open) &&
    isWholeIn(warm, MAX_WARM_UP_MINUTES) &&
    isWholeIn(cool, MAX_COOL_DOWN_MINUTES)
  ) {
    const total = warm + minutesOf(close) - minutesOf(open) + cool;
    if (total > MAX_WINDOW_HOURS * 60) {
      problems.push({
        field: at('warmUpMinutes'),
        message: `${at('warmUpMinutes')} ${show(warm)} + the session ${open}-${close} + ${at('coolDownMinutes')} ${show(cool)} make a window of ${Math.floor(total / 60)} h ${total % 60} min, more than ${MAX_WINDOW_HOURS} h; a daily create/destroy cycle needs the rest of the day, so shorten the warm-up or cool-down (or keep such a cluster up permanently)`,
      });
    }
  }
  const readyBy = cal.readyBeforeOpenMinutes ?? DEFAULT_READY_BEFORE_OPEN_MINUTES;
  if (isWholeIn(warm, MAX_WARM_UP_MINUTES) && isWholeIn(readyBy, MAX_WARM_UP_MINUTES) && readyBy >= warm) {
    problems.push({
      field: at('readyBeforeOpenMinutes'),
      message: `${at('readyBeforeOpenMinutes')} ${show(readyBy)}${cal.readyBeforeOpenMinutes === undefined ? ' (the default)' : ''} is not less than ${at('warmUpMinutes')} ${show(warm)}: the cluster comes up ${show(warm)} min before the open and cannot be ready ${show(readyBy)} min before it; raise warmUpMinutes or lower readyBeforeOpenMinutes`,
    });
  }
  // Early closes are checked against the trading days only when those are valid.
  const days: readonly unknown[] | undefined =
    cal.tradingDays === undefined
      ? DEFAULT_TRADING_DAYS
      : tradingDaysRule.check(cal.tradingDays, at('tradingDays'), cal).length === 0
        ? (cal.tradingDays as readonly unknown[])
        : undefined;
  const holidays = Array.isArray(cal.holidays) ? cal.holidays : [];
  const firstOf = new Map<string, number>();
  holidays.forEach((h: unknown, i) => {
    if (!isRecord(h)) return;
    const here = `${at('holidays')}[${i}]`;
    const date = typeof h.date === 'string' && ISO_DATE.test(h.date) ? DateTime.fromISO(h.date) : undefined;
    if (date?.isValid) {
      const seen = firstOf.get(h.date as string);
      if (seen !== undefined) {
        problems.push({
          field: `${here}.date`,
          message: `${here}.date ${show(h.date)} repeats ${at('holidays')}[${seen}].date; keep one entry per date (with closesAt for an early close)`,
        });
      } else {
        firstOf.set(h.date as string, i);
      }
    }
    if (!isTime(h.closesAt)) return;
    const closesAt = `${here}.closesAt`;
    if (timesOk && !(minutesOf(h.closesAt) > minutesOf(open) && minutesOf(h.closesAt) < minutesOf(close))) {
      problems.push({
        field: closesAt,
        message: `${closesAt} ${show(h.closesAt)} must be after the open '${open}' and before the regular close '${close}'; an early close shortens the session (leave closesAt out for a day closed all day)`,
      });
    }
    if (date?.isValid && days && !days.includes(WEEKDAYS[date.weekday - 1])) {
      problems.push({
        field: closesAt,
        message: `${closesAt} ${show(h.closesAt)} is an early close on ${h.date}, a ${dayName(date)}, which is not a trading day (${at('tradingDays')} ${show(days)}); check the date, or drop the entry`,
      });
    }
  });
  return problems;
}

/**
 * Every broken rule of a calendar (empty when valid). Nothing trusts the static types:
 * pass anything (JSON, plain JS). Each message names the field (a path under `field`),
 * shows the value as JSON with its type (`got "25:00" (string)`) and says how to fix it.
 */
export function calendarProblems(cal: unknown, field = 'calendar'): ConfigProblem[] {
  const own = checkObject(cal, field, CALENDAR_RULES, 'a trading calendar object', {});
  return isRecord(cal) ? [...own, ...crossProblems(cal, field)] : own;
}

// ----- compiled calendars ----------------------------------------------------------

/** A validated calendar in the form the computations use. */
interface Compiled {
  readonly cal: TradingCalendarConfig;
  readonly openMinutes: number;
  readonly closeMinutes: number;
  readonly weekdays: ReadonlySet<number>;
  readonly holidays: ReadonlyMap<string, CalendarHoliday>;
  /** Windows by day number (`null`: no session), each computed once. */
  readonly windows: Map<number, RawWindow | null>;
}

/**
 * A window with its instants as milliseconds and every string the answers use, computed
 * once per date. Dates are day numbers (days since 1970-01-01): calendar dates without a
 * zone, so stepping from one day to the next involves no zone rules.
 */
interface RawWindow {
  readonly day: number;
  readonly date: string;
  readonly upMs: number;
  readonly downMs: number;
  readonly window: UptimeWindow;
  /** Local 'HH:mm' of up, open, close, down, for the reasons. */
  readonly local: {
    readonly up: string;
    readonly open: string;
    readonly close: string;
    readonly down: string;
  };
  readonly holiday?: CalendarHoliday;
}

const DAY_MS = 86_400_000;

/** Most windows a compiled calendar remembers (about 27 years of days). */
const MAX_CACHED_WINDOWS = 10_000;

/** Calendars are treated as immutable: each object is validated once. */
const compiled = new WeakMap<object, Compiled>();

/**
 * Validates a calendar (throwing {@link CalendarConfigError} with every problem) and
 * returns it typed. The functions of this module call it on every calendar they get.
 */
export function assertCalendar(cal: unknown, name?: string): TradingCalendarConfig {
  return compile(cal, name).cal;
}

function compile(cal: unknown, name?: string): Compiled {
  if (isRecord(cal)) {
    const hit = compiled.get(cal);
    if (hit) return hit;
  }
  const problems = calendarProblems(cal);
  if (problems.length > 0) {
    const label = name ?? (isRecord(cal) && typeof cal.exchange === 'string' ? cal.exchange : 'calendar');
    throw new CalendarConfigError(label, problems);
  }
  const valid = cal as TradingCalendarConfig;
  const result: Compiled = {
    cal: valid,
    openMinutes: minutesOf(valid.open),
    closeMinutes: minutesOf(valid.close),
    weekdays: new Set((valid.tradingDays ?? DEFAULT_TRADING_DAYS).map((d) => WEEKDAYS.indexOf(d) + 1)),
    holidays: new Map(valid.holidays.map((h) => [h.date, h])),
    windows: new Map(),
  };
  compiled.set(valid, result);
  return result;
}

/** The calendar date of a day number (a date, no zone involved). */
const dateOf = (day: number): DateTime => DateTime.fromMillis(day * DAY_MS, { zone: 'utc' });
/** The day number of a calendar date. */
const dayOf = (date: DateTime): number => Math.round(Date.UTC(date.year, date.month - 1, date.day) / DAY_MS);

/** The exchange-local wall time `minutes` after midnight of `date`, as an instant. */
function localTime(c: Compiled, date: DateTime, minutes: number): DateTime {
  return DateTime.fromObject(
    {
      year: date.year,
      month: date.month,
      day: date.day,
      hour: Math.floor(minutes / 60),
      minute: minutes % 60,
    },
    { zone: c.cal.timeZone },
  );
}

const utc = (t: DateTime) => t.toUTC().toISO({ suppressMilliseconds: true })!;
const local = (t: DateTime) => t.toISO({ suppressMilliseconds: true })!;
const hhmm = (t: DateTime) => t.toFormat('HH:mm');

/** The window of one exchange-local date (a day number), or undefined when the exchange is closed. */
function rawWindow(c: Compiled, day: number): RawWindow | undefined {
  let w = c.windows.get(day);
  if (w === undefined) {
    if (c.windows.size >= MAX_CACHED_WINDOWS) c.windows.clear();
    w = computeWindow(c, day) ?? null;
    c.windows.set(day, w);
  }
  return w ?? undefined;
}

function computeWindow(c: Compiled, day: number): RawWindow | undefined {
  const date = dateOf(day);
  if (!c.weekdays.has(date.weekday)) return undefined;
  const iso = date.toISODate()!;
  const holiday = c.holidays.get(iso);
  if (holiday && holiday.closesAt === undefined) return undefined;
  const open = localTime(c, date, c.openMinutes);
  const close = localTime(c, date, holiday ? minutesOf(holiday.closesAt!) : c.closeMinutes);
  // Minutes are time, not calendar, arithmetic in Luxon: a warm-up across a DST change
  // still lasts warmUpMinutes of real time.
  const up = open.minus({ minutes: c.cal.warmUpMinutes });
  const down = close.plus({ minutes: c.cal.coolDownMinutes });
  // Frozen: the same objects are handed to every caller that asks for this date.
  const session: TradingSession = Object.freeze({
    date: iso,
    open: utc(open),
    close: utc(close),
    ...(holiday ? { earlyClose: holiday.name } : {}),
  });
  return {
    day,
    date: iso,
    upMs: up.toMillis(),
    downMs: down.toMillis(),
    window: Object.freeze({
      date: iso,
      up: utc(up),
      down: utc(down),
      upLocal: local(up),
      downLocal: local(down),
      session,
    }),
    local: { up: hhmm(up), open: hhmm(open), close: hhmm(close), down: hhmm(down) },
    holiday,
  };
}

/** An exchange-local date 'YYYY-MM-DD' as a day number; throws on bad input. */
function parseLocalDate(value: unknown, what: string): number {
  const date =
    typeof value === 'string' && ISO_DATE.test(value) ? DateTime.fromISO(value, { zone: 'utc' }) : undefined;
  if (!date?.isValid) {
    throw new TypeError(
      `${what} must be an exchange-local date 'YYYY-MM-DD' such as '2026-03-09', got ${show(value)}`,
    );
  }
  return dayOf(date);
}

/** An instant from a Date or an ISO 8601 string with an offset, as milliseconds; throws on bad input. */
function parseInstant(value: unknown): number {
  let ms: number | undefined;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'string' && ISO_INSTANT.test(value)) {
    const t = DateTime.fromISO(value, { setZone: true });
    if (t.isValid) ms = t.toMillis();
  }
  if (ms === undefined || !Number.isFinite(ms)) {
    const got = value instanceof Date ? 'an invalid Date' : show(value);
    throw new TypeError(
      `instant must be a Date or an ISO 8601 time with its offset such as '2026-03-09T13:30:00Z' or '2026-03-09T09:30:00-04:00', got ${got}`,
    );
  }
  return ms;
}

/** The first window starting strictly after `after`, scanning from day number `from`. */
function nextWindow(c: Compiled, from: number, after: number): RawWindow {
  for (let day = from; day <= from + MAX_SCAN_DAYS; day++) {
    const w = rawWindow(c, day);
    if (w && w.upMs > after) return w;
  }
  throw new Error(
    `no trading session on ${c.cal.exchange} within ${MAX_SCAN_DAYS} days after ${dateOf(from).toISODate()}; check tradingDays and holidays`,
  );
}

// ----- the calendar's answers ------------------------------------------------------

/**
 * The session on an exchange-local date, or undefined on a non-trading weekday or a
 * holiday closed all day. On an early-close day `close` is the early close.
 */
export function sessionOn(cal: TradingCalendarConfig, localDate: string): TradingSession | undefined {
  return windowOn(cal, localDate)?.session;
}

/** The uptime window `[open - warmUp, close + coolDown)` of an exchange-local date, if it trades. */
export function windowOn(cal: TradingCalendarConfig, localDate: string): UptimeWindow | undefined {
  return rawWindow(compile(cal), parseLocalDate(localDate, 'localDate'))?.window;
}

/**
 * The windows of `days` exchange-local days from `from` (a 'YYYY-MM-DD' date), in order,
 * one per trading day, with `up`/`down` in UTC (for cron) and in local time (for people).
 */
export function transitions(cal: TradingCalendarConfig, from: string, days: number): UptimeWindow[] {
  const c = compile(cal);
  const start = parseLocalDate(from, 'from');
  if (!isWholeIn(days, MAX_TRANSITION_DAYS)) {
    throw new RangeError(`days must be a whole number 0-${MAX_TRANSITION_DAYS}, got ${show(days)}`);
  }
  const windows: UptimeWindow[] = [];
  for (let day = start; day < start + days; day++) {
    const w = rawWindow(c, day);
    if (w) windows.push(w.window);
  }
  return windows;
}

/**
 * Whether the cluster should be up at `instant` (a Date, or ISO 8601 with its offset):
 * up iff `up <= instant < down` for some trading day's window. Also says why, and when
 * the state next changes (`nextUp`, `nextDown`), so a scheduler can sleep until then.
 */
export function desiredState(cal: TradingCalendarConfig, instant: Date | string): DesiredState {
  const c = compile(cal);
  const ms = parseInstant(instant);
  const { exchange, timeZone, warmUpMinutes, coolDownMinutes } = c.cal;
  // Offsets are -12 h to +14 h, warm-up and cool-down at most 6 h: the window of a local
  // date starts at most 20 h before the UTC midnight that begins that date and ends at
  // most 18 h after the one that ends it, so only the windows of the dates one day either
  // side of the instant's UTC date can hold it.
  const utcDay = Math.floor(ms / DAY_MS);
  for (let day = utcDay - 1; day <= utcDay + 1; day++) {
    const w = rawWindow(c, day);
    if (w && w.upMs <= ms && ms < w.downMs) {
      const next = nextWindow(c, day + 1, w.downMs);
      const close = w.holiday ? `early close ${w.local.close} (${w.holiday.name})` : `close ${w.local.close}`;
      return {
        state: 'up',
        reason: `inside the ${exchange} window of ${w.date}: up ${w.local.up}-${w.local.down} ${timeZone} (open ${w.local.open}, ${close}, warm-up ${warmUpMinutes} min, cool-down ${coolDownMinutes} min)`,
        window: { up: w.window.up, down: w.window.down },
        nextUp: next.window.up,
        nextDown: w.window.down,
      };
    }
  }
  // The window of the date before the instant's UTC date may still start after it (at
  // UTC-12 a window can start up to 36 h after its date's UTC midnight); earlier ones cannot.
  const next = nextWindow(c, utcDay - 1, ms);
  const reason = downReason(c, dayOf(DateTime.fromMillis(ms, { zone: timeZone })), ms);
  return {
    state: 'down',
    reason: `${reason}; next up ${next.window.up} (${next.local.up} ${timeZone} on ${next.date})`,
    nextUp: next.window.up,
    nextDown: next.window.down,
  };
}

/** Why the cluster should be down at `ms`, from the exchange-local day (a day number) it falls on. */
function downReason(c: Compiled, today: number, ms: number): string {
  const { exchange, timeZone } = c.cal;
  const date = dateOf(today);
  const iso = date.toISODate()!;
  if (!c.weekdays.has(date.weekday)) {
    const days = (c.cal.tradingDays ?? DEFAULT_TRADING_DAYS).join(', ');
    return `${dayName(date)} ${iso} is not a trading day on ${exchange} (trading days ${days})`;
  }
  const holiday = c.holidays.get(iso);
  if (holiday && holiday.closesAt === undefined) {
    return `${iso} is a holiday on ${exchange} (${holiday.name}), closed all day`;
  }
  const w = rawWindow(c, today)!;
  if (ms < w.upMs) {
    return `before the ${exchange} window of ${iso}: up at ${w.local.up} ${timeZone}, ${c.cal.warmUpMinutes} min before the ${w.local.open} open`;
  }
  const close = w.holiday ? `early close (${w.holiday.name})` : 'close';
  return `after the ${exchange} window of ${iso}: down since ${w.local.down} ${timeZone}, ${c.cal.coolDownMinutes} min after the ${w.local.close} ${close}`;
}

/**
 * What a scheduled guard run should do, given what it observed. Pure, so idempotent: a
 * late, early or repeated run computes the same action from the same state, and after the
 * action the next run finds the desired state and does `nothing`. A `partial` cluster (a
 * failed or half-done apply or destroy) and a `not-ready` one (servers running, readiness
 * never reached: `ensure-up` waits again and reports what is missing) are always driven to
 * the desired state. The guard
 * never brings a cluster up outside a window, nor leaves one up after it.
 */
export function guardDecision(
  cal: TradingCalendarConfig,
  instant: Date | string,
  observed: ObservedState,
): GuardAction {
  if (observed !== 'up' && observed !== 'down' && observed !== 'partial' && observed !== 'not-ready') {
    throw new TypeError(`observed must be 'up', 'down', 'partial' or 'not-ready', got ${show(observed)}`);
  }
  const { state } = desiredState(cal, instant);
  if (observed === state) return 'nothing';
  return state === 'up' ? 'ensure-up' : 'ensure-down';
}

/** Minutes before the open by which the cluster must be ready, unless the calendar says. */
export const DEFAULT_READY_BEFORE_OPEN_MINUTES = 10;

/**
 * The readiness deadline of the window `instant` is in, if that is still before the open:
 * `open - readyBeforeOpenMinutes` (ISO 8601, UTC). Undefined outside a window or once the
 * session has opened (a repair during the session waits its own timeout).
 */
export function readinessDeadline(cal: TradingCalendarConfig, instant: Date | string): string | undefined {
  const d = desiredState(cal, instant);
  if (d.state !== 'up' || !d.window) return undefined;
  const upDate = DateTime.fromISO(d.window.up, { zone: cal.timeZone }).toISODate()!;
  const w = transitions(cal, upDate, 2).find((x) => x.up === d.window!.up);
  if (!w) return undefined;
  const minutes = cal.readyBeforeOpenMinutes ?? DEFAULT_READY_BEFORE_OPEN_MINUTES;
  const at = typeof instant === 'string' ? Date.parse(instant) : instant.getTime();
  if (at >= Date.parse(w.session.open)) return undefined;
  return new Date(Date.parse(w.session.open) - minutes * 60_000).toISOString();
}

// ----- hours, for cost estimates ---------------------------------------------------

/** Hours the exchange is open on a regular day (no early close). */
export function marketHoursPerDay(cal: TradingCalendarConfig): number {
  const c = compile(cal);
  return (c.closeMinutes - c.openMinutes) / 60;
}

/**
 * Hours one server is billed on a regular trading day: the window (warm-up + session +
 * cool-down) rounded up to whole hours, as Hetzner bills every started hour.
 */
export function billedHoursPerDay(cal: TradingCalendarConfig): number {
  const c = compile(cal);
  return Math.ceil((c.cal.warmUpMinutes + c.closeMinutes - c.openMinutes + c.cal.coolDownMinutes) / 60);
}

/**
 * Trading days, market hours, uptime and billed hours over `days` exchange-local days
 * from `from`, holidays and early closes included. Durations are real time (a window
 * across a DST change lasts what the instants say).
 */
export function uptimeSummary(cal: TradingCalendarConfig, from: string, days: number): UptimeSummary {
  const windows = transitions(cal, from, days);
  const hours = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 3_600_000;
  return {
    tradingDays: windows.length,
    earlyCloses: windows.filter((w) => w.session.earlyClose !== undefined).length,
    marketHours: windows.reduce((sum, w) => sum + hours(w.session.open, w.session.close), 0),
    uptimeHours: windows.reduce((sum, w) => sum + hours(w.up, w.down), 0),
    billedHours: windows.reduce((sum, w) => sum + Math.ceil(hours(w.up, w.down) - 1e-9), 0),
  };
}
