import { dev, prod } from '../../environments';
import { estimateCost, type Pricing } from '../../lib/cost';
import { resolveEnvironment } from '../../lib/environment';

// Made-up prices in the API's shape; only the arithmetic is under test.
const price = (hourly: string, monthly: string) => ({
  location: 'fsn1',
  price_hourly: { net: hourly, gross: hourly },
  price_monthly: { net: monthly, gross: monthly },
});
const pricing: Pricing = {
  currency: 'EUR',
  server_types: [
    { name: 'cx33', prices: [price('0.01', '6.00')] },
    { name: 'cpx32', prices: [price('0.02', '12.00')] },
    { name: 'ccx23', prices: [price('0.04', '24.00')] },
    { name: 'cpx42', prices: [price('0.03', '18.00')] },
  ],
  primary_ips: [
    { type: 'ipv4', prices: [{ location: 'fsn1', price_monthly: { net: '0.50', gross: '0.60' } }] },
  ],
};

test('dev: two servers for 8 h on 21 days plus two Primary IPs all month', () => {
  const estimate = estimateCost(resolveEnvironment(dev), pricing, 21);
  expect(estimate.lines).toEqual([
    { item: 'server cx33', count: 2, hourlyNet: 0.01, monthlyNet: 2 * 0.01 * 8 * 21 },
    { item: 'Primary IPv4 (persistent)', count: 2, monthlyNet: 1 },
  ]);
  expect(estimate.monthlyNet).toBeCloseTo(3.36 + 1, 6);
  expect(estimate.alwaysOnMonthlyNet).toBeCloseTo(12 + 1, 6);
});

test('hourly billing is capped at the monthly price', () => {
  const env = resolveEnvironment({ ...prod, uptimeHoursPerDay: 24 });
  const line = estimateCost(env, pricing, 31).lines.find((l) => l.item === 'server ccx23')!;
  expect(line.monthlyNet).toBe(3 * 24);
});

test('a server type missing from the price list is named', () => {
  const env = resolveEnvironment({ ...dev, kafka: { count: 1, serverType: 'cx43' } });
  expect(() => estimateCost(env, pricing)).toThrow("no price for server type 'cx43' in 'fsn1'");
});
