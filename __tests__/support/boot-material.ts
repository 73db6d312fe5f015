/**
 * Fills synthesized user data with an identity's boot material the way the engine does at
 * apply, for tests that measure or validate what the servers really receive.
 */
import { gzipSync } from 'zlib';

/** Looks up `.a["b"].c` in a value. */
function lookup(root: unknown, path: string): unknown {
  let value: unknown = root;
  for (const m of path.matchAll(/\.([a-z_][a-z0-9_]*)|\["([^"]+)"\]/g)) {
    value = (value as Record<string, unknown>)[m[1] ?? m[2]];
    if (value === undefined) throw new Error(`no ${path} in the boot material`);
  }
  return value;
}

/**
 * What the engine makes of the references: `${jsonencode(local.boot...)}`,
 * `${jsonencode(base64gzip(local.boot...))}` and `${local.boot...}`. Node's gzip stands in for
 * the engine's (Go's compress/gzip): sizes differ by a few bytes; the lifecycle tier checks
 * the engine's real output against the limit (its fake Hetzner API refuses over 32 KiB).
 */
export function interpolateBoot(userData: string, boot: unknown): string {
  return userData
    .replace(/\$\{jsonencode\(local\.boot((?:\.[a-z_]+|\["[^"]+"\])+)\)\}/g, (_, path: string) =>
      JSON.stringify(lookup(boot, path)),
    )
    .replace(
      /\$\{jsonencode\(base64gzip\(local\.boot((?:\.[a-z_]+|\["[^"]+"\])+)\)\)\}/g,
      (_, path: string) => JSON.stringify(gzipSync(String(lookup(boot, path))).toString('base64')),
    )
    .replace(/\$\{local\.boot((?:\.[a-z_]+|\["[^"]+"\])+)\}/g, (_, path: string) =>
      String(lookup(boot, path)),
    );
}
