import type { Command } from './command';

/** up, down, recreate, guard, destroy-vms, destroy-cluster, destroy-all. */
export const CYCLE_COMMANDS: Readonly<Record<string, Command>> = {};
