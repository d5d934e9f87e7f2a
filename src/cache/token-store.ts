/**
 * The token cache on disk: one small JSON file per key in `<cache dir>/tokens/`, mode 0600,
 * in a directory that must be ours alone (0700, not a symlink). Every write goes to a temp
 * file in the same directory, is fsynced and renamed over the old one, so a process killed at
 * any instant leaves the old entry or the new, never a torn one. Nothing here ever fails a
 * `get`: a cache that cannot be read is a miss, one that cannot be written is skipped.
 */
import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { joinPath } from '../fs/join-path';
import { checkPrivateDirs, ensurePrivateDirs, errorCode, readPrivateBytes } from '../fs/private-dir';
import { removeQuietly, replaceFile } from '../fs/replace-file';
import type { Logger } from '../logging/logger';
import { isCacheable, parseEntry, type CacheEntry } from './entry';

export const TOKENS_DIR_NAME = 'tokens';
/** Our entries are ~2 KB; anything far larger is not ours and is not read. */
const MAX_ENTRY_BYTES = 64 * 1024;
/** Leftovers of writers killed mid-write are removed once they are surely abandoned. */
const ABANDONED_FILE_MS = 60_000;

export type CacheOpening = { readonly store: TokenStore } | { readonly store: undefined; readonly reason: string };

/**
 * Opens the cache under `cacheDir`, or says why it cannot be trusted with tokens. Readers that
 * only look (`list`) pass `create: false`, so that asking creates nothing.
 */
export function openTokenStore(cacheDir: string, logger: Logger, options: { create: boolean } = { create: true }): CacheOpening {
  const dir = joinPath(cacheDir, TOKENS_DIR_NAME);
  const check = options.create ? ensurePrivateDirs([cacheDir, dir]) : checkPrivateDirs([cacheDir, dir]);
  if (!check.trusted) return { store: undefined, reason: check.reason };
  return { store: new TokenStore(dir, logger) };
}

export class TokenStore {
  constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  entryPath(id: string): string {
    return joinPath(this.dir, `${id}.json`);
  }

  read(id: string): CacheEntry | undefined {
    const text = readPrivateFile(this.entryPath(id));
    return text === undefined ? undefined : parseEntry(text);
  }

  /** Atomically replaces the entry; false (and a log line) when the disk would not take it, or it is not worth keeping. */
  write(id: string, entry: CacheEntry): boolean {
    if (!isCacheable(entry)) return false;
    return writeFileAtomically(this.dir, this.entryPath(id), JSON.stringify(entry), this.logger);
  }

  /** Every readable entry, for `list`. */
  entries(): CacheEntry[] {
    return this.entryFiles().map(({ entry }) => entry);
  }

  /**
   * Removes the entries `which` selects (every entry when absent) and says how many. Only files
   * that read as our entries: locks, temp files and anything foreign stay.
   */
  clear(which: (entry: CacheEntry) => boolean = () => true): number {
    let removed = 0;
    for (const { path, entry } of this.entryFiles()) {
      if (!which(entry)) continue;
      try {
        unlinkSync(path);
        removed += 1;
      } catch {
        // Gone already: another process pruned or replaced it.
      }
    }
    return removed;
  }

  private entryFiles(): Array<{ readonly path: string; readonly entry: CacheEntry }> {
    const found: Array<{ path: string; entry: CacheEntry }> = [];
    for (const name of listDir(this.dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const path = joinPath(this.dir, name);
      const text = readPrivateFile(path);
      const entry = text === undefined ? undefined : parseEntry(text);
      if (entry !== undefined) found.push({ path, entry });
    }
    return found;
  }

  /**
   * Removes expired entries, unreadable ones, and files abandoned by killed writers.
   * Runs after a token was fetched, never on a cache hit.
   */
  prune(now: number): void {
    for (const name of listDir(this.dir)) {
      const path = joinPath(this.dir, name);
      if (name.endsWith('.json') && !name.startsWith('.')) {
        const text = readPrivateFile(path);
        const entry = text === undefined ? undefined : parseEntry(text);
        if (entry !== undefined && now < entry.expiresAt) continue;
        if (entry === undefined && modifiedWithin(path, now, ABANDONED_FILE_MS)) continue;
        removeQuietly(path);
      } else if (name.endsWith('.tmp') || name.includes('.clearing.') || name.includes('.stale.') || name.endsWith('.failed')) {
        // `.clearing.`: markers of lock clearers killed mid-way (single-flight.ts); `.stale.`:
        // locks set aside by earlier builds.
        if (!modifiedWithin(path, now, ABANDONED_FILE_MS)) removeQuietly(path);
      }
    }
  }
}

/**
 * Reads a small regular file that this user owns, never through a symlink; undefined for
 * anything else.
 */
export function readPrivateFile(path: string, limit = MAX_ENTRY_BYTES): string | undefined {
  return readPrivateBytes(path, limit)?.toString('utf8');
}

export function writeFileAtomically(dir: string, path: string, text: string, logger: Logger): boolean {
  try {
    replaceFile(dir, path, text, 0o600);
    return true;
  } catch (error) {
    logger.warn({ path, code: errorCode(error) }, 'cannot write the token cache; going on without it');
    return false;
  }
}

/** The JSON object `text` holds; undefined for anything else (torn, garbage, an array, null). */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function modifiedWithin(path: string, now: number, windowMs: number): boolean {
  try {
    return now - statSync(path).mtimeMs < windowMs;
  } catch {
    return false;
  }
}
