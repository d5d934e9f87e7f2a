/**
 * runCachedBundle (src/cli/code-cache-script.ts) with a bundle the standalone executable embeds:
 * its build-time code cache, made as scripts/make-code-cache.ts makes it (compileAsset), is
 * taken by V8 until the user's cache exists, and the user's is taken over it once it does.
 * Both compile through one module wrapper; were they to differ, V8 would refuse the cache.
 *
 * Each compile runs in a process of its own: within one, V8 finds a script it compiled before in
 * its own compilation cache and never looks at the code cache it is given.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';

const SOURCE = 'let calls = 0;\nexports.count = function count() { calls += 1; return calls; };\n';
const DIGEST = 'ab'.repeat(32);
const EMBEDDED_MODULE = require.resolve('../../src/standalone/embedded-dependencies');
const SCRIPT_MODULE = require.resolve('../../src/cli/code-cache-script');

let dir: string;
let cacheDir: string;
let embeddedCache: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'code-cache-script-'));
  cacheDir = join(dir, 'cache');
  mkdirSync(cacheDir, { mode: 0o700 });
  embeddedCache = join(dir, 'asset.cache');
  // As make-code-cache does: compiled, run, then its cache taken.
  node(`
    const { compileAsset } = require(${JSON.stringify(EMBEDDED_MODULE)});
    const { script, exports } = compileAsset('asset.js', ${JSON.stringify(SOURCE)});
    exports.count();
    require('node:fs').writeFileSync(${JSON.stringify(embeddedCache)}, script.createCachedData());
  `);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function node(script: string): string {
  return execFileSync(process.execPath, ['-e', script], { env: { PATH: '/usr/bin:/bin', HOME: dir, AWS_ECR_CACHE_DIR: cacheDir }, encoding: 'utf8' });
}

interface Run {
  readonly rejected: boolean;
  readonly count: number;
  readonly remakeAt?: { readonly file: string };
  readonly embeddedAskedFor: boolean;
}

/** runCachedBundle in a process of its own, with the embedded bundle; `saveAs` writes the cache it made where it was asked to. */
function run(saveAs?: 'made' | 'garbage'): Run {
  const out = node(`
    const { runCachedBundle } = require(${JSON.stringify(SCRIPT_MODULE)});
    let embeddedAskedFor = false;
    const ran = runCachedBundle('asset.js', 'embedded-test', ${JSON.stringify(DIGEST)}, {
      source: () => ${JSON.stringify(SOURCE)},
      codeCache: () => { embeddedAskedFor = true; return require('node:fs').readFileSync(${JSON.stringify(embeddedCache)}); },
    });
    const count = ran.exports.count();
    ${saveAs === undefined ? '' : `if (ran.remakeAt) { require('node:fs').mkdirSync(ran.remakeAt.dirs[1], { mode: 0o700, recursive: true }); require('node:fs').writeFileSync(ran.remakeAt.file, ${saveAs === 'made' ? 'ran.script.createCachedData()' : "'not a code cache'"}, { mode: 0o600 }); }`}
    process.stdout.write(JSON.stringify({ rejected: ran.script.cachedDataRejected === true, count, remakeAt: ran.remakeAt, embeddedAskedFor }));
  `);
  return JSON.parse(out) as Run;
}

describe('runCachedBundle with an embedded bundle', () => {
  it("takes the build-time code cache while the user has none, and asks for the user's to be made", () => {
    const first = run();
    assert.deepEqual([first.rejected, first.embeddedAskedFor, first.count], [false, true, 1], 'V8 took the cache compileAsset made');
    assert.match(first.remakeAt?.file ?? '', /\/cache\/fast-path-cache\/embedded-test\.v[\d.]+\.\w+\.abababababababab\.cache$/);
  });

  it("takes the user's cache over the build-time one once there is one, and leaves it", () => {
    run('made');
    const second = run();
    assert.deepEqual([second.rejected, second.embeddedAskedFor, second.count], [false, false, 1], "the user's cache, read and taken");
    assert.equal(second.remakeAt, undefined);
  });

  it("remakes a user's cache V8 refuses, without the build-time one", () => {
    run('garbage');
    const again = run();
    assert.deepEqual([again.rejected, again.embeddedAskedFor, again.count], [true, false, 1]);
    assert.ok(again.remakeAt !== undefined);
  });

  /** runCachedBundle, then another process of the same burst finishing first and making the cache: cacheMadeMeanwhile before and after. */
  const madeMeanwhile = (): { before: boolean; after: boolean } =>
    JSON.parse(
      node(`
        const { cacheMadeMeanwhile, runCachedBundle } = require(${JSON.stringify(SCRIPT_MODULE)});
        const fs = require('node:fs');
        const ran = runCachedBundle('asset.js', 'embedded-test', ${JSON.stringify(DIGEST)}, {
          source: () => ${JSON.stringify(SOURCE)},
          codeCache: () => fs.readFileSync(${JSON.stringify(embeddedCache)}),
        });
        const before = cacheMadeMeanwhile(ran);
        // Another process of the same burst finishes first and makes it.
        fs.mkdirSync(ran.remakeAt.dirs[1], { mode: 0o700, recursive: true });
        fs.writeFileSync(ran.remakeAt.file + '.other', ran.script.createCachedData(), { mode: 0o600 });
        fs.renameSync(ran.remakeAt.file + '.other', ran.remakeAt.file);
        process.stdout.write(JSON.stringify({ before, after: cacheMadeMeanwhile(ran) }));
      `),
    ) as { before: boolean; after: boolean };

  it('is not made again once another process has made it since this one looked', () => {
    assert.deepEqual(madeMeanwhile(), { before: false, after: true });
  });

  it('is made again, whatever is there by then, when V8 refused the one this run read', () => {
    run('garbage');
    assert.deepEqual(madeMeanwhile(), { before: false, after: false });
  });

  it('a build-time cache V8 refuses is compiled from source, the same module', () => {
    writeFileSync(embeddedCache, 'not a code cache');
    const refused = run();
    assert.deepEqual([refused.rejected, refused.embeddedAskedFor, refused.count], [true, true, 1]);
    assert.ok(refused.remakeAt !== undefined);
  });
});
