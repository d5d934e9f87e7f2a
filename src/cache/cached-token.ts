/**
 * A token through the cache: served from disk while fresh; otherwise fetched by one process
 * for all that want it at the same moment, stored, and served. When AWS fails, a cached token
 * that the registry still accepts is served instead (never one that has expired).
 */
import { ExplainedError } from '../aws/errors';
import type { RegistryToken } from '../aws/authorization-token';
import type { Logger } from '../logging/logger';
import { entryToken, freshUntil, isFresh, isUnexpired, makeEntry, matchesKey, type CacheEntry, type CacheKey } from './entry';
import type { FlightLocks } from './single-flight';
import type { TokenStore } from './token-store';

export interface FlightLimits {
  /** How often a waiter looks for the leader's answer. */
  readonly pollMs: number;
  /** A lock older than this is stale whatever its owner: longer than any fetch may take. */
  readonly lockMaxAgeMs: number;
  /** A waiter gives up waiting after this and fetches by itself. */
  readonly maxWaitMs: number;
}

export interface CachedTokenRequest {
  readonly store: TokenStore;
  readonly locks: FlightLocks;
  readonly key: CacheKey;
  readonly id: string;
  readonly fetch: () => Promise<RegistryToken>;
  /** Puts a fetch failure into the words waiters will show. */
  readonly explain: (error: unknown) => string;
  readonly now: () => number;
  readonly sleep: (milliseconds: number) => Promise<void>;
  readonly logger: Logger;
  readonly limits: FlightLimits;
}

export type TokenOrigin = 'cache' | 'fetched' | 'another-process' | 'cache-after-failure';

export interface ServedToken {
  readonly token: RegistryToken;
  readonly origin: TokenOrigin;
  /** When the cache will ask AWS again rather than serve this token; absent when it was not cached. */
  readonly freshUntil?: Date;
}

export async function getTokenThroughCache(request: CachedTokenRequest): Promise<ServedToken> {
  const { locks, id, now, limits } = request;
  const cached = readMatching(request);
  if (cached !== undefined && isFresh(cached, now())) return served(cached, 'cache');

  const waitStart = now();
  for (;;) {
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

    const heldSince = now();
    for (;;) {
      await request.sleep(limits.pollMs);
      const stored = readMatching(request);
      if (stored !== undefined && isFresh(stored, now())) return served(stored, 'another-process');
      const failure = locks.readFailure(id);
      if (failure !== undefined && failure.at >= waitStart) {
        return fallbackOrThrow(request, new ExplainedError(failure.message));
      }
      if (!locks.isHeld(id)) break;
      const owner = locks.readOwnerOf(id);
      if (locks.isStale(owner, now(), limits.lockMaxAgeMs, heldSince)) {
        request.logger.warn({ pid: owner?.pid }, 'token-cache lock holder is gone; taking over');
        locks.breakStale(id, owner);
        break;
      }
      if (now() - waitStart > limits.maxWaitMs) {
        request.logger.warn({ waitedMs: now() - waitStart }, 'gave up waiting for another helper process; fetching');
        return fetchAndStore(request, false);
      }
    }
    if (now() - waitStart > limits.maxWaitMs) return fetchAndStore(request, false);
  }
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
  store.prune(now());
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
  const entry = request.store.read(request.id);
  return entry !== undefined && matchesKey(entry, request.key) ? entry : undefined;
}
