/**
 * The scheduler's own cost (lib/cost.ts schedulerCost) and billed hours with the cron's lag
 * (laggedHours), for every environment in CALENDARS at its rendered schedule.
 */
import { CALENDARS } from '../../environments/calendars';
import { billedHoursPerDay } from '../../lib/calendar';
import { ACTION_JOB_MINUTES, laggedHours, RUNNER_PRICE, schedulerCost } from '../../lib/cost';
import { checkSchedule, CRON_LAG_MINUTES, renderSchedule } from '../../lib/schedule';

const FROM = '2026-12-01';

describe.each(renderSchedule(CALENDARS).map((s) => [s.environment, s] as const))('%s', (name, schedule) => {
  const cal = CALENDARS[name];

  test('runner minutes: one per job plus the up and down jobs, at the dated price; far below every 10 minutes', () => {
    const r = schedulerCost(name, cal, schedule.lines, FROM);
    const check = checkSchedule(name, cal, schedule.lines, FROM, 365);
    const jobs = check.days.reduce((n, d) => n + d.weekly + d.dated, 0);
    expect(r.jobsPerMonth).toBeCloseTo(jobs / 12, 1);
    const minutes = (jobs + check.windows * (ACTION_JOB_MINUTES.up - 1 + ACTION_JOB_MINUTES.down - 1)) / 12;
    expect(r.minutesPerMonth).toBeCloseTo(minutes, 1);
    expect(r.usdPerMonth).toBeCloseTo(minutes * RUNNER_PRICE.usdPerMinute, 1);
    expect(RUNNER_PRICE).toMatchObject({ usdPerMinute: 0.006, since: '2026-01-01' });
    expect(r.everyTenMinutes.jobsPerMonth).toBeCloseTo((144 * 365) / 12, 1);
    expect(r.usdPerMonth).toBeLessThan(r.everyTenMinutes.usdPerMonth / 3);
    expect(r.jobsPerTradingDay).toBeLessThanOrEqual(30);
    expect(r.jobsPerOtherDay).toBeLessThanOrEqual(4);
  });

  test('the lag adds to the bill, never less than without it, and is stated', () => {
    const l = laggedHours(cal, FROM);
    expect(l.lagMinutes).toBe(CRON_LAG_MINUTES);
    expect(l.billedHoursPerDay).toBeGreaterThanOrEqual(billedHoursPerDay(cal));
    const window = cal.warmUpMinutes + l.marketHoursPerDay * 60 + cal.coolDownMinutes;
    expect(l.billedHoursPerDay).toBe(Math.ceil((window + CRON_LAG_MINUTES) / 60));
    expect(laggedHours(cal, FROM, 0).billedHoursPerDay).toBe(billedHoursPerDay(cal));
    expect(l.minutesBeforeOpen).toBe(cal.warmUpMinutes - CRON_LAG_MINUTES);
  });
});

test("prod's 8-hour window becomes 9 billed hours with a late down run", () => {
  expect(billedHoursPerDay(CALENDARS.prod)).toBe(8);
  expect(laggedHours(CALENDARS.prod, FROM).billedHoursPerDay).toBe(9);
});
