/**
 * The pure parts of the cycle commands: argument parsing, reading sold-out servers out of the
 * engine's output, the fallback order, the starting choice, node readiness and the bounded
 * wait, the job summaries; and the up loop with a scripted engine and a stubbed API.
 */
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { dev, prod } from '../../environments';
import {
  describeServerTypes,
  ensureUp,
  environmentNamed,
  powerOnPlannedServers,
  guardSummary,
  nextServerTypeChoice,
  serverTypesFromLabels,
  sshProbeArgs,
  sshProber,
  startingChoice,
  unavailableServers,
  upSummary,
  waitForNodes,
  type CycleDeps,
  type GuardResult,
  type UpResult,
} from '../../scripts/ops/cycle';
import { expectedReadiness, type ReadinessExpectation } from '../../scripts/ops/readiness';
import { cycleCommands, MAX_WAIT_SECONDS, parseArgs, UsageError } from '../../scripts/ops/cycle-commands';
import type { Engine, EngineRun, StackJson } from '../../scripts/ops/engine';
import { HcloudClient } from '../../scripts/ops/hcloud';
import type { IdentityStore } from '../../scripts/ops/identity-store';
import type { ClusterIdentity } from '../../lib/identity';

/** The synthesized dev stack's servers, as far as the classification reads them. */
const DEV_STACK: StackJson = {
  resource: {
    hcloud_server: {
      'cp-0_server_F72A7D12': {
        name: 'trading-dev-cp-0',
        server_type: 'cx33',
        labels: { role: 'control-plane' },
      },
      'kafka-0_server_BDDCBFFE': {
        name: 'trading-dev-kafka-0',
        server_type: 'cx33',
        labels: { role: 'kafka' },
      },
    },
  },
};

/** What the fake API makes the engine print (-no-color), captured from a run. */
const FAKE_OUTPUT = `
Error: server type cx33 is unavailable in location fsn1 (resource_unavailable, c972f05595cd925e)

  with hcloud_server.cp-0_server_F72A7D12,
  on cdk.tf.json line 281, in resource.hcloud_server.cp-0_server_F72A7D12:
 281:       },


Error: server type cx33 is unavailable in location fsn1 (resource_unavailable, 22ee5da026361efa)

  with hcloud_server.kafka-0_server_BDDCBFFE,
  on cdk.tf.json line 323, in resource.hcloud_server.kafka-0_server_BDDCBFFE:
 323:       }
`;

/** What the real API makes the engine print (colour, box margins): the message names no type. */
const REAL_OUTPUT = [
  '\u001b[31m╷\u001b[0m\u001b[0m',
  '\u001b[31m│\u001b[0m \u001b[0m\u001b[1m\u001b[31mError: \u001b[0m\u001b[0m\u001b[1merror during placement (resource_unavailable, 1d1d17e504e28a4c)\u001b[0m',
  '\u001b[31m│\u001b[0m \u001b[0m',
  '\u001b[31m│\u001b[0m \u001b[0m\u001b[0m  with hcloud_server.kafka-0_server_BDDCBFFE,',
  '\u001b[31m│\u001b[0m \u001b[0m  on cdk.tf.json line 323, in resource.hcloud_server.kafka-0_server_BDDCBFFE:',
  '\u001b[31m╵\u001b[0m\u001b[0m',
].join('\n');

describe('parseArgs', () => {
  const spec = {
    positional: ['env'],
    flags: { at: 'instant', 'dry-run': 'boolean', 'wait-timeout': 'seconds', outdir: 'string' },
  } as const;

  test('positionals and flags, --name value and --name=value', () => {
    expect(
      parseArgs(
        ['dev', '--at', '2026-11-24T14:00:00Z', '--dry-run', '--wait-timeout=120', '--outdir', '/tmp/x'],
        spec,
      ),
    ).toEqual({
      positional: { env: 'dev' },
      flags: { at: '2026-11-24T14:00:00Z', 'dry-run': true, 'wait-timeout': 120, outdir: '/tmp/x' },
    });
    expect(parseArgs(['dev', '--at', '2026-11-24T09:00:00-05:00'], spec).flags.at).toBe(
      '2026-11-24T09:00:00-05:00',
    );
  });

  test.each([
    [[], /missing <env>/],
    [['dev', 'prod'], /unexpected argument 'prod'/],
    [['dev', '--force'], /unknown option --force \(options: --at, --dry-run, --wait-timeout, --outdir\)/],
    [['dev', '--dry-run', '--dry-run'], /--dry-run given twice/],
    [['dev', '--dry-run=yes'], /--dry-run takes no value/],
    [['dev', '--at'], /--at needs a value/],
    [['dev', '--at', '--dry-run'], /--at needs a value/],
    [['dev', '--at', '2026-11-24 14:00'], /--at must be an ISO 8601 instant with its offset/],
    [['dev', '--at', '2026-11-24T14:00:00'], /--at must be an ISO 8601 instant with its offset/],
    [
      ['dev', '--wait-timeout', '0'],
      new RegExp(`--wait-timeout must be whole seconds 1-${MAX_WAIT_SECONDS}`),
    ],
    [['dev', '--wait-timeout', '9.5'], /--wait-timeout must be whole seconds/],
    [['dev', '--wait-timeout', '99999'], /--wait-timeout must be whole seconds/],
  ])('%j is refused: %s', (args, message) => {
    expect(() => parseArgs(args, spec)).toThrow(UsageError);
    expect(() => parseArgs(args, spec)).toThrow(message);
  });
});

describe('sold-out servers in the engine output', () => {
  test("the fake's wording: both servers, mapped to their roles through the stack", () => {
    expect(unavailableServers(FAKE_OUTPUT, DEV_STACK)).toEqual([
      {
        address: 'hcloud_server.cp-0_server_F72A7D12',
        role: 'control-plane',
        serverType: 'cx33',
        message: 'server type cx33 is unavailable in location fsn1 (resource_unavailable, c972f05595cd925e)',
      },
      {
        address: 'hcloud_server.kafka-0_server_BDDCBFFE',
        role: 'kafka',
        serverType: 'cx33',
        message: 'server type cx33 is unavailable in location fsn1 (resource_unavailable, 22ee5da026361efa)',
      },
    ]);
  });

  test("the real API's wording (no type in the message), with colours and box margins", () => {
    expect(unavailableServers(REAL_OUTPUT, DEV_STACK)).toEqual([
      {
        address: 'hcloud_server.kafka-0_server_BDDCBFFE',
        role: 'kafka',
        serverType: 'cx33',
        message: 'error during placement (resource_unavailable, 1d1d17e504e28a4c)',
      },
    ]);
  });

  test('other errors are not sold-out servers', () => {
    const other = `Error: server name is already used (uniqueness_error, 0a)\n\n  with hcloud_server.cp-0_server_F72A7D12,\n`;
    expect(unavailableServers(other, DEV_STACK)).toEqual([]);
    expect(unavailableServers('Error: Failed to query available provider packages', DEV_STACK)).toEqual([]);
  });

  test('an address the stack does not know keeps the type from the message only', () => {
    const out = `Error: server type cpx32 is unavailable in location fsn1 (resource_unavailable, 1)\n\n  with hcloud_server.gone_server_0,\n`;
    expect(unavailableServers(out, DEV_STACK)).toEqual([
      {
        address: 'hcloud_server.gone_server_0',
        role: undefined,
        serverType: 'cpx32',
        message: 'server type cpx32 is unavailable in location fsn1 (resource_unavailable, 1)',
      },
    ]);
  });
});

describe('the fallback order', () => {
  test('dev: both roles sold out on cx33 move to cpx32 (fallback-1); then nothing is left', () => {
    const first = nextServerTypeChoice(dev, {}, unavailableServers(FAKE_OUTPUT, DEV_STACK), 'fsn1');
    expect(first.choice).toEqual({ controlPlane: 'cpx32', kafka: 'cpx32' });
    expect(first.steps).toEqual([
      { group: 'controlPlane', from: 'cx33', to: 'cpx32', choice: 'fallback-1' },
      { group: 'kafka', from: 'cx33', to: 'cpx32', choice: 'fallback-1' },
    ]);
    expect(() =>
      nextServerTypeChoice(dev, first.choice, [{ role: 'kafka', serverType: 'cpx32', message: 'm' }], 'fsn1'),
    ).toThrow(/kafka \(role kafka\): every candidate is sold out in fsn1: cx33, cpx32/);
  });

  test('prod control plane: cpx32 -> cx33 -> ccx23, in the order of fallbackServerTypes; other roles stay', () => {
    const soldOut = (serverType: string) => [
      { role: 'control-plane', serverType, message: 'error during placement' },
    ];
    const a = nextServerTypeChoice(prod, {}, soldOut('cpx32'));
    expect(a.choice).toEqual({ controlPlane: 'cx33' });
    const b = nextServerTypeChoice(prod, a.choice, soldOut('cx33'));
    expect(b.choice).toEqual({ controlPlane: 'ccx23' });
    expect(b.steps[0].choice).toBe('fallback-2');
    expect(describeServerTypes(prod, b.choice)).toBe(
      'control-plane ccx23 (fallback-2), kafka ccx23 (preferred), app cpx42 (preferred)',
    );
    expect(() => nextServerTypeChoice(prod, b.choice, soldOut('ccx23'))).toThrow(
      /no server type left to try/,
    );
  });

  test('without an address, the type named in the message picks the roles running it', () => {
    expect(nextServerTypeChoice(prod, {}, [{ serverType: 'ccx23', message: 'm' }]).choice).toEqual({
      kafka: 'ccx33',
    });
    expect(() =>
      nextServerTypeChoice(prod, {}, [{ message: 'error during placement (resource_unavailable)' }]),
    ).toThrow(/not clear which role it belongs to/);
  });
});

describe('the starting choice', () => {
  test('servers that exist keep their type (no resize back to the preferred type)', () => {
    const running = [
      { role: 'control-plane', serverType: 'cx33' },
      { role: 'kafka', serverType: 'cpx32' },
    ];
    expect(startingChoice(dev, running)).toEqual({ controlPlane: 'cx33', kafka: 'cpx32' });
  });

  test("the operator's SERVER_TYPES_<ENV> is the start where no server exists; mixed or foreign types are ignored", () => {
    expect(startingChoice(dev, [], { SERVER_TYPES_DEV: 'kafka=cpx32' })).toEqual({ kafka: 'cpx32' });
    expect(
      startingChoice(prod, [
        { role: 'kafka', serverType: 'ccx23' },
        { role: 'kafka', serverType: 'ccx33' },
        { role: 'app', serverType: 'cx23' },
      ]),
    ).toEqual({});
    expect(() => startingChoice(dev, [], { SERVER_TYPES_DEV: 'kafka=cx43' })).toThrow(
      /neither kafka.serverType/,
    );
  });
});

describe('readiness', () => {
  const node = (name: string, ready: string) => ({
    metadata: { name },
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'Ready', status: ready },
      ],
    },
  });

  /** A clock that the wait's sleeps advance. */
  function clock() {
    let t = 0;
    return { now: () => t, sleep: async (ms: number) => void (t += ms) };
  }

  test('the wait polls until ready and reports progress', async () => {
    const answers = [
      { ready: false, detail: 'API not answering yet (Connection refused)' },
      { ready: false, detail: '1/2 nodes Ready; waiting for trading-dev-kafka-0' },
      { ready: true, detail: '2/2 nodes Ready' },
    ];
    const lines: string[] = [];
    const c = clock();
    const r = await waitForNodes(
      async () => answers.shift()!,
      { host: '198.18.0.11', expectedNodes: [] },
      {
        timeoutSeconds: 900,
        intervalSeconds: 15,
        log: (l) => lines.push(l),
        ...c,
      },
    );
    expect(r).toEqual({
      seconds: 30,
      detail: '2/2 nodes Ready',
      stages: { nodes: 30, argocd: 30, kafka: 30 },
    });
    expect(lines).toEqual([
      '  waiting: API not answering yet (Connection refused) (0 s of 900 s)',
      '  waiting: 1/2 nodes Ready; waiting for trading-dev-kafka-0 (15 s of 900 s)',
      '  ready: 2/2 nodes Ready after 30 s (nodes 30 s, Argo CD 30 s, Kafka 30 s)',
    ]);
  });

  test('the wait records when each stage was first complete, counted from the start of up', async () => {
    const stages = (nodes: boolean, argocd: boolean, kafka: boolean) => ({ nodes, argocd, kafka });
    const answers = [
      { ready: false, detail: 'a', stages: stages(false, false, false) },
      { ready: false, detail: 'b', stages: stages(true, false, false) },
      { ready: false, detail: 'c', stages: stages(true, true, false) },
      { ready: true, detail: 'd', stages: stages(true, true, true) },
    ];
    const c = clock();
    const r = await waitForNodes(
      async () => answers.shift()!,
      { host: '198.18.0.11', expectedNodes: [] },
      { timeoutSeconds: 900, intervalSeconds: 15, log: () => undefined, ...c, startedAt: -100_000 },
    );
    expect(r.stages).toEqual({ nodes: 115, argocd: 130, kafka: 145 });
  });

  test('the wait is bounded: it fails with the last answer; a throwing prober counts as not ready', async () => {
    let probes = 0;
    const c = clock();
    await expect(
      waitForNodes(
        async () => {
          probes++;
          if (probes === 1) throw new Error('ssh: not found');
          return { ready: false, detail: '1/2 nodes Ready; waiting for trading-dev-kafka-0' };
        },
        { host: '198.18.0.11', expectedNodes: [] },
        { timeoutSeconds: 60, intervalSeconds: 15, log: () => undefined, ...c },
      ),
    ).rejects.toThrow(
      /the cluster at 198.18.0.11 is not ready to trade after 60 s: 1\/2 nodes Ready; waiting for trading-dev-kafka-0/,
    );
    expect(probes).toBe(5); // at 0, 15, 30, 45 and 60 s
  });

  test('the SSH prober: key, pinned host keys checked strictly, k3s kubectl; failures are "not answering"', async () => {
    const calls: (readonly string[])[] = [];
    const refused = {
      code: 255,
      stdout: '',
      stderr: 'ssh: connect to host 198.18.0.11 port 22: Connection refused\n',
    };
    const replies = [
      refused,
      {
        code: 0,
        stdout: `@@@ nodes 0\n${JSON.stringify({ items: [node('trading-dev-cp-0', 'True')] })}\n@@@ applications.argoproj.io 1\nerror: the server doesn't have a resource type "applications"\n`,
        stderr: '',
      },
    ];
    const dir = mkdtempSync(join(tmpdir(), 'prober-'));
    const knownHostsFile = join(dir, 'kh');
    try {
      const probe = sshProber({
        keyFile: '/run/key',
        knownHostsFile,
        run: async (command, args) => {
          expect(command).toBe('ssh');
          calls.push(args);
          return replies.shift()!;
        },
      });
      const pinned =
        '198.18.0.11 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHrdREaJXj2yr8JTiQh7X5ESt6d5NWK3kJIY0pBvLox2\n';
      const target = { host: '198.18.0.11', expectedNodes: ['trading-dev-cp-0'], knownHosts: pinned };
      expect(await probe(target)).toMatchObject({
        ready: false,
        detail: 'API not answering yet (ssh: connect to host 198.18.0.11 port 22: Connection refused)',
      });
      // Nothing but the nodes expected: ready, though Argo CD's CRDs are not there.
      expect(await probe(target)).toMatchObject({
        ready: true,
        stages: { nodes: true, argocd: true, kafka: true },
      });
      // With Applications expected, the missing CRD is what is missing.
      replies.push(refused, {
        code: 0,
        stdout: `@@@ nodes 0\n${JSON.stringify({ items: [node('trading-dev-cp-0', 'True')] })}\n@@@ applications.argoproj.io 1\nerror: the server doesn't have a resource type "applications"\n`,
        stderr: '',
      });
      await probe(target);
      const expected = {
        nodes: ['trading-dev-cp-0'],
        applications: [{ namespace: 'argocd', name: 'root' }],
        kafkas: [],
        topics: [],
        users: [],
      };
      expect(await probe({ ...target, expected })).toMatchObject({
        ready: false,
        stages: { nodes: true, argocd: false, kafka: false },
        missing: [
          `Application argocd/root: not readable (error: the server doesn't have a resource type "applications")`,
        ],
      });
      expect(readFileSync(knownHostsFile, 'utf8')).toBe(pinned);
      expect(calls[0]).toEqual(sshProbeArgs({ keyFile: '/run/key', knownHostsFile, host: '198.18.0.11' }));
      expect(calls[0].join(' ')).toMatch(
        /^-i \/run\/key .*StrictHostKeyChecking=yes -o UserKnownHostsFile=\S+\/kh .*root@198.18.0.11 for r in nodes applications.argoproj.io .*k3s kubectl get "\$r" -A -o json/,
      );
      // never trust on first use, whatever the caller passes
      expect(calls.flat().join(' ')).not.toMatch(/accept-new|StrictHostKeyChecking=no/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('job summaries', () => {
  const up: UpResult = {
    environment: 'dev',
    identity: 'kept',
    persistentApplied: false,
    attempts: [
      {
        serverTypes: 'control-plane cx33 (preferred), kafka cx33 (preferred)',
        ok: false,
        unavailable: ['kafka cx33: error during placement (resource_unavailable, 1d)'],
      },
      { serverTypes: 'control-plane cx33 (preferred), kafka cpx32 (fallback-1)', ok: true },
    ],
    choice: { kafka: 'cpx32' },
    serverTypes: 'control-plane cx33 (preferred), kafka cpx32 (fallback-1)',
    fallback: true,
    addresses: { 'trading-dev-control-plane-ipv4': '198.18.0.11', 'trading-dev-kafka-ipv4': '198.18.0.10' },
    readiness: '2/2 nodes Ready after 95 s',
    recorded: 'ready',
    stages: { servers: 40, nodes: 95, argocd: 120, kafka: 135 },
    poweredOn: [],
    orphans: [],
    seconds: 140,
  };
  const after = {
    servers: [
      { role: 'control-plane', serverType: 'cx33', labels: { 'server-type-choice': 'preferred' } },
      { role: 'kafka', serverType: 'cpx32', labels: { 'server-type-choice': 'fallback-1' } },
    ],
    primaryIps: [
      { name: 'trading-dev-control-plane-ipv4', ip: '198.18.0.11', assignedTo: 'trading-dev-cp-0' },
      { name: 'trading-dev-kafka-ipv4', ip: '198.18.0.10', assignedTo: 'trading-dev-kafka-0' },
    ],
  } as any;

  test('a guard that brought the cluster up on a fallback says what, where, why and what it costs', () => {
    const result: GuardResult = {
      environment: 'dev',
      at: '2026-11-24T14:00:00Z',
      observed: 'down',
      desired: 'up',
      reason: 'inside the XNYS window of 2026-11-24',
      action: 'ensure-up',
      dryRun: false,
      next: 'down at 2026-11-24T21:15:00Z',
      up,
      serverTypes: serverTypesFromLabels(dev, after),
      cost: '0.05 EUR net since 2026-11-24T00:00:00.000-05:00',
    };
    const md = guardSummary(result, after);
    expect(md).toMatch(/^### guard dev: ensure-up\n\n\| what +\| value/);
    expect(md).toMatch(
      /\| done +\| ensure-up: cluster applied in 2 attempt\(s\), 140 s; 2\/2 nodes Ready after 95 s/,
    );
    expect(md).toMatch(/\| time to ready +\| servers 40 s, nodes 95 s, Argo CD 120 s, Kafka 135 s/);
    expect(md).toMatch(/\| server types +\| control-plane cx33 \(preferred\), kafka cpx32 \(fallback-1\)/);
    expect(md).toMatch(/\| capacity fallback +\| used: .*sold out: kafka cx33: error during placement/);
    expect(md).toMatch(/trading-dev-control-plane-ipv4 198.18.0.11 \(on trading-dev-cp-0\)/);
    expect(md).toMatch(/\| cost today so far +\| 0.05 EUR/);
  });

  test('a guard that did nothing, and a dry run, say so', () => {
    const base = {
      environment: 'dev',
      at: '2026-11-24T03:00:00Z',
      observed: 'down' as const,
      desired: 'down' as const,
      reason: 'before the window',
      next: 'up at 2026-11-24T14:00:00Z',
    };
    const idle = guardSummary({ ...base, action: 'nothing', dryRun: false }, { servers: [], primaryIps: [] });
    expect(idle).toMatch(/### guard dev: nothing\n/);
    expect(idle).toMatch(/nothing \(already as desired\)/);
    expect(idle).not.toMatch(/server types|addresses|fallback/);
    const dry = guardSummary(
      { ...base, desired: 'up', action: 'ensure-up', dryRun: true },
      { servers: [], primaryIps: [] },
    );
    expect(dry).toMatch(/### guard dev: ensure-up \(dry run\)/);
    expect(dry).toMatch(/ensure-up \(dry run: nothing changed\)/);
  });

  test('up: the attempts in order, the choice in the title', () => {
    const md = upSummary(up);
    expect(md).toMatch(/^### up dev \(capacity fallback\)/);
    expect(md).toMatch(
      /kafka cx33 \(preferred\): sold out \(kafka cx33: error during placement .*\)<br>.*kafka cpx32 \(fallback-1\): ok/,
    );
    expect(md).toMatch(/not applied \(Primary IPs exist\)/);
    expect(md).not.toMatch(/powered on/);
    expect(upSummary({ ...up, poweredOn: ['trading-dev-kafka-0'] })).toMatch(
      /\| powered on +\| trading-dev-kafka-0 +\|/,
    );
  });
});

// ----- the up loop with a scripted engine and a stubbed API --------------------------------

/** An API with the two Primary IPs of an environment and nothing else. */
function stubClient(env: 'dev' | 'prod'): HcloudClient {
  const labels = { environment: env, cluster: 'trading', 'managed-by': 'cdktf-hetzner-trading' };
  const ips = ['control-plane', 'kafka'].map((role, i) => ({
    id: i + 1,
    name: `trading-${env}-${role}-ipv4`,
    ip: `198.18.0.${10 + i}`,
    type: 'ipv4',
    labels: { ...labels, role, persistent: 'true' },
    assignee_id: null,
    location: { name: 'fsn1' },
    created: '2026-01-01T00:00:00Z',
  }));
  const fetchImpl = (async (url: string) => {
    const key = new URL(url).pathname.replace(/^\/v1\//, '');
    const body = { [key]: key === 'primary_ips' ? ips : [], meta: { pagination: { next_page: null } } };
    return new Response(JSON.stringify(body), { status: 200 });
  }) as unknown as typeof fetch;
  return new HcloudClient({ token: 't', endpoint: 'http://stub.invalid/v1', fetchImpl });
}

/** An engine whose cluster applies fail with the given outputs, then succeed. */
function scriptedEngine(stack: StackJson, failures: string[]) {
  const synths: Record<string, string>[] = [];
  const runs: string[] = [];
  const engine: Engine = {
    synth: async (vars = {}) => void synths.push({ ...vars }),
    stackJson: () => stack,
    run: async (name, args): Promise<EngineRun> => {
      runs.push(`${args[0]} ${name}`);
      const out = name.endsWith('-persistent') ? undefined : failures.shift();
      return { code: out ? 1 : 0, stdout: '', stderr: out ?? '', seconds: 0 };
    },
  };
  return { engine, synths, runs };
}

/** An identity store in memory: the first up makes the identity, later ones find it. */
function memoryStore(): IdentityStore & { saves: number } {
  let saved: ClusterIdentity | undefined;
  const store = {
    saves: 0,
    load: async () => saved,
    save: async (i: ClusterIdentity) => {
      store.saves++;
      saved = i;
    },
  };
  return store;
}

function deps(
  env: 'dev' | 'prod',
  engine: Engine,
  extra: Partial<CycleDeps> = {},
): CycleDeps & { lines: string[] } {
  const lines: string[] = [];
  return {
    client: stubClient(env),
    engine,
    sweep: async () => [],
    log: (l) => lines.push(l),
    env: {},
    identity: memoryStore(),
    lines,
    ...extra,
  };
}

describe('ensureUp (scripted engine)', () => {
  test('makes the identity on the first up, saying so, and only finds it on the next', async () => {
    const store = memoryStore();
    const s = scriptedEngine(DEV_STACK, []);
    const first = deps('dev', s.engine, { identity: store });
    const r1 = await ensureUp(first, 'dev', { wait: false });
    expect(r1.identity).toBe('created (first up)');
    expect(first.lines.join('\n')).toMatch(/identity dev: none stored yet: making it once/);
    const second = deps('dev', s.engine, { identity: store });
    const r2 = await ensureUp(second, 'dev', { wait: false });
    expect(r2.identity).toBe('kept');
    expect(store.saves).toBe(1);
  });

  test('falls back role by role, re-synthesizing with the next choice, and skips the persistent stack', async () => {
    const s = scriptedEngine(DEV_STACK, [REAL_OUTPUT]);
    const d = deps('dev', s.engine);
    const r = await ensureUp(d, 'dev', { wait: false });
    expect(s.runs).toEqual(['show dev-persistent', 'apply dev', 'apply dev']);
    expect(s.synths.map((v) => v.SERVER_TYPE_CHOICE)).toEqual(['{"dev":{}}', '{"dev":{"kafka":"cpx32"}}']);
    expect(s.synths[0].SERVER_TYPES_DEV).toBe('');
    expect(r).toMatchObject({
      persistentApplied: false,
      fallback: true,
      choice: { kafka: 'cpx32' },
      serverTypes: 'control-plane cx33 (preferred), kafka cpx32 (fallback-1)',
      addresses: { 'trading-dev-control-plane-ipv4': '198.18.0.10', 'trading-dev-kafka-ipv4': '198.18.0.11' },
      readiness: 'skipped (--no-wait)',
    });
    expect(r.attempts.map((a) => a.ok)).toEqual([false, true]);
    expect(d.lines.join('\n')).toMatch(/fallback: kafka cx33 -> cpx32 \(fallback-1\), same location fsn1/);
  });

  test('bounded by the lists: prod control plane sold out on all three types fails naming them', async () => {
    const soldOut = (type: string) =>
      `Error: server type ${type} is unavailable in location fsn1 (resource_unavailable, 1)\n\n  with hcloud_server.cp-0_server_1,\n`;
    const stack = (type: string): StackJson => ({
      resource: {
        hcloud_server: { 'cp-0_server_1': { server_type: type, labels: { role: 'control-plane' } } },
      },
    });
    const types = ['cpx32', 'cx33', 'ccx23'];
    const s = scriptedEngine(stack('cpx32'), types.map(soldOut));
    let applies = 0;
    const engine: Engine = { ...s.engine, stackJson: () => stack(types[Math.min(applies++, 2)]) };
    await expect(ensureUp(deps('prod', engine), 'prod', { wait: false })).rejects.toThrow(
      /controlPlane \(role control-plane\): every candidate is sold out in fsn1: cpx32, cx33, ccx23/,
    );
    expect(s.runs).toEqual(['show prod-persistent', 'apply prod', 'apply prod', 'apply prod']);
  });

  test('any other failure stops at once with the engine output', async () => {
    const s = scriptedEngine(DEV_STACK, ['Error: uniqueness_error\nsomething else']);
    await expect(ensureUp(deps('dev', s.engine), 'dev', { wait: false })).rejects.toThrow(
      /apply of dev failed \(exit 1\):\nError: uniqueness_error/,
    );
    expect(s.runs).toEqual(['show dev-persistent', 'apply dev']);
  });

  test('waiting needs a prober (SSH_PRIVATE_KEY_FILE): refused before anything is touched', async () => {
    const s = scriptedEngine(DEV_STACK, []);
    await expect(ensureUp(deps('dev', s.engine), 'dev')).rejects.toThrow(
      /set SSH_PRIVATE_KEY_FILE .* or pass --no-wait/,
    );
    expect(s.synths).toEqual([]);
  });

  test('with a prober it waits for the API at cp-0 and every planned node', async () => {
    const s = scriptedEngine(DEV_STACK, []);
    const asked: unknown[] = [];
    const r = await ensureUp(
      deps('dev', s.engine, {
        prober: async (t) => (asked.push(t), { ready: true, detail: '2/2 nodes Ready' }),
      }),
      'dev',
    );
    expect(asked).toEqual([
      {
        host: '198.18.0.10',
        expectedNodes: ['trading-dev-cp-0', 'trading-dev-kafka-0'],
        knownHosts: expect.any(String),
        expected: expectedReadiness(dev, ['trading-dev-cp-0', 'trading-dev-kafka-0']),
      },
    ]);
    // Ready to trade = the nodes and everything the environment's GitOps folder renders.
    const expected = (asked[0] as { expected: ReadinessExpectation }).expected;
    expect(expected.applications.map((a) => a.name)).toContain('root');
    expect(expected.kafkas).toHaveLength(1);
    expect(expected.topics.map((t) => t.name).sort()).toEqual(dev.topics.map((t) => t.name).sort());
    // The probe pins the persistent host keys: one line per planned node, the control
    // plane's public address among cp-0's names, never trust on first use.
    const lines = (asked[0] as { knownHosts: string }).knownHosts.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\S*198\.18\.0\.10\S* ssh-ed25519 AAAA\S+$/);
    for (const line of lines) expect(line).toMatch(/ ssh-ed25519 AAAA\S+$/);
    expect(r.readiness).toBe('2/2 nodes Ready after 0 s');
  });
});

describe('the commands refuse bad usage before touching anything (exit 2)', () => {
  const untouchable = new Proxy({} as never, {
    get: () => {
      throw new Error('touched');
    },
  });
  const commands = cycleCommands({ env: {}, client: untouchable, engine: untouchable, sweep: untouchable });
  const run = async (name: string, args: string[]) => {
    const err: string[] = [];
    const code = await commands[name].run(args, { out: () => undefined, err: (l) => err.push(l) });
    return { code, err: err.join('\n') };
  };

  test.each([
    ['up', ['qa'], /unknown environment 'qa' \(environments: dev, prod\)/],
    ['guard', ['dev', '--at', 'tomorrow'], /--at must be an ISO 8601 instant/],
    ['down', ['dev', '--no-wait'], /unknown option --no-wait/],
    ['destroy-all', ['dev'], /refusing: --confirm must repeat the environment name \('dev'\), got ''/],
    ['destroy-all', ['dev', '--confirm', 'prod'], /got 'prod'/],
    ['destroy-vms', [], /missing <env>/],
  ])('%s %j', async (name, args, message) => {
    const r = await run(name, args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  test('every command has a usage line and a summary', () => {
    expect(Object.keys(commands)).toEqual([
      'up',
      'down',
      'recreate',
      'guard',
      'destroy-vms',
      'destroy-cluster',
      'destroy-all',
    ]);
    for (const c of Object.values(commands)) expect(c.usage).toMatch(/^<env>/);
  });
});

describe('powerOnPlannedServers', () => {
  test('powers on exactly the planned servers found off, and waits for the actions', async () => {
    const { env } = environmentNamed('prod');
    const labels = { environment: 'prod', cluster: 'trading', 'managed-by': 'cdktf-hetzner-trading' };
    const server = (id: number, name: string, status: string) => ({
      id,
      name,
      status,
      labels: { ...labels, role: 'x' },
    });
    const servers = [
      server(1, 'trading-prod-cp-0', 'running'),
      server(2, 'trading-prod-kafka-1', 'off'),
      server(3, 'trading-prod-app-0', 'off'),
      server(4, 'trading-prod-leftover-9', 'off'), // labelled ours, but not planned: left alone
      { ...server(5, 'trading-prod-kafka-2', 'off'), labels: { environment: 'dev' } }, // not this environment
    ];
    const calls: string[] = [];
    const fetchImpl = (async (url: string, init?: RequestInit) => {
      const u = new URL(url);
      const method = init?.method ?? 'GET';
      calls.push(`${method} ${u.pathname}`);
      if (method === 'POST') {
        const id = Number(/servers\/(\d+)\//.exec(u.pathname)![1]);
        return new Response(
          JSON.stringify({ action: { id: 100 + id, command: 'start_server', status: 'running' } }),
          {
            status: 201,
          },
        );
      }
      if (u.pathname.endsWith('/actions')) {
        const ids = u.searchParams.getAll('id').map(Number);
        return new Response(
          JSON.stringify({ actions: ids.map((id) => ({ id, command: 'start_server', status: 'success' })) }),
          { status: 200 },
        );
      }
      return new Response(JSON.stringify({ servers, meta: { pagination: { next_page: null } } }), {
        status: 200,
      });
    }) as unknown as typeof fetch;
    const client = new HcloudClient({ token: 't', endpoint: 'http://stub.invalid/v1', fetchImpl });
    const lines: string[] = [];
    const on = await powerOnPlannedServers(client, env, (l) => lines.push(l));
    expect(on).toEqual(['trading-prod-kafka-1', 'trading-prod-app-0']);
    expect(calls.filter((c) => c.startsWith('POST')).sort()).toEqual([
      'POST /v1/servers/2/actions/poweron',
      'POST /v1/servers/3/actions/poweron',
    ]);
    expect(calls).toContain('GET /v1/actions');
    expect(lines.join('\n')).toMatch(
      /trading-prod-kafka-1, trading-prod-app-0 found powered off: powering on/,
    );
  });
});
