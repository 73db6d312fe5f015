import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { renderGitopsFiles } from '../charts/render';
import { ENVIRONMENTS } from '../environments';
import { isPinned, pinnedVersion, PINNED_VERSIONS } from '../lib/versions';

const ROOT = path.join(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** A version used somewhere, and where. */
interface Use {
  readonly where: string;
  readonly name: string;
  readonly version: string;
}

type Doc = {
  kind?: string;
  spec?: Record<string, unknown> & {
    source?: { chart?: string; targetRevision?: string };
    chart?: string;
    version?: string;
  };
};

/** Every Helm chart version and container image tag in rendered manifests. */
function versionsInManifests(files: ReadonlyMap<string, string>, ownImages: ReadonlySet<string>): Use[] {
  const uses: Use[] = [];
  for (const [file, text] of files) {
    for (const doc of parseAllDocuments(text).map((d) => d.toJS() as Doc)) {
      if (!doc?.kind) continue;
      const source = doc.spec?.source;
      if (doc.kind === 'Application' && source?.chart) {
        uses.push({ where: file, name: `helm:${source.chart}`, version: String(source.targetRevision) });
      }
      if (doc.kind === 'HelmChart' && doc.spec?.chart) {
        uses.push({ where: file, name: `helm:${doc.spec.chart}`, version: String(doc.spec.version) });
      }
      JSON.stringify(doc, (key, value: unknown) => {
        if (key === 'image' && typeof value === 'string' && !ownImages.has(value)) {
          uses.push({ where: file, name: `image:${value.replace(/[:@].*$/, '')}`, version: value });
        }
        return value;
      });
    }
  }
  return uses;
}

/** The versions scripts/toolchain.sh builds (`NAME_VERSION="..."`). */
function versionsInToolchain(script: string): Use[] {
  const names: Record<string, string> = {
    TOFU_VERSION: 'opentofu',
    HCLOUD_VERSION: 'provider:hetznercloud/hcloud',
    NULL_VERSION: 'provider:hashicorp/null',
    ACTIONLINT_VERSION: 'actionlint',
  };
  return [...script.matchAll(/^([A-Z]+_VERSION)="([^"]+)"/gm)].map(([, variable, version]) => ({
    where: `scripts/toolchain.sh ${variable}`,
    name: names[variable] ?? variable,
    version,
  }));
}

function unpinned(uses: readonly Use[]): string[] {
  return uses
    .filter((u) => !isPinned(u.version, u.name))
    .map((u) => `${u.where}: ${u.name} ${u.version} is not in lib/versions.ts`);
}

const ownImages = new Set(ENVIRONMENTS.flatMap((e) => e.tradingApps.map((a) => a.image)));

describe('pinned versions (lib/versions.ts)', () => {
  test('every pin says when it was checked and where', () => {
    for (const pin of PINNED_VERSIONS) {
      expect(pin.checked).toMatch(/^20\d\d-\d\d-\d\d$/);
      expect(pin.source.length).toBeGreaterThan(10);
      expect(pin.version).not.toMatch(/^\s|\s$|latest/);
    }
    const names = PINNED_VERSIONS.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
  });

  test('every Helm chart version and image in the rendered GitOps folder is pinned', () => {
    const uses = versionsInManifests(renderGitopsFiles(), ownImages);
    expect(uses.map((u) => u.name)).toEqual(
      expect.arrayContaining(['helm:argo-cd', 'helm:strimzi-kafka-operator', 'helm:kube-prometheus-stack']),
    );
    expect(unpinned(uses)).toEqual([]);
  });

  test("every environment's k3s and Kafka versions are pinned", () => {
    const uses = ENVIRONMENTS.flatMap((e) => [
      { where: `environments/${e.name}.ts`, name: 'k3s', version: e.k3sVersion },
      { where: `environments/${e.name}.ts`, name: 'kafka', version: e.kafkaVersion ?? '4.0.1' },
    ]);
    expect(unpinned(uses)).toEqual([]);
  });

  test('every engine and provider version the toolchain builds is pinned', () => {
    const script = read('scripts/toolchain.sh');
    const uses = versionsInToolchain(script);
    expect(uses).toHaveLength(4);
    expect(unpinned(uses)).toEqual([]);
  });

  test('the Go version is pinned once (.go-version): CI, toolchain.sh and the README agree', () => {
    const goVersion = read('.go-version').trim();
    expect(goVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(goVersion).toBe(pinnedVersion('go'));
    // CI's setup-go reads the file and pins nothing of its own.
    const workflow = parseYaml(read('.github/workflows/ci.yml'));
    const steps: Array<{ uses?: string; with?: Record<string, unknown> }> = workflow.jobs.test.steps;
    const setupGo = steps.filter((s) => s.uses?.startsWith('actions/setup-go@'));
    expect(setupGo.map((s) => s.with)).toEqual([
      expect.objectContaining({ 'go-version-file': '.go-version' }),
    ]);
    expect(setupGo[0].with).not.toHaveProperty('go-version');
    // toolchain.sh checks against the file and names no Go version itself.
    const script = read('scripts/toolchain.sh');
    expect(script).toMatch(/^GO_MIN="\$\(tr -d '\[:space:\]' <"\$root\/\.go-version"\)"$/m);
    expect(script.match(/\bGo \d+\.\d+[\d.]*/g) ?? []).toEqual([]);
    // Every "Go 1.x" the README states is that version.
    const stated = [...read('README.md').matchAll(/\bGo (\d+\.\d+(?:\.\d+)?)/g)].map((m) => m[1]);
    expect(stated.length).toBeGreaterThan(0);
    expect(stated.filter((v) => v !== goVersion)).toEqual([]);
  });

  test("CI's OpenTofu setup step installs the pinned OpenTofu", () => {
    const workflow = parseYaml(read('.github/workflows/ci.yml'));
    const steps: Array<{ uses?: string; with?: Record<string, unknown> }> = workflow.jobs.test.steps;
    const tofu = steps.filter((s) => s.uses?.startsWith('opentofu/setup-opentofu@'));
    expect(tofu).toHaveLength(1);
    expect(`v${tofu[0].with?.tofu_version}`).toBe(pinnedVersion('opentofu'));
    // The wrapper script would stand in for the binary that toolchain.sh records as the engine.
    expect(String(tofu[0].with?.tofu_wrapper)).toBe('false');
  });

  test('the check fails on a version that was never checked (81.4.5) and on an unpinned image', () => {
    const bad = new Map([
      [
        'dev/apps/monitoring.yaml',
        'kind: Application\nspec:\n  source:\n    chart: kube-prometheus-stack\n    targetRevision: 81.4.5\n',
      ],
      [
        'dev/x/deploy.yaml',
        'kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - image: busybox:1.37\n',
      ],
    ]);
    expect(unpinned(versionsInManifests(bad, ownImages))).toEqual([
      'dev/apps/monitoring.yaml: helm:kube-prometheus-stack 81.4.5 is not in lib/versions.ts',
      'dev/x/deploy.yaml: image:busybox busybox:1.37 is not in lib/versions.ts',
    ]);
    expect(unpinned(versionsInToolchain('TOFU_VERSION="v9.9.9"\n'))).toEqual([
      'scripts/toolchain.sh TOFU_VERSION: opentofu v9.9.9 is not in lib/versions.ts',
    ]);
  });
});
