import { Testing } from 'cdk8s';
import { dev, ENVIRONMENTS, prod } from '../../environments';
import type { EnvironmentConfig } from '../../environments/types';
import { resolveEnvironment, ResolvedEnvironment } from '../../lib/environment';

/** A resolved (validated) environment, plus overrides. */
export function resolved(
  base: 'dev' | 'prod',
  overrides: Partial<EnvironmentConfig> = {},
): ResolvedEnvironment {
  const config = base === 'dev' ? dev : prod;
  return resolveEnvironment({ ...config, ...overrides });
}

/**
 * A resolved environment with overrides that skip the config validation: for testing a
 * chart's own guards, which protect constructs used without an environment config.
 */
export function unvalidated(
  base: 'dev' | 'prod',
  overrides: Partial<ResolvedEnvironment>,
): ResolvedEnvironment {
  return { ...resolved(base), ...overrides };
}

/** A synthesized manifest (plain JSON, as `Testing.synth` returns it). */
export type Manifest = ReturnType<typeof Testing.synth>[number];

/** Manifests of a synthesized chart of the given kind. */
export function ofKind(manifests: Manifest[], kind: string): Manifest[] {
  return manifests.filter((m) => m.kind === kind);
}

/** The one manifest of a kind and name. */
export function find(manifests: Manifest[], kind: string, name: string, namespace?: string): Manifest {
  const found = manifests.filter(
    (m) =>
      m.kind === kind &&
      m.metadata.name === name &&
      (namespace === undefined || m.metadata.namespace === namespace),
  );
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0];
}

/**
 * Every environment a chart property must hold for: each shipped one in `environments/`, and
 * the fixture configs the chart tests use (no trading apps, one app on one topic, monitoring
 * on a small cluster, no DNS name, an SSH GitOps URL, the environment's own TLS Secret name).
 */
export function fixtureEnvironments(): Array<[string, ResolvedEnvironment]> {
  return [
    ...ENVIRONMENTS.map(
      (config) => [config.name, resolveEnvironment(config)] as [string, ResolvedEnvironment],
    ),
    ['dev without trading apps', resolved('dev', { tradingApps: [] })],
    [
      'prod with one strategy on one topic',
      resolved('prod', {
        tradingApps: [{ name: 'sig', kind: 'strategies', image: 'example/sig:1', topics: ['signals'] }],
      }),
    ],
    [
      'dev with monitoring',
      resolved('dev', { monitoring: true, quotaPercent: { ingestion: 40, strategies: 30, monitoring: 25 } }),
    ],
    ['dev without apiDnsName', resolved('dev', { apiDnsName: undefined })],
    [
      'prod with an SSH GitOps URL',
      resolved('prod', { gitopsRepoUrl: 'git@github.com:example-org/gitops.git' }),
    ],
    ['dev with its own TLS Secret name', resolved('dev', { argocdTlsSecretName: 'argocd-tls' })],
  ];
}
