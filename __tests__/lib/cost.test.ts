import { dev, prod } from '../../environments';
import { calendarFor } from '../../environments/calendars';
import {
  estimateCost,
  PRICE_TABLE,
  priceListFromPricing,
  priceListFromTable,
  scheduleCost,
  type Pricing,
} from '../../lib/cost';
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

describe('scheduleCost', () => {
  const live = priceListFromPricing(pricing, '2026-11-30', 'test');

  test('dev at its calendar: billed hours per regular day, the IPs all month', () => {
    const e = scheduleCost(resolveEnvironment(dev), calendarFor('dev'), live, {
      from: '2026-11-30',
      tradingDaysPerMonth: 21,
    });
    // 09:00-16:15 = 7.25 h, billed 8; market 09:30-16:00 = 6.5 h.
    expect(e).toMatchObject({ billedHoursPerDay: 8, marketHoursPerDay: 6.5, billedToMarketRatio: 1.231 });
    expect(e.perTradingDayNet).toBeCloseTo(2 * 0.01 * 8, 9);
    expect(e.perMonthNet).toBeCloseTo(2 * 0.01 * 8 * 21 + 1, 9);
    expect(e.alwaysOnMonthNet).toBeCloseTo(12 + 1, 9);
  });

  test('the monthly cap binds; an average month counts holidays and early closes', () => {
    const cheapCap = priceListFromPricing(
      { ...pricing, server_types: [{ name: 'cx33', prices: [price('0.01', '1.00')] }] },
      '2026-11-30',
      'test',
    );
    const e = scheduleCost(resolveEnvironment(dev), calendarFor('dev'), cheapCap, { from: '2027-01-01' });
    expect(e.servers.map((l) => l.perMonthNet)).toEqual([1, 1]);
    // 2027: 251 XNYS trading days, 26 Nov closes at 13:00 (dev 09:00-13:15, 5 billed h).
    expect(e.billedHoursPerMonth).toBeCloseTo((250 * 8 + 5) / 12, 2);
  });

  test('the dated table: fsn1 only, named with its date; a missing price is null, not 0', () => {
    const table = priceListFromTable();
    expect(table).toMatchObject({ kind: 'table', date: PRICE_TABLE.date, currency: 'EUR' });
    expect(table.server('cx33', 'fsn1')).toEqual({ hourlyNet: 0.011 });
    expect(table.server('cx33', 'nbg1')).toBeUndefined();
    const e = scheduleCost(resolveEnvironment(prod), calendarFor('prod'), table, {
      from: '2026-11-30',
      tradingDaysPerMonth: 21,
    });
    expect(e.perMonthNet).toBeNull();
    expect(e.missingPrices).toEqual(['ccx23@fsn1', 'cpx42@fsn1']);
    expect(() =>
      scheduleCost(resolveEnvironment(dev), calendarFor('dev'), table, {
        from: '2026-11-30',
        tradingDaysPerMonth: 40,
      }),
    ).toThrow(/whole number 0-31/);
  });
});
