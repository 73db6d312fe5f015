/**
 * The GitHub workflows that run the cluster (daily-cycle.yml, maintenance.yml) and review pull
 * requests (review.yml), and the scripts they call (scripts/workflows/): what must stay true of
 * them. actionlint (engine tier) checks their syntax; this file pins their behaviour:
 *
 * - the expressions that matter are evaluated, not pattern-matched: a small evaluator of GitHub's
 *   expression language (below) resolves the matrix, the concurrency groups, the token mapping
 *   and the job conditions for given events, inputs, variables and secrets;
 * - the `run:` blocks that choose a command are executed with bash and a stub `npm` that
 *   records what it was asked to run;
 * - the scripts in scripts/workflows/ run for real (bash, ssh-keygen) in temporary folders.
 */
import { spawnSync } from 'child_process';
import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  mkdirSync,
} from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parse as parseYaml } from 'yaml';
import { ENVIRONMENTS } from '../environments';
import { pinnedVersion } from '../lib/versions';
import { CYCLE_COMMANDS } from '../scripts/ops/cycle-commands';
import { READ_COMMANDS } from '../scripts/ops/read-commands';

const reviewComment = require('../scripts/workflows/review-comment.cjs');

const ROOT = join(__dirname, '..');
const WORKFLOW_DIR = join(ROOT, '.github', 'workflows');
const SCRIPT_DIR = join(ROOT, 'scripts', 'workflows');
const OURS = ['daily-cycle.yml', 'maintenance.yml', 'review.yml'] as const;
const ENV_NAMES = ENVIRONMENTS.map((e) => e.name);

/* ------------------------------------------------------------------------------------------ */
/* Workflows                                                                                  */
/* ------------------------------------------------------------------------------------------ */

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, unknown>;
  with?: Record<string, unknown>;
  'continue-on-error'?: boolean;
}
interface Job {
  name?: string;
  if?: string;
  needs?: string | string[];
  'runs-on'?: string;
  'timeout-minutes'?: number;
  permissions?: Record<string, string> | string;
  environment?: string | { name: string; deployment?: boolean };
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  strategy?: { matrix?: Record<string, unknown>; 'fail-fast'?: boolean };
  env?: Record<string, unknown>;
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, any>;
  permissions?: Record<string, string>;
  env?: Record<string, unknown>;
  defaults?: { run?: { shell?: string } };
  jobs: Record<string, Job>;
}

const workflowFiles = readdirSync(WORKFLOW_DIR).filter((f) => /\.ya?ml$/.test(f));
const load = (file: string): Workflow => parseYaml(readFileSync(join(WORKFLOW_DIR, file), 'utf8'));
const workflows: Record<string, Workflow> = Object.fromEntries(workflowFiles.map((f) => [f, load(f)]));
const daily = workflows['daily-cycle.yml'];
const maintenance = workflows['maintenance.yml'];
const review = workflows['review.yml'];

const allJobs = (files: readonly string[] = workflowFiles) =>
  files.flatMap((file) => Object.entries(workflows[file].jobs).map(([id, job]) => ({ file, id, job })));
const allSteps = (files: readonly string[] = workflowFiles) =>
  allJobs(files).flatMap(({ file, id, job }) => job.steps.map((step) => ({ file, job: id, step })));
const scriptFiles = readdirSync(SCRIPT_DIR).filter((f) => /\.(sh|cjs)$/.test(f));
const scriptText = (file: string) => readFileSync(join(SCRIPT_DIR, file), 'utf8');

/* ------------------------------------------------------------------------------------------ */
/* A small evaluator of GitHub Actions expressions                                            */
/* (docs.github.com/actions/learn-github-actions/expressions): literals, contexts with        */
/* property and index access, ! == != < <= > >= && || with GitHub's loose, case-insensitive    */
/* comparison, and the functions these workflows use.                                         */
/* ------------------------------------------------------------------------------------------ */

type Value = string | number | boolean | null | Value[] | { [key: string]: Value };
type Contexts = Record<string, Value>;

const TOKEN =
  /\s*(?:(\d+(?:\.\d+)?)|'((?:[^']|'')*)'|([A-Za-z_][A-Za-z0-9_-]*)|(==|!=|<=|>=|&&|\|\||[!<>()[\].,]))/y;

function tokenize(source: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    if (/^\s*$/.test(source.slice(TOKEN.lastIndex))) break;
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(source);
    if (!m) throw new Error(`cannot read expression at ${start}: ${source.slice(start)}`);
    if (m[1] !== undefined) tokens.push(`#${m[1]}`);
    else if (m[2] !== undefined) tokens.push(`'${m[2].replace(/''/g, "'")}`);
    else tokens.push(m[3] ?? m[4]);
  }
  return tokens;
}

const isFalsy = (v: Value) => v === false || v === 0 || v === '' || v === null || Number.isNaN(v);
const toNumber = (v: Value): number =>
  v === null
    ? 0
    : typeof v === 'boolean'
      ? Number(v)
      : typeof v === 'string'
        ? v.trim() === ''
          ? 0
          : Number(v)
        : typeof v === 'number'
          ? v
          : NaN;
function looseEqual(a: Value, b: Value): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (a === null && b === null) return true;
  const isObject = (v: Value) => v !== null && typeof v === 'object';
  if (isObject(a) || isObject(b)) return a === b;
  if (typeof a === typeof b) return a === b;
  return toNumber(a) === toNumber(b);
}
const toText = (v: Value): string =>
  v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
function property(object: Value, key: string): Value {
  if (object === null || typeof object !== 'object') return null;
  if (Array.isArray(object)) return /^\d+$/.test(key) ? (object[Number(key)] ?? null) : null;
  const found = Object.keys(object).find((k) => k.toLowerCase() === key.toLowerCase());
  return found === undefined ? null : object[found];
}

const FUNCTIONS: Record<string, (...args: Value[]) => Value> = {
  format: (template, ...args) =>
    toText(template)
      .replace(/\{(\d+)\}/g, (_, i) => toText(args[Number(i)] ?? null))
      .replace(/\{\{/g, '{')
      .replace(/\}\}/g, '}'),
  fromjson: (text) => JSON.parse(toText(text)),
  tojson: (value) => JSON.stringify(value),
  contains: (haystack, needle) =>
    Array.isArray(haystack)
      ? haystack.some((item) => looseEqual(item, needle))
      : toText(haystack).toLowerCase().includes(toText(needle).toLowerCase()),
  startswith: (s, p) => toText(s).toLowerCase().startsWith(toText(p).toLowerCase()),
  endswith: (s, p) => toText(s).toLowerCase().endsWith(toText(p).toLowerCase()),
  always: () => true,
  success: () => true,
  failure: () => false,
  cancelled: () => false,
  hashfiles: () => 'hash',
};

function evaluate(expression: string, contexts: Contexts): Value {
  const tokens = tokenize(expression);
  let pos = 0;
  const peek = () => tokens[pos];
  const take = (expected?: string) => {
    const token = tokens[pos++];
    if (expected !== undefined && token !== expected)
      throw new Error(`expected ${expected}, got ${token} in ${expression}`);
    return token;
  };
  // Each parser returns a thunk so that && and || evaluate lazily, as GitHub does.
  type Thunk = () => Value;
  const or = (): Thunk => {
    let left = and();
    while (peek() === '||') {
      take();
      const [l, r] = [left, and()];
      left = () => {
        const v = l();
        return isFalsy(v) ? r() : v;
      };
    }
    return left;
  };
  const and = (): Thunk => {
    let left = equality();
    while (peek() === '&&') {
      take();
      const [l, r] = [left, equality()];
      left = () => {
        const v = l();
        return isFalsy(v) ? v : r();
      };
    }
    return left;
  };
  const equality = (): Thunk => {
    let left = comparison();
    while (peek() === '==' || peek() === '!=') {
      const op = take();
      const [l, r] = [left, comparison()];
      left = () => (op === '==' ? looseEqual(l(), r()) : !looseEqual(l(), r()));
    }
    return left;
  };
  const comparison = (): Thunk => {
    let left = unary();
    while (['<', '<=', '>', '>='].includes(peek())) {
      const op = take();
      const [l, r] = [left, unary()];
      left = () => {
        const [a, b] = [toNumber(l()), toNumber(r())];
        return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
      };
    }
    return left;
  };
  const unary = (): Thunk => {
    if (peek() === '!') {
      take();
      const inner = unary();
      return () => isFalsy(inner());
    }
    return postfix();
  };
  const postfix = (): Thunk => {
    let value = primary();
    for (;;) {
      if (peek() === '.') {
        take();
        const key = take();
        const base = value;
        value = () => property(base(), key);
      } else if (peek() === '[') {
        take();
        const index = or();
        take(']');
        const base = value;
        value = () => property(base(), toText(index()));
      } else return value;
    }
  };
  const primary = (): Thunk => {
    const token = take();
    if (token === undefined) throw new Error(`unexpected end of ${expression}`);
    if (token === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if (token.startsWith("'")) return () => token.slice(1);
    if (token.startsWith('#')) return () => Number(token.slice(1));
    if (token === 'true' || token === 'false') return () => token === 'true';
    if (token === 'null') return () => null;
    if (peek() === '(') {
      take();
      const fn = FUNCTIONS[token.toLowerCase()];
      if (!fn) throw new Error(`unknown function ${token} in ${expression}`);
      const args: Thunk[] = [];
      while (peek() !== ')') {
        args.push(or());
        if (peek() === ',') take();
      }
      take(')');
      return () => fn(...args.map((a) => a()));
    }
    if (!/^[A-Za-z_]/.test(token)) throw new Error(`unexpected ${token} in ${expression}`);
    return () => property(contexts, token);
  };
  const result = or();
  if (pos !== tokens.length) throw new Error(`unexpected ${tokens[pos]} in ${expression}`);
  return result();
}

/** A workflow value: a whole `${{ }}` gives its value, otherwise the text with each expression in it. */
function resolve(value: unknown, contexts: Contexts): Value {
  const text = String(value);
  const whole = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(text);
  if (whole && !whole[1].includes('}}')) return evaluate(whole[1], contexts);
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, e: string) => toText(evaluate(e, contexts)));
}
/** A job or step `if:`: an expression with or without `${{ }}`. */
function condition(value: string | undefined, contexts: Contexts): boolean {
  if (value === undefined) return true;
  const whole = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(value);
  return !isFalsy(evaluate(whole ? whole[1] : value, contexts));
}

describe('the expression evaluator used below', () => {
  test('follows GitHub: && and || return operands, == ignores case and coerces, missing is null', () => {
    const ctx: Contexts = { secrets: { A: 'x' }, inputs: { e: 'Prod' } };
    expect(evaluate("secrets.A != '' && 'yes' || 'no'", ctx)).toBe('yes');
    expect(evaluate("secrets.MISSING != ''", ctx)).toBe(false);
    expect(evaluate("inputs.e == 'prod'", ctx)).toBe(true);
    expect(evaluate("false && fromJSON('') || 'short-circuit'", ctx)).toBe('short-circuit');
    expect(evaluate(`format('["{0}"]', inputs.e)`, ctx)).toBe('["Prod"]');
    expect(evaluate(`contains(fromJSON('["dev","prod"]'), 'prod')`, ctx)).toBe(true);
    expect(evaluate("!(1 == 2) && secrets['A']", ctx)).toBe('x');
    expect(resolve('cluster-${{ inputs.e }}', ctx)).toBe('cluster-Prod');
  });
});

/** Contexts of a run: the event with its inputs, repository variables and secrets. */
function runContexts(options: {
  event: 'schedule' | 'workflow_dispatch' | 'pull_request';
  inputs?: Record<string, Value>;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  matrix?: Record<string, Value>;
  needs?: Record<string, { result: string; outputs?: Record<string, string> }>;
  /** The cron line that fired (`github.event.schedule`). */
  schedule?: string;
  /** Step outputs by step id. */
  steps?: Record<string, { outputs: Record<string, string> }>;
}): Contexts {
  return {
    github: {
      event_name: options.event,
      repository: 'team/hetzner-trading',
      event: {
        pull_request: { head: { repo: { full_name: 'team/hetzner-trading' } } },
        ...(options.schedule === undefined ? {} : { schedule: options.schedule }),
      },
    },
    inputs: options.inputs ?? {},
    vars: options.vars ?? {},
    secrets: options.secrets ?? {},
    matrix: options.matrix ?? {},
    needs: (options.needs ?? {}) as Value,
    steps: (options.steps ?? {}) as Value,
    env: {},
    runner: { temp: '/tmp/runner', os: 'Linux' },
  };
}

/* ------------------------------------------------------------------------------------------ */
/* Running a step's script                                                                    */
/* ------------------------------------------------------------------------------------------ */

const tmpDirs: string[] = [];
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'workflows-test-'));
  tmpDirs.push(dir);
  return dir;
}

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Each `npm` command line the script ran (a stub records them). */
  npm: string[];
  dir: string;
}

/** Runs a shell script the way GitHub's `shell: bash` does, with a stub npm on PATH. */
function runBash(
  script: string,
  env: Record<string, string>,
  options: { cwd?: string; opsStub?: boolean } = {},
): Ran {
  const dir = tempDir();
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = join(dir, 'npm.log');
  writeFileSync(join(bin, 'npm'), `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >>"${log}"\n`);
  chmodSync(join(bin, 'npm'), 0o755);
  if (options.opsStub) {
    // A stand-in for scripts/ops/ops.sh in the step's working folder, logging like npm's.
    mkdirSync(join(dir, 'scripts', 'ops'), { recursive: true });
    writeFileSync(join(dir, 'scripts', 'ops', 'ops.sh'), `printf 'ops.sh %s\\n' "$*" >>"${log}"\n`);
  }
  const file = join(dir, 'step.sh');
  writeFileSync(file, script);
  const summary = join(dir, 'summary.md');
  writeFileSync(summary, '');
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
    cwd: options.cwd ?? (options.opsStub ? dir : ROOT),
    encoding: 'utf8',
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: dir,
      RUNNER_TEMP: dir,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_ENV: join(dir, 'github_env'),
      GITHUB_OUTPUT: join(dir, 'github_output'),
      ...env,
    },
  });
  let npm: string[] = [];
  try {
    npm = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    npm = [];
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, npm, dir };
}

/** A step's `env:` resolved for a run. */
function stepEnv(step: Step, contexts: Contexts): Record<string, string> {
  return Object.fromEntries(
    Object.entries(step.env ?? {}).map(([k, v]) => [k, toText(resolve(v, contexts))]),
  );
}

const stepRunning = (job: Job, pattern: RegExp): Step => {
  const found = job.steps.filter((s) => s.run && pattern.test(s.run));
  expect(found).toHaveLength(1);
  return found[0];
};

/* ------------------------------------------------------------------------------------------ */
/* Every workflow                                                                             */
/* ------------------------------------------------------------------------------------------ */

describe('every workflow', () => {
  test('the three operations workflows exist beside ci.yml', () => {
    expect(workflowFiles).toEqual(expect.arrayContaining(['ci.yml', ...OURS]));
  });

  test.each(workflowFiles)('%s: least privilege at workflow level (contents: read)', (file) => {
    expect(workflows[file].permissions).toEqual({ contents: 'read' });
  });

  test('only the review comment job may write, and only to pull requests', () => {
    const writers = allJobs()
      .filter(({ job }) => job.permissions !== undefined)
      .map(({ file, id, job }) => ({ where: `${file}:${id}`, permissions: job.permissions }));
    expect(writers).toEqual([
      { where: 'review.yml:comment', permissions: { contents: 'read', 'pull-requests': 'write' } },
    ]);
  });

  test('every job has a timeout of at most an hour', () => {
    const jobs = allJobs().map(({ file, id, job }) => [`${file}:${id}`, job['timeout-minutes']] as const);
    expect(jobs.length).toBeGreaterThan(0);
    for (const [where, minutes] of jobs) {
      expect({ where, ok: typeof minutes === 'number' && minutes > 0 && minutes <= 60 }).toEqual({
        where,
        ok: true,
      });
    }
  });

  test('every checkout keeps no credentials in the workspace', () => {
    const checkouts = allSteps().filter(({ step }) => step.uses?.startsWith('actions/checkout@'));
    expect(checkouts.length).toBeGreaterThanOrEqual(5);
    for (const { file, job, step } of checkouts) {
      expect({
        where: `${file}:${job}`,
        uses: step.uses,
        persist: step.with?.['persist-credentials'],
      }).toEqual({
        where: `${file}:${job}`,
        uses: 'actions/checkout@v6',
        persist: false,
      });
    }
  });

  test('every OpenTofu setup installs the pinned version (lib/versions.ts), without the wrapper', () => {
    const tofu = allSteps().filter(({ step }) => step.uses?.startsWith('opentofu/setup-opentofu@'));
    expect(tofu.map(({ file, job }) => `${file}:${job}`).sort()).toEqual([
      'ci.yml:test',
      'daily-cycle.yml:cycle',
      'maintenance.yml:destroy',
      'review.yml:review',
    ]);
    for (const { file, step } of tofu) {
      expect({
        file,
        uses: step.uses,
        version: `v${step.with?.tofu_version}`,
        wrapper: String(step.with?.tofu_wrapper),
      }).toEqual({
        file,
        uses: 'opentofu/setup-opentofu@v2',
        version: pinnedVersion('opentofu'),
        wrapper: 'false',
      });
    }
  });

  test('no run: block interpolates ${{ }}: inputs, variables and secrets reach scripts through env', () => {
    const inline = allSteps()
      .filter(({ step }) => step.run?.includes('${{'))
      .map(({ file, job, step }) => `${file}:${job}:${step.name ?? step.run}`);
    expect(inline).toEqual([]);
  });

  test('secrets appear only in the env of the steps that use them (or as set/unset flags)', () => {
    const misplaced: string[] = [];
    for (const { file, id, job } of allJobs()) {
      for (const [name, value] of Object.entries(job.env ?? {})) {
        // A job-level env may say whether a secret is set, never hold it.
        const text = String(value);
        if (/secrets\./.test(text) && !/^\$\{\{(\s*secrets\.[A-Z_]+ != ''\s*(\|\||&&)?)+\}\}$/.test(text)) {
          misplaced.push(`${file}:${id}: env ${name}`);
        }
      }
      for (const step of job.steps) {
        if (JSON.stringify(step.with ?? {}).includes('secrets.'))
          misplaced.push(`${file}:${id}: with of ${step.name}`);
        if (step.uses && JSON.stringify(step.env ?? {}).includes('secrets.')) {
          misplaced.push(`${file}:${id}: env of the action ${step.uses}`);
        }
      }
    }
    expect(misplaced).toEqual([]);
  });

  test('no kubeconfig or SSH key is uploaded, printed or written to a job output', () => {
    const problems: string[] = [];
    for (const { file, job, step } of allSteps()) {
      const where = `${file}:${job}:${step.name ?? step.uses ?? step.run}`;
      if (step.uses?.startsWith('actions/upload-artifact@')) {
        const path = String(step.with?.path ?? '');
        if (/kube|ssh|id_|\.pem|RUNNER_TEMP|runner\.temp/i.test(path))
          problems.push(`${where} uploads ${path}`);
      }
      const run = step.run ?? '';
      if (/\b(cat|less|more|head|tail|echo)\b[^\n]*kube/i.test(run))
        problems.push(`${where} prints a kubeconfig`);
      if (/\b(cat|less|more|head|tail)\b[^\n]*(SSH_PRIVATE_KEY|ssh\/id)/.test(run))
        problems.push(`${where} prints the SSH key`);
    }
    for (const file of scriptFiles) {
      const text = scriptText(file);
      if (/\b(cat|head|tail)\b[^\n]*(kube|\$key\b|SSH_PRIVATE_KEY)/i.test(text))
        problems.push(`${file} prints a secret file`);
    }
    for (const { file, id, job } of allJobs()) {
      for (const [name, value] of Object.entries(job.outputs ?? {})) {
        if (/kube|ssh|secret|token/i.test(`${name} ${value}`)) problems.push(`${file}:${id} outputs ${name}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('the operations workflows install with npm ci and take providers from the public registry, no Go build', () => {
    for (const file of OURS) {
      const text = readFileSync(join(WORKFLOW_DIR, file), 'utf8');
      expect({ file, registry: workflows[file].env?.USE_PUBLIC_REGISTRY }).toEqual({ file, registry: '1' });
      expect({ file, go: /setup-go|npm run (setup|toolchain)|toolchain\.sh/.test(text) }).toEqual({
        file,
        go: false,
      });
      expect({ file, shell: workflows[file].defaults?.run?.shell }).toEqual({ file, shell: 'bash' });
    }
    // Every job that runs the project's npm scripts checks out, sets up Node 20 with npm's cache, and runs npm ci.
    for (const { file, id, job } of allJobs(OURS)) {
      if (!job.steps.some((s) => /\bnpm run\b|scripts\/workflows\/review-(plan|cost)/.test(s.run ?? '')))
        continue;
      const uses = job.steps.map((s) => s.uses?.replace(/@.*/, '') ?? s.run?.trim().split('\n')[0]);
      const node = job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
      expect({ where: `${file}:${id}`, node: node?.uses, with: node?.with }).toEqual({
        where: `${file}:${id}`,
        node: 'actions/setup-node@v6',
        with: { 'node-version': 20, cache: 'npm' },
      });
      expect({ where: `${file}:${id}`, steps: uses }).toEqual({
        where: `${file}:${id}`,
        steps: expect.arrayContaining(['actions/checkout', 'actions/setup-node', 'npm ci']),
      });
    }
  });

  test('the workflows run commands that change a project through exec bash scripts/ops/ops.sh, so signals reach the CLI', () => {
    let seen = 0;
    for (const { file, job, step } of allSteps(OURS)) {
      for (const line of (step.run ?? '').split('\n')) {
        if (!line.includes('scripts/ops/ops.sh')) {
          expect({ where: `${file}:${job}`, line }).not.toEqual({
            where: `${file}:${job}`,
            line: expect.stringMatching(/npm run ops -- (guard|up|down|recreate|destroy)/),
          });
          continue;
        }
        seen++;
        expect({ where: `${file}:${job}`, line }).toEqual({
          where: `${file}:${job}`,
          line: expect.stringMatching(/(^|\)\s|^\s*)exec bash scripts\/ops\/ops\.sh /),
        });
      }
    }
    expect(seen).toBeGreaterThanOrEqual(7);
    expect(readFileSync(join(ROOT, 'scripts', 'ops', 'ops.sh'), 'utf8')).toMatch(/\nexec node /);
  });

  test('every `npm run ops -- <command>` is a command the operator CLI registers', () => {
    const registered = new Set([...Object.keys(READ_COMMANDS), ...Object.keys(CYCLE_COMMANDS)]);
    const used = new Map<string, string>();
    const collect = (where: string, text: string) => {
      for (const m of text.matchAll(
        /(?:npm run (?:--silent |-s )?ops --|scripts\/ops\/ops\.sh) ([^\s;|&)"']+)/g,
      ))
        used.set(m[1], where);
    };
    for (const { file, job, step } of allSteps(OURS)) collect(`${file}:${job}`, step.run ?? '');
    for (const file of scriptFiles) collect(`scripts/workflows/${file}`, scriptText(file));
    expect([...used.keys()].sort()).toEqual(
      [
        'cost',
        'cost-diff',
        'destroy-all',
        'destroy-cluster',
        'destroy-vms',
        'down',
        'guard',
        'list',
        'recreate',
        'up',
      ].sort(),
    );
    const unregistered = [...used]
      .filter(([command]) => !registered.has(command))
      .map(([c, where]) => `${c} (${where})`);
    expect(unregistered).toEqual([]);
  });
});

/* ------------------------------------------------------------------------------------------ */
/* daily-cycle.yml                                                                            */
/* ------------------------------------------------------------------------------------------ */

/** Expands one cron field (minute: 0-59) into the values it matches. */
function cronValues(field: string, min: number, max: number): number[] {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText ? Number(stepText) : 1;
    let [from, to] = [min, max];
    if (range !== '*') {
      const [a, b] = range.split('-').map(Number);
      [from, to] = [a, b ?? (stepText ? max : a)];
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

describe('daily-cycle.yml', () => {
  const job = daily.jobs.cycle;

  // Each cron line, and the environment it belongs to (the render's map: __tests__/lib/schedule.test.ts
  // proves the lines against the calendars).
  const crons: string[] = daily.on.schedule.map((s: { cron: string }) => s.cron);
  const lineOf = (environment: string) =>
    crons.find(
      (c) =>
        resolve(
          job.strategy!.matrix!.environment,
          runContexts({ event: 'schedule', schedule: c }),
        )?.toString() === environment,
    )!;

  test('a UTC schedule rendered from the calendars: never minute 0, at most every 5 minutes, every environment on it', () => {
    expect(crons.length).toBeGreaterThan(ENV_NAMES.length);
    for (const cron of crons) {
      const [minute] = cron.split(/\s+/);
      const minutes = cronValues(minute, 0, 59);
      expect({ cron, top: minutes.includes(0) }).toEqual({ cron, top: false });
      const gaps = minutes.slice(1).map((m, i) => m - minutes[i]);
      expect({ cron, gap: Math.min(5, ...gaps) }).toEqual({ cron, gap: 5 });
    }
    for (const environment of ENV_NAMES)
      expect({ environment, line: lineOf(environment) }).toEqual({
        environment,
        line: expect.any(String),
      });
  });

  test('manual dispatch: environment (the environments in code), action guard|up|down|recreate, dry_run', () => {
    const inputs = daily.on.workflow_dispatch.inputs;
    expect(inputs.environment).toMatchObject({ type: 'choice', options: ENV_NAMES, required: true });
    expect(inputs.action).toMatchObject({
      type: 'choice',
      options: ['guard', 'up', 'down', 'recreate'],
      default: 'guard',
    });
    expect(inputs.dry_run).toMatchObject({ type: 'boolean', default: false });
  });

  test('scheduled: the environment of the line that fired, if CYCLE_ENVIRONMENTS lists it; skipped without it; dispatch: the chosen one', () => {
    const matrix = (c: Contexts) => (job.strategy!.matrix!.environment as string[]).map((e) => resolve(e, c));
    for (const environment of ENV_NAMES) {
      const line = lineOf(environment);
      const on = (vars: Record<string, string>) => runContexts({ event: 'schedule', schedule: line, vars });
      expect(condition(job.if, on({ CYCLE_ENVIRONMENTS: JSON.stringify(ENV_NAMES) }))).toBe(true);
      expect(matrix(on({ CYCLE_ENVIRONMENTS: JSON.stringify(ENV_NAMES) }))).toEqual([environment]);
      expect(condition(job.if, on({ CYCLE_ENVIRONMENTS: JSON.stringify([environment]) }))).toBe(true);
      // Another environment's opt-in does not run this one's lines; no variable runs nothing.
      expect(
        condition(
          job.if,
          on({ CYCLE_ENVIRONMENTS: JSON.stringify(ENV_NAMES.filter((e) => e !== environment)) }),
        ),
      ).toBe(false);
      expect(condition(job.if, on({}))).toBe(false);
    }
    // A line the map does not know (a hand edit) runs nothing.
    const unknown = runContexts({
      event: 'schedule',
      schedule: '9 9 * * *',
      vars: { CYCLE_ENVIRONMENTS: '["dev","prod"]' },
    });
    expect(condition(job.if, unknown)).toBe(false);
    const dispatched = runContexts({
      event: 'workflow_dispatch',
      inputs: { environment: 'prod', action: 'up' },
    });
    expect(condition(job.if, dispatched)).toBe(true);
    expect(matrix(dispatched)).toEqual(['prod']);
    expect(job.strategy!['fail-fast']).toBe(false);
  });

  describe('the decide step: the bundled guard --dry-run first, the rest only when there is something to do', () => {
    const decideStep = job.steps.find((s) => s.id === 'decide')!;
    const after = job.steps.slice(job.steps.indexOf(decideStep) + 1, -1);
    const ctx = (event: 'schedule' | 'workflow_dispatch', done: string | undefined, action = 'guard') =>
      runContexts({
        event,
        matrix: { environment: 'dev' },
        inputs: event === 'workflow_dispatch' ? { environment: 'dev', action, dry_run: false } : {},
        steps: done === undefined ? {} : { decide: { outputs: { action: 'x', done } } },
      });

    test('it runs node on the committed bundle, with the token of its environment, before node_modules', () => {
      expect(decideStep.run).toBe('exec node scripts/ops/dist/guard-decide.cjs "$ENVIRONMENT"');
      const names = job.steps.map((s) => s.run ?? s.uses ?? '');
      expect(job.steps.indexOf(decideStep)).toBeLessThan(
        names.findIndex((n) => /setup-node|actions\/cache|npm ci/.test(n)),
      );
      const token = (environment: string) =>
        resolve(
          decideStep.env!.HCLOUD_TOKEN,
          runContexts({
            event: 'schedule',
            matrix: { environment },
            secrets: { HCLOUD_TOKEN_DEV: 'd', HCLOUD_TOKEN_PROD: 'p' },
          }),
        );
      expect([token('dev'), token('prod'), token('staging')]).toEqual(['d', 'p', '']);
    });

    test('scheduled and manual guard runs decide; manual up/down/recreate skip it', () => {
      expect(condition(decideStep.if, ctx('schedule', undefined))).toBe(true);
      expect(condition(decideStep.if, ctx('workflow_dispatch', undefined, 'guard'))).toBe(true);
      for (const action of ['up', 'down', 'recreate'])
        expect(condition(decideStep.if, ctx('workflow_dispatch', undefined, action))).toBe(false);
    });

    test('done: every later step but the cleanup is skipped; not done (or no decide): they run', () => {
      expect(after.length).toBeGreaterThanOrEqual(6);
      for (const step of after) {
        const where = step.name ?? step.uses;
        expect({ where, done: condition(step.if, ctx('schedule', 'true')) }).toEqual({ where, done: false });
        const cacheMiss = {
          ...ctx('schedule', 'false'),
          steps: {
            decide: { outputs: { done: 'false' } },
            'node-modules': { outputs: { 'cache-hit': 'false' } },
          },
        };
        expect({ where, run: condition(step.if, cacheMiss) }).toEqual({ where, run: true });
        const manualUp = {
          ...ctx('workflow_dispatch', undefined, 'up'),
          steps: { 'node-modules': { outputs: { 'cache-hit': 'false' } } },
        };
        expect({ where, run: condition(step.if, manualUp) }).toEqual({ where, run: true });
      }
    });
  });

  test("each leg runs in its environment's GitHub environment without creating deployments", () => {
    expect(job.environment).toEqual({ name: '${{ matrix.environment }}', deployment: false });
  });

  test('the HCLOUD token of the job is that environment’s, and never another environment’s', () => {
    const runStep = stepRunning(job, /scripts\/ops\/ops\.sh/);
    const both = { HCLOUD_TOKEN_DEV: 'dev-token', HCLOUD_TOKEN_PROD: 'prod-token' };
    const token = (environment: string, secrets: Record<string, string>) =>
      resolve(
        runStep.env!.HCLOUD_TOKEN,
        runContexts({ event: 'schedule', matrix: { environment }, secrets }),
      );
    expect(token('dev', both)).toBe('dev-token');
    expect(token('prod', both)).toBe('prod-token');
    expect(token('prod', { HCLOUD_TOKEN_DEV: 'dev-token' })).toBe('');
    expect(token('dev', { HCLOUD_TOKEN_PROD: 'prod-token' })).toBe('');
    expect(token('staging', both)).toBe('');
    // The configuration check sees the same thing, as a flag.
    const check = stepRunning(job, /preflight\.sh/);
    const flag = (environment: string, secrets: Record<string, string>) =>
      resolve(
        check.env!.HAS_HCLOUD_TOKEN,
        runContexts({ event: 'schedule', matrix: { environment }, secrets }),
      );
    expect(flag('prod', both)).toBe(true);
    expect(flag('prod', { HCLOUD_TOKEN_DEV: 'dev-token' })).toBe(false);
  });

  describe('the command a run executes', () => {
    const runStep = stepRunning(job, /scripts\/ops\/ops\.sh/);
    const execute = (c: Contexts) => runBash(runStep.run!, stepEnv(runStep, c), { opsStub: true });

    test.each(ENV_NAMES)('scheduled (%s): npm run ops -- guard <env>', (environment) => {
      const ran = execute(runContexts({ event: 'schedule', matrix: { environment } }));
      expect(ran.status).toBe(0);
      expect(ran.npm).toEqual([`ops.sh guard ${environment}`]);
    });

    test.each(['guard', 'up', 'down', 'recreate'])('manual %s prod: npm run ops -- %s prod', (action) => {
      const ran = execute(
        runContexts({
          event: 'workflow_dispatch',
          matrix: { environment: 'prod' },
          inputs: { environment: 'prod', action, dry_run: false },
        }),
      );
      expect(ran.status).toBe(0);
      expect(ran.npm).toEqual([`ops.sh ${action} prod`]);
    });

    test('manual guard with dry_run passes --dry-run', () => {
      const ran = execute(
        runContexts({
          event: 'workflow_dispatch',
          matrix: { environment: 'dev' },
          inputs: { environment: 'dev', action: 'guard', dry_run: true },
        }),
      );
      expect(ran.npm).toEqual(['ops.sh guard dev --dry-run']);
    });

    test('an unknown action runs nothing and fails', () => {
      const ran = runBash(runStep.run!, { ACTION: 'destroy-all', ENVIRONMENT: 'prod', DRY_RUN: 'false' });
      expect(ran.status).toBe(2);
      expect(ran.npm).toEqual([]);
    });
  });

  test('the job checks the configuration and writes the SSH key before running the command, and removes it after', () => {
    const names = job.steps.map((s) => s.run ?? s.uses ?? '');
    const index = (pattern: RegExp) => names.findIndex((n) => pattern.test(n));
    // The configuration is checked first, on every run (a missing secret fails loudly even on a quiet day).
    expect(index(/preflight\.sh/)).toBeLessThan(index(/guard-decide/));
    expect(index(/guard-decide/)).toBeLessThan(index(/npm ci/));
    expect(index(/ssh-key\.sh/)).toBeGreaterThan(index(/preflight\.sh/));
    expect(index(/scripts\/ops\/ops\.sh/)).toBeGreaterThan(index(/ssh-key\.sh/));
    const cleanup = job.steps[job.steps.length - 1];
    expect(cleanup).toMatchObject({ if: 'always()', run: 'rm -rf "$RUNNER_TEMP/ssh"' });
    expect(daily.env).toMatchObject({
      STATE_BACKEND: 's3',
      STATE_BUCKET: '${{ vars.STATE_BUCKET }}',
      STATE_ENDPOINT: '${{ vars.STATE_ENDPOINT }}',
    });
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Concurrency shared by daily-cycle.yml and maintenance.yml                                  */
/* ------------------------------------------------------------------------------------------ */

describe('one environment, one run at a time', () => {
  const mutating = [
    {
      file: 'daily-cycle.yml',
      id: 'cycle',
      context: (e: string) => runContexts({ event: 'schedule', matrix: { environment: e } }),
    },
    {
      file: 'maintenance.yml',
      id: 'destroy',
      context: (e: string) =>
        runContexts({ event: 'workflow_dispatch', inputs: { environment: e, action: 'destroy-all' } }),
    },
  ];

  test.each(ENV_NAMES)(
    '%s: daily-cycle and maintenance share the group cluster-<env>, never cancelling a run',
    (environment) => {
      for (const { file, id, context } of mutating) {
        const concurrency = workflows[file].jobs[id].concurrency!;
        expect({ file, group: resolve(concurrency.group, context(environment)) }).toEqual({
          file,
          group: `cluster-${environment}`,
        });
        expect({ file, cancel: concurrency['cancel-in-progress'] }).toEqual({ file, cancel: false });
      }
    },
  );

  test('every job that changes a project is in that group; no workflow-level concurrency cancels them', () => {
    for (const file of ['daily-cycle.yml', 'maintenance.yml']) {
      expect((workflows[file] as any).concurrency).toBeUndefined();
      for (const [id, job] of Object.entries(workflows[file].jobs)) {
        const changes = job.steps.some((s) =>
          /(npm run ops --|scripts\/ops\/ops\.sh) (guard|up|down|recreate|destroy)/.test(s.run ?? ''),
        );
        expect({
          job: `${file}:${id}`,
          grouped: changes ? job.concurrency?.group?.startsWith('cluster-') : undefined,
        }).toEqual({
          job: `${file}:${id}`,
          grouped: changes ? true : undefined,
        });
      }
    }
  });
});

describe('runs that are killed: deadline, stale locks', () => {
  /** Every step of every workflow that runs the operator CLI's mutating commands. */
  const cliSteps = Object.entries(workflows).flatMap(([file, w]) =>
    Object.entries(w.jobs).flatMap(([id, job]) =>
      job.steps
        .filter((s) => /scripts\/ops\/ops\.sh (guard|up|down|recreate|destroy)/.test(s.run ?? ''))
        .map((step) => ({ where: `${file}:${id}:${step.name}`, job, step })),
    ),
  );

  test('there are such steps', () => {
    expect(cliSteps.length).toBeGreaterThanOrEqual(2);
  });

  test.each(cliSteps.map((c) => [c.where, c] as const))(
    '%s: the deadline leaves the engine time to stop before timeout-minutes; a stale lock outlives any run',
    (_where, { job, step }) => {
      const env = step.env ?? {};
      const timeout = job['timeout-minutes'];
      const deadline = Number(env.OPS_DEADLINE_MINUTES);
      const maxRun = Number(env.OPS_MAX_RUN_MINUTES);
      expect(typeof timeout).toBe('number');
      // At the deadline the engine gets SIGINT and needs minutes to write its state and unlock.
      expect(Number.isFinite(deadline)).toBe(true);
      expect(deadline).toBeLessThanOrEqual(timeout! - 5);
      // A lock younger than the longest run may belong to a run that still works.
      expect(maxRun).toBeGreaterThanOrEqual(timeout!);
      // Clearing stale locks is safe only where the concurrency group excludes any other run.
      if (env.OPS_CLEAR_STALE_LOCKS === '1') {
        expect(job.concurrency?.group).toMatch(/^cluster-\$\{\{/);
        expect(job.concurrency?.['cancel-in-progress']).toBe(false);
      }
    },
  );

  test('the guard notifies through a secret, never a value written in the workflow', () => {
    const guard = cliSteps.filter((c) => /ops\.sh guard/.test(c.step.run ?? ''));
    expect(guard.length).toBeGreaterThan(0);
    for (const { step } of guard) {
      expect(step.env?.ALERT_WEBHOOK_URL).toBe('${{ secrets.ALERT_WEBHOOK_URL }}');
    }
  });
});

/* ------------------------------------------------------------------------------------------ */
/* maintenance.yml                                                                            */
/* ------------------------------------------------------------------------------------------ */

describe('maintenance.yml', () => {
  const { check, approve, list, destroy } = maintenance.jobs;

  test('manual only: environment, action list|destroy-vms|destroy-cluster|destroy-all, confirm', () => {
    expect(Object.keys(maintenance.on)).toEqual(['workflow_dispatch']);
    const inputs = maintenance.on.workflow_dispatch.inputs;
    expect(inputs.environment).toMatchObject({ type: 'choice', options: ENV_NAMES, required: true });
    expect(inputs.action).toMatchObject({
      type: 'choice',
      options: ['list', 'destroy-vms', 'destroy-cluster', 'destroy-all'],
    });
    expect(inputs.confirm).toMatchObject({ type: 'string', required: false });
  });

  describe('the check job refuses destroy-all unless confirm equals the environment and it is off the schedule', () => {
    const step = check.steps[0];
    const runCheck = (inputs: Record<string, string>, vars: Record<string, string> = {}) =>
      runBash(step.run!, stepEnv(step, runContexts({ event: 'workflow_dispatch', inputs, vars })));

    test.each([
      ['destroy-all', 'prod', '', 1],
      ['destroy-all', 'prod', 'dev', 1],
      ['destroy-all', 'prod', 'Prod', 1],
      ['destroy-all', 'prod', 'prod ', 1],
      ['destroy-all', 'prod', 'prod', 0],
      ['destroy-all', 'dev', 'dev', 0],
      ['destroy-vms', 'prod', '', 0],
      ['list', 'dev', '', 0],
    ])('%s %s with confirm %j: exit %d', (action, environment, confirm, status) => {
      const ran = runCheck({ action, environment, confirm });
      expect(ran.status).toBe(status);
      if (status) expect(ran.stdout).toMatch(/::error::destroy-all/);
    });

    test('destroy-all of an environment still on the schedule is refused (the guard would re-create it)', () => {
      const schedule = { CYCLE_ENVIRONMENTS: '["dev","prod"]' };
      expect(runCheck({ action: 'destroy-all', environment: 'prod', confirm: 'prod' }, schedule).status).toBe(
        1,
      );
      expect(
        runCheck(
          { action: 'destroy-all', environment: 'prod', confirm: 'prod' },
          { CYCLE_ENVIRONMENTS: '["dev"]' },
        ).status,
      ).toBe(0);
      expect(runCheck({ action: 'destroy-vms', environment: 'prod', confirm: '' }, schedule).status).toBe(0);
    });

    test('it reads no secret and runs no project code', () => {
      expect(JSON.stringify(check)).not.toMatch(/secrets\.|npm /);
    });
  });

  test('destroy-all waits for the <env>-destroy-all environment (its reviewers), which holds no secret', () => {
    expect(approve.needs).toBe('check');
    expect(
      condition(approve.if, runContexts({ event: 'workflow_dispatch', inputs: { action: 'destroy-all' } })),
    ).toBe(true);
    expect(
      condition(approve.if, runContexts({ event: 'workflow_dispatch', inputs: { action: 'destroy-vms' } })),
    ).toBe(false);
    expect(
      resolve(
        (approve.environment as { name: string }).name,
        runContexts({ event: 'workflow_dispatch', inputs: { environment: 'prod' } }),
      ),
    ).toBe('prod-destroy-all');
    expect(JSON.stringify(approve)).not.toMatch(/secrets\.|npm /);
  });

  test.each([
    // action, check, approve, destroy job runs?
    ['destroy-all', 'success', 'success', true],
    ['destroy-all', 'success', 'skipped', false],
    ['destroy-all', 'success', 'failure', false],
    ['destroy-all', 'failure', 'skipped', false],
    ['destroy-vms', 'success', 'skipped', true],
    ['destroy-cluster', 'success', 'skipped', true],
    ['destroy-cluster', 'failure', 'skipped', false],
    ['list', 'success', 'skipped', false],
  ])('the destroy job for %s (check %s, approve %s) runs: %s', (action, checkResult, approveResult, runs) => {
    const c = runContexts({
      event: 'workflow_dispatch',
      inputs: { action, environment: 'prod' },
      needs: { check: { result: checkResult }, approve: { result: approveResult } },
    });
    expect(destroy.needs).toEqual(['check', 'approve']);
    expect(condition(destroy.if, c)).toBe(runs);
  });

  test('list runs at once (no concurrency group, no OpenTofu), with the token only', () => {
    expect(condition(list.if, runContexts({ event: 'workflow_dispatch', inputs: { action: 'list' } }))).toBe(
      true,
    );
    expect(list.concurrency).toBeUndefined();
    const step = stepRunning(list, /npm run ops -- list/);
    expect(Object.keys(step.env!).sort()).toEqual(['ENVIRONMENT', 'HCLOUD_TOKEN']);
    const ran = runBash(step.run!, { ENVIRONMENT: 'prod' });
    expect(ran.npm).toEqual(['run ops -- list prod']);
  });

  describe('the destroy command', () => {
    const step = stepRunning(destroy, /scripts\/ops\/ops\.sh destroy/);
    const execute = (action: string, confirm = '') =>
      runBash(
        step.run!,
        stepEnv(
          step,
          runContexts({ event: 'workflow_dispatch', inputs: { action, environment: 'prod', confirm } }),
        ),
        { opsStub: true },
      );

    test.each(['destroy-vms', 'destroy-cluster'])('%s prod: npm run ops -- %s prod', (action) => {
      const ran = execute(action);
      expect(ran.status).toBe(0);
      expect(ran.npm).toEqual([`ops.sh ${action} prod`]);
    });

    test('destroy-all passes --confirm to the CLI, which checks it too', () => {
      const ran = execute('destroy-all', 'prod');
      expect(ran.status).toBe(0);
      expect(ran.npm).toEqual(['ops.sh destroy-all prod --confirm prod']);
    });

    test('destroy-all with a wrong confirm runs nothing, even past the check job', () => {
      const ran = execute('destroy-all', 'dev');
      expect(ran.status).toBe(1);
      expect(ran.npm).toEqual([]);
    });

    test('an unknown action runs nothing', () => {
      expect(execute('list').npm).toEqual([]);
      expect(execute('list').status).toBe(2);
    });
  });

  test.each([
    ['destroy-vms', { HCLOUD_TOKEN_PROD: 't' }, 0],
    ['destroy-cluster', { HCLOUD_TOKEN_PROD: 't' }, 1],
    [
      'destroy-cluster',
      { HCLOUD_TOKEN_PROD: 't', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's', SSH_PRIVATE_KEY: 'k' },
      0,
    ],
    [
      'destroy-all',
      { HCLOUD_TOKEN_DEV: 't', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's', SSH_PRIVATE_KEY: 'k' },
      1,
    ],
  ])(
    '%s on prod with secrets %j and the state variables: configuration check exits %d',
    (action, secrets, status) => {
      // destroy-vms, the way out when the state is lost, needs the token only.
      const step = stepRunning(destroy, /preflight\.sh/);
      const c = runContexts({
        event: 'workflow_dispatch',
        inputs: { action, environment: 'prod' },
        secrets,
        vars: { STATE_BUCKET: 'b', STATE_ENDPOINT: 'https://e' },
      });
      const env = { ...stepEnv(step, c), STATE_BUCKET: 'b', STATE_ENDPOINT: 'https://e' };
      expect(runBash(`bash ${join(SCRIPT_DIR, 'preflight.sh')}`, env).status).toBe(status);
      const sshStep = destroy.steps.find((s) => /ssh-key\.sh/.test(s.run ?? ''))!;
      expect(condition(sshStep.if, c)).toBe(action !== 'destroy-vms');
    },
  );

  test('the destroy job runs in the environment with its secrets, after the checks, and removes the key', () => {
    expect(destroy.environment).toEqual({ name: '${{ inputs.environment }}', deployment: false });
    const runs = destroy.steps.map((s) => s.run ?? '');
    expect(runs.findIndex((r) => /preflight/.test(r))).toBeLessThan(
      runs.findIndex((r) => /scripts\/ops\/ops\.sh/.test(r)),
    );
    expect(destroy.steps[destroy.steps.length - 1]).toMatchObject({
      if: 'always()',
      run: 'rm -rf "$RUNNER_TEMP/ssh"',
    });
  });
});

/* ------------------------------------------------------------------------------------------ */
/* review.yml                                                                                 */
/* ------------------------------------------------------------------------------------------ */

describe('review.yml', () => {
  const { review: reviewJob, comment } = review.jobs;
  const step = (id: string) => reviewJob.steps.find((s) => s.id === id)!;

  test('runs on pull requests; a new push cancels the review of the previous one', () => {
    expect(Object.keys(review.on)).toEqual(['pull_request']);
    expect((review as any).concurrency).toEqual({
      group: 'review-${{ github.event.pull_request.number }}',
      'cancel-in-progress': true,
    });
  });

  test('checks: synth, GitOps drift (git diff --exit-code gitops/), validate, plan, cost; each reported, none stopping the others', () => {
    expect(step('synth').run).toMatch(/npm run synth/);
    expect(step('drift').run).toMatch(/git diff --exit-code[^\n]* -- gitops\//);
    expect(step('drift').run).toMatch(/git status --porcelain --untracked-files=all -- gitops\//);
    expect(step('validate').run).toMatch(/npm run --silent tf -- "\$stack" validate/);
    expect(step('plan').run).toBe('bash scripts/workflows/review-plan.sh');
    expect(step('cost').run).toBe('bash scripts/workflows/review-cost.sh');
    for (const id of ['synth', 'drift', 'validate', 'plan', 'cost']) {
      expect({ id, continues: step(id)['continue-on-error'] }).toEqual({ id, continues: true });
    }
    // The verdict fails the job when any check failed.
    const verdict = reviewJob.steps[reviewJob.steps.length - 1];
    const ran = runBash(verdict.run!, { OUTCOMES: 'success failure success success skipped' });
    expect(ran.status).toBe(1);
    expect(runBash(verdict.run!, { OUTCOMES: 'success success success  success' }).status).toBe(0);
  });

  test('the plan uses read-only tokens and the variables of the state, never a write token', () => {
    const env = step('plan').env!;
    expect(
      Object.keys(env)
        .filter((k) => /TOKEN/.test(k))
        .sort(),
    ).toEqual(['HCLOUD_TOKEN_READONLY_DEV', 'HCLOUD_TOKEN_READONLY_PROD']);
    expect(JSON.stringify(review)).not.toMatch(/secrets\.HCLOUD_TOKEN_(DEV|PROD)\b/);
    expect(scriptText('review-plan.sh')).toMatch(/plan -lock=false/);
  });

  test('the cost change runs the CLI on the base checkout and on the head, then cost-diff', () => {
    const base = reviewJob.steps.find((s) => s.with?.path === '.review-base')!;
    expect(base.with).toMatchObject({
      ref: '${{ github.event.pull_request.base.sha }}',
      'persist-credentials': false,
    });
    const script = scriptText('review-cost.sh');
    expect(script).toMatch(/npm run --silent ops -- cost --json >"\$head_json"/);
    expect(script).toMatch(/cd \.review-base && npm run --silent ops -- cost --json\) >"\$base_json"/);
    expect(script).toMatch(/npm run --silent ops -- cost-diff "\$base_json" "\$head_json"/);
  });

  test('one comment, updated: the comment job posts what the review job rendered, with the marker', () => {
    expect(comment.needs).toBe('review');
    expect(comment.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    // Same-repository pull requests only: a fork's token cannot write.
    expect(
      condition(comment.if, {
        ...runContexts({ event: 'pull_request' }),
        needs: { review: { result: 'failure', outputs: { body: 'x' } } },
      }),
    ).toBe(true);
    // It installs and runs nothing of the pull request but the upsert script.
    expect(comment.steps.some((s) => s.run)).toBe(false);
    expect(comment.steps[0].with).toMatchObject({
      'sparse-checkout': 'scripts/workflows',
      'persist-credentials': false,
    });
    const script = comment.steps.find((s) => s.uses?.startsWith('actions/github-script@'))!;
    expect(script.uses).toBe('actions/github-script@v8');
    expect(String(script.with?.script)).toMatch(/require\('\.\/scripts\/workflows\/review-comment\.cjs'\)/);
    expect(String(script.with?.script)).toMatch(/upsertReviewComment\(/);
    expect(script.env).toEqual({ BODY: '${{ needs.review.outputs.body }}' });
    expect(reviewJob.outputs).toEqual({ body: '${{ steps.render.outputs.body }}' });
    expect(step('render').run).toMatch(/review-comment\.cjs render/);
    expect(reviewComment.MARKER).toBe('<!-- hetzner-trading-review -->');
  });
});

/* ------------------------------------------------------------------------------------------ */
/* scripts/workflows/review-comment.cjs                                                       */
/* ------------------------------------------------------------------------------------------ */

describe('the review comment', () => {
  const outcomes = {
    synth: 'success',
    drift: 'failure',
    validate: 'success',
    plan: 'success',
    cost: 'success',
  };

  test('starts with the marker, has one row per check, opens the details of a failure', () => {
    const body: string = reviewComment.renderReviewComment({
      outcomes,
      notes: { plan: '⏭️ skipped: no read-only token' },
      details: { drift: 'gitops/dev/x.yaml', cost: '| env | before | after |' },
      sha: 'abcdef1234567',
      runUrl: 'https://github.com/o/r/actions/runs/1',
    });
    expect(body.split('\n')[0]).toBe('<!-- hetzner-trading-review -->');
    expect(body).toMatch(/\| synth \(`npm run synth`\) \| ✅ passed \|/);
    expect(body).toMatch(/\| GitOps drift [^|]*\| ❌ failed \|/);
    expect(body).toMatch(/\| plan against the real projects [^|]*\| ⏭️ skipped: no read-only token \|/);
    expect(body).toMatch(/### Cost change\n\n\| env \| before \| after \|/);
    expect(body).toMatch(
      /<details open><summary>GitOps drift[^<]*<code>gitops\/<\/code>[^<]*<\/summary>\n\ngitops\/dev\/x\.yaml/,
    );
    expect(body).toMatch(/commit abcdef1, \[run\]\(https:\/\/github\.com\/o\/r\/actions\/runs\/1\)/);
  });

  test('a check that did not run says so; a long body is cut below GitHub’s limit', () => {
    const body: string = reviewComment.renderReviewComment({
      outcomes: { synth: 'failure' },
      details: { synth: 'x'.repeat(200_000), validate: 'y'.repeat(200_000), plan: 'z'.repeat(200_000) },
    });
    expect(body).toMatch(/\| validate [^|]*\| ⏭️ not run \|/);
    expect(body.length).toBeLessThan(65_536);
    expect(body.startsWith(reviewComment.MARKER)).toBe(true);
  });

  test('render reads the outcomes from the environment and the details from the folder', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'cost.md'), 'cost went up by 1 EUR');
    writeFileSync(join(dir, 'plan.note'), '⏭️ skipped: no token\n');
    const result = spawnSync(process.execPath, [join(SCRIPT_DIR, 'review-comment.cjs'), 'render', dir], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        SYNTH_OUTCOME: 'success',
        PLAN_OUTCOME: 'success',
        COST_OUTCOME: 'success',
        HEAD_SHA: '1234567890',
      },
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^<!-- hetzner-trading-review -->\n/);
    expect(result.stdout).toMatch(/⏭️ skipped: no token \|/);
    expect(result.stdout).toMatch(/cost went up by 1 EUR/);
    expect(result.stdout).toMatch(/commit 1234567/);
  });

  test('the plan summary counts changes, lists addresses and actions only, and warns when a Primary IP would go', () => {
    const plan = {
      resource_changes: [
        {
          address: 'hcloud_server.cp-0',
          type: 'hcloud_server',
          change: { actions: ['create'], after: { ipv4_address: '203.0.113.1' } },
        },
        { address: 'hcloud_network.net', type: 'hcloud_network', change: { actions: ['update'] } },
        { address: 'hcloud_ssh_key.key', type: 'hcloud_ssh_key', change: { actions: ['delete', 'create'] } },
        { address: 'hcloud_firewall.old', type: 'hcloud_firewall', change: { actions: ['delete'] } },
        {
          address: 'hcloud_primary_ip.cp',
          type: 'hcloud_primary_ip',
          change: { actions: ['create', 'delete'] },
        },
        { address: 'random_password.k3s', type: 'random_password', change: { actions: ['no-op'] } },
        { address: 'data.hcloud_primary_ip.x', type: 'hcloud_primary_ip', change: { actions: ['read'] } },
      ],
    };
    const summary: string = reviewComment.summarizePlan(plan);
    expect(summary.split('\n')[0]).toBe('3 to add, 1 to change, 3 to destroy');
    expect(summary).toMatch(
      /\[!WARNING\]\n> `hcloud_primary_ip\.cp` would be replaced: the persistent address changes\./,
    );
    expect(summary).toMatch(/- `\+` `hcloud_server\.cp-0` \(create\)/);
    expect(summary).toMatch(/- `-\/\+` `hcloud_ssh_key\.key` \(replace\)/);
    expect(summary).not.toMatch(/203\.0\.113\.1|random_password|data\./);
    expect(reviewComment.summarizePlan({ resource_changes: [] })).toBe('0 to add, 0 to change, 0 to destroy');
  });

  /** A fake of the Octokit calls the upsert makes, with paginated comments. */
  function fakeGithub(comments: Array<{ id: number; login: string; body: string }>) {
    const calls: string[] = [];
    const issues = {
      listComments: 'listComments',
      createComment: jest.fn(async ({ body }: { body: string }) => {
        calls.push(`create ${body.slice(0, 10)}`);
        return { data: { id: 999 } };
      }),
      updateComment: jest.fn(async ({ comment_id }: { comment_id: number }) => {
        calls.push(`update ${comment_id}`);
        return { data: {} };
      }),
      deleteComment: jest.fn(async ({ comment_id }: { comment_id: number }) => {
        calls.push(`delete ${comment_id}`);
        return { data: {} };
      }),
    };
    const github = {
      rest: { issues },
      paginate: jest.fn(async (method: unknown, params: Record<string, unknown>) => {
        expect(method).toBe('listComments');
        expect(params).toMatchObject({ owner: 'o', repo: 'r', issue_number: 7, per_page: 100 });
        return comments.map((c) => ({
          id: c.id,
          user: { login: c.login, type: c.login.endsWith('[bot]') ? 'Bot' : 'User' },
          body: c.body,
        }));
      }),
    };
    return { github, calls };
  }
  const body = `${'<!-- hetzner-trading-review -->'}\n## Review`;
  const upsert = (github: unknown) =>
    reviewComment.upsertReviewComment({ github, owner: 'o', repo: 'r', issueNumber: 7, body });

  test('creates the comment on the first run', async () => {
    const { github, calls } = fakeGithub([
      { id: 1, login: 'alice', body: 'LGTM' },
      { id: 2, login: 'github-actions[bot]', body: 'another bot comment' },
    ]);
    await expect(upsert(github)).resolves.toEqual({ action: 'created', id: 999 });
    expect(calls).toEqual(['create <!-- hetzn']);
  });

  test("edits the bot's comment with the marker on later runs (PATCH), ignoring people quoting the marker", () => {
    const { github, calls } = fakeGithub([
      { id: 3, login: 'alice', body: 'quoting <!-- hetzner-trading-review --> here' },
      { id: 5, login: 'github-actions[bot]', body: '<!-- hetzner-trading-review -->\nold' },
    ]);
    return upsert(github).then((result: unknown) => {
      expect(result).toEqual({ action: 'updated', id: 5 });
      expect(calls).toEqual(['update 5']);
      expect(github.rest.issues.updateComment).toHaveBeenCalledWith({
        owner: 'o',
        repo: 'r',
        comment_id: 5,
        body,
      });
    });
  });

  test('keeps exactly one: the oldest is edited, copies a race left are deleted', async () => {
    const { github, calls } = fakeGithub([
      { id: 9, login: 'github-actions[bot]', body: '<!-- hetzner-trading-review -->\nb' },
      { id: 4, login: 'github-actions[bot]', body: '<!-- hetzner-trading-review -->\na' },
    ]);
    await expect(upsert(github)).resolves.toEqual({ action: 'updated', id: 4 });
    expect(calls).toEqual(['update 4', 'delete 9']);
  });

  test('refuses a body without the marker (the next run could not find it)', async () => {
    const { github } = fakeGithub([]);
    await expect(
      reviewComment.upsertReviewComment({ github, owner: 'o', repo: 'r', issueNumber: 7, body: 'no marker' }),
    ).rejects.toThrow(/marker/);
  });
});

/* ------------------------------------------------------------------------------------------ */
/* scripts/workflows/*.sh                                                                     */
/* ------------------------------------------------------------------------------------------ */

describe('scripts/workflows', () => {
  const script = (name: string) => readFileSync(join(SCRIPT_DIR, name), 'utf8');

  describe('preflight.sh names what is missing, and never needs a secret value', () => {
    const complete = {
      ENVIRONMENT: 'prod',
      STATE_BACKEND: 's3',
      STATE_BUCKET: 'b',
      STATE_ENDPOINT: 'https://fsn1.your-objectstorage.com',
      HAS_HCLOUD_TOKEN: 'true',
      HAS_STATE_CREDENTIALS: 'true',
      HAS_SSH_KEY: 'true',
    };

    test('complete: passes', () => {
      expect(runBash(script('preflight.sh'), complete).status).toBe(0);
    });

    test('each missing piece is named, all at once', () => {
      const ran = runBash(script('preflight.sh'), {
        ...complete,
        STATE_BUCKET: '',
        HAS_HCLOUD_TOKEN: 'false',
        HAS_SSH_KEY: 'false',
      });
      expect(ran.status).toBe(1);
      expect(ran.stdout).toMatch(/::error::missing repository variable STATE_BUCKET/);
      expect(ran.stdout).toMatch(/::error::missing secret HCLOUD_TOKEN_PROD /);
      expect(ran.stdout).toMatch(/::error::missing secret SSH_PRIVATE_KEY/);
      expect(ran.stdout).not.toMatch(/STATE_ENDPOINT|AWS_ACCESS_KEY_ID/);
    });

    test('what a job does not pass is not required; a bad environment name is refused', () => {
      expect(runBash(script('preflight.sh'), { ENVIRONMENT: 'dev', HAS_HCLOUD_TOKEN: 'true' }).status).toBe(
        0,
      );
      expect(runBash(script('preflight.sh'), { ENVIRONMENT: 'dev; rm -rf /' }).status).toBe(2);
    });

    test('the workflows pass it flags, not secrets', () => {
      for (const { file, job, step } of allSteps(OURS).filter(({ step }) =>
        /preflight\.sh/.test(step.run ?? ''),
      )) {
        for (const [name, value] of Object.entries(step.env ?? {})) {
          if (/secrets\./.test(String(value))) {
            expect({
              where: `${file}:${job}`,
              name,
              flag: /^HAS_/.test(name) && /!= ''\s*\}\}$/.test(String(value)),
            }).toEqual({
              where: `${file}:${job}`,
              name,
              flag: true,
            });
          }
        }
      }
    });
  });

  describe('ssh-key.sh', () => {
    const keygen = spawnSync('sh', ['-c', 'command -v ssh-keygen'], { encoding: 'utf8' }).stdout.trim();
    const maybe = keygen ? test : test.skip;
    if (!keygen) console.warn('ssh-keygen not found: skipping the ssh-key.sh tests');

    function newKey(passphrase = ''): { privateKey: string; publicKey: string } {
      const dir = tempDir();
      const file = join(dir, 'key');
      const made = spawnSync(keygen, ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'ci', '-f', file]);
      expect(made.status).toBe(0);
      return {
        privateKey: readFileSync(file, 'utf8'),
        publicKey: readFileSync(`${file}.pub`, 'utf8').trim(),
      };
    }

    maybe(
      'writes the key 0600 in RUNNER_TEMP, exports its path and public key, masks its lines, prints no key',
      () => {
        const { privateKey, publicKey } = newKey();
        const ran = runBash(script('ssh-key.sh'), {
          SSH_PRIVATE_KEY: privateKey.replace(/\n/g, '\r\n').trim(),
        });
        expect(ran.status).toBe(0);
        const file = join(ran.dir, 'ssh', 'id_cluster');
        expect(statSync(file).mode & 0o777).toBe(0o600);
        expect(statSync(join(ran.dir, 'ssh')).mode & 0o777).toBe(0o700);
        expect(readFileSync(file, 'utf8')).toBe(privateKey);
        const exported = readFileSync(join(ran.dir, 'github_env'), 'utf8');
        expect(exported).toBe(`SSH_PRIVATE_KEY_FILE=${file}\nTF_VAR_ssh_public_key=${publicKey}\n`);
        const body = privateKey.split('\n').filter((l) => l && !l.startsWith('-----'));
        const masked = ran.stdout.split('\n').filter((l) => l.startsWith('::add-mask::'));
        expect(masked).toEqual(body.map((l) => `::add-mask::${l}`));
        const printed =
          ran.stdout
            .split('\n')
            .filter((l) => !l.startsWith('::add-mask::'))
            .join('\n') + ran.stderr;
        for (const line of body) expect(printed).not.toContain(line);
      },
    );

    maybe('refuses a key with a passphrase, an empty secret, and garbage', () => {
      const withPassphrase = runBash(script('ssh-key.sh'), {
        SSH_PRIVATE_KEY: newKey('secret-pass').privateKey,
      });
      expect(withPassphrase.status).toBe(1);
      expect(withPassphrase.stdout).toMatch(
        /::error::SSH_PRIVATE_KEY is not an OpenSSH private key without passphrase/,
      );
      expect(runBash(script('ssh-key.sh'), { SSH_PRIVATE_KEY: '' }).status).toBe(1);
      const garbage = runBash(script('ssh-key.sh'), { SSH_PRIVATE_KEY: 'not a key' });
      expect(garbage.status).toBe(1);
      expect(readdirSync(join(garbage.dir, 'ssh'))).toEqual([]);
    });
  });

  describe('review-plan.sh and review-cost.sh without tokens: a notice, not a failure', () => {
    /** Everything the review's plan needs but the state passphrase: a dev token, the state, the SSH key. */
    const PLAN_SETTINGS = {
      HCLOUD_TOKEN_READONLY_DEV: 't',
      STATE_BUCKET: 'b',
      STATE_ENDPOINT: 'https://e',
      AWS_ACCESS_KEY_ID: 'a',
      AWS_SECRET_ACCESS_KEY: 's',
      TF_VAR_ssh_public_key: 'ssh-ed25519 AAAA',
    };

    function reviewFolder(): { cwd: string; reviewDir: string } {
      const cwd = tempDir();
      mkdirSync(join(cwd, 'cdktf.out'));
      writeFileSync(
        join(cwd, 'cdktf.out', 'manifest.json'),
        JSON.stringify({ stacks: { dev: {}, 'dev-persistent': {}, prod: {}, 'prod-persistent': {} } }),
      );
      return { cwd, reviewDir: join(cwd, 'review') };
    }

    test('plan: no read-only token', () => {
      const { cwd, reviewDir } = reviewFolder();
      const ran = runBash(script('review-plan.sh'), { REVIEW_DIR: reviewDir }, { cwd });
      expect(ran.status).toBe(0);
      expect(ran.stdout).toMatch(
        /::notice title=review plan::no read-only token: set HCLOUD_TOKEN_READONLY_DEV HCLOUD_TOKEN_READONLY_PROD/,
      );
      expect(readFileSync(join(reviewDir, 'plan.note'), 'utf8')).toMatch(/^⏭️ skipped: no read-only token/);
      expect(ran.npm).toEqual([]);
    });

    test('plan: a token but no state configuration names what is missing', () => {
      const { cwd, reviewDir } = reviewFolder();
      const ran = runBash(
        script('review-plan.sh'),
        { REVIEW_DIR: reviewDir, HCLOUD_TOKEN_READONLY_PROD: 't' },
        { cwd },
      );
      expect(ran.status).toBe(0);
      expect(ran.stdout).toMatch(
        /STATE_BUCKET and STATE_ENDPOINT; repository secrets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \(to read the state\); repository variable SSH_PUBLIC_KEY/,
      );
      expect(ran.npm).toEqual([]);
    });

    test('plan: plans both stacks of each environment with a token, without the state lock', () => {
      const { cwd, reviewDir } = reviewFolder();
      mkdirSync(join(cwd, 'scripts', 'workflows'), { recursive: true });
      writeFileSync(
        join(cwd, 'scripts', 'workflows', 'review-comment.cjs'),
        "console.log('0 to add, 0 to change, 0 to destroy')",
      );
      const ran = runBash(
        script('review-plan.sh'),
        {
          REVIEW_DIR: reviewDir,
          ...PLAN_SETTINGS,
          TF_VAR_state_passphrase: 'an operator passphrase',
        },
        { cwd },
      );
      expect(ran.status).toBe(0);
      const plans = join(ran.dir, 'plans');
      expect(ran.npm).toEqual([
        `run --silent tf -- dev-persistent plan -lock=false -input=false -no-color -out=${plans}/dev-persistent.tfplan`,
        `run --silent tf -- dev-persistent show -json ${plans}/dev-persistent.tfplan`,
        `run --silent tf -- dev plan -lock=false -input=false -no-color -out=${plans}/dev.tfplan`,
        `run --silent tf -- dev show -json ${plans}/dev.tfplan`,
      ]);
      const md = readFileSync(join(reviewDir, 'plan.md'), 'utf8');
      expect(md).toMatch(/#### `dev-persistent`\n\n0 to add/);
      expect(md).toMatch(/Not planned \(no token\): HCLOUD_TOKEN_READONLY_PROD\./);
    });

    test('plan: without the state passphrase (never given to pull requests) a notice, no engine run', () => {
      const { cwd, reviewDir } = reviewFolder();
      const ran = runBash(
        script('review-plan.sh'),
        {
          REVIEW_DIR: reviewDir,
          ...PLAN_SETTINGS,
        },
        { cwd },
      );
      expect(ran.status).toBe(0);
      expect(ran.stdout).toMatch(/::notice title=review plan::the state is encrypted/);
      expect(ran.npm).toEqual([]);
    });

    test('the workflows that apply pass the environment secret STATE_PASSPHRASE, review never does', () => {
      const read = (f: string) => readFileSync(join(WORKFLOW_DIR, f), 'utf8');
      for (const f of ['daily-cycle.yml', 'maintenance.yml']) {
        expect(read(f)).toContain('TF_VAR_state_passphrase: ${{ secrets.STATE_PASSPHRASE }}');
      }
      expect(read('review.yml')).not.toMatch(/STATE_PASSPHRASE|state_passphrase/);
    });

    test('cost: no token', () => {
      const { cwd, reviewDir } = reviewFolder();
      const ran = runBash(script('review-cost.sh'), { REVIEW_DIR: reviewDir }, { cwd });
      expect(ran.status).toBe(0);
      expect(ran.stdout).toMatch(/::notice title=review cost::/);
      expect(readFileSync(join(reviewDir, 'cost.note'), 'utf8')).toMatch(/^⏭️ skipped/);
      expect(ran.npm).toEqual([]);
    });
  });

  test('shellcheck finds nothing in the scripts (when installed; CI=true requires it)', () => {
    const shellcheck = spawnSync('sh', ['-c', 'command -v shellcheck'], { encoding: 'utf8' }).stdout.trim();
    if (!shellcheck) {
      if (process.env.CI === 'true') throw new Error('shellcheck is not on PATH (npm run setup installs it)');
      console.warn('shellcheck not found: the scripts/workflows/*.sh check is skipped');
      return;
    }
    const files = scriptFiles.filter((f) => f.endsWith('.sh')).map((f) => join(SCRIPT_DIR, f));
    const result = spawnSync(shellcheck, ['-x', ...files], { encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });
});
