/**
 * `npm run cost [-- <env>] [--json] [--prices live|table] [--trading-days N]`: the cost of
 * each environment at its trading calendar, the same as `npm run ops -- cost` (see
 * scripts/ops/read-commands.ts). Live prices from the API's `GET /pricing` when HCLOUD_TOKEN
 * is set (read-only is enough; HCLOUD_ENDPOINT overrides the address, e.g. the test fake),
 * otherwise the dated table in lib/cost.ts, named with its date and source.
 */
import { runCli } from './ops/cli';

runCli(['cost', ...process.argv.slice(2)], {
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
}).then((code) => process.exit(code));
