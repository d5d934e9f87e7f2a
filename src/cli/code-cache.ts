/**
 * Writes a bundle's code cache (code-cache-script.ts) once a run has used it: into a directory
 * that is the user's alone, inside a cache directory that already is (a read-only command on a
 * machine with no cache creates nothing), whole or not at all, replacing what an earlier build of
 * the bundle for this Node left there. Never throws: a cache that cannot be written is a
 * slower next run.
 */
import { readdirSync, renameSync } from 'node:fs';
import { basename } from 'node:path';
import { joinPath } from '../fs/join-path';
import { checkPrivateDir, ensurePrivateDir } from '../fs/private-dir';
import { removeQuietly, writeTempFile } from '../fs/replace-file';
import { sameBundleAndNode } from './code-cache-name';

/** `dirs`: the cache directory, and the directory of the code cache in it. */
export function saveCodeCache(dirs: readonly [string, string], file: string, data: Buffer): void {
  const [cacheDir, dir] = dirs;
  if (data.length === 0 || !checkPrivateDir(cacheDir).trusted || !ensurePrivateDir(dir).trusted) return;
  try {
    const temp = writeTempFile(dir, data, { mode: 0o600, sync: false });
    try {
      renameSync(temp, file);
    } catch {
      removeQuietly(temp);
      return;
    }
    const kept = basename(file);
    const sameNode = sameBundleAndNode(kept);
    for (const name of readdirSync(dir)) {
      if (name.startsWith(sameNode) && name !== kept) removeQuietly(joinPath(dir, name));
    }
  } catch {
    // Slower next time, never wrong.
  }
}
