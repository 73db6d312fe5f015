import { Testing } from 'cdk8s';
import { parse, parseAllDocuments } from 'yaml';
import { AppOfAppsChart } from '../../charts/app-of-apps';
import { renderBootstrapManifests } from '../../charts/bootstrap';
import {
  IDENTITY_SECRETS_FILE,
  IdentitySecretsInput,
  kafkaUserNames,
  renderIdentitySecrets,
} from '../../charts/identity-secrets';
import { KafkaChart } from '../../charts/kafka';
import { renderGitopsFiles } from '../../charts/render';
import type { ResolvedEnvironment } from '../../lib/environment';
import { find, fixtureEnvironments, ofKind, resolved } from './helpers';
import type { Manifest } from './helpers';

/** A fake but well-formed PEM block whose body spells `tag`, so a leak is easy to find. */
function pem(label: string, tag: string): string {
  const body = Buffer.from(`fixture-${tag}-`.repeat(6)).toString('base64');
  return `-----BEGIN ${label}-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

const FIXTURE_PREFIX = 'fixture-secret';

/** The identity's values for an environment: a password for every KafkaUser its kafka chart renders. */
function fixtureInput(
  env: ResolvedEnvironment,
  overrides: Partial<IdentitySecretsInput> = {},
): IdentitySecretsInput {
  return {
    strimzi: {
      clusterCa: {
        cert: pem('CERTIFICATE', 'cluster-ca-cert'),
        key: pem('PRIVATE KEY', 'cluster-ca-key'),
        certGeneration: 3,
        keyGeneration: 2,
      },
      clientsCa: {
        cert: pem('CERTIFICATE', 'clients-ca-cert'),
        key: pem('EC PRIVATE KEY', 'clients-ca-key'),
        certGeneration: 0,
        keyGeneration: 1,
      },
    },
    kafkaPasswords: Object.fromEntries(kafkaUserNames(env).map((u) => [u, `${FIXTURE_PREFIX}-pw-${u}`])),
    argocd: {
      adminPasswordBcrypt: '$2a$10$' + 'fixtureSecretBcryptHashOfTheAdminPassword'.padEnd(53, 'x'),
      passwordMtime: '2026-01-02T15:04:05Z',
      serverSecretKey: `${FIXTURE_PREFIX}-server-secretkey`,
    },
    grafanaAdminPassword: `${FIXTURE_PREFIX}-grafana`,
    ...overrides,
  };
}

const withArgocd = (env: ResolvedEnvironment, argocd: Partial<IdentitySecretsInput['argocd']>) => {
  const input = fixtureInput(env);
  return { ...input, argocd: { ...input.argocd, ...argocd } };
};

/** Every secret string of an input: passwords, keys, certificates (and their PEM bodies). */
function secretStrings(input: IdentitySecretsInput): string[] {
  const { clusterCa, clientsCa } = input.strimzi;
  const pems = [clusterCa.cert, clusterCa.key, clientsCa.cert, clientsCa.key];
  return [
    ...pems,
    ...pems.map((p) => p.split('\n')[1]),
    ...Object.values(input.kafkaPasswords),
    input.argocd.adminPasswordBcrypt,
    input.argocd.serverSecretKey,
    input.grafanaAdminPassword,
  ];
}

const docsOf = (env: ResolvedEnvironment, input = fixtureInput(env)): Manifest[] =>
  parseAllDocuments(renderIdentitySecrets(env, input).content).map((d) => d.toJS());

const secretsIn = (docs: Manifest[], namespace: string) =>
  docs.filter((d) => d.kind === 'Secret' && d.metadata.namespace === namespace);

describe.each(fixtureEnvironments())('identity Secrets, environment %s', (_name, env) => {
  const input = fixtureInput(env);
  const docs = docsOf(env, input);

  test(`one ${IDENTITY_SECRETS_FILE} of Opaque/TLS Secrets with string values`, () => {
    expect(renderIdentitySecrets(env, input).fileName).toBe('identity-secrets.yaml');
    for (const doc of docs) {
      expect(doc).toEqual(expect.objectContaining({ apiVersion: 'v1', kind: 'Secret' }));
      expect(['Opaque', 'kubernetes.io/tls']).toContain(doc.type);
      expect(doc).not.toHaveProperty('data');
      for (const value of Object.values(doc.stringData)) expect(typeof value).toBe('string');
    }
    const names = docs.map((d) => `${d.metadata.namespace}/${d.metadata.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  test("Strimzi's four CA Secrets, as its custom-CA procedure names, labels and annotates them", () => {
    const cluster = 'trading-cluster';
    const labels = { 'strimzi.io/kind': 'Kafka', 'strimzi.io/cluster': cluster };
    const expected = [
      [`${cluster}-cluster-ca-cert`, 'ca.crt', input.strimzi.clusterCa.cert, 'ca-cert-generation', '3'],
      [`${cluster}-cluster-ca`, 'ca.key', input.strimzi.clusterCa.key, 'ca-key-generation', '2'],
      [`${cluster}-clients-ca-cert`, 'ca.crt', input.strimzi.clientsCa.cert, 'ca-cert-generation', '0'],
      [`${cluster}-clients-ca`, 'ca.key', input.strimzi.clientsCa.key, 'ca-key-generation', '1'],
    ];
    for (const [name, key, value, annotation, generation] of expected) {
      const secret = find(docs, 'Secret', name, 'kafka');
      expect(secret.type).toBe('Opaque');
      expect(secret.metadata.labels).toEqual(labels);
      expect(secret.metadata.annotations).toEqual({ [`strimzi.io/${annotation}`]: generation });
      expect(secret.stringData).toEqual({ [key]: value });
    }
  });

  test("every KafkaUser's secretKeyRef resolves to its own password Secret in its namespace", () => {
    const users = ofKind(Testing.synth(new KafkaChart(Testing.app(), 'kafka', { env })), 'KafkaUser');
    expect(users.map((u) => u.metadata.name)).toEqual(kafkaUserNames(env));
    expect(users.length).toBe(env.tradingApps.length + 1);
    const passwordSecrets = secretsIn(docs, 'kafka').filter((s) => !s.metadata.labels['strimzi.io/kind']);
    expect(passwordSecrets).toHaveLength(users.length);
    for (const user of users) {
      const ref = user.spec.authentication.password.valueFrom.secretKeyRef;
      expect(ref).toEqual({ name: `${user.metadata.name}-password`, key: 'password' });
      const secret = find(docs, 'Secret', ref.name, user.metadata.namespace);
      expect(secret.stringData).toEqual({ [ref.key]: input.kafkaPasswords[user.metadata.name] });
    }
  });

  test("each trading app's credentials, in its own namespace, match its KafkaUser's password", () => {
    for (const app of env.tradingApps) {
      const user = `app-${app.name}`;
      const secret = find(docs, 'Secret', `${app.name}-kafka-credentials`, app.kind);
      const password = input.kafkaPasswords[user];
      expect(secret.stringData).toEqual({
        username: user,
        password,
        'sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`,
      });
    }
  });

  test('argocd-secret carries what the chart would have, labelled for Argo CD; the chart makes none', () => {
    const values = parse(parse(renderBootstrapManifests(env)[0].content).spec.valuesContent);
    expect(values.configs.secret.createSecret).toBe(false);
    const secret = find(docs, 'Secret', 'argocd-secret', 'argocd');
    expect(secret.type).toBe('Opaque');
    expect(secret.metadata.labels).toEqual({
      'app.kubernetes.io/name': 'argocd-secret',
      'app.kubernetes.io/part-of': 'argocd',
    });
    expect(secret.stringData).toEqual({
      'admin.password': input.argocd.adminPasswordBcrypt,
      'admin.passwordMtime': '2026-01-02T15:04:05Z',
      'server.secretkey': input.argocd.serverSecretKey,
    });
  });

  test("Grafana's admin login is the rendered Secret, with the keys the chart values name", () => {
    const grafana = secretsIn(docs, 'monitoring');
    const apps = ofKind(Testing.synth(new AppOfAppsChart(Testing.app(), 'apps', { env })), 'Application');
    const monitoring = apps.filter((a) => a.metadata.name === 'monitoring');
    expect(monitoring).toHaveLength(env.monitoring ? 1 : 0);
    if (!env.monitoring) {
      expect(grafana).toEqual([]);
      return;
    }
    expect(grafana).toHaveLength(1);
    const admin = monitoring[0].spec.source.helm.valuesObject.grafana.admin;
    const secret = find(docs, 'Secret', admin.existingSecret, 'monitoring');
    expect(Object.keys(secret.stringData).sort()).toEqual([admin.passwordKey, admin.userKey].sort());
    expect(secret.stringData[admin.userKey]).toBe('admin');
    expect(secret.stringData[admin.passwordKey]).toBe(input.grafanaAdminPassword);
  });

  test('the UI certificate becomes the TLS Secret the Argo CD Ingress references', () => {
    const values = parse(parse(renderBootstrapManifests(env)[0].content).spec.valuesContent);
    const ingress = values.extraObjects.find((o: Manifest) => o.kind === 'Ingress');
    const [{ secretName }] = ingress.spec.tls;
    expect(secretName).toBe(env.argocdTlsSecretName ?? 'argocd-ingress-tls');
    expect(docs.filter((d) => d.type === 'kubernetes.io/tls')).toEqual([]);
    const tls = {
      cert: pem('CERTIFICATE', 'ui-cert') + pem('CERTIFICATE', 'ui-ca'),
      key: pem('PRIVATE KEY', 'ui'),
    };
    const secret = find(
      docsOf(env, withArgocd(env, { tls })),
      'Secret',
      secretName,
      ingress.metadata.namespace,
    );
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(secret.stringData).toEqual({ 'tls.crt': tls.cert, 'tls.key': tls.key });
  });

  test('nothing depends on the time of rendering: two renders a day apart are identical', () => {
    jest.useFakeTimers({ now: new Date('2026-03-02T06:00:00Z') });
    try {
      const first = renderIdentitySecrets(env, input).content;
      jest.setSystemTime(new Date('2026-03-03T06:00:00Z'));
      const second = renderIdentitySecrets(env, input).content;
      expect(second).toBe(first);
      expect(find(docsOf(env, input), 'Secret', 'argocd-secret').stringData['admin.passwordMtime']).toBe(
        input.argocd.passwordMtime,
      );
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('identity Secrets: repository credentials', () => {
  test('an SSH deploy key becomes a repo-creds Secret for the SSH GitOps URL', () => {
    const env = resolved('prod', { gitopsRepoUrl: 'git@github.com:example-org/gitops.git' });
    const sshPrivateKey = pem('OPENSSH PRIVATE KEY', 'deploy-key');
    const secret = find(
      docsOf(env, withArgocd(env, { repoCreds: { sshPrivateKey } })),
      'Secret',
      'gitops-repo-creds',
    );
    expect(secret.metadata).toEqual(
      expect.objectContaining({
        namespace: 'argocd',
        labels: { 'argocd.argoproj.io/secret-type': 'repo-creds' },
      }),
    );
    expect(secret.stringData).toEqual({ type: 'git', url: env.gitopsRepoUrl, sshPrivateKey });
  });

  test('a GitHub App becomes a repo-creds Secret with the field names Argo CD reads', () => {
    const env = resolved('dev');
    const repoCreds = {
      githubAppId: '123456',
      githubAppInstallationId: '7890',
      githubAppPrivateKey: pem('RSA PRIVATE KEY', 'github-app'),
    };
    const secret = find(docsOf(env, withArgocd(env, { repoCreds })), 'Secret', 'gitops-repo-creds', 'argocd');
    expect(secret.stringData).toEqual({
      type: 'git',
      url: 'https://github.com/example-org/hetzner-trading-cluster.git',
      githubAppID: '123456',
      githubAppInstallationID: '7890',
      githubAppPrivateKey: repoCreds.githubAppPrivateKey,
    });
  });

  test('none without credentials: the repository is public', () => {
    const env = resolved('dev');
    expect(docsOf(env).filter((d) => d.metadata.labels?.['argocd.argoproj.io/secret-type'])).toEqual([]);
  });
});

describe('identity Secrets: long values stay byte-exact', () => {
  test('PEM texts and long passwords are never folded', () => {
    const env = resolved('dev');
    const long = 'p'.repeat(300);
    const input = fixtureInput(env, {
      kafkaPasswords: { ...fixtureInput(env).kafkaPasswords, 'app-market-data-ingest': long },
    });
    const { content } = renderIdentitySecrets(env, input);
    expect(content.split('\n')).toContain(`  password: ${long}`);
    const docs = parseAllDocuments(content).map((d) => d.toJS());
    expect(find(docs, 'Secret', 'trading-cluster-cluster-ca-cert').stringData['ca.crt']).toBe(
      input.strimzi.clusterCa.cert,
    );
  });
});

describe('identity Secrets: inputs are checked, naming the field and the fix, never the secret', () => {
  const env = resolved('prod');
  const expectRefused = (input: IdentitySecretsInput, message: string | RegExp) => {
    let error: unknown;
    try {
      renderIdentitySecrets(env, input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    const text = String((error as Error).message);
    expect(text).toMatch(message);
    for (const secret of secretStrings(fixtureInput(env))) expect(text).not.toContain(secret);
    return text;
  };
  const withCa = (ca: Partial<IdentitySecretsInput['strimzi']['clusterCa']>) => {
    const input = fixtureInput(env);
    return { ...input, strimzi: { ...input.strimzi, clusterCa: { ...input.strimzi.clusterCa, ...ca } } };
  };

  test('a KafkaUser the kafka chart renders without a password', () => {
    const kafkaPasswords = Object.fromEntries(
      Object.entries(fixtureInput(env).kafkaPasswords).filter(([user]) => user !== 'external-client'),
    );
    expectRefused(
      fixtureInput(env, { kafkaPasswords }),
      "kafkaPasswords has no password for KafkaUser 'external-client', which the kafka chart renders; add one (npm run ops -- identity init prod fills in missing passwords)",
    );
  });

  test('a password that would break the JAAS line', () => {
    const kafkaPasswords = { ...fixtureInput(env).kafkaPasswords, 'app-market-data-ingest': 'a"b' };
    expectRefused(
      fixtureInput(env, { kafkaPasswords }),
      /kafkaPasswords\['app-market-data-ingest'\] contains a double quote/,
    );
  });

  test('an empty PEM', () => {
    expectRefused(withCa({ cert: '' }), 'strimzi.clusterCa.cert is empty; give the PEM certificate text');
    expectRefused(withCa({ key: '  \n' }), 'strimzi.clusterCa.key is empty; give the PEM private key text');
  });

  test('a certificate that is not PEM, or that holds a private key', () => {
    expectRefused(
      withCa({ cert: '/etc/ssl/ca.crt' }),
      'strimzi.clusterCa.cert is not a PEM certificate: no -----BEGIN CERTIFICATE----- block in text starting "/etc/ssl/ca.crt"; give the PEM text itself',
    );
    const text = expectRefused(
      withCa({ cert: fixtureInput(env).strimzi.clusterCa.key }),
      'strimzi.clusterCa.cert contains a private key, which would be published with the certificate',
    );
    expect(text).not.toContain('BEGIN PRIVATE KEY');
  });

  test('a key that is not a PEM private key, or is encrypted', () => {
    expectRefused(
      withCa({ key: pem('CERTIFICATE', 'x') }),
      /strimzi\.clusterCa\.key is not one PEM private key \(found 'CERTIFICATE'/,
    );
    expectRefused(
      withCa({ key: pem('ENCRYPTED PRIVATE KEY', 'x') }),
      /strimzi\.clusterCa\.key is an encrypted private key/,
    );
  });

  test('generations that are not whole numbers >= 0', () => {
    expectRefused(
      withCa({ certGeneration: -1 }),
      "strimzi.clusterCa.certGeneration must be a whole number >= 0 (Strimzi's strimzi.io/ca-cert-generation",
    );
  });

  test("Argo CD's admin password not hashed, an mtime that is not RFC 3339, no server key", () => {
    expectRefused(
      withArgocd(env, { adminPasswordBcrypt: 'hunter2' }),
      /argocd\.adminPasswordBcrypt must be a bcrypt hash/,
    );
    expectRefused(
      withArgocd(env, { passwordMtime: 'yesterday' }),
      /argocd\.passwordMtime must be an RFC 3339 time .*got "yesterday"/,
    );
    expectRefused(
      withArgocd(env, { serverSecretKey: '' }),
      "argocd.serverSecretKey is empty; give Argo CD's server.secretkey",
    );
  });

  test('repository credentials that do not fit the GitOps URL', () => {
    expectRefused(
      withArgocd(env, { repoCreds: { sshPrivateKey: pem('OPENSSH PRIVATE KEY', 'k') } }),
      "argocd.repoCreds is an SSH deploy key, but gitopsRepoUrl 'https://github.com/example-org/hetzner-trading-cluster.git' is not an SSH URL",
    );
    const ssh = resolved('prod', { gitopsRepoUrl: 'git@github.com:example-org/gitops.git' });
    const app = {
      githubAppId: '1',
      githubAppInstallationId: '2',
      githubAppPrivateKey: pem('RSA PRIVATE KEY', 'k'),
    };
    expect(() => renderIdentitySecrets(ssh, withArgocd(ssh, { repoCreds: app }))).toThrow(
      "argocd.repoCreds is a GitHub App, but gitopsRepoUrl 'git@github.com:example-org/gitops.git' is not an https:// URL",
    );
    expectRefused(
      withArgocd(env, { repoCreds: { ...app, githubAppId: 'my-app' } }),
      `argocd.repoCreds.githubAppId must be the GitHub App's numeric id as a string (e.g. '123456'), got "my-app"`,
    );
  });

  test('no Grafana password with monitoring on; none needed with it off', () => {
    expect(env.monitoring).toBe(true);
    expectRefused(
      fixtureInput(env, { grafanaAdminPassword: '' }),
      "grafanaAdminPassword is empty; give Grafana's admin password",
    );
    const dev = resolved('dev');
    expect(dev.monitoring).toBe(false);
    expect(() => renderIdentitySecrets(dev, fixtureInput(dev, { grafanaAdminPassword: '' }))).not.toThrow();
  });

  test('every broken rule at once, in one error', () => {
    const text = expectRefused(
      { ...withCa({ cert: '' }), grafanaAdminPassword: '' },
      /Identity Secrets of environment 'prod':\n {2}- strimzi\.clusterCa\.cert is empty/,
    );
    expect(text).toContain('  - grafanaAdminPassword is empty');
  });
});

describe('nothing secret lands in gitops/', () => {
  const files = renderGitopsFiles();
  const everyEnv = fixtureEnvironments();

  test('no Secret with data or stringData in any rendered file', () => {
    const withValues = [...files].flatMap(([file, text]) =>
      parseAllDocuments(text)
        .map((d) => d.toJS())
        .filter((doc) => doc?.kind === 'Secret' && (doc.data !== undefined || doc.stringData !== undefined))
        .map((doc) => `${file}: Secret ${doc.metadata?.name}`),
    );
    expect(withValues).toEqual([]);
  });

  test('none of the identity Secrets, by name, and none of their values', () => {
    const text = [...files.values()].join('\n');
    const rendered = new Set(
      [...files.values()].flatMap((t) =>
        parseAllDocuments(t)
          .map((d) => d.toJS())
          .map((doc) => `${doc?.kind} ${doc?.metadata?.namespace}/${doc?.metadata?.name}`),
      ),
    );
    for (const [, env] of everyEnv) {
      const input = fixtureInput(env);
      for (const secret of secretStrings(input)) expect(text).not.toContain(secret);
      for (const doc of docsOf(env, input)) {
        // Argo CD would prune or overwrite what k3s delivered
        expect(rendered).not.toContain(`Secret ${doc.metadata.namespace}/${doc.metadata.name}`);
      }
    }
    expect(text).not.toContain(FIXTURE_PREFIX);
  });
});
