/**
 * GitHub Actions job summaries: what a workflow step shows on the run's page. Commands write
 * their tables to stdout and, in a workflow, append them to $GITHUB_STEP_SUMMARY too.
 */
import { appendFileSync } from 'fs';

/** Appends markdown to $GITHUB_STEP_SUMMARY when set (in a workflow step); a no-op otherwise. */
export function appendStepSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return;
  appendFileSync(file, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
}

/** A cell as markdown: pipes escaped, line breaks as spaces. */
function cell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * A GitHub-flavoured markdown table, columns padded so it also reads as plain text; a
 * column whose every cell is a number is right-aligned.
 */
export function markdownTable(
  headers: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<unknown>>,
): string {
  const text = [headers.map(cell), ...rows.map((r) => headers.map((_, i) => cell(r[i])))];
  const widths = headers.map((_, i) => Math.max(3, ...text.map((r) => r[i].length)));
  const numeric = headers.map(
    (_, i) =>
      rows.length > 0 && rows.every((r) => /^([-+±]?\d[\d,]*(\.\d+)?( ?%|x)?|n\/a|)$/.test(cell(r[i]))),
  );
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(text[0]), rule, ...text.slice(1).map(line)].join('\n');
}
