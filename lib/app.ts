import { App } from 'cdktf';
import type { EnvironmentConfig } from '../environments/types';
import { resolveEnvironment } from './environment';
import type { StateBackendConfig } from './backend';
import { PersistentStack } from './stacks/persistent-stack';
import { ClusterStack } from './stacks/cluster-stack';
import type { ManifestFile } from '../templates/cloud-init';

/** Options read from the process environment by main.ts. */
export interface TradingAppOptions {
  readonly backend?: StateBackendConfig;
  /** Environment whose persistent IPs may be destroyed (destroy-all, after confirmation). */
  readonly allowDestroyPersistentOf?: string;
  /** Manifests for each environment's control plane auto-deploy folder. */
  readonly bootstrapManifests?: (env: ReturnType<typeof resolveEnvironment>) => readonly ManifestFile[];
}

/** Stack names: `<env>` is the daily cluster stack, `<env>-persistent` holds the IPs. */
export function stackNames(environment: string): { cluster: string; persistent: string } {
  return { cluster: environment, persistent: `${environment}-persistent` };
}

/** Adds the persistent and the cluster stack of every environment to the app. */
export function addEnvironments(
  app: App,
  environments: readonly EnvironmentConfig[],
  options: TradingAppOptions = {},
): void {
  for (const config of environments) {
    const env = resolveEnvironment(config);
    const names = stackNames(env.name);
    new PersistentStack(app, names.persistent, {
      environment: env,
      backend: options.backend,
      allowDestroy: options.allowDestroyPersistentOf === env.name,
    });
    new ClusterStack(app, names.cluster, {
      environment: env,
      backend: options.backend,
      bootstrapManifests: options.bootstrapManifests?.(env),
    });
  }
}
