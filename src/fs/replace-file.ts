/**
 * Writing files so that a reader, or a crash at any instant, sees the old content or the new,
 * never a torn one: a temp file in the target's own directory (so that the rename or link stays
 * on one filesystem), written whole, given its mode, then renamed (or linked) into place.
 */
import { closeSync, constants, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { joinPath } from './join-path';

export interface TempFileOptions {
  /** The file's mode, whatever the umask says: a Docker config or an archive is read by others. */
  readonly mode: number;
  /** fsync before returning, for what must survive a crash of the machine. */
  readonly sync: boolean;
}

/**
 * Writes `data` whole into a new temp file in `dir` (never through a symlink) and returns its
 * path, for the caller to rename or link into place; throws the filesystem's error, leaving
 * nothing behind, when the disk will not take it.
 */
export function writeTempFile(dir: string, data: string | Buffer, options: TempFileOptions): string {
  // node:crypto is loaded here, when a file is written, not by every reader of the cache (a
  // cache hit, whose whole cost is about what loading it would add).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { randomBytes } = require('node:crypto') as typeof import('node:crypto');
  const temp = joinPath(dir, `.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    if (options.mode !== 0o600) fchmodSync(fd, options.mode);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
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

/** Replaces `path` (in `dir`) with `data`, fsynced; throws the filesystem's error, the target then as it was. */
export function replaceFile(dir: string, path: string, data: string | Buffer, mode: number): void {
  const temp = writeTempFile(dir, data, { mode, sync: true });
  try {
    renameSync(temp, path);
  } catch (error) {
    removeQuietly(temp);
    throw error;
  }
}

export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone, or another process removed it first.
  }
}
