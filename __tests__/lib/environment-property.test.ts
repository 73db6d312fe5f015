/**
 * Property test of the config validation. Configs are generated from dev and prod by
 * applying 1-3 mutations from a catalog (wrong types, boundary values, typos, values
 * valid on their own), the way a team generating configs from JSON or plain JS would
 * get them wrong. The oracle: every config either synthesizes both stacks (with their
 * validations and policy aspects) and renders the GitOps folder, or is refused with an
 * EnvironmentConfigError naming the field. A crash, a refusal of a valid value, or a
 * bad value that gets through fails the test.
 */
import { Testing, TerraformStack } from 'cdktf';
import * as fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { renderGitopsFiles } from '../../charts/render';
import { dev, prod } from '../../environments';
import type { EnvironmentConfig } from '../../environments/types';
import { addEnvironments } from '../../lib/app';
import { EnvironmentConfigError, environmentFieldProblems, validateEnvironment } from '../../lib/environment';

/**
 * Fixed, so a failure reproduces (fast-check prints the counterexample). To explore
 * further, run with another seed: `CONFIG_PROPERTY_SEED=7 npx jest environment-property`.
 */
const SEED = Number(process.env.CONFIG_PROPERTY_SEED ?? 20261123);
const RUNS = 1000;

type Label = 'valid' | 'invalid' | 'either';

/**
 * A value for one path. `valid`: accepted when it is the only change to dev and to prod.
 * `invalid`: refused whatever else changes, naming the path. `either`: depends on other
 * fields (a location of another zone, a topic with 3 replicas on one broker).
 */
interface Mutation {
  readonly path: string;
  readonly value: unknown;
  readonly label: Label;
}

const WRONG_FOR_STRING = [null, 1, true, ['x'], {}, Number.NaN];
const WRONG_FOR_NUMBER = ['1', null, true, [], {}, Number.NaN, Number.POSITIVE_INFINITY];
const WRONG_FOR_BOOLEAN = ['true', 'false', 1, 0, null, []];
const WRONG_FOR_LIST = ['x', null, {}, 1, true];
const WRONG_FOR_OBJECT = ['x', null, [], 1];

const app = dev.tradingApps[0];
const digest = `registry.example.com:5000/team/app@sha256:${'a'.repeat(64)}`;

/** The catalog: per path, values by label. `undefined` removes the field. */
const CATALOG: Record<string, Partial<Record<Label, readonly unknown[]>>> = {
  name: {
    valid: ['dev2', 'x', 'a-b'],
    invalid: ['', 'Dev', '1a', 'a_b', 'a'.repeat(21), undefined, ...WRONG_FOR_STRING],
  },
  clusterName: { valid: ['t2', undefined], invalid: ['Trading', '', ...WRONG_FOR_STRING] },
  location: {
    valid: ['nbg1', 'hel1'],
    invalid: ['mars1', 'FSN1', '', undefined, ...WRONG_FOR_STRING],
    either: ['ash', 'sin'],
  },
  networkZone: { invalid: ['eu-west', '', undefined, ...WRONG_FOR_STRING], either: ['us-east'] },
  networkCidr: {
    valid: ['10.0.0.0/15'],
    invalid: [
      '10.0.0.0/8',
      'fd00::/64',
      'fd00::1/64',
      '10.0.0.0/33',
      '10.0.5.0/16',
      '8.8.0.0/16',
      '10.0.1.0/25',
      'x',
      undefined,
      ...WRONG_FOR_STRING,
    ],
    either: ['172.16.0.0/12', '192.168.0.0/16'],
  },
  subnetCidr: {
    invalid: [
      '10.0.1/24',
      '10.0.1.5/24',
      '10.0.1.0/30',
      'fd00::/64',
      '10.42.1.0/24',
      undefined,
      ...WRONG_FOR_STRING,
    ],
    either: ['10.0.1.0/24', '10.1.1.0/24', '10.0.2.0/24', '10.0.1.0/26', '10.0.1.0/28'],
  },
  image: { valid: ['debian-12', undefined], invalid: ['', 'ubuntu 24.04', ...WRONG_FOR_STRING] },
  k3sVersion: {
    valid: ['v1.33.5+k3s1'],
    invalid: ['1.34.1', 'v1.34.1', 'latest', undefined, ...WRONG_FOR_STRING],
  },
  controlPlane: {
    valid: [
      { count: 1, serverType: 'cx43' },
      { count: 3, serverType: 'cx33' },
    ],
    invalid: [
      { count: 2, serverType: 'cx33' },
      { count: '1', serverType: 'cx33' },
      { count: 1, serverType: 'cx22' },
      { count: 1 },
      { serverType: 'cx33' },
      { count: 1, serverType: 'cx33', size: 1 },
      undefined,
      ...WRONG_FOR_OBJECT,
    ],
  },
  'controlPlane.count': { valid: [1, 3], invalid: [0, 2, -1, 1.5, undefined, ...WRONG_FOR_NUMBER] },
  'controlPlane.serverType': {
    invalid: ['', 'CX33', 'cx22', undefined, ...WRONG_FOR_STRING],
    // Valid or not depending on the base's fallbackServerTypes (each must be at least as large).
    either: ['zz99', 'cx43', 'cpx42', 'ccx23'],
  },
  'kafka.count': { valid: [1, 3], invalid: [0, 2, 1.5, undefined, ...WRONG_FOR_NUMBER] },
  'kafka.serverType': {
    either: ['cx43', 'ccx33'],
    invalid: ['cpx12', 'zz99', 'cx22', '', undefined, ...WRONG_FOR_STRING],
  },
  'controlPlane.fallbackServerTypes': {
    valid: [undefined, [], ['ccx23'], ['cx43', 'ccx33']],
    invalid: [['cpx22'], ['cax31'], ['zz99'], ['cx22'], 'cpx32', [3], ...WRONG_FOR_LIST],
  },
  'kafka.fallbackServerTypes': {
    valid: [undefined, ['ccx33']],
    invalid: [['cpx12'], ['ccx33', 'ccx33'], [null]],
  },
  'apps.count': { valid: [1, 2, 3], invalid: [-1, 1.5, 101, undefined, ...WRONG_FOR_NUMBER], either: [0] },
  'apps.serverType': {
    valid: ['cpx42'],
    invalid: ['cx22', '', undefined, ...WRONG_FOR_STRING],
    either: ['zz99', 'cx53'],
  },
  controlPlaneHostNumber: {
    valid: [5, undefined],
    invalid: [0, 1, -3, 2.5, ...WRONG_FOR_NUMBER],
    either: [20],
  },
  kafkaHostNumber: { valid: [40, undefined], invalid: [1, 1.5, ...WRONG_FOR_NUMBER], either: [10] },
  appHostNumber: { valid: [50, undefined], invalid: [0, 1e9, ...WRONG_FOR_NUMBER], either: [11] },
  sshAllowedCidrs: {
    valid: [['198.51.100.7/32'], [], ['0.0.0.0/1'], ['2001:db8::/32']],
    invalid: [
      '203.0.113.7/32',
      ['203.0.113.7'],
      ['203.0.113.7/24'],
      [42],
      [null],
      ['10.0.0.0/8', '10.0.0.0/8'],
      undefined,
      ...WRONG_FOR_LIST,
    ],
    either: [['0.0.0.0/0'], ['0.0.0.0/1', '128.0.0.0/1'], ['::/0']],
  },
  apiAllowedCidrs: {
    valid: [['198.51.100.0/24'], []],
    invalid: [['office'], [1], undefined, ...WRONG_FOR_LIST],
    either: [['0.0.0.0/0'], ['0.0.0.0/2', '64.0.0.0/2', '128.0.0.0/1']],
  },
  kafkaAllowedCidrs: { valid: [['0.0.0.0/0'], []], invalid: [['x'], undefined, ...WRONG_FOR_LIST] },
  argocdAllowedCidrs: {
    valid: [undefined, [], ['198.51.100.0/24']],
    invalid: [['x'], [1], ...WRONG_FOR_LIST],
    either: [['0.0.0.0/0']],
  },
  argocdTlsSecretName: { valid: ['argocd-tls', undefined], invalid: ['Argo_TLS', '', ...WRONG_FOR_STRING] },
  allowWorldOpenAdminPorts: { valid: [true, false, undefined], invalid: WRONG_FOR_BOOLEAN },
  apiDnsName: {
    valid: ['k3s.example.org', undefined],
    invalid: [['a.example.com'], 'not a name', '', ...WRONG_FOR_STRING],
  },
  kafkaDnsName: {
    valid: ['kafka.example.org'],
    invalid: [['a.example.com'], 'x', undefined, ...WRONG_FOR_STRING],
  },
  uptimeHoursPerDay: { valid: [1, 24, 0.5], invalid: [0, -1, 25, undefined, ...WRONG_FOR_NUMBER] },
  kafkaExternalBootstrapPort: {
    valid: [30000, 32000, undefined],
    invalid: [8080, 32767, 1.5, ...WRONG_FOR_NUMBER],
  },
  gitopsRepoUrl: {
    valid: ['git@github.com:o/r.git', 'ssh://git@example.com/r.git'],
    invalid: ['github.com/x/y', '', undefined, ...WRONG_FOR_STRING],
  },
  gitopsBranch: {
    valid: ['release/1.0'],
    invalid: ['', 'a..b', '-x', 'x.lock', undefined, ...WRONG_FOR_STRING],
  },
  kafkaVersion: {
    valid: ['4.0.0', '4.1.1', undefined],
    invalid: ['4.0.9', '3.9.0', '', ...WRONG_FOR_STRING],
  },
  kafkaStorageGb: { valid: [undefined, 30], invalid: [0, -5, 2.5, ...WRONG_FOR_NUMBER], either: [200] },
  topics: {
    valid: [[], [{ name: 'ticks', partitions: 1 }]],
    invalid: [
      [null],
      [{}],
      [{ name: 'a' }],
      [{ name: 'A', partitions: 1 }],
      [{ name: 't', partitions: 0 }],
      [{ name: 't', partitions: 1, retentionHours: -2 }],
      [{ name: 't', partitions: 1, retentionHours: 0 }],
      [{ name: 't', partitions: 1, extra: 1 }],
      [
        { name: 't', partitions: 1 },
        { name: 't', partitions: 2 },
      ],
      undefined,
      ...WRONG_FOR_LIST,
    ],
    either: [[{ name: 't', partitions: 1, replicas: 3 }]],
  },
  'topics[0].name': {
    valid: ['md.ticks-v2'],
    invalid: ['Stock_Stream', 'a..b', '-t', 't.', 'x'.repeat(250), '', undefined, ...WRONG_FOR_STRING],
  },
  'topics[0].partitions': { valid: [1, 12], invalid: [0, -1, 1.5, undefined, ...WRONG_FOR_NUMBER] },
  'topics[0].retentionHours': { valid: [-1, 1, 720, undefined], invalid: [-2, 0, 1.5, ...WRONG_FOR_NUMBER] },
  'topics[0].replicas': { valid: [1, undefined], invalid: [0, 4, ...WRONG_FOR_NUMBER], either: [3] },
  tradingApps: {
    valid: [[]],
    invalid: ['name', [null], [{}], [{ ...app, kind: 'backtest' }], [app, app], undefined, ...WRONG_FOR_LIST],
  },
  'tradingApps[0].name': {
    valid: ['ingest-2'],
    invalid: ['', 'Ingest', 'a'.repeat(60), undefined, ...WRONG_FOR_STRING],
  },
  'tradingApps[0].kind': {
    invalid: ['backtest', '', 'Ingestion', undefined, ...WRONG_FOR_STRING],
    either: ['strategies', 'ingestion'],
  },
  'tradingApps[0].image': {
    valid: [digest, 'busybox'],
    invalid: ['', 'App:1', 'a b', undefined, ...WRONG_FOR_STRING],
  },
  'tradingApps[0].replicas': {
    valid: [0, 1, undefined],
    invalid: [-1, 1.5, 101, ...WRONG_FOR_NUMBER],
    either: [2, 3],
  },
  'tradingApps[0].cpuMillis': {
    valid: [100, undefined],
    invalid: [0, -500, 1.5, ...WRONG_FOR_NUMBER],
    either: [4000],
  },
  'tradingApps[0].memoryMib': {
    valid: [128, undefined],
    invalid: [0, 8, -1, ...WRONG_FOR_NUMBER],
    either: [20000],
  },
  'tradingApps[0].priorityClass': {
    valid: ['trading-low', undefined],
    invalid: ['kafka-critical', '', ...WRONG_FOR_STRING],
  },
  'tradingApps[0].topics': {
    valid: [undefined, []],
    invalid: ['stock-stream', [7], [null], ['nope'], ...WRONG_FOR_LIST],
    either: [['stock-stream']],
  },
  'tradingApps[0].runAsUser': { valid: [1000, undefined], invalid: [0, -1, 1.5, ...WRONG_FOR_NUMBER] },
  'tradingApps[0].readinessProbe': {
    valid: [{ port: 8080 }, { port: 8080, path: '/healthz', periodSeconds: 5 }, undefined],
    invalid: [
      { port: 0 },
      { port: 70000 },
      { port: 8080, path: 'healthz' },
      {},
      { port: '8080' },
      { port: 8080, periodSeconds: 0 },
      ...WRONG_FOR_OBJECT,
    ],
  },
  monitoring: { valid: [false, undefined], invalid: WRONG_FOR_BOOLEAN, either: [true] },
  appCapacityOnControlPlane: {
    invalid: [
      { cores: 0, memoryGb: 2 },
      { cores: -1, memoryGb: 2 },
      { cores: Number.NaN, memoryGb: 2 },
      { cores: '2', memoryGb: 4 },
      { cores: 2 },
      ...WRONG_FOR_OBJECT,
    ],
    either: [{ cores: 2, memoryGb: 4 }, undefined],
  },
  quotaPercent: {
    valid: [{ ingestion: 50, strategies: 40, monitoring: 10 }, undefined],
    invalid: [
      { ingestion: 60, strategies: 40, monitoring: 10 },
      { ingestion: -1, strategies: 40, monitoring: 10 },
      { ingestion: '50', strategies: 40, monitoring: 10 },
      { ingestion: 50, strategies: 40 },
      ...WRONG_FOR_OBJECT,
    ],
    either: [{ ingestion: 30, strategies: 30, monitoring: 40 }],
  },
  monitorng: { invalid: [true] },
  extraField: { invalid: [1] },
};

const MUTATIONS: readonly Mutation[] = Object.entries(CATALOG).flatMap(([path, byLabel]) =>
  (Object.entries(byLabel) as Array<[Label, readonly unknown[]]>).flatMap(([label, values]) =>
    values.map((value) => ({ path, value, label })),
  ),
);

/**
 * One mutation, weighted so that about half the configs are valid: a valid config must
 * also synthesize, and an all-refusing generator would test only half the oracle.
 */
const MUTATION = fc.oneof(
  ...(['valid', 'either', 'invalid'] as const).map((label) => ({
    arbitrary: fc.constantFrom(...MUTATIONS.filter((m) => m.label === label)),
    weight: { valid: 7, either: 2, invalid: 2 }[label],
  })),
);

/** `a.b[0].c` → ['a', 'b', 0, 'c']. */
function segments(path: string): Array<string | number> {
  return path.split(/\.|(?=\[)/).map((s) => (s.startsWith('[') ? Number(s.slice(1, -1)) : s));
}

/** Sets `path` in a deep copy; returns undefined when a parent is missing or not a container. */
function applied(config: unknown, path: string, value: unknown): unknown {
  const copy = structuredClone(config) as Record<string | number, unknown>;
  const parts = segments(path);
  let node: Record<string | number, unknown> = copy;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null) return undefined;
    node = next as Record<string | number, unknown>;
  }
  const last = parts[parts.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

/** True when `path` is `ancestor` or lies under it (`topics[0].name` under `topics`). */
const within = (path: string, ancestor: string) =>
  path === ancestor || path.startsWith(`${ancestor}.`) || path.startsWith(`${ancestor}[`);
const related = (a: string, b: string) => within(a, b) || within(b, a);

/**
 * Applies mutations in order. A later mutation that replaces an earlier one's path (or a
 * parent of it) drops the earlier one; one that changes something under an earlier one's
 * path may have repaired or broken it, so the earlier one's label becomes `either`.
 */
function mutate(
  base: EnvironmentConfig,
  mutations: readonly Mutation[],
): { config: unknown; kept: Mutation[] } {
  let config: unknown = base;
  let kept: Mutation[] = [];
  for (const m of mutations) {
    const next = applied(config, m.path, m.value);
    if (next === undefined) continue;
    config = next;
    kept = kept
      .filter((k) => !within(k.path, m.path))
      .map((k) => (within(m.path, k.path) ? { ...k, label: 'either' as const } : k));
    kept.push(m);
  }
  return { config, kept };
}

/** What happened to one config. */
type Outcome =
  | { kind: 'accepted'; outputs: string[] }
  | { kind: 'refused'; error: EnvironmentConfigError }
  | { kind: 'crashed'; error: unknown };

function evaluate(config: unknown): Outcome {
  try {
    validateEnvironment(config);
  } catch (error) {
    return error instanceof EnvironmentConfigError ? { kind: 'refused', error } : { kind: 'crashed', error };
  }
  try {
    const cdktfApp = Testing.app();
    addEnvironments(cdktfApp, [config as EnvironmentConfig]);
    const stacks = cdktfApp.node.children.filter((c): c is TerraformStack => c instanceof TerraformStack);
    if (stacks.length !== 2)
      throw new Error(`expected the persistent and the cluster stack, got ${stacks.length}`);
    // `true`: runs every construct validation and policy aspect (no world-open admin port...).
    const outputs = stacks.map((s) => Testing.synth(s, true));
    outputs.push(...renderGitopsFiles([config as EnvironmentConfig]).values());
    return { kind: 'accepted', outputs };
  } catch (error) {
    return { kind: 'crashed', error };
  }
}

/** What a rendered value must never look like: a JS value that leaked into the output. */
const LEAKED = /\bNaN\b|\bundefined\b|\[object Object\]|\bInfinity\b/;
/** Kubernetes quantities the charts render: non-negative, no NaN. */
const QUANTITY = /^\d+(\.\d+)?(m|Ki|Mi|Gi)?$/;
const QUANTITY_KEYS = new Set([
  'cpu',
  'memory',
  'requests.cpu',
  'requests.memory',
  'limits.memory',
  'storage',
]);

function outputProblems(outputs: readonly string[]): string[] {
  const problems: string[] = [];
  for (const text of outputs) {
    const leak = LEAKED.exec(text);
    if (leak)
      problems.push(
        `output contains '${leak[0]}': ...${text.slice(Math.max(0, leak.index - 80), leak.index + 40)}...`,
      );
  }
  const walk = (value: unknown, where: string) => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        if (Array.isArray(v)) problems.push(`nested list at ${where}[${i}]: ${JSON.stringify(v)}`);
        walk(v, `${where}[${i}]`);
      });
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        if (QUANTITY_KEYS.has(k) && typeof v === 'string' && !QUANTITY.test(v)) {
          problems.push(`quantity ${where}.${k} is '${v}'`);
        }
        walk(v, `${where}.${k}`);
      }
    }
  };
  walk(JSON.parse(outputs[0]), 'persistent');
  walk(JSON.parse(outputs[1]), 'cluster');
  for (const yaml of outputs.slice(2))
    for (const doc of parseAllDocuments(yaml)) walk(doc.toJS(), 'manifest');
  return problems;
}

/** The fields named for a refused config, with every message naming its field. */
function refusalProblems(config: unknown, error: EnvironmentConfigError): string[] {
  const problems: string[] = [];
  if (error.fields.length === 0) problems.push('refused without naming a field');
  for (const p of environmentFieldProblems(config)) {
    if (!p.message.includes(p.field))
      problems.push(`message does not name its field '${p.field}': ${p.message}`);
  }
  return problems;
}

const describeRun = (base: string, kept: readonly Mutation[]) =>
  `${base} + ${kept.map((m) => `${m.path}=${JSON.stringify(m.value) ?? 'undefined'} (${m.label})`).join(', ')}`;

describe('every generated config synthesizes or is refused naming the field', () => {
  test(`${RUNS} configs from dev and prod with 1-3 mutations (seed ${SEED})`, () => {
    const counts = { accepted: 0, refused: 0, invalidMutations: 0 };
    const started = performance.now();
    fc.assert(
      fc.property(
        fc.constantFrom<['dev' | 'prod', EnvironmentConfig]>(['dev', dev], ['prod', prod]),
        fc.array(MUTATION, { minLength: 1, maxLength: 3 }),
        ([baseName, base], mutations) => {
          const { config, kept } = mutate(base, mutations);
          const outcome = evaluate(config);
          const run = describeRun(baseName, kept);
          if (outcome.kind === 'crashed') {
            throw new Error(
              `${run}: crashed instead of a clear refusal: ${String((outcome.error as Error)?.stack ?? outcome.error)}`,
            );
          }
          const invalid = kept.filter((m) => m.label === 'invalid');
          counts.invalidMutations += invalid.length;
          if (outcome.kind === 'accepted') {
            counts.accepted++;
            if (invalid.length > 0) throw new Error(`${run}: a bad value was silently accepted`);
            const bad = outputProblems(outcome.outputs);
            if (bad.length > 0)
              throw new Error(`${run}: accepted, but the output is broken:\n${bad.join('\n')}`);
            return;
          }
          counts.refused++;
          const bad = refusalProblems(config, outcome.error);
          for (const m of invalid) {
            if (!outcome.error.fields.some((f) => related(f, m.path))) {
              bad.push(`the bad value at ${m.path} is not named; named: ${outcome.error.fields.join(', ')}`);
            }
          }
          if (kept.length === 1 && kept[0].label === 'valid') {
            bad.push(`a value valid on its own was refused: ${outcome.error.message}`);
          }
          if (bad.length > 0) throw new Error(`${run}:\n${bad.join('\n')}`);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `property test: ${RUNS} configs in ${seconds} s: ${counts.accepted} synthesized, ${counts.refused} refused (${counts.invalidMutations} bad values, all named)`,
    );
    // A generator that only ever produced one outcome would test half the oracle.
    expect(counts.accepted).toBeGreaterThan(RUNS / 10);
    expect(counts.refused).toBeGreaterThan(RUNS / 10);
  });

  test.each(
    MUTATIONS.filter((m) => m.label === 'invalid').map(
      (m) => [m.path, JSON.stringify(m.value) ?? 'undefined', m] as const,
    ),
  )('alone, %s = %s is refused naming the field', (_, __, m) => {
    for (const base of [dev, prod]) {
      const { config } = mutate(base, [m]);
      const outcome = evaluate(config);
      expect(outcome.kind).toBe('refused');
      const error = (outcome as { error: EnvironmentConfigError }).error;
      expect(error.fields.some((f) => related(f, m.path))).toBe(true);
    }
  });
});
