/**
 * Hetzner refuses user data over 32 KiB. The synthesized user data holds Terraform references
 * for the identity; here they are filled with a real identity's boot material, as the engine
 * does at apply, for every environment in environments/ and the HA variant of each (a
 * 3-server control plane), and each node's size is checked against the limit.
 */
import { Testing } from 'cdktf';
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ENVIRONMENTS } from '../../environments';
import type { EnvironmentConfig } from '../../environments/types';
import { resolveEnvironment } from '../../lib/environment';
import { createIdentity, type ClusterIdentity } from '../../lib/identity';
import { ClusterStack } from '../../lib/stacks/cluster-stack';
import { renderBootstrapManifests } from '../../charts/bootstrap';
import { MAX_USER_DATA_BYTES } from '../../templates/cloud-init';
import { bootMaterialFor, identityNeeds } from '../../scripts/ops/identity-store';
import { interpolateBoot } from '../support/boot-material';

jest.setTimeout(60_000);

/**
 * The largest optional parts an operator adds: Argo CD's UI certificate as a chain of three
 * RSA-4096-signed certificates with an RSA-2048 key (bigger than a public CA's usual two), and
 * a GitHub App's RSA-2048 key for a private GitOps repository.
 */
function withOptionalParts(identity: ClusterIdentity, dir: string): ClusterIdentity {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:4096',
    '-nodes',
    '-keyout',
    'root.key',
    '-out',
    'root.crt',
    '-subj',
    '/CN=Test Root',
    '-days',
    '30',
  );
  run(
    'req',
    '-newkey',
    'rsa:4096',
    '-nodes',
    '-keyout',
    'int.key',
    '-out',
    'int.csr',
    '-subj',
    '/CN=Test Intermediate',
  );
  run(
    'x509',
    '-req',
    '-in',
    'int.csr',
    '-CA',
    'root.crt',
    '-CAkey',
    'root.key',
    '-out',
    'int.crt',
    '-days',
    '30',
  );
  run(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'leaf.key',
    '-out',
    'leaf.csr',
    '-subj',
    '/CN=argocd.example.com',
  );
  run(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'int.crt',
    '-CAkey',
    'int.key',
    '-out',
    'leaf.crt',
    '-days',
    '30',
  );
  run('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'app.key');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  const createdAt = identity.createdAt;
  return {
    ...identity,
    argocd: {
      ...identity.argocd,
      tls: { cert: read('leaf.crt') + read('int.crt') + read('root.crt'), key: read('leaf.key'), createdAt },
      repoCreds: {
        githubAppId: '123456',
        githubAppInstallationId: '7890123',
        githubAppPrivateKey: read('app.key'),
        createdAt,
      },
    },
  };
}

const variants: [string, EnvironmentConfig, boolean][] = ENVIRONMENTS.flatMap((c) => {
  const ha = { ...c, controlPlane: { ...c.controlPlane, count: 3 } };
  return [
    [c.name, c, false] as [string, EnvironmentConfig, boolean],
    [`${c.name} (HA: 3 control planes)`, ha, false] as [string, EnvironmentConfig, boolean],
    [
      `${c.name} (HA, Argo CD TLS chain and GitHub App repository credentials)`,
      { ...ha, gitopsRepoUrl: 'https://github.com/example/trading-gitops.git' },
      true,
    ] as [string, EnvironmentConfig, boolean],
  ];
});

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'user-data-size-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(variants)('%s', (label, config, optional) => {
  test('every node fits in 32 KiB with the real identity filled in', async () => {
    const env = resolveEnvironment(config);
    const stack = new ClusterStack(Testing.app(), env.name, {
      environment: env,
      bootstrapManifests: renderBootstrapManifests(env),
    });
    const json = JSON.parse(Testing.synth(stack)) as {
      resource: { hcloud_server: Record<string, { name: string; user_data: string }> };
    };
    const identity = await createIdentity(identityNeeds(env));
    const boot = bootMaterialFor(env, optional ? withOptionalParts(identity, dir) : identity);
    const sizes: Record<string, number> = {};
    for (const server of Object.values(json.resource.hcloud_server)) {
      const filled = interpolateBoot(server.user_data, boot);
      expect(filled).not.toMatch(/local\.boot/);
      sizes[server.name] = Buffer.byteLength(filled, 'utf8');
    }
    console.info(`user data bytes, ${label}: ${JSON.stringify(sizes)}`);
    for (const [name, bytes] of Object.entries(sizes)) {
      expect({ name, fits: bytes <= MAX_USER_DATA_BYTES }).toEqual({ name, fits: true });
    }
  });
});
