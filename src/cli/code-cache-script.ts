/**
 * Runs one of our bundles compiled with V8's code cache: the fast path (fast-path-bundle.ts, on
 * every run, from the npm package's file or the standalone executable's asset) and the npm
 * package's dependencies and full command line (code-cache-load.ts, on a miss).
 *
 * Why: parsing and compiling a bundle costs more than running what a call needs of it (the fast
 * path was about 20 M of the 28 M instructions a hit added to Node's own start; the AWS SDK most
 * of a miss's). With the code cache it is read, not compiled. Node's own compile cache (Node
 * 22+) caches a module as it is first compiled, before the functions a run calls are: it saved a
 * hit next to nothing. So the cache is made here, after a run that used the bundle, when it
 * holds every function that run compiled (code-cache.ts writes it).
 *
 * The cache is a file in the cache directory's fast-path-cache/ (src/config/settings.ts), read
 * only when that directory and its parent are the user's alone (the code in it runs as the
 * user), made only where the cache directory already is, named for the bundle, the Node version
 * and the bundle's own digest (written in at build time, scripts/bundle.js), so that no build
 * ever runs another build's code. V8 refuses a cache made by another V8 or with other flags; then
 * the bundle is compiled as without one, and the cache made again. It holds compiled code, no
 * secret.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { cacheDirectory, FAST_PATH_CACHE_DIR_NAME, homeDirectory } from '../config/settings';
import { joinPath } from '../fs/join-path';
import { isPrivateDir, readPrivateBytes } from '../fs/private-dir';
import { codeCacheFileName } from './code-cache-name';
import { moduleWrapper } from './module-wrapper';

/** Where a run leaves a code cache: the cache directory and its fast-path-cache/, and the file. */
export interface CodeCacheTarget {
  readonly dirs: readonly [string, string];
  readonly file: string;
}

export interface CachedBundle<Exports> {
  readonly exports: Exports;
  readonly script: Script;
  /** Where to write the code cache once the run is over: V8 had none to read, or refused it. */
  readonly remakeAt?: CodeCacheTarget;
}

/** A bundle the standalone executable embeds: its script, and the code cache made when it was built. */
export interface EmbeddedBundle {
  readonly source: () => string;
  readonly codeCache: () => Buffer;
}

/**
 * Runs `file` as a CommonJS module that may require what its own directory's modules may.
 * `bundle` names its cache; `digest` is the bundle's SHA-256, without which it gets none.
 * `embedded`: the script is not a file but the executable's asset, with a code cache of its
 * own, used until a run has made the user's.
 */
export function runCachedBundle<Exports>(file: string, bundle: string, digest: string | undefined, embedded?: EmbeddedBundle): CachedBundle<Exports> {
  // As few functions as will do: the npm package's loader runs this compiled from source (loader.ts).
  const cacheDir = cacheDirectory(process.env, homeDirectory(process.env, () => undefined));
  const dirs = cacheDir === undefined ? undefined : ([cacheDir, joinPath(cacheDir, FAST_PATH_CACHE_DIR_NAME)] as const);
  const target = dirs === undefined || digest === undefined ? undefined : { dirs, file: joinPath(dirs[1], codeCacheFileName(bundle, digest)) };
  const usersCache = target === undefined || !isPrivateDir(target.dirs[0]) || !isPrivateDir(target.dirs[1]) ? undefined : readPrivateBytes(target.file, MAX_CODE_CACHE_BYTES);
  const cachedData = usersCache ?? embedded?.codeCache();
  const script = new Script(moduleWrapper(embedded === undefined ? readFileSync(file, 'utf8') : embedded.source()), {
    filename: file,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const module = { exports: {} as Exports };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, file, dirname(file));
  // The embedded cache was made on made-up input alone: the user's, made after a real run, holds more.
  const remake = target !== undefined && (usersCache === undefined || script.cachedDataRejected === true);
  return { exports: module.exports, script, ...(remake ? { remakeAt: target } : {}) };
}

/**
 * Whether another process has made the cache this run was to make, since it looked: in a burst
 * on a fresh cache every process starts without one, and the first to finish makes it; the
 * others need not run the exercise, serialize and write it again. A cache V8 refused, or anything
 * but a file at its name, is still replaced.
 */
export function cacheMadeMeanwhile(loaded: CachedBundle<unknown>): boolean {
  return loaded.remakeAt !== undefined && loaded.script.cachedDataRejected !== true && lstatSync(loaded.remakeAt.file, { throwIfNoEntry: false })?.isFile() === true;
}

/** Far more than any of our caches (the fast path's about 100 KB, the dependencies' a few MB): anything larger is not one. */
const MAX_CODE_CACHE_BYTES = 32 * 1024 * 1024;
