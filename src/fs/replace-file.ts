/**
 * Replacing a file's content so that a reader, or a crash at any instant, sees the old content
 * or the new, never a torn one: a temp file in `dir` (the target's own directory, so that the
 * rename stays on one filesystem), written, fsynced, given its mode, renamed over the target.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Throws the filesystem's error (its `code` says why); the target is then as it was. */
export function replaceFile(dir: string, path: string, data: string | Buffer, mode: number): void {
  const temp = join(dir, `.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    // The umask must not decide the mode of a file someone else reads (a Docker config, an archive).
    fchmodSync(fd, mode);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // Never created, or already renamed.
    }
    throw error;
  }
}
