import { MANAGED_BY } from './environment';

/** The labels every managed resource carries, so anything can be listed or cleaned up by selector. */
export interface ResourceLabels {
  readonly environment: string;
  readonly cluster: string;
  readonly role: string;
  readonly 'managed-by': string;
  readonly [key: string]: string;
}

/** Builds the standard label set; `extra` adds role-specific labels. */
export function resourceLabels(
  environment: string,
  cluster: string,
  role: string,
  extra: Readonly<Record<string, string>> = {},
): ResourceLabels {
  return { environment, cluster, role, 'managed-by': MANAGED_BY, ...extra };
}

/** A Hetzner label selector matching every resource of one cluster in one environment. */
export function clusterSelector(environment: string, cluster: string, role?: string): string {
  const parts = [`environment=${environment}`, `cluster=${cluster}`, `managed-by=${MANAGED_BY}`];
  if (role) parts.push(`role=${role}`);
  return parts.join(',');
}
