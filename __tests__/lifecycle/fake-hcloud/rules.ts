/**
 * The real API's rules that our stacks depend on, as small pure checks the store calls. Each
 * throws the `ApiError` the real API answers with, so a broken rule shows up in the provider's
 * diagnostics exactly as it would against Hetzner.
 */
import { ApiError, invalidInput, notUnique } from './errors';

/** Spread placement groups hold at most this many servers. */
export const PLACEMENT_GROUP_MAX_SERVERS = 10;

/** IPv4 dotted quad to an unsigned integer; undefined when it is not one. */
export function ipv4ToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** A parsed IPv4 CIDR: first and last address. */
export interface Cidr {
  readonly first: number;
  readonly last: number;
}

export function parseCidr(field: string, cidr: string): Cidr {
  const [ip, bits] = cidr.split('/');
  const base = ipv4ToInt(ip ?? '');
  const prefix = Number(bits);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw invalidInput(field, `'${cidr}' is not a valid IPv4 CIDR`);
  }
  const size = 2 ** (32 - prefix);
  const first = base - (base % size);
  if (first !== base) throw invalidInput(field, `'${cidr}' is not a network address (host bits set)`);
  return { first, last: first + size - 1 };
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.first >= outer.first && inner.last <= outer.last;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** Names are unique per resource type (and SSH keys also by fingerprint). */
export function assertUnique<T>(
  items: Iterable<T>,
  value: string,
  get: (t: T) => string,
  field = 'name',
): void {
  for (const item of items) if (get(item) === value) throw notUnique(field, value);
}

/**
 * A private IP must lie in one of the network's subnets, must not be the network, gateway (the
 * subnet's first address) or broadcast address, and must not be taken by another server.
 */
export function assertPrivateIpUsable(
  ip: string,
  subnets: readonly Cidr[],
  taken: ReadonlySet<string>,
): void {
  const n = ipv4ToInt(ip);
  if (n === undefined) throw invalidInput('ip', `'${ip}' is not a valid IPv4 address`);
  const subnet = subnets.find((s) => n >= s.first && n <= s.last);
  if (!subnet) throw invalidInput('ip', `IP ${ip} is not inside any subnet of the network`);
  if (n === subnet.first || n === subnet.first + 1 || n === subnet.last) {
    throw new ApiError(
      422,
      'ip_not_available',
      `IP ${ip} is reserved (network, gateway or broadcast address)`,
    );
  }
  if (taken.has(ip)) throw new ApiError(422, 'ip_not_available', `IP ${ip} is already used in this network`);
}

/** A label map: keys and values as the API allows (no empty keys, values up to 63 chars). */
export function assertLabels(labels: unknown): Record<string, string> {
  if (labels === undefined || labels === null) return {};
  if (typeof labels !== 'object' || Array.isArray(labels)) throw invalidInput('labels', 'must be an object');
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    if (!/^([a-z0-9A-Z]([\w.-]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([\w.-]{0,61}[a-z0-9A-Z])?$/.test(k)) {
      throw invalidInput('labels', `invalid label key '${k}'`);
    }
    if (typeof v !== 'string' || !/^([a-z0-9A-Z]([\w.-]{0,61}[a-z0-9A-Z])?)?$/.test(v)) {
      throw invalidInput('labels', `invalid label value for '${k}'`);
    }
  }
  return { ...(labels as Record<string, string>) };
}
