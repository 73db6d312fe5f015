/**
 * The fake's in-memory project: every resource our stacks and the hcloud provider touch, with
 * the real API's rules (see `rules.ts`) applied on each change, and rendered in the JSON shapes
 * of hcloud-go's `hcloud/schema/` files. Handlers in `server.ts` call one method per endpoint.
 */
import { createHash } from 'crypto';
import { DATACENTERS, IMAGES, LOCATIONS, type Location, SERVER_TYPES, type ServerType } from './catalog';
import { ApiError, invalidInput, notFound } from './errors';
import type { Knobs } from './knobs';
import {
  PLACEMENT_GROUP_MAX_SERVERS,
  assertLabels,
  assertPrivateIpUsable,
  assertUnique,
  cidrContains,
  cidrsOverlap,
  intToIpv4,
  ipv4ToInt,
  parseCidr,
} from './rules';

type Json = Record<string, any>;
type Labels = Record<string, string>;

/** Hetzner limits user data to 32 KiB. */
const USER_DATA_MAX_BYTES = 32 * 1024;
/** First public address handed out (RFC 2544 benchmarking range, never routed). */
const PUBLIC_IPV4_BASE = ipv4ToInt('198.18.0.10')!;

interface ActionRec {
  id: number;
  command: string;
  started: Date;
  finishAt: number;
  resources: { id: number; type: string }[];
}

interface PrivateNet {
  network: number;
  ip: string;
  alias_ips: string[];
  mac_address: string;
}

export interface ServerRec {
  id: number;
  name: string;
  status: 'running' | 'off' | 'initializing';
  created: Date;
  serverType: ServerType;
  image: (typeof IMAGES)[number];
  location: Location;
  labels: Labels;
  userData: string;
  sshKeys: number[];
  ipv4: number | null;
  ipv6: number | null;
  privateNet: PrivateNet[];
  placementGroup: number | null;
  protection: { delete: boolean; rebuild: boolean };
  backupWindow: string | null;
}

export interface PrimaryIpRec {
  id: number;
  name: string;
  ip: string;
  type: 'ipv4' | 'ipv6';
  labels: Labels;
  protection: { delete: boolean };
  dnsPtr: { ip: string; dns_ptr: string }[];
  assigneeId: number | null;
  autoDelete: boolean;
  location: Location;
  created: Date;
}

interface Subnet {
  type: string;
  ip_range: string;
  network_zone: string;
  gateway: string;
}

export interface NetworkRec {
  id: number;
  name: string;
  ipRange: string;
  subnets: Subnet[];
  routes: { destination: string; gateway: string }[];
  labels: Labels;
  protection: { delete: boolean };
  exposeRoutesToVSwitch: boolean;
  created: Date;
}

interface FirewallRule {
  direction: string;
  source_ips: string[];
  destination_ips: string[];
  protocol: string;
  port: string | null;
  description: string | null;
}

export interface FirewallRec {
  id: number;
  name: string;
  labels: Labels;
  rules: FirewallRule[];
  servers: number[];
  created: Date;
}

export interface SshKeyRec {
  id: number;
  name: string;
  fingerprint: string;
  publicKey: string;
  labels: Labels;
  created: Date;
}

export interface PlacementGroupRec {
  id: number;
  name: string;
  labels: Labels;
  type: string;
  created: Date;
}

/** The resource collections, by id. */
export interface Collections {
  servers: Map<number, ServerRec>;
  primaryIps: Map<number, PrimaryIpRec>;
  networks: Map<number, NetworkRec>;
  firewalls: Map<number, FirewallRec>;
  sshKeys: Map<number, SshKeyRec>;
  placementGroups: Map<number, PlacementGroupRec>;
}

function requireString(body: Json, field: string): string {
  const v = body[field];
  if (typeof v !== 'string' || v === '') throw invalidInput(field, 'Missing required field');
  return v;
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** The in-memory Hetzner Cloud project. */
export class Store {
  readonly servers = new Map<number, ServerRec>();
  readonly primaryIps = new Map<number, PrimaryIpRec>();
  readonly networks = new Map<number, NetworkRec>();
  readonly firewalls = new Map<number, FirewallRec>();
  readonly sshKeys = new Map<number, SshKeyRec>();
  readonly placementGroups = new Map<number, PlacementGroupRec>();
  private readonly actions = new Map<number, ActionRec>();
  private nextId = 1000;
  private nextActionId = 1;
  private nextPublicIp = PUBLIC_IPV4_BASE;
  private nextIpv6 = 1;

  constructor(private readonly knobs: Knobs) {}

  // ---------------------------------------------------------------- catalogue

  location(nameOrId: unknown, field = 'location'): Location {
    const l = LOCATIONS.find((x) => x.name === nameOrId || String(x.id) === String(nameOrId));
    if (!l) throw invalidInput(field, `location '${String(nameOrId)}' not found`);
    return l;
  }

  serverType(nameOrId: unknown): ServerType {
    const t = SERVER_TYPES.find((x) => x.name === nameOrId || String(x.id) === String(nameOrId));
    if (!t) throw invalidInput('server_type', `server type '${String(nameOrId)}' not found`);
    return t;
  }

  image(nameOrId: unknown): (typeof IMAGES)[number] {
    const i = IMAGES.find((x) => x.name === nameOrId || String(x.id) === String(nameOrId));
    if (!i) throw invalidInput('image', `image '${String(nameOrId)}' not found`);
    return i;
  }

  // ---------------------------------------------------------------- actions

  /** Starts an action; it reports `success` once `knobs.actionLatencyMs` have passed. */
  action(command: string, resources: { id: number; type: string }[]): Json {
    const a: ActionRec = {
      id: this.nextActionId++,
      command,
      started: new Date(),
      finishAt: Date.now() + this.knobs.actionLatencyMs,
      resources,
    };
    this.actions.set(a.id, a);
    return this.renderAction(a, true);
  }

  getAction(id: number): Json {
    const a = this.actions.get(id);
    if (!a) throw notFound('action', id);
    return this.renderAction(a, false);
  }

  listActions(ids: number[]): Json[] {
    return ids.filter((id) => this.actions.has(id)).map((id) => this.getAction(id));
  }

  /** Actions that are still running (the benchmark and the tests wait for none). */
  runningActions(): number {
    return [...this.actions.values()].filter((a) => Date.now() < a.finishAt).length;
  }

  private renderAction(a: ActionRec, justStarted: boolean): Json {
    const done = !justStarted && Date.now() >= a.finishAt;
    return {
      id: a.id,
      command: a.command,
      status: done ? 'success' : 'running',
      progress: done ? 100 : 0,
      started: iso(a.started),
      finished: done ? iso(new Date(Math.max(a.finishAt, a.started.getTime()))) : null,
      resources: a.resources,
      error: null,
    };
  }

  // ---------------------------------------------------------------- helpers

  private id(): number {
    return this.nextId++;
  }

  private get<T>(map: Map<number, T>, kind: string, id: unknown): T {
    const rec = map.get(Number(id));
    if (!rec) throw notFound(kind, String(id));
    return rec;
  }

  server(id: unknown): ServerRec {
    return this.get(this.servers, 'server', id);
  }

  primaryIp(id: unknown): PrimaryIpRec {
    return this.get(this.primaryIps, 'primary_ip', id);
  }

  network(id: unknown): NetworkRec {
    return this.get(this.networks, 'network', id);
  }

  firewall(id: unknown): FirewallRec {
    return this.get(this.firewalls, 'firewall', id);
  }

  sshKey(id: unknown): SshKeyRec {
    return this.get(this.sshKeys, 'ssh_key', id);
  }

  placementGroup(id: unknown): PlacementGroupRec {
    return this.get(this.placementGroups, 'placement_group', id);
  }

  private serverRef(id: number) {
    return [{ id, type: 'server' }];
  }

  // ---------------------------------------------------------------- servers

  createServer(body: Json): Json {
    const name = requireString(body, 'name');
    if (!/^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,61}[a-zA-Z0-9])?$/.test(name)) {
      throw invalidInput('name', 'must be a valid hostname');
    }
    assertUnique(this.servers.values(), name, (s) => s.name);
    const serverType = this.serverType(body.server_type);
    const image = this.image(body.image);
    const labels = assertLabels(body.labels);
    const userData = typeof body.user_data === 'string' ? body.user_data : '';
    if (Buffer.byteLength(userData) > USER_DATA_MAX_BYTES) {
      throw invalidInput(
        'user_data',
        `user_data is limited to 32 KiB, got ${Buffer.byteLength(userData)} bytes`,
      );
    }
    const publicNet: Json = body.public_net ?? { enable_ipv4: true, enable_ipv6: true };
    const ipv4Rec = publicNet.ipv4 ? this.primaryIp(publicNet.ipv4) : undefined;
    const location = body.location
      ? this.location(body.location)
      : ipv4Rec
        ? ipv4Rec.location
        : this.location('fsn1');
    const offered = serverType.locations.find((l) => l.name === location.name);
    const unavailable = this.knobs.unavailableServerTypes.some(
      (t) => t === serverType.name || t === `${serverType.name}@${location.name}`,
    );
    if (!offered || unavailable) {
      throw new ApiError(
        412,
        'resource_unavailable',
        `server type ${serverType.name} is unavailable in location ${location.name}`,
      );
    }
    const sshKeys = ((body.ssh_keys ?? []) as unknown[]).map((k) => {
      const byName = [...this.sshKeys.values()].find((s) => s.name === k);
      return byName ? byName.id : this.sshKey(k).id;
    });
    const firewallIds = ((body.firewalls ?? []) as Json[]).map((f) => this.firewall(f.firewall).id);
    const publicInterface =
      Boolean(ipv4Rec) ||
      publicNet.enable_ipv4 !== false ||
      Boolean(publicNet.ipv6) ||
      publicNet.enable_ipv6 !== false;
    if (firewallIds.length > 0 && !publicInterface) {
      throw new ApiError(
        422,
        'private_net_only_server',
        'the server has no public interface, so no firewall can be applied to it',
      );
    }
    let placementGroup: number | null = null;
    if (body.placement_group) {
      placementGroup = this.placementGroup(body.placement_group).id;
      this.assertPlacementGroupHasRoom(placementGroup);
    }
    if (ipv4Rec) this.assertPrimaryIpAssignable(ipv4Rec, 'ipv4', location, undefined);
    const networks = ((body.networks ?? []) as unknown[]).map((n) => this.network(n));

    const id = this.id();
    const start = body.start_after_create !== false;
    const server: ServerRec = {
      id,
      name,
      status: start ? 'running' : 'off',
      created: new Date(),
      serverType,
      image,
      location,
      labels,
      userData,
      sshKeys,
      ipv4: null,
      ipv6: null,
      privateNet: [],
      placementGroup,
      protection: { delete: false, rebuild: false },
      backupWindow: null,
    };
    this.servers.set(id, server);
    if (ipv4Rec) ipv4Rec.assigneeId = id;
    else if (publicNet.enable_ipv4 !== false) this.autoPrimaryIp(server, 'ipv4');
    server.ipv4 = ipv4Rec?.id ?? server.ipv4;
    if (publicNet.ipv6) {
      const v6 = this.primaryIp(publicNet.ipv6);
      this.assertPrimaryIpAssignable(v6, 'ipv6', location, undefined);
      v6.assigneeId = id;
      server.ipv6 = v6.id;
    } else if (publicNet.enable_ipv6 !== false) this.autoPrimaryIp(server, 'ipv6');
    for (const fw of firewallIds) this.firewall(fw).servers.push(id);
    for (const n of networks) this.attachToNetwork(server, { network: n.id });
    const ref = this.serverRef(id);
    return {
      server: this.renderServer(server),
      action: this.action('create_server', ref),
      next_actions: start ? [this.action('start_server', ref)] : [],
      root_password: sshKeys.length ? null : 'fake-root-password',
    };
  }

  private autoPrimaryIp(server: ServerRec, type: 'ipv4' | 'ipv6'): void {
    const rec = this.newPrimaryIp(`primary_ip-${this.nextId}`, type, server.location, {}, true);
    rec.assigneeId = server.id;
    if (type === 'ipv4') server.ipv4 = rec.id;
    else server.ipv6 = rec.id;
  }

  private assertPlacementGroupHasRoom(pg: number): void {
    const members = [...this.servers.values()].filter((s) => s.placementGroup === pg).length;
    if (members >= PLACEMENT_GROUP_MAX_SERVERS) {
      throw new ApiError(
        422,
        'placement_error',
        `placement group ${pg} already holds ${members} servers (a spread group holds at most ${PLACEMENT_GROUP_MAX_SERVERS})`,
      );
    }
  }

  updateServer(id: unknown, body: Json): Json {
    const s = this.server(id);
    if (body.name !== undefined && body.name !== s.name) {
      assertUnique(this.servers.values(), body.name, (x) => x.name);
      s.name = body.name;
    }
    if (body.labels !== undefined) s.labels = assertLabels(body.labels);
    return { server: this.renderServer(s) };
  }

  deleteServer(id: unknown): Json {
    const s = this.server(id);
    if (s.protection.delete) throw new ApiError(403, 'protected', `server ${s.id} is delete protected`);
    for (const ipId of [s.ipv4, s.ipv6]) {
      if (ipId === null) continue;
      const ip = this.primaryIps.get(ipId);
      if (!ip) continue;
      ip.assigneeId = null;
      if (ip.autoDelete) this.primaryIps.delete(ipId);
    }
    for (const fw of this.firewalls.values()) fw.servers = fw.servers.filter((x) => x !== s.id);
    this.servers.delete(s.id);
    return { action: this.action('delete_server', this.serverRef(s.id)) };
  }

  /** POST /servers/{id}/actions/{command}. */
  serverAction(id: unknown, command: string, body: Json): Json {
    const s = this.server(id);
    const ref = this.serverRef(s.id);
    switch (command) {
      case 'poweron':
        s.status = 'running';
        return { action: this.action('start_server', ref) };
      case 'poweroff':
      case 'shutdown':
        s.status = 'off';
        return { action: this.action(command === 'poweroff' ? 'stop_server' : 'shutdown_server', ref) };
      case 'reboot':
      case 'reset':
        return { action: this.action(`${command}_server`, ref) };
      case 'attach_to_network': {
        const n = this.network(body.network);
        this.attachToNetwork(s, body);
        return { action: this.action('attach_to_network', [...ref, { id: n.id, type: 'network' }]) };
      }
      case 'detach_from_network': {
        const n = this.network(body.network);
        if (!s.privateNet.some((p) => p.network === n.id)) {
          throw new ApiError(
            422,
            'server_not_attached_to_network',
            `server ${s.id} is not attached to network ${n.id}`,
          );
        }
        s.privateNet = s.privateNet.filter((p) => p.network !== n.id);
        return { action: this.action('detach_from_network', [...ref, { id: n.id, type: 'network' }]) };
      }
      case 'add_to_placement_group': {
        const pg = this.placementGroup(body.placement_group);
        if (s.placementGroup !== null) {
          throw new ApiError(422, 'server_already_added', `server ${s.id} is already in a placement group`);
        }
        this.assertPlacementGroupHasRoom(pg.id);
        s.placementGroup = pg.id;
        return { action: this.action('add_to_placement_group', ref) };
      }
      case 'remove_from_placement_group':
        s.placementGroup = null;
        return { action: this.action('remove_from_placement_group', ref) };
      case 'change_protection':
        if (typeof body.delete === 'boolean') s.protection.delete = body.delete;
        if (typeof body.rebuild === 'boolean') s.protection.rebuild = body.rebuild;
        return { action: this.action('change_protection', ref) };
      case 'enable_backup':
        s.backupWindow = '22-02';
        return { action: this.action('enable_backup', ref) };
      case 'disable_backup':
        s.backupWindow = null;
        return { action: this.action('disable_backup', ref) };
      default:
        throw new ApiError(404, 'not_found', `server action '${command}' is not supported by the fake`);
    }
  }

  private attachToNetwork(s: ServerRec, body: Json): void {
    const n = this.network(body.network);
    if (s.privateNet.some((p) => p.network === n.id)) {
      throw new ApiError(
        422,
        'server_already_attached',
        `server ${s.id} is already attached to network ${n.id}`,
      );
    }
    const subnets = n.subnets.filter((sn) => sn.network_zone === s.location.network_zone);
    if (subnets.length === 0) {
      throw new ApiError(
        422,
        'no_subnet_available',
        `network ${n.id} has no subnet in zone ${s.location.network_zone}`,
      );
    }
    const cidrs = subnets.map((sn) => parseCidr('ip_range', sn.ip_range));
    const taken = new Set(this.privateIpsOf(n.id));
    let ip: string | undefined = body.ip;
    if (ip) assertPrivateIpUsable(ip, cidrs, taken);
    else {
      for (const c of cidrs) {
        for (let a = c.first + 2; a < c.last && !ip; a++) if (!taken.has(intToIpv4(a))) ip = intToIpv4(a);
        if (ip) break;
      }
      if (!ip) throw new ApiError(422, 'no_subnet_available', `no free IP left in network ${n.id}`);
    }
    s.privateNet.push({
      network: n.id,
      ip,
      alias_ips: (body.alias_ips ?? []) as string[],
      mac_address: `86:00:00:${[s.id >>> 16, (s.id >>> 8) & 255, s.id & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`,
    });
  }

  private privateIpsOf(network: number): string[] {
    return [...this.servers.values()].flatMap((s) =>
      s.privateNet.filter((p) => p.network === network).flatMap((p) => [p.ip, ...p.alias_ips]),
    );
  }

  renderServer(s: ServerRec): Json {
    const v4 = s.ipv4 !== null ? this.primaryIps.get(s.ipv4) : undefined;
    const v6 = s.ipv6 !== null ? this.primaryIps.get(s.ipv6) : undefined;
    const pg = s.placementGroup !== null ? this.placementGroups.get(s.placementGroup) : undefined;
    return {
      id: s.id,
      name: s.name,
      status: s.status,
      created: iso(s.created),
      public_net: {
        ipv4: v4
          ? { id: v4.id, ip: v4.ip, blocked: false, dns_ptr: `static.${v4.ip}.clients.your-server.de` }
          : null,
        ipv6: v6 ? { id: v6.id, ip: v6.ip, blocked: false, dns_ptr: [] } : null,
        floating_ips: [],
        firewalls: [...this.firewalls.values()]
          .filter((f) => f.servers.includes(s.id))
          .map((f) => ({ id: f.id, status: 'applied' })),
      },
      private_net: s.privateNet.map((p) => ({ ...p, alias_ips: [...p.alias_ips] })),
      server_type: s.serverType,
      datacenter: DATACENTERS.find((d) => d.location.name === s.location.name),
      included_traffic: s.serverType.included_traffic,
      outgoing_traffic: 0,
      ingoing_traffic: 0,
      backup_window: s.backupWindow,
      rescue_enabled: false,
      iso: null,
      locked: false,
      location: s.location,
      image: s.image,
      protection: { ...s.protection },
      labels: { ...s.labels },
      volumes: [],
      primary_disk_size: s.serverType.disk,
      placement_group: pg ? this.renderPlacementGroup(pg) : null,
      load_balancers: [],
    };
  }

  // ---------------------------------------------------------------- primary IPs

  private newPrimaryIp(
    name: string,
    type: 'ipv4' | 'ipv6',
    location: Location,
    labels: Labels,
    autoDelete: boolean,
  ): PrimaryIpRec {
    const ip =
      type === 'ipv4' ? intToIpv4(this.nextPublicIp++) : `2001:db8:${(this.nextIpv6++).toString(16)}::/64`;
    const rec: PrimaryIpRec = {
      id: this.id(),
      name,
      ip,
      type,
      labels,
      protection: { delete: false },
      dnsPtr: [],
      assigneeId: null,
      autoDelete,
      location,
      created: new Date(),
    };
    this.primaryIps.set(rec.id, rec);
    return rec;
  }

  /** At most one server per IP, same location, same IP version, one IP of a version per server. */
  private assertPrimaryIpAssignable(
    ip: PrimaryIpRec,
    type: string,
    location: Location,
    server?: ServerRec,
  ): void {
    if (ip.type !== type) {
      throw new ApiError(
        422,
        'primary_ip_version_mismatch',
        `primary IP ${ip.id} is ${ip.type}, not ${type}`,
      );
    }
    if (ip.assigneeId !== null) {
      throw new ApiError(
        409,
        'primary_ip_assigned',
        `primary IP ${ip.id} (${ip.ip}) is already assigned to server ${ip.assigneeId}`,
      );
    }
    if (ip.location.name !== location.name) {
      throw new ApiError(
        422,
        'primary_ip_datacenter_mismatch',
        `primary IP ${ip.id} is in ${ip.location.name}, the server in ${location.name}`,
      );
    }
    if (server && (type === 'ipv4' ? server.ipv4 : server.ipv6) !== null) {
      throw new ApiError(
        422,
        type === 'ipv4' ? 'server_has_ipv4' : 'server_has_ipv6',
        `server ${server.id} already has an ${type} address`,
      );
    }
  }

  createPrimaryIp(body: Json): Json {
    const name = requireString(body, 'name');
    const type = requireString(body, 'type');
    if (type !== 'ipv4' && type !== 'ipv6') throw invalidInput('type', "must be 'ipv4' or 'ipv6'");
    if (body.assignee_type !== undefined && body.assignee_type !== 'server') {
      throw invalidInput('assignee_type', "must be 'server'");
    }
    assertUnique(this.primaryIps.values(), name, (p) => p.name);
    const labels = assertLabels(body.labels);
    const assignee = body.assignee_id ? this.server(body.assignee_id) : undefined;
    if (!assignee && !body.location && !body.datacenter) {
      throw invalidInput('location', 'location is required when no assignee_id is given');
    }
    const location = assignee
      ? assignee.location
      : this.location(body.location ?? String(body.datacenter).split('-')[0]);
    const rec = this.newPrimaryIp(name, type, location, labels, body.auto_delete === true);
    if (assignee) {
      try {
        this.assertPrimaryIpAssignable(rec, type, location, assignee);
      } catch (e) {
        this.primaryIps.delete(rec.id);
        throw e;
      }
      rec.assigneeId = assignee.id;
      if (type === 'ipv4') assignee.ipv4 = rec.id;
      else assignee.ipv6 = rec.id;
    }
    return {
      primary_ip: this.renderPrimaryIp(rec),
      action: assignee ? this.action('assign_primary_ip', [{ id: rec.id, type: 'primary_ip' }]) : null,
    };
  }

  updatePrimaryIp(id: unknown, body: Json): Json {
    const p = this.primaryIp(id);
    if (body.name !== undefined && body.name !== p.name) {
      assertUnique(this.primaryIps.values(), body.name, (x) => x.name);
      p.name = body.name;
    }
    if (body.labels !== undefined) p.labels = assertLabels(body.labels);
    if (typeof body.auto_delete === 'boolean') p.autoDelete = body.auto_delete;
    return { primary_ip: this.renderPrimaryIp(p) };
  }

  /** Refused while protected (403 `protected`) or assigned to a server (409 `primary_ip_assigned`). */
  deletePrimaryIp(id: unknown): void {
    const p = this.primaryIp(id);
    if (p.protection.delete) {
      throw new ApiError(403, 'protected', `primary IP ${p.id} (${p.name}) is delete protected`);
    }
    if (p.assigneeId !== null) {
      throw new ApiError(
        409,
        'primary_ip_assigned',
        `primary IP ${p.id} is assigned to server ${p.assigneeId}`,
      );
    }
    this.primaryIps.delete(p.id);
  }

  primaryIpAction(id: unknown, command: string, body: Json): Json {
    const p = this.primaryIp(id);
    const ref = [{ id: p.id, type: 'primary_ip' }];
    switch (command) {
      case 'assign': {
        if (body.assignee_type !== undefined && body.assignee_type !== 'server') {
          throw invalidInput('assignee_type', "must be 'server'");
        }
        const s = this.server(body.assignee_id);
        this.assertPrimaryIpAssignable(p, p.type, s.location, s);
        p.assigneeId = s.id;
        if (p.type === 'ipv4') s.ipv4 = p.id;
        else s.ipv6 = p.id;
        return { action: this.action('assign_primary_ip', [...ref, ...this.serverRef(s.id)]) };
      }
      case 'unassign': {
        if (p.assigneeId === null) {
          throw new ApiError(422, 'primary_ip_not_assigned', `primary IP ${p.id} is not assigned`);
        }
        const s = this.servers.get(p.assigneeId);
        if (s && s.ipv4 === p.id) s.ipv4 = null;
        if (s && s.ipv6 === p.id) s.ipv6 = null;
        p.assigneeId = null;
        return { action: this.action('unassign_primary_ip', ref) };
      }
      case 'change_protection':
        p.protection.delete = body.delete === true;
        return { action: this.action('change_protection', ref) };
      case 'change_dns_ptr':
        p.dnsPtr = body.dns_ptr ? [{ ip: body.ip, dns_ptr: body.dns_ptr }] : [];
        return { action: this.action('change_dns_ptr', ref) };
      default:
        throw new ApiError(404, 'not_found', `primary IP action '${command}' is not supported by the fake`);
    }
  }

  renderPrimaryIp(p: PrimaryIpRec): Json {
    return {
      id: p.id,
      name: p.name,
      ip: p.ip,
      type: p.type,
      labels: { ...p.labels },
      protection: { ...p.protection },
      dns_ptr: p.dnsPtr.length ? p.dnsPtr : [{ ip: p.ip, dns_ptr: `static.${p.ip}.clients.your-server.de` }],
      assignee_id: p.assigneeId,
      assignee_type: 'server',
      auto_delete: p.autoDelete,
      blocked: false,
      created: iso(p.created),
      location: p.location,
      datacenter: DATACENTERS.find((d) => d.location.name === p.location.name),
    };
  }

  // ---------------------------------------------------------------- networks

  createNetwork(body: Json): Json {
    const name = requireString(body, 'name');
    assertUnique(this.networks.values(), name, (n) => n.name);
    const ipRange = requireString(body, 'ip_range');
    const range = parseCidr('ip_range', ipRange);
    const private10 = parseCidr('x', '10.0.0.0/8');
    const private172 = parseCidr('x', '172.16.0.0/12');
    const private192 = parseCidr('x', '192.168.0.0/16');
    if (![private10, private172, private192].some((p) => cidrContains(p, range))) {
      throw invalidInput('ip_range', 'ip_range must be a private (RFC 1918) range');
    }
    const rec: NetworkRec = {
      id: this.id(),
      name,
      ipRange,
      subnets: [],
      routes: [],
      labels: assertLabels(body.labels),
      protection: { delete: false },
      exposeRoutesToVSwitch: body.expose_routes_to_vswitch === true,
      created: new Date(),
    };
    for (const s of (body.subnets ?? []) as Json[]) this.addSubnet(rec, s);
    for (const r of (body.routes ?? []) as Json[]) this.addRoute(rec, r);
    this.networks.set(rec.id, rec);
    return { network: this.renderNetwork(rec) };
  }

  updateNetwork(id: unknown, body: Json): Json {
    const n = this.network(id);
    if (body.name !== undefined && body.name !== n.name) {
      assertUnique(this.networks.values(), body.name, (x) => x.name);
      n.name = body.name;
    }
    if (body.labels !== undefined) n.labels = assertLabels(body.labels);
    if (typeof body.expose_routes_to_vswitch === 'boolean')
      n.exposeRoutesToVSwitch = body.expose_routes_to_vswitch;
    return { network: this.renderNetwork(n) };
  }

  deleteNetwork(id: unknown): void {
    const n = this.network(id);
    if (n.protection.delete) throw new ApiError(403, 'protected', `network ${n.id} is delete protected`);
    const attached = [...this.servers.values()].filter((s) => s.privateNet.some((p) => p.network === n.id));
    if (attached.length) {
      throw new ApiError(
        409,
        'resource_in_use',
        `network ${n.id} still has servers attached: ${attached.map((s) => s.id).join(', ')}`,
      );
    }
    this.networks.delete(n.id);
  }

  private addSubnet(n: NetworkRec, body: Json): void {
    const type = body.type ?? 'cloud';
    if (!['cloud', 'server', 'vswitch'].includes(type))
      throw invalidInput('type', `unknown subnet type '${type}'`);
    const zone = requireString(body, 'network_zone');
    if (!LOCATIONS.some((l) => l.network_zone === zone))
      throw invalidInput('network_zone', `unknown network zone '${zone}'`);
    const ipRange = requireString(body, 'ip_range');
    const cidr = parseCidr('ip_range', ipRange);
    if (!cidrContains(parseCidr('ip_range', n.ipRange), cidr)) {
      throw invalidInput('ip_range', `subnet ${ipRange} is not inside the network range ${n.ipRange}`);
    }
    if (n.subnets.some((s) => cidrsOverlap(parseCidr('ip_range', s.ip_range), cidr))) {
      throw invalidInput('ip_range', `subnet ${ipRange} overlaps an existing subnet`);
    }
    n.subnets.push({ type, ip_range: ipRange, network_zone: zone, gateway: intToIpv4(cidr.first + 1) });
  }

  private addRoute(n: NetworkRec, body: Json): void {
    const destination = requireString(body, 'destination');
    const gateway = requireString(body, 'gateway');
    parseCidr('destination', destination);
    const gw = ipv4ToInt(gateway);
    const range = parseCidr('ip_range', n.ipRange);
    if (gw === undefined || gw < range.first || gw > range.last) {
      throw invalidInput('gateway', `gateway ${gateway} must lie inside the network range ${n.ipRange}`);
    }
    if (n.subnets.some((s) => s.gateway === gateway)) {
      throw invalidInput('gateway', `gateway ${gateway} is a subnet's own gateway address`);
    }
    if (n.routes.some((r) => r.destination === destination && r.gateway === gateway)) {
      throw new ApiError(409, 'uniqueness_error', `route ${destination} via ${gateway} already exists`);
    }
    n.routes.push({ destination, gateway });
  }

  networkAction(id: unknown, command: string, body: Json): Json {
    const n = this.network(id);
    const ref = [{ id: n.id, type: 'network' }];
    switch (command) {
      case 'add_subnet':
        this.addSubnet(n, body);
        return { action: this.action('add_subnet', ref) };
      case 'delete_subnet': {
        const sn = n.subnets.find((s) => s.ip_range === body.ip_range);
        if (!sn) throw notFound('subnet', String(body.ip_range));
        const cidr = parseCidr('ip_range', sn.ip_range);
        const used = this.privateIpsOf(n.id).filter((ip) => {
          const v = ipv4ToInt(ip)!;
          return v >= cidr.first && v <= cidr.last;
        });
        if (used.length) {
          throw new ApiError(
            409,
            'resource_in_use',
            `subnet ${sn.ip_range} still has servers: ${used.join(', ')}`,
          );
        }
        n.subnets = n.subnets.filter((s) => s !== sn);
        return { action: this.action('delete_subnet', ref) };
      }
      case 'add_route':
        this.addRoute(n, body);
        return { action: this.action('add_route', ref) };
      case 'delete_route': {
        const before = n.routes.length;
        n.routes = n.routes.filter(
          (r) => !(r.destination === body.destination && r.gateway === body.gateway),
        );
        if (n.routes.length === before) throw notFound('route', `${body.destination} via ${body.gateway}`);
        return { action: this.action('delete_route', ref) };
      }
      case 'change_protection':
        n.protection.delete = body.delete === true;
        return { action: this.action('change_protection', ref) };
      case 'change_ip_range': {
        const next = parseCidr('ip_range', requireString(body, 'ip_range'));
        if (!cidrContains(next, parseCidr('ip_range', n.ipRange))) {
          throw invalidInput('ip_range', 'the network range can only be extended');
        }
        n.ipRange = body.ip_range;
        return { action: this.action('change_ip_range', ref) };
      }
      default:
        throw new ApiError(404, 'not_found', `network action '${command}' is not supported by the fake`);
    }
  }

  renderNetwork(n: NetworkRec): Json {
    return {
      id: n.id,
      name: n.name,
      created: iso(n.created),
      ip_range: n.ipRange,
      subnets: n.subnets.map((s) => ({ ...s, vswitch_id: null })),
      routes: n.routes.map((r) => ({ ...r })),
      servers: [...this.servers.values()]
        .filter((s) => s.privateNet.some((p) => p.network === n.id))
        .map((s) => s.id),
      load_balancers: [],
      protection: { ...n.protection },
      labels: { ...n.labels },
      expose_routes_to_vswitch: n.exposeRoutesToVSwitch,
    };
  }

  // ---------------------------------------------------------------- firewalls

  private parseRules(rules: unknown): FirewallRule[] {
    if (rules === undefined || rules === null) return [];
    if (!Array.isArray(rules)) throw invalidInput('rules', 'must be a list');
    return rules.map((r: Json) => {
      if (r.direction !== 'in' && r.direction !== 'out')
        throw invalidInput('rules.direction', "must be 'in' or 'out'");
      if (!['tcp', 'udp', 'icmp', 'esp', 'gre'].includes(r.protocol)) {
        throw invalidInput('rules.protocol', `unknown protocol '${r.protocol}'`);
      }
      const needsPort = r.protocol === 'tcp' || r.protocol === 'udp';
      if (needsPort && !r.port) throw invalidInput('rules.port', `a ${r.protocol} rule needs a port`);
      if (!needsPort && r.port) throw invalidInput('rules.port', `a ${r.protocol} rule takes no port`);
      const sources: string[] = r.source_ips ?? [];
      const destinations: string[] = r.destination_ips ?? [];
      if (r.direction === 'in' && sources.length === 0)
        throw invalidInput('rules.source_ips', 'inbound rules need source_ips');
      if (r.direction === 'out' && destinations.length === 0) {
        throw invalidInput('rules.destination_ips', 'outbound rules need destination_ips');
      }
      return {
        direction: r.direction,
        source_ips: sources,
        destination_ips: destinations,
        protocol: r.protocol,
        port: r.port ?? null,
        description: r.description ?? null,
      };
    });
  }

  private applyFirewall(f: FirewallRec, resources: Json[]): Json[] {
    return resources.map((res) => {
      if (res.type !== 'server' || !res.server) {
        throw invalidInput('apply_to', 'the fake applies firewalls to servers only (type "server")');
      }
      const s = this.server(res.server.id);
      if (s.ipv4 === null && s.ipv6 === null) {
        throw new ApiError(
          422,
          'private_net_only_server',
          `server ${s.id} has no public interface, so firewall ${f.id} cannot be applied to it`,
        );
      }
      if (f.servers.includes(s.id)) {
        throw new ApiError(
          422,
          'firewall_already_applied',
          `firewall ${f.id} is already applied to server ${s.id}`,
        );
      }
      f.servers.push(s.id);
      return this.action('apply_firewall', [{ id: f.id, type: 'firewall' }, ...this.serverRef(s.id)]);
    });
  }

  createFirewall(body: Json): Json {
    const name = requireString(body, 'name');
    assertUnique(this.firewalls.values(), name, (f) => f.name);
    const rec: FirewallRec = {
      id: this.id(),
      name,
      labels: assertLabels(body.labels),
      rules: this.parseRules(body.rules),
      servers: [],
      created: new Date(),
    };
    this.firewalls.set(rec.id, rec);
    const actions = this.applyFirewall(rec, (body.apply_to ?? []) as Json[]);
    return { firewall: this.renderFirewall(rec), actions };
  }

  updateFirewall(id: unknown, body: Json): Json {
    const f = this.firewall(id);
    if (body.name !== undefined && body.name !== f.name) {
      assertUnique(this.firewalls.values(), body.name, (x) => x.name);
      f.name = body.name;
    }
    if (body.labels !== undefined) f.labels = assertLabels(body.labels);
    return { firewall: this.renderFirewall(f) };
  }

  /** Refused while the firewall is applied to a resource (422 `resource_in_use`). */
  deleteFirewall(id: unknown): void {
    const f = this.firewall(id);
    if (f.servers.length) {
      throw new ApiError(
        422,
        'resource_in_use',
        `firewall ${f.id} is still applied to servers ${f.servers.join(', ')}`,
      );
    }
    this.firewalls.delete(f.id);
  }

  firewallAction(id: unknown, command: string, body: Json): Json {
    const f = this.firewall(id);
    const ref = { id: f.id, type: 'firewall' };
    switch (command) {
      case 'set_rules':
        f.rules = this.parseRules(body.rules);
        return {
          actions: [
            this.action('set_firewall_rules', [ref]),
            ...f.servers.map((s) => this.action('apply_firewall', [ref, ...this.serverRef(s)])),
          ],
        };
      case 'apply_to_resources':
        return { actions: this.applyFirewall(f, (body.apply_to ?? []) as Json[]) };
      case 'remove_from_resources':
        return {
          actions: ((body.remove_from ?? []) as Json[]).map((res) => {
            const sid = Number(res.server?.id);
            if (!f.servers.includes(sid)) {
              throw new ApiError(
                422,
                'firewall_already_removed',
                `firewall ${f.id} is not applied to server ${sid}`,
              );
            }
            f.servers = f.servers.filter((x) => x !== sid);
            return this.action('remove_firewall', [ref, ...this.serverRef(sid)]);
          }),
        };
      default:
        throw new ApiError(404, 'not_found', `firewall action '${command}' is not supported by the fake`);
    }
  }

  renderFirewall(f: FirewallRec): Json {
    return {
      id: f.id,
      name: f.name,
      labels: { ...f.labels },
      created: iso(f.created),
      rules: f.rules.map((r) => ({ ...r })),
      applied_to: f.servers.map((id) => ({ type: 'server', server: { id } })),
    };
  }

  // ---------------------------------------------------------------- SSH keys

  createSshKey(body: Json): Json {
    const name = requireString(body, 'name');
    const publicKey = requireString(body, 'public_key').trim();
    const m = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+) ([A-Za-z0-9+/=]+)( .*)?$/.exec(publicKey);
    if (!m) throw invalidInput('public_key', 'not a valid OpenSSH public key');
    const fingerprint = (
      createHash('md5').update(Buffer.from(m[2], 'base64')).digest('hex').match(/../g) ?? []
    ).join(':');
    assertUnique(this.sshKeys.values(), name, (k) => k.name);
    // The real API also refuses a second key with the same fingerprint in one project.
    assertUnique(this.sshKeys.values(), fingerprint, (k) => k.fingerprint, 'public_key');
    const rec: SshKeyRec = {
      id: this.id(),
      name,
      fingerprint,
      publicKey,
      labels: assertLabels(body.labels),
      created: new Date(),
    };
    this.sshKeys.set(rec.id, rec);
    return { ssh_key: this.renderSshKey(rec) };
  }

  updateSshKey(id: unknown, body: Json): Json {
    const k = this.sshKey(id);
    if (body.name !== undefined && body.name !== k.name) {
      assertUnique(this.sshKeys.values(), body.name, (x) => x.name);
      k.name = body.name;
    }
    if (body.labels !== undefined) k.labels = assertLabels(body.labels);
    return { ssh_key: this.renderSshKey(k) };
  }

  deleteSshKey(id: unknown): void {
    this.sshKeys.delete(this.sshKey(id).id);
  }

  renderSshKey(k: SshKeyRec): Json {
    return {
      id: k.id,
      name: k.name,
      fingerprint: k.fingerprint,
      public_key: k.publicKey,
      labels: { ...k.labels },
      created: iso(k.created),
    };
  }

  // ---------------------------------------------------------------- placement groups

  createPlacementGroup(body: Json): Json {
    const name = requireString(body, 'name');
    if (body.type !== 'spread') throw invalidInput('type', "the only placement group type is 'spread'");
    assertUnique(this.placementGroups.values(), name, (p) => p.name);
    const rec: PlacementGroupRec = {
      id: this.id(),
      name,
      labels: assertLabels(body.labels),
      type: 'spread',
      created: new Date(),
    };
    this.placementGroups.set(rec.id, rec);
    return { placement_group: this.renderPlacementGroup(rec), action: null };
  }

  updatePlacementGroup(id: unknown, body: Json): Json {
    const p = this.placementGroup(id);
    if (body.name !== undefined && body.name !== p.name) {
      assertUnique(this.placementGroups.values(), body.name, (x) => x.name);
      p.name = body.name;
    }
    if (body.labels !== undefined) p.labels = assertLabels(body.labels);
    return { placement_group: this.renderPlacementGroup(p) };
  }

  deletePlacementGroup(id: unknown): void {
    const p = this.placementGroup(id);
    const members = [...this.servers.values()].filter((s) => s.placementGroup === p.id);
    if (members.length) {
      throw new ApiError(
        409,
        'resource_in_use',
        `placement group ${p.id} still holds servers ${members.map((s) => s.id).join(', ')}`,
      );
    }
    this.placementGroups.delete(p.id);
  }

  renderPlacementGroup(p: PlacementGroupRec): Json {
    return {
      id: p.id,
      name: p.name,
      labels: { ...p.labels },
      created: iso(p.created),
      servers: [...this.servers.values()].filter((s) => s.placementGroup === p.id).map((s) => s.id),
      type: p.type,
    };
  }
}
