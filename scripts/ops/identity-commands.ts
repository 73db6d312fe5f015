/**
 * The commands of the persistent identity and what clients configure once with it:
 *
 *   identity <env> [--json]                        each item: fingerprint, created, expires, where kept
 *   identity init <env>                            make it (also done by the first `up`)
 *   identity rotate <env> <item> [--step s]        rotation (CAs and host keys: begin, switch, finish)
 *   identity set-argocd-tls <env> --cert F --key F Argo CD's UI certificate, given once
 *   identity set-repo-creds <env> --ssh-key F      GitOps repository deploy key (or --github-app-*)
 *   identity get <env> <secret>                    prints one login secret (argocd/grafana admin)
 *   kubeconfig <env> [--user NAME] [--days N]      a client certificate of the persistent client CA
 *   kafka-client <env> [--user NAME]               ca.crt + client.properties for an external client
 *   known-hosts <env>                              the pinned SSH host keys (StrictHostKeyChecking=yes)
 *
 * Everything but `identity init` reads; nothing here needs the cluster to be up: what a client
 * trusts comes from the identity, the address from the Primary IPs.
 */
import { readFileSync } from 'fs';
import { homedir } from 'os';
import { isAbsolute, join, resolve } from 'path';
import { stringify } from 'yaml';
import { parseCommandLine, UsageError } from './args';
import type { Command, CommandIo } from './command';
import { environmentNamed } from './cycle';
import { ProjectEngine, type Engine } from './engine';
import { HcloudClient, type PrimaryIp } from './hcloud';
import { writePrivateFile } from './private-file';
import { environmentLabels } from './observe';
import {
  bootMaterialFor,
  clusterVars,
  ensureIdentity,
  EngineIdentityStore,
  knownHostsText,
  persistentVars,
  requireStatePassphrase,
  type IdentityStore,
} from './identity-store';
import {
  identityItems,
  issueCertificate,
  rotate,
  trustBundle,
  type ClusterIdentity,
  type RotationStep,
} from '../../lib/identity';
import { kafkaUserNames } from '../../charts/identity-secrets';
import type { ResolvedEnvironment } from '../../lib/environment';

/** Dependencies of the identity commands; tests pass their own. */
export interface IdentityCommandDeps {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default the persistent stack's state through a ProjectEngine (after a synth) */
  readonly store?: IdentityStore;
  /** @default HcloudClient.fromEnv(env) */
  readonly client?: HcloudClient;
  readonly now?: () => Date;
}

/** Where the identity is kept, in words (for `identity <env>`). */
export function whereKept(environment: string, env: NodeJS.ProcessEnv): string {
  const backend =
    (env.STATE_BACKEND ?? 'local') === 's3'
      ? `s3://${env.STATE_BUCKET ?? '?'}/hetzner-trading/${environment}-persistent.tfstate`
      : `state/${environment}-persistent.tfstate`;
  return `${backend} (terraform_data.identity, OpenTofu state encryption, passphrase TF_VAR_state_passphrase)`;
}

/** The Kubernetes group of the client certificates `kubeconfig` issues (k3s's admin group). */
export const KUBECONFIG_GROUP = 'system:masters';
/** Longest validity of an issued kubeconfig certificate. */
export const MAX_KUBECONFIG_DAYS = 365;

/** A kubeconfig for one user: the API's address, the persistent server CA(s), a client certificate. */
export async function kubeconfigFor(
  identity: ClusterIdentity,
  opts: {
    readonly server: string;
    readonly name: string;
    readonly user: string;
    readonly days: number;
    readonly now: Date;
  },
): Promise<{ text: string; expires: Date }> {
  const client = await issueCertificate(identity.cas['k3s-client-ca'].current, {
    commonName: opts.user,
    organizations: [KUBECONFIG_GROUP],
    days: opts.days,
    now: opts.now,
  });
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: opts.name,
        cluster: {
          server: opts.server,
          'certificate-authority-data': b64(trustBundle(identity.cas['k3s-server-ca'])),
        },
      },
    ],
    users: [
      {
        name: `${opts.name}-${opts.user}`,
        user: { 'client-certificate-data': b64(client.cert), 'client-key-data': b64(client.key) },
      },
    ],
    contexts: [{ name: opts.name, context: { cluster: opts.name, user: `${opts.name}-${opts.user}` } }],
    'current-context': opts.name,
  };
  return {
    text: stringify(config, { lineWidth: 0 }),
    expires: new Date(opts.now.getTime() + opts.days * 86_400_000),
  };
}

/** The `client.properties` of an external Kafka client (TLS + SCRAM-SHA-512, PEM truststore). */
export function kafkaClientProperties(opts: {
  readonly bootstrap: string;
  readonly user: string;
  readonly password: string;
  readonly caFile: string;
}): string {
  return [
    `# Written by npm run ops -- kafka-client; works every morning (persistent CA and password).`,
    `bootstrap.servers=${opts.bootstrap}`,
    'security.protocol=SASL_SSL',
    'sasl.mechanism=SCRAM-SHA-512',
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${opts.user}" password="${opts.password}";`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${opts.caFile}`,
    '',
  ].join('\n');
}

/** The default known_hosts file of an environment. */
export function knownHostsPath(environment: string, home: string): string {
  return join(home, '.ssh', 'hetzner-trading', `known_hosts.${environment}`);
}

/** The KafkaUser `kafka-client` writes for by default: the kafka chart's external user. */
export const DEFAULT_KAFKA_CLIENT_USER = 'external-client';

const ITEM_ARG = /^[a-z0-9:._-]+$/;

/** The identity, kubeconfig, kafka-client and known-hosts commands. */
export function identityCommands(deps: IdentityCommandDeps = {}): Record<string, Command> {
  const envOf = () => deps.env ?? process.env;
  const now = () => (deps.now ?? (() => new Date()))();
  const storeFor = async (): Promise<IdentityStore> => {
    if (deps.store) return deps.store;
    requireStatePassphrase(envOf());
    const engine: Engine = new ProjectEngine({ env: envOf() });
    await engine.synth({});
    return new EngineIdentityStore(engine);
  };
  const loaded = async (environment: string): Promise<ClusterIdentity> => {
    const identity = await (await storeFor()).load(environment);
    if (!identity) {
      throw new Error(
        `${environment} has no identity yet: run 'npm run ops -- identity init ${environment}' (or the first 'up' makes it)`,
      );
    }
    return identity;
  };
  const addresses = async (env: ResolvedEnvironment) => {
    const client = deps.client ?? HcloudClient.fromEnv(envOf());
    const ips = await client.list<PrimaryIp>('primary_ips', { labelSelector: environmentLabels(env) });
    return {
      controlPlane: ips.find((p) => p.name === env.controlPlaneIpName)?.ip,
      kafka: ips.find((p) => p.name === env.kafkaIpName)?.ip,
    };
  };
  const outPath = (flag: string | boolean | undefined, fallback: string) =>
    typeof flag === 'string' ? (isAbsolute(flag) ? flag : resolve(flag)) : fallback;
  const home = () => envOf().HOME || homedir();

  const define = (
    usage: string,
    summary: string,
    flags: Readonly<Record<string, 'boolean' | 'string'>>,
    body: (
      positional: string[],
      flags: Record<string, string | boolean | undefined>,
      io: CommandIo,
    ) => Promise<number>,
  ): Command => ({
    usage,
    summary,
    async run(args, io) {
      try {
        const line = parseCommandLine(args, flags);
        return await body(line.positional, line.flags, io);
      } catch (e) {
        if (e instanceof UsageError) {
          io.err(`${e.message}\nusage: ${usage}`);
          return 2;
        }
        throw e;
      }
    },
  });
  const oneEnv = (positional: string[], count = 1): ResolvedEnvironment => {
    if (positional.length !== count)
      throw new UsageError(`expected ${count} argument(s), got ${positional.length}`);
    try {
      return environmentNamed(positional[0]).env;
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  };

  const identity = define(
    'identity <env> [--json] | identity init|rotate|set-argocd-tls|set-repo-creds|get <env> ... | identity tf-var <stack>',
    'the persistent identity: list it, make it, rotate, add the Argo CD certificate or repo credentials',
    {
      json: 'boolean',
      step: 'string',
      cert: 'string',
      key: 'string',
      'ssh-key': 'string',
      'github-app-id': 'string',
      'github-app-installation-id': 'string',
      'github-app-key': 'string',
    },
    async (positional, flags, io) => {
      const [verb, ...rest] = positional;
      switch (verb) {
        case 'init': {
          const env = oneEnv(rest);
          const store = await storeFor();
          const before = await store.load(env.name);
          const r = await ensureIdentity(store, env, io.out, now());
          io.out(
            before
              ? `${env.name} already has an identity (made ${before.createdAt}); nothing replaced${r.added.length ? `, added ${r.added.join(', ')}` : ''}.`
              : `Made the identity of ${env.name}; kept in ${whereKept(env.name, envOf())}.`,
          );
          return 0;
        }
        case 'rotate': {
          if (rest.length !== 2)
            throw new UsageError('usage: identity rotate <env> <item> [--step begin|switch|finish]');
          const env = oneEnv(rest.slice(0, 1));
          if (!ITEM_ARG.test(rest[1]))
            throw new UsageError(`item '${rest[1]}' is not an item name (see 'identity ${env.name}')`);
          const step = flags.step as RotationStep | undefined;
          if (step !== undefined && !['begin', 'switch', 'finish'].includes(step)) {
            throw new UsageError(`--step must be begin, switch or finish, got '${String(step)}'`);
          }
          const store = await storeFor();
          const current = await loaded(env.name);
          const r = await rotate(current, rest[1], step, now());
          await store.save(r.identity);
          io.out(r.message);
          return 0;
        }
        case 'set-argocd-tls': {
          const env = oneEnv(rest);
          if (typeof flags.cert !== 'string' || typeof flags.key !== 'string') {
            throw new UsageError('set-argocd-tls needs --cert <PEM chain file> and --key <PEM key file>');
          }
          const cert = readFileSync(flags.cert, 'utf8');
          const key = readFileSync(flags.key, 'utf8');
          if (!cert.includes('-----BEGIN CERTIFICATE-----') || !key.includes('PRIVATE KEY-----')) {
            throw new Error(
              `--cert must be a PEM certificate chain and --key a PEM private key (${flags.cert}, ${flags.key})`,
            );
          }
          const store = await storeFor();
          const current = await loaded(env.name);
          await store.save({
            ...current,
            argocd: { ...current.argocd, tls: { cert, key, createdAt: now().toISOString() } },
          });
          io.out(
            `Stored Argo CD's UI certificate for ${env.name}; served from the next morning on (no daily kubectl).`,
          );
          return 0;
        }
        case 'set-repo-creds': {
          const env = oneEnv(rest);
          const sshKey = flags['ssh-key'];
          const app = [flags['github-app-id'], flags['github-app-installation-id'], flags['github-app-key']];
          let creds: NonNullable<ClusterIdentity['argocd']['repoCreds']>;
          if (typeof sshKey === 'string') {
            creds = { sshPrivateKey: readFileSync(sshKey, 'utf8'), createdAt: now().toISOString() };
          } else if (app.every((v) => typeof v === 'string')) {
            creds = {
              githubAppId: app[0] as string,
              githubAppInstallationId: app[1] as string,
              githubAppPrivateKey: readFileSync(app[2] as string, 'utf8'),
              createdAt: now().toISOString(),
            };
          } else {
            throw new UsageError(
              'set-repo-creds needs --ssh-key <file>, or --github-app-id, --github-app-installation-id and --github-app-key <file>',
            );
          }
          const store = await storeFor();
          const current = await loaded(env.name);
          await store.save({ ...current, argocd: { ...current.argocd, repoCreds: creds } });
          io.out(
            `Stored the GitOps repository credentials for ${env.name}; Argo CD uses them from the next morning on.`,
          );
          return 0;
        }
        case 'get': {
          if (rest.length !== 2)
            throw new UsageError('usage: identity get <env> argocd-admin-password|grafana-admin-password');
          const env = oneEnv(rest.slice(0, 1));
          const current = await loaded(env.name);
          const secrets: Record<string, string> = {
            'argocd-admin-password': current.argocd.adminPassword.value,
            'grafana-admin-password': current.grafanaAdminPassword.value,
          };
          if (!(rest[1] in secrets))
            throw new UsageError(`get takes ${Object.keys(secrets).join(' or ')}, got '${rest[1]}'`);
          io.out(secrets[rest[1]]);
          return 0;
        }
        case 'tf-var': {
          // For scripts/tf.sh: the value of TF_VAR_identity for one stack (secret: never log it).
          if (rest.length !== 1)
            throw new UsageError('usage: identity tf-var <stack> (e.g. dev or dev-persistent)');
          const persistent = rest[0].endsWith('-persistent');
          const env = oneEnv([persistent ? rest[0].slice(0, -'-persistent'.length) : rest[0]]);
          const current = await loaded(env.name);
          const vars = persistent
            ? persistentVars(current, env.name)
            : clusterVars(bootMaterialFor(env, current), env.name);
          io.out(vars.TF_VAR_identity);
          return 0;
        }
        default: {
          const env = oneEnv(positional);
          const current = await loaded(env.name);
          const items = identityItems(current);
          const kept = whereKept(env.name, envOf());
          if (flags.json) {
            io.out(
              JSON.stringify(
                { environment: env.name, createdAt: current.createdAt, keptIn: kept, items },
                null,
                2,
              ),
            );
            return 0;
          }
          const rows = [
            ['ITEM', 'FINGERPRINT', 'CREATED', 'EXPIRES'],
            ...items.map((i) => [
              i.name + (i.rotation ? ` (${i.rotation})` : ''),
              i.fingerprint,
              i.created.slice(0, 10),
              i.expires === 'never' ? 'never' : i.expires.slice(0, 10),
            ]),
          ];
          const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
          io.out(`Identity of ${env.name}, made ${current.createdAt}, kept in ${kept}`);
          for (const r of rows)
            io.out(
              r
                .map((v, c) => v.padEnd(widths[c]))
                .join('  ')
                .trimEnd(),
            );
          return 0;
        }
      }
    },
  );

  const kubeconfig = define(
    'kubeconfig <env> [--out path] [--user name] [--days 30]',
    'write a kubeconfig that keeps working every morning (client certificate of the persistent CA)',
    { out: 'string', user: 'string', days: 'string' },
    async (positional, flags, io) => {
      const env = oneEnv(positional);
      const user = (flags.user as string | undefined) ?? envOf().USER ?? 'operator';
      if (!/^[a-z0-9][a-z0-9._@-]{0,63}$/i.test(user))
        throw new UsageError(`--user must be a plain name, got '${user}'`);
      const days = flags.days === undefined ? 30 : Number(flags.days);
      if (!Number.isInteger(days) || days < 1 || days > MAX_KUBECONFIG_DAYS) {
        throw new UsageError(
          `--days must be a whole number of days from 1 to ${MAX_KUBECONFIG_DAYS}, got '${String(flags.days)}'`,
        );
      }
      const current = await loaded(env.name);
      const ip = (await addresses(env)).controlPlane;
      const host = env.apiDnsName ?? ip;
      if (!host)
        throw new Error(
          `${env.name} has no Primary IP ${env.controlPlaneIpName} and no apiDnsName: run 'up' once`,
        );
      const name = `trading-${env.name}`;
      const out = outPath(flags.out, join(home(), '.kube', `${name}.yaml`));
      const k = await kubeconfigFor(current, {
        server: `https://${host}:6443`,
        name,
        user,
        days,
        now: now(),
      });
      writePrivateFile(out, k.text);
      io.out(
        [
          `Wrote the kubeconfig of ${env.name} to ${out} (mode 0600): context ${name}, server https://${host}:6443, user ${user} (group ${KUBECONFIG_GROUP}), certificate valid until ${k.expires.toISOString().slice(0, 10)}.`,
          `It keeps working across the daily rebuild: the server CA and client CA are persistent. Use it: KUBECONFIG=${out} kubectl get nodes`,
        ].join('\n'),
      );
      return 0;
    },
  );

  const kafkaClient = define(
    'kafka-client <env> [--user name] [--out dir]',
    'write ca.crt and client.properties for an external Kafka client (work every morning)',
    { user: 'string', out: 'string' },
    async (positional, flags, io) => {
      const env = oneEnv(positional);
      const users = kafkaUserNames(env);
      const user = (flags.user as string | undefined) ?? DEFAULT_KAFKA_CLIENT_USER;
      if (!users.includes(user))
        throw new UsageError(`--user must be one of the KafkaUsers (${users.join(', ')}), got '${user}'`);
      const current = await loaded(env.name);
      const password = current.kafkaPasswords[user]?.value;
      if (!password)
        throw new Error(
          `the identity of ${env.name} has no password for ${user}: run 'identity init ${env.name}'`,
        );
      const dir = outPath(flags.out, join(home(), '.config', 'hetzner-trading', env.name, 'kafka'));
      const caFile = join(dir, 'ca.crt');
      const bootstrapHost = env.kafkaDnsName ?? (await addresses(env)).kafka;
      if (!bootstrapHost)
        throw new Error(
          `${env.name} has no Primary IP ${env.kafkaIpName} and no kafkaDnsName: run 'up' once`,
        );
      writePrivateFile(caFile, trustBundle(current.cas['strimzi-cluster-ca']));
      const propsFile = join(dir, `${user}.properties`);
      writePrivateFile(
        propsFile,
        kafkaClientProperties({
          bootstrap: `${bootstrapHost}:${env.kafkaExternalPorts[0]}`,
          user,
          password,
          caFile,
        }),
      );
      io.out(
        `Wrote ${caFile} (Strimzi cluster CA) and ${propsFile} (user ${user}); both keep working every morning. Use: kafka-console-consumer.sh --consumer.config ${propsFile} ...`,
      );
      return 0;
    },
  );

  const knownHosts = define(
    'known-hosts <env> [--out path]',
    'write the pinned SSH host keys of the nodes (use with StrictHostKeyChecking=yes)',
    { out: 'string' },
    async (positional, flags, io) => {
      const env = oneEnv(positional);
      const current = await loaded(env.name);
      const out = outPath(flags.out, knownHostsPath(env.name, home()));
      writePrivateFile(out, knownHostsText(env, current, await addresses(env)));
      io.out(
        `Wrote ${out}: ssh -o UserKnownHostsFile=${out} -o StrictHostKeyChecking=yes root@${env.apiDnsName ?? '<control plane IP>'}`,
      );
      return 0;
    },
  );

  return { identity, kubeconfig, 'kafka-client': kafkaClient, 'known-hosts': knownHosts };
}

/** The commands with their defaults. */
export const IDENTITY_COMMANDS: Readonly<Record<string, Command>> = identityCommands();
