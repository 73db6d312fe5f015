/**
 * The fake Hetzner Cloud API over HTTP: binds 127.0.0.1 on a random port, checks the bearer
 * token, applies the knobs (latency, transient faults), routes each call to the `Store`, and
 * answers with the real JSON shapes, pagination (`meta.pagination`) and error bodies. Every call
 * is logged by route template (`GET /servers/{id}`), so tests can count calls and see any the
 * fake does not serve.
 */
import { randomBytes } from 'crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { DATACENTERS, IMAGES, LOCATIONS, SERVER_TYPES, pricing } from './catalog';
import { ApiError, invalidInput, notFound } from './errors';
import { type Knobs, defaultKnobs, seededRandom } from './knobs';
import { compileSelector } from './labels';
import { Store } from './store';

type Json = Record<string, any>;
type Query = URLSearchParams;

/** One call the fake answered. */
export interface CallRecord {
  readonly method: string;
  /** The route template, e.g. `POST /servers/{id}/actions/attach_to_network`, or the raw path when unrouted. */
  readonly route: string;
  readonly status: number;
  /** True when no route matched: a call the fake does not serve. */
  readonly unhandled: boolean;
  /** True when the answer was an injected 429/503 fault. */
  readonly injected: boolean;
}

interface Route {
  readonly method: string;
  readonly template: string;
  readonly pattern: RegExp;
  readonly handle: (params: string[], query: Query, body: Json) => { status?: number; body?: unknown };
}

/** Options for `FakeHcloud.start`. */
export interface FakeHcloudOptions {
  /**
   * The API token the fake accepts (the provider insists on 64 characters).
   * @default - 64 random hex characters
   */
  readonly token?: string;
  /** Initial knob values (see `Knobs`). */
  readonly knobs?: Partial<Knobs>;
}

const PER_PAGE_DEFAULT = 25;
const PER_PAGE_MAX = 50;

function paginate(key: string, items: unknown[], query: Query): Json {
  const perPage = Math.min(
    Math.max(Number(query.get('per_page') ?? PER_PAGE_DEFAULT) || PER_PAGE_DEFAULT, 1),
    PER_PAGE_MAX,
  );
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
  return {
    [key]: items.slice((page - 1) * perPage, page * perPage),
    meta: {
      pagination: {
        page,
        per_page: perPage,
        previous_page: page > 1 ? page - 1 : null,
        next_page: page < lastPage ? page + 1 : null,
        last_page: lastPage,
        total_entries: items.length,
      },
    },
  };
}

/** Filters a list by the query parameters every list endpoint shares: `name` and `label_selector`. */
function filterCommon<T extends { name?: string | null; labels?: Record<string, string> }>(
  items: T[],
  q: Query,
): T[] {
  const name = q.get('name');
  const matches = compileSelector(q.get('label_selector') ?? undefined);
  return items.filter((i) => (name === null || i.name === name) && matches(i.labels ?? {}));
}

/** A running fake Hetzner Cloud API. */
export class FakeHcloud {
  /** Starts the fake on 127.0.0.1 with a random port. */
  static async start(options: FakeHcloudOptions = {}): Promise<FakeHcloud> {
    const fake = new FakeHcloud(options);
    await new Promise<void>((resolve, reject) => {
      fake.http.once('error', reject);
      fake.http.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  /** The knobs; change them at any time. */
  readonly knobs: Knobs;
  /** The project's state; tests read it directly (and seed foreign resources through the API). */
  readonly store: Store;
  /** The token the fake accepts. */
  readonly token: string;
  /** Every call answered so far, in order. */
  readonly calls: CallRecord[] = [];
  private readonly http: Server;
  private readonly routes: Route[];
  private random: () => number;
  private randomSeed: number;

  private constructor(options: FakeHcloudOptions) {
    this.knobs = { ...defaultKnobs(), ...options.knobs };
    this.token = options.token ?? randomBytes(32).toString('hex');
    if (this.token.length !== 64) throw new Error('the hcloud provider requires a 64-character token');
    this.store = new Store(this.knobs);
    this.randomSeed = this.knobs.faultSeed;
    this.random = seededRandom(this.randomSeed);
    this.routes = this.buildRoutes();
    this.http = createServer((req, res) => void this.serve(req, res));
    this.http.keepAliveTimeout = 5000;
  }

  /** The API base URL for `HCLOUD_ENDPOINT`. */
  get endpoint(): string {
    const { port } = this.http.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1`;
  }

  /** Environment for the engine: `HCLOUD_ENDPOINT` and `HCLOUD_TOKEN`. */
  get env(): Record<string, string> {
    return { HCLOUD_ENDPOINT: this.endpoint, HCLOUD_TOKEN: this.token };
  }

  /** Route templates of the calls since `fromIndex` with how often each was made. */
  routeCounts(fromIndex = 0): Map<string, number> {
    const counts = new Map<string, number>();
    for (const c of this.calls.slice(fromIndex)) counts.set(`${c.route}`, (counts.get(c.route) ?? 0) + 1);
    return counts;
  }

  /** Calls that matched no route: endpoints the provider needs and the fake lacks. */
  unhandledCalls(): CallRecord[] {
    return this.calls.filter((c) => c.unhandled);
  }

  /** The route template a request would be served by (`GET /servers/{id}`), or undefined. */
  routeOf(method: string, path: string): string | undefined {
    const p = path.replace(/^\/v1/, '').replace(/\?.*$/, '').replace(/\/$/, '');
    const r = this.routes.find((x) => x.method === method && x.pattern.test(p));
    return r ? `${r.method} ${r.template}` : undefined;
  }

  /** The route templates the fake serves, sorted. */
  servedRoutes(): string[] {
    return this.routes.map((r) => `${r.method} ${r.template}`).sort();
  }

  async stop(): Promise<void> {
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/^\/v1/, '').replace(/\/$/, '') || '/';
    let route: Route | undefined;
    let params: string[] = [];
    for (const r of this.routes) {
      const m = r.method === method ? r.pattern.exec(path) : null;
      if (m) {
        route = r;
        params = m.slice(1);
        break;
      }
    }
    let status = 200;
    let body: unknown;
    let injected = false;
    if (this.knobs.faultSeed !== this.randomSeed) {
      this.randomSeed = this.knobs.faultSeed;
      this.random = seededRandom(this.randomSeed);
    }
    try {
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${this.token}`) {
        throw new ApiError(401, 'unauthorized', 'unable to authenticate');
      }
      if (this.knobs.faultRate > 0 && this.random() < this.knobs.faultRate) {
        injected = true;
        const statuses = this.knobs.faultStatuses;
        const s = statuses[Math.floor(this.random() * statuses.length)] ?? 429;
        throw s === 429
          ? new ApiError(429, 'rate_limit_exceeded', 'limit of 3600 requests per hour reached')
          : new ApiError(503, 'unavailable', 'service unavailable, please retry');
      }
      if (!route) throw new ApiError(404, 'not_found', `no such endpoint: ${method} ${path}`);
      let parsed: Json = {};
      if (chunks.length) {
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          throw new ApiError(400, 'json_error', 'invalid JSON in request body');
        }
      }
      const result = route.handle(params, url.searchParams, parsed);
      status = result.status ?? 200;
      body = result.body;
    } catch (e) {
      if (!(e instanceof ApiError)) {
        status = 500;
        body = { error: { code: 'server_error', message: String(e), details: null } };
      } else {
        status = e.status;
        body = e.body();
      }
    }
    this.calls.push({
      method,
      route: route ? `${method} ${route.template}` : `${method} ${path}`,
      status,
      unhandled: !route,
      injected,
    });
    if (this.knobs.requestLatencyMs > 0) await new Promise((r) => setTimeout(r, this.knobs.requestLatencyMs));
    const payload = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'RateLimit-Limit': '3600',
      'RateLimit-Remaining': '3599',
      'RateLimit-Reset': String(Math.floor(Date.now() / 1000) + 1),
      'X-Correlation-Id': randomBytes(8).toString('hex'),
    });
    res.end(payload);
  }

  private buildRoutes(): Route[] {
    const s = this.store;
    const routes: Route[] = [];
    const add = (method: string, template: string, handle: Route['handle']) => {
      const pattern = new RegExp(`^${template.replace(/\{[a-z_]+\}/g, '([^/]+)')}$`);
      routes.push({ method, template, pattern, handle });
    };
    const ok = (body: unknown) => ({ body });
    const created = (body: unknown) => ({ status: 201, body });

    // Catalogue.
    add('GET', '/locations', (_, q) =>
      ok(paginate('locations', filterCommon([...LOCATIONS] as any[], q), q)),
    );
    add('GET', '/locations/{id}', ([id]) => ok({ location: find(LOCATIONS, id, 'location') }));
    add('GET', '/datacenters', (_, q) =>
      ok(paginate('datacenters', filterCommon([...DATACENTERS] as any[], q), q)),
    );
    add('GET', '/datacenters/{id}', ([id]) => ok({ datacenter: find(DATACENTERS, id, 'datacenter') }));
    add('GET', '/server_types', (_, q) =>
      ok(paginate('server_types', filterCommon([...SERVER_TYPES] as any[], q), q)),
    );
    add('GET', '/server_types/{id}', ([id]) => ok({ server_type: find(SERVER_TYPES, id, 'server_type') }));
    add('GET', '/images', (_, q) => {
      const arch = q.get('architecture');
      const type = q.getAll('type');
      const items = filterCommon([...IMAGES] as any[], q).filter(
        (i) => (!arch || i.architecture === arch) && (type.length === 0 || type.includes(i.type)),
      );
      return ok(paginate('images', items, q));
    });
    add('GET', '/images/{id}', ([id]) => ok({ image: find(IMAGES, id, 'image') }));
    add('GET', '/pricing', () => ok({ pricing: pricing() }));

    // Actions.
    add('GET', '/actions', (_, q) => {
      const ids = q.getAll('id').map(Number);
      if (ids.length === 0) throw invalidInput('id', 'listing actions needs at least one id');
      return ok(paginate('actions', s.listActions(ids), q));
    });
    add('GET', '/actions/{id}', ([id]) => ok({ action: s.getAction(Number(id)) }));

    // Servers.
    add('GET', '/servers', (_, q) => {
      const status = q.getAll('status');
      const items = filterCommon([...s.servers.values()], q)
        .filter((x) => status.length === 0 || status.includes(x.status))
        .map((x) => s.renderServer(x));
      return ok(paginate('servers', items, q));
    });
    add('POST', '/servers', (_, __, b) => created(s.createServer(b)));
    add('GET', '/servers/{id}', ([id]) => ok({ server: s.renderServer(s.server(id)) }));
    add('PUT', '/servers/{id}', ([id], _, b) => ok(s.updateServer(id, b)));
    add('DELETE', '/servers/{id}', ([id]) => ok(s.deleteServer(id)));
    for (const cmd of [
      'poweron',
      'poweroff',
      'shutdown',
      'reboot',
      'reset',
      'attach_to_network',
      'detach_from_network',
      'add_to_placement_group',
      'remove_from_placement_group',
      'change_protection',
      'enable_backup',
      'disable_backup',
    ]) {
      add('POST', `/servers/{id}/actions/${cmd}`, ([id], _, b) => created(s.serverAction(id, cmd, b)));
    }

    // Primary IPs.
    add('GET', '/primary_ips', (_, q) => {
      const ip = q.get('ip');
      const items = filterCommon([...s.primaryIps.values()], q)
        .filter((x) => ip === null || x.ip === ip)
        .map((x) => s.renderPrimaryIp(x));
      return ok(paginate('primary_ips', items, q));
    });
    add('POST', '/primary_ips', (_, __, b) => created(s.createPrimaryIp(b)));
    add('GET', '/primary_ips/{id}', ([id]) => ok({ primary_ip: s.renderPrimaryIp(s.primaryIp(id)) }));
    add('PUT', '/primary_ips/{id}', ([id], _, b) => ok(s.updatePrimaryIp(id, b)));
    add('DELETE', '/primary_ips/{id}', ([id]) => {
      s.deletePrimaryIp(id);
      return { status: 204 };
    });
    for (const cmd of ['assign', 'unassign', 'change_protection', 'change_dns_ptr']) {
      add('POST', `/primary_ips/{id}/actions/${cmd}`, ([id], _, b) => created(s.primaryIpAction(id, cmd, b)));
    }

    // Networks.
    add('GET', '/networks', (_, q) =>
      ok(
        paginate(
          'networks',
          filterCommon([...s.networks.values()], q).map((n) => s.renderNetwork(n)),
          q,
        ),
      ),
    );
    add('POST', '/networks', (_, __, b) => created(s.createNetwork(b)));
    add('GET', '/networks/{id}', ([id]) => ok({ network: s.renderNetwork(s.network(id)) }));
    add('PUT', '/networks/{id}', ([id], _, b) => ok(s.updateNetwork(id, b)));
    add('DELETE', '/networks/{id}', ([id]) => {
      s.deleteNetwork(id);
      return { status: 204 };
    });
    for (const cmd of [
      'add_subnet',
      'delete_subnet',
      'add_route',
      'delete_route',
      'change_protection',
      'change_ip_range',
    ]) {
      add('POST', `/networks/{id}/actions/${cmd}`, ([id], _, b) => created(s.networkAction(id, cmd, b)));
    }

    // Firewalls.
    add('GET', '/firewalls', (_, q) =>
      ok(
        paginate(
          'firewalls',
          filterCommon([...s.firewalls.values()], q).map((f) => s.renderFirewall(f)),
          q,
        ),
      ),
    );
    add('POST', '/firewalls', (_, __, b) => created(s.createFirewall(b)));
    add('GET', '/firewalls/{id}', ([id]) => ok({ firewall: s.renderFirewall(s.firewall(id)) }));
    add('PUT', '/firewalls/{id}', ([id], _, b) => ok(s.updateFirewall(id, b)));
    add('DELETE', '/firewalls/{id}', ([id]) => {
      s.deleteFirewall(id);
      return { status: 204 };
    });
    for (const cmd of ['set_rules', 'apply_to_resources', 'remove_from_resources']) {
      add('POST', `/firewalls/{id}/actions/${cmd}`, ([id], _, b) => created(s.firewallAction(id, cmd, b)));
    }

    // SSH keys.
    add('GET', '/ssh_keys', (_, q) => {
      const fp = q.get('fingerprint');
      const items = filterCommon([...s.sshKeys.values()], q)
        .filter((k) => fp === null || k.fingerprint === fp)
        .map((k) => s.renderSshKey(k));
      return ok(paginate('ssh_keys', items, q));
    });
    add('POST', '/ssh_keys', (_, __, b) => created(s.createSshKey(b)));
    add('GET', '/ssh_keys/{id}', ([id]) => ok({ ssh_key: s.renderSshKey(s.sshKey(id)) }));
    add('PUT', '/ssh_keys/{id}', ([id], _, b) => ok(s.updateSshKey(id, b)));
    add('DELETE', '/ssh_keys/{id}', ([id]) => {
      s.deleteSshKey(id);
      return { status: 204 };
    });

    // Placement groups.
    add('GET', '/placement_groups', (_, q) => {
      const type = q.getAll('type');
      const items = filterCommon([...s.placementGroups.values()], q)
        .filter((p) => type.length === 0 || type.includes(p.type))
        .map((p) => s.renderPlacementGroup(p));
      return ok(paginate('placement_groups', items, q));
    });
    add('POST', '/placement_groups', (_, __, b) => created(s.createPlacementGroup(b)));
    add('GET', '/placement_groups/{id}', ([id]) =>
      ok({ placement_group: s.renderPlacementGroup(s.placementGroup(id)) }),
    );
    add('PUT', '/placement_groups/{id}', ([id], _, b) => ok(s.updatePlacementGroup(id, b)));
    add('DELETE', '/placement_groups/{id}', ([id]) => {
      s.deletePlacementGroup(id);
      return { status: 204 };
    });
    return routes;
  }
}

function find<T extends { id: number; name?: string | null }>(
  items: readonly T[],
  id: string,
  kind: string,
): T {
  const item = items.find((i) => String(i.id) === id);
  if (!item) throw notFound(kind, id);
  return item;
}
