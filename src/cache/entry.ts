/**
 * One cached token and the decisions about it. Pure: times are passed in, nothing is read.
 */
import { createHash } from 'node:crypto';
import type { RegistryToken } from '../aws/authorization-token';

export const ENTRY_FORMAT = 'docker-credential-ecr-login/token';
export const ENTRY_VERSION = 1;

/** What a token is for: a different value in any field is a different token. */
export interface CacheKey {
  readonly service: 'ecr' | 'ecr-public';
  readonly registry: string;
  readonly region: string;
  /** `standard`, `fips`, `dualstack`, `fips+dualstack`, or the endpoint override URL. */
  readonly endpoint: string;
  /** The identity fingerprint hash (docs/SPEC.md section 5). */
  readonly identity: string;
}

export interface CacheEntry extends CacheKey {
  readonly format: typeof ENTRY_FORMAT;
  readonly version: typeof ENTRY_VERSION;
  readonly username: string;
  readonly secret: string;
  /** Epoch milliseconds, taken before the request that fetched the token. */
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** A file name for the key: the key's fields hashed, so nothing about the identity shows. */
export function entryId(key: CacheKey): string {
  const fields = [ENTRY_VERSION, key.service, key.registry, key.region, key.endpoint, key.identity];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex').slice(0, 40);
}

export function makeEntry(key: CacheKey, token: RegistryToken, issuedAt: number): CacheEntry {
  return {
    format: ENTRY_FORMAT,
    version: ENTRY_VERSION,
    ...pickKey(key),
    username: token.username,
    secret: token.secret,
    issuedAt,
    expiresAt: token.expiresAt.getTime(),
  };
}

/** A token is served from the cache without asking AWS while less than half its life has passed. */
export function isFresh(entry: CacheEntry, now: number): boolean {
  return now >= entry.issuedAt && now < freshUntil(entry);
}

/** The moment the cache stops serving the token and asks AWS again: half its life after issue. */
export function freshUntil(entry: CacheEntry): number {
  return entry.issuedAt + (entry.expiresAt - entry.issuedAt) / 2;
}

/** Still accepted by the registry: the fallback when AWS cannot be reached. */
export function isUnexpired(entry: CacheEntry, now: number): boolean {
  return now < entry.expiresAt;
}

export function entryToken(entry: CacheEntry): RegistryToken {
  return { username: entry.username, secret: entry.secret, expiresAt: new Date(entry.expiresAt) };
}

/**
 * Reads a cache file's text; anything that is not one of our entries — torn, foreign, from a
 * future version — is undefined, and is then simply replaced.
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
  for (const field of ['issuedAt', 'expiresAt'] as const) {
    if (typeof entry[field] !== 'number' || !Number.isFinite(entry[field])) return undefined;
  }
  if ((entry.expiresAt as number) <= (entry.issuedAt as number)) return undefined;
  return entry as unknown as CacheEntry;
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
