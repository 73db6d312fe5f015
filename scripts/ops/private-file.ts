import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'fs';
import { dirname } from 'path';

/**
 * Writes a secret file with mode 0600: into a new temporary file created with that mode in
 * the same directory (made 0700 when missing), chmod in case the umask interfered, then
 * renamed over `path`, so the content is never readable by others, not even for a moment.
 */
export function writePrivateFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
    chmodSync(path, 0o600);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}
