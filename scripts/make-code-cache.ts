/**
 * Run by build-standalone.ts under the very Node the executable embeds (through qemu-user for
 * another architecture): compiles the dependencies script as the executable will, loads every
 * package in it so that V8 has compiled their start-up code too, writes V8's code cache, and
 * checks that V8 takes it back.
 *
 * Usage: node make-code-cache.js <dependencies.js> <code cache file>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { compileDependencies } from '../src/standalone/embedded-dependencies';

const [sourceFile, cacheFile] = process.argv.slice(2);
if (sourceFile === undefined || cacheFile === undefined) {
  console.error('usage: make-code-cache <dependencies.js> <code cache file>');
  process.exit(2);
}
const source = readFileSync(sourceFile, 'utf8');
const { script, table } = compileDependencies(source);
for (const load of Object.values(table)) load();
const cache = script.createCachedData();
writeFileSync(cacheFile, cache);
if (compileDependencies(source, cache).cacheRejected) {
  console.error(`make-code-cache: node ${process.version} rejects the code cache it just made`);
  process.exit(1);
}
