/**
 * A stateful, in-memory fake of the Hetzner Cloud API for the lifecycle tier: the real engine
 * and the real hcloud provider talk to it through `HCLOUD_ENDPOINT`.
 */
export { FakeHcloud, type CallRecord, type FakeHcloudOptions } from './server';
export { type Knobs, defaultKnobs } from './knobs';
export { ApiError } from './errors';
export { compileSelector } from './labels';
export type { Store } from './store';
