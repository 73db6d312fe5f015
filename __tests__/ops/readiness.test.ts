/**
 * "Up" means ready to trade: the verdict on one snapshot of the cluster, the record on cp-0
 * the guard reads, the readiness deadline before the open, and the once-a-day notification.
 */
import { createServer } from 'http';
import type { AddressInfo } from 'net';
import { ENVIRONMENTS } from '../../environments';
import { CALENDARS } from '../../environments/calendars';
import { calendarProblems, desiredState, readinessDeadline, transitions } from '../../lib/calendar';
import { resolveEnvironment } from '../../lib/environment';
import { ALERTED_LABEL, READINESS_LABEL_KEYS } from '../../lib/labels';
import { notifyOnce, webhookNotifier, type CycleDeps } from '../../scripts/ops/cycle';
import { HcloudClient } from '../../scripts/ops/hcloud';
import { stateOf } from '../../scripts/ops/observe';
import {
  evaluateReadiness,
  expectedReadiness,
  parseSnapshot,
  readinessLabels,
  readinessOf,
  SNAPSHOT_RESOURCES,
  snapshotCommand,
  type ReadinessExpectation,
} from '../../scripts/ops/readiness';

const ready = (type = 'Ready') => ({ conditions: [{ type, status: 'True' }] });
const item = (name: string, status: object, namespace?: string) => ({
  metadata: { name, ...(namespace ? { namespace } : {}) },
  status,
});

/** The snapshot of a cluster where everything `expected` lists is ready. */
function allReady(expected: ReadinessExpectation) {
  return {
    nodes: { items: expected.nodes.map((n) => item(n, ready())) },
    'applications.argoproj.io': {
      items: expected.applications.map((a) =>
        item(a.name, { sync: { status: 'Synced' }, health: { status: 'Healthy' } }, a.namespace),
      ),
    },
    'kafkas.kafka.strimzi.io': { items: expected.kafkas.map((k) => item(k.name, ready(), k.namespace)) },
    'kafkatopics.kafka.strimzi.io': { items: expected.topics.map((k) => item(k.name, ready(), k.namespace)) },
    'kafkausers.kafka.strimzi.io': { items: expected.users.map((k) => item(k.name, ready(), k.namespace)) },
  };
}

const nodesOf = (config: (typeof ENVIRONMENTS)[number]) => {
  const env = resolveEnvironment(config);
  return [...env.controlPlanes, ...env.kafkaNodes, ...env.appNodes].map((s) => s.name);
};

describe.each(ENVIRONMENTS.map((e) => [e.name, e] as const))('readiness of %s', (_name, config) => {
  const expected = expectedReadiness(config, nodesOf(config));

  test('expects every Application, Kafka, topic and user the environment renders, once', () => {
    expect(expected.applications.map((a) => a.name)).toContain('root');
    expect(expected.applications.length).toBeGreaterThan(1);
    expect(expected.kafkas).toHaveLength(1);
    expect(expected.topics.map((t) => t.name).sort()).toEqual(config.topics.map((t) => t.name).sort());
    expect(expected.users.length).toBeGreaterThanOrEqual(config.tradingApps.length);
    for (const list of [expected.applications, expected.kafkas, expected.topics, expected.users]) {
      const keys = list.map((r) => `${r.namespace}/${r.name}`);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  test('ready only when everything is; each missing thing is named with its message', () => {
    const snapshot = allReady(expected);
    expect(evaluateReadiness(snapshot, expected)).toMatchObject({
      ready: true,
      stages: { nodes: true, argocd: true, kafka: true },
      missing: [],
    });
    // Any one thing not ready makes the whole not ready, and is listed by name.
    const app = expected.applications[expected.applications.length - 1];
    const outOfSync = structuredClone(snapshot);
    outOfSync['applications.argoproj.io'].items = outOfSync['applications.argoproj.io'].items.map((i) =>
      i.metadata.name === app.name
        ? item(
            app.name,
            {
              sync: { status: 'OutOfSync' },
              health: { status: 'Missing' },
              conditions: [{ type: 'ComparisonError', message: 'chart 9.9.9 not found' }],
            },
            app.namespace,
          )
        : i,
    );
    const r = evaluateReadiness(outOfSync, expected);
    expect(r).toMatchObject({ ready: false, stages: { nodes: true, argocd: false, kafka: false } });
    expect(r.missing).toEqual([
      `Application ${app.namespace}/${app.name}: OutOfSync/Missing: chart 9.9.9 not found`,
    ]);
    expect(r.detail).toContain(app.name);

    const topic = expected.topics[0];
    const notReady = structuredClone(snapshot);
    notReady['kafkatopics.kafka.strimzi.io'].items = notReady['kafkatopics.kafka.strimzi.io'].items.map(
      (i) =>
        i.metadata.name === topic.name
          ? item(
              topic.name,
              {
                conditions: [
                  {
                    type: 'Ready',
                    status: 'False',
                    reason: 'InvalidConfigurationException',
                    message: 'bad retention.ms',
                  },
                ],
              },
              topic.namespace,
            )
          : i,
    );
    const t = evaluateReadiness(notReady, expected);
    expect(t).toMatchObject({ ready: false, stages: { nodes: true, argocd: true, kafka: false } });
    expect(t.missing).toEqual([
      `KafkaTopic ${topic.namespace}/${topic.name}: Ready=False: InvalidConfigurationException: bad retention.ms`,
    ]);

    // A user never created yet; a node not Ready (then nothing later counts either).
    const noUser = structuredClone(snapshot);
    noUser['kafkausers.kafka.strimzi.io'].items = noUser['kafkausers.kafka.strimzi.io'].items.slice(1);
    expect(evaluateReadiness(noUser, expected).missing).toEqual([
      `KafkaUser ${expected.users[0].namespace}/${expected.users[0].name}: not created yet`,
    ]);
    const nodeDown = structuredClone(snapshot);
    nodeDown.nodes.items[0] = item(expected.nodes[0], { conditions: [{ type: 'Ready', status: 'Unknown' }] });
    expect(evaluateReadiness(nodeDown, expected)).toMatchObject({
      ready: false,
      stages: { nodes: false, argocd: false, kafka: false },
      missing: [`node ${expected.nodes[0]}: not Ready`],
    });
  });

  test('the one-call snapshot parses back, and an unreadable type is named as such', () => {
    const snapshot = allReady(expected);
    const out = SNAPSHOT_RESOURCES.map((r) =>
      r === 'kafkausers.kafka.strimzi.io'
        ? `@@@ ${r} 1\nerror: the server doesn't have a resource type "kafkausers"`
        : `@@@ ${r} 0\n${JSON.stringify(snapshot[r], null, 2)}`,
    ).join('\n');
    const parsed = parseSnapshot(out);
    expect(parsed.nodes).toEqual(snapshot.nodes);
    expect(parsed['kafkausers.kafka.strimzi.io']).toEqual({
      error: `error: the server doesn't have a resource type "kafkausers"`,
    });
    const r = evaluateReadiness(parsed, expected);
    expect(r.stages).toEqual({ nodes: true, argocd: true, kafka: false });
    expect(r.missing[0]).toMatch(/^KafkaUser .*: not readable \(error: the server doesn't have/);
  });
});

test('the remote command reads every type in one SSH call, each after its marker', () => {
  const cmd = snapshotCommand();
  for (const r of SNAPSHOT_RESOURCES) expect(cmd).toContain(r);
  expect(cmd).toMatch(/k3s kubectl get "\$r" -A -o json/);
  expect(cmd).toMatch(/echo "@@@ \$r \$\?"/);
});

describe('the record on cp-0', () => {
  test('labels are valid Hetzner labels, read back, and the stack ignores exactly those keys', () => {
    const labels = readinessLabels('ready', new Date('2026-12-03T14:12:31.123Z'), {
      servers: 181.4,
      nodes: 262,
      argocd: 421,
      kafka: 600,
    });
    for (const [k, v] of Object.entries(labels)) {
      expect(READINESS_LABEL_KEYS).toContain(k);
      // Hetzner: value <= 63 chars, alphanumerics at both ends, -_. inside.
      expect(v).toMatch(/^[a-z0-9A-Z]([-_.a-z0-9A-Z]{0,61}[a-z0-9A-Z])?$/);
    }
    expect(readinessOf(labels)).toEqual({
      readiness: 'ready',
      at: '2026-12-03T14:12Z',
      stages: { servers: 181, nodes: 262, argocd: 421, kafka: 600 },
    });
    expect(readinessOf(undefined).readiness).toBe('none');
    expect(readinessOf({ readiness: 'bogus' }).readiness).toBe('none');
  });

  test('every server running: up only with the ready (or --no-wait) record on cp-0', () => {
    const planned = ['cp-0', 'kafka-0'];
    const running = (labels?: Record<string, string>) => [
      { name: 'cp-0', status: 'running', labels },
      { name: 'kafka-0', status: 'running', labels: { readiness: 'ready' } },
    ];
    expect(stateOf(planned, running({ readiness: 'ready' }))).toBe('up');
    expect(stateOf(planned, running({ readiness: 'unchecked' }))).toBe('up');
    expect(stateOf(planned, running({ readiness: 'not-ready' }))).toBe('not-ready');
    // No record (a wait killed or never run, a replaced cp-0): not known to be ready.
    expect(stateOf(planned, running({}))).toBe('not-ready');
    expect(stateOf(planned, running(undefined))).toBe('not-ready');
    expect(stateOf(planned, [{ name: 'cp-0', status: 'off', labels: { readiness: 'ready' } }])).toBe(
      'partial',
    );
  });
});

describe.each(Object.entries(CALENDARS))('the readiness deadline of %s', (_name, cal) => {
  const minutes = cal.readyBeforeOpenMinutes ?? 10;

  test('inside the warm-up it is the open minus readyBeforeOpenMinutes; after the open or outside, none', () => {
    const windows = transitions(cal, '2026-12-01', 400);
    expect(windows.length).toBeGreaterThan(200);
    for (const w of windows) {
      const up = Date.parse(w.up);
      const open = Date.parse(w.session.open);
      const expected = new Date(open - minutes * 60_000).toISOString();
      expect(readinessDeadline(cal, new Date(up))).toBe(expected);
      expect(readinessDeadline(cal, new Date(open - 1000))).toBe(expected);
      expect(readinessDeadline(cal, new Date(open))).toBeUndefined();
      expect(readinessDeadline(cal, new Date(up - 60_000))).toBeUndefined();
      // The deadline leaves time to come up.
      expect(Date.parse(expected)).toBeGreaterThan(up);
      expect(desiredState(cal, expected).state).toBe('up');
    }
  });

  test('a deadline that leaves no time to come up is refused, naming the field and the fix', () => {
    const problems = calendarProblems({ ...cal, readyBeforeOpenMinutes: cal.warmUpMinutes });
    expect(problems.map((p) => p.field)).toEqual(['calendar.readyBeforeOpenMinutes']);
    expect(problems[0].message).toMatch(/is not less than calendar.warmUpMinutes .*raise warmUpMinutes/);
    expect(calendarProblems({ ...cal, readyBeforeOpenMinutes: '10' })[0].message).toMatch(
      /readyBeforeOpenMinutes must be a whole number of minutes/,
    );
  });
});

describe('a failed morning notifies once', () => {
  /** A webhook on 127.0.0.1 that records what it gets. */
  async function webhook(status = 200) {
    const got: unknown[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ type: req.headers['content-type'], body: JSON.parse(body) });
        res.writeHead(status).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    return { got, url, close: () => new Promise((r) => server.close(r)) };
  }

  /** Primary IPs that keep their labels across calls (list + PUT). */
  function client(env: ReturnType<typeof resolveEnvironment>) {
    const ip = {
      id: 7,
      name: env.controlPlaneIpName,
      ip: '198.18.0.10',
      labels: {
        environment: env.name,
        cluster: env.clusterName,
        'managed-by': 'cdktf-hetzner-trading',
      } as Record<string, string>,
    };
    const fetchImpl = (async (_url: string, init: RequestInit) => {
      if (init.method === 'PUT') ip.labels = JSON.parse(String(init.body)).labels;
      return new Response(JSON.stringify({ primary_ips: [ip], meta: { pagination: { next_page: null } } }));
    }) as unknown as typeof fetch;
    return { ip, client: new HcloudClient({ token: 't', endpoint: 'http://stub.invalid/v1', fetchImpl }) };
  }

  test('a Slack-compatible JSON post, once per day and action, marked on the Primary IP', async () => {
    const env = resolveEnvironment(ENVIRONMENTS[0]);
    const hook = await webhook();
    try {
      const c = client(env);
      const lines: string[] = [];
      const deps = { client: c.client, log: (l: string) => lines.push(l), notify: webhookNotifier(hook.url) };
      const note = (key: string) => ({ key, text: `${env.name}: guard ensure-up failed\nMissing: x` });
      await notifyOnce(deps as unknown as CycleDeps, env, note('20261203-ensure-up'));
      await notifyOnce(deps as unknown as CycleDeps, env, note('20261203-ensure-up'));
      expect(hook.got).toEqual([
        { type: 'application/json', body: { text: `${env.name}: guard ensure-up failed\nMissing: x` } },
      ]);
      expect(c.ip.labels[ALERTED_LABEL]).toBe('20261203-ensure-up');
      expect(c.ip.labels.environment).toBe(env.name);
      expect(lines.join('\n')).toMatch(/already notified for 20261203-ensure-up/);
      // The next day (or another action) notifies again.
      await notifyOnce(deps as unknown as CycleDeps, env, note('20261204-ensure-up'));
      expect(hook.got).toHaveLength(2);
    } finally {
      await hook.close();
    }
  });

  test('a webhook that fails is logged, not marked, so the next failing run tries again', async () => {
    const env = resolveEnvironment(ENVIRONMENTS[0]);
    const hook = await webhook(500);
    try {
      const c = client(env);
      const lines: string[] = [];
      const deps = { client: c.client, log: (l: string) => lines.push(l), notify: webhookNotifier(hook.url) };
      await notifyOnce(deps as unknown as CycleDeps, env, { key: '20261203-ensure-up', text: 'x' });
      expect(lines.join('\n')).toMatch(/notification failed: webhook answered HTTP 500/);
      expect(c.ip.labels[ALERTED_LABEL]).toBeUndefined();
    } finally {
      await hook.close();
    }
  });
});
