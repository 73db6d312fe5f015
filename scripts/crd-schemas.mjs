// Writes the schemas of one CustomResourceDefinition file as JSON: the openAPIV3Schema of
// every served version, keyed by `<group>/<version>/<Kind>` (what a manifest's apiVersion
// and kind make). scripts/import-crds.sh calls it for every CRD it imports into imports/,
// so crd-schemas/ and imports/ come from the same files; the engine test
// __tests__/engine/manifests-schema.test.ts validates custom resources against them.
//
//   node scripts/crd-schemas.mjs <crd.yaml> <source label> <out.json>
//
// Compact JSON (generated, not for hand edits; prettier ignores crd-schemas/).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const [file, source, out] = process.argv.slice(2);
if (!file || !source || !out) {
  console.error('usage: node scripts/crd-schemas.mjs <crd.yaml> <source label> <out.json>');
  process.exit(2);
}

const text = readFileSync(file, 'utf8');
const schemas = {};
for (const doc of parseAllDocuments(text)) {
  if (doc.errors.length > 0) throw doc.errors[0];
  const crd = doc.toJS();
  if (crd?.kind !== 'CustomResourceDefinition') continue;
  for (const version of crd.spec.versions) {
    if (!version.served) continue;
    const schema = version.schema?.openAPIV3Schema;
    if (!schema) throw new Error(`${file}: ${crd.metadata.name} ${version.name} has no openAPIV3Schema`);
    schemas[`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`] = schema;
  }
}
if (Object.keys(schemas).length === 0) throw new Error(`${file}: no served CustomResourceDefinition version`);

const sha256 = createHash('sha256').update(text).digest('hex');
writeFileSync(out, `${JSON.stringify({ source, sha256, schemas })}\n`);
