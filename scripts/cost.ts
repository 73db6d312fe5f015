/**
 * Monthly cost estimate per environment from the live prices of the Hetzner Cloud API
 * (`GET /pricing`). Needs HCLOUD_TOKEN (read-only is enough); HCLOUD_ENDPOINT overrides
 * the API address (e.g. the test fake).
 *
 *   npm run cost [-- --trading-days 21]
 */
import { ENVIRONMENTS } from '../environments';
import { estimateCost, type Pricing } from '../lib/cost';
import { resolveEnvironment } from '../lib/environment';

async function main(): Promise<void> {
  const token = process.env.HCLOUD_TOKEN;
  if (!token)
    throw new Error('HCLOUD_TOKEN is not set: create an API token in the Hetzner Console (read is enough)');
  const endpoint = (process.env.HCLOUD_ENDPOINT ?? 'https://api.hetzner.cloud/v1').replace(/\/$/, '');
  const i = process.argv.indexOf('--trading-days');
  const days = i >= 0 ? Number(process.argv[i + 1]) : 21;
  const response = await fetch(`${endpoint}/pricing`, {
    headers: { Authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(15_000),
  });
  if (!response.ok) throw new Error(`GET /pricing answered ${response.status}: ${await response.text()}`);
  const { pricing } = (await response.json()) as { pricing: Pricing };
  console.log(`Prices from ${endpoint}/pricing on ${new Date().toISOString().slice(0, 10)}, net of VAT`);
  for (const config of ENVIRONMENTS) {
    const estimate = estimateCost(resolveEnvironment(config), pricing, days);
    console.log(`\n${estimate.environment} (${config.uptimeHoursPerDay} h/day x ${days} trading days)`);
    for (const line of estimate.lines) {
      const hourly = line.hourlyNet === undefined ? '' : ` at ${line.hourlyNet.toFixed(4)}/h`;
      console.log(
        `  ${line.count} x ${line.item}${hourly}: ${line.monthlyNet.toFixed(2)} ${estimate.currency}/month`,
      );
    }
    console.log(
      `  total ${estimate.monthlyNet.toFixed(2)} ${estimate.currency}/month (always on: ${estimate.alwaysOnMonthlyNet.toFixed(2)})`,
    );
  }
}

main().catch((error: Error) => {
  console.error(`cost: ${error.message}`);
  process.exit(1);
});
