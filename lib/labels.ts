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

/**
 * Labels the operator CLI writes on cp-0 after `up`'s readiness wait (scripts/ops/readiness.ts):
 * the verdict (`ready`, `not-ready`, `unchecked`), when, and the seconds to each stage. Not
 * part of the configuration: the server ignores changes to these keys, so the next apply
 * keeps them, and a replaced cp-0 starts without them (= not known to be ready).
 */
export const READINESS_LABEL = 'readiness';
export const READY_AT_LABEL = 'readiness-at';

/** The stages of a morning, in order, after the servers exist. */
export type ReadinessStage = 'nodes' | 'argocd' | 'kafka';

/** Stage → label with the seconds from the start of `up` to that stage. */
export const READINESS_STAGE_LABELS: Readonly<Record<'servers' | ReadinessStage, string>> = {
  servers: 'stage-servers-s',
  nodes: 'stage-nodes-s',
  argocd: 'stage-argocd-s',
  kafka: 'stage-kafka-s',
};

/** Every label key the CLI writes at run time (ignored by the engine's plan). */
export const READINESS_LABEL_KEYS: readonly string[] = [
  READINESS_LABEL,
  READY_AT_LABEL,
  ...Object.values(READINESS_STAGE_LABELS),
];

/**
 * On the control-plane Primary IP: the day and action of the last failure notification
 * (`20261203-ensure-up`), so a failed morning notifies once, not at every guard run. The
 * Primary IP ignores changes to it (it is persistent; the servers are new every day).
 */
export const ALERTED_LABEL = 'alerted-on';
