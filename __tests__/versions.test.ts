import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { renderGitopsFiles } from '../charts/render';
import { ENVIRONMENTS } from '../environments';
import { isPinned, PINNED_VERSIONS } from '../lib/versions';

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
    RANDOM_VERSION: 'provider:hashicorp/random',
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
    const script = fs.readFileSync(path.join(__dirname, '..', 'scripts', 'toolchain.sh'), 'utf8');
    const uses = versionsInToolchain(script);
    expect(uses).toHaveLength(4);
    expect(unpinned(uses)).toEqual([]);
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
