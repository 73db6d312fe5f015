/**
 * The readiness record on cp-0 (labels written by `up`, read by the guard and `status`). Apart
 * from scripts/ops/readiness.ts, which renders the GitOps charts, so the bundled guard
 * decision (scripts/ops/guard-decide.ts) stays small.
 */
import {
  READINESS_LABEL,
  READINESS_STAGE_LABELS,
  READY_AT_LABEL,
  type ReadinessStage,
} from '../../lib/labels';

export { READINESS_STAGE_LABELS, type ReadinessStage };

// ----- the record on cp-0 -----------------------------------------------------------------

/** What the labels on cp-0 say: `ready`, `not-ready` (a wait failed or never finished), or none yet. */
export type RecordedReadiness = 'ready' | 'not-ready' | 'unchecked' | 'none';

/** Seconds from the start of `up` to each stage, as far as it got. */
export type StageSeconds = Readonly<Partial<Record<'servers' | ReadinessStage, number>>>;

/**
 * The labels `up` writes on cp-0: the verdict, when (`20261203T1412Z`, a label value may
 * not hold `:`), and the seconds to each stage reached.
 */
export function readinessLabels(
  verdict: Exclude<RecordedReadiness, 'none'>,
  at: Date,
  stages: StageSeconds,
): Record<string, string> {
  const labels: Record<string, string> = {
    [READINESS_LABEL]: verdict,
    [READY_AT_LABEL]: at
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\d\d\.\d{3}Z$/, 'Z'),
  };
  for (const [stage, key] of Object.entries(READINESS_STAGE_LABELS)) {
    const s = stages[stage as keyof StageSeconds];
    if (s !== undefined) labels[key] = String(Math.round(s));
  }
  return labels;
}

/** The recorded verdict and stage times, from cp-0's labels. */
export function readinessOf(labels: Readonly<Record<string, string>> | undefined): {
  readonly readiness: RecordedReadiness;
  readonly at?: string;
  readonly stages: StageSeconds;
} {
  const value = labels?.[READINESS_LABEL];
  const readiness: RecordedReadiness =
    value === 'ready' || value === 'not-ready' || value === 'unchecked' ? value : 'none';
  const stages: Partial<Record<string, number>> = {};
  for (const [stage, key] of Object.entries(READINESS_STAGE_LABELS)) {
    const n = Number(labels?.[key]);
    if (labels?.[key] !== undefined && Number.isFinite(n)) stages[stage] = n;
  }
  const at = labels?.[READY_AT_LABEL]?.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5Z');
  return { readiness, at, stages };
}

/** `servers 180 s, nodes 260 s, Argo CD 420 s, Kafka 600 s` (the stages reached). */
export function describeStages(stages: StageSeconds): string {
  const names: Record<string, string> = {
    servers: 'servers',
    nodes: 'nodes',
    argocd: 'Argo CD',
    kafka: 'Kafka',
  };
  const parts = Object.keys(READINESS_STAGE_LABELS)
    .filter((k) => stages[k as keyof StageSeconds] !== undefined)
    .map((k) => `${names[k]} ${Math.round(stages[k as keyof StageSeconds]!)} s`);
  return parts.join(', ') || 'no stage reached';
}
