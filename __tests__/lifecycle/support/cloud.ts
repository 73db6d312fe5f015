/**
 * Reads the fake's project the way an operator would look at the console: servers with their
 * addresses, roles and firewalls, the persistent IPs, and everything an environment owns, so
 * tests can state "only the persistent IPs remain" or "the same address is on the same role".
 */
import type { FakeHcloud } from '../fake-hcloud';

/** A server as the tests look at it. */
export interface ServerView {
  readonly id: number;
  readonly name: string;
  readonly role: string;
  readonly privateIp: string | undefined;
  readonly networkName: string | undefined;
  readonly publicIpv4: string | undefined;
  readonly publicIpv4Id: number | undefined;
  readonly hasIpv6: boolean;
  readonly firewalls: string[];
  readonly placementGroup: string | undefined;
  readonly labels: Record<string, string>;
  readonly serverType: string;
  readonly location: string;
  readonly image: string;
  readonly userData: string;
}

/** Servers of the project, by name. */
export function servers(fake: FakeHcloud): Map<string, ServerView> {
  const st = fake.store;
  const out = new Map<string, ServerView>();
  for (const s of st.servers.values()) {
    const v4 = s.ipv4 !== null ? st.primaryIps.get(s.ipv4) : undefined;
    const net = s.privateNet[0];
    out.set(s.name, {
      id: s.id,
      name: s.name,
      role: s.labels.role,
      privateIp: net?.ip,
      networkName: net ? st.networks.get(net.network)?.name : undefined,
      publicIpv4: v4?.ip,
      publicIpv4Id: v4?.id,
      hasIpv6: s.ipv6 !== null,
      firewalls: [...st.firewalls.values()].filter((f) => f.servers.includes(s.id)).map((f) => f.name),
      placementGroup: s.placementGroup !== null ? st.placementGroups.get(s.placementGroup)?.name : undefined,
      labels: { ...s.labels },
      serverType: s.serverType.name,
      location: s.location.name,
      image: s.image.name,
      userData: s.userData,
    });
  }
  return out;
}

/** A primary IP as the tests look at it. */
export interface PrimaryIpView {
  readonly id: number;
  readonly ip: string;
  readonly assignee: string | undefined;
  readonly protected: boolean;
  readonly autoDelete: boolean;
  readonly labels: Record<string, string>;
  readonly location: string;
}

/** Primary IPs of the project, by name. */
export function primaryIps(fake: FakeHcloud): Map<string, PrimaryIpView> {
  const st = fake.store;
  const out = new Map<string, PrimaryIpView>();
  for (const p of st.primaryIps.values()) {
    out.set(p.name, {
      id: p.id,
      ip: p.ip,
      assignee: p.assigneeId !== null ? st.servers.get(p.assigneeId)?.name : undefined,
      protected: p.protection.delete,
      autoDelete: p.autoDelete,
      labels: { ...p.labels },
      location: p.location.name,
    });
  }
  return out;
}

/** Every resource of the project as `type/name`, sorted: the inventory an orphan would show up in. */
export function inventory(fake: FakeHcloud, environment?: string): string[] {
  const st = fake.store;
  const all: [string, { name: string; labels: Record<string, string> }][] = [
    ...[...st.servers.values()].map((r) => ['server', r] as [string, typeof r]),
    ...[...st.primaryIps.values()].map((r) => ['primary_ip', r] as [string, typeof r]),
    ...[...st.networks.values()].map((r) => ['network', r] as [string, typeof r]),
    ...[...st.firewalls.values()].map((r) => ['firewall', r] as [string, typeof r]),
    ...[...st.sshKeys.values()].map((r) => ['ssh_key', r] as [string, typeof r]),
    ...[...st.placementGroups.values()].map((r) => ['placement_group', r] as [string, typeof r]),
  ];
  return all
    .filter(([, r]) => environment === undefined || r.labels.environment === environment)
    .map(([t, r]) => `${t}/${r.name}`)
    .sort();
}

/** The two persistent IPs of an environment: name → address. */
export function persistentAddresses(fake: FakeHcloud, env: string): Record<string, string> {
  const ips = primaryIps(fake);
  const out: Record<string, string> = {};
  for (const role of ['control-plane', 'kafka']) {
    const name = `trading-${env}-${role}-ipv4`;
    const ip = ips.get(name);
    if (ip) out[name] = ip.ip;
  }
  return out;
}
