/**
 * The cross-process single flight end to end (docs/SPEC.md section 4): real bin/ processes in
 * parallel, the real SDK, the ECR emulator counting calls, and a machine whose cores are kept
 * busy by busy-looping processes, as on a node pulling many images at once. Every assertion is
 * about counts and answers, never about how long anything took.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertNoFlightLeftovers, assertServed, burst, burstGet, cacheWorld, countingFullPathLoads, get, HOST, runOnFullDisk, secretOf, tokensDir } from '../support/cache-world';
import { startCpuLoad, type CpuLoad } from '../support/cpu-load';
import { parseOwner } from '../../src/cache/single-flight';
import { HELPER_BIN, type Env } from '../support/helper-process';

const KEY_ID = 'AKIDFLIGHTTESTS';
const world = cacheWorld({ [KEY_ID]: 'flight-tests-secret-access-key' }, KEY_ID);
const freshEnv = (): Env => world.freshEnv();

const logOf = (env: Env): string => {
  const dir = join(env.HOME ?? '', '.ecr', 'log');
  return existsSync(dir) ? readdirSync(dir).map((name) => readFileSync(join(dir, name), 'utf8')).join('') : '';
};

describe('a burst on a busy machine', () => {
  let load: CpuLoad;
  before(() => {
    load = startCpuLoad(2);
  });
  after(() => load.stop());

  it('32 parallel gets for one registry on a cold cache: exactly 1 call, 32 correct answers, 1 process loading the full command line', async () => {
    const { env, fullPathLoads } = countingFullPathLoads(freshEnv());
    const results = await burst(32, () => burstGet(env));
    const seen = JSON.stringify(world.emulator.calls.map((call) => [call.attempt ?? 1, call.status]));
    assert.equal(world.emulator.calls.length, 1, `[attempt, status]: ${seen}; exits: ${results.map((result) => result.code).join('')}`);
    const password = world.emulator.issued[0]?.password;
    for (const result of results) {
      assertServed(result);
      assert.equal(secretOf(result), password);
    }
    // The first to miss takes the lock in the fast path: the others wait there, whenever they missed.
    assert.equal(fullPathLoads(), 1);
    assertNoFlightLeftovers(env);
  });
});

describe('a leader that dies or fails', () => {
  it('a leader marks in its lock when its AWS call began, after taking the lock and before ECR hears from it', async (t) => {
    const env = freshEnv();
    world.emulator.inject({ kind: 'hang', times: 1 });
    const leader = spawn(HELPER_BIN, ['get'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
    t.after(() => leader.kill('SIGKILL'));
    leader.stdin.end(HOST);
    while (world.emulator.calls.length === 0) await sleep(20);
    const heard = Date.now();
    const locks = readdirSync(tokensDir(env)).filter((name) => name.endsWith('.lock'));
    assert.equal(locks.length, 1);
    const owner = parseOwner(readFileSync(join(tokensDir(env), locks[0] ?? ''), 'utf8'));
    assert.equal(owner?.pid, leader.pid);
    assert.ok(owner?.calling !== undefined && owner.since <= owner.calling && owner.calling <= heard, JSON.stringify(owner));
  });

  it('a leader killed with SIGKILL while holding the flight: exactly one of the waiters takes over, for all', async () => {
    const env = freshEnv();
    world.emulator.inject({ kind: 'hang', times: 1 });
    const leader = spawn(HELPER_BIN, ['get'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
    leader.stdin.end(HOST);
    while (world.emulator.calls.length === 0) await sleep(20);
    const waiters = burst(12, () => burstGet(env));
    // Most waiters find the lock held by the live leader by then; one that starts later finds
    // it dead: either way they take over by the same rule.
    await sleep(300);
    leader.kill('SIGKILL');
    const results = await waiters;
    for (const result of results) assertServed(result);
    assert.equal(world.emulator.calls.length, 2, 'the hung leader, then one taker-over for all twelve');
    assert.equal(new Set(results.map(secretOf)).size, 1);
    assertNoFlightLeftovers(env);
  });

  it('a leader that fails shares its failure: an outage costs one flight, not one per waiter', async () => {
    const env = freshEnv();
    // The leader's first two attempts hang until their request timeout (5 s each), so that the
    // seven others, started once it has called, are all waiting on it however slowly they
    // start; its third attempt is refused.
    world.emulator.inject({ kind: 'hang', times: 2 });
    world.emulator.inject({ kind: 'access-denied' });
    const leader = burstGet(env);
    while (world.emulator.calls.length === 0) await sleep(20);
    const others = burst(7, () => burstGet(env));
    const results = [await leader, ...(await others)];
    for (const result of results) {
      assert.equal(result.code, 1);
      assert.match(result.stdout, /^cannot get an ECR token for \S+: AccessDeniedException: /);
    }
    assert.equal(world.emulator.calls.length, 3, 'the two hung attempts and the refused third, for all eight');
  });
});

describe('what is at the lock name never costs a miss its time', () => {
  /** The lock name of HOST's entry for this env: learnt from a first get, whose entry is then removed. */
  async function lockNameOf(env: Env): Promise<string> {
    assertServed(await get(env));
    const [entry] = readdirSync(tokensDir(env)).filter((name) => name.endsWith('.json'));
    assert.ok(entry);
    rmSync(join(tokensDir(env), entry));
    world.emulator.reset();
    return join(tokensDir(env), entry.replace(/\.json$/, '.lock'));
  }

  /** A miss with `make` at the lock name: one call, the answer, and no wait on what was there. */
  async function missWith(make: (lockPath: string) => void): Promise<{ env: Env; lockPath: string }> {
    const env = freshEnv();
    const lockPath = await lockNameOf(env);
    make(lockPath);
    assertServed(await get(env));
    assert.equal(world.emulator.calls.length, 1);
    assert.doesNotMatch(logOf(env), /gave up waiting|keeps changing hands/);
    return { env, lockPath };
  }

  for (const [label, make] of [
    ['an empty directory', (path: string) => mkdirSync(path)],
    ['a FIFO', (path: string) => assert.equal(spawnSync('mkfifo', [path]).status, 0)],
    ['a file owned by another user', (path: string) => {
      writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), since: Date.now(), nonce: '0123456789abcdef' }), { mode: 0o600 });
      chownSync(path, 65534, 65534);
    }],
    ['an empty lock, torn by an earlier build', (path: string) => writeFileSync(path, '', { mode: 0o600 })],
    ['the lock of a live process that did not take it, dated a day ahead', (path: string) => {
      writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), since: Date.now() + 86_400_000, nonce: '0123456789abcdef' }), { mode: 0o600 });
    }],
  ] as const) {
    it(`${label}: removed at once, and the miss leads`, async () => {
      const { env, lockPath } = await missWith(make);
      assert.equal(existsSync(lockPath), false, 'removed');
      assert.match(logOf(env), /removed a token-cache lock that nobody will release/);
      assertNoFlightLeftovers(env);
      assert.equal((await get(env)).code, 0);
      assert.equal(world.emulator.calls.length, 1, 'cached: the next get is a hit');
    });
  }

  it('a directory with files in it: left alone, and the miss goes on without the lock at once', async () => {
    const { env, lockPath } = await missWith((path) => {
      mkdirSync(path);
      writeFileSync(join(path, 'keep'), 'x');
    });
    assert.equal(readFileSync(join(lockPath, 'keep'), 'utf8'), 'x');
    assert.match(logOf(env), /going on without the lock/);
  });

  it('a full disk: the leader leaves no lock behind, and the next miss does not wait on one', async (t) => {
    const env = freshEnv();
    const result = await runOnFullDisk(t, env, [
      `"$1" get <<EOF\n${HOST}\nEOF`,
      'echo "after full: $(ls -A "$CACHE/tokens" | tr \'\\n\' \' \')"',
      'rm "$CACHE/fill"',
      `"$1" get <<EOF\n${HOST}\nEOF`,
      'echo "after space: $(ls -A "$CACHE/tokens" | tr \'\\n\' \' \')"',
      'cat "$CACHE"/log/* 2>/dev/null || true',
    ]);
    if (result === undefined) return;
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const lines = result.stdout.split('\n');
    assert.deepEqual(lines.filter((line) => line.startsWith('{"ServerURL"')).map((line) => (JSON.parse(line) as { ServerURL: string }).ServerURL), [HOST, HOST]);
    assert.match(lines.find((line) => line.startsWith('after full:')) ?? '', /^after full: *$/, 'nothing left in the tokens directory, no empty lock');
    assert.match(lines.find((line) => line.startsWith('after space:')) ?? '', /^after space: ecr_[0-9a-z.-]+_endpoint-[0-9a-f]{32}_[0-9a-f]{32}\.json *$/);
    assert.doesNotMatch(result.stdout, /gave up waiting|nobody will release/);
    assert.equal(world.emulator.calls.length, 2, 'the write failed the first time: two misses, two calls');
  });
});
