/**
 * Every rendered manifest against its schema: core kinds through kubernetes-models (v4,
 * CommonJS), custom resources against the openAPIV3Schema of the upstream CRDs in
 * ../shared/crds. Without that folder the CRD part fails in CI and is skipped (loudly) elsewhere.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { renderGitopsFiles } from '../../charts/render';

const CRD_DIR = path.resolve(__dirname, '..', '..', '..', 'shared', 'crds');
const crdsPresent = fs.existsSync(CRD_DIR);

if (!crdsPresent) {
  const message = `CRD folder ${CRD_DIR} is missing: custom resources are NOT validated against their schemas`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true)`);
  console.warn(`\n!!!!!!!!!!\n!!! ${message}\n!!!!!!!!!!\n`);
}

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

const manifests: Array<{ file: string; manifest: Manifest }> = [];
for (const [file, content] of renderGitopsFiles()) {
  for (const doc of parseAllDocuments(content)) {
    const manifest = doc.toJS() as Manifest | null;
    if (manifest) manifests.push({ file, manifest });
  }
}

/** Core kinds: served by kubernetes-models under `<group>/<version>/<Kind>` (`v1/<Kind>` for the core group). */
function coreModel(m: Manifest): (new (data: unknown) => { validate(): void }) | undefined {
  const group = m.apiVersion.includes('/') ? m.apiVersion.split('/')[0] : '';
  if (group.includes('.') && !group.endsWith('.k8s.io')) return undefined;
  return require(`kubernetes-models/${m.apiVersion}/${m.kind}`)[m.kind];
}

/** Schema validators of every CRD version, by `apiVersion/kind`. */
function crdValidators(): Map<string, ValidateFunction> {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  for (const f of ['int32', 'int64', 'byte', 'float', 'double', 'quantity']) ajv.addFormat(f, true);
  const validators = new Map<string, ValidateFunction>();
  const walk = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) =>
        e.isDirectory()
          ? walk(path.join(dir, e.name))
          : e.name.endsWith('.yaml')
            ? [path.join(dir, e.name)]
            : [],
      );
  for (const file of walk(CRD_DIR)) {
    for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
      const crd = doc.toJS();
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      for (const version of crd.spec.versions) {
        const key = `${crd.spec.group}/${version.name}/${crd.spec.names.kind}`;
        // Compiled on first use: the Application and Kafka schemas are large.
        let compiled: ValidateFunction | undefined;
        const lazy = ((data: unknown) => {
          compiled ??= ajv.compile(version.schema.openAPIV3Schema);
          const ok = compiled(data);
          lazy.errors = compiled.errors;
          return ok;
        }) as ValidateFunction;
        validators.set(key, lazy);
      }
    }
  }
  return validators;
}

const coreManifests = manifests.filter(({ manifest }) => coreModel(manifest));
const customManifests = manifests.filter(({ manifest }) => !coreModel(manifest));

describe('rendered manifests match their schemas', () => {
  test('every environment renders core and custom resources', () => {
    expect(coreManifests.length).toBeGreaterThan(10);
    expect(customManifests.map((m) => m.manifest.kind)).toEqual(
      expect.arrayContaining([
        'Kafka',
        'KafkaNodePool',
        'KafkaTopic',
        'KafkaUser',
        'Application',
        'AppProject',
        'HelmChart',
      ]),
    );
  });

  test.each(coreManifests.map(({ file, manifest }) => [file, manifest] as const))(
    'core kind %s',
    (_file, manifest) => {
      const Model = coreModel(manifest)!;
      expect(() => new Model(manifest).validate()).not.toThrow();
    },
  );

  const crdTest = crdsPresent ? test.each : test.skip.each;
  const validators = crdsPresent ? crdValidators() : new Map<string, ValidateFunction>();
  crdTest(customManifests.map(({ file, manifest }) => [file, manifest] as const))(
    'custom resource %s',
    (_file, manifest) => {
      const validate = validators.get(`${manifest.apiVersion}/${manifest.kind}`);
      expect(validate).toBeDefined();
      const ok = validate!(manifest);
      expect(ok ? [] : validate!.errors).toEqual([]);
    },
  );
});
