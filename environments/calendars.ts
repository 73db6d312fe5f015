import type { CalendarHoliday, TradingCalendarConfig } from '../lib/calendar';

/**
 * The trading calendars: when each environment's cluster should be up. Keyed by
 * environment name (a calendar is not a field of `EnvironmentConfig`, so the environment
 * rule table stays as it is); `__tests__/lib/calendar.test.ts` checks there is one per
 * environment and that each validates.
 *
 * Holiday lists are dated facts, not rules: extend them each year when the exchange
 * publishes the next one (a weekday not listed trades the regular session).
 */

/**
 * NYSE (XNYS) holidays and early closes, 2026-2027.
 *
 * Source: NYSE Group press release "NYSE Group Announces 2026, 2027 and 2028 Holiday and
 * Early Closings Calendar" (23 December 2025, reprinted by mondovisione.com), checked
 * 2026-11-23 against the release of 8 November 2024 for 2026-2027, which lists the same
 * dates. Early closes at 1:00 p.m. Eastern: the day after Thanksgiving 2026 and 2027 and
 * Christmas Eve 2026. None in July either year (Independence Day is observed on Friday
 * 3 July 2026 and Monday 5 July 2027) and none before Christmas 2027 (observed Friday
 * 24 December).
 */
export const XNYS_HOLIDAYS: readonly CalendarHoliday[] = [
  { date: '2026-01-01', name: "New Year's Day" },
  { date: '2026-01-19', name: 'Martin Luther King, Jr. Day' },
  { date: '2026-02-16', name: "Washington's Birthday" },
  { date: '2026-04-03', name: 'Good Friday' },
  { date: '2026-05-25', name: 'Memorial Day' },
  { date: '2026-06-19', name: 'Juneteenth National Independence Day' },
  { date: '2026-07-03', name: 'Independence Day (observed)' },
  { date: '2026-09-07', name: 'Labor Day' },
  { date: '2026-11-26', name: 'Thanksgiving Day' },
  { date: '2026-11-27', name: 'Day after Thanksgiving', closesAt: '13:00' },
  { date: '2026-12-24', name: 'Christmas Eve', closesAt: '13:00' },
  { date: '2026-12-25', name: 'Christmas Day' },
  { date: '2027-01-01', name: "New Year's Day" },
  { date: '2027-01-18', name: 'Martin Luther King, Jr. Day' },
  { date: '2027-02-15', name: "Washington's Birthday" },
  { date: '2027-03-26', name: 'Good Friday' },
  { date: '2027-05-31', name: 'Memorial Day' },
  { date: '2027-06-18', name: 'Juneteenth National Independence Day (observed)' },
  { date: '2027-07-05', name: 'Independence Day (observed)' },
  { date: '2027-09-06', name: 'Labor Day' },
  { date: '2027-11-25', name: 'Thanksgiving Day' },
  { date: '2027-11-26', name: 'Day after Thanksgiving', closesAt: '13:00' },
  { date: '2027-12-24', name: 'Christmas Day (observed)' },
];

/**
 * Xetra (XETR) non-trading days and early closes, 2026-2027. Weekend dates of the
 * exchange's list (26 Dec 2026; 1 May, 25 and 26 Dec 2027) are left out.
 *
 * Source: Deutsche Börse cash market, "Trading calendar and trading hours", non-trading
 * days of the Frankfurt Stock Exchange (FWB) 2024-2029, checked 2026-11-23; on 24 and
 * 31 December there is no trading (settlement only). Xetra trades on Whit Monday and
 * 3 October. The last trading day of the year closes at 14:00 (closing auction from
 * 14:00): so on 30 December 2025 (ariva.de, 29 December 2025) and in the years before
 * (Eurex circulars for 2020 and 2021). Deutsche Börse announces it each December, so the
 * 2026 and 2027 entries are that practice, to be confirmed then.
 */
export const XETR_HOLIDAYS: readonly CalendarHoliday[] = [
  { date: '2026-01-01', name: "New Year's Day" },
  { date: '2026-04-03', name: 'Good Friday' },
  { date: '2026-04-06', name: 'Easter Monday' },
  { date: '2026-05-01', name: 'Labour Day' },
  { date: '2026-12-24', name: 'Christmas Eve' },
  { date: '2026-12-25', name: 'Christmas Day' },
  { date: '2026-12-30', name: 'Last trading day of the year', closesAt: '14:00' },
  { date: '2026-12-31', name: "New Year's Eve" },
  { date: '2027-01-01', name: "New Year's Day" },
  { date: '2027-03-26', name: 'Good Friday' },
  { date: '2027-03-29', name: 'Easter Monday' },
  { date: '2027-12-24', name: 'Christmas Eve' },
  { date: '2027-12-30', name: 'Last trading day of the year', closesAt: '14:00' },
  { date: '2027-12-31', name: "New Year's Eve" },
];

/** The New York Stock Exchange's regular session, 09:30-16:00 Eastern, Monday to Friday. */
const XNYS = {
  exchange: 'XNYS',
  timeZone: 'America/New_York',
  open: '09:30',
  close: '16:00',
  tradingDays: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'],
  holidays: XNYS_HOLIDAYS,
} as const;

/**
 * Xetra's continuous trading, 09:00-17:30 Frankfurt time, Monday to Friday. Not used by
 * an environment today: point one at it (`{ ...XETR_CALENDAR, warmUpMinutes, ... }`) to
 * follow the German market.
 */
export const XETR_CALENDAR: TradingCalendarConfig = {
  exchange: 'XETR',
  timeZone: 'Europe/Berlin',
  open: '09:00',
  close: '17:30',
  warmUpMinutes: 30,
  coolDownMinutes: 15,
  tradingDays: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'],
  holidays: XETR_HOLIDAYS,
};

/**
 * Each environment's calendar. Both follow XNYS, so dev runs the apps against the same
 * market hours, holidays and DST dates as prod, and the schedule is proven on dev first.
 *
 * - prod: up 60 min before the open (six servers to create and join, three Kafka brokers,
 *   Argo CD to sync) and 30 min after the close; a regular day's window is 08:30-16:30 Eastern
 *   (8 billed hours, within prod's `uptimeHoursPerDay` of 10).
 * - dev: 30 min and 15 min (two servers, one broker); 09:00-16:15 Eastern, 8 billed
 *   hours, dev's `uptimeHoursPerDay`.
 */
export const CALENDARS: Readonly<Record<string, TradingCalendarConfig>> = {
  dev: { ...XNYS, warmUpMinutes: 30, coolDownMinutes: 15 },
  prod: { ...XNYS, warmUpMinutes: 60, coolDownMinutes: 30 },
};

/** The calendar of an environment; throws naming the known environments for another name. */
export function calendarFor(environment: string): TradingCalendarConfig {
  const cal = Object.hasOwn(CALENDARS, environment) ? CALENDARS[environment] : undefined;
  if (!cal) {
    throw new Error(
      `no trading calendar for environment '${environment}'; add one to CALENDARS in environments/calendars.ts (known: ${Object.keys(CALENDARS).join(', ')})`,
    );
  }
  return cal;
}
