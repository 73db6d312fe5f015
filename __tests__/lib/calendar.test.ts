import { ENVIRONMENTS } from '../../environments';
import { CALENDARS, calendarFor, XETR_CALENDAR, XNYS_HOLIDAYS } from '../../environments/calendars';
import {
  assertCalendar,
  billedHoursPerDay,
  CalendarConfigError,
  calendarProblems,
  desiredState,
  guardDecision,
  marketHoursPerDay,
  ObservedState,
  sessionOn,
  TradingCalendarConfig,
  transitions,
  uptimeSummary,
  UptimeWindow,
  windowOn,
} from '../../lib/calendar';

const prod = CALENDARS.prod;
const dev = CALENDARS.dev;
const xetr = XETR_CALENDAR;

/**
 * Tokyo: 09:00-15:30 JST (UTC+9, no DST), so a 30-minute warm-up starts at 23:30 UTC the
 * day before: every window crosses the UTC date boundary. A test calendar; its holidays
 * are a sample, not the exchange's list.
 */
const tokyo: TradingCalendarConfig = {
  exchange: 'XTKS',
  timeZone: 'Asia/Tokyo',
  open: '09:00',
  close: '15:30',
  warmUpMinutes: 30,
  coolDownMinutes: 15,
  holidays: [{ date: '2026-03-20', name: 'Vernal Equinox Day' }],
};

/**
 * Trades every day 03:00-12:00 New York time with a 3-hour warm-up: on 2026-03-08 the
 * warm-up starts the evening before (local) and spans the skipped hour; on 2026-11-01 it
 * spans the repeated hour. A test calendar for the DST days themselves.
 */
const everyDay: TradingCalendarConfig = {
  exchange: 'TEST',
  timeZone: 'America/New_York',
  open: '03:00',
  close: '12:00',
  warmUpMinutes: 180,
  coolDownMinutes: 60,
  tradingDays: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
  holidays: [],
};

/** An evening session whose cool-down runs past local midnight. A test calendar. */
const evening: TradingCalendarConfig = {
  exchange: 'XEVE',
  timeZone: 'Europe/Berlin',
  open: '18:00',
  close: '23:00',
  warmUpMinutes: 30,
  coolDownMinutes: 120,
  holidays: [],
};

/**
 * An evening session west of UTC: 17:00-22:00 in Honolulu (UTC-10, no DST) is 03:00-08:00
 * UTC the next day, so a local date's window starts on the following UTC date. A test
 * calendar.
 */
const honolulu: TradingCalendarConfig = {
  exchange: 'XHNL',
  timeZone: 'Pacific/Honolulu',
  open: '17:00',
  close: '22:00',
  warmUpMinutes: 60,
  coolDownMinutes: 30,
  holidays: [],
};

const MINUTE = 60_000;
const ms = (iso: string) => Date.parse(iso);
const hoursBetween = (a: string, b: string) => (ms(b) - ms(a)) / 3_600_000;
const addDays = (date: string, n: number) =>
  new Date(ms(`${date}T12:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

describe('shipped calendars', () => {
  test('every environment has exactly one calendar', () => {
    expect(Object.keys(CALENDARS).sort()).toEqual(ENVIRONMENTS.map((e) => e.name).sort());
  });

  test.each([...Object.entries(CALENDARS), ['XETR_CALENDAR', xetr] as const])('%s is valid', (_, cal) => {
    expect(calendarProblems(cal)).toEqual([]);
  });

  test.each(ENVIRONMENTS.map((e) => [e.name, e] as const))(
    "%s: a regular day's billed hours fit the uptimeHoursPerDay the cost estimate assumes",
    (name, env) => {
      expect(billedHoursPerDay(calendarFor(name))).toBeLessThanOrEqual(env.uptimeHoursPerDay);
    },
  );

  test('dev and prod windows on a regular day: 8 billed hours each', () => {
    expect(windowOn(prod, '2026-06-01')).toMatchObject({
      upLocal: '2026-06-01T08:30:00-04:00',
      downLocal: '2026-06-01T16:30:00-04:00',
    });
    expect(windowOn(dev, '2026-06-01')).toMatchObject({
      upLocal: '2026-06-01T09:00:00-04:00',
      downLocal: '2026-06-01T16:15:00-04:00',
    });
    expect(marketHoursPerDay(prod)).toBe(6.5);
    expect([billedHoursPerDay(prod), billedHoursPerDay(dev)]).toEqual([8, 8]);
  });

  test('XNYS 2026 and 2027: 251 trading days each, early closes after Thanksgiving and on Christmas Eve 2026', () => {
    expect(uptimeSummary(prod, '2026-01-01', 365)).toEqual({
      tradingDays: 251,
      earlyCloses: 2,
      marketHours: 249 * 6.5 + 2 * 3.5,
      uptimeHours: 249 * 8 + 2 * 5,
      billedHours: 249 * 8 + 2 * 5,
    });
    expect(uptimeSummary(prod, '2027-01-01', 365)).toMatchObject({ tradingDays: 251, earlyCloses: 1 });
    expect(XNYS_HOLIDAYS.filter((h) => h.closesAt).map((h) => h.date)).toEqual([
      '2026-11-27',
      '2026-12-24',
      '2027-11-26',
    ]);
  });

  test('calendarFor names the known environments for an unknown one', () => {
    expect(() => calendarFor('staging')).toThrow(/no trading calendar for environment 'staging'.*dev, prod/);
    expect(() => calendarFor('toString')).toThrow(/no trading calendar/);
  });
});

describe('sessionOn', () => {
  test('a regular day: open and close in UTC', () => {
    expect(sessionOn(prod, '2026-03-10')).toEqual({
      date: '2026-03-10',
      open: '2026-03-10T13:30:00Z',
      close: '2026-03-10T20:00:00Z',
    });
  });

  test('an early-close day closes at the early close and names it', () => {
    expect(sessionOn(prod, '2026-11-27')).toEqual({
      date: '2026-11-27',
      open: '2026-11-27T14:30:00Z',
      close: '2026-11-27T18:00:00Z',
      earlyClose: 'Day after Thanksgiving',
    });
  });

  test.each([
    ['a Saturday', '2026-03-07'],
    ['a Sunday', '2026-03-08'],
    ['a holiday', '2026-04-03'],
    ['an observed holiday', '2027-07-05'],
  ])('%s has no session', (_, date) => {
    expect(sessionOn(prod, date)).toBeUndefined();
    expect(windowOn(prod, date)).toBeUndefined();
  });

  test('XETR: 24 and 31 December closed, 30 December closes at 14:00', () => {
    expect(sessionOn(xetr, '2026-12-24')).toBeUndefined();
    expect(sessionOn(xetr, '2026-12-31')).toBeUndefined();
    expect(sessionOn(xetr, '2026-12-30')?.close).toBe('2026-12-30T13:00:00Z');
    expect(windowOn(xetr, '2026-12-30')?.downLocal).toBe('2026-12-30T14:15:00+01:00');
  });

  test.each([['2026-3-9'], ['2026-02-30'], ['20260309'], [20260309], [undefined]])(
    'refuses the local date %p with the value and its type',
    (date) => {
      expect(() => sessionOn(prod, date as string)).toThrow(
        /localDate must be an exchange-local date 'YYYY-MM-DD'.*got/,
      );
    },
  );
});

describe('daylight saving time: the UTC open follows the exchange zone', () => {
  const byExchange = { XNYS: prod, XETR: xetr };
  test.each([
    // US: EST -> EDT on Sunday 2026-03-08, back on Sunday 2026-11-01.
    ['XNYS', '2026-03-06', '2026-03-06T14:30:00Z'],
    ['XNYS', '2026-03-09', '2026-03-09T13:30:00Z'],
    ['XNYS', '2026-10-30', '2026-10-30T13:30:00Z'],
    ['XNYS', '2026-11-02', '2026-11-02T14:30:00Z'],
    // EU: CET -> CEST on Sunday 2026-03-29, back on Sunday 2026-10-25.
    ['XETR', '2026-03-27', '2026-03-27T08:00:00Z'],
    ['XETR', '2026-03-30', '2026-03-30T07:00:00Z'],
    ['XETR', '2026-10-23', '2026-10-23T07:00:00Z'],
    ['XETR', '2026-10-26', '2026-10-26T08:00:00Z'],
  ] as const)('%s on %s opens at %s', (exchange, date, open) => {
    expect(sessionOn(byExchange[exchange], date)?.open).toBe(open);
  });

  test.each([
    ['2026-03-02', 6.5, 'both on standard time'],
    ['2026-03-09', 5.5, 'US on summer time, EU not yet'],
    ['2026-03-23', 5.5, 'US on summer time, EU not yet'],
    ['2026-03-30', 6.5, 'both on summer time'],
    ['2026-10-19', 6.5, 'both on summer time'],
    ['2026-10-26', 5.5, 'EU back on standard time, US not yet'],
    ['2026-11-02', 6.5, 'both on standard time'],
  ])('week of %s: XNYS opens %d h after XETR (%s)', (date, hours) => {
    expect(hoursBetween(sessionOn(xetr, date)!.open, sessionOn(prod, date)!.open)).toBe(hours);
  });

  test('the window keeps its local times across the change; its UTC times shift by one hour', () => {
    const [friday, monday] = transitions(prod, '2026-03-06', 4);
    expect([friday.date, monday.date]).toEqual(['2026-03-06', '2026-03-09']);
    expect([friday.upLocal, friday.downLocal]).toEqual([
      '2026-03-06T08:30:00-05:00',
      '2026-03-06T16:30:00-05:00',
    ]);
    expect([monday.upLocal, monday.downLocal]).toEqual([
      '2026-03-09T08:30:00-04:00',
      '2026-03-09T16:30:00-04:00',
    ]);
    expect([friday.up, monday.up]).toEqual(['2026-03-06T13:30:00Z', '2026-03-09T12:30:00Z']);
  });

  test('on the spring-forward day a warm-up across the skipped hour lasts its minutes of real time', () => {
    const w = windowOn(everyDay, '2026-03-08')!;
    expect(w.upLocal).toBe('2026-03-07T23:00:00-05:00');
    expect(w.session.open).toBe('2026-03-08T07:00:00Z');
    expect(hoursBetween(w.up, w.session.open)).toBe(3);
    // 03:00-12:00 local is 9 h, as 02:00-03:00 does not exist only before the open.
    expect(hoursBetween(w.session.open, w.session.close)).toBe(9);
  });

  test('on the fall-back day a warm-up across the repeated hour lasts its minutes of real time', () => {
    const w = windowOn(everyDay, '2026-11-01')!;
    expect(w.upLocal).toBe('2026-11-01T01:00:00-04:00');
    expect(w.session.open).toBe('2026-11-01T08:00:00Z');
    expect(hoursBetween(w.up, w.session.open)).toBe(3);
  });

  test('a window whose warm-up starts the local day before holds instants of that day', () => {
    // Saturday 23:30 EST belongs to Sunday 2026-03-08's window.
    expect(desiredState(everyDay, '2026-03-07T23:30:00-05:00')).toMatchObject({
      state: 'up',
      window: { up: '2026-03-08T04:00:00Z', down: '2026-03-08T17:00:00Z' },
    });
  });
});

describe('the UTC date boundary', () => {
  test("Tokyo's window starts the UTC day before its session", () => {
    expect(windowOn(tokyo, '2026-03-10')).toMatchObject({
      up: '2026-03-09T23:30:00Z',
      down: '2026-03-10T06:45:00Z',
      upLocal: '2026-03-10T08:30:00+09:00',
    });
  });

  test('Sunday 23:45 UTC is Monday morning in Tokyo: up', () => {
    expect(desiredState(tokyo, '2026-03-08T23:45:00Z')).toMatchObject({
      state: 'up',
      window: { up: '2026-03-08T23:30:00Z', down: '2026-03-09T06:45:00Z' },
      nextDown: '2026-03-09T06:45:00Z',
      nextUp: '2026-03-09T23:30:00Z',
    });
  });

  test('Friday 23:45 UTC is Saturday in Tokyo: down until Sunday 23:30 UTC', () => {
    const s = desiredState(tokyo, '2026-03-13T23:45:00Z');
    expect(s).toMatchObject({ state: 'down', nextUp: '2026-03-15T23:30:00Z' });
    expect(s.reason).toMatch(/^Saturday 2026-03-14 is not a trading day on XTKS/);
  });

  test('a holiday in Tokyo skips the window that would start the UTC evening before', () => {
    expect(desiredState(tokyo, '2026-03-19T23:45:00Z')).toMatchObject({
      state: 'down',
      nextUp: '2026-03-22T23:30:00Z',
    });
  });

  test("west of UTC, a local date's window starts on the next UTC date", () => {
    const s = desiredState(honolulu, '2026-03-10T01:00:00Z');
    expect(s).toMatchObject({
      state: 'down',
      nextUp: '2026-03-10T02:00:00Z',
      nextDown: '2026-03-10T08:30:00Z',
    });
    expect(s.reason).toMatch(/^before the XHNL window of 2026-03-09: up at 16:00 Pacific\/Honolulu/);
    expect(desiredState(honolulu, '2026-03-10T02:00:00Z').window).toEqual({
      up: '2026-03-10T02:00:00Z',
      down: '2026-03-10T08:30:00Z',
    });
  });

  test("a cool-down past local midnight keeps yesterday's window up", () => {
    const s = desiredState(evening, '2026-06-03T00:30:00+02:00');
    expect(s).toMatchObject({
      state: 'up',
      window: { up: '2026-06-02T15:30:00Z', down: '2026-06-02T23:00:00Z' },
    });
    expect(s.reason).toMatch(/window of 2026-06-02/);
  });
});

describe('desiredState', () => {
  const window = windowOn(prod, '2026-03-10')!;

  test('the window is [up, down): up at its first instant, down at its end', () => {
    expect(desiredState(prod, new Date(ms(window.up) - 1)).state).toBe('down');
    expect(desiredState(prod, window.up).state).toBe('up');
    expect(desiredState(prod, new Date(ms(window.down) - 1)).state).toBe('up');
    expect(desiredState(prod, window.down).state).toBe('down');
  });

  test('up: says which window, when it ends and when the next starts', () => {
    const s = desiredState(prod, '2026-03-10T10:00:00-04:00');
    expect(s).toEqual({
      state: 'up',
      reason:
        'inside the XNYS window of 2026-03-10: up 08:30-16:30 America/New_York (open 09:30, close 16:00, warm-up 60 min, cool-down 30 min)',
      window: { up: '2026-03-10T12:30:00Z', down: '2026-03-10T20:30:00Z' },
      nextDown: '2026-03-10T20:30:00Z',
      nextUp: '2026-03-11T12:30:00Z',
    });
  });

  test("before the window: down until today's up", () => {
    const s = desiredState(prod, '2026-03-10T12:00:00Z');
    expect(s).toMatchObject({
      state: 'down',
      nextUp: '2026-03-10T12:30:00Z',
      nextDown: '2026-03-10T20:30:00Z',
    });
    expect(s.reason).toMatch(
      /^before the XNYS window of 2026-03-10: up at 08:30 America\/New_York, 60 min before/,
    );
  });

  test("after the window: down until the next trading day's up", () => {
    const s = desiredState(prod, '2026-03-10T21:00:00Z');
    expect(s).toMatchObject({ state: 'down', nextUp: '2026-03-11T12:30:00Z' });
    expect(s.reason).toMatch(/^after the XNYS window of 2026-03-10: down since 16:30/);
  });

  test('a weekend across the DST change: down until Monday, whose up is an hour earlier in UTC', () => {
    const s = desiredState(prod, '2026-03-07T15:00:00Z');
    expect(s).toMatchObject({
      state: 'down',
      nextUp: '2026-03-09T12:30:00Z',
      nextDown: '2026-03-09T20:30:00Z',
    });
    expect(s.reason).toMatch(/^Saturday 2026-03-07 is not a trading day on XNYS/);
  });

  test('a holiday: down all day, named, next up the following trading day', () => {
    const s = desiredState(prod, '2026-11-26T15:00:00Z');
    expect(s).toMatchObject({
      state: 'down',
      nextUp: '2026-11-27T13:30:00Z',
      nextDown: '2026-11-27T18:30:00Z',
    });
    expect(s.reason).toMatch(/2026-11-26 is a holiday on XNYS \(Thanksgiving Day\), closed all day/);
  });

  test('an early close: down 30 min after 13:00, up again Monday', () => {
    expect(desiredState(prod, '2026-11-27T18:29:59Z')).toMatchObject({
      state: 'up',
      window: { up: '2026-11-27T13:30:00Z', down: '2026-11-27T18:30:00Z' },
    });
    const after = desiredState(prod, '2026-11-27T18:30:00Z');
    expect(after).toMatchObject({ state: 'down', nextUp: '2026-11-30T13:30:00Z' });
    expect(after.reason).toMatch(/13:00 early close \(Day after Thanksgiving\)/);
  });

  test('Christmas Eve early close, then Christmas and the weekend: next up on the 28th', () => {
    expect(desiredState(prod, '2026-12-24T19:00:00Z')).toMatchObject({
      state: 'down',
      nextUp: '2026-12-28T13:30:00Z',
    });
  });

  test("XETR's year end: 30 Dec closes at 14:00, next up 4 Jan", () => {
    expect(desiredState(xetr, '2026-12-30T13:14:00Z').state).toBe('up');
    expect(desiredState(xetr, '2026-12-30T13:15:00Z')).toMatchObject({
      state: 'down',
      nextUp: '2027-01-04T07:30:00Z',
    });
  });

  test('Date and ISO strings with any offset name the same instant', () => {
    const a = desiredState(prod, new Date('2026-03-10T14:00:00Z'));
    expect(desiredState(prod, '2026-03-10T10:00:00-04:00')).toEqual(a);
    expect(desiredState(prod, '2026-03-10T15:00:00+01:00')).toEqual(a);
  });

  test.each([
    ['2026-03-10T10:00', /got "2026-03-10T10:00" \(string\)/],
    ['2026-03-10', /got "2026-03-10" \(string\)/],
    ['tomorrow', /got "tomorrow" \(string\)/],
    [1773151200000, /got 1773151200000 \(number\)/],
    [new Date('nonsense'), /got an invalid Date/],
  ])('refuses the instant %p (a time without its offset is ambiguous)', (instant, message) => {
    expect(() => desiredState(prod, instant as string)).toThrow(message);
    expect(() => desiredState(prod, instant as string)).toThrow(/ISO 8601 time with its offset/);
  });

  test('a calendar with no session ahead says so instead of looping', () => {
    const closed = { ...tokyo, tradingDays: ['Sat' as const], holidays: [] };
    const allClosed = {
      ...closed,
      holidays: Array.from({ length: 60 }, (_, i) => ({
        date: addDays('2026-01-03', 7 * i),
        name: 'closed',
      })),
    };
    expect(() => desiredState(allClosed, '2026-01-01T00:00:00Z')).toThrow(
      /no trading session on XTKS within 400 days after 2025-12-31; check tradingDays and holidays/,
    );
  });
});

describe('transitions', () => {
  test('one window per trading day, in order, in UTC and local time', () => {
    const windows = transitions(prod, '2026-04-01', 7);
    expect(windows.map((w) => w.date)).toEqual(['2026-04-01', '2026-04-02', '2026-04-06', '2026-04-07']);
    expect(windows[0]).toEqual({
      date: '2026-04-01',
      up: '2026-04-01T12:30:00Z',
      down: '2026-04-01T20:30:00Z',
      upLocal: '2026-04-01T08:30:00-04:00',
      downLocal: '2026-04-01T16:30:00-04:00',
      session: { date: '2026-04-01', open: '2026-04-01T13:30:00Z', close: '2026-04-01T20:00:00Z' },
    });
  });

  test('windows never overlap and leave time down between days', () => {
    for (const cal of [prod, dev, xetr, tokyo, honolulu, everyDay, evening]) {
      const windows = transitions(cal, '2026-01-01', 730);
      windows.forEach((w, i) => {
        expect(ms(w.up)).toBeLessThan(ms(w.down));
        if (i > 0) expect(ms(w.up) - ms(windows[i - 1].down)).toBeGreaterThanOrEqual(3 * 3_600_000);
      });
    }
  });

  test.each([
    ['2026-13-01', 7, /from must be an exchange-local date 'YYYY-MM-DD'.*got "2026-13-01" \(string\)/],
    ['2026-03-01', -1, /days must be a whole number 0-3660, got -1 \(number\)/],
    ['2026-03-01', 1.5, /days must be a whole number 0-3660, got 1.5 \(number\)/],
    ['2026-03-01', '7', /days must be a whole number 0-3660, got "7" \(string\)/],
  ])('refuses from %p, days %p', (from, days, message) => {
    expect(() => transitions(prod, from, days as number)).toThrow(message);
  });

  test('zero days is an empty schedule', () => {
    expect(transitions(prod, '2026-03-02', 0)).toEqual([]);
  });
});

describe('cost helpers', () => {
  test('billed hours round each window up to whole hours', () => {
    // dev: 7 h 15 min a regular day -> 8; the early close of 2026-11-27 -> 4 h 15 min -> 5.
    expect(billedHoursPerDay(dev)).toBe(8);
    expect(uptimeSummary(dev, '2026-11-23', 7)).toEqual({
      tradingDays: 4,
      earlyCloses: 1,
      marketHours: 3 * 6.5 + 3.5,
      uptimeHours: 3 * 7.25 + 4.25,
      billedHours: 3 * 8 + 5,
    });
  });

  test('XETR: 8.5 market hours, 9 h 15 min up, 10 billed', () => {
    expect([marketHoursPerDay(xetr), billedHoursPerDay(xetr)]).toEqual([8.5, 10]);
  });
});

/** Every `stepMinutes` instant in [from, from + days). */
function instants(from: string, days: number, stepMinutes: number): number[] {
  const start = ms(`${from}T00:00:00Z`);
  return Array.from({ length: (days * 24 * 60) / stepMinutes }, (_, i) => start + i * stepMinutes * MINUTE);
}

/** The window holding `t` among `windows`, if any. */
const holding = (windows: readonly UptimeWindow[], t: number) =>
  windows.find((w) => ms(w.up) <= t && t < ms(w.down));

/** The cluster after a guard action (apply and destroy converge whatever they start from). */
function apply(action: string, observed: ObservedState): ObservedState {
  if (action === 'ensure-up') return 'up';
  if (action === 'ensure-down') return 'down';
  return observed;
}

describe('property: every 5 minutes over 3 weeks around a DST change', () => {
  test.each([
    ['XNYS prod, US spring forward 2026-03-08', prod, '2026-02-23'],
    ['XNYS prod, US fall back 2026-11-01', prod, '2026-10-19'],
    ['XETR, EU spring forward 2026-03-29', xetr, '2026-03-16'],
    ['XETR, EU fall back 2026-10-25 (US still on summer time)', xetr, '2026-10-12'],
    ['XTKS, windows across the UTC date boundary', tokyo, '2026-03-02'],
    ['XHNL, windows on the UTC date after their local date', honolulu, '2026-03-02'],
    ['every day, windows on the US DST days themselves', everyDay, '2026-02-23'],
    ['evening, cool-down past local midnight, EU fall back', evening, '2026-10-12'],
  ])('%s: up iff inside a window from transitions; the guard follows', (_, cal, from) => {
    const days = 21;
    // Windows of the days around the span too: a UTC instant may belong to the local day before or after.
    const windows = transitions(cal, addDays(from, -2), days + 4);
    // Mismatches are collected and compared once: 6,048 instants x 10 checks through
    // expect() would cost more than the functions under test.
    const wrong: string[] = [];
    const check = (ok: boolean, t: Date, what: string) => {
      if (!ok) wrong.push(`${t.toISOString()}: ${what}`);
    };
    let ups = 0;
    for (const t of instants(from, days, 5)) {
      const instant = new Date(t);
      const s = desiredState(cal, instant);
      const w = holding(windows, t);
      const next = windows.find((x) => ms(x.up) > t)!;
      check(s.state === (w ? 'up' : 'down'), instant, `${s.state}, window ${JSON.stringify(w)}`);
      if (w) {
        ups++;
        check(
          s.window?.up === w.up && s.window?.down === w.down,
          instant,
          `window ${JSON.stringify(s.window)}`,
        );
        check(s.nextDown === w.down && s.nextUp === next.up, instant, `next ${s.nextUp} / ${s.nextDown}`);
      } else {
        check(s.window === undefined, instant, 'a window while down');
        check(s.nextUp === next.up && s.nextDown === next.down, instant, `next ${s.nextUp} / ${s.nextDown}`);
      }
      for (const observed of ['up', 'down', 'partial', 'not-ready'] as const) {
        const action = guardDecision(cal, instant, observed);
        const after = apply(action, observed);
        // Never up outside a window, never left up after it; partial always fixed.
        check(after === (w ? 'up' : 'down'), instant, `${observed} -> ${action}`);
        // Idempotent: once applied, the same (late or duplicated) run does nothing.
        check(guardDecision(cal, instant, after) === 'nothing', instant, `${observed} -> ${action} twice`);
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(ups).toBeGreaterThan(0);
    expect(ups).toBeLessThan(6048);
  });
});

describe('guardDecision', () => {
  test.each([
    ['2026-03-10T14:00:00Z', 'down', 'ensure-up'],
    ['2026-03-10T14:00:00Z', 'partial', 'ensure-up'],
    ['2026-03-10T14:00:00Z', 'up', 'nothing'],
    ['2026-03-10T21:00:00Z', 'up', 'ensure-down'],
    ['2026-03-10T21:00:00Z', 'partial', 'ensure-down'],
    ['2026-03-10T21:00:00Z', 'down', 'nothing'],
    // Running but never recorded ready: repaired (up waits again) inside, removed outside.
    ['2026-03-10T14:00:00Z', 'not-ready', 'ensure-up'],
    ['2026-03-10T21:00:00Z', 'not-ready', 'ensure-down'],
  ] as const)('at %s, a cluster found %s: %s', (instant, observed, action) => {
    expect(guardDecision(prod, instant, observed)).toBe(action);
  });

  test('late, missed and duplicated runs end in the desired state and do no harm', () => {
    // A schedule that fires every 10 minutes, but some runs are missed, some run twice,
    // some run late. After each run the cluster is what the calendar wants at that time.
    let cluster: ObservedState = 'partial';
    const rng = mulberry32(42);
    for (const t of instants('2026-03-02', 14, 10)) {
      const roll = rng();
      if (roll < 0.2) continue; // missed
      const at = new Date(t + (roll < 0.4 ? 47 * MINUTE : 0)); // late
      const runs = roll > 0.9 ? 2 : 1; // duplicated
      for (let i = 0; i < runs; i++) cluster = apply(guardDecision(prod, at, cluster), cluster);
      expect(cluster).toBe(desiredState(prod, at).state);
    }
  });

  test('a run that finds the cluster in the wrong state fixes it in one step', () => {
    const lateEvening = '2026-03-10T23:00:00Z';
    expect(guardDecision(prod, lateEvening, 'up')).toBe('ensure-down');
    expect(guardDecision(prod, lateEvening, apply('ensure-down', 'up'))).toBe('nothing');
  });

  test('refuses an observed state it does not know', () => {
    expect(() => guardDecision(prod, '2026-03-10T14:00:00Z', 'starting' as ObservedState)).toThrow(
      `observed must be 'up', 'down', 'partial' or 'not-ready', got "starting" (string)`,
    );
  });
});

/** A small seeded PRNG, so the schedule test is the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('calendarProblems: every rule names the field, shows the value with its type and the fix', () => {
  /** `overrides` on top of prod's calendar gives a problem on `field` matching `message`. */
  function expectProblem(overrides: Record<string, unknown>, field: string, message: RegExp): void {
    const problems = calendarProblems({ ...prod, ...overrides });
    expect(problems.map((p) => p.field)).toContain(field);
    expect(problems.find((p) => p.field === field)!.message).toMatch(message);
  }
  const withHoliday = (holiday: unknown) => ({ holidays: [...prod.holidays, holiday] });
  const last = `calendar.holidays[${prod.holidays.length}]`;

  test('not an object', () => {
    expect(calendarProblems('XNYS')).toEqual([
      { field: 'calendar', message: 'calendar must be a trading calendar object, got "XNYS" (string)' },
    ]);
    expect(calendarProblems(null)[0].message).toMatch(/got null \(null\)/);
  });

  test('a missing field says what to set', () => {
    const rest: Record<string, unknown> = { ...prod };
    delete rest.exchange;
    expect(calendarProblems(rest)).toEqual([
      {
        field: 'calendar.exchange',
        message:
          "calendar.exchange is missing; set it to the exchange's MIC, 4 capital letters or digits such as 'XNYS' or 'XETR'",
      },
    ]);
  });

  test('a misspelt field names the likely one', () => {
    expectProblem(
      { warmupMinutes: 60 },
      'calendar.warmupMinutes',
      /not a field of calendar; did you mean 'warmUpMinutes'\?/,
    );
  });

  test("the path prefix is the caller's", () => {
    expect(calendarProblems({ ...prod, open: '9' }, 'CALENDARS.prod')[0].field).toBe('CALENDARS.prod.open');
  });

  test.each<[string, Record<string, unknown>, string, RegExp]>([
    [
      'exchange: not a MIC',
      { exchange: 'nyse' },
      'calendar.exchange',
      /must be the exchange's MIC.*got "nyse" \(string\)/,
    ],
    [
      'timeZone: unknown',
      { timeZone: 'Mars/Olympus' },
      'calendar.timeZone',
      /IANA time zone.*'America\/New_York'.*got "Mars\/Olympus" \(string\)/,
    ],
    ['timeZone: not a string', { timeZone: -5 }, 'calendar.timeZone', /got -5 \(number\)/],
    [
      'timeZone: an abbreviation',
      { timeZone: 'EST' },
      'calendar.timeZone',
      /region zone such as 'America\/New_York', got "EST" \(string\), a fixed offset or abbreviation/,
    ],
    ['timeZone: UTC', { timeZone: 'UTC' }, 'calendar.timeZone', /got "UTC" \(string\), a fixed offset/],
    [
      'timeZone: a fixed Etc/ offset',
      { timeZone: 'Etc/GMT+5' },
      'calendar.timeZone',
      /got "Etc\/GMT\+5" \(string\), a fixed offset/,
    ],
    [
      'timeZone: wrong case',
      { timeZone: 'america/new_york' },
      'calendar.timeZone',
      /got "america\/new_york" \(string\); write 'America\/New_York'/,
    ],
    [
      'open: 25:00',
      { open: '25:00' },
      'calendar.open',
      /must be the regular open 'HH:mm' \(24-hour, exchange-local time\) such as '09:30', got "25:00" \(string\)/,
    ],
    ['open: no leading zero', { open: '9:30' }, 'calendar.open', /got "9:30" \(string\)/],
    ['open: a number', { open: 930 }, 'calendar.open', /got 930 \(number\)/],
    ['close: 16:60', { close: '16:60' }, 'calendar.close', /such as '16:00', got "16:60" \(string\)/],
    [
      'close before open',
      { open: '16:00', close: '09:30' },
      'calendar.close',
      /calendar.close "09:30" \(string\) is not after calendar.open "16:00" \(string\); .*set close later than open/,
    ],
    ['close equal to open', { close: '09:30' }, 'calendar.close', /is not after calendar.open/],
    [
      'warmUpMinutes: negative',
      { warmUpMinutes: -1 },
      'calendar.warmUpMinutes',
      /whole number of minutes 0-360.*got -1 \(number\)/,
    ],
    ['warmUpMinutes: a string', { warmUpMinutes: '60' }, 'calendar.warmUpMinutes', /got "60" \(string\)/],
    ['warmUpMinutes: a fraction', { warmUpMinutes: 7.5 }, 'calendar.warmUpMinutes', /got 7.5 \(number\)/],
    ['warmUpMinutes: over 6 h', { warmUpMinutes: 361 }, 'calendar.warmUpMinutes', /got 361 \(number\)/],
    [
      'coolDownMinutes: NaN',
      { coolDownMinutes: NaN },
      'calendar.coolDownMinutes',
      /whole number of minutes 0-360.*got NaN \(number\)/,
    ],
    [
      'window over 20 h',
      { open: '01:00', close: '23:00', warmUpMinutes: 0, coolDownMinutes: 0 },
      'calendar.warmUpMinutes',
      /window of 22 h 0 min, more than 20 h; .*shorten the warm-up or cool-down/,
    ],
    [
      'tradingDays: empty',
      { tradingDays: [] },
      'calendar.tradingDays',
      /non-empty list of weekdays.*got \[\] \(array\)/,
    ],
    ['tradingDays: a string', { tradingDays: 'Mon-Fri' }, 'calendar.tradingDays', /got "Mon-Fri" \(string\)/],
    [
      'tradingDays: a long name',
      { tradingDays: ['Monday'] },
      'calendar.tradingDays[0]',
      /must be one of 'Mon', 'Tue'.*got "Monday" \(string\)/,
    ],
    ['tradingDays: a number', { tradingDays: [1] }, 'calendar.tradingDays[0]', /got 1 \(number\)/],
    [
      'tradingDays: twice the same',
      { tradingDays: ['Mon', 'Tue', 'Mon'] },
      'calendar.tradingDays[2]',
      /"Mon" \(string\) repeats calendar.tradingDays\[0\]; list each weekday once/,
    ],
    [
      'holidays: not a list',
      { holidays: {} },
      'calendar.holidays',
      /a list of holidays.*got \{\} \(object\)/,
    ],
    [
      'holidays: missing',
      { holidays: undefined },
      'calendar.holidays',
      /calendar.holidays is missing; set it to a list of holidays.*\(may be empty\)/,
    ],
    [
      'holiday: not an object',
      withHoliday('2026-12-25'),
      last,
      /must be an object \{ date, name, closesAt\? \}.*got "2026-12-25" \(string\)/,
    ],
    [
      'holiday: date format',
      withHoliday({ date: '26-12-25', name: 'x' }),
      `${last}.date`,
      /a date 'YYYY-MM-DD'.*got "26-12-25" \(string\)/,
    ],
    [
      'holiday: date missing',
      withHoliday({ name: 'x' }),
      `${last}.date`,
      /date is missing; set it to a date 'YYYY-MM-DD'/,
    ],
    [
      'holiday: a day that does not exist',
      withHoliday({ date: '2027-02-29', name: 'x' }),
      `${last}.date`,
      /got "2027-02-29" \(string\), but 2027-02 has 28 days, not 29/,
    ],
    [
      'holiday: month 13',
      withHoliday({ date: '2026-13-01', name: 'x' }),
      `${last}.date`,
      /got "2026-13-01" \(string\), but there is no month 13/,
    ],
    [
      'holiday: empty name',
      withHoliday({ date: '2028-01-03', name: ' ' }),
      `${last}.name`,
      /non-empty name.*got " " \(string\)/,
    ],
    [
      'holiday: closesAt not a time',
      withHoliday({ date: '2028-07-03', name: 'x', closesAt: '1pm' }),
      `${last}.closesAt`,
      /early-close time 'HH:mm'.*leave it out for a day closed all day, got "1pm" \(string\)/,
    ],
    [
      'holiday: closesAt after the close',
      withHoliday({ date: '2028-07-03', name: 'x', closesAt: '17:00' }),
      `${last}.closesAt`,
      /"17:00" \(string\) must be after the open '09:30' and before the regular close '16:00'/,
    ],
    [
      'holiday: closesAt before the open',
      withHoliday({ date: '2028-07-03', name: 'x', closesAt: '09:00' }),
      `${last}.closesAt`,
      /"09:00" \(string\) must be after the open/,
    ],
    [
      'holiday: closesAt on a weekend',
      withHoliday({ date: '2028-07-01', name: 'x', closesAt: '13:00' }),
      `${last}.closesAt`,
      /early close on 2028-07-01, a Saturday, which is not a trading day \(calendar.tradingDays \["Mon","Tue","Wed","Thu","Fri"\] \(array\)\); check the date/,
    ],
    [
      'holiday: a date twice',
      withHoliday({ date: '2026-12-24', name: 'again' }),
      `${last}.date`,
      /"2026-12-24" \(string\) repeats calendar.holidays\[10\].date; keep one entry per date/,
    ],
    [
      'holiday: a misspelt field',
      withHoliday({ date: '2028-07-03', name: 'x', closeAt: '13:00' }),
      `${last}.closeAt`,
      /did you mean 'closesAt'\?/,
    ],
  ])('%s', (_, overrides, field, message) => {
    expectProblem(overrides, field, message);
  });

  test('a closed-all-day holiday on a weekend is harmless and accepted', () => {
    expect(
      calendarProblems({ ...prod, ...withHoliday({ date: '2028-01-01', name: "New Year's Day" }) }),
    ).toEqual([]);
  });

  test('a broken field does not cascade into rules across fields', () => {
    expect(calendarProblems({ ...prod, tradingDays: ['mon'] }).map((p) => p.field)).toEqual([
      'calendar.tradingDays[0]',
    ]);
    expect(calendarProblems({ ...prod, open: 'nine' }).map((p) => p.field)).toEqual(['calendar.open']);
  });

  test('every function refuses a broken calendar with CalendarConfigError listing every problem', () => {
    const broken = { ...prod, open: '25:00', warmUpMinutes: -1 } as TradingCalendarConfig;
    let error: unknown;
    try {
      desiredState(broken, '2026-03-10T14:00:00Z');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CalendarConfigError);
    const e = error as CalendarConfigError;
    expect(e.fields).toEqual(['calendar.open', 'calendar.warmUpMinutes']);
    expect(e.message).toMatch(/^Invalid trading calendar 'XNYS':\n {2}- calendar.open must be/);
    for (const call of [
      () => sessionOn(broken, '2026-03-10'),
      () => windowOn(broken, '2026-03-10'),
      () => transitions(broken, '2026-03-10', 1),
      () => guardDecision(broken, '2026-03-10T14:00:00Z', 'up'),
      () => billedHoursPerDay(broken),
      () => marketHoursPerDay(broken),
      () => uptimeSummary(broken, '2026-03-10', 1),
      () => assertCalendar(broken, 'prod'),
    ]) {
      expect(call).toThrow(CalendarConfigError);
    }
    expect(() => assertCalendar(broken, 'prod')).toThrow(/^Invalid trading calendar 'prod'/);
  });
});
