/**
 * Entry point: wires every environment to its two stacks. Everything read from the
 * process environment is read here, nowhere in lib/.
 *
 *   STATE_BACKEND=s3 STATE_BUCKET=... STATE_ENDPOINT=https://fsn1.your-objectstorage.com
 *       keep Terraform state in S3-compatible object storage (default: local files in state/)
 *   ALLOW_DESTROY_PERSISTENT=<env>
 *       lift protection from <env>'s persistent IPs (used only by destroy-all)
 *   SERVER_TYPE_CHOICE='{"dev":{"kafka":"cpx32"}}'   or   SERVER_TYPES_DEV='kafka=cpx32'
 *       run a node group on one of its fallbackServerTypes (the operator CLI's `up` sets it
 *       when the preferred type is sold out); lib/server-type-choice.ts
 */
import { App } from 'cdktf';
import { ENVIRONMENTS } from './environments';
import { addEnvironments } from './lib/app';
import type { StateBackendConfig } from './lib/backend';
import { renderBootstrapManifests } from './charts/bootstrap';
import { serverTypeChoicesFromEnv } from './lib/server-type-choice';

function backendFromProcessEnv(): StateBackendConfig {
  const kind = process.env.STATE_BACKEND ?? 'local';
  if (kind === 'local') return { kind: 'local' };
  if (kind === 's3') {
    const bucket = process.env.STATE_BUCKET;
    const endpoint = process.env.STATE_ENDPOINT;
    if (!bucket || !endpoint) {
      throw new Error(
        'STATE_BACKEND=s3 needs STATE_BUCKET (bucket name) and STATE_ENDPOINT (e.g. https://fsn1.your-objectstorage.com)',
      );
    }
    return { kind: 's3', bucket, endpoint, region: process.env.STATE_REGION };
  }
  throw new Error(`STATE_BACKEND must be 'local' or 's3', got '${kind}'`);
}

const app = new App();
addEnvironments(app, ENVIRONMENTS, {
  backend: backendFromProcessEnv(),
  allowDestroyPersistentOf: process.env.ALLOW_DESTROY_PERSISTENT || undefined,
  bootstrapManifests: renderBootstrapManifests,
  serverTypeChoices: serverTypeChoicesFromEnv(
    process.env,
    ENVIRONMENTS.map((e) => e.name),
  ),
});
app.synth();
