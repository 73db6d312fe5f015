import { App } from 'cdktf';
import type { EnvironmentConfig } from '../environments/types';
import { resolveEnvironment } from './environment';
import type { StateBackendConfig } from './backend';
import { PersistentStack } from './stacks/persistent-stack';
import { ClusterStack } from './stacks/cluster-stack';
import type { ManifestFile } from '../templates/cloud-init';
import type { ServerTypeChoices } from './server-type-choice';

/** Options read from the process environment by main.ts. */
export interface TradingAppOptions {
  readonly backend?: StateBackendConfig;
  /** Environment whose persistent IPs may be destroyed (destroy-all, after confirmation). */
  readonly allowDestroyPersistentOf?: string;
  /** Manifests for each environment's control plane auto-deploy folder. */
  readonly bootstrapManifests?: (env: ReturnType<typeof resolveEnvironment>) => readonly ManifestFile[];
  /**
   * Server type per node group by environment, for a morning when a preferred type is sold
   * out (`SERVER_TYPE_CHOICE` / `SERVER_TYPES_<ENV>`); each must be the group's `serverType`
   * or one of its `fallbackServerTypes`.
   * @default - every group on its preferred type
   */
  readonly serverTypeChoices?: ServerTypeChoices;
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
  const known = environments.map((e) => e.name);
  for (const name of Object.keys(options.serverTypeChoices ?? {})) {
    if (!known.includes(name)) {
      throw new Error(
        `server type choice for environment '${name}', which does not exist (known: ${known.join(', ')})`,
      );
    }
  }
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
      serverTypeChoice: options.serverTypeChoices?.[env.name],
    });
  }
}
