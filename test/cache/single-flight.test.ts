import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FlightLocks, processIsAlive, type LockOwner } from '../../src/cache/single-flight';
import { silentLogger } from '../../src/logging/logger';

const root = mkdtempSync(join(tmpdir(), 'single-flight-'));
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function freshDir(): string {
  const dir = join(root, `d${counter++}`);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/** The pid of a process that has exited and been reaped. */
function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', '']);
  assert.equal(typeof result.pid, 'number');
  assert.equal(processIsAlive(result.pid), false, 'the pid of an exited process was reused already');
  return result.pid;
}

const ID = 'a'.repeat(40);
const NOW = 1_700_000_000_000;

function heldOwner(locks: FlightLocks, id: string): LockOwner | undefined {
  const attempt = locks.tryAcquire(id, NOW);
  assert.equal(attempt.state, 'held');
  return attempt.state === 'held' ? attempt.owner : undefined;
}

function writeOwner(path: string, owner: LockOwner): void {
  writeFileSync(path, JSON.stringify(owner), { mode: 0o600 });
}

describe('FlightLocks.tryAcquire', () => {
  it('acquires a free lock, then reports it held with its owner', () => {
    const dir = freshDir();
    const first = new FlightLocks(dir, silentLogger);
    const attempt = first.tryAcquire(ID, NOW);
    assert.equal(attempt.state, 'acquired');
    assert.equal(first.isHeld(ID), true);

    const second = new FlightLocks(dir, silentLogger);
    const owner = heldOwner(second, ID);
    assert.ok(owner !== undefined);
    assert.equal(owner.pid, process.pid);
    assert.equal(owner.host, hostname());
    assert.equal(owner.since, NOW);
    assert.match(owner.nonce, /^[0-9a-f]+$/);
    assert.deepEqual(second.readOwnerOf(ID), owner);
    // The same instance cannot take it twice either.
    assert.equal(first.tryAcquire(ID, NOW).state, 'held');
  });

  it('writes the lock file with mode 0600', () => {
    const dir = freshDir();
    new FlightLocks(dir, silentLogger).tryAcquire(ID, NOW);
    assert.equal(statSync(join(dir, `${ID}.lock`)).mode & 0o777, 0o600);
  });

  it('keeps locks for different ids apart', () => {
    const locks = new FlightLocks(freshDir(), silentLogger);
    assert.equal(locks.tryAcquire('x'.repeat(40), NOW).state, 'acquired');
    assert.equal(locks.tryAcquire('y'.repeat(40), NOW).state, 'acquired');
  });

  it('is unavailable when the directory will not take a lock file', () => {
    const locks = new FlightLocks(join(root, 'does-not-exist'), silentLogger);
    assert.equal(locks.tryAcquire(ID, NOW).state, 'unavailable');
  });

  it('can be acquired again after release', () => {
    const dir = freshDir();
    const locks = new FlightLocks(dir, silentLogger);
    const attempt = locks.tryAcquire(ID, NOW);
    assert.equal(attempt.state, 'acquired');
    if (attempt.state === 'acquired') attempt.release();
    assert.equal(locks.isHeld(ID), false);
    assert.equal(existsSync(join(dir, `${ID}.lock`)), false);
    assert.equal(locks.tryAcquire(ID, NOW).state, 'acquired');
  });
});

describe('FlightLocks release', () => {
  it('leaves a lock that another owner holds now', () => {
    const dir = freshDir();
    const locks = new FlightLocks(dir, silentLogger);
    const attempt = locks.tryAcquire(ID, NOW);
    assert.equal(attempt.state, 'acquired');
    // Our lock was broken as stale and another process took a new one.
    const path = join(dir, `${ID}.lock`);
    unlinkSync(path);
    const other: LockOwner = { pid: process.pid, host: hostname(), since: NOW + 5, nonce: 'feedfacefeedface' };
    writeOwner(path, other);
    if (attempt.state === 'acquired') attempt.release();
    assert.equal(locks.isHeld(ID), true);
    assert.deepEqual(locks.readOwnerOf(ID), other);
  });

  it('does nothing when the lock is already gone', () => {
    const dir = freshDir();
    const locks = new FlightLocks(dir, silentLogger);
    const attempt = locks.tryAcquire(ID, NOW);
    unlinkSync(join(dir, `${ID}.lock`));
    assert.doesNotThrow(() => attempt.state === 'acquired' && attempt.release());
    assert.equal(locks.isHeld(ID), false);
  });
});

describe('FlightLocks.breakStale', () => {
  it('removes the lock it judged, and leaves nothing aside', () => {
    const dir = freshDir();
    new FlightLocks(dir, silentLogger).tryAcquire(ID, NOW);
    const waiter = new FlightLocks(dir, silentLogger);
    const judged = heldOwner(waiter, ID);
    waiter.breakStale(ID, judged);
    assert.equal(waiter.isHeld(ID), false);
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(waiter.tryAcquire(ID, NOW).state, 'acquired');
  });

  it('puts back a lock that a new owner took after the judgement', () => {
    const dir = freshDir();
    const holder = new FlightLocks(dir, silentLogger);
    const firstAttempt = holder.tryAcquire(ID, NOW);
    const waiter = new FlightLocks(dir, silentLogger);
    const judged = heldOwner(waiter, ID);
    // Meanwhile the judged lock ends and a new owner takes it.
    if (firstAttempt.state === 'acquired') firstAttempt.release();
    assert.equal(holder.tryAcquire(ID, NOW + 10).state, 'acquired');
    const newOwner = waiter.readOwnerOf(ID);
    assert.ok(newOwner !== undefined && newOwner.nonce !== judged?.nonce);

    waiter.breakStale(ID, judged);
    assert.deepEqual(waiter.readOwnerOf(ID), newOwner);
    assert.deepEqual(readdirSync(dir), [`${ID}.lock`]);
  });

  it('puts back a new owner\'s lock that is still empty (created, not yet written)', () => {
    const dir = freshDir();
    const path = join(dir, `${ID}.lock`);
    const judged: LockOwner = { pid: deadPid(), host: hostname(), since: NOW, nonce: '0123456789abcdef' };
    writeOwner(path, judged);
    const waiter = new FlightLocks(dir, silentLogger);
    // The dead owner's lock was removed and a new owner has just created its lock file,
    // between its O_EXCL open and its write.
    unlinkSync(path);
    writeFileSync(path, '', { mode: 0o600 });
    waiter.breakStale(ID, judged);
    assert.equal(waiter.isHeld(ID), true, 'a lock that is not the one judged stale was removed');
  });

  it('removes a torn (empty) lock judged as having no owner', () => {
    const dir = freshDir();
    writeFileSync(join(dir, `${ID}.lock`), '', { mode: 0o600 });
    const waiter = new FlightLocks(dir, silentLogger);
    waiter.breakStale(ID, undefined);
    assert.equal(waiter.isHeld(ID), false);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('does nothing when there is no lock', () => {
    const dir = freshDir();
    const waiter = new FlightLocks(dir, silentLogger);
    assert.doesNotThrow(() => waiter.breakStale(ID, undefined));
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe('FlightLocks.isStale', () => {
  const MAX = 30_000;
  const locks = new FlightLocks(root, silentLogger);
  const alive = (since: number): LockOwner => ({ pid: process.pid, host: hostname(), since, nonce: 'n' });

  it('is false for a young lock of a live owner', () => {
    assert.equal(locks.isStale(alive(NOW), NOW + 1000, MAX, NOW), false);
    assert.equal(locks.isStale(alive(NOW), NOW + MAX, MAX, NOW), false);
  });

  it('is true for a lock older than the maximum age, even with a live owner', () => {
    assert.equal(locks.isStale(alive(NOW), NOW + MAX + 1, MAX, NOW + MAX), true);
  });

  it('is true for a lock whose owner on this host is dead', () => {
    assert.equal(locks.isStale({ ...alive(NOW), pid: deadPid() }, NOW + 1, MAX, NOW), true);
  });

  it('does not judge pids of another host', () => {
    const judge = new FlightLocks(root, silentLogger, () => false);
    assert.equal(judge.isStale({ ...alive(NOW), host: `${hostname()}-elsewhere` }, NOW + 1, MAX, NOW), false);
    assert.equal(judge.isStale(alive(NOW), NOW + 1, MAX, NOW), true);
  });

  it('uses the injected liveness check', () => {
    const calls: number[] = [];
    const judge = new FlightLocks(root, silentLogger, (pid) => {
      calls.push(pid);
      return true;
    });
    assert.equal(judge.isStale({ ...alive(NOW), pid: 424242 }, NOW + 1, MAX, NOW), false);
    assert.deepEqual(calls, [424242]);
  });

  it('judges a torn (empty) lock by how long it has been seen, stale only after the maximum age', () => {
    const dir = freshDir();
    writeFileSync(join(dir, `${ID}.lock`), '', { mode: 0o600 });
    const waiter = new FlightLocks(dir, silentLogger);
    const owner = heldOwner(waiter, ID);
    assert.equal(owner, undefined);
    assert.equal(waiter.readOwnerOf(ID), undefined);
    assert.equal(waiter.isHeld(ID), true);
    const seenAt = NOW;
    assert.equal(waiter.isStale(owner, seenAt, MAX, seenAt), false);
    assert.equal(waiter.isStale(owner, seenAt + MAX, MAX, seenAt), false);
    assert.equal(waiter.isStale(owner, seenAt + MAX + 1, MAX, seenAt), true);
  });

  it('reads a lock of unexpected JSON as having no owner', () => {
    const dir = freshDir();
    writeFileSync(join(dir, `${ID}.lock`), JSON.stringify({ pid: 'x', host: 1 }), { mode: 0o600 });
    const waiter = new FlightLocks(dir, silentLogger);
    assert.equal(waiter.readOwnerOf(ID), undefined);
    assert.equal(waiter.isHeld(ID), true);
  });
});

describe('processIsAlive', () => {
  it('is true for this process and false for an exited one', () => {
    assert.equal(processIsAlive(process.pid), true);
    assert.equal(processIsAlive(deadPid()), false);
  });
});

describe('FlightLocks failures', () => {
  it('round-trips a recorded failure, and clears it', () => {
    const dir = freshDir();
    const leader = new FlightLocks(dir, silentLogger);
    const waiter = new FlightLocks(dir, silentLogger);
    assert.equal(waiter.readFailure(ID), undefined);
    leader.recordFailure(ID, { at: NOW, message: 'AccessDeniedException: no' });
    assert.deepEqual(waiter.readFailure(ID), { at: NOW, message: 'AccessDeniedException: no' });
    assert.equal(statSync(join(dir, `${ID}.failed`)).mode & 0o777, 0o600);
    leader.recordFailure(ID, { at: NOW + 1, message: 'second' });
    assert.deepEqual(waiter.readFailure(ID), { at: NOW + 1, message: 'second' });
    leader.clearFailure(ID);
    assert.equal(waiter.readFailure(ID), undefined);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('keeps failures of different ids apart', () => {
    const locks = new FlightLocks(freshDir(), silentLogger);
    locks.recordFailure('x'.repeat(40), { at: NOW, message: 'x' });
    assert.equal(locks.readFailure('y'.repeat(40)), undefined);
  });

  it('reads a garbled failure record as none', () => {
    const dir = freshDir();
    const locks = new FlightLocks(dir, silentLogger);
    for (const text of ['', '{', '{"at":"now","message":"m"}', '{"at":1}', 'null']) {
      writeFileSync(join(dir, `${ID}.failed`), text, { mode: 0o600 });
      assert.equal(locks.readFailure(ID), undefined, text);
    }
  });

  it('records nothing, and does not throw, when the directory is gone', () => {
    const locks = new FlightLocks(join(root, 'missing-dir'), silentLogger);
    assert.doesNotThrow(() => locks.recordFailure(ID, { at: NOW, message: 'm' }));
    assert.equal(locks.readFailure(ID), undefined);
  });

  it('stores the message as it was given', () => {
    const dir = freshDir();
    const locks = new FlightLocks(dir, silentLogger);
    locks.recordFailure(ID, { at: NOW, message: 'line "quoted" \n second' });
    assert.equal(JSON.parse(readFileSync(join(dir, `${ID}.failed`), 'utf8')).message, 'line "quoted" \n second');
  });
});
