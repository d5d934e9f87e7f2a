import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { RegistryToken } from '../../src/aws/authorization-token';
import { getTokenThroughCache, joinFlight, waitedTooLong, waitWhileHeld, type FlightLimits, type FlightSlot, type ServedToken } from '../../src/cache/cached-token';
import { entryId, makeEntry, type CacheKey } from '../../src/cache/entry';
import { FlightLocks, parseStartTime, processExists, type LockHolder, type LockOwner } from '../../src/cache/single-flight';
import { TOKENS_DIR_NAME, TokenStore, openTokenStore } from '../../src/cache/token-store';
import { silentLogger } from '../../src/logging/logger';

const HOUR = 60 * 60 * 1000;
const LIFETIME = 12 * HOUR;

const root = mkdtempSync(join(tmpdir(), 'cached-token-'));
chmodSync(root, 0o700);
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function freshDir(): string {
  const dir = join(root, `d${counter++}`);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

const key: CacheKey = {
  service: 'ecr',
  registry: '111122223333.dkr.ecr.us-east-1.amazonaws.com',
  region: 'us-east-1',
  endpoint: 'standard',
  identity: '0123456789abcdef0123456789abcdef',
};
const ID = entryId(key);

function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', '']);
  assert.equal(processExists(result.pid), false, 'the pid of an exited process was reused already');
  return result.pid;
}

/** Another helper process holding the lock on ID in `dir`, until killed. */
async function lockHolderProcess(dir: string): Promise<{ kill: () => void }> {
  const script = `
    const { FlightLocks } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'cache', 'single-flight.js'))});
    const { silentLogger } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'logging', 'logger.js'))});
    const attempt = new FlightLocks(${JSON.stringify(dir)}, silentLogger).tryAcquire(${JSON.stringify(ID)}, Date.now());
    process.stdout.write(attempt.state + '\\n');
    setInterval(() => undefined, 60_000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const state = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
  assert.equal(state, 'acquired');
  return {
    // Synchronous, for onSleep: returns once the process is dead (gone, or a zombie).
    kill: () => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      while (parseStartTime(readStatOf(child.pid)) !== undefined) {
        // The kernel ends it within moments.
      }
    },
  };
}

function readStatOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return '';
  }
}

function tokenAt(time: number, secret: string): RegistryToken {
  return { username: 'AWS', secret, expiresAt: new Date(time + LIFETIME) };
}

interface Harness {
  readonly dir: string;
  readonly store: TokenStore;
  readonly locks: FlightLocks;
  /** Another process, as far as the lock files can tell. */
  readonly other: FlightLocks;
  readonly clock: { t: number };
  fetchCalls: number;
  sleeps: number;
  /** The length of every pause, in order. */
  pauses: number[];
  /** What the next fetch does: answer with a new token, or fail with this error. */
  failWith: Error | undefined;
  /** Runs after each sleep, with the number of sleeps so far. */
  onSleep: (count: number) => void;
  limits: FlightLimits;
  /** When the wait began before this request (the fast path waited first), if it did. */
  waitingSince: number | undefined;
  /** The lock this process took before this request (the fast path, through another FlightLocks), if it did. */
  held: LockOwner | undefined;
  /** What was at the lock name as each fetch began. */
  holdersAtFetch: LockHolder[];
  /** The slot as the fast path sees it (joinFlight), on the same clock. */
  slot(): FlightSlot;
  get(): Promise<ServedToken>;
}

function harness(options: { storeDir?: string; lockDir?: string; start?: number } = {}): Harness {
  const dir = freshDir();
  const storeDir = options.storeDir ?? dir;
  const lockDir = options.lockDir ?? storeDir;
  const h: Harness = {
    dir,
    store: new TokenStore(storeDir, silentLogger),
    locks: new FlightLocks(lockDir, silentLogger),
    other: new FlightLocks(lockDir, silentLogger),
    clock: { t: options.start ?? Date.now() },
    fetchCalls: 0,
    sleeps: 0,
    pauses: [],
    failWith: undefined,
    onSleep: () => undefined,
    limits: { firstPollMs: 50, maxPollMs: 400, lockMaxAgeMs: 30_000, callWaitMs: 30_000, maxWaitMs: 120_000 },
    waitingSince: undefined,
    held: undefined,
    holdersAtFetch: [],
    slot() {
      return {
        store: h.store,
        locks: h.locks,
        key,
        id: ID,
        now: () => h.clock.t,
        sleep: async (ms) => {
          h.clock.t += ms;
          h.sleeps += 1;
          h.pauses.push(ms);
          await new Promise((resolve) => setImmediate(resolve));
          h.onSleep(h.sleeps);
        },
        limits: h.limits,
      };
    },
    get() {
      return getTokenThroughCache({
        ...h.slot(),
        fetch: async (calling) => {
          calling();
          h.holdersAtFetch.push(h.locks.holderOf(ID));
          h.fetchCalls += 1;
          const calledAt = h.clock.t;
          h.clock.t += 250; // the request takes a while
          await new Promise((resolve) => setImmediate(resolve));
          if (h.failWith !== undefined) throw h.failWith;
          return tokenAt(calledAt, `secret-${h.fetchCalls}`);
        },
        explain: (e) => String((e as Error).message),
        logger: silentLogger,
        ...(h.waitingSince === undefined ? {} : { waitingSince: h.waitingSince }),
        ...(h.held === undefined ? {} : { held: h.held }),
      });
    },
  };
  return h;
}

/** Stores an entry as a previous run would have, issued at `issuedAt`. */
function seed(h: Harness, issuedAt: number, secret = 'seeded', entryKey: CacheKey = key): void {
  assert.equal(h.store.write(ID, makeEntry(entryKey, tokenAt(issuedAt, secret), issuedAt)), true);
}

function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.includes('.clearing.') || name.endsWith('.tmp'));
}

describe('getTokenThroughCache: one process', () => {
  it('fetches on a miss, stores the token, then serves it from the cache without fetching', async () => {
    const h = harness();
    const start = h.clock.t;
    const first = await h.get();
    assert.equal(first.origin, 'fetched');
    assert.equal(first.token.secret, 'secret-1');
    assert.equal(h.fetchCalls, 1);

    const stored = h.store.read(ID);
    assert.ok(stored !== undefined);
    assert.equal(stored.secret, 'secret-1');
    assert.equal(stored.issuedAt, start, 'issuedAt is taken before the request');
    assert.equal(stored.expiresAt, start + LIFETIME);
    assert.equal(statSync(h.store.entryPath(ID)).mode & 0o777, 0o600);
    assert.deepEqual(h.locks.holderOf(ID), { kind: 'none' }, 'the lock is released');

    h.clock.t += HOUR;
    const second = await h.get();
    assert.equal(second.origin, 'cache');
    assert.equal(second.token.secret, 'secret-1');
    assert.equal(second.token.expiresAt.getTime(), start + LIFETIME);
    assert.equal(h.fetchCalls, 1);
  });

  it('serves from the cache until just before half the lifetime, and fetches again from there', async () => {
    const h = harness();
    const issued = h.clock.t;
    seed(h, issued);
    h.clock.t = issued + LIFETIME / 2 - 1;
    assert.equal((await h.get()).origin, 'cache');
    assert.equal(h.fetchCalls, 0);

    h.clock.t = issued + LIFETIME / 2;
    const refreshed = await h.get();
    assert.equal(refreshed.origin, 'fetched');
    assert.equal(refreshed.token.secret, 'secret-1');
    assert.equal(h.fetchCalls, 1);
    assert.equal(h.store.read(ID)?.secret, 'secret-1', 'the new token replaced the old one');
  });

  it('fetches again when the clock reads before the entry was issued', async () => {
    const h = harness();
    seed(h, h.clock.t + HOUR);
    assert.equal((await h.get()).origin, 'fetched');
    assert.equal(h.fetchCalls, 1);
  });

  it('does not serve an entry stored under the same id for another key', async () => {
    const h = harness();
    seed(h, h.clock.t, 'foreign', { ...key, identity: 'ffffffffffffffffffffffffffffffff' });
    const served = await h.get();
    assert.equal(served.origin, 'fetched');
    assert.equal(served.token.secret, 'secret-1');
  });

  it('serves a still-valid cached token when the fetch fails, without a new fetch after', async () => {
    const h = harness();
    const issued = h.clock.t;
    seed(h, issued, 'old-but-valid');
    h.clock.t = issued + 8 * HOUR;
    h.failWith = new Error('ThrottlingException: slow down');
    const served = await h.get();
    assert.equal(served.origin, 'cache-after-failure');
    assert.equal(served.token.secret, 'old-but-valid');
    assert.equal(served.token.expiresAt.getTime(), issued + LIFETIME);
    assert.equal(h.fetchCalls, 1);
    assert.deepEqual(h.locks.holderOf(ID), { kind: 'none' });
  });

  it('rejects when the fetch fails and the cached token has expired', async () => {
    const h = harness();
    const issued = h.clock.t;
    seed(h, issued, 'expired');
    h.clock.t = issued + LIFETIME;
    const failure = new Error('AccessDeniedException: no');
    h.failWith = failure;
    await assert.rejects(h.get(), (error: unknown) => error === failure);
    assert.equal(h.fetchCalls, 1);
    assert.deepEqual(h.locks.holderOf(ID), { kind: 'none' }, 'the lock is released after a failure');
  });

  it('rejects when the fetch fails and nothing is cached, sharing the failure with waiters', async () => {
    const h = harness();
    h.failWith = new Error('ExpiredTokenException: the security token included in the request is expired');
    await assert.rejects(h.get(), /ExpiredTokenException/);
    assert.deepEqual(h.other.readFailure(ID)?.message, 'ExpiredTokenException: the security token included in the request is expired');
  });

  it('clears the shared failure once a fetch succeeds', async () => {
    const h = harness();
    h.failWith = new Error('boom');
    await assert.rejects(h.get());
    assert.notEqual(h.other.readFailure(ID), undefined);
    h.failWith = undefined;
    assert.equal((await h.get()).origin, 'fetched');
    assert.equal(h.other.readFailure(ID), undefined);
  });

  it('prunes expired entries after a fetch, but not on a cache hit', async () => {
    const h = harness();
    const otherId = 'b'.repeat(40);
    const expiredEntry = makeEntry({ ...key, registry: 'other.example' }, tokenAt(h.clock.t - 2 * LIFETIME, 'gone'), h.clock.t - 2 * LIFETIME);
    h.store.write(otherId, expiredEntry);
    seed(h, h.clock.t);
    assert.equal((await h.get()).origin, 'cache');
    assert.ok(existsSync(h.store.entryPath(otherId)), 'a cache hit touches nothing');

    h.clock.t += LIFETIME / 2;
    assert.equal((await h.get()).origin, 'fetched');
    assert.equal(existsSync(h.store.entryPath(otherId)), false);
    assert.ok(existsSync(h.store.entryPath(ID)));
  });

  it('makes one fetch for many concurrent misses in one process', async () => {
    const dir = freshDir();
    const store = new TokenStore(dir, silentLogger);
    let fetchCalls = 0;
    const request = () =>
      getTokenThroughCache({
        store,
        locks: new FlightLocks(dir, silentLogger),
        key,
        id: ID,
        fetch: async () => {
          fetchCalls += 1;
          await new Promise((resolve) => setTimeout(resolve, 20));
          return tokenAt(Date.now(), `concurrent-${fetchCalls}`);
        },
        explain: (e) => String((e as Error).message),
        now: () => Date.now(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        logger: silentLogger,
        limits: { firstPollMs: 2, maxPollMs: 20, lockMaxAgeMs: 60_000, callWaitMs: 60_000, maxWaitMs: 60_000 },
      });
    const served = await Promise.all([request(), request(), request(), request(), request()]);
    assert.equal(fetchCalls, 1);
    assert.deepEqual(served.map((s) => s.token.secret), Array(5).fill('concurrent-1'));
    assert.deepEqual(served.map((s) => s.origin).sort(), ['another-process', 'another-process', 'another-process', 'another-process', 'fetched']);
  });
});

describe('getTokenThroughCache: waiting for another process', () => {
  it('takes the token the lock holder stores, and never fetches', async () => {
    const h = harness();
    assert.equal(h.other.tryAcquire(ID, h.clock.t).state, 'acquired');
    h.onSleep = (count) => {
      if (count === 3) h.store.write(ID, makeEntry(key, tokenAt(h.clock.t, 'from-leader'), h.clock.t));
    };
    const served = await h.get();
    assert.equal(served.origin, 'another-process');
    assert.equal(served.token.secret, 'from-leader');
    assert.equal(h.fetchCalls, 0);
    assert.equal(h.sleeps, 3);
    assert.equal(h.other.holderOf(ID).kind, 'owner', 'the leader\'s lock is left to the leader');
  });

  it('rejects with the message of the failure the lock holder records', async () => {
    const h = harness();
    assert.equal(h.other.tryAcquire(ID, h.clock.t).state, 'acquired');
    h.onSleep = (count) => {
      if (count === 2) h.other.recordFailure(ID, { at: h.clock.t, message: 'AccessDeniedException: not authorized' });
    };
    await assert.rejects(h.get(), (error: unknown) => error instanceof Error && error.message === 'AccessDeniedException: not authorized');
    assert.equal(h.fetchCalls, 0);
  });

  it('falls back to a still-valid cached token when the lock holder records a failure', async () => {
    const h = harness();
    const issued = h.clock.t;
    seed(h, issued, 'still-valid');
    h.clock.t = issued + 7 * HOUR;
    assert.equal(h.other.tryAcquire(ID, h.clock.t).state, 'acquired');
    h.onSleep = (count) => {
      if (count === 1) h.other.recordFailure(ID, { at: h.clock.t, message: 'ServerException (HTTP 500)' });
    };
    const served = await h.get();
    assert.equal(served.origin, 'cache-after-failure');
    assert.equal(served.token.secret, 'still-valid');
    assert.equal(h.fetchCalls, 0);
  });

  it('ignores a failure recorded before it began waiting, and fetches once the lock is free', async () => {
    const h = harness();
    h.other.recordFailure(ID, { at: h.clock.t - 1000, message: 'an old failure' });
    const attempt = h.other.tryAcquire(ID, h.clock.t);
    assert.equal(attempt.state, 'acquired');
    h.onSleep = (count) => {
      if (count === 3 && attempt.state === 'acquired') attempt.release();
    };
    const served = await h.get();
    assert.equal(served.origin, 'fetched');
    assert.equal(h.fetchCalls, 1);
  });

  it('fetches by itself when the lock holder lets go without storing a token', async () => {
    const h = harness();
    const attempt = h.other.tryAcquire(ID, h.clock.t);
    h.onSleep = (count) => {
      if (count === 2 && attempt.state === 'acquired') attempt.release();
    };
    const served = await h.get();
    assert.equal(served.origin, 'fetched');
    assert.equal(h.fetchCalls, 1);
    assert.deepEqual(h.locks.holderOf(ID), { kind: 'none' });
  });

  it('takes over a lock whose owner is dead at once, and fetches once', async () => {
    const h = harness();
    const lockPath = join(h.dir, `${ID}.lock`);
    writeFileSync(lockPath, JSON.stringify({ pid: deadPid(), host: hostname(), since: h.clock.t, nonce: '00112233aabbccdd' }), { mode: 0o600 });
    const served = await h.get();
    assert.equal(served.origin, 'fetched');
    assert.equal(h.fetchCalls, 1);
    assert.equal(h.sleeps, 0, 'no wait for a dead holder');
    assert.equal(existsSync(lockPath), false);
    assert.deepEqual(leftovers(h.dir), []);
    assert.equal(h.store.read(ID)?.secret, 'secret-1');
  });

  it('takes over at once a lock naming a live process that did not take it (a reused pid)', async () => {
    const h = harness();
    assert.equal(h.other.tryAcquire(ID, h.clock.t).state, 'acquired');
    const lockPath = join(h.dir, `${ID}.lock`);
    const owner = JSON.parse(readFileSync(lockPath, 'utf8')) as { started: number };
    writeFileSync(lockPath, JSON.stringify({ ...owner, started: owner.started + 1 }), { mode: 0o600 });
    assert.equal((await h.get()).origin, 'fetched');
    assert.equal(h.sleeps, 0);
  });

  it('takes over at once a lock of an earlier build naming a live process with a time in the future', async () => {
    const h = harness();
    const future = h.clock.t + 24 * HOUR;
    writeFileSync(join(h.dir, `${ID}.lock`), JSON.stringify({ pid: process.pid, host: hostname(), since: future, nonce: '00112233aabbccdd' }), { mode: 0o600 });
    assert.equal((await h.get()).origin, 'fetched');
    assert.equal(h.sleeps, 0);
  });

  it('takes over at once the old lock of a holder on another host', async () => {
    const h = harness();
    writeFileSync(
      join(h.dir, `${ID}.lock`),
      JSON.stringify({ pid: process.pid, host: 'another-host', since: h.clock.t - h.limits.lockMaxAgeMs - 1, nonce: '00112233aabbccdd' }),
      { mode: 0o600 },
    );
    assert.equal((await h.get()).origin, 'fetched');
    assert.equal(h.sleeps, 0);
  });

  it('waits for a young lock of a holder on another host', async () => {
    const h = harness();
    writeFileSync(join(h.dir, `${ID}.lock`), JSON.stringify({ pid: process.pid, host: 'another-host', since: h.clock.t, nonce: '00112233aabbccdd' }), { mode: 0o600 });
    h.onSleep = (count) => {
      if (count === 2) h.store.write(ID, makeEntry(key, tokenAt(h.clock.t, 'from-afar'), h.clock.t));
    };
    assert.equal((await h.get()).token.secret, 'from-afar');
    assert.equal(h.fetchCalls, 0);
  });

  it('never takes a live holder\'s lock, however old: waits, then after maxWaitMs fetches alone, leaving the lock', async () => {
    const h = harness();
    h.limits = { ...h.limits, maxWaitMs: 3_000 };
    const start = h.clock.t;
    assert.equal(h.other.tryAcquire(ID, start - 10 * h.limits.lockMaxAgeMs).state, 'acquired');
    const holder = h.other.holderOf(ID);
    const served = await h.get();
    assert.equal(served.origin, 'fetched');
    assert.equal(h.fetchCalls, 1);
    assert.ok(h.clock.t - start >= h.limits.maxWaitMs, 'waited the whole bound');
    assert.deepEqual(h.other.holderOf(ID), holder, 'the holder keeps its lock');
    assert.equal(h.store.read(ID)?.secret, 'secret-1');
  });

  it('waits without spinning: pauses double from firstPollMs up to maxPollMs', async () => {
    const h = harness();
    h.limits = { ...h.limits, maxWaitMs: 2_000 };
    assert.equal(h.other.tryAcquire(ID, h.clock.t).state, 'acquired');
    await h.get();
    assert.deepEqual(h.pauses.slice(0, 6), [50, 100, 200, 400, 400, 400]);
    assert.ok(h.pauses.every((pause) => pause <= h.limits.maxPollMs));
  });

  it('takes over when the holder is killed while it waits, noticed at the next look', async () => {
    const h = harness();
    const holder = await lockHolderProcess(h.dir);
    try {
      h.onSleep = (count) => {
        if (count === 2) holder.kill();
      };
      const served = await h.get();
      assert.equal(served.origin, 'fetched');
      assert.equal(h.fetchCalls, 1);
      assert.equal(h.sleeps, 2);
      assert.deepEqual(h.locks.holderOf(ID), { kind: 'none' }, 'led, and released');
    } finally {
      holder.kill();
    }
  });

  for (const [label, make] of [
    ['an empty lock (torn by an earlier build)', (path: string) => writeFileSync(path, '', { mode: 0o600 })],
    ['an empty directory', (path: string) => mkdirSync(path)],
    ['a FIFO', (path: string) => assert.equal(spawnSync('mkfifo', [path]).status, 0)],
    ['a file of another user', (path: string) => {
      writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), since: Date.now(), nonce: '00112233aabbccdd' }), { mode: 0o600 });
      chownSync(path, 65534, 65534);
    }],
  ] as const) {
    it(`removes ${label} at the lock name at once, then leads`, async () => {
      const h = harness();
      make(join(h.dir, `${ID}.lock`));
      const served = await h.get();
      assert.equal(served.origin, 'fetched');
      assert.equal(h.sleeps, 0, 'no wait');
      assert.deepEqual(readdirSync(h.dir), [`${ID}.json`]);
    });
  }

  it('goes on without the lock at once when what is at the lock name cannot be removed', async () => {
    const h = harness();
    mkdirSync(join(h.dir, `${ID}.lock`));
    writeFileSync(join(h.dir, `${ID}.lock`, 'keep'), 'x');
    const served = await h.get();
    assert.equal(served.origin, 'fetched');
    assert.equal(h.sleeps, 0, 'no wait');
    assert.equal(h.store.read(ID)?.secret, 'secret-1');
    assert.equal(readFileSync(join(h.dir, `${ID}.lock`, 'keep'), 'utf8'), 'x');
  });

  it('gives up waiting after maxWaitMs and fetches by itself, leaving the holder\'s lock alone', async () => {
    const h = harness();
    h.limits = { ...h.limits, maxWaitMs: 500 };
    const start = h.clock.t;
    assert.equal(h.other.tryAcquire(ID, h.clock.t).state, 'acquired');
    const holder = h.other.holderOf(ID);
    const served = await h.get();
    assert.equal(served.origin, 'fetched');
    assert.equal(h.fetchCalls, 1);
    assert.ok(h.clock.t - start >= 500);
    assert.deepEqual(h.other.holderOf(ID), holder);
    assert.equal(h.store.read(ID)?.secret, 'secret-1');
  });
});

describe('getTokenThroughCache: how long a live leader is waited on', () => {
  const limits = { firstPollMs: 50, maxPollMs: 400, lockMaxAgeMs: 30_000, callWaitMs: 2_000, maxWaitMs: 10_000 };

  /** A live leader (this process, to the lock) that marks its AWS call `callAt` ms after the wait began, if ever. */
  async function waitOnLeader(callAt: number | undefined): Promise<{ waited: number; h: Harness }> {
    const h = harness();
    h.limits = limits;
    const start = h.clock.t;
    const leader = h.other.tryAcquire(ID, start);
    assert.equal(leader.state, 'acquired');
    let marked = false;
    const mark = (): void => {
      if (callAt === undefined || marked || h.clock.t - start < callAt || leader.state !== 'acquired') return;
      leader.markCalling(start + callAt);
      marked = true;
    };
    mark();
    h.onSleep = mark;
    const served = await h.get();
    assert.equal(served.origin, 'fetched', 'fetched by itself in the end');
    assert.equal(h.fetchCalls, 1);
    assert.equal(h.other.holderOf(ID).kind, 'owner', 'the live leader keeps its lock');
    // The fetch itself moves the clock by 250 ms.
    return { waited: h.clock.t - 250 - start, h };
  }

  it('a leader still loading what its call needs is waited on for maxWaitMs, long past callWaitMs', async () => {
    const { waited } = await waitOnLeader(undefined);
    assert.ok(waited >= limits.maxWaitMs, `${waited}`);
  });

  it('a leader that marks its call late is waited on until callWaitMs after its call began', async () => {
    const { waited } = await waitOnLeader(5_000);
    assert.ok(waited >= 5_000 + limits.callWaitMs && waited < limits.maxWaitMs, `${waited}`);
  });

  it('a leader whose call began long before the wait: the waiter still waits callWaitMs itself', async () => {
    const { waited } = await waitOnLeader(-60_000);
    assert.ok(waited >= limits.callWaitMs && waited < limits.callWaitMs + limits.maxPollMs, `${waited}`);
  });

  it('waitedTooLong: maxWaitMs in all, or callWaitMs both of waiting and since the call began', () => {
    const owner = (calling?: number): Parameters<typeof waitedTooLong>[0] => ({
      kind: 'owner',
      inode: 1,
      owner: { pid: 1, host: 'h', since: 0, nonce: '0123456789abcdef', ...(calling === undefined ? {} : { calling }) },
    });
    const cases: Array<[string, Parameters<typeof waitedTooLong>[0], number, boolean]> = [
      ['no call, within maxWaitMs', owner(), 9_999, false],
      ['no call, maxWaitMs passed', owner(), 10_000, true],
      ['a call 2 s old, waited 1.999 s', owner(-1), 1_999, false],
      ['a call 2 s old, waited 2 s', owner(0), 2_000, true],
      ['a call 1.999 s old, waited 3 s', owner(1_001), 3_000, false],
      ['a call in the future (the clock moved back), waited 9 s', owner(20_000), 9_000, false],
      ['a call in the future, maxWaitMs passed', owner(20_000), 10_000, true],
      ['not a lock being cleared, maxWaitMs passed', { kind: 'not-a-lock', what: 'a FIFO', inode: 1 }, 10_000, true],
    ];
    for (const [label, holder, now, expected] of cases) assert.equal(waitedTooLong(holder, 0, now, limits), expected, label);
  });

  it('wakes on the lock file that replaced the one it watched: the leader marks its call, then stores', async () => {
    const h = harness();
    const leader = h.other.tryAcquire(ID, h.clock.t);
    assert.equal(leader.state, 'acquired');
    if (leader.state !== 'acquired') return;
    let looks = 0;
    const locks = Object.create(h.locks, { holderOf: { value: (id: string) => ((looks += 1), h.locks.holderOf(id)) } }) as FlightLocks;
    // Only the watch can wake it: its pauses never end.
    const slot = { store: h.store, locks, key, id: ID, now: () => h.clock.t, sleep: () => new Promise<void>(() => undefined), limits: h.limits };
    const waiting = waitWhileHeld(slot, h.other.holderOf(ID), h.clock.t);
    const looksBefore = looks;
    leader.markCalling(h.clock.t);
    const bound = Date.now() + 60_000;
    while (looks === looksBefore && Date.now() < bound) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(looks > looksBefore, 'woken by the lock being replaced');
    h.store.write(ID, makeEntry(key, tokenAt(h.clock.t, 'after-the-call'), h.clock.t));
    leader.release();
    // The watch keeps no process alive: this bound does, while it waits.
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<string>((resolve) => (timer = setTimeout(resolve, 60_000, 'not woken')));
    const outcome = await Promise.race([waiting.then((waited) => (waited.kind === 'stored' ? waited.entry.secret : waited.kind)), bounded]);
    clearTimeout(timer);
    assert.equal(outcome, 'after-the-call');
  });
});

describe('getTokenThroughCache: a wait handed over by the fast path', () => {
  it('counts the bound from when the fast path began waiting: fetches alone once maxWaitMs has passed in all', async () => {
    const h = harness();
    h.limits = { ...h.limits, maxWaitMs: 3_000 };
    const start = h.clock.t;
    h.waitingSince = start - 2_900;
    assert.equal(h.other.tryAcquire(ID, start).state, 'acquired');
    const served = await h.get();
    assert.equal(served.origin, 'fetched');
    assert.equal(h.fetchCalls, 1);
    assert.deepEqual(h.pauses, [50, 100], 'waited only what was left of the bound');
    assert.equal(h.other.holderOf(ID).kind, 'owner', 'the live holder keeps its lock');
  });

  it('answers the failure its leader recorded since the wait began, though the lock is released by now, and never fetches', async () => {
    const h = harness();
    h.waitingSince = h.clock.t - 500;
    h.other.recordFailure(ID, { at: h.clock.t - 100, message: 'AccessDeniedException: not authorized' });
    await assert.rejects(h.get(), (error: unknown) => error instanceof Error && error.message === 'AccessDeniedException: not authorized');
    assert.equal(h.fetchCalls, 0);
    assert.equal(h.sleeps, 0);
  });

  it('a failure recorded before the wait began is not its answer: it leads', async () => {
    const h = harness();
    h.waitingSince = h.clock.t - 500;
    h.other.recordFailure(ID, { at: h.clock.t - 1_000, message: 'an old failure' });
    const served = await h.get();
    assert.equal(served.origin, 'fetched');
    assert.equal(h.fetchCalls, 1);
  });
});

describe('joinFlight: the fast path on a miss', () => {
  it('nobody fetching: it takes the lock and leads; the lock is the one at the name, and its release lets it go', async () => {
    const h = harness();
    const turn = await joinFlight(h.slot());
    assert.equal(turn.kind, 'lead');
    if (turn.kind !== 'lead') return;
    assert.equal(turn.held.id, ID);
    const holder = h.other.holderOf(ID);
    assert.equal(holder.kind === 'owner' && holder.owner.nonce, turn.held.owner.nonce);
    assert.equal(turn.held.owner.pid, process.pid);
    assert.equal(h.sleeps, 0);
    turn.held.release();
    assert.deepEqual(h.other.holderOf(ID), { kind: 'none' });
  });

  it('answers synchronously when it leads, and when it finds the token stored just after its read', () => {
    const h = harness();
    assert.equal((joinFlight(h.slot()) as { kind: string }).kind, 'lead');
    const g = harness();
    seed(g, g.clock.t, 'stored-meanwhile');
    const turn = joinFlight(g.slot());
    assert.ok(!(turn instanceof Promise));
    assert.equal(turn.kind === 'stored' && turn.entry.secret, 'stored-meanwhile');
    assert.deepEqual(readdirSync(g.dir), [`${ID}.json`], 'the lock it took to look is gone');
  });

  it('a live holder stores its token: it waits, and takes that', async () => {
    const h = harness();
    assert.equal(h.other.tryAcquire(ID, h.clock.t).state, 'acquired');
    h.onSleep = (count) => {
      if (count === 2) h.store.write(ID, makeEntry(key, tokenAt(h.clock.t, 'from-leader'), h.clock.t));
    };
    const turn = await joinFlight(h.slot());
    assert.equal(turn.kind === 'stored' && turn.entry.secret, 'from-leader');
    assert.equal(h.sleeps, 2);
    assert.equal(h.other.holderOf(ID).kind, 'owner', 'the leader\'s lock is left to the leader');
  });

  it('a live holder lets go without a token: it takes the lock and leads', async () => {
    const h = harness();
    const attempt = h.other.tryAcquire(ID, h.clock.t);
    h.onSleep = (count) => {
      if (count === 2 && attempt.state === 'acquired') attempt.release();
    };
    const turn = await joinFlight(h.slot());
    assert.equal(turn.kind, 'lead');
    const holder = h.other.holderOf(ID);
    assert.ok(turn.kind === 'lead' && holder.kind === 'owner' && holder.owner.nonce === turn.held.owner.nonce);
  });

  it('a live holder records its failure: it hands the full path its wait, which began before its first look', async () => {
    const h = harness();
    const start = h.clock.t;
    assert.equal(h.other.tryAcquire(ID, start).state, 'acquired');
    h.onSleep = (count) => {
      if (count === 1) h.other.recordFailure(ID, { at: h.clock.t, message: 'AccessDeniedException: not authorized' });
    };
    assert.deepEqual(await joinFlight(h.slot()), { kind: 'declined', waitingSince: start });
  });

  it('a dead holder: it leaves the clearing to the full path, at once, without a wait', async () => {
    const h = harness();
    const lockPath = join(h.dir, `${ID}.lock`);
    const dead = JSON.stringify({ pid: deadPid(), host: hostname(), since: h.clock.t, nonce: '00112233aabbccdd' });
    writeFileSync(lockPath, dead, { mode: 0o600 });
    assert.deepEqual(await joinFlight(h.slot()), { kind: 'declined' });
    assert.equal(readFileSync(lockPath, 'utf8'), dead);
    assert.equal(h.sleeps, 0);
  });

  it('a lock seen torn for a moment (released between the look at its name and the read): it looks again, and leads', async () => {
    const h = harness();
    let looks = 0;
    const locks = new (class extends FlightLocks {
      override holderOf(id: string): LockHolder {
        looks += 1;
        return looks === 1 ? { kind: 'not-a-lock', what: 'a file of 180 bytes', inode: 42 } : super.holderOf(id);
      }
    })(h.dir, silentLogger);
    const turn = await joinFlight({ ...h.slot(), locks });
    assert.equal(turn.kind, 'lead');
    assert.equal(h.sleeps, 0);
  });

  it('a directory that takes no lock: it declines at once', async () => {
    const h = harness({ lockDir: join(root, 'never-made') });
    assert.deepEqual(await joinFlight(h.slot()), { kind: 'declined' });
    assert.equal(h.sleeps, 0);
  });
});

describe('getTokenThroughCache: a lock taken by the fast path', () => {
  it('leads with it: one fetch, under that very lock, marked as calling, and let go after', async () => {
    const h = harness();
    const taken = h.other.tryAcquire(ID, h.clock.t);
    assert.equal(taken.state, 'acquired');
    if (taken.state !== 'acquired') return;
    h.held = taken.owner;
    const served = await h.get();
    assert.equal(served.origin, 'fetched');
    assert.equal(h.fetchCalls, 1);
    assert.equal(h.sleeps, 0, 'never waits on its own lock');
    const [atFetch] = h.holdersAtFetch;
    assert.ok(atFetch?.kind === 'owner' && atFetch.owner.nonce === taken.owner.nonce && atFetch.owner.calling !== undefined, JSON.stringify(atFetch));
    assert.deepEqual(h.locks.holderOf(ID), { kind: 'none' });
  });

  it('a lock that is no longer its own at the name: it takes the lock anew, or waits on the live one there', async () => {
    const h = harness();
    const gone = h.other.tryAcquire(ID, h.clock.t);
    assert.equal(gone.state, 'acquired');
    if (gone.state !== 'acquired') return;
    gone.release();
    h.held = gone.owner;
    assert.equal((await h.get()).origin, 'fetched');
    const [atFetch] = h.holdersAtFetch;
    assert.ok(atFetch?.kind === 'owner' && atFetch.owner.nonce !== gone.owner.nonce);

    const w = harness();
    const lost = w.other.tryAcquire(ID, w.clock.t);
    if (lost.state === 'acquired') lost.release();
    assert.equal(w.other.tryAcquire(ID, w.clock.t).state, 'acquired');
    w.held = lost.state === 'acquired' ? lost.owner : undefined;
    w.onSleep = (count) => {
      if (count === 1) w.store.write(ID, makeEntry(key, tokenAt(w.clock.t, 'from-leader'), w.clock.t));
    };
    const served = await w.get();
    assert.equal(served.origin, 'another-process');
    assert.equal(w.fetchCalls, 0);
    assert.equal(w.other.holderOf(ID).kind, 'owner', 'the live holder keeps its lock');
  });
});

describe('getTokenThroughCache: a cache that cannot be used', () => {
  it('returns the fetched token when the store directory does not exist', async () => {
    const missing = join(root, 'missing', TOKENS_DIR_NAME);
    const h = harness({ storeDir: missing });
    const first = await h.get();
    assert.equal(first.origin, 'fetched');
    assert.equal(first.token.secret, 'secret-1');
    const second = await h.get();
    assert.equal(second.origin, 'fetched');
    assert.equal(h.fetchCalls, 2);
    assert.equal(existsSync(missing), false);
  });

  it('returns the fetched token when only the store cannot be written', async () => {
    const h = harness({ storeDir: join(root, 'missing-too'), lockDir: freshDir() });
    const served = await h.get();
    assert.equal(served.origin, 'fetched');
    assert.equal(served.token.secret, 'secret-1');
    assert.deepEqual(h.locks.holderOf(ID), { kind: 'none' });
  });

  it('still rejects with the fetch error when the store does not exist', async () => {
    const h = harness({ storeDir: join(root, 'missing-three') });
    h.failWith = new Error('no credentials');
    await assert.rejects(h.get(), /no credentials/);
  });
});

describe('TokenStore', () => {
  const storeAt = (): TokenStore => new TokenStore(freshDir(), silentLogger);
  const now = Date.now();
  const entry = (registry: string, issuedAt: number) => makeEntry({ ...key, registry }, tokenAt(issuedAt, `s-${registry}`), issuedAt);

  it('reads back what it wrote, in a 0600 file, leaving no temp file', () => {
    const store = storeAt();
    const written = entry('a.example', now);
    assert.equal(store.write(ID, written), true);
    assert.deepEqual(store.read(ID), written);
    assert.equal(statSync(store.entryPath(ID)).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(store.dir), [`${ID}.json`]);
  });

  it('replaces an entry on a second write', () => {
    const store = storeAt();
    store.write(ID, entry('a.example', now));
    const second = entry('b.example', now + 1);
    store.write(ID, second);
    assert.deepEqual(store.read(ID), second);
    assert.deepEqual(readdirSync(store.dir), [`${ID}.json`]);
  });

  it('reads a missing or unreadable entry as undefined', () => {
    const store = storeAt();
    assert.equal(store.read(ID), undefined);
    writeFileSync(store.entryPath(ID), '{"format":', { mode: 0o600 });
    assert.equal(store.read(ID), undefined);
  });

  it('does not follow a symbolic link at the entry path', () => {
    const store = storeAt();
    const elsewhere = join(freshDir(), 'planted.json');
    writeFileSync(elsewhere, JSON.stringify(entry('planted.example', now)), { mode: 0o600 });
    symlinkSync(elsewhere, store.entryPath(ID));
    assert.equal(store.read(ID), undefined);
    assert.deepEqual(store.entries(), []);
  });

  it('does not read a directory at the entry path', () => {
    const store = storeAt();
    mkdirSync(store.entryPath(ID));
    assert.equal(store.read(ID), undefined);
  });

  it('reports false, without throwing, when the directory is gone', () => {
    const store = new TokenStore(join(root, 'never-made'), silentLogger);
    assert.equal(store.write(ID, entry('a.example', now)), false);
    assert.equal(store.read(ID), undefined);
    assert.deepEqual(store.entries(), []);
    assert.doesNotThrow(() => store.prune(now));
  });

  it('lists only its own entries, ignoring temp, hidden and foreign files', () => {
    const store = storeAt();
    const one = entry('one.example', now);
    const two = entry('two.example', now);
    store.write('1'.repeat(40), one);
    store.write('2'.repeat(40), two);
    const valid = JSON.stringify(entry('stray.example', now));
    writeFileSync(join(store.dir, `.${process.pid}.abcdef012345.tmp`), valid, { mode: 0o600 });
    writeFileSync(join(store.dir, '.hidden.json'), valid, { mode: 0o600 });
    writeFileSync(join(store.dir, 'notes.txt'), valid, { mode: 0o600 });
    writeFileSync(join(store.dir, 'foreign.json'), '{"not": "ours"}', { mode: 0o600 });
    writeFileSync(join(store.dir, 'cache.json'), 'garbage', { mode: 0o600 });
    writeFileSync(join(store.dir, `${'3'.repeat(40)}.lock`), '', { mode: 0o600 });
    const listed = store.entries().map((e) => e.registry).sort();
    assert.deepEqual(listed, ['one.example', 'two.example']);
  });

  it('prunes expired entries and abandoned files, keeping fresh ones and a just-written temp file', () => {
    const store = storeAt();
    const dir = store.dir;
    const old = new Date(now - 5 * 60_000);
    const names = {
      fresh: `${'1'.repeat(40)}.json`,
      expired: `${'2'.repeat(40)}.json`,
      oldTemp: '.111.aaaaaaaaaaaa.tmp',
      newTemp: '.222.bbbbbbbbbbbb.tmp',
      oldGarbage: `${'3'.repeat(40)}.json`,
      newGarbage: `${'4'.repeat(40)}.json`,
      oldFailed: `${'5'.repeat(40)}.failed`,
      newFailed: `${'6'.repeat(40)}.failed`,
      oldStale: `${'7'.repeat(40)}.lock.stale.123.abcd1234`,
      oldClearing: `${'9'.repeat(40)}.lock.clearing.0011223344556677`,
      newClearing: `${'a'.repeat(40)}.lock.clearing.8899aabbccddeeff`,
      lock: `${'8'.repeat(40)}.lock`,
      other: 'README',
    };
    store.write('1'.repeat(40), entry('fresh.example', now));
    store.write('2'.repeat(40), entry('expired.example', now - LIFETIME - 1));
    for (const name of [names.oldTemp, names.newTemp, names.oldGarbage, names.newGarbage, names.oldStale, names.oldClearing, names.newClearing, names.lock, names.other]) {
      writeFileSync(join(dir, name), 'x', { mode: 0o600 });
    }
    writeFileSync(join(dir, names.oldFailed), '{"at":1,"message":"m"}', { mode: 0o600 });
    writeFileSync(join(dir, names.newFailed), '{"at":1,"message":"m"}', { mode: 0o600 });
    for (const name of [names.oldTemp, names.oldGarbage, names.oldFailed, names.oldStale, names.oldClearing, names.lock, names.other]) {
      utimesSync(join(dir, name), old, old);
    }
    store.prune(now);
    assert.deepEqual(readdirSync(dir).sort(), [names.fresh, names.newTemp, names.newGarbage, names.newFailed, names.newClearing, names.lock, names.other].sort());
  });

  it('prunes an entry at its expiry instant, and keeps it just before', () => {
    const store = storeAt();
    const issued = now - LIFETIME;
    store.write(ID, entry('edge.example', issued));
    store.prune(issued + LIFETIME - 1);
    assert.notEqual(store.read(ID), undefined);
    store.prune(issued + LIFETIME);
    assert.equal(store.read(ID), undefined);
  });
});

describe('openTokenStore', () => {
  it('creates <cache dir>/tokens with mode 0700 and opens a store there', () => {
    const cacheDir = join(freshDir(), 'cache');
    const opening = openTokenStore(cacheDir, silentLogger);
    assert.ok(opening.store !== undefined);
    assert.equal(opening.store.dir, join(cacheDir, TOKENS_DIR_NAME));
    assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
    assert.equal(statSync(opening.store.dir).mode & 0o777, 0o700);
  });

  it('refuses a cache dir that is a symbolic link, saying so', () => {
    const target = freshDir();
    const link = join(freshDir(), 'link');
    symlinkSync(target, link);
    const opening = openTokenStore(link, silentLogger);
    assert.equal(opening.store, undefined);
    assert.match(opening.store === undefined ? opening.reason : '', /symbolic link/);
    assert.equal(existsSync(join(target, TOKENS_DIR_NAME)), false);
  });

  it('refuses a group-writable cache dir, saying so, and leaves its mode alone', () => {
    const cacheDir = freshDir();
    chmodSync(cacheDir, 0o770);
    const opening = openTokenStore(cacheDir, silentLogger);
    assert.equal(opening.store, undefined);
    assert.match(opening.store === undefined ? opening.reason : '', /writable by group/);
    assert.equal(statSync(cacheDir).mode & 0o777, 0o770);
  });

  it('refuses a tokens dir that is a symbolic link', () => {
    const cacheDir = freshDir();
    symlinkSync(freshDir(), join(cacheDir, TOKENS_DIR_NAME));
    const opening = openTokenStore(cacheDir, silentLogger);
    assert.equal(opening.store, undefined);
    assert.match(opening.store === undefined ? opening.reason : '', /symbolic link/);
  });

  it('refuses a cache dir that cannot be created', () => {
    const file = join(freshDir(), 'file');
    writeFileSync(file, '');
    const opening = openTokenStore(join(file, 'cache'), silentLogger);
    assert.equal(opening.store, undefined);
    assert.match(opening.store === undefined ? opening.reason : '', /cannot create/);
  });
});

describe('getTokenThroughCache: when the cache will ask AWS again', () => {
  it('says so with every token it serves: half the life after issue, from the store, after a fetch or after a failure', async () => {
    const h = harness();
    const issued = h.clock.t;
    const fetched = await h.get();
    assert.equal(fetched.origin, 'fetched');
    assert.equal(fetched.freshUntil?.getTime(), issued + LIFETIME / 2);

    h.clock.t = issued + 2 * HOUR;
    const hit = await h.get();
    assert.equal(hit.origin, 'cache');
    assert.equal(hit.freshUntil?.getTime(), issued + LIFETIME / 2);

    h.clock.t = issued + 7 * HOUR;
    h.failWith = new Error('ThrottlingException: Rate exceeded');
    const stale = await h.get();
    assert.equal(stale.origin, 'cache-after-failure');
    assert.equal(stale.freshUntil?.getTime(), issued + LIFETIME / 2, 'already past: the cache asks AWS on the next call');
  });
});
