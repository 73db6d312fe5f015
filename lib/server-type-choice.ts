/**
 * Which server type each node group runs on in one deploy: its `serverType` (preferred) or
 * one of its `fallbackServerTypes`, chosen by the operator CLI when Hetzner answers
 * `resource_unavailable` for the preferred one on a morning. The choice reaches the synth
 * through the process environment (read in main.ts only):
 *
 *   SERVER_TYPE_CHOICE='{"dev":{"kafka":"cpx32"}}'     environments by name, groups by key
 *   SERVER_TYPES_DEV='kafka=cpx32,controlPlane=cpx32'  one environment (or the same as JSON)
 *
 * Everything here is pure and light (no cdktf), so the operator CLI imports it too.
 */
import type { EnvironmentConfig } from '../environments/types';
import type { PlannedServer } from './environment';

/** The node groups of an environment config, each with a server type and fallbacks. */
export const NODE_GROUPS = ['controlPlane', 'kafka', 'apps'] as const;

/** A node group: its key in `EnvironmentConfig`. */
export type NodeGroup = (typeof NODE_GROUPS)[number];

/** The `role` label of each node group's servers. */
export const NODE_GROUP_ROLES: Readonly<Record<NodeGroup, PlannedServer['role']>> = {
  controlPlane: 'control-plane',
  kafka: 'kafka',
  apps: 'app',
};

/** The server label that says which candidate a server runs on: `preferred` or `fallback-<n>`. */
export const SERVER_TYPE_CHOICE_LABEL = 'server-type-choice';

/** Process variable with the choices of every environment, as JSON. */
export const SERVER_TYPE_CHOICE_VAR = 'SERVER_TYPE_CHOICE';

/** A server type per node group; a group left out runs on its preferred type. */
export type ServerTypeChoice = Partial<Record<NodeGroup, string>>;

/** Choices by environment name. */
export type ServerTypeChoices = Readonly<Record<string, ServerTypeChoice>>;

/** The parts of an environment config a choice depends on (a resolved environment has them too). */
export type NodeGroupsConfig = Pick<EnvironmentConfig, 'name' | NodeGroup>;

/** A node group's server type in one deploy, and which candidate it is. */
export interface ChosenServerType {
  readonly serverType: string;
  /** `preferred`, or `fallback-1` for `fallbackServerTypes[0]`, and so on. */
  readonly choice: string;
}

/** Raised for a choice that names an unknown group or a type the group may not run on. */
export class ServerTypeChoiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerTypeChoiceError';
  }
}

/** The group key of a name as operators write it: `controlPlane`/`control-plane`, `kafka`, `apps`/`app`. */
export function nodeGroupOf(name: string): NodeGroup | undefined {
  const aliases: Record<string, NodeGroup> = {
    controlPlane: 'controlPlane',
    'control-plane': 'controlPlane',
    kafka: 'kafka',
    apps: 'apps',
    app: 'apps',
  };
  return Object.hasOwn(aliases, name) ? aliases[name] : undefined;
}

/** The server types a group may run on, in the order they are tried: preferred, then fallbacks. */
export function serverTypeCandidates(config: NodeGroupsConfig, group: NodeGroup): readonly string[] {
  const g = config[group];
  return [g.serverType, ...(g.fallbackServerTypes ?? [])];
}

/** `preferred`, `fallback-<n>` (1-based), or undefined for a type the group may not run on. */
export function choiceName(
  config: NodeGroupsConfig,
  group: NodeGroup,
  serverType: string,
): string | undefined {
  const i = serverTypeCandidates(config, group).indexOf(serverType);
  return i < 0 ? undefined : i === 0 ? 'preferred' : `fallback-${i}`;
}

/**
 * Every group's server type for a deploy: the chosen one, else the preferred one. Throws a
 * {@link ServerTypeChoiceError} naming the allowed types for a type that is neither the
 * group's `serverType` nor one of its `fallbackServerTypes` (the validation at synth).
 */
export function resolveServerTypes(
  config: NodeGroupsConfig,
  choice: ServerTypeChoice = {},
): Readonly<Record<NodeGroup, ChosenServerType>> {
  const problems: string[] = [];
  for (const key of Object.keys(choice)) {
    if (!(NODE_GROUPS as readonly string[]).includes(key)) {
      problems.push(`'${key}' is not a node group; use ${NODE_GROUPS.join(', ')}`);
    }
  }
  const out = {} as Record<NodeGroup, ChosenServerType>;
  for (const group of NODE_GROUPS) {
    const wanted = choice[group] ?? config[group].serverType;
    const name = typeof wanted === 'string' ? choiceName(config, group, wanted) : undefined;
    if (name === undefined) {
      const fallbacks = config[group].fallbackServerTypes ?? [];
      problems.push(
        `${group}: server type ${JSON.stringify(wanted)} is neither ${group}.serverType '${config[group].serverType}' nor one of ${group}.fallbackServerTypes [${fallbacks.join(', ')}]; choose one of ${serverTypeCandidates(config, group).join(', ')}`,
      );
      continue;
    }
    out[group] = { serverType: wanted, choice: name };
  }
  if (problems.length > 0) {
    throw new ServerTypeChoiceError(
      `Invalid server type choice for environment '${config.name}':\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
  }
  return out;
}

/** The per-environment variable, e.g. `SERVER_TYPES_DEV` for `dev`. */
export function perEnvironmentVar(environment: string): string {
  return `SERVER_TYPES_${environment.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** A group → type map from JSON (`{"kafka":"cpx32"}`) or `kafka=cpx32,controlPlane=cpx32`. */
function parseGroupMap(value: string, source: string): ServerTypeChoice {
  const text = value.trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new ServerTypeChoiceError(`${source} is not valid JSON: ${(e as Error).message}`);
    }
    return groupMapOf(parsed, source);
  }
  const entries = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq <= 0) {
        throw new ServerTypeChoiceError(
          `${source}: '${part}' is not <group>=<server type>, e.g. kafka=cpx32 (or JSON {"kafka":"cpx32"})`,
        );
      }
      return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
    });
  return groupMapOf(Object.fromEntries(entries), source);
}

/** Checks a parsed group → type object. */
function groupMapOf(value: unknown, source: string): ServerTypeChoice {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ServerTypeChoiceError(
      `${source} must map node groups to server types, e.g. {"kafka":"cpx32"}, got ${JSON.stringify(value)}`,
    );
  }
  const out: ServerTypeChoice = {};
  for (const [key, type] of Object.entries(value)) {
    const group = nodeGroupOf(key);
    if (!group) {
      throw new ServerTypeChoiceError(
        `${source}: '${key}' is not a node group; use ${NODE_GROUPS.join(', ')}`,
      );
    }
    if (typeof type !== 'string' || type === '') {
      throw new ServerTypeChoiceError(
        `${source}: ${key} must be a server type name such as 'cpx32', got ${JSON.stringify(type)}`,
      );
    }
    out[group] = type;
  }
  return out;
}

/**
 * The choices in a process environment: `SERVER_TYPE_CHOICE` (JSON by environment), then
 * `SERVER_TYPES_<ENV>` per environment on top (group by group). Throws for malformed values
 * and for environments that do not exist; whether a type is allowed is checked at synth
 * ({@link resolveServerTypes}).
 */
export function serverTypeChoicesFromEnv(
  vars: Readonly<Record<string, string | undefined>>,
  environments: readonly string[],
): ServerTypeChoices {
  const out: Record<string, ServerTypeChoice> = {};
  const all = vars[SERVER_TYPE_CHOICE_VAR]?.trim();
  if (all) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(all);
    } catch (e) {
      throw new ServerTypeChoiceError(
        `${SERVER_TYPE_CHOICE_VAR} is not valid JSON (e.g. '{"dev":{"kafka":"cpx32"}}'): ${(e as Error).message}`,
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ServerTypeChoiceError(
        `${SERVER_TYPE_CHOICE_VAR} must be a JSON object by environment, e.g. '{"dev":{"kafka":"cpx32"}}'`,
      );
    }
    for (const [env, groups] of Object.entries(parsed)) {
      if (!environments.includes(env)) {
        throw new ServerTypeChoiceError(
          `${SERVER_TYPE_CHOICE_VAR} names environment '${env}', which does not exist (known: ${environments.join(', ')})`,
        );
      }
      out[env] = groupMapOf(groups, `${SERVER_TYPE_CHOICE_VAR}.${env}`);
    }
  }
  for (const env of environments) {
    const name = perEnvironmentVar(env);
    const value = vars[name]?.trim();
    if (value) out[env] = { ...out[env], ...parseGroupMap(value, name) };
  }
  return out;
}
