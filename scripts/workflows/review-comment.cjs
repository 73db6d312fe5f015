#!/usr/bin/env node
/**
 * The pull-request review comment of `.github/workflows/review.yml`: one comment per pull
 * request, found again by a hidden marker and edited in place on every push, never repeated.
 *
 *   node scripts/workflows/review-comment.cjs render <dir>        the comment body (stdout)
 *   node scripts/workflows/review-comment.cjs plan-summary <file> a plan's changes (markdown)
 *
 * `render` reads the review job's results: each check's step outcome from the environment
 * (`SYNTH_OUTCOME`, `DRIFT_OUTCOME`, `VALIDATE_OUTCOME`, `PLAN_OUTCOME`, `COST_OUTCOME`:
 * success, failure, cancelled, skipped or empty), and from <dir> each check's details
 * (`<check>.md`) and an optional one-line note that replaces "passed" (`<check>.note`, e.g.
 * "skipped: no read-only token"). `plan-summary` reads the JSON of `tofu show -json <plan>`.
 *
 * `upsertReviewComment` is what the workflow's comment job calls from actions/github-script
 * with its authenticated Octokit. Plain CommonJS, no dependencies: it runs where `npm ci`
 * has not (the comment job) or has failed (the render step runs anyway).
 */
'use strict';

const fs = require('fs');
const path = require('path');

/** Hidden first line of the comment: how the next run finds it. */
const MARKER = '<!-- hetzner-trading-review -->';
/** GitHub refuses comments over 65,536 characters. */
const MAX_BODY = 60_000;
const MAX_SECTION = 12_000;
/** The author of comments made with the workflow's GITHUB_TOKEN. */
const BOT_LOGIN = 'github-actions[bot]';

/** The checks, in the order of the table. */
const CHECKS = [
  { id: 'synth', title: 'synth (`npm run synth`)' },
  { id: 'drift', title: 'GitOps drift (`gitops/` equals a fresh render)' },
  { id: 'validate', title: 'validate (every stack, OpenTofu)' },
  { id: 'plan', title: 'plan against the real projects (read-only token)' },
  { id: 'cost', title: 'cost change' },
];

const RESULT = {
  success: '✅ passed',
  failure: '❌ failed',
  cancelled: '⏹️ cancelled',
  skipped: '⏭️ not run',
  '': '⏭️ not run',
};

function truncate(text, max) {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n\n… (${text.length - max} more characters in the job log)`;
}

/**
 * The comment body.
 * @param {{ outcomes: Record<string,string>, notes?: Record<string,string>,
 *   details?: Record<string,string>, sha?: string, runUrl?: string }} review
 */
function renderReviewComment(review) {
  const notes = review.notes ?? {};
  const details = review.details ?? {};
  const lines = [
    MARKER,
    '## Review: synth, drift, validate, plan, cost',
    '',
    '| check | result |',
    '|---|---|',
  ];
  for (const check of CHECKS) {
    const outcome = review.outcomes[check.id] ?? '';
    const note = (notes[check.id] ?? '').trim();
    let result = RESULT[outcome] ?? `❔ ${outcome}`;
    if (note && outcome === 'success') result = note;
    else if (note) result = `${result}: ${note}`;
    lines.push(`| ${check.title} | ${result.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`);
  }
  const cost = (details.cost ?? '').trim();
  if (cost) lines.push('', '### Cost change', '', truncate(cost, MAX_SECTION));
  for (const check of CHECKS) {
    const text = (details[check.id] ?? '').trim();
    if (!text || check.id === 'cost') continue;
    const open = review.outcomes[check.id] === 'failure' ? ' open' : '';
    lines.push(
      '',
      `<details${open}><summary>${check.title.replace(/`([^`]*)`/g, '<code>$1</code>')}</summary>`,
      '',
      truncate(text, MAX_SECTION),
      '',
      '</details>',
    );
  }
  const where = [
    review.sha ? `commit ${review.sha.slice(0, 7)}` : '',
    review.runUrl ? `[run](${review.runUrl})` : '',
  ]
    .filter(Boolean)
    .join(', ');
  lines.push('', `<sub>${where ? `${where}. ` : ''}This comment is updated in place on every push.</sub>`);
  return truncate(lines.join('\n'), MAX_BODY);
}

/** Reads a review folder and the step outcomes from `env` (see the header). */
function readReview(dir, env) {
  const read = (file) => {
    const full = path.join(dir, file);
    return fs.existsSync(full) ? fs.readFileSync(full, 'utf8') : '';
  };
  const outcomes = {};
  const notes = {};
  const details = {};
  for (const { id } of CHECKS) {
    outcomes[id] = env[`${id.toUpperCase()}_OUTCOME`] ?? '';
    notes[id] = read(`${id}.note`);
    details[id] = read(`${id}.md`);
  }
  const runUrl =
    env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined;
  return { outcomes, notes, details, sha: env.HEAD_SHA || env.GITHUB_SHA, runUrl };
}

const SYMBOL = { create: '+', delete: '-', update: '~', replace: '-/+', read: '<=' };

/**
 * The changes of one plan (`tofu show -json`): counts, then one line per resource that
 * changes; a warning when a Primary IP would be deleted or replaced (its address would be lost).
 * Only addresses and actions: no attribute values, so nothing of the project leaks into the PR.
 */
function summarizePlan(plan) {
  const changes = [];
  for (const rc of plan.resource_changes ?? []) {
    const actions = rc.change?.actions ?? [];
    let action;
    if (actions.includes('create') && actions.includes('delete')) action = 'replace';
    else if (actions.length === 1 && ['create', 'delete', 'update', 'read'].includes(actions[0])) {
      action = actions[0];
    } else continue; // no-op
    changes.push({ address: rc.address, type: rc.type, action });
  }
  const count = (...kinds) => changes.filter((c) => kinds.includes(c.action)).length;
  const lines = [
    `${count('create', 'replace')} to add, ${count('update')} to change, ${count('delete', 'replace')} to destroy`,
  ];
  const lost = changes.filter(
    (c) => c.type === 'hcloud_primary_ip' && (c.action === 'delete' || c.action === 'replace'),
  );
  if (lost.length > 0) {
    lines.push(
      '',
      `> [!WARNING]\n> ${lost.map((c) => `\`${c.address}\``).join(', ')} would be ${
        lost.some((c) => c.action === 'replace') ? 'replaced' : 'deleted'
      }: the persistent address changes.`,
    );
  }
  if (changes.length > 0) lines.push('');
  for (const c of changes.filter((c) => c.action !== 'read')) {
    lines.push(`- \`${SYMBOL[c.action]}\` \`${c.address}\` (${c.action})`);
  }
  return lines.join('\n');
}

/**
 * Creates the review comment, or edits the one an earlier run made (the marker, by the
 * workflow's bot); removes extra copies a race may have left, so there is exactly one.
 * @returns {Promise<{ action: 'created' | 'updated', id: number }>}
 */
async function upsertReviewComment({ github, owner, repo, issueNumber, body }) {
  if (!body.startsWith(MARKER)) throw new Error('the review comment body must start with the marker');
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner,
    repo,
    issue_number: issueNumber,
    per_page: 100,
  });
  const ours = comments
    .filter((c) => c.user?.login === BOT_LOGIN && typeof c.body === 'string' && c.body.includes(MARKER))
    .sort((a, b) => a.id - b.id);
  if (ours.length === 0) {
    const { data } = await github.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body });
    return { action: 'created', id: data.id };
  }
  const [keep, ...extra] = ours;
  await github.rest.issues.updateComment({ owner, repo, comment_id: keep.id, body });
  for (const c of extra) await github.rest.issues.deleteComment({ owner, repo, comment_id: c.id });
  return { action: 'updated', id: keep.id };
}

function main(argv, env) {
  const [command, arg] = argv;
  if (command === 'render' && arg) {
    process.stdout.write(`${renderReviewComment(readReview(arg, env))}\n`);
    return 0;
  }
  if (command === 'plan-summary' && arg) {
    process.stdout.write(`${summarizePlan(JSON.parse(fs.readFileSync(arg, 'utf8')))}\n`);
    return 0;
  }
  process.stderr.write('usage: review-comment.cjs render <dir> | plan-summary <plan.json>\n');
  return 2;
}

module.exports = {
  BOT_LOGIN,
  CHECKS,
  MARKER,
  readReview,
  renderReviewComment,
  summarizePlan,
  upsertReviewComment,
};

if (require.main === module) process.exitCode = main(process.argv.slice(2), process.env);
