import { Testing } from 'cdk8s';
import { dev, prod } from '../../environments';
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
