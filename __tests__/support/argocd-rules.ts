/**
 * A model of the Argo CD rules that decide whether a child Application can sync at all:
 * the AppProject's source, destination and resource-kind rules, and the sync-wave order
 * of an app-of-apps. Each function names the upstream code it follows (argoproj/argo-cd
 * v3.x unless said otherwise), so a reader can check the model against the real thing.
 *
 * The model works on plain manifests (what `renderGitopsFiles()` writes and what the
 * in-memory charts synthesize), never on a cluster.
 */
import { parseAllDocuments } from 'yaml';
import { gitopsPath } from '../../charts/constants';
import { Kafka } from '../../imports/strimzi-kafka';
import { KafkaNodePool } from '../../imports/strimzi-kafkanodepool';
import { KafkaTopic } from '../../imports/strimzi-kafkatopic';
import { KafkaUser } from '../../imports/strimzi-kafkauser';
import { Application } from '../../imports/argocd-application';
import { AppProject } from '../../imports/argocd-appproject';
import { HelmChart } from '../../imports/k3s-helmchart';

/** A Kubernetes object as rendered (only the fields the model reads are typed). */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec?: any;
}

/** An API group and kind, e.g. `{ group: 'scheduling.k8s.io', kind: 'PriorityClass' }`. */
export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

/** An entry of an AppProject's cluster/namespace resource white- or blacklist. */
export interface ProjectResource extends GroupKind {
  /** Argo CD 3.x: restricts the entry to objects of this name (glob). */
  readonly name?: string;
}

/** An AppProject destination; `!` before a field makes it a deny pattern. */
export interface ProjectDestination {
  readonly server?: string;
  readonly name?: string;
  readonly namespace?: string;
}

/** The AppProject fields Argo CD checks before and during a sync. */
export interface AppProjectLike {
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly sourceRepos?: readonly string[];
    readonly destinations?: readonly ProjectDestination[];
    readonly clusterResourceWhitelist?: readonly ProjectResource[];
    readonly clusterResourceBlacklist?: readonly ProjectResource[];
    readonly namespaceResourceWhitelist?: readonly ProjectResource[];
    readonly namespaceResourceBlacklist?: readonly ProjectResource[];
  };
}

/** The Application fields the model reads. */
export interface ApplicationLike {
  readonly metadata: { readonly name: string; readonly annotations?: Readonly<Record<string, string>> };
  readonly spec: {
    readonly project?: string;
    readonly source: {
      readonly repoURL: string;
      readonly path?: string;
      readonly chart?: string;
      readonly helm?: { readonly valuesObject?: unknown };
    };
    readonly destination: { readonly server?: string; readonly name?: string; readonly namespace?: string };
    readonly syncPolicy?: { readonly syncOptions?: readonly string[] };
  };
}

// ----- globs ---------------------------------------------------------------------------

const escapeRegExp = (c: string) => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** Reads a `[...]` class starting at `pattern[i] === '['`; returns the regex class and the index after `]`. */
function charClass(pattern: string, i: number, negation: string): [string, number] {
  let j = i + 1;
  let negate = false;
  if (pattern[j] === negation) {
    negate = true;
    j++;
  }
  let body = '';
  for (; j < pattern.length && pattern[j] !== ']'; j++) {
    if (pattern[j] === '\\' && j + 1 < pattern.length) body += escapeRegExp(pattern[++j]);
    else body += pattern[j] === '-' ? '-' : escapeRegExp(pattern[j]);
  }
  if (j >= pattern.length) throw new Error(`unterminated character class in glob '${pattern}'`);
  return [`[${negate ? '^' : ''}${body}]`, j + 1];
}

/**
 * Argo CD's `util/glob.Match(pattern, text, separators...)`, which compiles the pattern
 * with gobwas/glob: `*` is any run of non-separator characters, `**` any run at all, `?`
 * one non-separator character, `[abc]`/`[!abc]` a class, `{a,b}` alternatives, `\` an
 * escape. A pattern that does not compile matches nothing (Argo CD logs and returns false).
 */
export function argoGlobMatch(pattern: string, text: string, separators: readonly string[] = []): boolean {
  const notSep = separators.length > 0 ? `[^${separators.map(escapeRegExp).join('')}]` : '.';
  let re = '';
  let braces = 0;
  try {
    for (let i = 0; i < pattern.length;) {
      const c = pattern[i];
      if (c === '\\' && i + 1 < pattern.length) {
        re += escapeRegExp(pattern[i + 1]);
        i += 2;
      } else if (c === '*') {
        const any = pattern[i + 1] === '*';
        re += any ? '.*' : `${notSep}*`;
        i += any ? 2 : 1;
      } else if (c === '?') {
        re += notSep;
        i++;
      } else if (c === '[') {
        const [cls, next] = charClass(pattern, i, '!');
        re += cls;
        i = next;
      } else if (c === '{') {
        re += '(?:';
        braces++;
        i++;
      } else if (c === '}' && braces > 0) {
        re += ')';
        braces--;
        i++;
      } else if (c === ',' && braces > 0) {
        re += '|';
        i++;
      } else {
        re += escapeRegExp(c);
        i++;
      }
    }
    if (braces !== 0) return false;
    return new RegExp(`^${re}$`, 's').test(text);
  } catch {
    return false;
  }
}

/**
 * Go's `path/filepath.Match`, which Argo CD's `isResourceInList` uses for the group and
 * kind of white/blacklist entries: `*` any run of non-`/` characters, `?` one, `[...]`
 * (negated with `^`), `\` an escape. A malformed pattern matches nothing.
 */
export function goFilepathMatch(pattern: string, name: string): boolean {
  let re = '';
  try {
    for (let i = 0; i < pattern.length;) {
      const c = pattern[i];
      if (c === '\\' && i + 1 < pattern.length) {
        re += escapeRegExp(pattern[i + 1]);
        i += 2;
      } else if (c === '*') {
        re += '[^/]*';
        i++;
      } else if (c === '?') {
        re += '[^/]';
        i++;
      } else if (c === '[') {
        const [cls, next] = charClass(pattern, i, '^');
        re += cls;
        i = next;
      } else {
        re += escapeRegExp(c);
        i++;
      }
    }
    return new RegExp(`^${re}$`, 's').test(name);
  } catch {
    return false;
  }
}

const isDenyPattern = (pattern: string | undefined) => pattern?.startsWith('!') ?? false;

/** `globMatch` of app_project_types.go: `!pattern` matches what `pattern` does not; `*` matches all. */
function projectGlobMatch(pattern: string | undefined, value: string, separators: readonly string[] = []) {
  const p = pattern ?? '';
  if (isDenyPattern(p)) return !argoGlobMatch(p.slice(1), value, separators);
  return p === '*' || argoGlobMatch(p, value, separators);
}

// ----- AppProject rules ----------------------------------------------------------------

/**
 * `util/git.NormalizeGitURL`, reduced to what matters for HTTPS and OCI repository
 * addresses: trimmed, lower-cased, without a trailing `.git`.
 */
export function normalizeGitUrl(url: string): string {
  return url
    .trim()
    .toLowerCase()
    .replace(/\.git$/, '');
}

/**
 * `AppProject.IsSourcePermitted` (app_project_types.go): the normalized repository URL
 * must match one `sourceRepos` glob (with `/` as separator), and no `!` pattern may exclude it.
 */
export function isSourcePermitted(project: AppProjectLike, repoURL: string): boolean {
  const source = normalizeGitUrl(repoURL);
  let matched = false;
  for (const repo of project.spec.sourceRepos ?? []) {
    const pattern = isDenyPattern(repo) ? `!${normalizeGitUrl(repo.slice(1))}` : normalizeGitUrl(repo);
    if (projectGlobMatch(pattern, source, ['/'])) matched = true;
    else if (isDenyPattern(pattern)) return false;
  }
  return matched;
}

/**
 * `AppProject.IsDestinationPermitted` / `isDestinationMatched` (app_project_types.go): one
 * destination must match server (or name) and namespace by glob, and no `!` destination
 * may exclude it. (`permitOnlyProjectScopedClusters` is not modelled: we use in-cluster only.)
 */
export function isDestinationPermitted(
  project: AppProjectLike,
  dest: { server?: string; name?: string; namespace: string },
): boolean {
  let anyMatched = false;
  let noDenyMatched = true;
  for (const item of project.spec.destinations ?? []) {
    const nameMatched = !!dest.name && projectGlobMatch(item.name, dest.name);
    const serverMatched = !!dest.server && projectGlobMatch(item.server, dest.server);
    const namespaceMatched = projectGlobMatch(item.namespace, dest.namespace);
    if ((serverMatched || nameMatched) && namespaceMatched) anyMatched = true;
    else if (
      (!nameMatched && isDenyPattern(item.name)) ||
      (!serverMatched && isDenyPattern(item.server)) ||
      (!namespaceMatched && isDenyPattern(item.namespace))
    ) {
      noDenyMatched = false;
    }
  }
  return anyMatched && noDenyMatched;
}

/** `isResourceInList` / `isNamedResourceInList`: kind and group by `filepath.Match`, name by glob. */
function isResourceInList(res: GroupKind, name: string | undefined, list: readonly ProjectResource[]) {
  return list.some(
    (item) =>
      goFilepathMatch(item.kind, res.kind) &&
      goFilepathMatch(item.group, res.group) &&
      (!item.name || name === undefined || argoGlobMatch(item.name, name)),
  );
}

/**
 * `AppProject.IsGroupKindNamePermitted` (app_project_types.go): a namespaced kind is
 * permitted unless a namespace whitelist is given and misses it, or the blacklist has it;
 * a cluster-scoped kind only when the cluster whitelist has it and the blacklist does not.
 */
export function isGroupKindPermitted(
  project: AppProjectLike,
  gk: GroupKind,
  namespaced: boolean,
  name?: string,
): boolean {
  const { spec } = project;
  const [white, black] = namespaced
    ? [spec.namespaceResourceWhitelist, spec.namespaceResourceBlacklist]
    : [spec.clusterResourceWhitelist, spec.clusterResourceBlacklist];
  // Names restrict cluster-scoped entries only (`isNamedResourceInList`).
  const objectName = namespaced ? undefined : name;
  const whitelisted =
    namespaced && white === undefined
      ? true
      : (white ?? []).length > 0 && isResourceInList(gk, objectName, white!);
  const blacklisted = (black ?? []).length > 0 && isResourceInList(gk, objectName, black!);
  return whitelisted && !blacklisted;
}

// ----- API discovery: which kinds are namespaced -----------------------------------------

/** The API group of an `apiVersion` (`''` for the core group). */
export function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

/** Group and kind of a manifest. */
export function groupKindOf(m: Pick<Manifest, 'apiVersion' | 'kind'>): GroupKind {
  return { group: groupOf(m.apiVersion), kind: m.kind };
}

const gkKey = (gk: GroupKind) => `${gk.group}/${gk.kind}`;

/** Strimzi's custom kinds as imported into imports/ (their CRDs say `scope: Namespaced`). */
export const STRIMZI_IMPORTED_KINDS: readonly GroupKind[] = [Kafka, KafkaNodePool, KafkaTopic, KafkaUser].map(
  (c) => groupKindOf(c.GVK),
);

/**
 * The custom kinds each Helm chart installs CRDs for (the chart's `crds/` folder, which
 * Argo CD applies with the chart). Every one is namespaced.
 * - strimzi-kafka-operator 0.50.1: `packaging/helm-charts/helm3/strimzi-kafka-operator/crds/04*-Crd-*.yaml`
 * - kube-prometheus-stack: the prometheus-operator CRDs of `charts/crds/crds/` (group monitoring.coreos.com)
 */
export const HELM_CHART_CRD_KINDS: Readonly<Record<string, readonly GroupKind[]>> = {
  'strimzi-kafka-operator': [
    ...STRIMZI_IMPORTED_KINDS,
    ...[
      'KafkaConnect',
      'KafkaConnector',
      'KafkaMirrorMaker2',
      'KafkaBridge',
      'KafkaRebalance',
      'StrimziPodSet',
    ].map((kind) => ({ group: 'kafka.strimzi.io', kind })),
  ],
  'kube-prometheus-stack': [
    'Alertmanager',
    'AlertmanagerConfig',
    'PodMonitor',
    'Probe',
    'Prometheus',
    'PrometheusAgent',
    'PrometheusRule',
    'ScrapeConfig',
    'ServiceMonitor',
    'ThanosRuler',
  ].map((kind) => ({ group: 'monitoring.coreos.com', kind })),
};

/** Custom kinds installed before the root Application syncs: Argo CD's own (k3s HelmChart) and k3s's. */
export const PREINSTALLED_CUSTOM_KINDS: readonly GroupKind[] = [Application, AppProject, HelmChart].map((c) =>
  groupKindOf(c.GVK),
);

const CLUSTER_SCOPED: Readonly<Record<string, readonly string[]>> = {
  '': ['ComponentStatus', 'Namespace', 'Node', 'PersistentVolume'],
  'admissionregistration.k8s.io': [
    'MutatingAdmissionPolicy',
    'MutatingAdmissionPolicyBinding',
    'MutatingWebhookConfiguration',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
    'ValidatingWebhookConfiguration',
  ],
  'apiextensions.k8s.io': ['CustomResourceDefinition'],
  'apiregistration.k8s.io': ['APIService'],
  'authentication.k8s.io': ['SelfSubjectReview', 'TokenReview'],
  'authorization.k8s.io': ['SelfSubjectAccessReview', 'SelfSubjectRulesReview', 'SubjectAccessReview'],
  'certificates.k8s.io': ['CertificateSigningRequest', 'ClusterTrustBundle'],
  'flowcontrol.apiserver.k8s.io': ['FlowSchema', 'PriorityLevelConfiguration'],
  'internal.apiserver.k8s.io': ['StorageVersion'],
  'networking.k8s.io': ['IngressClass', 'IPAddress', 'ServiceCIDR'],
  'node.k8s.io': ['RuntimeClass'],
  'rbac.authorization.k8s.io': ['ClusterRole', 'ClusterRoleBinding'],
  'resource.k8s.io': ['DeviceClass', 'ResourceSlice'],
  'scheduling.k8s.io': ['PriorityClass'],
  'storage.k8s.io': ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment', 'VolumeAttributesClass'],
  'storagemigration.k8s.io': ['StorageVersionMigration'],
};

const NAMESPACED: Readonly<Record<string, readonly string[]>> = {
  '': [
    'Binding',
    'ConfigMap',
    'Endpoints',
    'Event',
    'LimitRange',
    'PersistentVolumeClaim',
    'Pod',
    'PodTemplate',
    'ReplicationController',
    'ResourceQuota',
    'Secret',
    'Service',
    'ServiceAccount',
  ],
  apps: ['ControllerRevision', 'DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet'],
  autoscaling: ['HorizontalPodAutoscaler'],
  batch: ['CronJob', 'Job'],
  'authorization.k8s.io': ['LocalSubjectAccessReview'],
  'coordination.k8s.io': ['Lease'],
  'discovery.k8s.io': ['EndpointSlice'],
  'events.k8s.io': ['Event'],
  'networking.k8s.io': ['Ingress', 'NetworkPolicy'],
  policy: ['PodDisruptionBudget'],
  'rbac.authorization.k8s.io': ['Role', 'RoleBinding'],
  'resource.k8s.io': ['ResourceClaim', 'ResourceClaimTemplate'],
  'storage.k8s.io': ['CSIStorageCapacity'],
};

const SCOPES = new Map<string, boolean>([
  ...Object.entries(CLUSTER_SCOPED).flatMap(([group, kinds]) =>
    kinds.map((kind) => [gkKey({ group, kind }), false] as const),
  ),
  ...Object.entries(NAMESPACED).flatMap(([group, kinds]) =>
    kinds.map((kind) => [gkKey({ group, kind }), true] as const),
  ),
  ...[...Object.values(HELM_CHART_CRD_KINDS).flat(), ...PREINSTALLED_CUSTOM_KINDS].map(
    (gk) => [gkKey(gk), true] as const,
  ),
]);

/**
 * Whether a kind is namespaced, as the API server's discovery would say (Argo CD asks it
 * through `ServerResourceForGroupVersionKind` before checking permissions). Built-in kinds
 * come from the Kubernetes 1.34 API (`kubectl api-resources`), custom kinds from the CRDs
 * above.
 * @throws for a kind the table does not know, so a new kind is classified on purpose
 */
export function isNamespaced(gk: GroupKind): boolean {
  const scope = SCOPES.get(gkKey(gk));
  if (scope === undefined) {
    throw new Error(
      `unknown kind ${gkKey(gk)}: add it to the scope tables of __tests__/support/argocd-rules.ts (namespaced or cluster-scoped, from its API/CRD)`,
    );
  }
  return scope;
}

const BUILT_IN_GROUPS = new Set([...Object.keys(CLUSTER_SCOPED), ...Object.keys(NAMESPACED)]);

/** True for a kind of a built-in API group, false for a custom resource (its CRD must exist first). */
export function isBuiltIn(gk: GroupKind): boolean {
  return BUILT_IN_GROUPS.has(gk.group);
}

// ----- sync rules ----------------------------------------------------------------------

/** Whether the Application has a sync option (e.g. `CreateNamespace=true`). */
export function hasSyncOption(app: ApplicationLike, option: string): boolean {
  return app.spec.syncPolicy?.syncOptions?.includes(option) ?? false;
}

/** The namespace Argo CD applies an object to: its own, else the Application's destination namespace. */
export function effectiveNamespace(obj: Manifest, app: ApplicationLike): string | undefined {
  if (!isNamespaced(groupKindOf(obj))) return undefined;
  return obj.metadata.namespace || app.spec.destination.namespace;
}

/**
 * The permission validator the application controller hands to the sync
 * (`controller/sync.go`, `WithPermissionValidator` / `validateSyncPermissions`): the kind
 * must be permitted, and a namespaced object's namespace must be a permitted destination.
 * One refused object fails the whole sync ("one or more synchronization tasks are not valid").
 * @returns Argo CD's message, or undefined when permitted
 */
export function syncPermissionProblem(
  project: AppProjectLike,
  app: ApplicationLike,
  obj: Manifest,
): string | undefined {
  const gk = groupKindOf(obj);
  const namespaced = isNamespaced(gk);
  if (!isGroupKindPermitted(project, gk, namespaced, obj.metadata.name)) {
    return `resource ${gk.group}:${gk.kind} is not permitted in project ${project.metadata.name}`;
  }
  const namespace = effectiveNamespace(obj, app);
  if (
    namespace !== undefined &&
    !isDestinationPermitted(project, { ...app.spec.destination, namespace: namespace })
  ) {
    return `namespace ${namespace} is not permitted in project '${project.metadata.name}'`;
  }
  return undefined;
}

/**
 * `util/argo.ValidatePermissions`: the Application's repository must be in the project's
 * `sourceRepos`, or Argo CD sets an InvalidSpecError condition and never syncs it.
 */
export function sourceProblem(project: AppProjectLike, app: ApplicationLike): string | undefined {
  const { repoURL } = app.spec.source;
  return isSourcePermitted(project, repoURL)
    ? undefined
    : `application repo ${repoURL} is not permitted in project '${project.metadata.name}'`;
}

/** `util/argo.ValidatePermissions`: the Application's destination must be a permitted destination. */
export function destinationProblem(project: AppProjectLike, app: ApplicationLike): string | undefined {
  const { destination } = app.spec;
  return isDestinationPermitted(project, { ...destination, namespace: destination.namespace ?? '' })
    ? undefined
    : `application destination server '${destination.server}' and namespace '${destination.namespace}' do not match any of the allowed destinations in project '${project.metadata.name}'`;
}

/**
 * With `CreateNamespace=true` the sync creates the destination Namespace as one more task
 * (gitops-engine `autoCreateNamespace`), which goes through the same permission validator
 * as the rendered objects: the project must whitelist the cluster-scoped `Namespace` kind.
 */
export function createNamespaceProblem(project: AppProjectLike, app: ApplicationLike): string | undefined {
  const namespace = app.spec.destination.namespace;
  if (!hasSyncOption(app, 'CreateNamespace=true') || !namespace) return undefined;
  const ns: Manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } };
  const problem = syncPermissionProblem(project, app, ns);
  return problem && `CreateNamespace=true: ${problem}`;
}

/** A child Application with what it syncs and, for a Helm chart, the cluster-scoped kinds the chart declares. */
export interface ProjectUser {
  readonly app: ApplicationLike;
  /** Rendered objects of a Git child; absent for a Helm chart. */
  readonly objects?: readonly Manifest[];
  /** Cluster-scoped kinds a Helm chart creates (HELM_CHARTS.<x>.clusterScopedKinds). */
  readonly clusterScopedKinds?: readonly GroupKind[];
}

/**
 * Least privilege (DESIGN.md section 9, "the project permits exactly what is rendered"):
 * the `sourceRepos`, `destinations` and `clusterResourceWhitelist` entries of `project`
 * that none of its children uses.
 */
export function unusedProjectPermissions(
  project: AppProjectLike,
  children: readonly ProjectUser[],
): string[] {
  const only = (spec: AppProjectLike['spec']): AppProjectLike => ({ metadata: project.metadata, spec });
  const namespaces = children.flatMap(({ app, objects }) => [
    { ...app.spec.destination, namespace: app.spec.destination.namespace ?? '' },
    ...(objects ?? []).flatMap((m) => {
      const namespace = effectiveNamespace(m, app);
      return namespace === undefined ? [] : [{ ...app.spec.destination, namespace }];
    }),
  ]);
  const clusterKinds = children.flatMap(({ app, objects, clusterScopedKinds }) => [
    ...(hasSyncOption(app, 'CreateNamespace=true') ? [{ group: '', kind: 'Namespace' }] : []),
    ...(objects ?? []).map(groupKindOf).filter((gk) => !isNamespaced(gk)),
    ...(clusterScopedKinds ?? []),
  ]);
  const { sourceRepos = [], destinations = [], clusterResourceWhitelist = [] } = project.spec;
  return [
    ...sourceRepos
      .filter(
        (repo) =>
          !children.some(({ app }) =>
            isSourcePermitted(only({ sourceRepos: [repo] }), app.spec.source.repoURL),
          ),
      )
      .map((repo) => `sourceRepo ${repo} is used by no child`),
    ...destinations
      .filter((d) => !namespaces.some((dest) => isDestinationPermitted(only({ destinations: [d] }), dest)))
      .map((d) => `destination namespace ${d.namespace} is used by no child`),
    ...clusterResourceWhitelist
      .filter(
        (entry) =>
          !clusterKinds.some((gk) =>
            isGroupKindPermitted(only({ clusterResourceWhitelist: [entry] }), gk, false),
          ),
      )
      .map((entry) => `whitelisted cluster kind ${entry.group}:${entry.kind} is created by no child`),
  ];
}

/**
 * The sync wave of an object (annotation `argocd.argoproj.io/sync-wave`, default 0), by
 * which Argo CD orders a sync: it applies the lowest wave that is out of sync or
 * unhealthy and moves on only when that wave is synced and healthy (Argo CD docs,
 * "Sync Phases and Waves").
 */
export function syncWave(obj: { metadata: { annotations?: Readonly<Record<string, string>> } }): number {
  const raw = obj.metadata.annotations?.['argocd.argoproj.io/sync-wave'];
  if (raw === undefined) return 0;
  const wave = Number(raw);
  if (!Number.isInteger(wave)) throw new Error(`sync-wave annotation '${raw}' is not an integer`);
  return wave;
}

// ----- what each Application needs from earlier waves ------------------------------------

/** What an Application puts into the cluster that other Applications may depend on. */
export interface Provided {
  /** Namespaces: its Namespace objects and, with `CreateNamespace=true`, its destination. */
  readonly namespaces: ReadonlySet<string>;
  /** Custom kinds (`group/Kind`) whose CRDs it installs. */
  readonly customKinds: ReadonlySet<string>;
  /** PriorityClasses it creates. */
  readonly priorityClasses: ReadonlySet<string>;
}

/** Something an Application needs to exist before its objects can be created or scheduled. */
export interface Prerequisite {
  readonly type: 'namespace' | 'custom kind' | 'PriorityClass';
  /** Namespace name, `group/Kind`, or PriorityClass name. */
  readonly name: string;
  /** The object (or Helm value) that needs it, for messages. */
  readonly neededBy: string;
}

/** A child Application with the objects it syncs; `objects` is absent for a Helm chart (not rendered offline). */
export interface ChildApplication {
  readonly app: ApplicationLike;
  readonly objects?: readonly Manifest[];
}

const describeObject = (m: Manifest) =>
  `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}`;

/** Every value under a `priorityClassName` key anywhere in `value`, with its path. */
export function findPriorityClassNames(value: unknown, path = ''): Array<{ path: string; name: string }> {
  if (Array.isArray(value)) return value.flatMap((v, i) => findPriorityClassNames(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) => {
    const at = path ? `${path}.${key}` : key;
    if (key === 'priorityClassName' && typeof v === 'string') return [{ path: at, name: v }];
    return findPriorityClassNames(v, at);
  });
}

/** Pod spec of a built-in workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod). */
export function podSpecOf(m: Manifest): any | undefined {
  const group = groupOf(m.apiVersion);
  if (group === '' && m.kind === 'Pod') return m.spec;
  if (group === 'batch' && m.kind === 'CronJob') return m.spec?.jobTemplate?.spec?.template?.spec;
  const workloads = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'];
  if ((group === 'apps' && workloads.includes(m.kind)) || (group === 'batch' && m.kind === 'Job')) {
    return m.spec?.template?.spec;
  }
  return undefined;
}

/** What `child` provides to Applications of later waves. */
export function providedBy(child: ChildApplication): Provided {
  const { app, objects } = child;
  const namespaces = new Set<string>();
  const customKinds = new Set<string>();
  const priorityClasses = new Set<string>();
  if (hasSyncOption(app, 'CreateNamespace=true') && app.spec.destination.namespace) {
    namespaces.add(app.spec.destination.namespace);
  }
  for (const m of objects ?? []) {
    const gk = groupKindOf(m);
    if (gk.group === '' && gk.kind === 'Namespace') namespaces.add(m.metadata.name);
    if (gk.group === 'scheduling.k8s.io' && gk.kind === 'PriorityClass') priorityClasses.add(m.metadata.name);
    if (gk.group === 'apiextensions.k8s.io' && gk.kind === 'CustomResourceDefinition') {
      customKinds.add(gkKey({ group: m.spec?.group, kind: m.spec?.names?.kind }));
    }
  }
  if (app.spec.source.chart) {
    for (const gk of HELM_CHART_CRD_KINDS[app.spec.source.chart] ?? []) customKinds.add(gkKey(gk));
  }
  return { namespaces, customKinds, priorityClasses };
}

/**
 * What `child` needs before it can sync and run: the namespace of every namespaced object
 * (a Helm chart installs into its destination namespace), the CRD of every custom kind it
 * uses, and every PriorityClass its pods name (the Priority admission plugin refuses a pod
 * whose PriorityClass does not exist). PriorityClasses are read from built-in workloads'
 * pod templates, from Strimzi resources (`template.pod.priorityClassName` and the like)
 * and from any `priorityClassName` key in Helm values.
 */
export function prerequisitesOf(child: ChildApplication): Prerequisite[] {
  const { app, objects } = child;
  const needs: Prerequisite[] = [];
  if (app.spec.source.chart) {
    const ns = app.spec.destination.namespace;
    if (ns) needs.push({ type: 'namespace', name: ns, neededBy: `Helm chart ${app.spec.source.chart}` });
    for (const { path, name } of findPriorityClassNames(app.spec.source.helm?.valuesObject)) {
      needs.push({ type: 'PriorityClass', name, neededBy: `Helm value ${path}` });
    }
  }
  for (const m of objects ?? []) {
    const gk = groupKindOf(m);
    const ns = effectiveNamespace(m, app);
    if (ns) needs.push({ type: 'namespace', name: ns, neededBy: describeObject(m) });
    if (!isBuiltIn(gk)) needs.push({ type: 'custom kind', name: gkKey(gk), neededBy: describeObject(m) });
    const pod = podSpecOf(m);
    if (pod?.priorityClassName) {
      needs.push({ type: 'PriorityClass', name: pod.priorityClassName, neededBy: describeObject(m) });
    }
    if (gk.group === 'kafka.strimzi.io') {
      for (const { path, name } of findPriorityClassNames(m.spec)) {
        needs.push({ type: 'PriorityClass', name, neededBy: `${describeObject(m)} spec.${path}` });
      }
    }
  }
  return needs;
}

/** A broken wave rule, with the Application it concerns. */
export interface WaveProblem {
  readonly rule: 'optional-last' | 'prerequisite' | 'required-needs-optional';
  readonly application: string;
  readonly message: string;
}

/**
 * The sync-wave rules of an app-of-apps whose root waits for each child to be Healthy
 * (the Application health check of charts/bootstrap.ts): a child that never becomes
 * Healthy blocks every later wave. So
 * - `optional-last`: every optional child is in a wave after every required one;
 * - `prerequisite`: whatever a child needs (namespace, CRD, PriorityClass) comes from a
 *   child of a strictly earlier wave, or, for a namespace, from the child itself
 *   (`CreateNamespace=true` or its own Namespace object, which Argo CD applies first);
 *   custom kinds installed before the root (Argo CD's, k3s's) need nothing;
 * - `required-needs-optional`: a required child needs nothing that only an optional child provides.
 */
export function waveProblems(
  children: readonly ChildApplication[],
  optional: ReadonlySet<string>,
): WaveProblem[] {
  const problems: WaveProblem[] = [];
  const nameOf = (c: ChildApplication) => c.app.metadata.name;
  const waveOf = (c: ChildApplication) => syncWave(c.app);
  const required = children.filter((c) => !optional.has(nameOf(c)));
  for (const opt of children.filter((c) => optional.has(nameOf(c)))) {
    for (const req of required.filter((r) => waveOf(r) >= waveOf(opt))) {
      problems.push({
        rule: 'optional-last',
        application: nameOf(opt),
        message: `optional Application '${nameOf(opt)}' (wave ${waveOf(opt)}) does not come after required '${nameOf(req)}' (wave ${waveOf(req)}): if it never becomes Healthy, '${nameOf(req)}' never syncs`,
      });
    }
  }
  const preinstalled = new Set(PREINSTALLED_CUSTOM_KINDS.map(gkKey));
  const provided = new Map(children.map((c) => [c, providedBy(c)]));
  const field = {
    namespace: 'namespaces',
    'custom kind': 'customKinds',
    PriorityClass: 'priorityClasses',
  } as const;
  for (const child of children) {
    const own = provided.get(child)!;
    for (const need of prerequisitesOf(child)) {
      const set = (p: Provided) => p[field[need.type]];
      if (need.type === 'custom kind' && preinstalled.has(need.name)) continue;
      if (need.type === 'namespace' && own.namespaces.has(need.name)) continue;
      const providers = children.filter((c) => c !== child && set(provided.get(c)!).has(need.name));
      const earlier = providers.filter((p) => waveOf(p) < waveOf(child));
      if (earlier.length === 0) {
        const where = providers.length
          ? `only by ${providers.map((p) => `'${nameOf(p)}' (wave ${waveOf(p)})`).join(', ')}`
          : 'by no Application';
        problems.push({
          rule: 'prerequisite',
          application: nameOf(child),
          message: `'${nameOf(child)}' (wave ${waveOf(child)}): ${need.neededBy} needs ${need.type} ${need.name}, provided ${where}, not by an earlier wave`,
        });
      } else if (!optional.has(nameOf(child)) && earlier.every((p) => optional.has(nameOf(p)))) {
        problems.push({
          rule: 'required-needs-optional',
          application: nameOf(child),
          message: `required '${nameOf(child)}': ${need.neededBy} needs ${need.type} ${need.name}, which only optional ${earlier.map((p) => `'${nameOf(p)}'`).join(', ')} provides`,
        });
      }
    }
  }
  return problems;
}

/**
 * The root Application must sync an AppProject before any child that names it: Argo CD
 * refuses to sync an Application whose project does not exist yet.
 */
export function projectWaveProblems(
  projects: ReadonlyArray<{ metadata: { name: string; annotations?: Readonly<Record<string, string>> } }>,
  children: readonly ApplicationLike[],
): string[] {
  return projects.flatMap((project) =>
    children
      .filter((app) => app.spec.project === project.metadata.name && syncWave(app) <= syncWave(project))
      .map(
        (app) =>
          `AppProject ${project.metadata.name} (wave ${syncWave(project)}) is not synced before Application ${app.metadata.name} (wave ${syncWave(app)})`,
      ),
  );
}

// ----- this repository's render --------------------------------------------------------

/**
 * The objects rendered under each Git path, keyed like an Application's `source.path`
 * (`gitops/<env>/<folder>`), from the files of `renderGitopsFiles()` (`<env>/<folder>/<file>`).
 */
export function objectsByGitPath(files: ReadonlyMap<string, string>): Map<string, Manifest[]> {
  const byPath = new Map<string, Manifest[]>();
  for (const [file, content] of files) {
    const [env, ...rest] = file.split('/');
    const key = gitopsPath(env, rest.slice(0, -1).join('/'));
    const objects = parseAllDocuments(content)
      .map((d) => d.toJS() as Manifest | null)
      .filter((m): m is Manifest => m !== null);
    byPath.set(key, [...(byPath.get(key) ?? []), ...objects]);
  }
  return byPath;
}
