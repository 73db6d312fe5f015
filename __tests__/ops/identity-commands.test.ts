/**
 * `identity tf-var <stack>`: what scripts/tf.sh passes as TF_VAR_identity, so a hand-run engine
 * command gets the same value the operator CLI passes (the persistent identity, or the nodes'
 * boot material), never a new one.
 */
import { ENVIRONMENTS } from '../../environments';
import { resolveEnvironment } from '../../lib/environment';
import { createIdentity, k3sTokens, type ClusterIdentity } from '../../lib/identity';
import { BOOT_MATERIAL_FORMAT, IDENTITY_FORMAT } from '../../lib/identity-format';
import { identityCommands } from '../../scripts/ops/identity-commands';
import { identityNeeds, type IdentityStore } from '../../scripts/ops/identity-store';

jest.setTimeout(60_000);

function memoryStore(initial: ClusterIdentity[] = []): IdentityStore {
  const kept = new Map(initial.map((i) => [i.environment, i]));
  return {
    load: async (environment) => kept.get(environment),
    save: async (identity) => void kept.set(identity.environment, identity),
  };
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

describe.each(ENVIRONMENTS.map((c) => [c.name, c] as const))('identity tf-var, %s', (name, config) => {
  let identity: ClusterIdentity;
  beforeAll(async () => {
    identity = await createIdentity(identityNeeds(resolveEnvironment(config)));
  });

  test('the persistent stack gets the stored identity as it is', async () => {
    const { io, out } = capture();
    const ids = identityCommands({ store: memoryStore([identity]) });
    expect(await ids.identity.run(['tf-var', `${name}-persistent`], io)).toBe(0);
    const value = JSON.parse(out.join('\n'));
    expect(value).toEqual(JSON.parse(JSON.stringify(identity)));
    expect(value.format).toBe(IDENTITY_FORMAT);
  });

  test("the cluster stack gets the nodes' boot material of that identity", async () => {
    const { io, out } = capture();
    const ids = identityCommands({ store: memoryStore([identity]) });
    expect(await ids.identity.run(['tf-var', name], io)).toBe(0);
    const boot = JSON.parse(out.join('\n'));
    expect(boot).toMatchObject({ format: BOOT_MATERIAL_FORMAT, environment: name });
    expect(boot.token).toBe(k3sTokens(identity).server);
    expect(boot.agent_token).toBe(k3sTokens(identity).agent);
  });

  test('without a stored identity it says how to make one, and prints nothing', async () => {
    const { io, out } = capture();
    const ids = identityCommands({ store: memoryStore() });
    await expect(ids.identity.run(['tf-var', name], io)).rejects.toThrow(
      new RegExp(`${name} has no identity yet: run 'npm run ops -- identity init ${name}'`),
    );
    expect(out).toEqual([]);
  });
});

test('identity tf-var refuses a stack that is no environment (exit 2)', async () => {
  const { io, err } = capture();
  const ids = identityCommands({ store: memoryStore() });
  expect(await ids.identity.run(['tf-var', 'nope-persistent'], io)).toBe(2);
  expect(err.join('\n')).toMatch(/nope/);
  expect(await ids.identity.run(['tf-var'], io)).toBe(2);
});
