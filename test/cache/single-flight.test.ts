import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  FlightLocks,
  parseOwner,
  parseStartTime,
  processExists,
  sameHolder,
  type LockHolder,
  type LockOwner,
  type ProcessTable,
} from '../../src/cache/single-flight';
import { silentLogger } from '../../src/logging/logger';
import { runCommand } from '../support/helper-process';

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
  assert.equal(processExists(result.pid), false, 'the pid of an exited process was reused already');
  return result.pid;
}

const ID = 'a'.repeat(40);
const NOW = 1_700_000_000_000;
const MAX_AGE = 30_000;
const OWN_START = parseStartTime(readFileSync('/proc/self/stat', 'latin1'));

function heldBy(locks: FlightLocks, id: string): LockHolder {
  const attempt = locks.tryAcquire(id, NOW);
  assert.equal(attempt.state, 'held');
  return attempt.state === 'held' ? attempt.holder : { kind: 'none' };
}

function ownerOf(holder: LockHolder): LockOwner {
  assert.equal(holder.kind, 'owner');
  return (holder as { owner: LockOwner }).owner;
}

/** A lock on ID in `dir` as this process takes them, with `overrides` (a dead pid, another host…). */
function plantLock(dir: string, overrides: Partial<LockOwner> = {}): LockOwner {
  const probe = freshDir();
  new FlightLocks(probe, silentLogger).tryAcquire(ID, NOW);
  const owner = { ...ownerOf(new FlightLocks(probe, silentLogger).holderOf(ID)), ...overrides };
  writeFileSync(join(dir, `${ID}.lock`), JSON.stringify(owner), { mode: 0o600 });
  return owner;
}

/** The inode matters only to a waiter's watch. */
const lockHolder = (owner: LockOwner): LockHolder => ({ kind: 'owner', owner, inode: 0 });

describe('FlightLocks.tryAcquire', () => {
  it('acquires a free lock, then reports it held by its owner: pid, host, pid space, start time, time, nonce', () => {
    const dir = freshDir();
    const first = new FlightLocks(dir, silentLogger);
    assert.equal(first.tryAcquire(ID, NOW).state, 'acquired');
    const owner = ownerOf(heldBy(new FlightLocks(dir, silentLogger), ID));
    assert.equal(owner.pid, process.pid);
    assert.equal(owner.host, hostname());
    assert.match(owner.pidSpace ?? '', /^[0-9a-f-]{36} pid:\[\d+\]$/);
    assert.equal(owner.started, OWN_START);
    assert.equal(owner.since, NOW);
    assert.match(owner.nonce, /^[0-9a-f]{16}$/);
    // The same instance cannot take it twice either.
    assert.equal(first.tryAcquire(ID, NOW).state, 'held');
  });

  it('creates the lock whole, mode 0600, and leaves no temp file', () => {
    const dir = freshDir();
    new FlightLocks(dir, silentLogger).tryAcquire(ID, NOW);
    assert.deepEqual(readdirSync(dir), [`${ID}.lock`]);
    assert.equal(statSync(join(dir, `${ID}.lock`)).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, `${ID}.lock`)).nlink, 1);
    assert.ok(parseOwner(readFileSync(join(dir, `${ID}.lock`), 'utf8')));
  });

  it('keeps locks for different ids apart', () => {
    const locks = new FlightLocks(freshDir(), silentLogger);
    assert.equal(locks.tryAcquire('x'.repeat(40), NOW).state, 'acquired');
    assert.equal(locks.tryAcquire('y'.repeat(40), NOW).state, 'acquired');
  });

  it('is unavailable, leaving nothing, when the directory will not take a lock file', () => {
    const locks = new FlightLocks(join(root, 'does-not-exist'), silentLogger);
    assert.equal(locks.tryAcquire(ID, NOW).state, 'unavailable');
  });

  it('can be acquired again after release', () => {
    const dir = freshDir();
    const locks = new FlightLocks(dir, silentLogger);
    const attempt = locks.tryAcquire(ID, NOW);
    assert.equal(attempt.state, 'acquired');
    if (attempt.state === 'acquired') attempt.release();
    assert.deepEqual(locks.holderOf(ID), { kind: 'none' });
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(locks.tryAcquire(ID, NOW).state, 'acquired');
  });

  it('reports what is at the lock name when it is not a lock', () => {
    const dir = freshDir();
    mkdirSync(join(dir, `${ID}.lock`));
    const holder = heldBy(new FlightLocks(dir, silentLogger), ID);
    assert.equal(holder.kind, 'not-a-lock');
    assert.equal(holder.kind === 'not-a-lock' && holder.what, 'a directory');
  });
});

describe('FlightLocks release', () => {
  it('leaves a lock that another owner holds now', () => {
    const dir = freshDir();
    const locks = new FlightLocks(dir, silentLogger);
    const attempt = locks.tryAcquire(ID, NOW);
    assert.equal(attempt.state, 'acquired');
    unlinkSync(join(dir, `${ID}.lock`));
    const other = plantLock(dir, { nonce: 'feedfacefeedface' });
    if (attempt.state === 'acquired') attempt.release();
    assert.deepEqual(ownerOf(locks.holderOf(ID)), other);
  });

  it('does nothing when the lock is already gone', () => {
    const dir = freshDir();
    const locks = new FlightLocks(dir, silentLogger);
    const attempt = locks.tryAcquire(ID, NOW);
    unlinkSync(join(dir, `${ID}.lock`));
    assert.doesNotThrow(() => attempt.state === 'acquired' && attempt.release());
    assert.deepEqual(locks.holderOf(ID), { kind: 'none' });
  });
});

describe('FlightLocks markCalling', () => {
  it('replaces the lock whole with one that says when the call began: the same owner, another inode', () => {
    const dir = freshDir();
    const locks = new FlightLocks(dir, silentLogger);
    const attempt = locks.tryAcquire(ID, NOW);
    assert.equal(attempt.state, 'acquired');
    const before = locks.holderOf(ID);
    if (attempt.state === 'acquired') attempt.markCalling(NOW + 7_000);
    const after = locks.holderOf(ID);
    assert.deepEqual(ownerOf(after), { ...ownerOf(before), calling: NOW + 7_000 });
    assert.ok(sameHolder(after, before), 'the same holder to waiters');
    assert.notEqual(after.kind === 'owner' && after.inode, before.kind === 'owner' && before.inode);
    assert.equal(statSync(join(dir, `${ID}.lock`)).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), [`${ID}.lock`], 'no temp file left');
    if (attempt.state === 'acquired') attempt.release();
    assert.deepEqual(readdirSync(dir), [], 'released as before');
  });

  it('leaves alone a lock that is no longer ours, and a lock name that is empty', () => {
    const dir = freshDir();
    const locks = new FlightLocks(dir, silentLogger);
    const attempt = locks.tryAcquire(ID, NOW);
    assert.equal(attempt.state, 'acquired');
    unlinkSync(join(dir, `${ID}.lock`));
    if (attempt.state === 'acquired') attempt.markCalling(NOW);
    assert.deepEqual(readdirSync(dir), [], 'nothing put back at an empty name');
    const other = plantLock(dir, { nonce: 'feedfacefeedface' });
    if (attempt.state === 'acquired') attempt.markCalling(NOW);
    assert.deepEqual(ownerOf(locks.holderOf(ID)), other);
    assert.deepEqual(readdirSync(dir), [`${ID}.lock`]);
  });

  it('reads a lock whose call time is not a finite number as not a lock', () => {
    const owner = { pid: 42, host: 'h', since: NOW, nonce: '0123456789abcdef' };
    assert.equal(parseOwner(JSON.stringify({ ...owner, calling: NOW }))?.calling, NOW);
    // 1e400 parses to Infinity.
    for (const calling of ['"soon"', 'null', '1e400', '{}']) assert.equal(parseOwner(`${JSON.stringify(owner).slice(0, -1)},"calling":${calling}}`), undefined, calling);
  });
});

describe('FlightLocks.isLive', () => {
  const locks = new FlightLocks(root, silentLogger);
  /** A lock this live process took. */
  const self = (): LockOwner => plantLock(freshDir());

  it('a live holder on this host is live however old its lock, or however far ahead its time', () => {
    const owner = self();
    assert.equal(locks.isLive(lockHolder(owner), NOW + 1000, MAX_AGE), true);
    assert.equal(locks.isLive(lockHolder(owner), NOW + 24 * 3600_000, MAX_AGE), true, 'a day old');
    assert.equal(locks.isLive(lockHolder(owner), NOW - 24 * 3600_000, MAX_AGE), true, 'a day ahead');
  });

  it('a holder whose process has exited is dead at once, however young its lock', () => {
    assert.equal(locks.isLive(lockHolder({ ...self(), pid: deadPid() }), NOW, MAX_AGE), false);
  });

  it('a reused pid is not the holder: a live process with another start time is dead to the lock', () => {
    const owner = self();
    assert.equal(locks.isLive(lockHolder({ ...owner, started: (owner.started ?? 0) + 1 }), NOW, MAX_AGE), false);
    // pid 1 lives, but did not take this lock.
    assert.equal(locks.isLive(lockHolder({ ...owner, pid: 1 }), NOW, MAX_AGE), false);
  });

  it('a holder of another pid space (another boot, another pid namespace) is judged by age', () => {
    const owner = { ...self(), pidSpace: 'another-boot pid:[1]', pid: deadPid() };
    assert.equal(locks.isLive(lockHolder(owner), NOW + MAX_AGE, MAX_AGE), true);
    assert.equal(locks.isLive(lockHolder(owner), NOW + MAX_AGE + 1, MAX_AGE), false);
  });

  it('a holder on another host is judged by age alone: dead once older than the limit, or dated beyond it', () => {
    const owner = { ...self(), host: `${hostname()}-elsewhere`, pid: deadPid() };
    assert.equal(locks.isLive(lockHolder(owner), NOW + MAX_AGE, MAX_AGE), true);
    assert.equal(locks.isLive(lockHolder(owner), NOW + MAX_AGE + 1, MAX_AGE), false);
    assert.equal(locks.isLive(lockHolder(owner), NOW - MAX_AGE - 1, MAX_AGE), false, 'dated ahead');
  });

  it('a lock with no start time (no /proc, an earlier build): its pid must exist and its time be near now', () => {
    const { pidSpace: _space, started: _started, ...bare } = self();
    assert.equal(locks.isLive(lockHolder(bare), NOW + 1000, MAX_AGE), true);
    assert.equal(locks.isLive(lockHolder({ ...bare, pid: deadPid() }), NOW + 1000, MAX_AGE), false);
    assert.equal(locks.isLive(lockHolder(bare), NOW + MAX_AGE + 1, MAX_AGE), false, 'a live process, an old lock');
    assert.equal(locks.isLive(lockHolder(bare), NOW - 24 * 3600_000, MAX_AGE), false, 'a live process, a time a day ahead');
  });

  it('what is not a lock, or nothing, is never live', () => {
    assert.equal(locks.isLive({ kind: 'not-a-lock', what: 'a directory', inode: 1 }, NOW, MAX_AGE), false);
    assert.equal(locks.isLive({ kind: 'none' }, NOW, MAX_AGE), false);
  });

  it('asks the injected process table', () => {
    const asked: number[] = [];
    const table: ProcessTable = {
      host: 'h',
      pidSpace: 's',
      startTimeOf: (pid) => {
        asked.push(pid);
        return pid === 42 ? 7 : undefined;
      },
      exists: () => false,
    };
    const judge = new FlightLocks(root, silentLogger, table);
    const owner: LockOwner = { pid: 42, host: 'h', pidSpace: 's', started: 7, since: NOW, nonce: '0123456789abcdef' };
    assert.equal(judge.isLive(lockHolder(owner), NOW, MAX_AGE), true);
    assert.equal(judge.isLive(lockHolder({ ...owner, pid: 43 }), NOW, MAX_AGE), false);
    assert.deepEqual(asked, [42, 43]);
  });
});

describe('FlightLocks.clear', () => {
  it('removes a dead lock it judged, leaving nothing behind, and the lock can be taken', () => {
    const dir = freshDir();
    plantLock(dir, { pid: deadPid() });
    const waiter = new FlightLocks(dir, silentLogger);
    const judged = heldBy(waiter, ID);
    assert.equal(waiter.isLive(judged, NOW, MAX_AGE), false);
    assert.equal(waiter.clear(ID, judged, NOW, MAX_AGE), 'cleared');
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(waiter.tryAcquire(ID, NOW).state, 'acquired');
  });

  it('leaves the new lock of a waiter that cleared the judged one first', () => {
    const dir = freshDir();
    plantLock(dir, { pid: deadPid() });
    const early = new FlightLocks(dir, silentLogger);
    const late = new FlightLocks(dir, silentLogger);
    const judgedByBoth = heldBy(late, ID);
    assert.equal(early.clear(ID, heldBy(early, ID), NOW, MAX_AGE), 'cleared');
    assert.equal(early.tryAcquire(ID, NOW).state, 'acquired');
    const newLock = early.holderOf(ID);
    assert.equal(late.clear(ID, judgedByBoth, NOW, MAX_AGE), 'changed');
    assert.ok(sameHolder(late.holderOf(ID), newLock), 'the new lock stands');
    assert.deepEqual(readdirSync(dir), [`${ID}.lock`]);
  });

  it('is busy, touching nothing, while another live waiter is clearing the same lock', () => {
    const dir = freshDir();
    const dead = plantLock(dir, { pid: deadPid() });
    // The marker another waiter (this live process) holds while it clears.
    const markerDir = freshDir();
    new FlightLocks(markerDir, silentLogger).tryAcquire(ID, NOW);
    writeFileSync(join(dir, `${ID}.lock.clearing.${dead.nonce}`), readFileSync(join(markerDir, `${ID}.lock`)), { mode: 0o600 });
    const waiter = new FlightLocks(dir, silentLogger);
    assert.equal(waiter.clear(ID, heldBy(waiter, ID), NOW, MAX_AGE), 'busy');
    assert.deepEqual(readdirSync(dir).sort(), [`${ID}.lock`, `${ID}.lock.clearing.${dead.nonce}`]);
  });

  it('clears the marker of a waiter that died while clearing, then the lock', () => {
    const dir = freshDir();
    const dead = plantLock(dir, { pid: deadPid() });
    const marker = join(dir, `${ID}.lock.clearing.${dead.nonce}`);
    writeFileSync(marker, JSON.stringify({ ...dead, pid: deadPid(), nonce: '1111222233334444' }), { mode: 0o600 });
    const waiter = new FlightLocks(dir, silentLogger);
    const judged = heldBy(waiter, ID);
    assert.equal(waiter.clear(ID, judged, NOW, MAX_AGE), 'changed', 'the dead marker is removed; look again');
    assert.equal(existsSync(marker), false);
    assert.equal(waiter.clear(ID, heldBy(waiter, ID), NOW, MAX_AGE), 'cleared');
    assert.deepEqual(readdirSync(dir), []);
  });

  it('never reads a nonce as a path: a lock naming `../` in its nonce is not a lock', () => {
    const owner = { pid: 1, host: 'h', since: NOW, nonce: '../../../etc/x' };
    assert.equal(parseOwner(JSON.stringify(owner)), undefined);
    assert.ok(parseOwner(JSON.stringify({ ...owner, nonce: '0123456789abcdef' })));
    for (const bad of [{ ...owner, pid: 0 }, { ...owner, pid: -1 }, { ...owner, pid: 1.5 }, { ...owner, since: 'now' }, { ...owner, started: -3 }, { ...owner, pidSpace: 3 }, null, [], 'x']) {
      assert.equal(parseOwner(JSON.stringify(bad)), undefined, JSON.stringify(bad));
    }
  });

  describe('what is not a lock is removed at once when it safely can be', () => {
    const cases: Array<[string, (path: string) => void]> = [
      ['an empty directory', (path) => mkdirSync(path)],
      ['a FIFO', (path) => assert.equal(spawnSync('mkfifo', [path]).status, 0)],
      ['an empty file (a torn lock of an earlier build)', (path) => writeFileSync(path, '', { mode: 0o600 })],
      ['garbage', (path) => writeFileSync(path, '\u0000{not json', { mode: 0o600 })],
      ['a lock of unexpected JSON', (path) => writeFileSync(path, JSON.stringify({ pid: 'x', host: 1 }), { mode: 0o600 })],
      ['a file owned by another user', (path) => {
        writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), since: NOW, nonce: '0123456789abcdef' }), { mode: 0o600 });
        chownSync(path, 65534, 65534);
      }],
      ['a dangling symbolic link', (path) => symlinkSync(join(root, 'nowhere'), path)],
    ];
    for (const [label, make] of cases) {
      it(label, () => {
        const dir = freshDir();
        make(join(dir, `${ID}.lock`));
        const waiter = new FlightLocks(dir, silentLogger);
        const judged = heldBy(waiter, ID);
        assert.equal(judged.kind, 'not-a-lock');
        assert.equal(waiter.isLive(judged, NOW, MAX_AGE), false);
        assert.equal(waiter.clear(ID, judged, NOW, MAX_AGE), 'cleared');
        assert.deepEqual(readdirSync(dir), []);
        assert.equal(waiter.tryAcquire(ID, NOW).state, 'acquired');
      });
    }

    it('a symbolic link to a file: the link goes, the file stays', () => {
      const dir = freshDir();
      const victim = join(root, `victim-${counter++}`);
      writeFileSync(victim, 'keep me');
      symlinkSync(victim, join(dir, `${ID}.lock`));
      const waiter = new FlightLocks(dir, silentLogger);
      assert.equal(waiter.clear(ID, heldBy(waiter, ID), NOW, MAX_AGE), 'cleared');
      assert.equal(readFileSync(victim, 'utf8'), 'keep me');
    });

    it('a directory with something in it is left alone: impossible, and the helper goes on without the lock', () => {
      const dir = freshDir();
      mkdirSync(join(dir, `${ID}.lock`));
      writeFileSync(join(dir, `${ID}.lock`, 'keep'), 'x');
      const waiter = new FlightLocks(dir, silentLogger);
      assert.equal(waiter.clear(ID, heldBy(waiter, ID), NOW, MAX_AGE), 'impossible');
      assert.equal(readFileSync(join(dir, `${ID}.lock`, 'keep'), 'utf8'), 'x');
      assert.deepEqual(readdirSync(dir), [`${ID}.lock`], 'no marker left');
    });
  });
});

describe('FlightLocks.watchLock', () => {
  /** 'woken', or after a generous bound 'never woken' (the watch alone keeps no process alive). */
  async function within(promise: Promise<void>): Promise<string> {
    const controller = new AbortController();
    const bound = sleep(20_000, 'never woken', { signal: controller.signal }).catch(() => 'bound lifted');
    const outcome = await Promise.race([promise.then(() => 'woken'), bound]);
    controller.abort();
    return outcome;
  }

  it('wakes when the lock file changes, and keeps a change that came while nobody waited', async () => {
    const dir = freshDir();
    const locks = new FlightLocks(dir, silentLogger);
    locks.tryAcquire(ID, NOW);
    const path = join(dir, `${ID}.lock`);
    const watch = locks.watchLock(ID);
    const touch = (): void => utimesSync(path, new Date(), new Date());
    try {
      const first = watch.next();
      touch();
      assert.equal(await within(first), 'woken');
      touch();
      await sleep(100);
      assert.equal(await within(watch.next()), 'woken', 'the change made between two waits');
    } finally {
      watch.close();
    }
  });

  it('wakes when the lock is released', async () => {
    const dir = freshDir();
    const locks = new FlightLocks(dir, silentLogger);
    const attempt = locks.tryAcquire(ID, NOW);
    const watch = locks.watchLock(ID);
    try {
      const woken = within(watch.next());
      if (attempt.state === 'acquired') attempt.release();
      assert.equal(await woken, 'woken');
    } finally {
      watch.close();
    }
  });

  it('a lock that is already gone gives a watch that never wakes, and can be closed', () => {
    const watch = new FlightLocks(freshDir(), silentLogger).watchLock(ID);
    let woken = false;
    void watch.next().then(() => (woken = true));
    watch.close();
    assert.equal(woken, false);
  });
});

describe('parseStartTime', () => {
  const line = (name: string, state: string, start: string): string =>
    `4242 (${name}) ${state} 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 ${start} 1234567 890 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0`;

  it('reads field 22, counting after the command name even when the name holds spaces and parentheses', () => {
    assert.equal(parseStartTime(line('node', 'S', '987654')), 987654);
    assert.equal(parseStartTime(line('a b) (c', 'R', '13')), 13);
  });

  it('is undefined for a zombie (dead, not yet reaped) and for a line that does not parse', () => {
    assert.equal(parseStartTime(line('node', 'Z', '987654')), undefined);
    assert.equal(parseStartTime(line('node', 'X', '987654')), undefined);
    assert.equal(parseStartTime('garbage'), undefined);
    assert.equal(parseStartTime('1 (x) S 1 2'), undefined);
    assert.equal(parseStartTime(line('node', 'S', '-5')), undefined);
  });

  it('reads this process: a number that stays the same', () => {
    assert.equal(typeof OWN_START, 'number');
    assert.equal(parseStartTime(readFileSync(`/proc/${process.pid}/stat`, 'latin1')), OWN_START);
  });

  it('a child started later has a start time no earlier than ours', async () => {
    const child = await runCommand(process.execPath, ['-e', 'process.stdout.write(require("fs").readFileSync("/proc/self/stat", "latin1"))'], { env: {} });
    assert.ok((parseStartTime(child.stdout) ?? -1) >= (OWN_START ?? Infinity));
  });
});

describe('processExists', () => {
  it('is true for this process and false for an exited one', () => {
    assert.equal(processExists(process.pid), true);
    assert.equal(processExists(deadPid()), false);
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
