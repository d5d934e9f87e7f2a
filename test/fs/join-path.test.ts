import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { joinPath } from '../../src/fs/join-path';

/** Path-like text: the characters that normalizing looks at, and a letter. */
const pathText = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom('/', '.', 'a', '~'), maxLength });

describe('joinPath', () => {
  it('gives what path.join gives, for any directory and names', () => {
    fc.assert(
      fc.property(pathText(12), pathText(8), fc.array(pathText(6), { maxLength: 3 }), (dir, name, more) => {
        assert.equal(joinPath(dir, name, ...more), join(dir, name, ...more));
      }),
      { numRuns: 5000 },
    );
  });

  it('gives what path.join gives for the paths a run builds, and for those it must normalize', () => {
    const cases: [string, string, ...string[]][] = [
      ['/home/u', '.ecr'],
      ['/home/u/', '.ecr', 'config.json'],
      ['/', 'tokens'],
      ['/home/u/.ecr/tokens', '5ac1c1824955d9380b44e086c22b5196d6fb63ba.json'],
      ['/home/u/.ecr', '.4242.b8b0b2a48919.tmp'],
      ['/home/u/../v', '.aws', 'config'],
      ['/home//u/./x', 'y'],
      ['/home/u', '../etc/passwd'],
      ['/home/u', 'a/./b'],
      ['/home/u', 'a/'],
      ['/home/u', ''],
      ['relative/dir', 'name'],
      ['', 'name'],
      ['/home/u/.', 'name'],
      ['/home/u/..', 'name'],
    ];
    for (const [dir, name, ...more] of cases) assert.equal(joinPath(dir, name, ...more), join(dir, name, ...more), JSON.stringify([dir, name, ...more]));
  });
});
