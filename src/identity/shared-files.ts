/**
 * Reads the AWS shared config and credentials files for the identity fingerprint, as the SDK
 * will see them, or refuses to: a fingerprint computed from a partial or missing view of a file
 * the SDK reads could name another identity, and serve one profile another's token.
 *
 * - missing, not readable by this user, or a directory: absent, as to the SDK (its read fails,
 *   and it goes on without the file);
 * - `/dev/null`: empty (a common way to switch a file off);
 * - a regular file of up to MAX_SHARED_FILE_BYTES: its whole text;
 * - a larger file, a FIFO, a device, anything else that is not a regular file, or one that
 *   cannot be read for another reason: SharedFileError, and the verb fails at once rather than
 *   hash a wrong identity or block. The file is opened non-blocking, so a FIFO with no writer
 *   never holds a verb up, and nothing but a regular file is ever read.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import type { Environment } from '../config/settings';
import { errorCode } from '../fs/private-dir';
import { sharedConfigFiles } from './credential-sources';
import type { SharedConfigTexts } from './fingerprint';

const MIB = 1024 * 1024;
/**
 * The largest shared file read: about 32,000 profiles. Every cache hit parses both files, and
 * the SDK parses the config file a dozen times on a miss (about 0.4 s per MiB here), so a much
 * larger file would make a `get` slow beyond its time bound; past this, it fails with one line.
 */
export const MAX_SHARED_FILE_BYTES = 4 * MIB;

/** A shared file the helper will not read; `message` is one line naming the file and why. */
export class SharedFileError extends Error {
  override readonly name = 'SharedFileError';
}

/** Errors on opening that mean the SDK cannot read the file either: for both, it is absent. */
const ABSENT_CODES = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'ELOOP', 'ENAMETOOLONG', 'ENXIO', 'ENODEV']);

export function readSharedConfigTexts(env: Environment, homeDir: string): SharedConfigTexts {
  const paths = sharedConfigFiles(env, homeDir);
  const config = readSharedFile(paths.config, { what: 'AWS config file', variable: 'AWS_CONFIG_FILE' });
  const credentials = readSharedFile(paths.credentials, { what: 'AWS credentials file', variable: 'AWS_SHARED_CREDENTIALS_FILE' });
  return { config, credentials };
}

interface FileRole {
  readonly what: string;
  readonly variable: string;
}

function readSharedFile(path: string, role: FileRole): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = errorCode(error);
    if (ABSENT_CODES.has(code)) return undefined;
    throw new SharedFileError(`cannot read the ${role.what} ${path}: ${code}`);
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) return undefined;
    if (isDevNull(stats)) return '';
    if (!stats.isFile()) throw new SharedFileError(`the ${role.what} ${path} is ${kindOf(stats)}, not a regular file`);
    if (stats.size > MAX_SHARED_FILE_BYTES) throw tooLarge(path, stats.size, role);
    return readWhole(fd, stats.size, path, role);
  } catch (error) {
    if (error instanceof SharedFileError) throw error;
    throw new SharedFileError(`cannot read the ${role.what} ${path}: ${errorCode(error)}`);
  } finally {
    closeSync(fd);
  }
}

/** Reads to the end, so a file that grew since fstat is read whole or refused, never cut. */
function readWhole(fd: number, expectedSize: number, path: string, role: FileRole): string {
  let buffer = Buffer.allocUnsafe(expectedSize + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > MAX_SHARED_FILE_BYTES) throw tooLarge(path, fstatSync(fd).size, role);
      buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]);
    }
    const read = readSync(fd, buffer, length, buffer.length - length, length);
    if (read === 0) break;
    length += read;
  }
  if (length > MAX_SHARED_FILE_BYTES) throw tooLarge(path, length, role);
  return buffer.toString('utf8', 0, length);
}

function tooLarge(path: string, size: number, role: FileRole): SharedFileError {
  const mib = (size / MIB).toFixed(1);
  return new SharedFileError(
    `the ${role.what} ${path} is ${size} bytes (${mib} MiB), more than the ${MAX_SHARED_FILE_BYTES / MIB} MiB this helper reads: ` +
      `make it smaller, or point ${role.variable} at a smaller file`,
  );
}

function isDevNull(stats: Stats): boolean {
  if (!stats.isCharacterDevice()) return false;
  try {
    return stats.rdev === statSync('/dev/null').rdev;
  } catch {
    return false;
  }
}

function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'of an unknown kind';
}
