/**
 * "Up" means ready to trade, with the real engine and provider against the fake API. The
 * cluster's answers come from a scripted prober (the fake has no k3s), in the shape the SSH
 * prober reads (`parseSnapshot` of the one-call output), so the verdict is the production one.
 *
 * - up waits through the stages and records the verdict and stage times on cp-0; the next
 *   apply keeps those labels (ignore_changes) and plans nothing.
 * - a morning where an Argo CD Application never syncs: the guard fails at the readiness
 *   deadline naming the app and Argo CD's message, records not-ready, notifies the webhook
 *   once however many runs fail; the next guard sees not-ready and repairs (waits again).
 */
import { createServer } from 'http';
import type { AddressInfo } from 'net';
import { join } from 'path';
import { dev } from '../../environments';
import { calendarFor } from '../../environments/calendars';
import { transitions } from '../../lib/calendar';
import { resolveEnvironment } from '../../lib/environment';
import type { ReadinessProber } from '../../scripts/ops/cycle';
import { cycleCommands } from '../../scripts/ops/cycle-commands';
import { ProjectEngine } from '../../scripts/ops/engine';
import { bootMaterialFor, clusterVars, EngineIdentityStore } from '../../scripts/ops/identity-store';
import { createReadCommands } from '../../scripts/ops/read-commands';
import {
  evaluateReadiness,
  expectedReadiness,
  parseSnapshot,
  SNAPSHOT_RESOURCES,
  type ReadinessExpectation,
} from '../../scripts/ops/readiness';
import { FakeHcloud } from './fake-hcloud';
import { servers } from './support/cloud';
import { cliEnvironment, fakeAndDir, lifecycleToolchain } from './support/engine';

const toolchain = lifecycleToolchain();
const describeLifecycle = toolchain ? describe : describe.skip;
jest.setTimeout(600_000);

type Phase = 'api-down' | 'nodes' | 'argocd' | 'ready' | 'stuck-app';

/** The one-call output of a cluster in `phase` (what `snapshotCommand` prints over SSH). */
function snapshotText(phase: Phase, expected: ReadinessExpectation): string {
  if (phase === 'api-down') return '';
  const ok = { conditions: [{ type: 'Ready', status: 'True' }] };
  const meta = (r: { name: string; namespace: string }) => ({ name: r.name, namespace: r.namespace });
  const parts: Record<string, unknown> = {
    nodes: { items: expected.nodes.map((name) => ({ metadata: { name }, status: ok })) },
    'applications.argoproj.io': {
      items: expected.applications.map((a, i) => ({
        metadata: meta(a),
        status:
          phase === 'nodes' || (phase === 'stuck-app' && i === 0)
            ? {
                sync: { status: 'OutOfSync' },
                health: { status: 'Missing' },
                conditions: [{ type: 'ComparisonError', message: 'helm chart 9.9.9 not found' }],
              }
            : { sync: { status: 'Synced' }, health: { status: 'Healthy' } },
      })),
    },
    'kafkas.kafka.strimzi.io': {
      items: expected.kafkas.map((k) => ({
        metadata: meta(k),
        status:
          phase === 'argocd'
            ? { conditions: [{ type: 'NotReady', status: 'True', reason: 'Creating' }] }
            : ok,
      })),
    },
    'kafkatopics.kafka.strimzi.io': {
      items: expected.topics.map((k) => ({ metadata: meta(k), status: ok })),
    },
    'kafkausers.kafka.strimzi.io': { items: expected.users.map((k) => ({ metadata: meta(k), status: ok })) },
  };
  return SNAPSHOT_RESOURCES.map((r) => `@@@ ${r} 0\n${JSON.stringify(parts[r])}`).join('\n');
}

describeLifecycle('dev: up waits until ready to trade, and a failed morning is loud once', () => {
  let fake: FakeHcloud;
  let dir: string;
  let stop: (() => Promise<void>) | undefined;
  const posts: { text: string }[] = [];
  let hook: ReturnType<typeof createServer>;
  let hookUrl: string;

  beforeAll(async () => {
    ({ fake, dir, stop } = await fakeAndDir('readiness-'));
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        posts.push(JSON.parse(body));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await new Promise((r) => hook?.close(r));
    await stop?.();
  });

  /** The phases the prober walks through, one per probe; the last one repeats. */
  let script: Phase[] = [];
  const prober: ReadinessProber = async ({ expected, expectedNodes }) => {
    const exp = expected ?? { nodes: expectedNodes, applications: [], kafkas: [], topics: [], users: [] };
    // Nodes the fake does not run are never Ready.
    const running = new Set(
      [...fake.store.servers.values()].filter((v) => v.status === 'running').map((v) => v.name),
    );
    const phase = script.length > 1 ? script.shift()! : script[0];
    const text = snapshotText(phase, exp);
    if (!text)
      return { ready: false, detail: 'API not answering yet (refused)', missing: ['k3s API: refused'] };
    const snapshot = parseSnapshot(
      snapshotText(phase, { ...exp, nodes: exp.nodes.filter((n) => running.has(n)) }),
    );
    return evaluateReadiness(snapshot, exp);
  };

  const cli = (extra: Record<string, string> = {}) =>
    cycleCommands({
      env: { ...cliEnvironment(toolchain!, fake, dir), ALERT_WEBHOOK_URL: hookUrl, ...extra },
      outdir: join(dir, 'cdktf.out'),
      prober,
      // Probes 15 s apart on the real clock would make this test minutes long.
      sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))),
    });

  async function run(args: string[], extra: Record<string, string> = {}) {
    const lines: string[] = [];
    const [name, ...rest] = args;
    let code: number;
    try {
      const commands = {
        ...cli(extra),
        ...createReadCommands({ env: { ...cliEnvironment(toolchain!, fake, dir), ...extra } }),
      };
      code = await commands[name]!.run(rest, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    } catch (e) {
      // As scripts/ops/cli.ts does: the error's message, exit 1.
      lines.push((e as Error).message);
      code = 1;
    }
    return { code, out: lines.join('\n') };
  }

  const cp0Labels = () => servers(fake).get('trading-dev-cp-0')!.labels;

  test('up waits through the stages and records them on cp-0; the next apply keeps the record and plans nothing', async () => {
    script = ['api-down', 'nodes', 'argocd', 'ready'];
    const r = await run(['up', 'dev']);
    expect({ code: r.code, out: r.code ? r.out : '' }).toEqual({ code: 0, out: '' });
    expect(r.out).toMatch(/waiting until ready to trade: .* \d+ Argo CD Applications, Kafka with \d+ topics/);
    expect(r.out).toMatch(/waiting: nodes Ready; Argo CD \d+\/\d+ Applications Synced\+Healthy/);
    expect(r.out).toMatch(/waiting: nodes Ready, Argo CD synced; Kafka/);
    const labels = cp0Labels();
    expect(labels.readiness).toBe('ready');
    const stages = ['stage-servers-s', 'stage-nodes-s', 'stage-argocd-s', 'stage-kafka-s'].map((k) =>
      Number(labels[k]),
    );
    for (const s of stages) expect(Number.isInteger(s)).toBe(true);
    // In order: servers, then nodes, then Argo CD, then Kafka.
    expect([...stages].sort((a, b) => a - b)).toEqual(stages);

    // The engine leaves the record alone: a plan shows no change, an apply keeps it.
    const engine = new ProjectEngine({
      env: cliEnvironment(toolchain!, fake, dir),
      outdir: join(dir, 'cdktf.out'),
    });
    const identity = await new EngineIdentityStore(engine).load('dev');
    const plan = await engine.run(
      'dev',
      ['plan', '-detailed-exitcode', '-no-color', '-input=false'],
      clusterVars(bootMaterialFor(resolveEnvironment(dev), identity!), 'dev'),
    );
    expect({
      code: plan.code,
      out: plan.code ? `${plan.stdout.slice(-2000)}\n${plan.stderr.slice(-2000)}` : '',
    }).toEqual({
      code: 0,
      out: '',
    });
    script = ['ready'];
    expect((await run(['up', 'dev', '--no-wait'])).code).toBe(0);
    // --no-wait records "unchecked": the guard counts it up, status says it was not checked.
    expect(cp0Labels().readiness).toBe('unchecked');
    expect(cp0Labels().environment).toBe('dev');
    const st = await run(['status', 'dev']);
    expect(st.out).toMatch(/readiness: not checked \(up --no-wait\)/);
  });

  test('an app that never syncs: the guard fails at the deadline naming it, records not-ready, notifies once; then repairs', async () => {
    const cal = calendarFor('dev');
    const w = transitions(cal, '2026-12-02', 1)[0];
    const env = resolveEnvironment(dev);
    const nodes = [...env.controlPlanes, ...env.kafkaNodes, ...env.appNodes].map((n) => n.name);
    const stuck = expectedReadiness(dev, nodes).applications[0];
    // A morning: the cluster is down, the guard brings it up 1 min before the readiness
    // deadline (10 min before the open, unless the calendar says).
    expect((await run(['down', 'dev'])).code).toBe(0);
    const deadline = Date.parse(w.session.open) - (cal.readyBeforeOpenMinutes ?? 10) * 60_000;
    const at = new Date(deadline - 60_000).toISOString();
    script = ['stuck-app'];
    const first = await run(['guard', 'dev', '--at', at]);
    expect(first.code).not.toBe(0);
    expect(first.out).toMatch(/observed down, desired up .*-> ensure-up/);
    expect(first.out).toMatch(/not ready to trade after \d+ s \(the readiness deadline /);
    expect(first.out).toContain(
      `Application ${stuck.namespace}/${stuck.name}: OutOfSync/Missing: helm chart 9.9.9 not found`,
    );
    expect(cp0Labels().readiness).toBe('not-ready');
    expect(cp0Labels()['stage-nodes-s']).toMatch(/^\d+$/);
    expect(cp0Labels()['stage-argocd-s']).toBeUndefined();
    expect(posts).toHaveLength(1);
    expect(posts[0].text).toContain(`dev: guard ensure-up failed`);
    expect(posts[0].text).toContain(`Application ${stuck.namespace}/${stuck.name}`);

    // The next run sees "running but not ready", waits again, fails again: no second post.
    const second = await run(['guard', 'dev', '--at', new Date(deadline - 30_000).toISOString()]);
    expect(second.code).not.toBe(0);
    expect(second.out).toMatch(/observed not-ready, desired up .*-> ensure-up/);
    expect(second.out).toMatch(/already notified for \d{8}-ensure-up/);
    expect(posts).toHaveLength(1);
    const st = await run(['status', 'dev', '--at', at]);
    expect(st.out).toMatch(/## dev: not-ready/);
    expect(st.out).toMatch(/readiness: NOT ready/);

    // Argo CD syncs: the next guard repairs (up again, waits, records ready); then nothing.
    script = ['ready'];
    const third = await run(['guard', 'dev', '--at', new Date(deadline + 60_000).toISOString()]);
    expect({ code: third.code, out: third.code ? third.out : '' }).toEqual({ code: 0, out: '' });
    expect(third.out).toMatch(/observed not-ready, desired up .*-> ensure-up/);
    expect(cp0Labels().readiness).toBe('ready');
    const fourth = await run(['guard', 'dev', '--at', new Date(deadline + 120_000).toISOString()]);
    expect(fourth.out).toMatch(/observed up, desired up .*-> nothing/);
    expect(posts).toHaveLength(1);
  });
});
