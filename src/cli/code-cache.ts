/**
 * Writes the fast path's code cache (loader.ts) once a run has been answered: into a directory
 * that is the user's alone, whole or not at all, replacing what an earlier build of the fast path
 * for this Node left there. Never throws: a cache that cannot be written is a slower next run.
 */
import { readdirSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ensurePrivateDirs } from '../fs/private-dir';
import { removeQuietly, writeTempFile } from '../fs/replace-file';
import { CODE_CACHE_PREFIX } from './code-cache-name';

export function saveCodeCache(dirs: readonly string[], file: string, data: Buffer): void {
  const dir = dirs[dirs.length - 1];
  if (dir === undefined || data.length === 0 || !ensurePrivateDirs(dirs).trusted) return;
  try {
    const temp = writeTempFile(dir, data, { mode: 0o600, sync: false });
    try {
      renameSync(temp, file);
    } catch {
      removeQuietly(temp);
      return;
    }
    const sameNode = `${CODE_CACHE_PREFIX}${process.version}.${process.arch}.`;
    for (const name of readdirSync(dir)) {
      if (name.startsWith(sameNode) && name !== basename(file)) removeQuietly(join(dir, name));
    }
  } catch {
    // Slower next time, never wrong.
  }
}
