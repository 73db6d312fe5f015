import type { ResolvedEnvironment } from './environment';

/** The parts of the API's `GET /pricing` answer (hcloud-go `schema.Pricing`) a cost estimate needs. */
export interface Pricing {
  readonly currency: string;
  readonly server_types: ReadonlyArray<{
    readonly name: string;
    readonly prices: ReadonlyArray<{
      readonly location: string;
      readonly price_hourly: { readonly net: string; readonly gross: string };
      readonly price_monthly: { readonly net: string; readonly gross: string };
    }>;
  }>;
  readonly primary_ips: ReadonlyArray<{
    readonly type: string;
    readonly prices: ReadonlyArray<{
      readonly location: string;
      readonly price_monthly: { readonly net: string; readonly gross: string };
    }>;
  }>;
}

/** One line of a cost estimate. */
export interface CostLine {
  readonly item: string;
  readonly count: number;
  readonly hourlyNet?: number;
  readonly monthlyNet: number;
}

/** A monthly estimate for one environment, net of VAT. */
export interface CostEstimate {
  readonly environment: string;
  readonly currency: string;
  readonly tradingDaysPerMonth: number;
  readonly lines: readonly CostLine[];
  readonly monthlyNet: number;
  /** What the same servers would cost running all month, for comparison. */
  readonly alwaysOnMonthlyNet: number;
}

/**
 * Estimates an environment's monthly cost from live prices: servers billed hourly for
 * `uptimeHoursPerDay` on each trading day (capped at the monthly price, as Hetzner bills),
 * plus both Primary IPv4s, billed all month whether assigned or not.
 */
export function estimateCost(
  env: ResolvedEnvironment,
  pricing: Pricing,
  tradingDaysPerMonth = 21,
): CostEstimate {
  const hours = env.uptimeHoursPerDay * tradingDaysPerMonth;
  const byType = new Map<string, number>();
  for (const server of [...env.controlPlanes, ...env.kafkaNodes, ...env.appNodes]) {
    byType.set(server.serverType, (byType.get(server.serverType) ?? 0) + 1);
  }
  const lines: CostLine[] = [];
  let alwaysOn = 0;
  for (const [type, count] of byType) {
    const price = pricing.server_types
      .find((t) => t.name === type)
      ?.prices.find((p) => p.location === env.location);
    if (!price)
      throw new Error(`no price for server type '${type}' in '${env.location}' in the pricing data`);
    const hourly = Number(price.price_hourly.net);
    const monthlyCap = Number(price.price_monthly.net);
    lines.push({
      item: `server ${type}`,
      count,
      hourlyNet: hourly,
      monthlyNet: count * Math.min(hourly * hours, monthlyCap),
    });
    alwaysOn += count * monthlyCap;
  }
  const ip = pricing.primary_ips
    .find((p) => p.type === 'ipv4')
    ?.prices.find((p) => p.location === env.location);
  if (!ip) throw new Error(`no Primary IPv4 price for '${env.location}' in the pricing data`);
  const ipMonthly = 2 * Number(ip.price_monthly.net);
  lines.push({ item: 'Primary IPv4 (persistent)', count: 2, monthlyNet: ipMonthly });
  const total = lines.reduce((sum, line) => sum + line.monthlyNet, 0);
  return {
    environment: env.name,
    currency: pricing.currency,
    tradingDaysPerMonth,
    lines,
    monthlyNet: total,
    alwaysOnMonthlyNet: alwaysOn + ipMonthly,
  };
}
