/**
 * Read-only catalogue of the fake: locations, datacenters, server types, images and prices, in
 * the JSON shapes of hcloud-go's `schema/location.go`, `datacenter.go`, `server_type.go`,
 * `image.go` and `pricing.go`.
 * Only what our stacks order is listed, plus a few neighbours so that lookups by a wrong name
 * fail as they would for real.
 */

/** A location (`schema.Location`). */
export interface Location {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
  latitude: number;
  longitude: number;
  network_zone: string;
}

export const LOCATIONS: readonly Location[] = [
  {
    id: 1,
    name: 'fsn1',
    description: 'Falkenstein DC Park 1',
    country: 'DE',
    city: 'Falkenstein',
    latitude: 50.47612,
    longitude: 12.370071,
    network_zone: 'eu-central',
  },
  {
    id: 2,
    name: 'nbg1',
    description: 'Nuremberg DC Park 1',
    country: 'DE',
    city: 'Nuremberg',
    latitude: 49.452102,
    longitude: 11.076665,
    network_zone: 'eu-central',
  },
  {
    id: 3,
    name: 'hel1',
    description: 'Helsinki DC Park 1',
    country: 'FI',
    city: 'Helsinki',
    latitude: 60.169855,
    longitude: 24.938379,
    network_zone: 'eu-central',
  },
  {
    id: 4,
    name: 'ash',
    description: 'Ashburn, VA',
    country: 'US',
    city: 'Ashburn, VA',
    latitude: 39.045821,
    longitude: -77.487073,
    network_zone: 'us-east',
  },
];

/** Datacenters, one per location (`schema.Datacenter`). */
export const DATACENTERS = [
  { id: 4, name: 'fsn1-dc14', description: 'Falkenstein 1 virtual DC 14', location: LOCATIONS[0] },
  { id: 2, name: 'nbg1-dc3', description: 'Nuremberg 1 virtual DC 3', location: LOCATIONS[1] },
  { id: 3, name: 'hel1-dc2', description: 'Helsinki 1 virtual DC 2', location: LOCATIONS[2] },
  { id: 5, name: 'ash-dc1', description: 'Ashburn virtual DC 1', location: LOCATIONS[3] },
];

/**
 * The fake's prices, net of VAT, EUR per hour. Fixture values in the API's shape, NOT Hetzner's
 * prices (they change; see DESIGN.md §2): round numbers so tests can compute costs by hand.
 * Monthly caps are 600 x the hourly price; ash costs 10 % more (as US locations do).
 */
export const FAKE_HOURLY_NET: Readonly<Record<string, number>> = {
  cx23: 0.006,
  cx33: 0.011,
  cx43: 0.021,
  cpx22: 0.013,
  cpx32: 0.024,
  cpx42: 0.044,
  ccx13: 0.023,
  ccx23: 0.045,
};

/** The fake's Primary IPv4 price, net, EUR (IPv6 is free, as for real). */
export const FAKE_PRIMARY_IPV4_NET = { hourly: 0.001, monthly: 0.6 } as const;

/** The VAT rate the fake's gross prices include, percent. */
export const FAKE_VAT_RATE = 19;

/** A decimal string as the API writes them (`"0.0110000000"`, 10 places for hourly). */
function decimal(n: number, places: number): string {
  return n.toFixed(places);
}

/** `schema.Price`: net and gross (with {@link FAKE_VAT_RATE}). */
function price(net: number, places: number): { net: string; gross: string } {
  return { net: decimal(net, places), gross: decimal(net * (1 + FAKE_VAT_RATE / 100), places) };
}

/** Net factor of a location's prices (US locations cost more). */
const locationFactor = (location: string) => (location === 'ash' ? 1.1 : 1);

/** `schema.PricingServerTypePrice` of one type in one location. */
function serverTypePrice(type: string, location: string) {
  const hourly = FAKE_HOURLY_NET[type] * locationFactor(location);
  return {
    location,
    price_hourly: price(hourly, 10),
    price_monthly: price(hourly * 600, 10),
    included_traffic: location === 'ash' ? 1099511627776 : 21990232555520,
    price_per_tb_traffic: price(1, 10),
  };
}

/** A server type (`schema.ServerType`). */
export interface ServerType {
  id: number;
  name: string;
  description: string;
  category: string;
  cores: number;
  memory: number;
  disk: number;
  storage_type: string;
  cpu_type: string;
  architecture: string;
  included_traffic: number;
  prices: ReturnType<typeof serverTypePrice>[];
  deprecated: boolean;
  deprecation: null;
  locations: { id: number; name: string; recommended: boolean; available: boolean; deprecation: null }[];
}

function serverType(
  id: number,
  name: string,
  category: string,
  cores: number,
  memory: number,
  disk: number,
  cpu: 'shared' | 'dedicated',
  locations: readonly string[],
): ServerType {
  return {
    id,
    name,
    description: name.toUpperCase(),
    category,
    cores,
    memory,
    disk,
    storage_type: 'local',
    cpu_type: cpu,
    architecture: 'x86',
    included_traffic: 21990232555520,
    // Fixture prices (FAKE_HOURLY_NET), not Hetzner's.
    prices: locations.map((l) => serverTypePrice(name, l)),
    deprecated: false,
    deprecation: null,
    locations: LOCATIONS.filter((l) => locations.includes(l.name)).map((l) => ({
      id: l.id,
      name: l.name,
      recommended: true,
      available: true,
      deprecation: null,
    })),
  };
}

const EU = ['fsn1', 'nbg1', 'hel1'];

export const SERVER_TYPES: readonly ServerType[] = [
  serverType(104, 'cx23', 'cost_optimized', 2, 4, 40, 'shared', EU),
  serverType(105, 'cx33', 'cost_optimized', 4, 8, 80, 'shared', EU),
  serverType(106, 'cx43', 'cost_optimized', 8, 16, 160, 'shared', EU),
  serverType(110, 'cpx22', 'regular_purpose', 2, 4, 80, 'shared', [...EU, 'ash']),
  serverType(111, 'cpx32', 'regular_purpose', 4, 8, 160, 'shared', [...EU, 'ash']),
  serverType(112, 'cpx42', 'regular_purpose', 8, 16, 320, 'shared', [...EU, 'ash']),
  serverType(96, 'ccx13', 'general_purpose', 2, 8, 80, 'dedicated', [...EU, 'ash']),
  serverType(97, 'ccx23', 'general_purpose', 4, 16, 160, 'dedicated', [...EU, 'ash']),
];

/** A system image (`schema.Image`). */
export const IMAGES = [
  {
    id: 161547269,
    status: 'available',
    type: 'system',
    name: 'ubuntu-24.04',
    description: 'Ubuntu 24.04',
    image_size: null,
    disk_size: 5,
    created: '2024-04-25T13:26:27Z',
    created_from: null,
    bound_to: null,
    os_flavor: 'ubuntu',
    os_version: '24.04',
    architecture: 'x86',
    rapid_deploy: true,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: {},
  },
  {
    id: 114690387,
    status: 'available',
    type: 'system',
    name: 'debian-12',
    description: 'Debian 12',
    image_size: null,
    disk_size: 5,
    created: '2023-06-13T06:00:02Z',
    created_from: null,
    bound_to: null,
    os_flavor: 'debian',
    os_version: '12',
    architecture: 'x86',
    rapid_deploy: true,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: {},
  },
];

/** `GET /pricing` (`schema.Pricing`), built from the fixture prices above. */
export function pricing() {
  const locations = LOCATIONS.map((l) => l.name);
  return {
    currency: 'EUR',
    vat_rate: FAKE_VAT_RATE.toFixed(2),
    image: { price_per_gb_month: price(0.011, 10) },
    floating_ip: { price_monthly: price(3, 10) },
    floating_ips: [
      { type: 'ipv4', prices: locations.map((location) => ({ location, price_monthly: price(3, 10) })) },
      { type: 'ipv6', prices: locations.map((location) => ({ location, price_monthly: price(3, 10) })) },
    ],
    primary_ips: [
      {
        type: 'ipv4',
        prices: locations.map((location) => ({
          location,
          price_hourly: price(FAKE_PRIMARY_IPV4_NET.hourly, 10),
          price_monthly: price(FAKE_PRIMARY_IPV4_NET.monthly, 10),
        })),
      },
      {
        type: 'ipv6',
        prices: locations.map((location) => ({
          location,
          price_hourly: price(0, 10),
          price_monthly: price(0, 10),
        })),
      },
    ],
    traffic: { price_per_tb: price(1, 10) },
    server_backup: { percentage: '20.00' },
    server_types: SERVER_TYPES.map((t) => ({ id: t.id, name: t.name, prices: t.prices })),
    load_balancer_types: [],
    volume: { price_per_gb_month: price(0.044, 10) },
  };
}
