/**
 * Benchmark of the dev daily cycle against the fake Hetzner Cloud API with the real engine and
 * provider: wall time of deploy, plan, destroy, re-deploy with zero and with a fixed per-action
 * latency, and the API calls per deploy and per destroy against Hetzner's budget of 3,600
 * requests per hour and project.
 *
 *   npx ts-node --transpile-only scripts/bench-lifecycle.ts [--action-latency-ms 2000]
 */
import { FakeHcloud } from '../__tests__/lifecycle/fake-hcloud';
import { Workspace, lifecycleToolchain } from '../__tests__/lifecycle/support/engine';

const HOURLY_BUDGET = 3600;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Figures {
  readonly latencyMs: number;
  readonly seconds: Record<string, number>;
  readonly calls: Record<string, number>;
}

async function cycle(latencyMs: number): Promise<Figures> {
  const toolchain = lifecycleToolchain();
  if (!toolchain) throw new Error('toolchain missing: run npm run toolchain');
  const fake = await FakeHcloud.start({ knobs: { actionLatencyMs: latencyMs } });
  const ws = new Workspace(toolchain, { apiEnv: fake.env });
  const seconds: Record<string, number> = {};
  const calls: Record<string, number> = {};
  const step = async (name: string, fn: () => Promise<unknown>) => {
    const from = fake.calls.length;
    const t = performance.now();
    await fn();
    seconds[name] = (performance.now() - t) / 1000;
    calls[name] = fake.calls.length - from;
  };
  try {
    await ws.run('dev-persistent', ['init', '-input=false', '-no-color']);
    await ws.run('dev', ['init', '-input=false', '-no-color']);
    await step('persistent deploy (once)', () => ws.apply('dev-persistent'));
    await step('deploy', () => ws.apply('dev'));
    await step('plan', () => ws.plan('dev'));
    await step('destroy', () => ws.destroy('dev'));
    await step('re-deploy', () => ws.apply('dev'));
    if (fake.unhandledCalls().length)
      throw new Error(`unhandled calls: ${JSON.stringify(fake.unhandledCalls())}`);
  } finally {
    await fake.stop();
    ws.dispose();
  }
  return { latencyMs, seconds, calls };
}

async function main(): Promise<void> {
  const latency = arg('action-latency-ms', 2000);
  const results = [await cycle(0), await cycle(latency)];
  for (const r of results) {
    const cycleSeconds = ['deploy', 'plan', 'destroy', 're-deploy'].reduce((s, k) => s + r.seconds[k], 0);
    console.log(
      `\n== dev cycle, per-action latency ${r.latencyMs} ms: ${cycleSeconds.toFixed(1)} s (deploy, plan, destroy, re-deploy)`,
    );
    for (const [k, v] of Object.entries(r.seconds)) {
      console.log(
        `  ${k.padEnd(26)} ${v.toFixed(1).padStart(6)} s ${String(r.calls[k]).padStart(5)} API calls`,
      );
    }
  }
  const c = results[0].calls;
  const perDay = c.deploy + c.destroy;
  const withPlan = perDay + c.plan;
  console.log(`\nAPI calls per deploy ${c.deploy}, per destroy ${c.destroy}, per plan ${c.plan}`);
  console.log(
    `Hetzner budget ${HOURLY_BUDGET} requests/hour/project: ${Math.floor(HOURLY_BUDGET / perDay)} deploy+destroy cycles ` +
      `(${Math.floor(HOURLY_BUDGET / withPlan)} with a plan each) fit in one hour; a day's cycle uses ${((perDay / HOURLY_BUDGET) * 100).toFixed(1)} % of one hour's budget.`,
  );
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
