/**
 * Starts the fake Hetzner Cloud API by hand (127.0.0.1, random port) and prints the endpoint and
 * token to export, so a deploy can be tried against it. Stops on Ctrl-C or after --minutes.
 *
 *   npx ts-node --transpile-only scripts/fake-hcloud.ts [--minutes 60] [--action-latency-ms 0]
 */
import { FakeHcloud } from '../__tests__/lifecycle/fake-hcloud';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const minutes = arg('minutes', 60);
  const fake = await FakeHcloud.start({ knobs: { actionLatencyMs: arg('action-latency-ms', 0) } });
  console.log(`export HCLOUD_ENDPOINT=${fake.endpoint}`);
  console.log(`export HCLOUD_TOKEN=${fake.token}`);
  console.log(
    `# fake Hetzner Cloud API up for ${minutes} min; Ctrl-C prints the calls it served and stops it`,
  );
  const stop = async () => {
    const counts = [...fake.routeCounts()].sort((a, b) => b[1] - a[1]);
    for (const [route, n] of counts) console.log(`${String(n).padStart(5)}  ${route}`);
    for (const c of fake.unhandledCalls()) console.log(`UNHANDLED ${c.route}`);
    await fake.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  setTimeout(() => void stop(), minutes * 60_000).unref();
  await new Promise(() => undefined);
}

void main();
