/**
 * Cross-process single flight: when many helpers miss the same key at once (a `docker compose
 * pull`, a Nomad node starting twenty tasks), one fetches and the others wait for its answer.
 * The lock protocol (docs/SPEC.md section 4):
 *
 * - The lock is `<id>.lock` in the tokens directory, holding its owner as JSON: pid, host name,
 *   pid space (boot id and pid namespace), the process's start time, when it was taken, and a
 *   random nonce. It is created whole: the JSON goes into a temp file, which is then hard-linked
 *   to the lock name (EEXIST: held). No empty or torn lock can exist, not even on a full disk,
 *   where the helper simply goes on without one.
 * - A holder in our pid space is alive for as long as a process with its pid and its start time
 *   exists (the start time tells a reused pid apart), however long it takes: a live holder's
 *   lock is never taken from it. A holder on another host sharing the directory cannot be asked:
 *   its lock is dead once older than the age limit, or dated that far in the future.
 * - Anything else at the lock name (a directory, a FIFO, another user's file, garbage, a torn
 *   lock of an earlier build) is not a lock: it is removed at once where that is safe (an empty
 *   directory is, a full one is not); otherwise the helper goes on without the lock, at once.
 * - A dead lock or a non-lock is removed by one waiter alone. That waiter first creates
 *   `<id>.lock.clearing.<tag>` (the tag is the judged lock's nonce, or the judged thing's inode),
 *   whole and exclusive like a lock; then checks that the lock name still holds what it judged,
 *   removes that, and removes its marker. Nonces are never reused, so a waiter that judged the
 *   same dead lock a moment late finds another nonce there and leaves the new lock alone. (Moving
 *   the judged lock aside first and putting back a live one found there instead, as earlier builds
 *   did, leaves the name empty for a moment: a third process took it, and two fetched.) A marker
 *   whose creator died mid-way is cleared by the same rule, one level down.
 * - The leader marks in its lock when its AWS call begins (the lock is replaced whole, by rename):
 *   waiters give up on a live leader only once that call is well past its deadline, however long
 *   a starved leader took to get there (cached-token.ts).
 * - The leader's failure is shared too, through a short-lived `.failed` record, so that an
 *   outage costs one call rather than one per waiter.
 *
 * How long a waiter waits, and how it wakes, is cached-token.ts's part.
 *
 * The fast path (src/cli/cache-hit.ts) bundles this file to wait on a live leader: `node:crypto`
 * and `node:os` are loaded where they are used, never by a cache hit.
 */
import { linkSync, lstatSync, readFileSync, readlinkSync, renameSync, rmdirSync, unlinkSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { joinPath } from '../fs/join-path';
import { errorCode } from '../fs/private-dir';
import { removeQuietly, writeTempFile } from '../fs/replace-file';
import type { Logger } from '../logging/logger';
import { parseJsonObject, readPrivateFile, writeFileAtomically } from './token-store';

export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** Boot id and pid namespace: where `pid` and `started` mean something. Absent without /proc. */
  readonly pidSpace?: string;
  /** The process's start time in clock ticks after boot (/proc/<pid>/stat): a reused pid has another. */
  readonly started?: number;
  readonly since: number;
  readonly nonce: string;
  /** When the holder's AWS call began, by its clock: absent until then (loading the AWS SDK has no deadline). */
  readonly calling?: number;
}

/** What is at a lock name. */
export type LockHolder =
  /** `inode`: the lock file's, which its holder replaces when it marks its call. */
  | { readonly kind: 'owner'; readonly owner: LockOwner; readonly inode: number }
  | { readonly kind: 'not-a-lock'; readonly what: string; readonly inode: number }
  | { readonly kind: 'none' };

export type LockAttempt =
  | {
      readonly state: 'acquired';
      readonly owner: LockOwner;
      /** Lets the lock go while it is still ours; harmless once it is not. */
      readonly release: () => void;
      readonly markCalling: (now: number) => void;
    }
  | { readonly state: 'held'; readonly holder: LockHolder }
  /** The directory would not take a lock file (read-only, full): go on without one. */
  | { readonly state: 'unavailable' };

export type AcquiredLock = Extract<LockAttempt, { state: 'acquired' }>;

/**
 * A slot's lock that one bundle took for another to lead the flight with: the fast path takes it
 * on a miss nobody is fetching yet, so that the processes missing after it wait instead of loading
 * the full command line too (src/cli/cache-hit.ts); the full path adopts it.
 */
export interface HeldFlight {
  readonly id: string;
  readonly owner: LockOwner;
  readonly release: () => void;
}

/** What came of removing a dead lock or a non-lock from the lock name. */
export type Clearing =
  | 'cleared'
  /** The lock name holds something else now: look again. */
  | 'changed'
  /** Another waiter is removing it at this moment. */
  | 'busy'
  /** It cannot be removed (a full directory, a read-only disk): go on without the lock. */
  | 'impossible';

/** How this host tells whether a process lives; tests inject their own. */
export interface ProcessTable {
  readonly host: string;
  readonly pidSpace: string | undefined;
  /** The start time of the live (not zombie) process `pid`; undefined when there is none, or no /proc to ask. */
  startTimeOf(pid: number): number | undefined;
  /** Whether a process `pid` exists (kill 0): for owners recorded without a start time. */
  exists(pid: number): boolean;
}

export interface SharedFailure {
  readonly at: number;
  readonly message: string;
}

/** Wakes a waiter when the file at a lock name changes or goes. */
export interface LockWatch {
  /**
   * Resolves at the first change after the last one it reported (at once if one came in
   * between); never where the file cannot be watched, which the waiter's poll covers.
   */
  next(): Promise<void>;
  close(): void;
}

/** Our locks and markers are ~200 bytes. */
const MAX_LOCK_BYTES = 4096;
const NONE: LockHolder = { kind: 'none' };

export class FlightLocks {
  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    /** Looked up only on a miss: a cache hit reads nothing of /proc. */
    private readonly processTable?: ProcessTable,
  ) {}

  private get processes(): ProcessTable {
    return this.processTable ?? localProcesses();
  }

  private lockPath(id: string): string {
    return joinPath(this.dir, `${id}.lock`);
  }

  private failurePath(id: string): string {
    return joinPath(this.dir, `${id}.failed`);
  }

  tryAcquire(id: string, now: number): LockAttempt {
    const path = this.lockPath(id);
    const owner = this.newOwner(now);
    const created = this.createWhole(path, owner);
    if (created === 'created') return this.acquired(path, owner);
    if (created === 'exists') return { state: 'held', holder: inspectLock(path) };
    return { state: 'unavailable' };
  }

  /** The lock `owner` took through another FlightLocks (another bundle's), while it is still theirs at the name. */
  adopt(id: string, owner: LockOwner): AcquiredLock | undefined {
    const path = this.lockPath(id);
    return holdsOwner(path, owner) ? this.acquired(path, owner) : undefined;
  }

  private acquired(path: string, owner: LockOwner): AcquiredLock {
    return { state: 'acquired', owner, release: () => this.releaseIfOurs(path, owner), markCalling: (at) => this.replaceIfOurs(path, { ...owner, calling: at }) };
  }

  holderOf(id: string): LockHolder {
    return inspectLock(this.lockPath(id));
  }

  /** True when the holder can be trusted to let go: a lock whose owner lives. Never of a non-lock. */
  isLive(holder: LockHolder, now: number, maxAgeMs: number): boolean {
    if (holder.kind !== 'owner') return false;
    const { owner } = holder;
    const here = this.processes;
    const young = Math.abs(now - owner.since) <= maxAgeMs;
    if (owner.host !== here.host) return young;
    // Another boot or another pid namespace: its pids are not ours to look up.
    if (owner.pidSpace !== undefined && owner.pidSpace !== here.pidSpace) return young;
    if (owner.pidSpace !== undefined && owner.started !== undefined) return here.startTimeOf(owner.pid) === owner.started;
    // Recorded where /proc could not say (or by an earlier build): the pid and the age together.
    return here.exists(owner.pid) && young;
  }

  /**
   * Removes a dead lock or a non-lock found at the lock name, unless the name holds something
   * else by now or another waiter is removing it.
   */
  clear(id: string, judged: LockHolder, now: number, maxAgeMs: number): Clearing {
    return this.clearAt(this.lockPath(id), judged, now, maxAgeMs, 0);
  }

  private clearAt(path: string, judged: LockHolder, now: number, maxAgeMs: number, depth: number): Clearing {
    if (judged.kind === 'none') return 'changed';
    const tag = judged.kind === 'owner' ? judged.owner.nonce : `i${judged.inode}`;
    const marker = `${path}.clearing.${tag}`;
    const claim = this.createWhole(marker, this.newOwner(now));
    if (claim === 'failed') return 'impossible';
    if (claim === 'exists') {
      const clearer = inspectLock(marker);
      if (clearer.kind === 'none') return 'changed';
      if (this.isLive(clearer, now, maxAgeMs)) return 'busy';
      // Its creator died between creating and removing it: clear the marker the same way, once.
      if (depth > 0) return 'impossible';
      const outcome = this.clearAt(marker, clearer, now, maxAgeMs, depth + 1);
      return outcome === 'cleared' ? 'changed' : outcome;
    }
    try {
      const current = inspectLock(path);
      if (!sameHolder(current, judged)) return 'changed';
      if (!removeAnything(path)) {
        this.logger.warn({ what: describeHolder(judged) }, 'cannot remove what is at the token-cache lock name; going on without the lock');
        return 'impossible';
      }
      if (depth === 0) this.logger.info({ what: describeHolder(judged) }, 'removed a token-cache lock that nobody will release');
      return 'cleared';
    } finally {
      removeQuietly(marker);
    }
  }

  /** Watches the lock name, so that a waiter wakes when the lock is released or replaced. */
  watchLock(id: string): LockWatch {
    let events = 0;
    let reported = 0;
    let wake: (() => void) | undefined;
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(this.lockPath(id), { persistent: false }, () => {
        events += 1;
        wake?.();
      });
      watcher.on('error', () => watcher?.close());
    } catch {
      // Gone already (the waiter looks again at once), or inotify exhausted: the poll alone.
    }
    return {
      next: () =>
        new Promise((resolve) => {
          const settle = (): void => {
            if (events === reported) return;
            reported = events;
            wake = undefined;
            resolve();
          };
          wake = settle;
          settle();
        }),
      close: () => watcher?.close(),
    };
  }

  recordFailure(id: string, failure: SharedFailure): void {
    writeFileAtomically(this.dir, this.failurePath(id), JSON.stringify(failure), this.logger);
  }

  clearFailure(id: string): void {
    removeQuietly(this.failurePath(id));
  }

  readFailure(id: string): SharedFailure | undefined {
    const text = readPrivateFile(this.failurePath(id));
    const value = text === undefined ? undefined : parseJsonObject(text);
    return typeof value?.at === 'number' && typeof value.message === 'string' ? { at: value.at, message: value.message } : undefined;
  }

  private newOwner(now: number): LockOwner {
    const here = this.processes;
    const started = here.pidSpace === undefined ? undefined : here.startTimeOf(process.pid);
    const where = here.pidSpace !== undefined && started !== undefined ? { pidSpace: here.pidSpace, started } : {};
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { randomBytes } = require('node:crypto') as typeof import('node:crypto');
    return { pid: process.pid, host: here.host, ...where, since: now, nonce: randomBytes(8).toString('hex') };
  }

  /** Creates `path` holding `owner`, whole or not at all. */
  private createWhole(path: string, owner: LockOwner): 'created' | 'exists' | 'failed' {
    let temp: string;
    try {
      temp = writeTempFile(this.dir, JSON.stringify(owner), { mode: 0o600, sync: false });
    } catch (error) {
      this.logger.warn({ code: errorCode(error) }, 'cannot create a lock in the token cache; fetching without one');
      return 'failed';
    }
    try {
      linkSync(temp, path);
      return 'created';
    } catch (error) {
      if (errorCode(error) === 'EEXIST') return 'exists';
      this.logger.warn({ code: errorCode(error) }, 'cannot create a lock in the token cache; fetching without one');
      return 'failed';
    } finally {
      removeQuietly(temp);
    }
  }

  private releaseIfOurs(path: string, owner: LockOwner): void {
    if (holdsOwner(path, owner)) removeQuietly(path);
  }

  /**
   * Puts `owner` (the same nonce, more said) at the lock name, whole, by rename, while the lock
   * there is still ours. Best effort: where it fails, waiters keep their longer bound.
   */
  private replaceIfOurs(path: string, owner: LockOwner): void {
    let temp: string | undefined;
    try {
      temp = writeTempFile(this.dir, JSON.stringify(owner), { mode: 0o600, sync: false });
      if (holdsOwner(path, owner)) renameSync(temp, path);
    } catch (error) {
      this.logger.debug({ code: errorCode(error) }, 'cannot mark the token-cache lock; waiters keep their longer bound');
    } finally {
      if (temp !== undefined) removeQuietly(temp);
    }
  }
}

export function sameHolder(a: LockHolder, b: LockHolder): boolean {
  if (a.kind === 'owner' && b.kind === 'owner') return a.owner.nonce === b.owner.nonce;
  if (a.kind === 'not-a-lock' && b.kind === 'not-a-lock') return a.inode === b.inode;
  return a.kind === b.kind;
}

/** Whether the lock at `path` is still `owner`'s: its nonce, whatever else it says by now (its call marked). */
function holdsOwner(path: string, owner: LockOwner): boolean {
  const current = inspectLock(path);
  return current.kind === 'owner' && current.owner.nonce === owner.nonce;
}

function inspectLock(path: string): LockHolder {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return NONE;
    return { kind: 'not-a-lock', what: `something unreadable (${errorCode(error)})`, inode: 0 };
  }
  const text = stats.isFile() ? readPrivateFile(path, MAX_LOCK_BYTES) : undefined;
  const owner = text === undefined ? undefined : parseOwner(text);
  return owner !== undefined ? { kind: 'owner', owner, inode: stats.ino } : { kind: 'not-a-lock', what: describeStats(stats, text), inode: stats.ino };
}

/** A lock's JSON, or undefined for anything that is not one of our locks. */
export function parseOwner(text: string): LockOwner | undefined {
  const owner = parseJsonObject(text);
  if (owner === undefined) return undefined;
  const isCount = (field: unknown): field is number => typeof field === 'number' && Number.isSafeInteger(field) && field >= 0;
  if (!isCount(owner.pid) || owner.pid === 0 || typeof owner.host !== 'string' || typeof owner.since !== 'number' || !Number.isFinite(owner.since)) return undefined;
  // The nonce names the clearing marker: it must be a plain token, never a path.
  if (typeof owner.nonce !== 'string' || !/^[0-9a-f]{8,64}$/.test(owner.nonce)) return undefined;
  if (owner.pidSpace !== undefined && typeof owner.pidSpace !== 'string') return undefined;
  if (owner.started !== undefined && !isCount(owner.started)) return undefined;
  if (owner.calling !== undefined && (typeof owner.calling !== 'number' || !Number.isFinite(owner.calling))) return undefined;
  return {
    pid: owner.pid,
    host: owner.host,
    ...(owner.pidSpace !== undefined ? { pidSpace: owner.pidSpace } : {}),
    ...(owner.started !== undefined ? { started: owner.started } : {}),
    since: owner.since,
    nonce: owner.nonce,
    ...(owner.calling !== undefined ? { calling: owner.calling } : {}),
  };
}

function describeStats(stats: Stats, text: string | undefined): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isSocket()) return 'a socket';
  if (!stats.isFile()) return 'a device';
  if (stats.uid !== process.getuid?.()) return `a file of uid ${stats.uid}`;
  if (text === undefined) return `a file of ${stats.size} bytes`;
  return text === '' ? 'an empty file' : 'a file that is not a lock';
}

function describeHolder(holder: LockHolder): string {
  if (holder.kind === 'owner') return `the lock of pid ${holder.owner.pid} on ${holder.owner.host}`;
  return holder.kind === 'not-a-lock' ? holder.what : 'nothing';
}

/** Removes a file, or an empty directory; true when nothing is left at `path`. */
function removeAnything(path: string): boolean {
  try {
    if (lstatSync(path).isDirectory()) rmdirSync(path);
    else unlinkSync(path);
    return true;
  } catch (error) {
    return errorCode(error) === 'ENOENT';
  }
}

let local: ProcessTable | undefined;

function localProcesses(): ProcessTable {
  if (local === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { hostname } = require('node:os') as typeof import('node:os');
    local = { host: hostname(), pidSpace: readPidSpace(), startTimeOf: readStartTime, exists: processExists };
  }
  return local;
}

function readPidSpace(): string | undefined {
  try {
    return `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()} ${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    return undefined;
  }
}

function readStartTime(pid: number): number | undefined {
  try {
    return parseStartTime(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
}

/**
 * The start time (field 22) of a /proc/<pid>/stat line, undefined for a zombie (dead, not yet
 * reaped) or a line that does not parse. Fields are counted after the command name, which is in
 * parentheses and may itself hold spaces and parentheses.
 */
export function parseStartTime(stat: string): number | undefined {
  const nameEnd = stat.lastIndexOf(')');
  if (nameEnd < 0) return undefined;
  // From field 3 (the state) on.
  const fields = stat.slice(nameEnd + 1).trim().split(/\s+/);
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  const startTime = fields[22 - 3];
  return startTime !== undefined && /^\d{1,15}$/.test(startTime) ? Number(startTime) : undefined;
}

export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return errorCode(error) === 'EPERM';
  }
}
