/**
 * Directories the helper writes secrets-adjacent files into (tokens, logs) must be ours alone.
 * A directory that another user could swap or write into is refused, never repaired:
 * the caller goes on without it and says why.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync } from 'node:fs';

const { S_IFMT, S_IFDIR, S_IFREG } = constants;

export type DirCheck = { readonly trusted: true } | { readonly trusted: false; readonly reason: string };

/** Creates `path` (mode 0700) if missing, then checks that it is safe to write into. */
export function ensurePrivateDir(path: string): DirCheck {
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (error) {
    return { trusted: false, reason: `cannot create ${path}: ${errorCode(error)}` };
  }
  return checkPrivateDir(path);
}

/** Each directory in turn, outermost first: a trusted child of an untrusted parent is not trusted. */
export function ensurePrivateDirs(paths: readonly string[]): DirCheck {
  return firstUntrusted(paths, ensurePrivateDir);
}

/** As ensurePrivateDirs, without creating anything. */
export function checkPrivateDirs(paths: readonly string[]): DirCheck {
  return firstUntrusted(paths, checkPrivateDir);
}

function firstUntrusted(paths: readonly string[], check: (path: string) => DirCheck): DirCheck {
  for (const path of paths) {
    const result = check(path);
    if (!result.trusted) return result;
  }
  return { trusted: true };
}

export function checkPrivateDir(path: string): DirCheck {
  return isPrivateDir(path) ? { trusted: true } : { trusted: false, reason: whyNotPrivate(path) };
}

/**
 * Whether `path` is a directory that only this user can write into: a real directory (not a
 * symlink), owned by this user, writable by neither group nor others. One expression, and the
 * file type from the mode's bits rather than the Stats methods: the launcher's loader runs it on
 * every run, compiled from source (src/cli/loader.ts), where each function and method it calls
 * costs instructions of its own.
 */
export function isPrivateDir(path: string): boolean {
  try {
    const stats = lstatSync(path, { throwIfNoEntry: false });
    const uid = process.getuid?.();
    return stats !== undefined && (stats.mode & S_IFMT) === S_IFDIR && (uid === undefined || stats.uid === uid) && (stats.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** Why isPrivateDir refused `path`, for a log line or `doctor`. */
function whyNotPrivate(path: string): string {
  let stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    return `cannot inspect ${path}: ${errorCode(error)}`;
  }
  if (stats.isSymbolicLink()) return `${path} is a symbolic link`;
  if (!stats.isDirectory()) return `${path} is not a directory`;
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) return `${path} is owned by uid ${stats.uid}, not by this user (uid ${uid})`;
  if ((stats.mode & 0o022) !== 0) return `${path} is writable by group or others (mode ${(stats.mode & 0o777).toString(8)})`;
  // Refused a moment ago, fine now: it changed in between.
  return `${path} changed while it was checked`;
}

export function errorCode(error: unknown): string {
  if (error !== null && typeof error === 'object' && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}

/**
 * The bytes of a regular file of at most `limit` bytes that this user owns, never read through a
 * symlink and opened without blocking (a FIFO at the name never holds a run); undefined for
 * anything else.
 */
export function readPrivateBytes(path: string, limit: number): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const stats = fstatSync(fd);
    if ((stats.mode & S_IFMT) !== S_IFREG || stats.size > limit || stats.uid !== process.getuid?.()) return undefined;
    const buffer = Buffer.alloc(stats.size);
    let offset = 0;
    while (offset < buffer.length) {
      const read = readSync(fd, buffer, offset, buffer.length - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return buffer.subarray(0, offset);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
