/**
 * Finds the Terraform engine and CLI config written by `npm run toolchain`, and the tools it
 * builds into `.toolchain/bin` (actionlint). On a machine without them the engine tests skip
 * with a loud message; with CI=true they fail.
 */
import { spawnSync } from 'child_process';
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

/** Where `npm run toolchain` writes (`TOOLCHAIN_DIR`, default `.toolchain/`). */
export function toolchainDir(): string {
  return process.env.TOOLCHAIN_DIR ?? join(REPO_ROOT, '.toolchain');
}

/** With CI=true throws; otherwise prints a loud skip banner and returns undefined. */
function skipOrFail(message: string): undefined {
  if (process.env.CI === 'true') throw new Error(`${message} CI=true, so the engine tier cannot be skipped.`);
  console.warn(`\n!!!!! SKIPPING ENGINE TESTS: ${message}\n`);
  return undefined;
}

/**
 * A tool the toolchain builds (`<toolchain>/bin/<name>`), else one of that name on PATH;
 * undefined (after a loud warning) when neither exists outside CI.
 */
export function findTool(name: string): string | undefined {
  const built = join(toolchainDir(), 'bin', name);
  if (existsSync(built)) return built;
  const onPath = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' });
  const found = onPath.status === 0 ? onPath.stdout.trim() : '';
  if (found) return found;
  return skipOrFail(`${name} not found in ${built} nor on PATH: run \`npm run toolchain\` (needs Go).`);
}

/** The toolchain, or undefined (after a loud warning) when it is missing outside CI. */
export function findToolchain(): Toolchain | undefined {
  const dir = toolchainDir();
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
  return skipOrFail(
    `Terraform engine/provider mirror not found in ${dir}: run \`npm run toolchain\` (needs Go).`,
  );
}
