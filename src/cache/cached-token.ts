/**
 * A token through the cache: served from disk while fresh; otherwise fetched by one process
 * for all that want it at the same moment, stored, and served. When AWS fails, a cached token
 * that the registry still accepts is served instead (never one that has expired).
 */
import { ExplainedError } from '../aws/errors';
import type { RegistryToken } from '../aws/authorization-token';
import type { Logger } from '../logging/logger';
import { entryToken, freshUntil, isFresh, isUnexpired, makeEntry, matchesKey, type CacheEntry, type CacheKey } from './entry';
import { sameHolder, type FlightLocks, type LockHolder, type SharedFailure } from './single-flight';
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
  /** A waiter that has waited this long fetches by itself, leaving the lock to its live holder. */
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
  readonly fetch: () => Promise<RegistryToken>;
  /** Puts a fetch failure into the words waiters will show. */
  readonly explain: (error: unknown) => string;
  readonly logger: Logger;
  /**
   * When this process began waiting on another's flight, when it did before this request (the
   * fast path waits on a live leader first, then hands over): its wait goes on from there,
   * bounded by maxWaitMs in all, and the leader's failure recorded since then is its answer.
   */
  readonly waitingSince?: number;
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
    const attempt = locks.tryAcquire(id, now());
    if (attempt.state === 'acquired') {
      try {
        // The previous leader may have stored a token between our read and our lock.
        const stored = readMatching(request);
        if (stored !== undefined && isFresh(stored, now())) return served(stored, 'another-process');
        return await fetchAndStore(request, true);
      } finally {
        attempt.release();
      }
    }
    if (attempt.state === 'unavailable') return fetchAndStore(request, false);
    if (round >= MAX_ROUNDS) {
      request.logger.warn({ rounds: round }, 'the token-cache lock keeps changing hands; fetching without it');
      return fetchAndStore(request, false);
    }
    const { holder } = attempt;
    if (holder.kind === 'none') continue;
    if (!locks.isLive(holder, now(), limits.lockMaxAgeMs)) {
      const clearing = locks.clear(id, holder, now(), limits.lockMaxAgeMs);
      if (clearing === 'impossible') return fetchAndStore(request, false);
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
        return fetchAndStore(request, false);
    }
  }
}

/** How a wait on another process's flight ended. */
export type WaitOutcome =
  /** The holder stored a fresh token. */
  | { readonly kind: 'stored'; readonly entry: CacheEntry }
  /** The holder recorded its failure since the wait began. */
  | { readonly kind: 'failed'; readonly failure: SharedFailure }
  /** The lock was released, replaced or its holder died, with no answer: look again. */
  | { readonly kind: 'let-go' }
  /** maxWaitMs has passed since the wait began. */
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
  const watch = locks.watchLock(id);
  try {
    for (let pause = limits.firstPollMs, looks = 0; ; pause = Math.min(pause * 2, limits.maxPollMs), looks += 1) {
      const settled = settledFlight(slot, waitStart);
      if (settled !== undefined) return settled;
      if (!sameHolder(locks.holderOf(id), holder)) return LET_GO;
      // Judged just before the first look; a holder being cleared by another waiter is waited on once.
      if (looks > 0 && !locks.isLive(holder, now(), limits.lockMaxAgeMs)) return LET_GO;
      if (now() - waitStart >= limits.maxWaitMs) return { kind: 'waited-too-long' };
      await Promise.race([watch.next(), slot.sleep(pause)]);
    }
  } finally {
    watch.close();
  }
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

async function fetchAndStore(request: CachedTokenRequest, leader: boolean): Promise<ServedToken> {
  const { store, locks, id, key, now } = request;
  const issuedAt = now();
  let token: RegistryToken;
  try {
    token = await request.fetch();
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
