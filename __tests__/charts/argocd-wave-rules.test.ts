/**
 * Sync-wave rules of the app-of-apps: the root Application syncs its children wave by
 * wave and, with the Application health check of charts/bootstrap.ts, moves on only when
 * a wave is Healthy. A child that never becomes Healthy blocks every later wave, and a
 * child whose namespace, CRD or PriorityClass comes later (or never) cannot become Healthy.
 * Modelled in ../support/argocd-rules.ts; the first block proves the model.
 */
import { Testing } from 'cdk8s';
import { AppOfAppsChart } from '../../charts/app-of-apps';
import { renderGitopsFiles } from '../../charts/render';
import { ENVIRONMENTS } from '../../environments';
import { resolveEnvironment } from '../../lib/environment';
import {
  ApplicationLike,
  ChildApplication,
  Manifest,
  objectsByGitPath,
  prerequisitesOf,
  projectWaveProblems,
  syncWave,
  waveProblems,
  WaveProblem,
} from '../support/argocd-rules';

/**
 * Applications an environment may turn off (`monitoring: false`). Defined here, not
 * imported, so the test does not trust the code it checks.
 */
const OPTIONAL = new Set(['monitoring']);

const IN_CLUSTER = 'https://kubernetes.default.svc';
const REPO = 'https://github.com/example-org/hetzner-trading-cluster.git';

function gitChild(name: string, wave: number, namespace: string, objects: Manifest[]): ChildApplication {
  const app: ApplicationLike = {
    metadata: { name, annotations: { 'argocd.argoproj.io/sync-wave': String(wave) } },
    spec: {
      source: { repoURL: REPO, path: `gitops/dev/${name}` },
      destination: { server: IN_CLUSTER, namespace },
      syncPolicy: { syncOptions: ['CreateNamespace=true'] },
    },
  };
  return { app, objects };
}

function helmChild(
  name: string,
  wave: number,
  namespace: string,
  chart: string,
  values: unknown,
): ChildApplication {
  const app: ApplicationLike = {
    metadata: { name, annotations: { 'argocd.argoproj.io/sync-wave': String(wave) } },
    spec: {
      source: { repoURL: 'https://charts.example.com', chart, helm: { valuesObject: values } },
      destination: { server: IN_CLUSTER, namespace },
      syncPolicy: { syncOptions: ['CreateNamespace=true'] },
    },
  };
  return { app };
}

const m = (apiVersion: string, kind: string, name: string, namespace?: string, spec?: unknown): Manifest => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  ...(spec ? { spec } : {}),
});

const platform = (wave = 0) =>
  gitChild('platform', wave, 'argocd', [
    m('v1', 'Namespace', 'ingestion'),
    m('v1', 'Namespace', 'kafka'),
    m('scheduling.k8s.io/v1', 'PriorityClass', 'trading-high'),
    m('scheduling.k8s.io/v1', 'PriorityClass', 'kafka-critical'),
  ]);
const deployment = (priorityClassName: string) =>
  m('apps/v1', 'Deployment', 'ingest', 'ingestion', {
    template: { spec: { priorityClassName, containers: [] } },
  });
const messages = (problems: WaveProblem[], rule: WaveProblem['rule']) =>
  problems.filter((p) => p.rule === rule).map((p) => p.message);

describe('Argo CD wave model (proved on hand-made Applications)', () => {
  test('an optional Application at or before a required one breaks optional-last', () => {
    const apps = [
      platform(0),
      gitChild('monitoring', 1, 'monitoring', []),
      gitChild('trading-apps', 1, 'ingestion', []),
    ];
    expect(messages(waveProblems(apps, OPTIONAL), 'optional-last')).toEqual([
      "optional Application 'monitoring' (wave 1) does not come after required 'trading-apps' (wave 1): if it never becomes Healthy, 'trading-apps' never syncs",
    ]);
  });

  test('a PriorityClass from the same wave is not a prerequisite met; from an earlier wave it is', () => {
    const apps = (platformWave: number) => [
      platform(platformWave),
      gitChild('trading-apps', 1, 'ingestion', [deployment('trading-high')]),
    ];
    expect(messages(waveProblems(apps(1), OPTIONAL), 'prerequisite')).toEqual([
      "'trading-apps' (wave 1): Deployment ingestion/ingest needs PriorityClass trading-high, provided only by 'platform' (wave 1), not by an earlier wave",
    ]);
    expect(waveProblems(apps(0), OPTIONAL)).toEqual([]);
  });

  test('an unknown PriorityClass is provided by no Application', () => {
    const problems = waveProblems(
      [platform(0), gitChild('trading-apps', 1, 'ingestion', [deployment('nope')])],
      OPTIONAL,
    );
    expect(messages(problems, 'prerequisite')).toEqual([
      "'trading-apps' (wave 1): Deployment ingestion/ingest needs PriorityClass nope, provided by no Application, not by an earlier wave",
    ]);
  });

  test('a custom kind needs the operator that installs its CRDs in an earlier wave', () => {
    const kafka = gitChild('kafka', 1, 'kafka', [
      m('kafka.strimzi.io/v1', 'Kafka', 'trading-cluster', 'kafka'),
    ]);
    const operator = (wave: number) =>
      helmChild('strimzi-operator', wave, 'kafka', 'strimzi-kafka-operator', {});
    expect(messages(waveProblems([platform(0), operator(1), kafka], OPTIONAL), 'prerequisite')).toEqual([
      "'kafka' (wave 1): Kafka kafka/trading-cluster needs custom kind kafka.strimzi.io/Kafka, provided only by 'strimzi-operator' (wave 1), not by an earlier wave",
    ]);
    expect(waveProblems([platform(0), operator(0), kafka], OPTIONAL)).toEqual([]);
  });

  test("a namespace may come from the Application's own CreateNamespace, or else from an earlier wave", () => {
    const own = gitChild('tools', 0, 'tools', [m('v1', 'ConfigMap', 'settings')]);
    expect(waveProblems([own], OPTIONAL)).toEqual([]);
    const stray = gitChild('tools', 0, 'tools', [m('v1', 'ConfigMap', 'settings', 'elsewhere')]);
    expect(messages(waveProblems([stray], OPTIONAL), 'prerequisite')).toEqual([
      "'tools' (wave 0): ConfigMap elsewhere/settings needs namespace elsewhere, provided by no Application, not by an earlier wave",
    ]);
  });

  test('a required Application may not depend on what only an optional one provides', () => {
    const monitoring = helmChild('monitoring', 1, 'monitoring', 'kube-prometheus-stack', {});
    const apps = gitChild('trading-apps', 2, 'ingestion', [
      m('monitoring.coreos.com/v1', 'ServiceMonitor', 'ingest', 'ingestion'),
    ]);
    expect(
      messages(waveProblems([platform(0), monitoring, apps], OPTIONAL), 'required-needs-optional'),
    ).toEqual([
      "required 'trading-apps': ServiceMonitor ingestion/ingest needs custom kind monitoring.coreos.com/ServiceMonitor, which only optional 'monitoring' provides",
    ]);
  });

  test('PriorityClasses are found in pod templates, Strimzi templates and anywhere in Helm values', () => {
    const nodePool = m('kafka.strimzi.io/v1', 'KafkaNodePool', 'pool', 'kafka', {
      template: { pod: { priorityClassName: 'kafka-critical' } },
    });
    const operator = helmChild('strimzi-operator', 1, 'kafka', 'strimzi-kafka-operator', {
      a: [{ b: { priorityClassName: 'trading-low' } }],
    });
    const priorityClasses = (child: ChildApplication) =>
      prerequisitesOf(child).filter((p) => p.type === 'PriorityClass');
    expect(priorityClasses(gitChild('kafka', 2, 'kafka', [nodePool]))).toEqual([
      {
        type: 'PriorityClass',
        name: 'kafka-critical',
        neededBy: 'KafkaNodePool kafka/pool spec.template.pod.priorityClassName',
      },
    ]);
    expect(priorityClasses(operator)).toEqual([
      { type: 'PriorityClass', name: 'trading-low', neededBy: 'Helm value a[0].b.priorityClassName' },
    ]);
  });

  test('an AppProject synced in the same wave as a child it governs is reported', () => {
    const project = { metadata: { name: 'trading', annotations: { 'argocd.argoproj.io/sync-wave': '0' } } };
    const child = { ...platform(0).app, spec: { ...platform(0).app.spec, project: 'trading' } };
    expect(projectWaveProblems([project], [child])).toEqual([
      'AppProject trading (wave 0) is not synced before Application platform (wave 0)',
    ]);
    const early = {
      metadata: { ...project.metadata, annotations: { 'argocd.argoproj.io/sync-wave': '-1' } },
    };
    expect(projectWaveProblems([early], [child])).toEqual([]);
  });

  test('the sync-wave annotation defaults to 0 and must be an integer', () => {
    expect(syncWave({ metadata: {} })).toBe(0);
    expect(syncWave({ metadata: { annotations: { 'argocd.argoproj.io/sync-wave': '-1' } } })).toBe(-1);
    expect(() =>
      syncWave({ metadata: { annotations: { 'argocd.argoproj.io/sync-wave': 'later' } } }),
    ).toThrow();
  });
});

const rendered = objectsByGitPath(renderGitopsFiles());

describe.each(ENVIRONMENTS.map((config) => [config.name, config] as const))(
  'environment %s: sync waves of the root Application',
  (envName, config) => {
    const manifests = Testing.synth(
      new AppOfAppsChart(Testing.app(), 'apps', { env: resolveEnvironment(config) }),
    ) as Manifest[];
    const children: ChildApplication[] = manifests
      .filter((x) => x.kind === 'Application')
      .map((x) => {
        const app = x as unknown as ApplicationLike;
        return {
          app,
          objects: app.spec.source.path ? (rendered.get(app.spec.source.path) ?? []) : undefined,
        };
      });
    const problems = waveProblems(children, OPTIONAL);
    const of = (rule: WaveProblem['rule']) => messages(problems, rule).map((msg) => `${envName}: ${msg}`);

    test('optional Applications (monitoring) sync after every required one, so they never gate trading', () => {
      expect(of('optional-last')).toEqual([]);
    });

    test("every namespace, CRD and PriorityClass a child needs comes from an earlier wave (or, for a namespace, the child's own)", () => {
      expect(of('prerequisite')).toEqual([]);
    });

    test('no required child needs what only an optional child provides', () => {
      expect(of('required-needs-optional')).toEqual([]);
    });

    test('the AppProject syncs in an earlier wave of the root than every child it governs', () => {
      const projects = manifests.filter((x) => x.kind === 'AppProject');
      const problems = projectWaveProblems(
        projects,
        children.map((c) => c.app),
      );
      expect(problems.map((p) => `${envName}: ${p}`)).toEqual([]);
    });
  },
);
