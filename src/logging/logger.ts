/**
 * The helper's log: pino JSON lines in `<cache dir>/log/ecr-login.jsonl` (docs/SPEC.md section 6).
 * The Go helper writes its own text log, `ecr-login.log`, in the same directory: never touched here.
 *
 * Secrets are kept out by construction: callers log named, non-secret fields, errors pass
 * through `describeErrorForLog` (no request or response objects), a `serverUrl` loses its
 * userinfo (`https://user:password@host`), and pino's redaction censors any field whose name
 * says it holds a secret, should one ever be passed by mistake.
 */
import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, openSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { LogLevel } from '../config/settings';
import { ensurePrivateDirs, errorCode } from '../fs/private-dir';

export interface Logger {
  trace(fields: object, message: string): void;
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const LOG_FILE_NAME = 'ecr-login.jsonl';
/** Past this size the log is moved to `ecr-login.jsonl.1` (one old file kept) and started anew. */
export const LOG_ROTATE_BYTES = 4 * 1024 * 1024;

const SECRET_FIELDS = [
  'secret', 'Secret', 'password', 'Password', 'token', 'Token', 'authorizationToken',
  'secretAccessKey', 'SecretAccessKey', 'sessionToken', 'SessionToken', 'authorization', 'Authorization',
  'credentials', 'headers',
];
const REDACT_PATHS = [...SECRET_FIELDS, ...SECRET_FIELDS.map((field) => `*.${field}`)];

const noop = (): void => undefined;
export const silentLogger: Logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop };

export interface LogTarget {
  /** The cache directory the log directory lives in: it must be trusted too. */
  readonly parentDir?: string;
  readonly logDir: string;
  readonly level: LogLevel;
  readonly verb: string;
}

const LEVEL_VALUES: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
export const LOG_METHODS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

/** Whether a log at `level` writes the lines of `method`. */
export function writesAt(level: LogLevel, method: (typeof LOG_METHODS)[number]): boolean {
  return LEVEL_VALUES[method] >= LEVEL_VALUES[level];
}

/**
 * A logger that opens the file and loads pino (about 15 ms) on the first line that its level
 * lets through, so a call that has nothing to say pays nothing. When the directory cannot be
 * trusted or written, logging is off and the helper goes on: a log must never be the reason
 * a `get` fails.
 */
export function openLogger(target: LogTarget): Logger {
  if (target.level === 'silent') return silentLogger;
  let backend: Logger | undefined;
  const logger = {} as Record<(typeof LOG_METHODS)[number], Logger['info']>;
  for (const method of LOG_METHODS) {
    if (!writesAt(target.level, method)) {
      logger[method] = noop;
      continue;
    }
    logger[method] = (fields, message) => {
      try {
        backend ??= openPino(target);
        backend[method](fields, message);
      } catch {
        // A full disk or a vanished directory: the log is lost, the answer must not be.
        backend = silentLogger;
      }
    };
  }
  return logger;
}

function openPino(target: LogTarget): Logger {
  const dirCheck = ensurePrivateDirs(target.parentDir === undefined ? [target.logDir] : [target.parentDir, target.logDir]);
  if (!dirCheck.trusted) return silentLogger;
  const fd = openLogFile(join(target.logDir, LOG_FILE_NAME));
  if (fd === undefined) return silentLogger;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pino = require('pino') as typeof import('pino');
  const destination = pino.destination({ fd, sync: true });
  // sonic-boom reports a failed write (ENOSPC, EIO) as an 'error' event, fatal when unheard.
  destination.on('error', () => undefined);
  return pino.pino(
    {
      level: target.level,
      base: { pid: process.pid, verb: target.verb },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: describeErrorForLog, serverUrl: withoutUserinfo },
    },
    destination,
  );
}

/** The log file, opened for appending, or undefined when what is at its name is not ours to write. */
function openLogFile(path: string): number | undefined {
  const fd = openOwnFile(path);
  if (fd === undefined || fstatSync(fd).size <= LOG_ROTATE_BYTES) return fd;
  try {
    renameSync(path, `${path}.1`);
  } catch (error) {
    // ENOENT: another helper process rotated it first. Otherwise something that is not a file
    // holds the old log's name (a directory): the size bound matters more than the old lines.
    if (errorCode(error) !== 'ENOENT') {
      ftruncateSync(fd, 0);
      return fd;
    }
  }
  closeSync(fd);
  return openOwnFile(path);
}

function openOwnFile(path: string): number | undefined {
  let fd: number | undefined;
  try {
    // O_NOFOLLOW: a symlink planted at the log's name is never followed into someone else's file.
    // O_NONBLOCK: a FIFO there must not hold the helper until some reader comes along.
    fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
    const stats = fstatSync(fd);
    // Only a regular file of our own with no other name: through a hard link, lines (and the
    // chmod below) would land in a file elsewhere, outside the private directory.
    if (!stats.isFile() || stats.nlink !== 1 || stats.uid !== process.getuid?.()) {
      closeSync(fd);
      return undefined;
    }
    if ((stats.mode & 0o077) !== 0) fchmodSync(fd, 0o600);
    return fd;
  } catch {
    if (fd !== undefined) closeSync(fd);
    return undefined;
  }
}

/**
 * A server URL as it may be logged: everything between the scheme and the last `@` left out.
 * That is the userinfo wherever a URL parser would find it, and a password holding `/` too.
 */
export function withoutUserinfo(serverUrl: unknown): unknown {
  if (typeof serverUrl !== 'string') return serverUrl;
  const at = serverUrl.lastIndexOf('@');
  if (at < 0) return serverUrl;
  const scheme = /^\s*[a-z][a-z0-9+.-]*:\/\//i.exec(serverUrl)?.[0] ?? '';
  return `${scheme}[redacted]@${serverUrl.slice(at + 1)}`;
}

/** What of an error is worth a log line: names, codes and statuses, never the request it carried. */
export function describeErrorForLog(error: unknown): object {
  if (!(error instanceof Error)) return { message: String(error) };
  const meta = (error as { $metadata?: { httpStatusCode?: number; requestId?: string } }).$metadata;
  return {
    type: error.name,
    message: error.message,
    code: errorCode(error) === error.message ? undefined : errorCode(error),
    httpStatusCode: meta?.httpStatusCode,
    requestId: meta?.requestId,
    stack: error.stack,
  };
}
