import * as ipaddr from 'ipaddr.js';

/** A parsed IPv4 or IPv6 CIDR. */
export interface Cidr {
  readonly address: ipaddr.IPv4 | ipaddr.IPv6;
  readonly prefix: number;
}

/** Parses `a.b.c.d/n` or an IPv6 CIDR in canonical form; returns undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== 'string' || !text.includes('/')) return undefined;
  try {
    const [address, prefix] = ipaddr.parseCIDR(text);
    if (address.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(text.split('/')[0])) {
      return undefined;
    }
    return { address, prefix };
  } catch {
    return undefined;
  }
}

/** True when the CIDR has no host bits set (`10.0.1.0/24`, not `10.0.1.5/24`). */
export function isNetworkAddress(cidr: Cidr): boolean {
  return networkAddress(cidr) === cidr.address.toNormalizedString();
}

function networkAddress(cidr: Cidr): string {
  if (cidr.address.kind() === 'ipv4') {
    return ipaddr.IPv4.networkAddressFromCIDR(`${cidr.address.toString()}/${cidr.prefix}`).toString();
  }
  return ipaddr.IPv6.networkAddressFromCIDR(`${cidr.address.toString()}/${cidr.prefix}`).toNormalizedString();
}

/** True when `inner` lies wholly inside `outer` (same family). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.address.kind() !== inner.address.kind() || inner.prefix < outer.prefix) return false;
  return inner.address.match(outer.address, outer.prefix);
}

/** True when the IPv4 address lies inside the CIDR. */
export function ipInCidr(ip: string, cidr: Cidr): boolean {
  if (!ipaddr.IPv4.isValidFourPartDecimal(ip) || cidr.address.kind() !== 'ipv4') return false;
  return ipaddr.IPv4.parse(ip).match(cidr.address, cidr.prefix);
}

/** Number of addresses in an IPv4 CIDR. */
export function ipv4Size(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

/** The IPv4 address `hostNumber` places after the CIDR's network address. */
export function ipv4Host(cidr: Cidr, hostNumber: number): string {
  const base = ipaddr.IPv4.networkAddressFromCIDR(`${cidr.address.toString()}/${cidr.prefix}`);
  const value = base.toByteArray().reduce((acc, byte) => acc * 256 + byte, 0) + hostNumber;
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** True for a CIDR that covers the whole internet (`0.0.0.0/0`, `::/0`). */
export function isWorld(cidr: Cidr): boolean {
  return cidr.prefix === 0;
}

/** True for an IPv4 range inside RFC 1918 private space, as Hetzner networks require. */
export function isPrivateIpv4Range(cidr: Cidr): boolean {
  if (cidr.address.kind() !== 'ipv4') return false;
  return ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].some((block) =>
    cidrContains(parseCidr(block)!, cidr),
  );
}

/**
 * True when the CIDRs together cover every address of a family (`0.0.0.0/0`, or
 * `0.0.0.0/1` + `128.0.0.0/1`, ...). Two CIDRs are either nested or disjoint, so the
 * union's size is the sum over the CIDRs not inside another one.
 */
export function coversWholeInternet(cidrs: readonly Cidr[]): boolean {
  return (['ipv4', 'ipv6'] as const).some((family) => {
    const bits = family === 'ipv4' ? 32 : 128;
    const same = cidrs.filter((c) => c.address.kind() === family);
    const outermost = same.filter(
      (c, i) => !same.some((o, j) => j !== i && cidrContains(o, c) && (o.prefix < c.prefix || j < i)),
    );
    const covered = outermost.reduce((sum, c) => sum + 2n ** BigInt(bits - c.prefix), 0n);
    return same.length > 0 && covered === 2n ** BigInt(bits);
  });
}

/** True when two CIDRs of the same family share an address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}
