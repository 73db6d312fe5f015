/**
 * Test knobs of the fake: latency, transient failures and sold-out server types. All can be
 * changed while the fake runs (`fake.knobs.faultRate = 0.2`).
 */

/** Tunable behaviour of the fake Hetzner Cloud API. */
export interface Knobs {
  /**
   * Delay added to every HTTP answer, in milliseconds.
   * @default 0
   */
  requestLatencyMs: number;
  /**
   * How long an action stays `running` before it reports `success`, in milliseconds. With 0 an
   * action is still `running` in the answer that starts it and done at the first poll, so the
   * provider always goes through `GET /actions?id=...` as against the real API.
   * @default 0
   */
  actionLatencyMs: number;
  /**
   * Share (0..1) of requests answered with a transient failure instead of being handled. The
   * failure happens before any state changes, as a real rate limiter or overloaded front does.
   * @default 0
   */
  faultRate: number;
  /**
   * Statuses the faults cycle through: 429 `rate_limit_exceeded` (hcloud-go retries it) and
   * 503 `unavailable` (hcloud-go does not).
   * @default [429, 503]
   */
  faultStatuses: number[];
  /**
   * Seed of the pseudo-random fault sequence, so a faulty run can be replayed.
   * @default 1
   */
  faultSeed: number;
  /**
   * Server types that cannot be ordered right now: `cx33` (everywhere) or `cx33@fsn1`. Creating
   * such a server fails with `resource_unavailable`.
   * @default []
   */
  unavailableServerTypes: string[];
}

/** The defaults: a fast, reliable API. */
export function defaultKnobs(): Knobs {
  return {
    requestLatencyMs: 0,
    actionLatencyMs: 0,
    faultRate: 0,
    faultStatuses: [429, 503],
    faultSeed: 1,
    unavailableServerTypes: [],
  };
}

/** A small deterministic PRNG (mulberry32) for the fault sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
