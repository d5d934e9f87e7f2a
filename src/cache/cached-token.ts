/**
 * A token through the cache: served from disk while fresh; otherwise fetched by one process
 * for all that want it at the same moment, stored, and served. When AWS fails, a cached token
 * that the registry still accepts is served instead (never one that has expired).
 */
import { ExplainedError } from '../aws/errors';
import type { RegistryToken } from '../aws/authorization-token';
import type { Logger } from '../logging/logger';
import { entryToken, freshUntil, isFresh, isUnexpired, makeEntry, matchesKey, type CacheEntry, type CacheKey } from './entry';
import { sameHolder, type AcquiredLock, type FlightLocks, type HeldFlight, type LockHolder, type LockOwner, type LockWatch, type SharedFailure } from './single-flight';
import type { TokenStore } from './token-store';

export interface FlightLimits {
  /** A waiter's first pause between looks; each next pause is twice as long, up to maxPollMs. */
  readonly firstPollMs: number;
  readonly maxPollMs: number;
  /**
   * Only for a holder on another host, whose process cannot be looked up: its lock is dead once
   * older than this (or dated this far ahead). Longer than any fetch may take.
   */
  readonly lockMaxAgeMs: number;
  /**
   * A waiter gives up on a live holder, fetches by itself and leaves the lock alone, once it has
   * waited this long and the holder's AWS call began this long ago (the call has a deadline; a
   * starved holder can take any time to get to it).
   */
  readonly callWaitMs: number;
  /** A waiter that has waited this long fetches by itself, whether or not its holder has begun its call. */
  readonly maxWaitMs: number;
}

/** A cache slot's entry and its single flight, as a process waiting on another's flight sees them. */
export interface FlightSlot {
  readonly store: TokenStore;
  readonly locks: FlightLocks;
  readonly key: CacheKey;
  readonly id: string;
  readonly now: () => number;
  readonly sleep: (milliseconds: number) => Promise<void>;
  readonly limits: FlightLimits;
}

export interface CachedTokenRequest extends FlightSlot {
  /** Calls `calling` as its AWS call begins, after loading what it needs (which has no deadline). */
  readonly fetch: (calling: () => void) => Promise<RegistryToken>;
  /** Puts a fetch failure into the words waiters will show. */
  readonly explain: (error: unknown) => string;
  readonly logger: Logger;
  /**
   * When this process began waiting on another's flight, when it did before this request (the
   * fast path waits on a live leader first, then hands over): its wait goes on from there,
   * bounded by the same limits in all, and the leader's failure recorded since then is its answer.
   */
  readonly waitingSince?: number;
  /** The slot's lock, when this process took it before this request (the fast path): its flight is led with it. */
  readonly held?: LockOwner;
}

export type TokenOrigin = 'cache' | 'fetched' | 'another-process' | 'cache-after-failure';

export interface ServedToken {
  readonly token: RegistryToken;
  readonly origin: TokenOrigin;
  /** When the cache will ask AWS again rather than serve this token; absent when it was not cached. */
  readonly freshUntil?: Date;
}

/**
 * A waiter that has found the lock released, replaced or dead this many times without an answer
 * (a holder dying after holder, a name that keeps changing hands) fetches alone rather than go
 * round again.
 */
const MAX_ROUNDS = 16;

export async function getTokenThroughCache(request: CachedTokenRequest): Promise<ServedToken> {
  const cached = readFresh(request.store, request.key, request.id, request.now());
  if (cached !== undefined) return served(cached, 'cache');
  const answer = await throughSingleFlight(request);
  // After the lock is released: its waiters need not wait for this.
  if (answer.origin === 'fetched') request.store.prune(request.now());
  return answer;
}

async function throughSingleFlight(request: CachedTokenRequest): Promise<ServedToken> {
  const { locks, id, now, limits, waitingSince } = request;
  const waitStart = waitingSince ?? now();
  if (waitingSince !== undefined) {
    // Handed over by a wait that ended on what only this path answers: the leader's failure.
    const settled = settledFlight(request, waitStart);
    if (settled !== undefined) return answerSettled(request, settled);
  }
  for (let round = 0; ; round += 1) {
    const adopted = round === 0 && request.held !== undefined ? locks.adopt(id, request.held) : undefined;
    const attempt = adopted ?? locks.tryAcquire(id, now());
    if (attempt.state === 'acquired') {
      try {
        // The previous leader may have stored a token between our read and our lock.
        const stored = readMatching(request);
        if (stored !== undefined && isFresh(stored, now())) return served(stored, 'another-process');
        return await fetchAndStore(request, attempt);
      } finally {
        attempt.release();
      }
    }
    if (attempt.state === 'unavailable') return fetchAndStore(request, undefined);
    if (round >= MAX_ROUNDS) {
      request.logger.warn({ rounds: round }, 'the token-cache lock keeps changing hands; fetching without it');
      return fetchAndStore(request, undefined);
    }
    const { holder } = attempt;
    if (holder.kind === 'none') continue;
    if (!locks.isLive(holder, now(), limits.lockMaxAgeMs)) {
      const clearing = locks.clear(id, holder, now(), limits.lockMaxAgeMs);
      if (clearing === 'impossible') return fetchAndStore(request, undefined);
      if (clearing !== 'busy') continue;
    }
    const waited = await waitWhileHeld(request, holder, waitStart);
    switch (waited.kind) {
      case 'stored':
      case 'failed':
        return answerSettled(request, waited);
      case 'let-go':
        continue;
      case 'waited-too-long':
        request.logger.warn({ waitedMs: now() - waitStart }, 'gave up waiting for another helper process; fetching');
        return fetchAndStore(request, undefined);
    }
  }
}

/** Where a process that missed stands in the slot's flight, short of fetching. */
export type FlightTurn =
  /** Another process stored a fresh token. */
  | { readonly kind: 'stored'; readonly entry: CacheEntry }
  /** Nobody was fetching it: this process holds the lock now, and fetches. */
  | { readonly kind: 'lead'; readonly held: HeldFlight }
  /**
   * What only the full flight answers: a dead lock or a non-lock to clear, a holder's failure, a
   * wait too long, a lock that cannot be made, a lock that kept changing hands (MAX_ROUNDS).
   * `waitingSince`: when its wait began, if it waited.
   */
  | { readonly kind: 'declined'; readonly waitingSince?: number };

/**
 * The fast path's part of a miss (src/cli/cache-hit.ts): it takes the free lock, or waits on a
 * live holder, and hands the rest to the full flight (throughSingleFlight). Taking the lock here,
 * before the full command line is even loaded, is what keeps a burst to one process loading it:
 * the others, finding the lock held, wait. Synchronous unless it waits.
 */
export function joinFlight(slot: FlightSlot, waitingSince?: number, round = 0): FlightTurn | Promise<FlightTurn> {
  const { store, locks, key, id, now, limits } = slot;
  let holder = locks.holderOf(id);
  if (holder.kind === 'none') {
    const attempt = locks.tryAcquire(id, now());
    if (attempt.state === 'acquired') {
      // The previous leader may have stored a token between our read and our lock.
      const stored = readFresh(store, key, id, now());
      if (stored === undefined) return { kind: 'lead', held: { id, owner: attempt.owner, release: attempt.release } };
      attempt.release();
      return { kind: 'stored', entry: stored };
    }
    if (attempt.state === 'unavailable') return declinedSince(waitingSince);
    holder = attempt.holder;
  }
  if (round >= MAX_ROUNDS) return declinedSince(waitingSince);
  if (!locks.isLive(holder, now(), limits.lockMaxAgeMs)) {
    // A lock released between the look at its name and the read of it looks like no lock for a moment: look again.
    return sameHolder(locks.holderOf(id), holder) ? declinedSince(waitingSince) : joinFlight(slot, waitingSince, round + 1);
  }
  const waitStart = waitingSince ?? now();
  return waitWhileHeld(slot, holder, waitStart).then((waited) => {
    if (waited.kind === 'stored') return waited;
    // Let go with no token in the entry when this process looked: look again (a wait and a lock taken both read the entry first).
    if (waited.kind === 'let-go') return joinFlight(slot, waitStart, round + 1);
    return declinedSince(waitStart);
  });
}

const declinedSince = (waitingSince: number | undefined): FlightTurn => (waitingSince === undefined ? { kind: 'declined' } : { kind: 'declined', waitingSince });

/** How a wait on another process's flight ended. */
export type WaitOutcome =
  /** The holder stored a fresh token. */
  | { readonly kind: 'stored'; readonly entry: CacheEntry }
  /** The holder recorded its failure since the wait began. */
  | { readonly kind: 'failed'; readonly failure: SharedFailure }
  /** The lock was released, replaced or its holder died, with no answer: look again. */
  | { readonly kind: 'let-go' }
  /** The holder is live but late: the limits' bounds have passed (waitedTooLong). */
  | { readonly kind: 'waited-too-long' };

type Settled = Extract<WaitOutcome, { kind: 'stored' | 'failed' }>;

/**
 * Waits while `holder` keeps the slot's lock: wakes when the lock file changes (inotify) and, as
 * the safety net, after pauses that double from firstPollMs to maxPollMs, never spinning. At each
 * wake it reads the entry, the holder's failure record and the lock, in that order. `holder` is
 * taken to have been judged live just before. Both the full path and the fast path wait here.
 */
export async function waitWhileHeld(slot: FlightSlot, holder: LockHolder, waitStart: number): Promise<WaitOutcome> {
  const { locks, id, now, limits } = slot;
  let watch: LockWatch | undefined;
  let watchedInode: number | undefined;
  try {
    for (let pause = limits.firstPollMs, paused = false; ; ) {
      const settled = settledFlight(slot, waitStart);
      if (settled !== undefined) return settled;
      const current = locks.holderOf(id);
      if (!sameHolder(current, holder)) return LET_GO;
      // Judged just before the first look; a holder being cleared by another waiter is waited on once.
      if (paused && !locks.isLive(current, now(), limits.lockMaxAgeMs)) return LET_GO;
      if (waitedTooLong(current, waitStart, now(), limits)) return { kind: 'waited-too-long' };
      const inode = current.kind === 'none' ? undefined : current.inode;
      if (watch === undefined || inode !== watchedInode) {
        // The first look, or the holder replaced its lock file to mark its call: watch the file
        // now at the name, then look again, since a change before the watch began goes unreported.
        watch?.close();
        watch = locks.watchLock(id);
        watchedInode = inode;
        continue;
      }
      await Promise.race([watch.next(), slot.sleep(pause)]);
      paused = true;
      pause = Math.min(pause * 2, limits.maxPollMs);
    }
  } finally {
    watch?.close();
  }
}

/**
 * Whether a waiter since `waitStart` gives up on `holder`, live and still holding: after
 * maxWaitMs in all, or after callWaitMs once the holder's call is that old too.
 */
export function waitedTooLong(holder: LockHolder, waitStart: number, now: number, limits: FlightLimits): boolean {
  const waited = now - waitStart;
  if (waited >= limits.maxWaitMs) return true;
  const calling = holder.kind === 'owner' ? holder.owner.calling : undefined;
  return waited >= limits.callWaitMs && calling !== undefined && now - calling >= limits.callWaitMs;
}

const LET_GO: WaitOutcome = { kind: 'let-go' };

/** The flight's answer for a process waiting since `waitStart`: a fresh entry, or the failure its leader recorded since. */
function settledFlight(slot: FlightSlot, waitStart: number): Settled | undefined {
  const { locks, id, now } = slot;
  const stored = readEntryFor(slot.store, slot.key, id);
  if (stored !== undefined && isFresh(stored, now())) return { kind: 'stored', entry: stored };
  const failure = locks.readFailure(id);
  // A record from the future was written before the clock moved back: not this flight's.
  if (failure !== undefined && failure.at >= waitStart && failure.at <= now()) return { kind: 'failed', failure };
  return undefined;
}

function answerSettled(request: CachedTokenRequest, settled: Settled): ServedToken {
  return settled.kind === 'stored' ? served(settled.entry, 'another-process') : fallbackOrThrow(request, new ExplainedError(settled.failure.message));
}

/** Fetches and stores the token; `lock` is the flight's when this process leads one. */
async function fetchAndStore(request: CachedTokenRequest, lock: AcquiredLock | undefined): Promise<ServedToken> {
  const { store, locks, id, key, now } = request;
  const leader = lock !== undefined;
  const issuedAt = now();
  let token: RegistryToken;
  try {
    token = await request.fetch(() => lock?.markCalling(now()));
  } catch (error) {
    if (leader) locks.recordFailure(id, { at: now(), message: request.explain(error) });
    return fallbackOrThrow(request, error);
  }
  const entry = makeEntry(key, token, issuedAt);
  store.write(id, entry);
  if (leader) locks.clearFailure(id);
  return served(entry, 'fetched');
}

function fallbackOrThrow(request: CachedTokenRequest, error: unknown): ServedToken {
  const cached = readMatching(request);
  if (cached !== undefined && isUnexpired(cached, request.now())) {
    request.logger.warn(
      { registry: request.key.registry, expiresAt: new Date(cached.expiresAt).toISOString(), cause: request.explain(error) },
      'AWS failed; serving the cached token, which is still valid',
    );
    return served(cached, 'cache-after-failure');
  }
  throw error;
}

function served(entry: CacheEntry, origin: TokenOrigin): ServedToken {
  return { token: entryToken(entry), origin, freshUntil: new Date(freshUntil(entry)) };
}

function readMatching(request: CachedTokenRequest): CacheEntry | undefined {
  return readEntryFor(request.store, request.key, request.id);
}

function readEntryFor(store: TokenStore, key: CacheKey, id: string): CacheEntry | undefined {
  const entry = store.read(id);
  return entry !== undefined && matchesKey(entry, key) ? entry : undefined;
}

/** The key's entry when the cache may serve it without asking AWS: what a cache hit is. */
export function readFresh(store: TokenStore, key: CacheKey, id: string, now: number): CacheEntry | undefined {
  const entry = readEntryFor(store, key, id);
  return entry !== undefined && isFresh(entry, now) ? entry : undefined;
}
