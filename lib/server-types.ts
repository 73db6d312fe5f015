/**
 * Capacity of Hetzner Cloud server types that can still be ordered in 2026 (the generation
 * Hetzner introduced in late 2025, plus CCX and CAX), used to size ResourceQuotas and to
 * name the successor of a retired type. Written from Hetzner's published type list, not
 * read from the API here: the authority is `GET /server_types` (fields `cores`, `memory`,
 * `disk`). A type missing here can still be used; quotas then need
 * `appCapacityOnControlPlane` or an entry added here.
 */
export interface ServerTypeSpec {
  readonly cores: number;
  readonly memoryGb: number;
  readonly diskGb: number;
  readonly architecture: 'x86' | 'arm';
  /** Dedicated vCPUs (CCX) rather than shared. */
  readonly dedicated: boolean;
}

/** Known server types by name. */
export const SERVER_TYPES: Readonly<Record<string, ServerTypeSpec>> = {
  // Cost-optimised shared x86 (Intel/AMD), successors of cx22..cx52.
  cx23: { cores: 2, memoryGb: 4, diskGb: 40, architecture: 'x86', dedicated: false },
  cx33: { cores: 4, memoryGb: 8, diskGb: 80, architecture: 'x86', dedicated: false },
  cx43: { cores: 8, memoryGb: 16, diskGb: 160, architecture: 'x86', dedicated: false },
  cx53: { cores: 16, memoryGb: 32, diskGb: 320, architecture: 'x86', dedicated: false },
  // Regular-performance shared AMD, successors of cpx11..cpx51.
  cpx12: { cores: 1, memoryGb: 2, diskGb: 40, architecture: 'x86', dedicated: false },
  cpx22: { cores: 2, memoryGb: 4, diskGb: 80, architecture: 'x86', dedicated: false },
  cpx32: { cores: 4, memoryGb: 8, diskGb: 160, architecture: 'x86', dedicated: false },
  cpx42: { cores: 8, memoryGb: 16, diskGb: 320, architecture: 'x86', dedicated: false },
  cpx52: { cores: 12, memoryGb: 24, diskGb: 480, architecture: 'x86', dedicated: false },
  cpx62: { cores: 16, memoryGb: 32, diskGb: 640, architecture: 'x86', dedicated: false },
  // Dedicated AMD.
  ccx13: { cores: 2, memoryGb: 8, diskGb: 80, architecture: 'x86', dedicated: true },
  ccx23: { cores: 4, memoryGb: 16, diskGb: 160, architecture: 'x86', dedicated: true },
  ccx33: { cores: 8, memoryGb: 32, diskGb: 240, architecture: 'x86', dedicated: true },
  ccx43: { cores: 16, memoryGb: 64, diskGb: 360, architecture: 'x86', dedicated: true },
  ccx53: { cores: 32, memoryGb: 128, diskGb: 600, architecture: 'x86', dedicated: true },
  ccx63: { cores: 48, memoryGb: 192, diskGb: 960, architecture: 'x86', dedicated: true },
  // Shared Arm64 (Ampere).
  cax11: { cores: 2, memoryGb: 4, diskGb: 40, architecture: 'arm', dedicated: false },
  cax21: { cores: 4, memoryGb: 8, diskGb: 80, architecture: 'arm', dedicated: false },
  cax31: { cores: 8, memoryGb: 16, diskGb: 160, architecture: 'arm', dedicated: false },
  cax41: { cores: 16, memoryGb: 32, diskGb: 320, architecture: 'arm', dedicated: false },
};

/**
 * Types Hetzner stopped selling in EU locations in late 2025. Asking for one fails at
 * create time with `resource_unavailable`; the config validation says so earlier.
 */
export const RETIRED_SERVER_TYPES: Readonly<Record<string, string>> = {
  cx22: 'cx23',
  cx32: 'cx33',
  cx42: 'cx43',
  cx52: 'cx53',
  cpx11: 'cpx12',
  cpx21: 'cpx22',
  cpx31: 'cpx32',
  cpx41: 'cpx42',
  cpx51: 'cpx52',
};

/** The type that replaces a retired one; undefined for any other name (own keys only: 'constructor' is no type). */
export function retiredReplacement(name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(RETIRED_SERVER_TYPES, name)
    ? RETIRED_SERVER_TYPES[name]
    : undefined;
}

/** Looks up a server type's capacity; undefined when the type is not in the table. */
export function serverTypeSpec(name: string): ServerTypeSpec | undefined {
  return Object.prototype.hasOwnProperty.call(SERVER_TYPES, name) ? SERVER_TYPES[name] : undefined;
}
