/**
 * Kubernetes NodePorts, and how the cluster keeps Kafka's fixed external ports free.
 *
 * The API server hands out random NodePorts (Traefik's, every morning) from the upper,
 * "dynamic" band of `--service-node-port-range` first; the lower, "static" band is used for
 * random ports only when the dynamic band is full (KEP-3668, on by default since 1.29). A
 * fixed port in the dynamic band can be taken by a random allocation before Kafka's Service
 * is created, and then Kafka's external listener fails that day. So each environment's range
 * starts at its Kafka bootstrap port, which puts every Kafka port in the static band.
 */

/** Kubernetes' default NodePort range, and the highest port any range may end at. */
export const DEFAULT_NODE_PORT_RANGE = { base: 30000, max: 32767 } as const;

/** Fewest random NodePorts a range must leave (Traefik needs two; room for a few more). */
export const MIN_DYNAMIC_NODE_PORTS = 32;

/** A port range as Kubernetes models it: `size` ports from `base`. */
export interface PortRange {
  readonly base: number;
  readonly size: number;
}

/**
 * Size of the static band at the bottom of a NodePort range: `min(max(16, size / 32), 128)`,
 * or 0 for a range of 16 ports or fewer (kubernetes pkg/registry/core/service/portallocator,
 * calculateRangeOffset).
 */
export function staticBandSize(range: PortRange): number {
  if (range.size <= 16) return 0;
  return Math.min(Math.max(16, Math.floor(range.size / 32)), 128);
}

/** The NodePort range of an environment: from its Kafka bootstrap port to 32767. */
export function nodePortRangeFor(bootstrapPort: number): PortRange {
  return { base: bootstrapPort, size: DEFAULT_NODE_PORT_RANGE.max - bootstrapPort + 1 };
}

/** The range as k3s's `service-node-port-range` flag takes it, e.g. `32100-32767`. */
export function nodePortRangeFlag(range: PortRange): string {
  return `${range.base}-${range.base + range.size - 1}`;
}

/** True when `port` lies in the static band of `range`. */
export function inStaticBand(range: PortRange, port: number): boolean {
  return port >= range.base && port < range.base + staticBandSize(range);
}
