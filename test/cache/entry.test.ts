import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RegistryToken } from '../../src/aws/authorization-token';
import {
  ENTRY_FORMAT,
  ENTRY_VERSION,
  entryId,
  entryToken,
  isCacheable,
  isFresh,
  isUnexpired,
  makeEntry,
  matchesKey,
  parseEntry,
  type CacheEntry,
  type CacheKey,
} from '../../src/cache/entry';

const HOUR = 60 * 60 * 1000;
const ISSUED = Date.UTC(2024, 0, 1, 0, 0, 0);
const EXPIRES = ISSUED + 12 * HOUR;

const key: CacheKey = {
  service: 'ecr',
  registry: '111122223333.dkr.ecr.us-east-1.amazonaws.com',
  region: 'us-east-1',
  endpoint: 'standard',
  identity: '0123456789abcdef0123456789abcdef',
};
const token: RegistryToken = { username: 'AWS', secret: 'registry-password-xyz', expiresAt: new Date(EXPIRES) };

const otherValues: { [K in keyof CacheKey]: CacheKey[K] } = {
  service: 'ecr-public',
  registry: '444455556666.dkr.ecr.us-east-1.amazonaws.com',
  region: 'us-west-2',
  endpoint: 'fips',
  identity: 'fedcba9876543210fedcba9876543210',
};
const keyFields = Object.keys(otherValues) as (keyof CacheKey)[];

function entryText(overrides: Record<string, unknown> = {}, remove: string[] = []): string {
  const value: Record<string, unknown> = { ...makeEntry(key, token, ISSUED), ...overrides };
  for (const field of remove) delete value[field];
  return JSON.stringify(value);
}

describe('entryId', () => {
  it('is stable for one key, and names its service, registry, endpoint and identity', () => {
    assert.equal(entryId(key), entryId({ ...key }));
    assert.equal(entryId(key), 'ecr_111122223333.dkr.ecr.us-east-1.amazonaws.com_standard_0123456789abcdef0123456789abcdef');
  });

  for (const field of keyFields.filter((name) => name !== 'region')) {
    it(`differs when ${field} differs`, () => {
      assert.notEqual(entryId({ ...key, [field]: otherValues[field] }), entryId(key));
    });
  }

  it("leaves the region to the registry's host, which names it", () => {
    assert.equal(entryId({ ...key, region: otherValues.region }), entryId(key));
  });

  it('names an override endpoint by its hash, whatever it holds', () => {
    for (const endpoint of ['http://127.0.0.1:8080', 'https://vpce-0a1b.api.ecr.us-east-1.vpce.amazonaws.com/a_b/../c', `https://${'x'.repeat(2000)}.example`]) {
      const id = entryId({ ...key, endpoint });
      assert.match(id, /^ecr_111122223333\.dkr\.ecr\.us-east-1\.amazonaws\.com_endpoint-[0-9a-f]{32}_0123456789abcdef0123456789abcdef$/);
      assert.notEqual(id, entryId({ ...key, endpoint: `${endpoint}/` }));
    }
  });
});

describe('makeEntry and parseEntry', () => {
  it('makes an entry of the current format holding the key, the token and both times', () => {
    assert.deepEqual(makeEntry(key, token, ISSUED), {
      format: ENTRY_FORMAT,
      version: ENTRY_VERSION,
      ...key,
      username: 'AWS',
      secret: 'registry-password-xyz',
      issuedAt: ISSUED,
      expiresAt: EXPIRES,
    });
  });

  it('copies only the key fields from the key', () => {
    const extended = { ...key, extra: 'not-copied' } as CacheKey;
    assert.equal((makeEntry(extended, token, ISSUED) as unknown as Record<string, unknown>).extra, undefined);
  });

  it('round-trips through JSON', () => {
    const entry = makeEntry(key, token, ISSUED);
    assert.deepEqual(parseEntry(JSON.stringify(entry)), entry);
    const publicEntry = makeEntry({ ...key, service: 'ecr-public', registry: 'public.ecr.aws' }, token, ISSUED);
    assert.deepEqual(parseEntry(JSON.stringify(publicEntry)), publicEntry);
  });

  it('gives the token back', () => {
    const back = entryToken(makeEntry(key, token, ISSUED));
    assert.equal(back.username, token.username);
    assert.equal(back.secret, token.secret);
    assert.equal(back.expiresAt.getTime(), EXPIRES);
  });

  it('rejects garbage, truncated and non-object JSON', () => {
    const good = entryText();
    for (const text of ['', 'garbage', '{', good.slice(0, good.length - 1), good.slice(0, 20), 'null', '42', '"text"', '[]', 'true', '\u0000\u0000']) {
      assert.equal(parseEntry(text), undefined, JSON.stringify(text));
    }
  });

  it('rejects another format and another version, including a future one', () => {
    assert.equal(parseEntry(entryText({ format: 'something-else' })), undefined);
    assert.equal(parseEntry(entryText({ version: 2 })), undefined);
    assert.equal(parseEntry(entryText({ version: 0 })), undefined);
    assert.equal(parseEntry(entryText({ version: '1' })), undefined);
    assert.equal(parseEntry(entryText({}, ['format'])), undefined);
    assert.equal(parseEntry(entryText({}, ['version'])), undefined);
  });

  it('rejects an unknown service', () => {
    assert.equal(parseEntry(entryText({ service: 'ecr-private' })), undefined);
    assert.equal(parseEntry(entryText({}, ['service'])), undefined);
  });

  for (const field of ['registry', 'region', 'endpoint', 'identity', 'username', 'secret']) {
    it(`rejects a missing, empty or non-string ${field}`, () => {
      assert.equal(parseEntry(entryText({}, [field])), undefined);
      assert.equal(parseEntry(entryText({ [field]: '' })), undefined);
      assert.equal(parseEntry(entryText({ [field]: 7 })), undefined);
      assert.equal(parseEntry(entryText({ [field]: null })), undefined);
      assert.equal(parseEntry(entryText({ [field]: ['x'] })), undefined);
    });
  }

  for (const field of ['issuedAt', 'expiresAt']) {
    it(`rejects a missing or non-number ${field}`, () => {
      assert.equal(parseEntry(entryText({}, [field])), undefined);
      assert.equal(parseEntry(entryText({ [field]: String(EXPIRES) })), undefined);
      assert.equal(parseEntry(entryText({ [field]: null })), undefined);
      assert.equal(parseEntry(entryText({ [field]: true })), undefined);
    });
  }

  it('rejects an entry that expires at or before it was issued', () => {
    assert.equal(parseEntry(entryText({ expiresAt: ISSUED })), undefined);
    assert.equal(parseEntry(entryText({ expiresAt: ISSUED - 1 })), undefined);
    assert.notEqual(parseEntry(entryText({ expiresAt: ISSUED + 1 })), undefined);
  });
});

describe('isFresh', () => {
  const entry = makeEntry(key, token, ISSUED);
  const halfLife = ISSUED + 6 * HOUR;

  it('is true from issue until just before half the lifetime has passed', () => {
    assert.equal(isFresh(entry, ISSUED), true);
    assert.equal(isFresh(entry, ISSUED + HOUR), true);
    assert.equal(isFresh(entry, halfLife - 1), true);
  });

  it('is false at and after half the lifetime', () => {
    assert.equal(isFresh(entry, halfLife), false);
    assert.equal(isFresh(entry, halfLife + 1), false);
    assert.equal(isFresh(entry, EXPIRES), false);
    assert.equal(isFresh(entry, EXPIRES + HOUR), false);
  });

  it('is false when the clock reads before the issue time (it moved back)', () => {
    assert.equal(isFresh(entry, ISSUED - 1), false);
    assert.equal(isFresh(entry, ISSUED - 24 * HOUR), false);
  });

  it('follows the token lifetime, not a fixed 12 hours', () => {
    const short = makeEntry(key, { ...token, expiresAt: new Date(ISSUED + 2 * HOUR) }, ISSUED);
    assert.equal(isFresh(short, ISSUED + HOUR - 1), true);
    assert.equal(isFresh(short, ISSUED + HOUR), false);
  });
});

describe('isUnexpired', () => {
  const entry = makeEntry(key, token, ISSUED);
  it('is true until the expiry instant, false from it on', () => {
    assert.equal(isUnexpired(entry, ISSUED), true);
    assert.equal(isUnexpired(entry, EXPIRES - 1), true);
    assert.equal(isUnexpired(entry, EXPIRES), false);
    assert.equal(isUnexpired(entry, EXPIRES + 1), false);
  });

  it('is false when the clock reads before the issue time (it moved back: the age is unknown)', () => {
    assert.equal(isUnexpired(entry, ISSUED - 1), false);
    assert.equal(isUnexpired(entry, ISSUED - 24 * HOUR), false);
  });
});

describe('token lifetimes the local clock can trust', () => {
  const expiring = (expiresAt: number): RegistryToken => ({ ...token, expiresAt: new Date(expiresAt) });

  it('a clock a day behind AWS: the token AWS says lives 36 hours is fresh for 6 and dead after 12', () => {
    const entry = makeEntry(key, expiring(ISSUED + 36 * HOUR), ISSUED);
    assert.equal(entry.expiresAt, ISSUED + 12 * HOUR);
    assert.equal(isFresh(entry, ISSUED + 6 * HOUR - 1), true);
    assert.equal(isFresh(entry, ISSUED + 7 * HOUR), false);
    assert.equal(isUnexpired(entry, ISSUED + 13 * HOUR), false);
  });

  it('an expiry a century ahead is kept for 12 hours, not for decades', () => {
    const entry = makeEntry(key, expiring(ISSUED + 100 * 365 * 24 * HOUR), ISSUED);
    assert.equal(entry.expiresAt, ISSUED + 12 * HOUR);
    assert.equal(isCacheable(entry), true);
  });

  it('a token that is dead by the local clock, or whose expiry is no time at all, is not kept', () => {
    for (const expiresAt of [ISSUED, ISSUED - HOUR, 0, Number.NaN, 1e23, -1e23]) {
      const entry = makeEntry(key, expiring(expiresAt), ISSUED);
      assert.equal(isCacheable(entry), false, String(expiresAt));
      assert.doesNotThrow(() => entryToken(entry).expiresAt.toISOString());
    }
    assert.equal(isCacheable(makeEntry(key, token, ISSUED)), true);
  });

  it('reads an entry of an older version that claims 36 hours as living 12', () => {
    const parsed = parseEntry(entryText({ expiresAt: ISSUED + 36 * HOUR }));
    assert.equal(parsed?.expiresAt, ISSUED + 12 * HOUR);
    assert.equal(parsed !== undefined && isFresh(parsed, ISSUED + 7 * HOUR), false);
  });

  it('refuses an entry whose times no Date can hold, rather than throw later', () => {
    assert.equal(parseEntry(entryText({ issuedAt: 1e300, expiresAt: 2e300 })), undefined);
    assert.equal(parseEntry(entryText({ issuedAt: -1e300 })), undefined);
    assert.equal(parseEntry(entryText({ expiresAt: 1e300 })), undefined);
  });
});

describe('matchesKey', () => {
  const entry: CacheEntry = makeEntry(key, token, ISSUED);
  it('matches the key it was made for', () => {
    assert.equal(matchesKey(entry, key), true);
    assert.equal(matchesKey(entry, { ...key }), true);
  });
  for (const field of keyFields) {
    it(`does not match when ${field} differs`, () => {
      assert.equal(matchesKey(entry, { ...key, [field]: otherValues[field] }), false);
    });
  }
});
