import type { Command } from './command';

/** status, schedule, cost, kubeconfig, list. */
export const READ_COMMANDS: Readonly<Record<string, Command>> = {};
