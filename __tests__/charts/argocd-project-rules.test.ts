/**
 * Argo CD's AppProject rules applied to what every environment renders: a child
 * Application whose repository, destination, namespaces or cluster-scoped kinds the
 * project does not permit never syncs — one refused object fails the whole sync.
 * The rules are modelled in ../support/argocd-rules.ts; the first block proves the model
 * on hand-made objects, the second applies it to the real render.
 */
import { Testing } from 'cdk8s';
import { AppOfAppsChart } from '../../charts/app-of-apps';
import { HELM_CHARTS } from '../../charts/constants';
import { renderGitopsFiles } from '../../charts/render';
import { ENVIRONMENTS } from '../../environments';
import { resolveEnvironment } from '../../lib/environment';
import {
  AppProjectLike,
  ApplicationLike,
  argoGlobMatch,
  createNamespaceProblem,
  destinationProblem,
  goFilepathMatch,
  GroupKind,
  isGroupKindPermitted,
  isNamespaced,
  isSourcePermitted,
  Manifest,
  normalizeGitUrl,
  objectsByGitPath,
  sourceProblem,
  syncPermissionProblem,
  unusedProjectPermissions,
} from '../support/argocd-rules';

const IN_CLUSTER = 'https://kubernetes.default.svc';

function project(spec: Partial<AppProjectLike['spec']> = {}): AppProjectLike {
  return {
    metadata: { name: 'trading' },
    spec: {
      sourceRepos: ['https://github.com/example-org/hetzner-trading-cluster.git'],
      destinations: [{ server: IN_CLUSTER, namespace: 'kafka' }],
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
      ...spec,
    },
  };
}

function application(overrides: Partial<ApplicationLike['spec']> = {}): ApplicationLike {
  return {
    metadata: { name: 'platform' },
    spec: {
      project: 'trading',
      source: { repoURL: 'https://github.com/example-org/hetzner-trading-cluster.git', path: 'gitops/dev/x' },
      destination: { server: IN_CLUSTER, namespace: 'kafka' },
      syncPolicy: { syncOptions: ['CreateNamespace=true'] },
      ...overrides,
    },
  };
}

const obj = (apiVersion: string, kind: string, name: string, namespace?: string): Manifest => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
});

describe('Argo CD project model (proved on hand-made objects)', () => {
  test('sourceRepos: a repository no pattern matches is refused with Argo CD message', () => {
    const app = application({ source: { repoURL: 'https://github.com/someone-else/fork.git', path: 'x' } });
    expect(sourceProblem(project(), app)).toBe(
      "application repo https://github.com/someone-else/fork.git is not permitted in project 'trading'",
    );
    expect(sourceProblem(project(), application())).toBeUndefined();
  });

  test('sourceRepos globs match as Argo CD does: `*` stops at `/`, `*` alone admits all, `!` excludes', () => {
    const org = project({ sourceRepos: ['https://github.com/example-org/*'] });
    expect(isSourcePermitted(org, 'https://github.com/example-org/repo.git')).toBe(true);
    expect(isSourcePermitted(org, 'https://github.com/example-org/group/repo.git')).toBe(false);
    expect(isSourcePermitted(project({ sourceRepos: ['*'] }), 'quay.io/strimzi-helm')).toBe(true);
    const denied = project({ sourceRepos: ['*', '!https://github.com/example-org/secret'] });
    expect(isSourcePermitted(denied, 'https://github.com/example-org/secret.git')).toBe(false);
    expect(isSourcePermitted(denied, 'https://github.com/example-org/other')).toBe(true);
    expect(normalizeGitUrl(' HTTPS://GitHub.com/Org/Repo.git ')).toBe('https://github.com/org/repo');
  });

  test('destinations: a namespace outside them is refused; globs and `!` deny patterns apply', () => {
    const app = application({ destination: { server: IN_CLUSTER, namespace: 'monitoring' } });
    expect(destinationProblem(project(), app)).toBe(
      "application destination server 'https://kubernetes.default.svc' and namespace 'monitoring' do not match any of the allowed destinations in project 'trading'",
    );
    const globbed = project({
      destinations: [
        { server: IN_CLUSTER, namespace: '*' },
        { server: IN_CLUSTER, namespace: '!kube-system' },
      ],
    });
    expect(destinationProblem(globbed, app)).toBeUndefined();
    const system = application({ destination: { server: IN_CLUSTER, namespace: 'kube-system' } });
    expect(destinationProblem(globbed, system)).toBeDefined();
  });

  test('a namespaced object in a namespace outside the destinations fails the sync', () => {
    const quota = obj('v1', 'ResourceQuota', 'app-capacity-share', 'monitoring');
    expect(syncPermissionProblem(project(), application(), quota)).toBe(
      "namespace monitoring is not permitted in project 'trading'",
    );
  });

  test("an object without a namespace is applied to the Application's destination namespace", () => {
    const cm = obj('v1', 'ConfigMap', 'settings');
    expect(syncPermissionProblem(project(), application(), cm)).toBeUndefined();
    const elsewhere = application({ destination: { server: IN_CLUSTER, namespace: 'ingestion' } });
    expect(syncPermissionProblem(project(), elsewhere, cm)).toBe(
      "namespace ingestion is not permitted in project 'trading'",
    );
  });

  test('a cluster-scoped kind needs the cluster whitelist, and a blacklist entry wins over it', () => {
    const pc = obj('scheduling.k8s.io/v1', 'PriorityClass', 'trading-high');
    expect(syncPermissionProblem(project(), application(), pc)).toBe(
      'resource scheduling.k8s.io:PriorityClass is not permitted in project trading',
    );
    const all = project({ clusterResourceWhitelist: [{ group: '*', kind: '*' }] });
    expect(syncPermissionProblem(all, application(), pc)).toBeUndefined();
    const blacklisted = project({
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      clusterResourceBlacklist: [{ group: 'scheduling.k8s.io', kind: 'Priority*' }],
    });
    expect(syncPermissionProblem(blacklisted, application(), pc)).toBeDefined();
  });

  test('a namespace whitelist, when given, must list every namespaced kind', () => {
    const gk = { group: 'apps', kind: 'Deployment' };
    expect(isGroupKindPermitted(project(), gk, true)).toBe(true);
    expect(isGroupKindPermitted(project({ namespaceResourceWhitelist: [] }), gk, true)).toBe(false);
    const onlyConfig = project({ namespaceResourceWhitelist: [{ group: '', kind: 'ConfigMap' }] });
    expect(isGroupKindPermitted(onlyConfig, gk, true)).toBe(false);
  });

  test('CreateNamespace=true is refused when the project does not whitelist Namespace', () => {
    expect(createNamespaceProblem(project({ clusterResourceWhitelist: [] }), application())).toBe(
      'CreateNamespace=true: resource :Namespace is not permitted in project trading',
    );
    expect(createNamespaceProblem(project(), application())).toBeUndefined();
  });

  test('least privilege: a destination, source or whitelisted kind that no child uses is reported', () => {
    const wide = project({
      sourceRepos: [
        'https://github.com/example-org/hetzner-trading-cluster.git',
        'https://charts.example.com',
      ],
      destinations: [
        { server: IN_CLUSTER, namespace: 'kafka' },
        { server: IN_CLUSTER, namespace: 'monitoring' },
      ],
      clusterResourceWhitelist: [
        { group: '', kind: 'Namespace' },
        { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
      ],
    });
    expect(
      unusedProjectPermissions(wide, [{ app: application(), objects: [obj('v1', 'ConfigMap', 'x')] }]),
    ).toEqual([
      'sourceRepo https://charts.example.com is used by no child',
      'destination namespace monitoring is used by no child',
      'whitelisted cluster kind rbac.authorization.k8s.io:ClusterRole is created by no child',
    ]);
    const helm = application({ source: { repoURL: 'https://charts.example.com', chart: 'x' } });
    const clusterScopedKinds = [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }];
    const monitoring = application({ destination: { server: IN_CLUSTER, namespace: 'monitoring' } });
    expect(
      unusedProjectPermissions(wide, [
        { app: helm, clusterScopedKinds },
        { app: monitoring, objects: [] },
      ]),
    ).toEqual([]);
  });

  test('glob dialects: gobwas (`**`, `{a,b}`, `[!x]`) for repositories, Go filepath.Match for kinds', () => {
    expect(argoGlobMatch('https://github.com/**', 'https://github.com/a/b', ['/'])).toBe(true);
    expect(argoGlobMatch('{kafka,ingestion}', 'ingestion')).toBe(true);
    expect(argoGlobMatch('trading-[!x]', 'trading-x')).toBe(false);
    expect(goFilepathMatch('*.k8s.io', 'scheduling.k8s.io')).toBe(true);
    expect(goFilepathMatch('[^a]*', 'apps')).toBe(false);
    expect(goFilepathMatch('[', 'x')).toBe(false);
  });

  test('scopes come from a table, never from a guess: an unknown kind is an error', () => {
    expect(isNamespaced({ group: '', kind: 'Namespace' })).toBe(false);
    expect(isNamespaced({ group: 'kafka.strimzi.io', kind: 'KafkaNodePool' })).toBe(true);
    expect(() => isNamespaced({ group: 'example.com', kind: 'Widget' })).toThrow(
      /unknown kind example.com\/Widget/,
    );
  });
});

/** A pinned Helm chart, with the cluster-scoped kinds it declares (charts/constants.ts). */
interface HelmChartPin {
  readonly repoUrl: string;
  readonly chart: string;
  readonly clusterScopedKinds?: readonly GroupKind[];
}

const rendered = objectsByGitPath(renderGitopsFiles());
const pins = Object.entries(HELM_CHARTS) as ReadonlyArray<[string, HelmChartPin]>;

describe.each(ENVIRONMENTS.map((config) => [config.name, config] as const))(
  'environment %s: the AppProject permits every child Application',
  (envName, config) => {
    const manifests = Testing.synth(
      new AppOfAppsChart(Testing.app(), 'apps', { env: resolveEnvironment(config) }),
    );
    const projects = manifests.filter((m) => m.kind === 'AppProject') as AppProjectLike[];
    const children = manifests.filter((m) => m.kind === 'Application') as Array<ApplicationLike & Manifest>;
    const where = (app: ApplicationLike) => `${envName} / Application ${app.metadata.name}`;

    /** Each child with its project; a missing project is a problem of its own. */
    const withProject = children.map((app) => ({
      app,
      project: projects.find((p) => p.metadata.name === (app.spec.project || 'default')),
    }));

    test('every child names an AppProject the root Application syncs', () => {
      const missing = withProject
        .filter(({ project }) => !project)
        .map(({ app }) => `${where(app)}: project '${app.spec.project}' is not rendered`);
      expect(missing).toEqual([]);
    });

    test("sourceRepos admits every child's repository", () => {
      const problems = withProject.flatMap(({ app, project }) => {
        const problem = project && sourceProblem(project, app);
        return problem ? [`${where(app)}: ${problem}`] : [];
      });
      expect(problems).toEqual([]);
    });

    test("destinations admit every child's destination", () => {
      const problems = withProject.flatMap(({ app, project }) => {
        const problem = project && destinationProblem(project, app);
        return problem ? [`${where(app)}: ${problem}`] : [];
      });
      expect(problems).toEqual([]);
    });

    test('CreateNamespace=true: the project permits the Namespace each child creates', () => {
      const problems = withProject.flatMap(({ app, project }) => {
        const problem = project && createNamespaceProblem(project, app);
        return problem ? [`${where(app)}: ${problem}`] : [];
      });
      expect(problems).toEqual([]);
    });

    test('every Git child syncs a folder that the render fills', () => {
      const empty = children
        .filter((app) => app.spec.source.path && !rendered.get(app.spec.source.path)?.length)
        .map((app) => `${where(app)}: nothing is rendered under ${app.spec.source.path}`);
      expect(empty).toEqual([]);
    });

    test("every object rendered into a Git child's folder is permitted: its namespace and its kind", () => {
      const problems = withProject.flatMap(({ app, project }) =>
        (project && app.spec.source.path ? (rendered.get(app.spec.source.path) ?? []) : []).flatMap((m) => {
          const problem = syncPermissionProblem(project!, app, m);
          const id = `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}`;
          return problem ? [`${where(app)} (${app.spec.source.path}) / ${id}: ${problem}`] : [];
        }),
      );
      expect(problems).toEqual([]);
    });

    /** The pin of a Helm child's chart in HELM_CHARTS, by chart name and repository. */
    const pinOf = (app: ApplicationLike) =>
      pins.find(
        ([, p]) =>
          p.chart === app.spec.source.chart &&
          normalizeGitUrl(p.repoUrl) === normalizeGitUrl(app.spec.source.repoURL),
      );

    test('Helm children: the project whitelists every cluster-scoped kind their chart declares', () => {
      const problems = withProject.flatMap(({ app, project }) => {
        const { chart, repoURL } = app.spec.source;
        if (!chart || !project) return [];
        const pin = pinOf(app);
        if (!pin) return [`${where(app)}: chart ${repoURL} ${chart} is not pinned in HELM_CHARTS`];
        const [key, { clusterScopedKinds }] = pin;
        if (!clusterScopedKinds) {
          return [
            `${where(app)}: HELM_CHARTS.${key} declares no clusterScopedKinds; list the cluster-scoped kinds its templates create`,
          ];
        }
        return clusterScopedKinds.flatMap((gk) => {
          if (isNamespaced(gk)) {
            return [
              `${where(app)}: HELM_CHARTS.${key} declares ${gk.group}/${gk.kind} cluster-scoped, but it is namespaced`,
            ];
          }
          return isGroupKindPermitted(project, gk, false)
            ? []
            : [
                `${where(app)} (chart ${chart}): resource ${gk.group}:${gk.kind} is not permitted in project ${project.metadata.name}`,
              ];
        });
      });
      expect(problems).toEqual([]);
    });

    test('the project permits nothing its children do not use: every sourceRepo, destination and whitelisted kind is needed', () => {
      const problems = projects.flatMap((project) =>
        unusedProjectPermissions(
          project,
          withProject
            .filter((c) => c.project === project)
            .map(({ app }) => ({
              app,
              objects: app.spec.source.path ? (rendered.get(app.spec.source.path) ?? []) : undefined,
              clusterScopedKinds: pinOf(app)?.[1].clusterScopedKinds,
            })),
        ).map((p) => `${envName} / AppProject ${project.metadata.name}: ${p}`),
      );
      expect(problems).toEqual([]);
    });
  },
);
