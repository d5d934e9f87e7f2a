/**
 * Run by build-standalone.ts under the very Node the executable embeds (through qemu-user for
 * another architecture): compiles an asset script as the executable will, runs it, writes V8's
 * code cache, and checks that V8 takes it back. For an asset of packages it first loads every
 * package in it, so that V8 has compiled their start-up code too; for the fast path, it runs its
 * exercise (src/cli/cache-hit.ts), so that the cache holds what a hit compiles.
 *
 * Usage: node make-code-cache.js <asset name> <script> <code cache file>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { FastPathBundle } from '../src/cli/fast-path-bundle';
import { compileAsset, FAST_PATH_ASSET, HELPER_ASSET, type DependencyTable } from '../src/standalone/embedded-dependencies';

const [asset, sourceFile, cacheFile] = process.argv.slice(2);
if (asset === undefined || sourceFile === undefined || cacheFile === undefined) {
  console.error('usage: make-code-cache <asset name> <script> <code cache file>');
  process.exit(2);
}
const source = readFileSync(sourceFile, 'utf8');
const { script, exports: loaded } = compileAsset(asset, source);
// The fast path runs what a hit with a settings file runs, on made-up input; every asset but it
// and the helper is a table of packages.
if (asset === FAST_PATH_ASSET) (loaded as FastPathBundle).exerciseForCodeCache();
else if (asset !== HELPER_ASSET) for (const load of Object.values(loaded as DependencyTable)) load();
const cache = script.createCachedData();
writeFileSync(cacheFile, cache);
if (compileAsset(asset, source, cache).cacheRejected) {
  console.error(`make-code-cache: node ${process.version} rejects the code cache it just made for ${asset}`);
  process.exit(1);
}
