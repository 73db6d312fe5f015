/**
 * Writes the guard's cron schedule, derived from the trading calendars (lib/schedule.ts from
 * environments/calendars.ts), into .github/workflows/daily-cycle.yml: the lines between the
 * `BEGIN rendered schedule` and `END rendered schedule` comments, and the line -> environment
 * map the job reads `github.event.schedule` with (every `fromJSON('{...}')[github.event.schedule]`).
 *
 *   npm run render-schedule            rewrite the workflow
 *   npm run render-schedule -- --check exit 1 when the workflow is not the render
 *
 * Fails, naming the environment, the field and the fix, for a calendar the schedule cannot
 * serve (a warm-up or cool-down too short for 3 runs 5 minutes apart).
 */
import { readFileSync, renameSync, writeFileSync } from 'fs';
import { join } from 'path';
import { CALENDARS } from '../environments/calendars';
import {
  calendarYears,
  checkSchedule,
  environmentByLine,
  renderSchedule,
  type EnvironmentSchedule,
} from '../lib/schedule';

export const WORKFLOW = join(__dirname, '..', '.github', 'workflows', 'daily-cycle.yml');

const BEGIN = /^(\s*)# BEGIN rendered schedule\b.*$/m;
const END = /^\s*# END rendered schedule\b.*$/m;
const LOOKUP = /fromJSON\('\{[^']*\}'\)\[github\.event\.schedule\]/g;

/** The schedule lines for the workflow's `on.schedule`, indented like the BEGIN comment. */
export function scheduleYaml(schedules: readonly EnvironmentSchedule[], indent: string): string {
  const out: string[] = [];
  for (const s of schedules) {
    const cal = CALENDARS[s.environment];
    const year = calendarYears(cal)[0];
    const { days } = checkSchedule(s.environment, cal, s.lines, `${year}-01-01`, 365);
    const most = (kind: string) => Math.max(0, ...days.filter((d) => d.kind === kind).map((d) => d.weekly));
    out.push(
      `${indent}# ${s.environment}: minutes :0${s.phase}, :${String(s.phase + 5).padStart(2, '0')}, ... (UTC); ${most('trading')} jobs on a trading day, ${most('other')} on other days, dated lines on top`,
    );
    for (const l of s.lines) {
      out.push(`${indent}# ${l.note}`, `${indent}- cron: '${l.cron}'`);
    }
  }
  return out.join('\n');
}

/** The workflow text with the schedule and the line map of `schedules`. */
export function renderWorkflow(text: string, schedules: readonly EnvironmentSchedule[]): string {
  const begin = BEGIN.exec(text);
  const end = END.exec(text);
  if (!begin || !end || end.index < begin.index) {
    throw new Error(
      `${WORKFLOW}: no '# BEGIN rendered schedule' ... '# END rendered schedule' comments under on.schedule`,
    );
  }
  const afterBegin = begin.index + begin[0].length;
  const lookups = text.match(LOOKUP)?.length ?? 0;
  if (lookups === 0) throw new Error(`${WORKFLOW}: no fromJSON('{...}')[github.event.schedule] to fill in`);
  const map = JSON.stringify(environmentByLine(schedules));
  const rendered =
    text.slice(0, afterBegin) + '\n' + scheduleYaml(schedules, begin[1]) + '\n' + text.slice(end.index);
  return rendered.replace(LOOKUP, () => `fromJSON('${map}')[github.event.schedule]`);
}

function main(): number {
  let schedules: EnvironmentSchedule[];
  try {
    schedules = renderSchedule(CALENDARS);
  } catch (e) {
    process.stderr.write(`render-schedule: ${(e as Error).message}\n`);
    return 1;
  }
  const text = readFileSync(WORKFLOW, 'utf8');
  const rendered = renderWorkflow(text, schedules);
  if (process.argv.includes('--check')) {
    if (rendered === text) return 0;
    process.stderr.write(
      'render-schedule: .github/workflows/daily-cycle.yml does not match the calendars: run npm run render-schedule\n',
    );
    return 1;
  }
  if (rendered !== text) {
    const partial = `${WORKFLOW}.${process.pid}.tmp`;
    writeFileSync(partial, rendered);
    renameSync(partial, WORKFLOW);
  }
  const lines = schedules.reduce((n, s) => n + s.lines.length, 0);
  process.stdout.write(
    `render-schedule: ${lines} cron lines for ${schedules.map((s) => s.environment).join(', ')}${rendered === text ? ' (unchanged)' : ''}\n`,
  );
  return 0;
}

if (require.main === module) process.exit(main());
