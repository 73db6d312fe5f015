/**
 * "Ready to trade": what `up` waits for and the guard trusts. The k3s API answers, every
 * planned node is Ready, every Argo CD Application the environment renders is Synced and
 * Healthy, and its Kafka cluster, topics and users are Ready. One SSH call to cp-0 reads all
 * of it (`snapshotCommand`); `evaluateReadiness` is pure, so every rule has a unit test.
 *
 * The result is recorded on cp-0 as Hetzner labels (`readinessLabels`): `up` writes them, the
 * guard reads them (`readinessOf`) to tell "running but not ready" (repair: run `up` again,
 * which waits again) from "ready". The cluster stack ignores those label keys
 * (`READINESS_LABEL_KEYS` in lib/labels.ts), so the next apply keeps them.
 */
import { parse } from 'yaml';
import type { EnvironmentConfig } from '../../environments/types';
import { renderGitopsFiles } from '../../charts/render';
import type { ReadinessStage } from '../../lib/labels';

export * from './readiness-record';

/** A namespaced object the cluster must report Ready. */
export interface ObjectRef {
  readonly namespace: string;
  readonly name: string;
}

/** Everything that must be ready, from the environment's rendered GitOps manifests. */
export interface ReadinessExpectation {
  /** k3s node names (= the planned server names). */
  readonly nodes: readonly string[];
  /** Argo CD Applications: the root app and every app it renders. */
  readonly applications: readonly ObjectRef[];
  /** Strimzi `Kafka` clusters. */
  readonly kafkas: readonly ObjectRef[];
  readonly topics: readonly ObjectRef[];
  readonly users: readonly ObjectRef[];
}

const KINDS = {
  Application: 'applications',
  Kafka: 'kafkas',
  KafkaTopic: 'topics',
  KafkaUser: 'users',
} as const;

/**
 * What the environment's GitOps folder makes: every Application, Kafka, KafkaTopic and
 * KafkaUser it renders (one per name), so a topic or app a user adds is waited for too.
 */
export function expectedReadiness(config: EnvironmentConfig, nodes: readonly string[]): ReadinessExpectation {
  const found: Record<(typeof KINDS)[keyof typeof KINDS], Map<string, ObjectRef>> = {
    applications: new Map(),
    kafkas: new Map(),
    topics: new Map(),
    users: new Map(),
  };
  for (const content of renderGitopsFiles([config]).values()) {
    const doc = parse(content) as { kind?: string; metadata?: { name?: string; namespace?: string } };
    const slot =
      doc?.kind && Object.hasOwn(KINDS, doc.kind) ? KINDS[doc.kind as keyof typeof KINDS] : undefined;
    if (!slot || !doc.metadata?.name) continue;
    const ref = { namespace: doc.metadata.namespace ?? 'default', name: doc.metadata.name };
    found[slot].set(`${ref.namespace}/${ref.name}`, ref);
  }
  const sorted = (m: Map<string, ObjectRef>) => [...m.values()].sort((a, b) => a.name.localeCompare(b.name));
  return {
    nodes: [...nodes],
    applications: sorted(found.applications),
    kafkas: sorted(found.kafkas),
    topics: sorted(found.topics),
    users: sorted(found.users),
  };
}

/** The resource types read, in stage order; `k3s kubectl get <type> -A -o json` each. */
export const SNAPSHOT_RESOURCES = [
  'nodes',
  'applications.argoproj.io',
  'kafkas.kafka.strimzi.io',
  'kafkatopics.kafka.strimzi.io',
  'kafkausers.kafka.strimzi.io',
] as const;

type SnapshotResource = (typeof SNAPSHOT_RESOURCES)[number];

/**
 * The remote command of one probe: each type read separately (a CRD that Argo CD has not
 * installed yet fails only its own read), each answer after a `@@@ <type> <exit>` marker.
 */
export function snapshotCommand(): string {
  return `for r in ${SNAPSHOT_RESOURCES.join(' ')}; do out=$(k3s kubectl get "$r" -A -o json 2>&1); echo "@@@ $r $?"; printf '%s\\n' "$out"; done`;
}

interface Condition {
  readonly type?: string;
  readonly status?: string;
  readonly reason?: string;
  readonly message?: string;
}

interface Item {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly status?: {
    readonly conditions?: readonly Condition[];
    readonly sync?: { readonly status?: string };
    readonly health?: { readonly status?: string; readonly message?: string };
    readonly operationState?: { readonly phase?: string; readonly message?: string };
  };
}

/** One read of the snapshot: the items, or why the read failed (CRD not there yet, API down). */
export type SnapshotPart = { readonly items: readonly Item[] } | { readonly error: string };

export type Snapshot = Readonly<Partial<Record<SnapshotResource, SnapshotPart>>>;

/** Splits the probe's output at its markers; a part that is not a JSON list is an error. */
export function parseSnapshot(stdout: string): Snapshot {
  const parts: Partial<Record<SnapshotResource, SnapshotPart>> = {};
  const chunks = stdout.split(/^@@@ /m).slice(1);
  for (const chunk of chunks) {
    const newline = chunk.indexOf('\n');
    const [resource, code] = (newline < 0 ? chunk : chunk.slice(0, newline)).trim().split(/\s+/);
    const body = newline < 0 ? '' : chunk.slice(newline + 1).trim();
    if (!(SNAPSHOT_RESOURCES as readonly string[]).includes(resource)) continue;
    const key = resource as SnapshotResource;
    if (code !== '0') {
      parts[key] = { error: body.split('\n').pop() || `exit ${code}` };
      continue;
    }
    try {
      const list = JSON.parse(body) as { items?: Item[] };
      parts[key] = Array.isArray(list.items) ? { items: list.items } : { error: 'not a list' };
    } catch {
      parts[key] = { error: 'not JSON' };
    }
  }
  return parts;
}

/** Which stages are complete. */
export type StageState = Readonly<Record<ReadinessStage, boolean>>;

/** The verdict of one probe. */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly stages: StageState;
  /** One line per thing not ready: kind, name, state, the controller's message. */
  readonly missing: readonly string[];
  /** One line for the log: the first stage not complete and how far it got. */
  readonly detail: string;
}

const conditionTrue = (item: Item, type: string) =>
  item.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;

function findItem(part: SnapshotPart | undefined, ref: ObjectRef | string): Item | undefined {
  if (!part || 'error' in part) return undefined;
  return part.items.find((i) =>
    typeof ref === 'string'
      ? i.metadata?.name === ref
      : i.metadata?.name === ref.name && (i.metadata?.namespace ?? 'default') === ref.namespace,
  );
}

/** The message a not-Ready Strimzi object carries (its Ready or NotReady condition). */
function strimziWhy(item: Item): string {
  const c =
    item.status?.conditions?.find((x) => x.type === 'NotReady' && x.status === 'True') ??
    item.status?.conditions?.find((x) => x.type === 'Ready') ??
    item.status?.conditions?.[0];
  if (!c) return 'no status yet (the operator has not reconciled it)';
  return [c.type === 'Ready' ? `Ready=${c.status}` : c.type, c.reason, c.message].filter(Boolean).join(': ');
}

/** sync/health and the message Argo CD gives for an Application not Synced+Healthy. */
function applicationWhy(item: Item): string {
  const s = item.status;
  const state = `${s?.sync?.status ?? 'Unknown'}/${s?.health?.status ?? 'Unknown'}`;
  const message =
    s?.conditions?.find((c) => c.message)?.message ?? s?.operationState?.message ?? s?.health?.message ?? '';
  return message ? `${state}: ${message}` : state;
}

/**
 * The verdict for one snapshot. Stages are cumulative: Argo CD counts only when the nodes are
 * Ready, Kafka only when Argo CD is synced (a Kafka Ready before its app syncs is a leftover).
 */
export function evaluateReadiness(snapshot: Snapshot, expected: ReadinessExpectation): ReadinessReport {
  const missing: string[] = [];
  const nodesPart = snapshot.nodes;
  let nodes = false;
  let nodesDetail: string;
  if (!nodesPart || 'error' in nodesPart) {
    const why = nodesPart && 'error' in nodesPart ? nodesPart.error : 'no answer';
    missing.push(`k3s API: not answering (${why})`);
    nodesDetail = `API not answering yet (${why})`;
  } else {
    const waiting = expected.nodes.filter((n) => {
      const item = findItem(nodesPart, n);
      return !item || !conditionTrue(item, 'Ready');
    });
    for (const n of waiting) missing.push(`node ${n}: not Ready`);
    nodes = waiting.length === 0;
    nodesDetail = `${expected.nodes.length - waiting.length}/${expected.nodes.length} nodes Ready${waiting.length ? `; waiting for ${waiting.join(', ')}` : ''}`;
  }

  const apps = snapshot['applications.argoproj.io'];
  const appsWaiting = expected.applications.filter((ref) => {
    const item = findItem(apps, ref);
    const ok = item?.status?.sync?.status === 'Synced' && item.status.health?.status === 'Healthy';
    if (!ok) {
      missing.push(
        `Application ${ref.namespace}/${ref.name}: ${item ? applicationWhy(item) : apps && 'error' in apps ? `not readable (${apps.error})` : 'not created yet'}`,
      );
    }
    return !ok;
  });
  const argocd = nodes && appsWaiting.length === 0;

  const strimzi = (kind: string, part: SnapshotPart | undefined, refs: readonly ObjectRef[]): ObjectRef[] =>
    refs.filter((ref) => {
      const item = findItem(part, ref);
      const ok = item !== undefined && conditionTrue(item, 'Ready');
      if (!ok) {
        missing.push(
          `${kind} ${ref.namespace}/${ref.name}: ${item ? strimziWhy(item) : part && 'error' in part ? `not readable (${part.error})` : 'not created yet'}`,
        );
      }
      return !ok;
    });
  const kafkaWaiting = [
    ...strimzi('Kafka', snapshot['kafkas.kafka.strimzi.io'], expected.kafkas),
    ...strimzi('KafkaTopic', snapshot['kafkatopics.kafka.strimzi.io'], expected.topics),
    ...strimzi('KafkaUser', snapshot['kafkausers.kafka.strimzi.io'], expected.users),
  ];
  const kafka = argocd && kafkaWaiting.length === 0;

  const stages: StageState = { nodes, argocd, kafka };
  const total = (n: number, of: number) => `${of - n}/${of}`;
  const detail = !nodes
    ? nodesDetail
    : !argocd
      ? `nodes Ready; Argo CD ${total(appsWaiting.length, expected.applications.length)} Applications Synced+Healthy; waiting for ${appsWaiting.map((a) => a.name).join(', ')}`
      : !kafka
        ? `nodes Ready, Argo CD synced; Kafka ${total(kafkaWaiting.length, expected.kafkas.length + expected.topics.length + expected.users.length)} Ready; waiting for ${kafkaWaiting.map((k) => k.name).join(', ')}`
        : `ready: ${expected.nodes.length} nodes, ${expected.applications.length} Applications, Kafka with ${expected.topics.length} topics and ${expected.users.length} users`;
  return { ready: kafka, stages, missing, detail };
}
