/**
 * The token cache on disk: one small JSON file per key in `<cache dir>/tokens/`, mode 0600,
 * in a directory that must be ours alone (0700, not a symlink). Every write goes to a temp
 * file in the same directory, is fsynced and renamed over the old one, so a process killed at
 * any instant leaves the old entry or the new, never a torn one. Nothing here ever fails a
 * `get`: a cache that cannot be read is a miss, one that cannot be written is skipped.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { checkPrivateDirs, ensurePrivateDirs, errorCode } from '../fs/private-dir';
import type { Logger } from '../logging/logger';
import { parseEntry, type CacheEntry } from './entry';

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
  const dir = join(cacheDir, TOKENS_DIR_NAME);
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
    return join(this.dir, `${id}.json`);
  }

  read(id: string): CacheEntry | undefined {
    const text = readPrivateFile(this.entryPath(id));
    return text === undefined ? undefined : parseEntry(text);
  }

  /** Atomically replaces the entry; false (and a log line) when the disk would not take it. */
  write(id: string, entry: CacheEntry): boolean {
    return writeFileAtomically(this.dir, this.entryPath(id), JSON.stringify(entry), this.logger);
  }

  /** Every readable entry, for `list`. */
  entries(): CacheEntry[] {
    const found: CacheEntry[] = [];
    for (const name of listDir(this.dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const text = readPrivateFile(join(this.dir, name));
      const entry = text === undefined ? undefined : parseEntry(text);
      if (entry !== undefined) found.push(entry);
    }
    return found;
  }

  /**
   * Removes expired entries, unreadable ones, and files abandoned by killed writers.
   * Runs after a token was fetched, never on a cache hit.
   */
  prune(now: number): void {
    for (const name of listDir(this.dir)) {
      const path = join(this.dir, name);
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
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.size > limit || stats.uid !== process.getuid?.()) return undefined;
    const buffer = Buffer.alloc(stats.size);
    let offset = 0;
    while (offset < buffer.length) {
      const read = readSync(fd, buffer, offset, buffer.length - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return buffer.subarray(0, offset).toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function writeFileAtomically(dir: string, path: string, text: string, logger: Logger): boolean {
  let temp: string | undefined;
  try {
    temp = writeTempFile(dir, text, { sync: true });
    renameSync(temp, path);
    return true;
  } catch (error) {
    if (temp !== undefined) removeQuietly(temp);
    logger.warn({ path, code: errorCode(error) }, 'cannot write the token cache; going on without it');
    return false;
  }
}

/**
 * Writes `text` whole into a new temp file in `dir` (0600, never through a symlink) and returns
 * its path, for the caller to rename or link into place; throws, leaving nothing, when the disk
 * will not take it. `sync` for what must survive a crash of the machine.
 */
export function writeTempFile(dir: string, text: string, options: { sync: boolean }): string {
  const temp = join(dir, `.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    const bytes = Buffer.from(text);
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    if (options.sync) fsyncSync(fd);
    const written = fd;
    fd = undefined;
    closeSync(written);
    return temp;
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    removeQuietly(temp);
    throw error;
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

export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone, or another process removed it first.
  }
}
