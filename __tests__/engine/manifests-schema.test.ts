/**
 * Every rendered manifest against its schema: core kinds through kubernetes-models (v4,
 * CommonJS), custom resources against the openAPIV3Schema of the upstream CRDs, committed in
 * crd-schemas/ (written by scripts/import-crds.sh together with imports/). The test reads
 * nothing outside the repository.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { renderGitopsFiles } from '../../charts/render';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SCHEMA_DIR = path.join(REPO_ROOT, 'crd-schemas');
const IMPORTS_DIR = path.join(REPO_ROOT, 'imports');

/** One file of crd-schemas/ (see scripts/crd-schemas.mjs). */
interface CrdSchemaFile {
  /** The CRD file under ../shared/crds it was generated from. */
  source: string;
  sha256: string;
  /** openAPIV3Schema of every served version, by `<group>/<version>/<Kind>`. */
  schemas: Record<string, object>;
}

/** crd-schemas/<module>.json, by module name (the name of the matching imports/<module>.ts). */
const schemaFiles = new Map<string, CrdSchemaFile>(
  fs
    .readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [path.basename(f, '.json'), JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8'))]),
);

/** `<group>/<version>/<Kind>` of every class cdk8s import generated into imports/<module>.ts. */
function importedKinds(module: string): string[] {
  const text = fs.readFileSync(path.join(IMPORTS_DIR, `${module}.ts`), 'utf8');
  return [
    ...text.matchAll(
      /static readonly GVK: GroupVersionKind = \{\s*apiVersion: '([^']+)',\s*kind: '([^']+)'/g,
    ),
  ].map(([, apiVersion, kind]) => `${apiVersion}/${kind}`);
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

/** Schema validators of every served CRD version, by `apiVersion/kind`. */
function crdValidators(): Map<string, ValidateFunction> {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  for (const f of ['int32', 'int64', 'byte', 'float', 'double', 'quantity']) ajv.addFormat(f, true);
  const validators = new Map<string, ValidateFunction>();
  for (const file of schemaFiles.values()) {
    for (const [key, schema] of Object.entries(file.schemas)) {
      // Compiled on first use: the Application and Kafka schemas are large.
      let compiled: ValidateFunction | undefined;
      const lazy = ((data: unknown) => {
        compiled ??= ajv.compile(schema);
        const ok = compiled(data);
        lazy.errors = compiled.errors;
        return ok;
      }) as ValidateFunction;
      validators.set(key, lazy);
    }
  }
  return validators;
}

const coreManifests = manifests.filter(({ manifest }) => coreModel(manifest));
const customManifests = manifests.filter(({ manifest }) => !coreModel(manifest));

describe('crd-schemas/ (committed, from the same CRDs as imports/)', () => {
  test('has one file per imported module, with the same kinds and versions', () => {
    const modules = fs
      .readdirSync(IMPORTS_DIR)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.basename(f, '.ts'))
      .sort();
    expect([...schemaFiles.keys()].sort()).toEqual(modules);
    for (const module of modules) {
      const kinds = importedKinds(module);
      expect(kinds.length).toBeGreaterThan(0);
      expect({ module, kinds: Object.keys(schemaFiles.get(module)!.schemas).sort() }).toEqual({
        module,
        kinds: kinds.sort(),
      });
    }
  });

  test('every file names its source CRD and carries an object schema per version', () => {
    for (const [module, file] of schemaFiles) {
      expect({ module, source: file.source }).toEqual({ module, source: expect.stringMatching(/\.ya?ml$/) });
      expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
      for (const schema of Object.values(file.schemas)) expect(schema).toMatchObject({ type: 'object' });
    }
  });
});

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

  const validators = crdValidators();
  test.each(customManifests.map(({ file, manifest }) => [file, manifest] as const))(
    'custom resource %s',
    (_file, manifest) => {
      const validate = validators.get(`${manifest.apiVersion}/${manifest.kind}`);
      expect(validate).toBeDefined();
      const ok = validate!(manifest);
      expect(ok ? [] : validate!.errors).toEqual([]);
    },
  );
});
