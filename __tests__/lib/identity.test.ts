/**
 * The persistent identity (lib/identity.ts): what k3s, Strimzi, sshd and Argo CD read, checked
 * with Node's X509 and the real tools (openssl, ssh-keygen) where the machine has them.
 */
import bcrypt from 'bcryptjs';
import { execFileSync, spawnSync } from 'child_process';
import { createHash, createPrivateKey, X509Certificate } from 'crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ENVIRONMENTS } from '../../environments';
import { resolveEnvironment } from '../../lib/environment';
import {
  CA_NAMES,
  CA_VALIDITY_YEARS,
  K3S_TLS_FILES,
  bootMaterial,
  completeIdentity,
  createIdentity,
  identityItems,
  issueCertificate,
  k3sTlsFiles,
  k3sTokens,
  nodeNames,
  rotate,
  trustBundle,
  type ClusterIdentity,
  type IdentityNeeds,
} from '../../lib/identity';

jest.setTimeout(60_000);

const needs: IdentityNeeds = {
  environment: 'fixture',
  nodeNames: ['fixture-cp-0', 'fixture-kafka-0'],
  kafkaUsers: ['app-a', 'external-client'],
};
const NOW = new Date('2026-12-01T12:00:00Z');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
/** In CI the real tools must be there (setup installs them); elsewhere a loud skip. */
function tool(name: string): boolean {
  if (has(name)) return true;
  if (process.env.CI === 'true') throw new Error(`${name} is missing; npm run setup installs it`);
  console.warn(`!!!!! ${name} not found: its checks are skipped (run npm run setup)`);
  return false;
}

let identity: ClusterIdentity;
let dir: string;
beforeAll(async () => {
  identity = await createIdentity(needs, NOW);
  dir = mkdtempSync(join(tmpdir(), 'identity-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A JSON round trip: what the state gives back the next morning. */
const nextMorning = (i: ClusterIdentity): ClusterIdentity => JSON.parse(JSON.stringify(i));

describe('the k3s CA set', () => {
  test('has exactly the files k3s reads from server/tls', () => {
    expect(Object.keys(k3sTlsFiles(identity)).sort()).toEqual([...K3S_TLS_FILES].sort());
    expect([...K3S_TLS_FILES].sort()).toEqual(
      [
        'client-ca.crt',
        'client-ca.key',
        'etcd/peer-ca.crt',
        'etcd/peer-ca.key',
        'etcd/server-ca.crt',
        'etcd/server-ca.key',
        'request-header-ca.crt',
        'request-header-ca.key',
        'server-ca.crt',
        'server-ca.key',
        'service.key',
      ].sort(),
    );
  });

  test.each(CA_NAMES)(
    '%s: flat self-signed EC P-256 CA, CA:TRUE, keyCertSign, key matches, >= 5 years',
    (name) => {
      const slot = identity.cas[name];
      const cert = new X509Certificate(slot.current.cert);
      expect(cert.ca).toBe(true);
      expect(cert.verify(cert.publicKey)).toBe(true); // self-signed
      expect(cert.issuer).toBe(cert.subject);
      expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect(cert.checkPrivateKey(createPrivateKey(slot.current.key))).toBe(true);
      expect(slot.current.key.startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true); // PKCS#8
      const years = (Date.parse(cert.validTo) - NOW.getTime()) / (365.25 * 86_400_000);
      expect(years).toBeGreaterThanOrEqual(5);
      expect(years).toBeLessThanOrEqual(CA_VALIDITY_YEARS + 0.01);
      if (tool('openssl')) {
        const file = join(dir, `${name}.crt`);
        writeFileSync(file, slot.current.cert);
        const text = execFileSync('openssl', ['x509', '-in', file, '-noout', '-text'], { encoding: 'utf8' });
        expect(text).toMatch(/CA:TRUE/);
        expect(text).toMatch(/Certificate Sign/);
      }
    },
  );

  test('the whole bundle is small (flat EC CAs)', () => {
    const bytes = Object.values(k3sTlsFiles(identity)).reduce((n, c) => n + Buffer.byteLength(c), 0);
    expect(bytes).toBeLessThan(7000);
  });

  test('the service-account key is a private key k3s can parse', () => {
    expect(createPrivateKey(identity.serviceAccountKey.value).asymmetricKeyType).toBe('ec');
  });
});

describe('the k3s tokens', () => {
  test("hash the exact server-ca.crt bytes written to disk, in k3s's secure form", () => {
    const written = k3sTlsFiles(identity)['server-ca.crt'];
    const hash = createHash('sha256').update(Buffer.from(written, 'utf8')).digest('hex');
    const t = k3sTokens(identity);
    expect(t.server).toBe(`K10${hash}::server:${identity.k3sServerSecret.value}`);
    expect(t.agent).toBe(`K10${hash}::node:${identity.k3sAgentSecret.value}`);
    expect(t.server).not.toBe(t.agent);
    // Safe inside YAML single quotes and shell words.
    expect(t.server).toMatch(/^[A-Za-z0-9:]+$/);
  });
});

describe('made once, the same every morning', () => {
  test('a leaf issued on day 2 from the stored CA verifies against the CA a client saved on day 1 (openssl verify)', async () => {
    const savedOnDay1 = trustBundle(identity.cas['k3s-server-ca']);
    const day2 = nextMorning(identity);
    const leaf = await issueCertificate(day2.cas['k3s-server-ca'].current, {
      commonName: 'k3s',
      usage: 'server',
      subjectAltNames: ['203.0.113.10', 'k3s.example.com'],
      days: 365,
      // Day 2 is today: openssl verify checks validity at the real clock.
      now: new Date(),
    });
    const ca = new X509Certificate(savedOnDay1);
    expect(new X509Certificate(leaf.cert).verify(ca.publicKey)).toBe(true);
    expect(new X509Certificate(leaf.cert).checkIssued(ca)).toBe(true);
    if (tool('openssl')) {
      writeFileSync(join(dir, 'day1-ca.crt'), savedOnDay1);
      writeFileSync(join(dir, 'day2-leaf.crt'), leaf.cert);
      const r = spawnSync(
        'openssl',
        ['verify', '-CAfile', join(dir, 'day1-ca.crt'), join(dir, 'day2-leaf.crt')],
        {
          encoding: 'utf8',
        },
      );
      expect({ out: r.stdout.trim(), err: r.stderr.trim() }).toEqual({
        out: `${join(dir, 'day2-leaf.crt')}: OK`,
        err: '',
      });
    }
  });

  test('completing an identity changes nothing that exists and is idempotent', async () => {
    const again = await completeIdentity(nextMorning(identity), needs, NOW);
    expect(again.added).toEqual([]);
    expect(again.identity).toEqual(identity);
    const grown = await completeIdentity(identity, {
      ...needs,
      nodeNames: [...needs.nodeNames, 'fixture-app-0'],
      kafkaUsers: [...needs.kafkaUsers, 'app-b'],
    });
    expect(grown.added).toEqual(['ssh-host-key:fixture-app-0', 'kafka-password:app-b']);
    for (const n of needs.nodeNames) expect(grown.identity.sshHostKeys[n]).toEqual(identity.sshHostKeys[n]);
    expect(grown.identity.cas).toEqual(identity.cas);
  });

  test('boot material from the same identity is byte-identical on two mornings', () => {
    const a = bootMaterial(identity, needs.nodeNames, { 'x.yaml': 'a' });
    const b = bootMaterial(nextMorning(identity), needs.nodeNames, { 'x.yaml': 'a' });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(() => bootMaterial(identity, ['unknown-node'], {})).toThrow(
      /no SSH host key for node 'unknown-node'/,
    );
  });

  test('refuses an identity of another environment or format', async () => {
    await expect(completeIdentity(identity, { ...needs, environment: 'other' })).rejects.toThrow(
      /belongs to environment 'fixture', not 'other'/,
    );
    await expect(completeIdentity({ ...identity, format: 'x' } as never, needs)).rejects.toThrow(
      /not in format/,
    );
  });
});

describe('every environment in environments/', () => {
  test.each(ENVIRONMENTS.map((c) => [c.name, c] as const))(
    '%s: a host key for every node it plans',
    async (_, config) => {
      const env = resolveEnvironment(config);
      const made = await createIdentity(
        { environment: env.name, nodeNames: nodeNames(env), kafkaUsers: ['u'] },
        NOW,
      );
      expect(Object.keys(made.sshHostKeys).sort()).toEqual(nodeNames(env).sort());
    },
  );
});

describe('SSH host keys', () => {
  test('ed25519 in OpenSSH format; ssh-keygen derives the stored public key from the private one', () => {
    for (const key of Object.values(identity.sshHostKeys)) {
      expect(key.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
      expect(key.publicKey).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/=]+/);
      if (tool('ssh-keygen')) {
        const file = join(dir, 'host_key');
        writeFileSync(file, key.privateKey, { mode: 0o600 });
        const pub = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
        expect(pub.split(' ').slice(0, 2)).toEqual(key.publicKey.split(' ').slice(0, 2));
        rmSync(file);
      }
    }
  });
});

describe('Argo CD and passwords', () => {
  test('the admin hash is bcrypt of the admin password, with a fixed mtime', () => {
    expect(identity.argocd.adminPasswordBcrypt).toMatch(/^\$2[aby]\$10\$/);
    expect(bcrypt.compareSync(identity.argocd.adminPassword.value, identity.argocd.adminPasswordBcrypt)).toBe(
      true,
    );
    expect(identity.argocd.passwordMtime).toBe('2026-12-01T12:00:00Z');
  });

  test('a password for every KafkaUser, distinct', () => {
    const values = needs.kafkaUsers.map((u) => identity.kafkaPasswords[u].value);
    expect(new Set(values).size).toBe(values.length);
    for (const v of values) expect(v).toMatch(/^[0-9a-f]{48}$/);
  });
});

describe('listing', () => {
  test('every item with a fingerprint and dates, and no secret value', () => {
    const items = identityItems(identity);
    expect(items.map((i) => i.name)).toEqual(
      expect.arrayContaining([
        ...CA_NAMES,
        'k3s-server-token',
        'ssh-host-key:fixture-cp-0',
        'kafka-password:app-a',
        'argocd-admin-password',
      ]),
    );
    for (const i of items) expect(i.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/=]+$/);
    const text = JSON.stringify(items);
    const secrets = [
      identity.k3sServerSecret.value,
      identity.k3sAgentSecret.value,
      identity.argocd.adminPassword.value,
      identity.argocd.serverSecretKey.value,
      ...Object.values(identity.kafkaPasswords).map((p) => p.value),
      ...CA_NAMES.map((n) => identity.cas[n].current.key.split('\n')[1]),
    ];
    for (const s of secrets) expect(text).not.toContain(s);
  });

  test('the CA fingerprint is the SHA-256 of the DER certificate (as openssl prints it)', () => {
    const item = identityItems(identity).find((i) => i.name === 'k3s-server-ca')!;
    const hex = new X509Certificate(identity.cas['k3s-server-ca'].current.cert).fingerprint256.replace(
      /:/g,
      '',
    );
    expect(
      Buffer.from(item.fingerprint.slice('SHA256:'.length), 'base64').toString('hex').toUpperCase(),
    ).toBe(hex);
  });
});

describe('rotation by overlap', () => {
  test('a CA: begin stages one trusted next to the old, switch signs with it and keeps trusting the old, finish drops it', async () => {
    const name = 'k3s-client-ca';
    const oldCa = identity.cas[name].current;
    const oldClient = await issueCertificate(oldCa, { commonName: 'alice', days: 30, now: NOW });

    const begun = (await rotate(identity, name, 'begin', NOW)).identity;
    expect(begun.cas[name].current).toEqual(oldCa);
    expect(trustBundle(begun.cas[name]).match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    await expect(rotate(begun, name, 'begin')).rejects.toThrow(/already staged/);

    const switched = (await rotate(begun, name, 'switch', NOW)).identity;
    expect(switched.cas[name].current).toEqual(begun.cas[name].next);
    expect(switched.cas[name].generation).toBe(1);
    // The server's client-ca.crt holds both: Monday's client certificate still verifies.
    const serverBundle = k3sTlsFiles(switched)['client-ca.crt'];
    const certs = serverBundle.split(/(?=-----BEGIN CERTIFICATE-----)/).map((c) => new X509Certificate(c));
    expect(certs).toHaveLength(2);
    expect(certs.some((ca) => new X509Certificate(oldClient.cert).verify(ca.publicKey))).toBe(true);
    // The first certificate is the one k3s signs with, and matches the key.
    expect(certs[0].checkPrivateKey(createPrivateKey(k3sTlsFiles(switched)['client-ca.key']))).toBe(true);

    const finished = (await rotate(switched, name, 'finish', NOW)).identity;
    expect(trustBundle(finished.cas[name]).match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
    expect(finished.cas[name].current).toEqual(switched.cas[name].current);
  });

  test('the server CA switch changes the token hash to the new server-ca.crt', async () => {
    const begun = (await rotate(identity, 'k3s-server-ca', 'begin', NOW)).identity;
    expect(k3sTokens(begun)).toEqual(k3sTokens(identity));
    const switched = (await rotate(begun, 'k3s-server-ca', 'switch', NOW)).identity;
    const hash = createHash('sha256').update(k3sTlsFiles(switched)['server-ca.crt']).digest('hex');
    expect(k3sTokens(switched).server.slice(3, 67)).toBe(hash);
  });

  test('a host key: begin keeps serving the old one, switch serves the new one, both pinned until finish', async () => {
    const item = 'ssh-host-key:fixture-cp-0';
    const begun = (await rotate(identity, item, 'begin', NOW)).identity;
    expect(bootMaterial(begun, needs.nodeNames, {}).host_keys['fixture-cp-0'].public).toBe(
      identity.sshHostKeys['fixture-cp-0'].publicKey,
    );
    const switched = (await rotate(begun, item, 'switch', NOW)).identity;
    expect(bootMaterial(switched, needs.nodeNames, {}).host_keys['fixture-cp-0'].public).toBe(
      begun.sshHostKeys['fixture-cp-0'].next!.publicKey,
    );
    expect(switched.sshHostKeys['fixture-cp-0'].previousPublicKey).toBe(
      identity.sshHostKeys['fixture-cp-0'].publicKey,
    );
  });

  test('passwords change in one step; a step or an unknown item is refused with the fix', async () => {
    const r = await rotate(identity, 'kafka-password:app-a', undefined, NOW);
    expect(r.identity.kafkaPasswords['app-a'].value).not.toBe(identity.kafkaPasswords['app-a'].value);
    expect(r.identity.kafkaPasswords['external-client']).toEqual(identity.kafkaPasswords['external-client']);
    expect(r.message).toMatch(/next morning/);
    await expect(rotate(identity, 'kafka-password:app-a', 'begin')).rejects.toThrow(/one step/);
    await expect(rotate(identity, 'k3s-server-ca', undefined)).rejects.toThrow(/--step begin/);
    await expect(rotate(identity, 'nope', undefined)).rejects.toThrow(/cannot rotate 'nope'/);
    const argo = (
      await rotate(identity, 'argocd-admin-password', undefined, new Date('2027-01-01T00:00:00Z'))
    ).identity;
    expect(bcrypt.compareSync(argo.argocd.adminPassword.value, argo.argocd.adminPasswordBcrypt)).toBe(true);
    expect(argo.argocd.passwordMtime).toBe('2027-01-01T00:00:00Z');
  });
});
