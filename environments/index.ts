import { dev } from './dev';
import { prod } from './prod';
import type { EnvironmentConfig } from './types';

/** Every environment this repository deploys, by name. */
export const ENVIRONMENTS: readonly EnvironmentConfig[] = [dev, prod];

export { dev, prod };
export type * from './types';
