/**
 * One cached token and the decisions about it. Pure: times are passed in, nothing is read.
 */
import { isDateTime, TOKEN_LIFETIME_MS, trustedExpiry, type RegistryToken } from '../aws/authorization-token';
import { sha256Hex } from '../hash/sha256';

export const ENTRY_FORMAT = 'docker-credential-ecr-login/token';
export const ENTRY_VERSION = 1;

/** What a token is for: a different value in any field is a different token. */
export interface CacheKey {
  readonly service: 'ecr' | 'ecr-public';
  readonly registry: string;
  readonly region: string;
  /** One of `ENDPOINT_VARIANTS`, or the endpoint override URL. */
  readonly endpoint: string;
  /** The identity fingerprint hash (docs/SPEC.md section 5). */
  readonly identity: string;
}

export interface CacheEntry extends CacheKey {
  readonly format: typeof ENTRY_FORMAT;
  readonly version: typeof ENTRY_VERSION;
  readonly username: string;
  readonly secret: string;
  /** Epoch milliseconds by the local clock, taken before the request that fetched the token. */
  readonly issuedAt: number;
  /** By the local clock: never more than 12 hours after issuedAt (`trustedExpiry`). */
  readonly expiresAt: number;
}

/**
 * The endpoint a key names when no override is set, spelled here alone (`cacheKeyFor` picks one);
 * any other endpoint in a key is an override URL.
 */
export const ENDPOINT_VARIANTS = { standard: 'standard', fips: 'fips', dualstack: 'dualstack', fipsDualstack: 'fips+dualstack' } as const;
export const ENDPOINT_VARIANT_NAMES: ReadonlySet<string> = new Set(Object.values(ENDPOINT_VARIANTS));

/**
 * A file name for the key, `<service>_<registry>_<endpoint>_<identity>`: an override URL is
 * named by its hash (it could hold any character, at any length), and the identity is a hash
 * already. The region is left out, since the registry's host names it. No part holds a `_`, so
 * keys that differ in service, registry, endpoint or identity never share a name.
 *
 * The fields are not hashed together, as they were: SHA-256 runs in V8's interpreter, and its
 * two blocks cost every cache hit 0.4 M instructions. A name cannot lead to another key's
 * token either way: an entry is served only when the key it holds matches (matchesKey). Entries
 * named by the old hashes are never read again; the prune after a fetch removes them once they
 * expire. ENTRY_VERSION is not in the name: a new version needs a new form of name, or two
 * versions of the helper on one machine would take turns replacing each other's entries.
 */
export function entryId(key: CacheKey): string {
  const endpoint = ENDPOINT_VARIANT_NAMES.has(key.endpoint) ? key.endpoint : `endpoint-${sha256Hex(key.endpoint).slice(0, 32)}`;
  return `${key.service}_${key.registry}_${endpoint}_${key.identity}`;
}

export function makeEntry(key: CacheKey, token: RegistryToken, issuedAt: number): CacheEntry {
  return {
    format: ENTRY_FORMAT,
    version: ENTRY_VERSION,
    ...pickKey(key),
    username: token.username,
    secret: token.secret,
    issuedAt,
    expiresAt: trustedExpiry(issuedAt, token.expiresAt.getTime()),
  };
}

/**
 * Worth keeping: it lives past the time it was asked for. One that does not (an expiry that is
 * no time at all, or one the local clock already sees passed) is served once and never written.
 */
export function isCacheable(entry: CacheEntry): boolean {
  return isDateTime(entry.issuedAt) && isDateTime(entry.expiresAt) && entry.expiresAt > entry.issuedAt;
}

/**
 * A token is served from the cache without asking AWS while less than half its life has passed.
 * Both times are the local clock's: a clock that moved back before the issue time makes the
 * entry's age unknown, and it is not fresh.
 */
export function isFresh(entry: CacheEntry, now: number): boolean {
  return now >= entry.issuedAt && now < freshUntil(entry);
}

/** The moment the cache stops serving the token and asks AWS again: half its life after issue. */
export function freshUntil(entry: CacheEntry): number {
  return entry.issuedAt + (entry.expiresAt - entry.issuedAt) / 2;
}

/**
 * Still accepted by the registry: the fallback when AWS cannot be reached, and what `list`
 * shows. Not when the clock reads before the issue time: how long ago that was is unknown.
 */
export function isUnexpired(entry: CacheEntry, now: number): boolean {
  return now >= entry.issuedAt && now < entry.expiresAt;
}

export function entryToken(entry: CacheEntry): RegistryToken {
  return { username: entry.username, secret: entry.secret, expiresAt: new Date(entry.expiresAt) };
}

/**
 * Reads a cache file's text; anything that is not one of our entries — torn, foreign, from a
 * future version, with times no Date can hold — is undefined, and is then simply replaced. An
 * entry that claims to live longer than a token can (written by an older version, which trusted
 * the expiry AWS gave whatever the local clock said) is read as living 12 hours.
 */
export function parseEntry(text: string): CacheEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const entry = value as Record<string, unknown>;
  if (entry.format !== ENTRY_FORMAT || entry.version !== ENTRY_VERSION) return undefined;
  if (entry.service !== 'ecr' && entry.service !== 'ecr-public') return undefined;
  for (const field of ['registry', 'region', 'endpoint', 'identity', 'username', 'secret'] as const) {
    if (typeof entry[field] !== 'string' || entry[field] === '') return undefined;
  }
  const { issuedAt, expiresAt } = entry;
  if (!isDateTime(issuedAt) || !isDateTime(expiresAt) || expiresAt <= issuedAt) return undefined;
  return { ...(entry as unknown as CacheEntry), expiresAt: Math.min(expiresAt, issuedAt + TOKEN_LIFETIME_MS) };
}

export function matchesKey(entry: CacheEntry, key: CacheKey): boolean {
  return (
    entry.service === key.service &&
    entry.registry === key.registry &&
    entry.region === key.region &&
    entry.endpoint === key.endpoint &&
    entry.identity === key.identity
  );
}

function pickKey(key: CacheKey): CacheKey {
  return { service: key.service, registry: key.registry, region: key.region, endpoint: key.endpoint, identity: key.identity };
}
