/**
 * The cache's own files, as anything (a torn write, an older or newer build, another program, a
 * person) may leave them: token entries, and what sits at a lock's and a failure record's name.
 *
 * - An entry's text: parseEntry never throws, and what it accepts is safe to use: every field of
 *   the right type, times a Date can hold, a life of at most 12 hours, and the decisions made on it
 *   (fresh, unexpired, when to refresh) never throw or yield an invalid Date.
 * - A lock or failure record: a token request behind it, on a clock that moves only when the
 *   request sleeps, is answered (one AWS call, the entry written) or refused with the recorded
 *   failure, within the single flight's bounds; never a throw, never a wait without end.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { TOKEN_LIFETIME_MS, type RegistryToken } from '../../src/aws/authorization-token';
import { ExplainedError } from '../../src/aws/errors';
import { getTokenThroughCache } from '../../src/cache/cached-token';
import { ENTRY_FORMAT, ENTRY_VERSION, entryId, entryToken, freshUntil, isCacheable, isFresh, isUnexpired, makeEntry, matchesKey, parseEntry, type CacheEntry, type CacheKey } from '../../src/cache/entry';
import { FlightLocks } from '../../src/cache/single-flight';
import { openTokenStore } from '../../src/cache/token-store';
import { silentLogger } from '../../src/logging/logger';
import { FLIGHT_LIMITS } from '../../src/service/token-service';
import { seedNote, TEST_SEED } from '../support/seed';

const HOUR = 60 * 60 * 1000;
const NOW = Date.UTC(2025, 5, 1);
const root = mkdtempSync(join(tmpdir(), 'ecr-login-property-cache-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Numbers a field meant for epoch milliseconds may hold instead. */
const oddNumber = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 1e308, -1e308, 8.64e15, 8.64e15 + 1, -8.64e15, Number.MAX_SAFE_INTEGER, NOW, NOW + 12 * HOUR, NOW + 13 * HOUR, NOW - HOUR, 0.5),
  fc.double({ noNaN: true }),
  fc.integer(),
);
const strayJson = fc.oneof(fc.constant(null), fc.boolean(), oddNumber, fc.string({ maxLength: 6 }), fc.constant([]), fc.constant({}));

const validEntry = fc
  .record({
    service: fc.constantFrom('ecr', 'ecr-public'),
    registry: fc.constantFrom('111122223333.dkr.ecr.us-east-1.amazonaws.com', 'public.ecr.aws'),
    region: fc.constantFrom('us-east-1', 'eu-west-1'),
    endpoint: fc.constantFrom('standard', 'fips', 'http://127.0.0.1:1'),
    identity: fc.constantFrom('0123456789abcdef0123456789abcdef'),
    username: fc.constant('AWS'),
    secret: fc.string({ minLength: 1, maxLength: 30 }),
    issuedAt: fc.integer({ min: NOW - 48 * HOUR, max: NOW + 48 * HOUR }),
    life: fc.integer({ min: 1, max: 100 * HOUR }),
  })
  .map(({ life, ...fields }): Record<string, unknown> => ({ format: ENTRY_FORMAT, version: ENTRY_VERSION, ...fields, expiresAt: fields.issuedAt + life }));

const FIELDS = ['format', 'version', 'service', 'registry', 'region', 'endpoint', 'identity', 'username', 'secret', 'issuedAt', 'expiresAt'];

/** Entry texts: whole, with one field changed, dropped or added, cut short, or not an entry at all. */
const entryText = fc.oneof(
  { weight: 2, arbitrary: validEntry.map((entry) => JSON.stringify(entry)) },
  {
    weight: 4,
    arbitrary: fc.tuple(validEntry, fc.constantFrom(...FIELDS, '__proto__', 'extra'), fc.option(strayJson, { nil: undefined })).map(([entry, field, value]) => {
      const changed: Record<string, unknown> = { ...entry };
      if (value === undefined) delete changed[field];
      else Object.defineProperty(changed, field, { value, enumerable: true, writable: true, configurable: true });
      return JSON.stringify(changed);
    }),
  },
  { weight: 2, arbitrary: fc.tuple(validEntry, fc.nat()).map(([entry, at]) => JSON.stringify(entry).slice(0, at % (JSON.stringify(entry).length + 1))) },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
);

const isNonEmptyString = (value: unknown): boolean => typeof value === 'string' && value !== '';
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= 8.64e15;

describe('token entries', () => {
  it('parseEntry never throws, and what it accepts is safe to use', (t) => {
    let accepted = 0;
    fc.assert(
      fc.property(entryText, oddNumber, (text, now) => {
        const entry = parseEntry(text);
        if (entry === undefined) return;
        accepted += 1;
        assert.equal(entry.format, ENTRY_FORMAT);
        assert.equal(entry.version, ENTRY_VERSION);
        assert.ok(entry.service === 'ecr' || entry.service === 'ecr-public');
        for (const field of ['registry', 'region', 'endpoint', 'identity', 'username', 'secret'] as const) assert.ok(isNonEmptyString(entry[field]), field);
        assert.ok(isTime(entry.issuedAt) && isTime(entry.expiresAt), text);
        assert.ok(entry.expiresAt > entry.issuedAt && entry.expiresAt - entry.issuedAt <= TOKEN_LIFETIME_MS, `a life of ${entry.expiresAt - entry.issuedAt} ms: ${text}`);
        // The decisions on it never throw, and never give a date that is no date.
        isFresh(entry, now);
        isUnexpired(entry, now);
        assert.ok(!Number.isNaN(new Date(freshUntil(entry)).getTime()));
        assert.ok(!Number.isNaN(entryToken(entry).expiresAt.getTime()));
        if (isFresh(entry, now)) assert.ok(isUnexpired(entry, now), 'fresh implies unexpired');
      }),
      { seed: TEST_SEED, numRuns: 900 },
    );
    t.diagnostic(`${seedNote(900, 'parseEntry')}: ${accepted} accepted`);
    assert.ok(accepted > 90, 'the generator makes readable entries too');
  });

  it('an entry written for any token reads back as written, or is not written at all', (t) => {
    const key: CacheKey = { service: 'ecr', registry: '111122223333.dkr.ecr.us-east-1.amazonaws.com', region: 'us-east-1', endpoint: 'standard', identity: 'i' };
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), oddNumber, oddNumber, (secret, issuedAt, expiresAt) => {
        const token: RegistryToken = { username: 'AWS', secret, expiresAt: new Date(expiresAt) };
        const entry = makeEntry(key, token, issuedAt);
        if (!isCacheable(entry)) return;
        const read = parseEntry(JSON.stringify(entry));
        // As JSON holds it (-0 is written 0).
        assert.deepEqual(read, JSON.parse(JSON.stringify(entry)));
        assert.ok(read !== undefined && matchesKey(read, key));
      }),
      // Found by this property: on a clock before 1970, an expiry that is no time at all (the epoch)
      // made an entry live more than 12 hours.
      { seed: TEST_SEED, numRuns: 600, examples: [[' ', -43200001, 8640000000000001]] },
    );
    t.diagnostic(seedNote(600, 'makeEntry then parseEntry'));
  });
});

describe("what sits at a lock's or a failure record's name", () => {
  /** Lock texts: owners of every shape (this process, pid 1, pids that cannot be, other hosts, times far off), and junk. */
  const owner = fc.record(
    {
      pid: fc.oneof(fc.constantFrom(process.pid, 1, 0, -1, 2 ** 22 + 7, 2 ** 31, 1.5), fc.string({ maxLength: 4 })),
      host: fc.oneof(fc.constantFrom(hostname(), 'another-host', ''), fc.integer()),
      since: fc.oneof(fc.constantFrom(NOW, NOW - HOUR, NOW + HOUR, NOW + 1000 * HOUR, 1e20, -1), fc.string({ maxLength: 3 })),
      nonce: fc.constantFrom('0123456789abcdef', 'ab', '../../etc', 7),
      pidSpace: fc.constantFrom('boot pid:[4026531836]', ''),
      started: fc.constantFrom(1, 123456789, -5),
    },
    { requiredKeys: [] },
  );
  const lockContent = fc.oneof(
    { weight: 4, arbitrary: owner.map((value): { file: string } => ({ file: JSON.stringify(value) })) },
    { weight: 1, arbitrary: fc.oneof(fc.constant(''), fc.string({ maxLength: 30 }), fc.json()).map((text) => ({ file: text })) },
    { weight: 1, arbitrary: fc.constant({ directory: true as const }) },
  );
  const failureContent = fc.option(
    fc.oneof(
      fc.record({ at: fc.oneof(fc.constantFrom(NOW - HOUR, NOW, NOW + HOUR), fc.string({ maxLength: 3 })), message: fc.oneof(fc.constant('recorded failure'), fc.integer()) }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
      fc.string({ maxLength: 20 }),
    ),
    { nil: undefined },
  );

  it('a token request behind it is answered, or refused with the failure recorded since it began, within the bounds', async (t) => {
    let round = 0;
    const outcomes = { fetched: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(lockContent, failureContent, async (lock, failure) => {
        round += 1;
        const cacheDir = join(root, `case-${round}`);
        const opening = openTokenStore(cacheDir, silentLogger);
        assert.ok(opening.store !== undefined);
        const { store } = opening;
        const key: CacheKey = { service: 'ecr', registry: '111122223333.dkr.ecr.us-east-1.amazonaws.com', region: 'us-east-1', endpoint: 'standard', identity: `case-${round}` };
        const id = entryId(key);
        if ('directory' in lock) mkdirSync(join(store.dir, `${id}.lock`));
        else writeFileSync(join(store.dir, `${id}.lock`), lock.file, { mode: 0o600 });
        if (failure !== undefined) writeFileSync(join(store.dir, `${id}.failed`), failure, { mode: 0o600 });

        let now = NOW;
        let fetches = 0;
        const token: RegistryToken = { username: 'AWS', secret: `token-${round}`, expiresAt: new Date(NOW + 12 * HOUR) };
        const request = getTokenThroughCache({
          store,
          locks: new FlightLocks(store.dir, silentLogger),
          key,
          id,
          fetch: async () => {
            fetches += 1;
            return token;
          },
          explain: (error) => (error instanceof Error ? error.message : String(error)),
          now: () => now,
          // The clock moves only while the request sleeps: waiting costs no real time, and its length is exact.
          sleep: async (milliseconds) => {
            now += milliseconds;
          },
          logger: silentLogger,
          limits: FLIGHT_LIMITS,
        });
        let served: Awaited<typeof request> | undefined;
        try {
          served = await request;
        } catch (error) {
          // Only a failure the record says happened since the request began, and not after now, is shared.
          const recorded = failure === undefined ? undefined : (JSON.parse(failure) as { at?: unknown; message?: unknown });
          assert.ok(error instanceof ExplainedError, String(error));
          assert.ok(typeof recorded?.at === 'number' && recorded.at >= NOW && recorded.at <= now && error.message === recorded.message, `${failure} → ${error.message}`);
          assert.equal(fetches, 0);
          outcomes.refused += 1;
          return;
        }
        outcomes.fetched += 1;
        assert.equal(fetches, 1, 'one AWS call');
        assert.equal(served.token.secret, token.secret);
        const written = parseEntry(readFileSync(store.entryPath(id), 'utf8')) as CacheEntry;
        assert.equal(written.secret, token.secret, 'the token is in the cache afterwards');
        const bound = FLIGHT_LIMITS.maxWaitMs + FLIGHT_LIMITS.lockMaxAgeMs;
        assert.ok(now - NOW <= bound, `waited ${now - NOW} ms behind ${JSON.stringify(lock)}: more than ${bound}`);
      }),
      {
        seed: TEST_SEED,
        numRuns: 25,
        // Two of the 25: a live holder (this process) and its failure, recorded since the wait began
        // (shared), and recorded an hour ahead, before the clock moved back (not this flight's: the
        // waiter fetches once the wait is over).
        examples: [
          [{ file: JSON.stringify({ pid: process.pid, host: hostname(), since: NOW, nonce: '0123456789abcdef' }) }, JSON.stringify({ at: NOW, message: 'recorded failure' })],
          [{ file: JSON.stringify({ pid: process.pid, host: hostname(), since: NOW, nonce: '0123456789abcdef' }) }, JSON.stringify({ at: NOW + HOUR, message: 'recorded failure' })],
        ],
      },
    );
    t.diagnostic(`${seedNote(25, 'the single flight behind odd lock and failure files')}: ${outcomes.fetched} fetched, ${outcomes.refused} refused with the recorded failure`);
  });
});
