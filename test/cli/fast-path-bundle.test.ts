/**
 * The two fast path bundles, the npm package's (src/cli/entry.ts) and the standalone
 * executable's (src/standalone/fast-path.ts), are both started by runFastPathBundle
 * (src/cli/fast-path-bundle.ts), which finds their exports by name at run time: the compiler
 * checks their shapes here, and the test that each is there.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import * as npmFastPath from '../../src/cli/entry';
import type { FastPathBundle } from '../../src/cli/fast-path-bundle';
import * as standaloneFastPath from '../../src/standalone/fast-path';

it('both fast path bundles export what runFastPathBundle calls', () => {
  const bundles: ReadonlyArray<[string, FastPathBundle]> = [
    ['npm package', npmFastPath],
    ['standalone executable', standaloneFastPath],
  ];
  for (const [name, bundle] of bundles) {
    for (const member of ['main', 'exerciseForCodeCache', 'saveCodeCache'] as const) assert.equal(typeof bundle[member], 'function', `${name}: ${member}`);
  }
});
