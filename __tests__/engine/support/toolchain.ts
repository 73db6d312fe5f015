/**
 * Finds the Terraform engine and CLI config written by `npm run toolchain`. On a machine
 * without them the engine tests skip with a loud message; with CI=true they fail.
 */
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';

/** The engine binary and the CLI config that points it at the local provider mirror. */
export interface Toolchain {
  readonly engine: string;
  readonly cliConfig: string;
  /** Environment for child processes: the CLI config, no checkpoint calls, no colour. */
  readonly env: NodeJS.ProcessEnv;
}

export const REPO_ROOT = join(__dirname, '..', '..', '..');

/** The toolchain, or undefined (after a loud warning) when it is missing outside CI. */
export function findToolchain(): Toolchain | undefined {
  const dir = process.env.TOOLCHAIN_DIR ?? join(REPO_ROOT, '.toolchain');
  const enginePath = join(dir, 'engine');
  const cliConfig = join(dir, 'terraformrc');
  const engine = existsSync(enginePath) ? readFileSync(enginePath, 'utf8').trim() : '';
  if (engine && existsSync(engine) && existsSync(cliConfig)) {
    // A plugin cache is not safe for the concurrent inits the tests run.
    const inherited = { ...process.env };
    delete inherited.TF_PLUGIN_CACHE_DIR;
    return {
      engine,
      cliConfig,
      env: {
        ...inherited,
        TF_CLI_CONFIG_FILE: cliConfig,
        CHECKPOINT_DISABLE: '1',
        TF_IN_AUTOMATION: '1',
        NO_COLOR: '1',
      },
    };
  }
  const message = `Terraform engine/provider mirror not found in ${dir}: run \`npm run toolchain\` (needs Go).`;
  if (process.env.CI === 'true') throw new Error(`${message} CI=true, so the engine tier cannot be skipped.`);
  console.warn(`\n!!!!! SKIPPING ENGINE TESTS: ${message}\n`);
  return undefined;
}
