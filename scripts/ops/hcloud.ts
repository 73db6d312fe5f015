/**
 * The one Hetzner Cloud API client of the operator scripts (`scripts/ops/*`): bearer token,
 * bounded retries with backoff on 429, 503 and the `conflict`/`locked` error codes, a 30 s
 * timeout per call, every page of a list, label selectors re-checked client-side, and
 * action polling. Errors name the method, path, HTTP status, error code and message, never
 * the token. HCLOUD_ENDPOINT points it at the fake in tests.
 *
 * The interfaces below type the parts of the API's answers this project reads, as in
 * hcloud-go's `hcloud/schema/*.go` (server.go, primary_ip.go, firewall.go, network.go,
 * placement_group.go, ssh_key.go, server_type.go, pricing.go, action.go).
 */

/** The public API. */
export const DEFAULT_ENDPOINT = 'https://api.hetzner.cloud/v1';

/** Labels on a resource (`map[string]string`). */
export type Labels = Record<string, string>;

/** A net/gross price pair, decimal strings (`schema.Price`). */
export interface Price {
  readonly net: string;
  readonly gross: string;
}

/** A location (`schema.Location`). */
export interface Location {
  readonly id: number;
  readonly name: string;
  readonly description?: string;
  readonly country?: string;
  readonly city?: string;
  readonly network_zone: string;
}

/** A server type's price in one location (`schema.PricingServerTypePrice`). */
export interface ServerTypeLocationPrice {
  readonly location: string;
  readonly price_hourly: Price;
  readonly price_monthly: Price;
  readonly included_traffic?: number;
  readonly price_per_tb_traffic?: Price;
}

/** A server type (`schema.ServerType`). */
export interface ServerType {
  readonly id: number;
  readonly name: string;
  readonly description: string;
  readonly cores: number;
  readonly memory: number;
  readonly disk: number;
  readonly cpu_type: string;
  readonly architecture: string;
  readonly prices: readonly ServerTypeLocationPrice[];
  readonly deprecated?: boolean | null;
}

/** A server (`schema.Server`), the parts this project reads. */
export interface Server {
  readonly id: number;
  readonly name: string;
  /** running, initializing, starting, stopping, off, deleting, migrating, rebuilding, unknown. */
  readonly status: string;
  /** ISO 8601. */
  readonly created: string;
  readonly public_net: {
    readonly ipv4: { readonly id?: number; readonly ip: string; readonly blocked: boolean } | null;
    readonly ipv6: { readonly id?: number; readonly ip: string; readonly blocked: boolean } | null;
    readonly firewalls?: readonly { readonly id: number; readonly status: string }[];
  };
  readonly private_net?: readonly { readonly network: number; readonly ip: string }[];
  readonly server_type: ServerType;
  readonly location: Location;
  readonly labels: Labels;
  readonly locked?: boolean;
  readonly placement_group?: { readonly id: number; readonly name: string } | null;
}

/** A Primary IP (`schema.PrimaryIP`). */
export interface PrimaryIp {
  readonly id: number;
  readonly name: string;
  readonly ip: string;
  readonly type: 'ipv4' | 'ipv6';
  readonly labels: Labels;
  readonly assignee_id: number | null;
  readonly assignee_type: string;
  readonly auto_delete: boolean;
  readonly blocked: boolean;
  readonly created: string;
  readonly location: Location;
  readonly protection: { readonly delete: boolean };
}

/** A firewall (`schema.Firewall`). */
export interface Firewall {
  readonly id: number;
  readonly name: string;
  readonly labels: Labels;
  readonly created: string;
  readonly applied_to?: readonly { readonly type: string; readonly server?: { readonly id: number } }[];
}

/** A network (`schema.Network`). */
export interface Network {
  readonly id: number;
  readonly name: string;
  readonly ip_range: string;
  readonly labels: Labels;
  readonly created: string;
  readonly servers?: readonly number[];
}

/** A placement group (`schema.PlacementGroup`). */
export interface PlacementGroup {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly labels: Labels;
  readonly created: string;
  readonly servers?: readonly number[];
}

/** An SSH key (`schema.SSHKey`). */
export interface SshKey {
  readonly id: number;
  readonly name: string;
  readonly fingerprint: string;
  readonly labels: Labels;
  readonly created: string;
}

/** An action (`schema.Action`). */
export interface Action {
  readonly id: number;
  readonly command: string;
  readonly status: 'running' | 'success' | 'error';
  readonly progress: number;
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** `GET /pricing` (`schema.Pricing`), the parts a cost estimate reads. */
export interface Pricing {
  readonly currency: string;
  readonly vat_rate: string;
  readonly server_types: ReadonlyArray<{
    readonly id?: number;
    readonly name: string;
    readonly prices: readonly ServerTypeLocationPrice[];
  }>;
  readonly primary_ips: ReadonlyArray<{
    readonly type: string;
    readonly prices: ReadonlyArray<{
      readonly location: string;
      readonly price_hourly: Price;
      readonly price_monthly: Price;
    }>;
  }>;
}

/** An error answer of the API, or a call that never got one. */
export class HcloudError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    /** HTTP status; 0 when no answer came (timeout, connection refused). */
    readonly status: number,
    /** The API's `error.code`, e.g. `not_found`, `rate_limit_exceeded`. */
    readonly code: string,
    readonly apiMessage: string,
  ) {
    super(
      `${method} ${path}: ${status ? `HTTP ${status}` : 'no answer'}${code ? ` ${code}` : ''}: ${apiMessage}`,
    );
    this.name = 'HcloudError';
  }
}

/** Options of {@link HcloudClient}. */
export interface HcloudClientOptions {
  readonly token: string;
  /** @default https://api.hetzner.cloud/v1 */
  readonly endpoint?: string;
  /** Where retry notices go. @default - nowhere */
  readonly log?: (line: string) => void;
  /** @default globalThis.fetch */
  readonly fetchImpl?: typeof fetch;
  /** Attempts per call, the first included. @default 6 */
  readonly maxAttempts?: number;
  /** Timeout of one HTTP call in ms. @default 30000 */
  readonly timeoutMs?: number;
  /** First backoff in ms (doubled each retry, at most 5 s). @default 400 */
  readonly backoffMs?: number;
}

/** The `collection` key of a list answer, e.g. `/primary_ips` → `primary_ips`. */
function collectionKey(collection: string): string {
  return collection.replace(/^\//, '').replace(/\?.*$/, '');
}

/** `a==b,c==d`: the label selector of a label set. */
export function labelSelector(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}==${v}`)
    .join(',');
}

/** True when `labels` carries every label of `wanted`. */
export function hasLabels(labels: Labels | undefined, wanted: Readonly<Record<string, string>>): boolean {
  return Object.entries(wanted).every(([k, v]) => labels?.[k] === v);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The Hetzner Cloud API, through one token. */
export class HcloudClient {
  readonly endpoint: string;
  readonly #token: string;
  readonly #log: (line: string) => void;
  readonly #fetch: typeof fetch;
  readonly #maxAttempts: number;
  readonly #timeoutMs: number;
  readonly #backoffMs: number;

  constructor(opts: HcloudClientOptions) {
    if (!opts.token) throw new Error('HcloudClient: an API token is required');
    this.#token = opts.token;
    this.endpoint = (opts.endpoint || DEFAULT_ENDPOINT).replace(/\/+$/, '');
    this.#log = opts.log ?? (() => undefined);
    this.#fetch = opts.fetchImpl ?? globalThis.fetch;
    this.#maxAttempts = opts.maxAttempts ?? 6;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#backoffMs = opts.backoffMs ?? 400;
  }

  /** From HCLOUD_TOKEN (required) and HCLOUD_ENDPOINT (optional). */
  static fromEnv(env: NodeJS.ProcessEnv = process.env, log?: (line: string) => void): HcloudClient {
    const token = env.HCLOUD_TOKEN;
    if (!token) {
      throw new Error(
        'HCLOUD_TOKEN is not set: create an API token in the Hetzner Console (Security > API tokens; read is enough for status, list and cost)',
      );
    }
    return new HcloudClient({ token, endpoint: env.HCLOUD_ENDPOINT || undefined, log });
  }

  /** Never shows the token, e.g. in `console.log(client)`. */
  toJSON(): Record<string, string> {
    return { endpoint: this.endpoint };
  }

  /** One API call with bounded retries; resolves to the parsed body (`{}` when empty). */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.endpoint}${path.startsWith('/') ? path : `/${path}`}`;
    const shown = path.replace(/\?.*$/, '');
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      let code = '';
      let message = '';
      try {
        const res = await this.#fetch(url, {
          method,
          headers: {
            Authorization: `Bearer ${this.#token}`,
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
        const text = await res.text();
        let parsed: { error?: { code?: string; message?: string } } | undefined;
        try {
          parsed = text ? JSON.parse(text) : {};
        } catch {
          parsed = undefined;
        }
        if (res.ok) {
          if (parsed === undefined) {
            throw new HcloudError(method, shown, res.status, 'invalid_json', 'the answer is not JSON');
          }
          return parsed as T;
        }
        status = res.status;
        code = parsed?.error?.code ?? '';
        message = parsed?.error?.message ?? (text.slice(0, 200) || res.statusText);
      } catch (error) {
        if (error instanceof HcloudError) throw error;
        // No answer: timeout, refused, reset. Retried like a 503.
        code = (error as Error).name === 'TimeoutError' ? 'timeout' : 'network';
        message = (error as Error).message;
      }
      message = this.#redact(message);
      const transient =
        status === 0 || status === 429 || status === 503 || code === 'conflict' || code === 'locked';
      if (transient && attempt < this.#maxAttempts) {
        const wait = Math.min(this.#backoffMs * 2 ** (attempt - 1), 5_000);
        this.#log(
          `hcloud: ${method} ${shown}: ${status ? `HTTP ${status}` : 'no answer'} ${code}, retry ${attempt}/${this.#maxAttempts - 1} in ${wait} ms`,
        );
        await sleep(wait);
        continue;
      }
      throw new HcloudError(method, shown, status, code, message);
    }
  }

  /**
   * Every item of a collection (`servers`, `primary_ips`, `firewalls`, `networks`,
   * `placement_groups`, `ssh_keys`, ...), all pages; with `labelSelector` only those
   * carrying every label, checked again client-side (never trust the selector alone).
   */
  async list<T>(collection: string, opts: { labelSelector?: Record<string, string> } = {}): Promise<T[]> {
    const key = collectionKey(collection);
    const wanted = opts.labelSelector;
    const selector = wanted && Object.keys(wanted).length ? labelSelector(wanted) : undefined;
    const found: T[] = [];
    for (let page = 1; page <= 1000; page++) {
      const query = new URLSearchParams({ page: String(page), per_page: '50' });
      if (selector) query.set('label_selector', selector);
      const body = await this.request<{
        meta?: { pagination?: { next_page: number | null } };
        [key: string]: unknown;
      }>('GET', `/${key}?${query.toString()}`);
      found.push(...((body[key] as T[] | undefined) ?? []));
      if (!body.meta?.pagination?.next_page) break;
    }
    if (!wanted) return found;
    return found.filter((r) => hasLabels((r as { labels?: Labels }).labels, wanted));
  }

  /** Waits until an action succeeds; throws when it fails or `timeoutMs` passes. */
  async waitForAction(id: number, timeoutMs = 300_000): Promise<void> {
    await this.waitForActions([id], timeoutMs);
  }

  /** Waits until every action succeeds (polls `GET /actions?id=..`). */
  async waitForActions(ids: readonly number[], timeoutMs = 300_000): Promise<void> {
    if (ids.length === 0) return;
    const deadline = Date.now() + timeoutMs;
    for (let poll = 0; ; poll++) {
      const query = ids.map((id) => `id=${id}`).join('&');
      const { actions = [] } = await this.request<{ actions?: Action[] }>(
        'GET',
        `/actions?${query}&per_page=50`,
      );
      const failed = actions.filter((a) => a.status === 'error');
      if (failed.length) {
        throw new Error(
          `action ${failed.map((a) => `${a.id} (${a.command}): ${a.error?.code ?? ''} ${a.error?.message ?? ''}`.trim()).join('; ')} failed`,
        );
      }
      if (actions.every((a) => a.status === 'success')) return;
      if (Date.now() >= deadline) {
        throw new Error(`action(s) ${ids.join(', ')} still running after ${Math.round(timeoutMs / 1000)} s`);
      }
      await sleep(Math.min(250 * 2 ** Math.min(poll, 3), 2_000));
    }
  }

  /** `GET /pricing`: live prices, net and gross, per location. */
  async pricing(): Promise<Pricing> {
    return (await this.request<{ pricing: Pricing }>('GET', '/pricing')).pricing;
  }

  /** The token never appears in a message, even if an answer echoes it. */
  #redact(text: string): string {
    return text.split(this.#token).join('<token>');
  }
}
