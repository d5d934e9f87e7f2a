/**
 * What bin/ loads (dist/bin/docker-credential-ecr-login.js): it compiles the fast path (entry.ts,
 * bundled next to it as docker-credential-ecr-login-fast.js) with V8's code cache, and runs it.
 *
 * Why: parsing and compiling the fast path was most of what a cache hit adds to Node's own start
 * (about 20 M of 28 M instructions on Node 20, measured with callgrind); with the code cache it
 * is read, not compiled. Node's own compile cache (Node 22+) caches a module as it is first
 * compiled, before the functions a run calls are: it saved a hit next to nothing. So the cache is
 * made here, after a run the fast path answered, when it holds every function a hit compiled.
 *
 * The cache is a file in the cache directory's fast-path-cache/ (src/config/settings.ts), read
 * only when that directory and its parent are the user's alone (the code in it runs as the
 * user), made only where the cache directory already is, named for the Node version and the fast path's own digest (written in at build
 * time, scripts/bundle.js), so that no build ever runs another build's code. V8 refuses a cache
 * made by another V8 or with other flags; then the fast path is compiled as without one, and the
 * cache made again. It holds compiled code, no secret.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { cacheDirectory, FAST_PATH_CACHE_DIR_NAME, homeDirectory } from '../config/settings';
import { checkPrivateDirs, readPrivateBytes } from '../fs/private-dir';
import { codeCacheFileName } from './code-cache-name';
import type * as FastPath from './entry';

/** The SHA-256 of the fast path's bundle, written in by scripts/bundle.js. */
declare const FAST_PATH_DIGEST: string | undefined;

const FAST_PATH_FILE = 'docker-credential-ecr-login-fast.js';

/** `invokedAs` is the base name the executable was called by. */
function main(argv: readonly string[], invokedAs?: string): Promise<void> {
  const file = join(__dirname, FAST_PATH_FILE);
  const dirs = codeCacheDirs();
  const cacheFile = dirs === undefined || typeof FAST_PATH_DIGEST !== 'string' ? undefined : join(dirs[1], codeCacheFileName(FAST_PATH_DIGEST));
  const cachedData = cacheFile === undefined || dirs === undefined || !checkPrivateDirs(dirs).trusted ? undefined : readPrivateBytes(cacheFile, MAX_CODE_CACHE_BYTES);
  // On one line, as Node wraps a module, so that a stack's positions are the bundle's own.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${readFileSync(file, 'utf8')}\n})`, {
    filename: file,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const fastPath = { exports: {} as typeof FastPath };
  (script.runInThisContext() as (...args: unknown[]) => void)(fastPath.exports, require, fastPath, file, __dirname);
  const remake = cacheFile !== undefined && dirs !== undefined && (cachedData === undefined || script.cachedDataRejected === true);
  const saveCodeCache = (): void => {
    if (cacheFile === undefined || dirs === undefined) return;
    fastPath.exports.exerciseForCodeCache();
    fastPath.exports.saveCodeCache(dirs, cacheFile, script.createCachedData());
  };
  return fastPath.exports.main(argv, invokedAs, remake ? saveCodeCache : undefined);
}

/** The cache directory and its fast-path-cache/, where there is a cache directory. */
function codeCacheDirs(): readonly [string, string] | undefined {
  const cacheDir = cacheDirectory(process.env, homeDirectory(process.env, () => undefined));
  return cacheDir === undefined ? undefined : [cacheDir, join(cacheDir, FAST_PATH_CACHE_DIR_NAME)];
}

/** Far more than the fast path's cache (about 100 KB): anything larger is not one. */
const MAX_CODE_CACHE_BYTES = 8 * 1024 * 1024;

// `export =`, not `export`: bundled without esbuild's ES module interop, which every run would compile.
export = { main };
