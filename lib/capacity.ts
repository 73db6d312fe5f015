/**
 * How the app capacity (the app nodes, or the control plane's share without them) is
 * split into namespace quotas. Shared by the config validation, which refuses trading
 * apps that could never fit, and the platform chart, which renders the quotas.
 */

/** CPU cores and memory the trading apps may use. */
export interface AppCapacity {
  readonly cores: number;
  readonly memoryGb: number;
}

/** Quota shares of the app capacity in percent. */
export interface QuotaPercent {
  readonly ingestion: number;
  readonly strategies: number;
  readonly monitoring: number;
}

/** A namespace's share of the app capacity, as Kubernetes quantities. */
export interface NamespaceQuota {
  readonly cpuMillis: number;
  readonly memoryMib: number;
}

/** The quota'd namespaces and their share of the app capacity. */
export type QuotaNamespace = keyof QuotaPercent;

/**
 * Splits the app capacity by the configured percentages. Rounded down, so the shares
 * never exceed the capacity.
 */
export function computeQuotas(
  capacity: AppCapacity,
  percent: QuotaPercent,
): Record<QuotaNamespace, NamespaceQuota> {
  const share = (p: number): NamespaceQuota => ({
    cpuMillis: Math.floor((capacity.cores * 1000 * p) / 100),
    memoryMib: Math.floor((capacity.memoryGb * 1024 * p) / 100),
  });
  return {
    ingestion: share(percent.ingestion),
    strategies: share(percent.strategies),
    monitoring: share(percent.monitoring),
  };
}

/**
 * Memory one app node offers (the control plane's share when there are no app nodes): a
 * container asking for more could never be scheduled, so the LimitRange refuses it.
 */
export function perNodeAppMemoryMib(env: {
  readonly appCapacity: AppCapacity;
  readonly appNodes: { readonly length: number };
}): number {
  return Math.floor((env.appCapacity.memoryGb * 1024) / Math.max(1, env.appNodes.length));
}
