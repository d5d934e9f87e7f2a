import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { descendantsOf, parentPidFromStat, stopDescendants } from '../../src/aws/child-processes';

describe('parentPidFromStat', () => {
  it('reads the parent pid after the command name, whatever the name holds', () => {
    assert.equal(parentPidFromStat('4242 (sh) S 4200 4242 4200 0 -1 4194560 97 0 0 0'), 4200);
    assert.equal(parentPidFromStat('4243 (a) b (c) R 17 4243 17 0'), 17);
    assert.equal(parentPidFromStat('4244 (with space) S 1 4244 1'), 1);
  });

  it('gives nothing for text that is not a stat line', () => {
    assert.equal(parentPidFromStat(''), undefined);
    assert.equal(parentPidFromStat('garbage'), undefined);
    assert.equal(parentPidFromStat('1 (init) S 0 1 1'), undefined);
  });
});

describe('descendantsOf', () => {
  const table = new Map([
    [10, 1],
    [11, 10],
    [12, 11],
    [13, 10],
    [20, 1],
    [21, 20],
  ]);

  it('finds children and their children, parents first, and nothing outside the tree', () => {
    assert.deepEqual(descendantsOf(10, table), [11, 13, 12]);
    assert.deepEqual(descendantsOf(20, table), [21]);
    assert.deepEqual(descendantsOf(12, table), []);
  });

  it('ends on a table with a loop in it', () => {
    assert.deepEqual(descendantsOf(30, new Map([[31, 30], [30, 31]])), [31]);
  });
});

describe('stopDescendants', () => {
  it('stops what it finds, then looks again for what was forked meanwhile, until nothing is new', () => {
    const table = new Map([[11, 10]]);
    const stopped: number[] = [];
    const found = stopDescendants(
      10,
      () => new Map(table),
      (pid) => {
        stopped.push(pid);
        // A child forked just before its parent was stopped appears on the next scan.
        if (pid === 11) table.set(12, 11);
      },
    );
    assert.deepEqual(found, [11, 12]);
    assert.deepEqual(stopped, [11, 12]);
  });
});
