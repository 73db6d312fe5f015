/**
 * The same cluster every morning, against the fake API with the real engine and the operator
 * CLI: `up`, `down`, `up` of dev and prod. Day 2's servers receive byte-identical CAs, keys,
 * tokens and SSH host keys; a kubeconfig and a Kafka client config written on day 1 still
 * match day 2's cluster; `identity` fingerprints do not change; nothing secret is in the
 * state or the synthesized JSON in plain text; `destroy-all` removes the identity.
 */
import { X509Certificate } from 'crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { MAX_USER_DATA_BYTES, writeFileContent } from '../../templates/cloud-init';
import { cycleCommands } from '../../scripts/ops/cycle-commands';
import { identityCommands } from '../../scripts/ops/identity-commands';
import { FakeHcloud } from './fake-hcloud';
import { servers } from './support/cloud';
import { TEST_SSH_KEYS, cliEnvironment, lifecycleToolchain } from './support/engine';
import type { Command } from '../../scripts/ops/command';

const toolchain = lifecycleToolchain();
const describeLifecycle = toolchain ? describe : describe.skip;
jest.setTimeout(600_000);

interface WriteFile {
  path: string;
  content: string;
  encoding?: string;
}
/** What a node's user data carries of the identity, by item. */
function materialOf(userData: string): Record<string, string> {
  const doc = parse(userData.replace(/^#cloud-config\n/, '')) as {
    write_files: WriteFile[];
    ssh_keys?: Record<string, string>;
  };
  const out: Record<string, string> = {};
  for (const f of doc.write_files) {
    if (f.path.startsWith('/var/lib/rancher/k3s/server/tls/') || f.path.endsWith('/identity-secrets.yaml')) {
      out[f.path] = writeFileContent(f);
    }
    if (f.path === '/etc/rancher/k3s/config.yaml') {
      const config = parse(f.content) as Record<string, string>;
      out.token = config.token;
      if (config['agent-token']) out['agent-token'] = config['agent-token'];
    }
  }
  for (const [k, v] of Object.entries(doc.ssh_keys ?? {})) out[`ssh_keys.${k}`] = v;
  return out;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === '.terraform') return [];
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

describeLifecycle('the identity survives the daily rebuild (dev and prod)', () => {
  let fake: FakeHcloud;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let cycle: Readonly<Record<string, Command>>;
  let ids: Record<string, Command>;
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
  const run = async (command: Readonly<Record<string, Command>>, args: string[]) => {
    lines.length = 0;
    const code = await command[args[0]].run(args.slice(1), io);
    return { code, out: lines.join('\n') };
  };

  beforeAll(async () => {
    fake = await FakeHcloud.start();
    dir = mkdtempSync(join(tmpdir(), 'identity-lifecycle-'));
    env = cliEnvironment(toolchain!, fake, dir);
    cycle = cycleCommands({ env, outdir: join(dir, 'cdktf.out') });
    ids = identityCommands({ env });
  });
  afterAll(async () => {
    await fake?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test.each(['dev', 'prod'])('%s: up, down, up gives day 2 the same identity as day 1', async (name) => {
    // Each environment has its own admin key (Hetzner refuses one key twice in a project).
    cycle = cycleCommands({
      env: { ...env, TF_VAR_ssh_public_key: TEST_SSH_KEYS[name] },
      outdir: join(dir, 'cdktf.out'),
    });
    const day1Up = await run(cycle, ['up', name, '--no-wait']);
    expect({ code: day1Up.code, out: day1Up.code ? day1Up.out : '' }).toEqual({ code: 0, out: '' });
    expect(day1Up.out).toMatch(new RegExp(`identity ${name}: none stored yet: making it once`));
    const day1 = new Map(
      [...servers(fake)].filter(([, s]) => s.labels.environment === name).map(([n, s]) => [n, s.userData]),
    );
    expect(day1.size).toBeGreaterThan(1);
    const listed1 = await run(ids, ['identity', name, '--json']);
    expect(listed1.code).toBe(0);
    const items1 = JSON.parse(listed1.out).items as { name: string; fingerprint: string }[];

    // Monday's client configs.
    expect(
      (await run(ids, ['kubeconfig', name, '--user', 'alice', '--out', join(dir, `${name}.kubeconfig`)]))
        .code,
    ).toBe(0);
    expect((await run(ids, ['kafka-client', name, '--out', join(dir, `${name}-kafka`)])).code).toBe(0);
    expect((await run(ids, ['known-hosts', name, '--out', join(dir, `${name}.known_hosts`)])).code).toBe(0);
    const kubeconfig = parse(readFileSync(join(dir, `${name}.kubeconfig`), 'utf8'));
    expect(statSync(join(dir, `${name}.kubeconfig`)).mode & 0o777).toBe(0o600);

    const down = await run(cycle, ['down', name]);
    expect({ code: down.code, out: down.code ? down.out : '' }).toEqual({ code: 0, out: '' });
    expect([...servers(fake).values()].filter((s) => s.labels.environment === name)).toEqual([]);

    const day2Up = await run(cycle, ['up', name, '--no-wait']);
    expect({ code: day2Up.code, out: day2Up.code ? day2Up.out : '' }).toEqual({ code: 0, out: '' });
    expect(day2Up.out).not.toMatch(/making it once/);
    const day2 = new Map(
      [...servers(fake)].filter(([, s]) => s.labels.environment === name).map(([n, s]) => [n, s.userData]),
    );
    expect([...day2.keys()].sort()).toEqual([...day1.keys()].sort());
    for (const [node, userData] of day2) {
      // Byte-identical material (the whole user data, in fact: nothing else differs either).
      expect(materialOf(userData)).toEqual(materialOf(day1.get(node)!));
      expect(userData).toBe(day1.get(node));
      expect(Buffer.byteLength(userData)).toBeLessThanOrEqual(MAX_USER_DATA_BYTES);
      const m = materialOf(userData);
      expect(m['ssh_keys.ed25519_private']).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
      expect(m.token).toMatch(/^K10[0-9a-f]{64}::(server|node):[0-9a-f]+$/);
    }
    const listed2 = await run(ids, ['identity', name, '--json']);
    expect(JSON.parse(listed2.out).items).toEqual(items1);

    // Monday's kubeconfig against Tuesday's first server: its CA is the server-ca.crt k3s gets,
    // its client certificate verifies against the client-ca.crt k3s gets.
    const cp0 = [...day2.entries()].find(([n]) => n.endsWith('-cp-0'))!;
    const m = materialOf(cp0[1]);
    const caData = Buffer.from(
      kubeconfig.clusters[0].cluster['certificate-authority-data'],
      'base64',
    ).toString('utf8');
    expect(caData).toBe(m['/var/lib/rancher/k3s/server/tls/server-ca.crt']);
    const clientCert = new X509Certificate(
      Buffer.from(kubeconfig.users[0].user['client-certificate-data'], 'base64'),
    );
    const clientCa = new X509Certificate(m['/var/lib/rancher/k3s/server/tls/client-ca.crt']);
    expect(clientCert.verify(clientCa.publicKey)).toBe(true);
    expect(clientCert.subject).toContain('CN=alice');
    // The token's CA hash pins exactly that server-ca.crt.
    const hash = require('crypto')
      .createHash('sha256')
      .update(m['/var/lib/rancher/k3s/server/tls/server-ca.crt'])
      .digest('hex');
    expect(m.token.slice(3, 67)).toBe(hash);

    // Monday's Kafka client config against Tuesday's Strimzi Secrets.
    const secrets = parseAllDocuments(m['/var/lib/rancher/k3s/server/manifests/identity-secrets.yaml']).map(
      (d) => d.toJS(),
    );
    const caCert = secrets.find((s) => s.metadata.name.endsWith('-cluster-ca-cert'));
    expect(readFileSync(join(dir, `${name}-kafka`, 'ca.crt'), 'utf8')).toBe(caCert.stringData['ca.crt']);
    const props = readFileSync(join(dir, `${name}-kafka`, 'external-client.properties'), 'utf8');
    const password = /password="([^"]+)"/.exec(props)![1];
    const userSecret = secrets.find((s) => s.metadata.name === 'external-client-password');
    expect(userSecret.stringData.password).toBe(password);

    // Pinned host keys: the known_hosts written on Monday holds Tuesday's cp-0 key.
    const known = readFileSync(join(dir, `${name}.known_hosts`), 'utf8');
    expect(known).toContain(m['ssh_keys.ed25519_public'].split(' ').slice(0, 2).join(' '));
  });

  test('nothing secret in plain text in the state or the synthesized JSON', () => {
    const files = [...walk(join(dir, 'state')), ...walk(join(dir, 'cdktf.out'))];
    expect(files.some((f) => f.endsWith('-persistent.tfstate'))).toBe(true);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect({ file: f, pem: /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) }).toEqual({
        file: f,
        pem: false,
      });
      expect({ file: f, token: /K10[0-9a-f]{64}::/.test(text) }).toEqual({ file: f, token: false });
    }
    // The state files are encrypted as a whole.
    for (const f of files.filter((p) => p.endsWith('.tfstate'))) {
      expect(JSON.parse(readFileSync(f, 'utf8'))).toHaveProperty('encrypted_data');
    }
  });

  test('destroy-all with its confirmation removes the identity, and says so', async () => {
    const r = await run(cycle, ['destroy-all', 'dev', '--confirm', 'dev']);
    expect({ code: r.code, out: r.code ? r.out : '' }).toEqual({ code: 0, out: '' });
    expect(r.out).toMatch(/this also removes the identity/);
    await expect(ids.identity.run(['dev'], io)).rejects.toThrow(/dev has no identity yet/);
  });
});
