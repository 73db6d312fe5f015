/**
 * A model of what the Kubernetes API server does to a pod before it stores it, for the
 * pods our workloads will create: API defaulting, the LimitRanger admission plugin, the
 * validation of requests against limits, the ResourceQuota admission plugin and Pod
 * Security Admission at level `restricted`. Each function names the upstream code it
 * follows (kubernetes/kubernetes, v1.34). A Deployment whose pods fail any of these is
 * accepted, but its ReplicaSet can never create a pod: the app silently never runs.
 */
import { Quantity } from './quantity';

/** Resource quantities by resource name (`cpu`, `memory`, ...), as YAML has them. */
export type ResourceList = Readonly<Record<string, string | number>>;

/** A container's resources. */
export interface ResourceRequirements {
  readonly requests?: ResourceList;
  readonly limits?: ResourceList;
}

/** The handler fields PSA reads in probes and lifecycle hooks. */
interface Handler {
  readonly httpGet?: { readonly host?: string };
  readonly tcpSocket?: { readonly host?: string };
}

/** The container fields the model reads. */
export interface Container {
  readonly name: string;
  readonly resources?: ResourceRequirements;
  readonly restartPolicy?: string;
  readonly ports?: ReadonlyArray<{ readonly containerPort?: number; readonly hostPort?: number }>;
  readonly livenessProbe?: Handler;
  readonly readinessProbe?: Handler;
  readonly startupProbe?: Handler;
  readonly lifecycle?: { readonly postStart?: Handler; readonly preStop?: Handler };
  readonly securityContext?: SecurityContext & {
    readonly privileged?: boolean;
    readonly allowPrivilegeEscalation?: boolean;
    readonly capabilities?: { readonly add?: readonly string[]; readonly drop?: readonly string[] };
    readonly procMount?: string;
  };
}

/** Security settings that exist on both the pod and its containers. */
export interface SecurityContext {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly seccompProfile?: { readonly type?: string };
  readonly appArmorProfile?: { readonly type?: string };
  readonly seLinuxOptions?: { readonly type?: string; readonly user?: string; readonly role?: string };
  readonly windowsOptions?: { readonly hostProcess?: boolean };
}

/** The pod spec fields the model reads. */
export interface PodSpec {
  readonly containers: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly ephemeralContainers?: readonly Container[];
  readonly securityContext?: SecurityContext & {
    readonly sysctls?: ReadonlyArray<{ readonly name: string; readonly value?: string }>;
  };
  readonly hostNetwork?: boolean;
  readonly hostPID?: boolean;
  readonly hostIPC?: boolean;
  readonly hostUsers?: boolean;
  readonly volumes?: ReadonlyArray<{ readonly name: string } & Readonly<Record<string, unknown>>>;
  readonly priorityClassName?: string;
}

/** One entry of a LimitRange's `spec.limits`. */
export interface LimitRangeItem {
  readonly type: string;
  readonly default?: ResourceList;
  readonly defaultRequest?: ResourceList;
  readonly min?: ResourceList;
  readonly max?: ResourceList;
  readonly maxLimitRequestRatio?: ResourceList;
}

/** A LimitRange. */
export interface LimitRange {
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec: { readonly limits: readonly LimitRangeItem[] };
}

/** A ResourceQuota. */
export interface ResourceQuota {
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec: { readonly hard: ResourceList };
}

type MutableList = Record<string, string | number>;
type MutableContainer = Omit<Container, 'resources'> & {
  resources: { requests: MutableList; limits: MutableList };
};

const q = (v: string | number) => Quantity.parse(v);
const copyContainer = (c: Container): MutableContainer => ({
  ...c,
  resources: { requests: { ...c.resources?.requests }, limits: { ...c.resources?.limits } },
});
const isSidecar = (c: Container) => c.restartPolicy === 'Always';

/** The containers of a pod with the field path the API server names in its errors. */
function containersWithPath(spec: PodSpec): Array<{ path: string; container: Container }> {
  const list = (field: 'containers' | 'initContainers' | 'ephemeralContainers') =>
    (spec[field] ?? []).map((container, i) => ({ path: `spec.${field}[${i}]`, container }));
  return [...list('initContainers'), ...list('containers'), ...list('ephemeralContainers')];
}

// ----- defaulting and LimitRanger ------------------------------------------------------

/**
 * `SetDefaults_Pod` (pkg/apis/core/v1/defaults.go): a container that sets a limit but no
 * request for a resource gets the limit as its request. (Pod templates are not defaulted
 * this way; the pods a ReplicaSet creates are.)
 */
export function defaultPodRequests(spec: PodSpec): PodSpec {
  const withRequests = (c: Container): Container => {
    const copy = copyContainer(c);
    for (const [name, limit] of Object.entries(copy.resources.limits)) {
      if (!(name in copy.resources.requests)) copy.resources.requests[name] = limit;
    }
    return copy;
  };
  return {
    ...spec,
    containers: spec.containers.map(withRequests),
    initContainers: spec.initContainers?.map(withRequests),
  };
}

/**
 * `SetDefaults_LimitRangeItem` (pkg/apis/core/v1/defaults.go), applied when the
 * LimitRange is stored: for type Container, a missing `default` falls back to `max`, a
 * missing `defaultRequest` to `default`, then to `min`.
 */
export function defaultLimitRangeItem(item: LimitRangeItem): LimitRangeItem {
  if (item.type !== 'Container') return item;
  const def: MutableList = { ...item.default };
  const defaultRequest: MutableList = { ...item.defaultRequest };
  for (const [k, v] of Object.entries(item.max ?? {})) if (!(k in def)) def[k] = v;
  for (const [k, v] of Object.entries(def)) if (!(k in defaultRequest)) defaultRequest[k] = v;
  for (const [k, v] of Object.entries(item.min ?? {})) if (!(k in defaultRequest)) defaultRequest[k] = v;
  return { ...item, default: def, defaultRequest };
}

function minConstraint(
  type: string,
  res: string,
  enforced: Quantity,
  c: MutableContainer,
): string | undefined {
  const req = c.resources.requests[res];
  const lim = c.resources.limits[res];
  if (req === undefined) return `Minimum ${res} usage per ${type} is ${enforced}.  No request is specified.`;
  if (q(req).cmp(enforced) < 0)
    return `Minimum ${res} usage per ${type} is ${enforced}, but request is ${req}.`;
  if (lim !== undefined && q(lim).cmp(enforced) < 0) {
    return `Minimum ${res} usage per ${type} is ${enforced}, but limit is ${lim}.`;
  }
  return undefined;
}

function maxConstraint(
  type: string,
  res: string,
  enforced: Quantity,
  c: MutableContainer,
): string | undefined {
  const req = c.resources.requests[res];
  const lim = c.resources.limits[res];
  if (lim === undefined) return `Maximum ${res} usage per ${type} is ${enforced}.  No limit is specified.`;
  if (q(lim).cmp(enforced) > 0)
    return `Maximum ${res} usage per ${type} is ${enforced}, but limit is ${lim}.`;
  if (req !== undefined && q(req).cmp(enforced) > 0) {
    return `Maximum ${res} usage per ${type} is ${enforced}, but request is ${req}.`;
  }
  return undefined;
}

function ratioConstraint(
  type: string,
  res: string,
  enforced: Quantity,
  c: MutableContainer,
): string | undefined {
  const req = c.resources.requests[res];
  const lim = c.resources.limits[res];
  if (req === undefined || q(req).cmp(Quantity.ZERO) === 0) {
    return `${res} max limit to request ratio per ${type} is ${enforced}, but no request is specified or request is 0.`;
  }
  if (lim === undefined || q(lim).cmp(Quantity.ZERO) === 0) {
    return `${res} max limit to request ratio per ${type} is ${enforced}, but no limit is specified or limit is 0.`;
  }
  const ratio = Number(q(lim).nanos) / Number(q(req).nanos);
  return ratio > Number(enforced.nanos) / 1e9
    ? `${res} max limit to request ratio per ${type} is ${enforced}, but provided ratio is ${ratio.toFixed(6)}.`
    : undefined;
}

/**
 * The LimitRanger admission plugin (plugin/pkg/admission/limitranger/admission.go) with
 * the namespace's LimitRanges: first it merges each Container-type item's `default` into
 * missing limits and `defaultRequest` into missing requests of every container and init
 * container (`mergeContainerResources`), then it enforces `min`, `max` and
 * `maxLimitRequestRatio` per container (`PodLimitFunc`). Pod-type items are not modelled.
 * @returns the pod as admitted and the refusals (empty when admitted)
 */
export function limitRanger(
  spec: PodSpec,
  limitRanges: readonly LimitRange[],
): { spec: PodSpec; errors: string[] } {
  const containers = spec.containers.map(copyContainer);
  const initContainers = (spec.initContainers ?? []).map(copyContainer);
  const all = [...containers, ...initContainers];
  const errors: string[] = [];
  const items = limitRanges.flatMap((lr) =>
    lr.spec.limits.filter((i) => i.type === 'Container').map(defaultLimitRangeItem),
  );
  for (const item of items) {
    for (const c of all) {
      for (const [k, v] of Object.entries(item.default ?? {}))
        if (!(k in c.resources.limits)) c.resources.limits[k] = v;
      for (const [k, v] of Object.entries(item.defaultRequest ?? {})) {
        if (!(k in c.resources.requests)) c.resources.requests[k] = v;
      }
    }
  }
  for (const item of items) {
    for (const c of all) {
      const checks = [
        ...Object.entries(item.min ?? {}).map(([k, v]) => minConstraint(item.type, k, q(v), c)),
        ...Object.entries(item.max ?? {}).map(([k, v]) => maxConstraint(item.type, k, q(v), c)),
        ...Object.entries(item.maxLimitRequestRatio ?? {}).map(([k, v]) =>
          ratioConstraint(item.type, k, q(v), c),
        ),
      ];
      errors.push(
        ...checks.filter((e): e is string => e !== undefined).map((e) => `container ${c.name}: ${e}`),
      );
    }
  }
  return {
    spec: { ...spec, containers, initContainers: spec.initContainers ? initContainers : undefined },
    errors,
  };
}

/**
 * `ValidateResourceRequirements` (pkg/apis/core/validation/validation.go): a request may
 * not exceed the limit of the same resource. The pod is refused as Invalid.
 */
export function validateResourceRequirements(spec: PodSpec): string[] {
  return containersWithPath(spec).flatMap(({ path, container }) =>
    Object.entries(container.resources?.requests ?? {}).flatMap(([name, request]) => {
      const limit = container.resources?.limits?.[name];
      if (limit === undefined || q(request).cmp(q(limit)) <= 0) return [];
      return [
        `${path}.resources.requests: Invalid value: "${q(request)}": must be less than or equal to ${name} limit of ${q(limit)}`,
      ];
    }),
  );
}

/**
 * Everything the API server does to a new pod's resources, in its order: defaulting
 * (`SetDefaults_Pod`), mutating admission (LimitRanger defaults), validation (requests <=
 * limits), then LimitRanger's min/max/ratio checks.
 */
export function admitPodResources(
  spec: PodSpec,
  limitRanges: readonly LimitRange[],
): { spec: PodSpec; errors: string[] } {
  const admitted = limitRanger(defaultPodRequests(spec), limitRanges);
  return {
    spec: admitted.spec,
    errors: [...validateResourceRequirements(admitted.spec), ...admitted.errors],
  };
}

// ----- ResourceQuota -------------------------------------------------------------------

/** Resource names the pod evaluator requires every container to set when a quota tracks them. */
const QUOTA_VALIDATION_SET = [
  'cpu',
  'memory',
  'requests.cpu',
  'requests.memory',
  'limits.cpu',
  'limits.memory',
];

/** `podComputeUsageHelper` (pkg/quota/v1/evaluator/core/pods.go): quota names charged for requests and limits. */
function computeUsage(
  requests: Readonly<Record<string, Quantity>>,
  limits: Readonly<Record<string, Quantity>>,
) {
  const usage = new Map<string, Quantity>([['pods', Quantity.parse(1)]]);
  for (const res of ['cpu', 'memory', 'ephemeral-storage']) {
    if (requests[res]) {
      usage.set(res, requests[res]);
      usage.set(`requests.${res}`, requests[res]);
    }
    if (limits[res]) usage.set(`limits.${res}`, limits[res]);
  }
  return usage;
}

/**
 * `PodRequests` / `PodLimits` (k8s.io/component-helpers/resource): the sum over
 * containers, plus sidecars (init containers with `restartPolicy: Always`), or the
 * largest init container (with the sidecars started before it) if that is more.
 */
export function podResources(spec: PodSpec, field: 'requests' | 'limits'): Record<string, Quantity> {
  const of = (c: Container) =>
    Object.fromEntries(Object.entries(c.resources?.[field] ?? {}).map(([k, v]) => [k, q(v)]));
  const add = (a: Record<string, Quantity>, b: Record<string, Quantity>) => {
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? Quantity.ZERO).add(v);
    return out;
  };
  const max = (a: Record<string, Quantity>, b: Record<string, Quantity>) => {
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) if (!out[k] || v.cmp(out[k]) > 0) out[k] = v;
    return out;
  };
  let total: Record<string, Quantity> = spec.containers.map(of).reduce(add, {});
  let sidecars: Record<string, Quantity> = {};
  let init: Record<string, Quantity> = {};
  for (const c of spec.initContainers ?? []) {
    if (isSidecar(c)) {
      total = add(total, of(c));
      sidecars = add(sidecars, of(c));
      init = max(init, sidecars);
    } else {
      init = max(init, add(of(c), sidecars));
    }
  }
  return max(total, init);
}

/** What one pod charges against a namespace's quota (`PodUsageFunc`), by quota resource name. */
export function podQuotaUsage(spec: PodSpec): Map<string, Quantity> {
  return computeUsage(podResources(spec, 'requests'), podResources(spec, 'limits'));
}

/**
 * `podEvaluator.Constraints` (pkg/quota/v1/evaluator/core/pods.go): when a quota tracks
 * CPU or memory requests or limits, every container must set them (after LimitRanger).
 * @returns the quota plugin's refusal, or undefined
 */
export function quotaConstraintProblem(spec: PodSpec, quota: ResourceQuota): string | undefined {
  const required = Object.keys(quota.spec.hard).filter((r) => QUOTA_VALIDATION_SET.includes(r));
  const missing = new Map<string, string[]>();
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
    const requests = Object.fromEntries(
      Object.entries(c.resources?.requests ?? {}).map(([k, v]) => [k, q(v)]),
    );
    const limits = Object.fromEntries(Object.entries(c.resources?.limits ?? {}).map(([k, v]) => [k, q(v)]));
    const has = computeUsage(requests, limits);
    for (const r of required.filter((r) => !has.has(r))) missing.set(r, [...(missing.get(r) ?? []), c.name]);
  }
  if (missing.size === 0) return undefined;
  const what = [...missing.entries()].sort().map(([r, names]) => `${r} for: ${names.sort().join(',')}`);
  return `failed quota: ${quota.metadata.name}: must specify ${what.join('; ')}`;
}

/** `intstr.GetScaledValueFromIntOrPercent`: `25%` of `total`, rounded up or down; an integer as is. */
export function scaledValue(value: string | number, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+)%$/.exec(value);
  if (!match)
    throw new Error(`invalid value for IntOrString: '${value}' is neither an integer nor a percentage`);
  const scaled = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** The Deployment fields the rollout model reads. */
export interface DeploymentLike {
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec: {
    readonly replicas?: number;
    readonly strategy?: {
      readonly type?: string;
      readonly rollingUpdate?: {
        readonly maxSurge?: string | number;
        readonly maxUnavailable?: string | number;
      };
    };
    readonly template: {
      readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> };
      readonly spec: PodSpec;
    };
  };
}

/**
 * Most pods of a Deployment alive at once, all charged to the quota: `replicas` (default
 * 1) plus, for a RollingUpdate (the default), `maxSurge` (default 25 %, rounded up:
 * `deploymentutil.ResolveFenceposts`). A rollout that cannot create its surge pod stalls.
 */
export function maxPodsDuringRollout(deployment: DeploymentLike): number {
  const replicas = deployment.spec.replicas ?? 1;
  const strategy = deployment.spec.strategy;
  if (strategy?.type === 'Recreate') return replicas;
  return replicas + scaledValue(strategy?.rollingUpdate?.maxSurge ?? '25%', replicas, true);
}

/** Pods of one workload charged to a quota: how many at most, and the spec as admitted. */
export interface QuotaDemand {
  readonly workload: string;
  readonly pods: number;
  readonly spec: PodSpec;
}

/**
 * The ResourceQuota admission plugin (plugin/pkg/admission/resourcequota/controller.go):
 * a pod is refused ("exceeded quota") when the namespace's usage plus the pod's would go
 * over any tracked `hard` value. Here the usage is every demand at its peak together.
 * Only the compute resources the pod evaluator charges are modelled (`pods`, `cpu`,
 * `memory`, `requests.*`, `limits.*`, `ephemeral-storage`).
 */
export function quotaProblems(quota: ResourceQuota, demands: readonly QuotaDemand[]): string[] {
  const problems: string[] = [];
  for (const demand of demands) {
    const problem = quotaConstraintProblem(demand.spec, quota);
    if (problem) problems.push(`${demand.workload}: ${problem}`);
  }
  for (const [resource, hardValue] of Object.entries(quota.spec.hard)) {
    const hard = q(hardValue);
    const parts = demands.flatMap((d) => {
      const perPod = podQuotaUsage(d.spec).get(resource);
      return perPod ? [{ d, perPod, total: perPod.times(d.pods) }] : [];
    });
    if (parts.length === 0) continue;
    const used = parts.reduce((sum, p) => sum.add(p.total), Quantity.ZERO);
    if (used.cmp(hard) > 0) {
      const detail = parts.map((p) => `${p.d.workload} ${p.d.pods} x ${p.perPod}`).join(' + ');
      problems.push(
        `exceeded quota: ${quota.metadata.name}, requested: ${resource}=${used} (${detail}), limited: ${resource}=${hard}`,
      );
    }
  }
  return problems;
}

// ----- Pod Security Standards: restricted -----------------------------------------------

/** A PSA check that refuses the pod: its check ID, reason and detail, as PSA reports them. */
export interface PodSecurityViolation {
  readonly check: string;
  readonly reason: string;
  readonly detail: string;
}

const quoteList = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');
const containersLabel = (names: readonly string[]) =>
  `${names.length === 1 ? 'container' : 'containers'} ${quoteList(names)}`;

/** Sysctls the baseline level allows (check_sysctls.go; the 1.29 and 1.32 additions included). */
export const SAFE_SYSCTLS: readonly string[] = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
];

/** Capabilities the baseline level lets a container add (check_capabilities_baseline.go). */
const BASELINE_CAPABILITIES = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
];

/** Volume sources the restricted level allows (check_restrictedVolumes.go; `image` since 1.33). */
const RESTRICTED_VOLUME_SOURCES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];

/**
 * Pod Security Admission at level `restricted`, version latest
 * (staging/src/k8s.io/pod-security-admission/policy/check_*.go): every baseline check
 * (host namespaces, privileged, capabilities, hostPath, host ports, host probes, AppArmor,
 * SELinux, /proc mount, sysctls, Windows HostProcess) and every restricted one (volume
 * types, allowPrivilegeEscalation, runAsNonRoot, runAsUser, seccomp, capabilities).
 * Pods in a user namespace (`hostUsers: false`) get the upstream relaxations of
 * runAsNonRoot and runAsUser; Windows pods are not modelled.
 * @returns every violation (empty when the pod is allowed)
 */
export function podSecurityRestricted(
  metadata: { readonly annotations?: Readonly<Record<string, string>> },
  spec: PodSpec,
): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  const add = (check: string, reason: string, detail: string) => violations.push({ check, reason, detail });
  const containers = containersWithPath(spec).map((c) => c.container);
  const pod = spec.securityContext;
  const userNamespaced = spec.hostUsers === false;
  const names = (pred: (c: Container) => boolean) => containers.filter(pred).map((c) => c.name);

  // --- baseline ---
  const hostProcess = names((c) => c.securityContext?.windowsOptions?.hostProcess === true);
  if (pod?.windowsOptions?.hostProcess === true || hostProcess.length > 0) {
    add(
      'windowsHostProcess',
      'hostProcess',
      'pod or containers must not set securityContext.windowsOptions.hostProcess=true',
    );
  }
  const hostNs = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((f) => spec[f] === true);
  if (hostNs.length > 0) add('hostNamespaces', 'host namespaces', hostNs.map((f) => `${f}=true`).join(', '));
  const privileged = names((c) => c.securityContext?.privileged === true);
  if (privileged.length > 0) {
    add(
      'privileged',
      'privileged',
      `${containersLabel(privileged)} must not set securityContext.privileged=true`,
    );
  }
  const extraCaps = containers.flatMap((c) =>
    (c.securityContext?.capabilities?.add ?? []).filter((cap) => !BASELINE_CAPABILITIES.includes(cap)),
  );
  if (extraCaps.length > 0) {
    add(
      'capabilities_baseline',
      'non-default capabilities',
      `must not include ${quoteList(extraCaps)} in securityContext.capabilities.add`,
    );
  }
  const hostPaths = (spec.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => v.name);
  if (hostPaths.length > 0) add('hostPathVolumes', 'hostPath volumes', `volumes ${quoteList(hostPaths)}`);
  const hostPorts = containers.flatMap((c) => (c.ports ?? []).filter((p) => (p.hostPort ?? 0) !== 0));
  if (hostPorts.length > 0)
    add('hostPorts', 'hostPort', `hostPorts ${hostPorts.map((p) => p.hostPort).join(', ')}`);
  const handlerHosts = containers.filter((c) =>
    [c.livenessProbe, c.readinessProbe, c.startupProbe, c.lifecycle?.postStart, c.lifecycle?.preStop].some(
      (h) => !!h?.httpGet?.host || !!h?.tcpSocket?.host,
    ),
  );
  if (handlerHosts.length > 0) {
    add(
      'hostProbesAndHostLifecycle',
      'probe or lifecycle host',
      `${containersLabel(handlerHosts.map((c) => c.name))} set a host`,
    );
  }
  const badAppArmor = (p?: { type?: string }) =>
    p?.type !== undefined && !['RuntimeDefault', 'Localhost'].includes(p.type);
  const appArmorAnnotations = Object.entries(metadata.annotations ?? {}).filter(
    ([k, v]) =>
      k.startsWith('container.apparmor.security.beta.kubernetes.io/') &&
      v !== 'runtime/default' &&
      !v.startsWith('localhost/'),
  );
  if (
    badAppArmor(pod?.appArmorProfile) ||
    names((c) => badAppArmor(c.securityContext?.appArmorProfile)).length ||
    appArmorAnnotations.length
  ) {
    add(
      'appArmorProfile',
      'forbidden AppArmor profile',
      'AppArmor profile must be RuntimeDefault or Localhost',
    );
  }
  const badSeLinux = (o?: SecurityContext['seLinuxOptions']) =>
    !!o && (!SELINUX_TYPES.includes(o.type ?? '') || !!o.user || !!o.role);
  if (badSeLinux(pod?.seLinuxOptions) || names((c) => badSeLinux(c.securityContext?.seLinuxOptions)).length) {
    add(
      'seLinuxOptions',
      'seLinuxOptions',
      'only the container_t/container_init_t/container_kvm_t/container_engine_t types, no user or role',
    );
  }
  const procMount = names((c) => (c.securityContext?.procMount ?? 'Default') !== 'Default');
  if (procMount.length > 0)
    add('procMount', 'procMount', `${containersLabel(procMount)} must not set securityContext.procMount`);
  const sysctls = (pod?.sysctls ?? []).map((s) => s.name).filter((n) => !SAFE_SYSCTLS.includes(n));
  if (sysctls.length > 0) add('sysctls', 'forbidden sysctls', sysctls.join(', '));

  // --- restricted ---
  const restrictedVolumes = (spec.volumes ?? [])
    .filter((v) => !RESTRICTED_VOLUME_SOURCES.some((source) => v[source] !== undefined))
    .map((v) => v.name);
  if (restrictedVolumes.length > 0) {
    add(
      'restrictedVolumes',
      'restricted volume types',
      `volumes ${quoteList(restrictedVolumes)} have restricted types`,
    );
  }
  const escalating = names((c) => c.securityContext?.allowPrivilegeEscalation !== false);
  if (escalating.length > 0) {
    add(
      'allowPrivilegeEscalation',
      'allowPrivilegeEscalation != false',
      `${containersLabel(escalating)} must set securityContext.allowPrivilegeEscalation=false`,
    );
  }
  if (!userNamespaced) {
    const podNonRoot = pod?.runAsNonRoot === true;
    const explicitRoot = names((c) => c.securityContext?.runAsNonRoot === false);
    const implicit = names((c) => c.securityContext?.runAsNonRoot === undefined && !podNonRoot);
    if (pod?.runAsNonRoot === false || explicitRoot.length > 0) {
      add(
        'runAsNonRoot',
        'runAsNonRoot != true',
        'pod or containers must not set securityContext.runAsNonRoot=false',
      );
    } else if (implicit.length > 0) {
      add(
        'runAsNonRoot',
        'runAsNonRoot != true',
        `pod or ${containersLabel(implicit)} must set securityContext.runAsNonRoot=true`,
      );
    }
    const rootUser = names((c) => c.securityContext?.runAsUser === 0);
    if (pod?.runAsUser === 0 || rootUser.length > 0) {
      add('runAsUser', 'runAsUser=0', 'pod and containers must not set runAsUser=0');
    }
  }
  const okSeccomp = (t?: string) => t === 'RuntimeDefault' || t === 'Localhost';
  const podSeccomp = pod?.seccompProfile;
  const explicitSeccomp = names(
    (c) => !!c.securityContext?.seccompProfile && !okSeccomp(c.securityContext.seccompProfile.type),
  );
  const implicitSeccomp = names((c) => !c.securityContext?.seccompProfile && !okSeccomp(podSeccomp?.type));
  if ((podSeccomp && !okSeccomp(podSeccomp.type)) || explicitSeccomp.length > 0) {
    add(
      'seccompProfile_restricted',
      'seccompProfile',
      'pod or containers must not set securityContext.seccompProfile.type to other than "RuntimeDefault" or "Localhost"',
    );
  } else if (implicitSeccomp.length > 0) {
    add(
      'seccompProfile_restricted',
      'seccompProfile',
      `pod or ${containersLabel(implicitSeccomp)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
    );
  }
  const missingDropAll = names((c) => !(c.securityContext?.capabilities?.drop ?? []).includes('ALL'));
  const addingForbidden = names((c) =>
    (c.securityContext?.capabilities?.add ?? []).some((cap) => cap !== 'NET_BIND_SERVICE'),
  );
  if (missingDropAll.length > 0 || addingForbidden.length > 0) {
    const details = [
      ...(missingDropAll.length
        ? [`${containersLabel(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`]
        : []),
      ...(addingForbidden.length
        ? [`${containersLabel(addingForbidden)} must not add capabilities other than "NET_BIND_SERVICE"`]
        : []),
    ];
    add('capabilities_restricted', 'unrestricted capabilities', details.join('; '));
  }
  return violations;
}
