/**
 * What the Kubernetes API server does to the pods of every rendered Deployment: LimitRanger
 * defaults and limits, requests <= limits, the namespace's ResourceQuota through a rolling
 * update, and Pod Security Standards `restricted`. A Deployment that fails them is stored
 * but never gets a pod. Modelled in ../support/admission.ts (quantities in
 * ../support/quantity.ts); the first blocks prove the models on hand-made objects.
 */
import { parseAllDocuments } from 'yaml';
import { renderGitopsFiles } from '../../charts/render';
import { ENVIRONMENTS } from '../../environments';
import {
  admitPodResources,
  defaultLimitRangeItem,
  DeploymentLike,
  LimitRange,
  limitRanger,
  maxPodsDuringRollout,
  PodSpec,
  podQuotaUsage,
  podSecurityRestricted,
  quotaProblems,
  ResourceQuota,
} from '../support/admission';
import { Quantity, sumQuantities } from '../support/quantity';

const limitRange = (item: Partial<LimitRange['spec']['limits'][number]>): LimitRange => ({
  metadata: { name: 'container-defaults', namespace: 'ingestion' },
  spec: { limits: [{ type: 'Container', ...item }] },
});

const container = (resources: PodSpec['containers'][number]['resources']) => ({ name: 'app', resources });

/** A pod that passes `restricted`; tests break one field at a time. */
const compliantPod = (): PodSpec => ({
  securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [
    {
      name: 'app',
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    },
  ],
  volumes: [{ name: 'tmp', emptyDir: {} }],
});

const deployment = (
  replicas: number | undefined,
  cpu: string,
  strategy?: DeploymentLike['spec']['strategy'],
) => ({
  metadata: { name: 'ingest', namespace: 'ingestion' },
  spec: {
    ...(replicas === undefined ? {} : { replicas }),
    ...(strategy ? { strategy } : {}),
    template: { spec: { containers: [container({ requests: { cpu, memory: '256Mi' } })] } },
  },
});

describe('Kubernetes quantities', () => {
  test.each([
    ['250m', 250],
    ['1', 1000],
    [2, 2000],
    ['1.5', 1500],
    ['.5', 500],
    ['5.', 5000],
    ['1e3', 1_000_000],
    ['1.5e-3', 2], // 1.5m rounds up to 2m in milli-units
    ['2k', 2_000_000],
    ['+1', 1000],
  ])('%s is %d millis', (text, millis) => {
    expect(Quantity.parse(text).milliValue).toBe(millis);
  });

  test('binary and decimal suffixes are exact', () => {
    expect(Quantity.parse('1Ki').value).toBe(1024);
    expect(Quantity.parse('1.5Gi').value).toBe(1.5 * 2 ** 30);
    expect(Quantity.parse('1G').value).toBe(1e9);
    expect(Quantity.parse('1M').value).toBe(1e6);
    expect(Quantity.parse('1E').nanos).toBe(10n ** 27n);
    expect(Quantity.parse('1E3').value).toBe(1000);
    expect(Quantity.parse('100n').nanos).toBe(100n);
    expect(Quantity.parse('1e-10').nanos).toBe(1n); // sub-nano precision rounds up
    expect(Quantity.parse('0.1Gi').cmp(Quantity.parse('102.4Mi'))).toBe(0);
    expect(Quantity.parse('-1').cmp(Quantity.ZERO)).toBe(-1);
  });

  test.each(['', 'abc', '1.2.3', '1KB', 'e3', '.', 'Mi', '1e', '1i', '1 Gi'])(
    "'%s' is refused, as the API server refuses it",
    (text) => {
      expect(() => Quantity.parse(text)).toThrow(/quantity/);
    },
  );

  test('sums and products stay exact and print readably', () => {
    const total = sumQuantities(['100m', '200m', '0.7'].map((t) => Quantity.parse(t)));
    expect(total.cmp(Quantity.parse('1'))).toBe(0);
    expect(total.toString()).toBe('1');
    expect(Quantity.parse('256Mi').times(3).toString()).toBe('768Mi');
    expect(Quantity.parse('1500m').toString()).toBe('1500m');
    expect(Quantity.millis(250).cmp(Quantity.parse('0.25'))).toBe(0);
  });
});

describe('LimitRanger and resource validation (proved on hand-made pods)', () => {
  test('a missing defaultRequest falls back to default, a missing default to max (LimitRange defaulting)', () => {
    expect(defaultLimitRangeItem({ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } })).toEqual({
      type: 'Container',
      max: { cpu: '2' },
      min: { memory: '64Mi' },
      default: { cpu: '2' },
      defaultRequest: { cpu: '2', memory: '64Mi' },
    });
  });

  test('requesting 1500m CPU without a CPU limit where the default CPU limit is 1000m is refused', () => {
    const pod: PodSpec = { containers: [container({ requests: { cpu: '1500m' } })] };
    const { spec, errors } = admitPodResources(pod, [limitRange({ default: { cpu: '1000m' } })]);
    expect(spec.containers[0].resources?.limits).toEqual({ cpu: '1000m' });
    expect(errors).toEqual([
      'spec.containers[0].resources.requests: Invalid value: "1500m": must be less than or equal to cpu limit of 1',
    ]);
  });

  test('the same pod is admitted when the LimitRange sets no default CPU limit', () => {
    const pod: PodSpec = { containers: [container({ requests: { cpu: '1500m' } })] };
    expect(admitPodResources(pod, [limitRange({ defaultRequest: { cpu: '100m' } })]).errors).toEqual([]);
  });

  test('a limit without a request becomes the request before LimitRanger adds its defaultRequest', () => {
    const pod: PodSpec = { containers: [container({ limits: { cpu: '50m' } })] };
    const { spec, errors } = admitPodResources(pod, [limitRange({ defaultRequest: { cpu: '100m' } })]);
    expect(spec.containers[0].resources?.requests).toEqual({ cpu: '50m' });
    expect(errors).toEqual([]);
  });

  test('min, max and maxLimitRequestRatio are enforced per container with LimitRanger messages', () => {
    const pod: PodSpec = {
      containers: [container({ requests: { memory: '32Mi' }, limits: { memory: '2Gi' } })],
    };
    const { errors } = limitRanger(pod, [
      limitRange({ min: { memory: '64Mi' }, max: { memory: '1Gi' }, maxLimitRequestRatio: { memory: '4' } }),
    ]);
    expect(errors).toEqual([
      'container app: Minimum memory usage per Container is 64Mi, but request is 32Mi.',
      'container app: Maximum memory usage per Container is 1Gi, but limit is 2Gi.',
      'container app: memory max limit to request ratio per Container is 4, but provided ratio is 64.000000.',
    ]);
  });
});

describe('ResourceQuota and rollouts (proved on hand-made Deployments)', () => {
  test.each([
    [undefined, undefined, 2], // replicas default 1, maxSurge default 25 % of 1 rounded up
    [4, undefined, 5],
    [5, undefined, 7],
    [0, undefined, 0],
    [3, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } }, 3],
    [3, { type: 'RollingUpdate', rollingUpdate: { maxSurge: '50%' } }, 5],
    [3, { type: 'Recreate' }, 3],
  ] as const)('replicas %s with strategy %j peak at %d pods', (replicas, strategy, peak) => {
    expect(maxPodsDuringRollout(deployment(replicas, '1', strategy))).toBe(peak);
  });

  test('a rollout whose surge pod does not fit the quota is refused with exceeded quota', () => {
    const quota: ResourceQuota = {
      metadata: { name: 'app-capacity-share' },
      spec: { hard: { 'requests.cpu': '2500m' } },
    };
    const d = deployment(2, '1');
    expect(
      quotaProblems(quota, [
        { workload: 'ingest', pods: maxPodsDuringRollout(d), spec: d.spec.template.spec },
      ]),
    ).toEqual([
      'exceeded quota: app-capacity-share, requested: requests.cpu=3 (ingest 3 x 1), limited: requests.cpu=2500m',
    ]);
    expect(quotaProblems(quota, [{ workload: 'ingest', pods: 2, spec: d.spec.template.spec }])).toEqual([]);
  });

  test('a quota on limits.cpu refuses containers without a CPU limit (must specify)', () => {
    const quota: ResourceQuota = {
      metadata: { name: 'q' },
      spec: { hard: { 'limits.cpu': '4', pods: '10' } },
    };
    const spec: PodSpec = { containers: [container({ requests: { cpu: '1' } })] };
    expect(quotaProblems(quota, [{ workload: 'ingest', pods: 1, spec }])).toEqual([
      'ingest: failed quota: q: must specify limits.cpu for: app',
    ]);
  });

  test('a pod charges the larger of its containers and its largest init container (sidecars add up)', () => {
    const spec: PodSpec = {
      containers: [container({ requests: { cpu: '100m' } })],
      initContainers: [
        { name: 'migrate', resources: { requests: { cpu: '500m' } } },
        { name: 'proxy', restartPolicy: 'Always', resources: { requests: { cpu: '50m' } } },
      ],
    };
    expect(podQuotaUsage(spec).get('requests.cpu')?.toString()).toBe('500m');
    expect(podQuotaUsage(spec).get('pods')?.value).toBe(1);
  });
});

describe('Pod Security Standards restricted (proved on hand-made pods)', () => {
  const checks = (spec: PodSpec, annotations?: Record<string, string>) =>
    podSecurityRestricted({ annotations }, spec).map((v) => v.check);

  test('a hardened pod passes', () => {
    expect(podSecurityRestricted({}, compliantPod())).toEqual([]);
  });

  test('a pod without runAsNonRoot is refused with the PSA detail', () => {
    const pod = compliantPod();
    expect(
      podSecurityRestricted({}, { ...pod, securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }),
    ).toEqual([
      {
        check: 'runAsNonRoot',
        reason: 'runAsNonRoot != true',
        detail: 'pod or container "app" must set securityContext.runAsNonRoot=true',
      },
    ]);
  });

  test('each baseline and restricted control refuses its bad value', () => {
    const pod = compliantPod();
    const c = pod.containers[0];
    const withContainer = (sc: object, extra: object = {}) => ({
      ...pod,
      containers: [{ ...c, ...extra, securityContext: { ...c.securityContext, ...sc } }],
    });
    expect(checks({ ...pod, hostNetwork: true })).toEqual(['hostNamespaces']);
    expect(checks(withContainer({ privileged: true }))).toEqual(['privileged']);
    expect(checks(withContainer({ allowPrivilegeEscalation: undefined }))).toEqual([
      'allowPrivilegeEscalation',
    ]);
    expect(checks(withContainer({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }))).toEqual([]);
    expect(checks(withContainer({ capabilities: { drop: ['ALL'], add: ['CHOWN'] } }))).toEqual([
      'capabilities_restricted',
    ]);
    expect(checks(withContainer({ capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } }))).toEqual([
      'capabilities_baseline',
      'capabilities_restricted',
    ]);
    expect(checks(withContainer({ capabilities: {} }))).toEqual(['capabilities_restricted']);
    expect(checks(withContainer({ runAsUser: 0 }))).toEqual(['runAsUser']);
    expect(checks(withContainer({ seccompProfile: { type: 'Unconfined' } }))).toEqual([
      'seccompProfile_restricted',
    ]);
    expect(checks({ ...pod, securityContext: { runAsNonRoot: true } })).toEqual([
      'seccompProfile_restricted',
    ]);
    expect(checks(withContainer({ procMount: 'Unmasked' }))).toEqual(['procMount']);
    expect(checks(withContainer({ seLinuxOptions: { type: 'spc_t' } }))).toEqual(['seLinuxOptions']);
    expect(checks(withContainer({ appArmorProfile: { type: 'Unconfined' } }))).toEqual(['appArmorProfile']);
    expect(checks(pod, { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' })).toEqual([
      'appArmorProfile',
    ]);
    expect(checks(withContainer({}, { ports: [{ containerPort: 80, hostPort: 80 }] }))).toEqual([
      'hostPorts',
    ]);
    expect(checks(withContainer({}, { livenessProbe: { httpGet: { host: '10.0.0.1' } } }))).toEqual([
      'hostProbesAndHostLifecycle',
    ]);
    expect(checks({ ...pod, volumes: [{ name: 'root', hostPath: { path: '/' } }] })).toEqual([
      'hostPathVolumes',
      'restrictedVolumes',
    ]);
    expect(checks({ ...pod, volumes: [{ name: 'nfs', nfs: { server: 'x', path: '/' } }] })).toEqual([
      'restrictedVolumes',
    ]);
    const sysctls = (name: string) => ({
      ...pod,
      securityContext: { ...pod.securityContext, sysctls: [{ name }] },
    });
    expect(checks(sysctls('net.ipv4.tcp_keepalive_time'))).toEqual([]);
    expect(checks(sysctls('kernel.msgmax'))).toEqual(['sysctls']);
  });

  test('a pod in a user namespace (hostUsers: false) may run as UID 0 inside it', () => {
    const pod = compliantPod();
    expect(
      checks({
        ...pod,
        hostUsers: false,
        securityContext: { seccompProfile: { type: 'RuntimeDefault' }, runAsUser: 0 },
      }),
    ).toEqual([]);
  });
});

// ----- the real render -----------------------------------------------------------------

interface RenderedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly annotations?: Record<string, string>;
  };
  readonly spec: any;
}

const files = renderGitopsFiles();

/** Every object Argo CD syncs for an environment (the bootstrap copies are applied by k3s, not synced). */
function syncedObjects(envName: string): RenderedObject[] {
  return [...files.entries()]
    .filter(([file]) => file.startsWith(`${envName}/`) && !file.startsWith(`${envName}/bootstrap/`))
    .flatMap(([, content]) => parseAllDocuments(content).map((d) => d.toJS() as RenderedObject));
}

describe.each(ENVIRONMENTS.map((config) => [config.name] as const))(
  'environment %s: pods are admitted',
  (envName) => {
    const objects = syncedObjects(envName);
    const ofKind = <T>(kind: string) => objects.filter((o) => o.kind === kind) as unknown as T[];
    const deployments = ofKind<DeploymentLike & RenderedObject>('Deployment');
    const limitRanges = ofKind<LimitRange>('LimitRange');
    const quotas = ofKind<ResourceQuota>('ResourceQuota');
    const rangesIn = (ns?: string) => limitRanges.filter((lr) => lr.metadata.namespace === ns);
    const id = (d: DeploymentLike) => `${envName} / Deployment ${d.metadata.namespace}/${d.metadata.name}`;

    test('there are Deployments to check', () => {
      expect(deployments.length).toBeGreaterThan(0);
    });

    test("every Deployment's pods pass LimitRanger and requests <= limits in their namespace", () => {
      const problems = deployments.flatMap((d) =>
        admitPodResources(d.spec.template.spec, rangesIn(d.metadata.namespace)).errors.map(
          (e) => `${id(d)}: ${e}`,
        ),
      );
      expect(problems).toEqual([]);
    });

    test('a trading app requesting 1500m CPU and no CPU limit is admitted by its namespace LimitRange (apps may burst)', () => {
      const problems = deployments.flatMap((d) => {
        const spec: PodSpec = d.spec.template.spec;
        const bursting: PodSpec = {
          ...spec,
          containers: spec.containers.map((c) => ({
            ...c,
            resources: {
              requests: { ...c.resources?.requests, cpu: '1500m' },
              limits: Object.fromEntries(
                Object.entries(c.resources?.limits ?? {}).filter(([k]) => k !== 'cpu'),
              ),
            },
          })),
        };
        return admitPodResources(bursting, rangesIn(d.metadata.namespace)).errors.map(
          (e) => `${id(d)} at 1500m CPU: ${e}`,
        );
      });
      expect(problems).toEqual([]);
    });

    test("each namespace's Deployments fit its ResourceQuota with one rolling-update surge pod each", () => {
      const problems = quotas.flatMap((quota) => {
        const ns = quota.metadata.namespace;
        const demands = deployments
          .filter((d) => d.metadata.namespace === ns)
          .map((d) => ({
            workload: d.metadata.name,
            pods: maxPodsDuringRollout(d),
            spec: admitPodResources(d.spec.template.spec, rangesIn(ns)).spec,
          }));
        return quotaProblems(quota, demands).map((p) => `${envName} / namespace ${ns}: ${p}`);
      });
      expect(problems).toEqual([]);
    });

    test("every Deployment's pods pass Pod Security Standards restricted", () => {
      const problems = deployments.flatMap((d) =>
        podSecurityRestricted(d.spec.template.metadata ?? {}, d.spec.template.spec).map(
          (v) => `${id(d)}: violates PodSecurity "restricted:latest": ${v.reason} (${v.detail})`,
        ),
      );
      expect(problems).toEqual([]);
    });
  },
);
