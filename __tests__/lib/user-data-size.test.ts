/**
 * Hetzner refuses user data over 32 KiB. The synthesized user data holds Terraform references
 * for the identity; here they are filled with a real identity's boot material, as the engine
 * does at apply, for every environment in environments/ and the HA variant of each (a
 * 3-server control plane), and each node's size is checked against the limit.
 */
import { Testing } from 'cdktf';
import { ENVIRONMENTS } from '../../environments';
import type { EnvironmentConfig } from '../../environments/types';
import { resolveEnvironment } from '../../lib/environment';
import { createIdentity } from '../../lib/identity';
import { ClusterStack } from '../../lib/stacks/cluster-stack';
import { renderBootstrapManifests } from '../../charts/bootstrap';
import { MAX_USER_DATA_BYTES } from '../../templates/cloud-init';
import { bootMaterialFor, identityNeeds } from '../../scripts/ops/identity-store';

jest.setTimeout(60_000);

/** Looks up `.a["b"].c` in a value. */
function lookup(root: unknown, path: string): unknown {
  let value: unknown = root;
  for (const m of path.matchAll(/\.([a-z_][a-z0-9_]*)|\["([^"]+)"\]/g)) {
    value = (value as Record<string, unknown>)[m[1] ?? m[2]];
    if (value === undefined) throw new Error(`no ${path} in the boot material`);
  }
  return value;
}

/** What the engine makes of the references: `${jsonencode(local.boot...)}` and `${local.boot...}`. */
export function interpolateBoot(userData: string, boot: unknown): string {
  return userData
    .replace(/\$\{jsonencode\(local\.boot((?:\.[a-z_]+|\["[^"]+"\])+)\)\}/g, (_, path: string) =>
      JSON.stringify(lookup(boot, path)),
    )
    .replace(/\$\{local\.boot((?:\.[a-z_]+|\["[^"]+"\])+)\}/g, (_, path: string) =>
      String(lookup(boot, path)),
    );
}

const variants: [string, EnvironmentConfig][] = ENVIRONMENTS.flatMap((c) => [
  [c.name, c] as [string, EnvironmentConfig],
  [`${c.name} (HA: 3 control planes)`, { ...c, controlPlane: { ...c.controlPlane, count: 3 } }],
]);

describe.each(variants)('%s', (_, config) => {
  test('every node fits in 32 KiB with the real identity filled in', async () => {
    const env = resolveEnvironment(config);
    const stack = new ClusterStack(Testing.app(), env.name, {
      environment: env,
      bootstrapManifests: renderBootstrapManifests(env),
    });
    const json = JSON.parse(Testing.synth(stack)) as {
      resource: { hcloud_server: Record<string, { name: string; user_data: string }> };
    };
    const boot = bootMaterialFor(env, await createIdentity(identityNeeds(env)));
    const sizes: Record<string, number> = {};
    for (const server of Object.values(json.resource.hcloud_server)) {
      const filled = interpolateBoot(server.user_data, boot);
      expect(filled).not.toMatch(/local\.boot/);
      sizes[server.name] = Buffer.byteLength(filled, 'utf8');
    }
    console.info(
      `user data bytes, ${config.name}${env.controlPlanes.length > 1 ? ' HA' : ''}: ${JSON.stringify(sizes)}`,
    );
    for (const [name, bytes] of Object.entries(sizes)) {
      expect({ name, fits: bytes <= MAX_USER_DATA_BYTES }).toEqual({ name, fits: true });
    }
  });
});
