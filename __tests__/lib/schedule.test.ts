/**
 * The guard's cron schedule (lib/schedule.ts): the workflow carries exactly the render of the
 * calendars, and for every environment in CALENDARS (whatever its exchange), over a year and
 * over the calendar's holiday years, every up and down transition is reached by at least 3
 * runs inside its warm-up / cool-down and 3 from `down`, across both DST changes, within the
 * job budget per day. A schedule with any dense line removed fails the same check.
 */
import { readFileSync } from 'fs';
import { parse as parseYaml } from 'yaml';
import { CALENDARS, XETR_CALENDAR } from '../../environments/calendars';
import type { TradingCalendarConfig } from '../../lib/calendar';
import {
  calendarYears,
  checkSchedule,
  cronFires,
  environmentByLine,
  environmentSchedule,
  MAX_JOBS_OTHER_DAY,
  MAX_JOBS_TRADING_DAY,
  renderSchedule,
  ScheduleConfigError,
  type EnvironmentSchedule,
} from '../../lib/schedule';
import { renderWorkflow, WORKFLOW } from '../../scripts/render-schedule';

const YEAR_FROM = '2026-12-01';
const YEAR_DAYS = 365; // to 2027-11-30

/** Days from the first of the calendar's first holiday year to the end of its last. */
function holidayYears(cal: TradingCalendarConfig): [string, number] {
  const years = calendarYears(cal);
  const first = years[0];
  const last = years[years.length - 1];
  return [`${first}-01-01`, Math.round((Date.UTC(last + 1, 0, 1) - Date.UTC(first, 0, 1)) / 86_400_000)];
}

const summary = (s: EnvironmentSchedule, cal: TradingCalendarConfig, from: string, days: number) => {
  const r = checkSchedule(s.environment, cal, s.lines, from, days);
  const most = (kind: string) => Math.max(0, ...r.days.filter((d) => d.kind === kind).map((d) => d.weekly));
  return { ...r, trading: most('trading'), holiday: most('holiday'), other: most('other') };
};

describe('the workflow carries the render of the calendars', () => {
  test('daily-cycle.yml equals `npm run render-schedule` (run it after changing environments/calendars.ts)', () => {
    const text = readFileSync(WORKFLOW, 'utf8');
    const rendered = renderWorkflow(text, renderSchedule(CALENDARS));
    if (rendered !== text) {
      throw new Error(
        '.github/workflows/daily-cycle.yml does not match the trading calendars: run `npm run render-schedule` and commit the workflow',
      );
    }
    // And the YAML says what the render says: the lines, and the map the job reads them with.
    const workflow = parseYaml(text);
    const crons = workflow.on.schedule.map((s: { cron: string }) => s.cron);
    const schedules = renderSchedule(CALENDARS);
    expect(crons).toEqual(schedules.flatMap((s) => s.lines.map((l) => l.cron)));
    expect(text).toContain(
      `fromJSON('${JSON.stringify(environmentByLine(schedules))}')[github.event.schedule]`,
    );
  });

  test('a stale workflow is detected: another calendar renders other lines', () => {
    const text = readFileSync(WORKFLOW, 'utf8');
    const moved = {
      ...CALENDARS,
      dev: { ...CALENDARS.dev, warmUpMinutes: CALENDARS.dev.warmUpMinutes + 15 },
    };
    expect(renderWorkflow(text, renderSchedule(moved))).not.toBe(text);
  });

  test('every line belongs to one environment, never fires at minute 0, and is a valid 5-field UTC cron', () => {
    const schedules = renderSchedule(CALENDARS);
    const lines = schedules.flatMap((s) => s.lines.map((l) => l.cron));
    expect(new Set(lines).size).toBe(lines.length);
    for (const line of lines) {
      const fires = cronFires(line, Date.UTC(2026, 0, 1), Date.UTC(2028, 0, 1));
      expect({ line, top: fires.filter((ms) => new Date(ms).getUTCMinutes() === 0).length }).toEqual({
        line,
        top: 0,
      });
    }
    expect(Object.keys(environmentByLine(schedules)).sort()).toEqual([...lines].sort());
  });
});

describe.each(Object.keys(CALENDARS))(
  'environment %s: every transition reached, jobs per day bounded',
  (name) => {
    const cal = CALENDARS[name];
    const schedule = renderSchedule(CALENDARS).find((s) => s.environment === name)!;

    test(`${YEAR_FROM} + ${YEAR_DAYS} days and the holiday years: >= 3 runs in every warm-up, cool-down and after down`, () => {
      for (const [from, days] of [[YEAR_FROM, YEAR_DAYS], holidayYears(cal)] as const) {
        const r = summary(schedule, cal, from, days);
        expect({ from, problems: r.problems.slice(0, 10) }).toEqual({ from, problems: [] });
        expect(r.windows).toBeGreaterThan(240 * (days / 365));
        expect(r.trading).toBeLessThanOrEqual(MAX_JOBS_TRADING_DAY);
        expect(r.holiday).toBeLessThanOrEqual(MAX_JOBS_TRADING_DAY);
        expect(r.other).toBeLessThanOrEqual(MAX_JOBS_OTHER_DAY);
        const dated = r.days.filter((d) => d.dated > 0).map((d) => `${d.date} +${d.dated}`);
        console.log(
          `schedule ${name} ${from} +${days} d: ${r.windows} windows reached; jobs per day: trading ${r.trading}, weekday holiday ${r.holiday} (the weekday lines fire, cron knows no holidays), other ${r.other}; dated lines on ${dated.join(', ') || 'no day'} (every 10 minutes: 144)`,
        );
      }
    });

    test('the check fails when any one dense line is missing', () => {
      const dense = schedule.lines.filter((l) => l.kind !== 'safety');
      expect(dense.length).toBeGreaterThan(0);
      const [from, days] = holidayYears(cal);
      for (const removed of dense) {
        const lines = schedule.lines.filter((l) => l !== removed);
        const r = checkSchedule(name, cal, lines, from, days);
        expect({ removed: removed.cron, failed: r.problems.length > 0 }).toEqual({
          removed: removed.cron,
          failed: true,
        });
      }
      // And without the safety line: the nights and weekends have no run for more than 8 hours.
      const unsafe = checkSchedule(name, cal, dense, from, days);
      expect(unsafe.problems.join('\n')).toMatch(/no run for .* h after/);
    });
  },
);

describe('any calendar: another exchange, zones with and without DST, a day that crosses UTC midnight', () => {
  const calendars: Record<string, TradingCalendarConfig> = {
    ...CALENDARS,
    xetr: XETR_CALENDAR,
    tokyo: {
      exchange: 'XTKS',
      timeZone: 'Asia/Tokyo',
      open: '09:00',
      close: '15:30',
      warmUpMinutes: 60,
      coolDownMinutes: 20,
      holidays: [{ date: '2027-01-04', name: 'Market holiday' }],
    },
  };
  const schedules = renderSchedule(calendars);

  test.each(Object.keys(calendars))('%s: the properties hold over its holiday years', (name) => {
    const s = schedules.find((x) => x.environment === name)!;
    const r = summary(s, calendars[name], ...holidayYears(calendars[name]));
    expect(r.problems.slice(0, 10)).toEqual([]);
    expect(r.trading).toBeLessThanOrEqual(MAX_JOBS_TRADING_DAY);
    expect(r.other).toBeLessThanOrEqual(MAX_JOBS_OTHER_DAY);
  });

  test("Tokyo's up (08:00 JST) is 23:00 UTC the day before: Sunday to Thursday in UTC", () => {
    const up = schedules.find((x) => x.environment === 'tokyo')!.lines.find((l) => l.kind === 'up')!;
    expect(up.cron).toMatch(/ 23 \* \* 0-4$/);
  });

  test('the XETR early close renders a dated line at its own UTC time', () => {
    const early = schedules
      .find((x) => x.environment === 'xetr')!
      .lines.filter((l) => l.kind === 'early-close');
    // 2026-12-30 and 2027-12-30 close at 14:00 CET: down 14:15 = 13:15 UTC; one line for both years.
    expect(early.map((l) => l.cron)).toEqual([expect.stringMatching(/^[\d,]+ 13 30 12 \*$/)]);
  });
});

describe('calendars the schedule cannot serve fail at render time, naming environment, field and fix', () => {
  test('a warm-up of 10 minutes', () => {
    const cals = { ...CALENDARS, dev: { ...CALENDARS.dev, warmUpMinutes: 10 } };
    expect(() => renderSchedule(cals)).toThrow(ScheduleConfigError);
    expect(() => renderSchedule(cals)).toThrow(
      /environment 'dev': warmUpMinutes 10 is too short for 3 guard runs 5 minutes apart between up and the open; set warmUpMinutes to at least 15 \(CALENDARS\.dev in environments\/calendars\.ts\)/,
    );
  });

  test('a cool-down of 5 minutes', () => {
    expect(() => environmentSchedule('prod', { ...CALENDARS.prod, coolDownMinutes: 5 }, 2)).toThrow(
      /environment 'prod': coolDownMinutes 5 is too short .* set coolDownMinutes to at least 15/,
    );
  });
});

describe('cronFires follows cron', () => {
  const day = (d: string) => Date.parse(`${d}T00:00:00Z`);
  test("today's every-10-minutes line fires 144 times a day", () => {
    expect(cronFires('4-59/10 * * * *', day('2026-11-23'), day('2026-11-24'))).toHaveLength(144);
  });
  test('weekdays, ranges, lists; day of month and weekday both given: either matches', () => {
    // 2026-11-28 is a Saturday.
    expect(cronFires('1,6 13,14 * * 1-5', day('2026-11-28'), day('2026-11-29'))).toHaveLength(0);
    expect(cronFires('1,6 13,14 * * 1-5', day('2026-11-27'), day('2026-11-28'))).toHaveLength(4);
    expect(
      cronFires('5 1 27 11 *', day('2026-11-01'), day('2026-12-01')).map((ms) => new Date(ms).toISOString()),
    ).toEqual(['2026-11-27T01:05:00.000Z']);
    expect(cronFires('5 1 27 11 6', day('2026-11-01'), day('2026-12-01'))).toHaveLength(4 + 1);
    expect(() => cronFires('61 * * * *', 0, 1)).toThrow(/outside 0-59/);
  });
});
