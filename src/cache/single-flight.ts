/**
 * Cross-process single flight: when many helpers miss the same key at once (a `docker compose
 * pull`, a Nomad node starting twenty tasks), one fetches and the others wait for its answer.
 *
 * The lock is a file created with O_EXCL holding its owner's pid, host and start time. A lock
 * whose owner is gone (pid no longer alive on this host) or that is older than any fetch may
 * last is stale: a waiter moves it aside with an atomic rename (only one waiter can win that
 * rename), checks that what it moved is the stale lock it judged, and competes for a new one.
 * The leader's failure is shared too, through a short-lived `.failed` record, so that an outage
 * costs one call rather than one per waiter.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, linkSync, openSync, renameSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { errorCode } from '../fs/private-dir';
import type { Logger } from '../logging/logger';
import { readPrivateFile, removeQuietly, writeFileAtomically } from './token-store';

export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: number;
  readonly nonce: string;
}

export type LockAttempt =
  | { readonly state: 'acquired'; readonly release: () => void }
  | { readonly state: 'held'; readonly owner: LockOwner | undefined }
  /** The directory would not take a lock file (read-only, full): go on without one. */
  | { readonly state: 'unavailable' };

export interface SharedFailure {
  readonly at: number;
  readonly message: string;
}

export class FlightLocks {
  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly isAlive: (pid: number) => boolean = processIsAlive,
  ) {}

  private lockPath(id: string): string {
    return join(this.dir, `${id}.lock`);
  }

  private failurePath(id: string): string {
    return join(this.dir, `${id}.failed`);
  }

  tryAcquire(id: string, now: number): LockAttempt {
    const path = this.lockPath(id);
    const owner: LockOwner = { pid: process.pid, host: hostname(), since: now, nonce: randomBytes(8).toString('hex') };
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    } catch (error) {
      if (errorCode(error) === 'EEXIST') return { state: 'held', owner: this.readOwner(path) };
      this.logger.warn({ code: errorCode(error) }, 'cannot create a lock in the token cache; fetching without one');
      return { state: 'unavailable' };
    }
    try {
      writeSync(fd, JSON.stringify(owner));
    } catch {
      // An empty lock is still a lock; its age makes it stale in time.
    } finally {
      closeSync(fd);
    }
    return { state: 'acquired', release: () => this.releaseIfOurs(path, owner) };
  }

  /** True when the lock can no longer be trusted to end: its owner died, or it outlived any fetch. */
  isStale(owner: LockOwner | undefined, now: number, maxAgeMs: number, heldSince: number): boolean {
    if (owner === undefined) return now - heldSince > maxAgeMs;
    if (now - owner.since > maxAgeMs) return true;
    return owner.host === hostname() && !this.isAlive(owner.pid);
  }

  /**
   * Moves a stale lock aside. Only one of many waiters wins the rename; if what it moved turns
   * out to be a fresh lock taken meanwhile by someone else, it is put back.
   */
  breakStale(id: string, judged: LockOwner | undefined): void {
    const path = this.lockPath(id);
    const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      renameSync(path, aside);
    } catch {
      return;
    }
    const moved = this.readOwner(aside);
    // Put back anything that is not the very lock judged stale, an empty new one included.
    if (moved?.nonce !== judged?.nonce) {
      try {
        linkSync(aside, path);
      } catch {
        // Someone holds a new lock already: theirs stands.
      }
    } else {
      this.logger.info({ pid: judged?.pid }, 'broke a stale token-cache lock');
    }
    removeQuietly(aside);
  }

  isHeld(id: string): boolean {
    return readPrivateFile(this.lockPath(id)) !== undefined;
  }

  readOwnerOf(id: string): LockOwner | undefined {
    return this.readOwner(this.lockPath(id));
  }

  recordFailure(id: string, failure: SharedFailure): void {
    writeFileAtomically(this.dir, this.failurePath(id), JSON.stringify(failure), this.logger);
  }

  clearFailure(id: string): void {
    removeQuietly(this.failurePath(id));
  }

  readFailure(id: string): SharedFailure | undefined {
    const text = readPrivateFile(this.failurePath(id));
    if (text === undefined) return undefined;
    try {
      const value = JSON.parse(text) as Partial<SharedFailure>;
      return typeof value.at === 'number' && typeof value.message === 'string' ? { at: value.at, message: value.message } : undefined;
    } catch {
      return undefined;
    }
  }

  private readOwner(path: string): LockOwner | undefined {
    const text = readPrivateFile(path);
    if (text === undefined) return undefined;
    try {
      const value = JSON.parse(text) as Partial<LockOwner>;
      if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.since === 'number' && typeof value.nonce === 'string') {
        return value as LockOwner;
      }
    } catch {
      // Torn by a kill between create and write: judged by the file's presence and age alone.
    }
    return undefined;
  }

  private releaseIfOurs(path: string, owner: LockOwner): void {
    const current = this.readOwner(path);
    if (current?.nonce === owner.nonce) removeQuietly(path);
  }
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return errorCode(error) === 'EPERM';
  }
}
