/**
 * What bin/ loads (dist/bin/docker-credential-ecr-login.js): it compiles the fast path (entry.ts,
 * bundled next to it as docker-credential-ecr-login-fast.js) with V8's code cache
 * (fast-path-bundle.ts), and runs it.
 *
 * Why: parsing and compiling the fast path was most of what a cache hit adds to Node's own start
 * (about 20 M of 28 M instructions on Node 20, measured with callgrind); with the code cache it
 * is read, not compiled.
 */
import { joinPath } from '../fs/join-path';
import { runFastPathBundle } from './fast-path-bundle';

/** The SHA-256 of the fast path's bundle, written in by scripts/bundle.js. */
declare const FAST_PATH_DIGEST: string | undefined;

const FAST_PATH_FILE = 'docker-credential-ecr-login-fast.js';

/** `invokedAs` is the base name the executable was called by. */
function main(argv: readonly string[], invokedAs?: string): Promise<void> {
  return runFastPathBundle(joinPath(__dirname, FAST_PATH_FILE), 'fast-path', typeof FAST_PATH_DIGEST === 'string' ? FAST_PATH_DIGEST : undefined, argv, invokedAs);
}

// `export =`, not `export`: bundled without esbuild's ES module interop, which every run would compile.
export = { main };
