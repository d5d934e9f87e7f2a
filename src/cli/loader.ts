/**
 * What bin/ loads (dist/bin/docker-credential-ecr-login.js): it compiles the fast path (entry.ts,
 * bundled next to it as docker-credential-ecr-login-fast.js) with V8's code cache
 * (code-cache-script.ts), and runs it.
 *
 * Why: parsing and compiling the fast path was most of what a cache hit adds to Node's own start
 * (about 20 M of 28 M instructions on Node 20, measured with callgrind); with the code cache it
 * is read, not compiled. The cache is made after a run the fast path answered, with what a hit
 * with a settings file runs exercised (cache-hit.ts), so that it holds that code compiled too.
 */
import { join } from 'node:path';
import { runCachedBundle } from './code-cache-script';
import type * as FastPath from './entry';

/** The SHA-256 of the fast path's bundle, written in by scripts/bundle.js. */
declare const FAST_PATH_DIGEST: string | undefined;

const FAST_PATH_FILE = 'docker-credential-ecr-login-fast.js';

/** `invokedAs` is the base name the executable was called by. */
function main(argv: readonly string[], invokedAs?: string): Promise<void> {
  const fastPath = runCachedBundle<typeof FastPath>(join(__dirname, FAST_PATH_FILE), 'fast-path', typeof FAST_PATH_DIGEST === 'string' ? FAST_PATH_DIGEST : undefined);
  const { exports, remakeAt } = fastPath;
  const saveCodeCache =
    remakeAt === undefined
      ? undefined
      : (): void => {
          exports.exerciseForCodeCache();
          exports.saveCodeCache(remakeAt.dirs, remakeAt.file, fastPath.script.createCachedData());
        };
  return exports.main(argv, invokedAs, saveCodeCache);
}

// `export =`, not `export`: bundled without esbuild's ES module interop, which every run would compile.
export = { main };
