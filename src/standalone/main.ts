/**
 * The main script of the standalone executable (scripts/build-standalone.ts): what bin/ and the
 * loader do for the npm package, without the Node version check, since the executable carries
 * its own Node. It compiles the fast path (fast-path.ts, an asset) with the code cache a run
 * leaves in the user's cache directory, named apart from the npm package's so that the two never
 * replace each other's, and until there is one with the code cache made when it was built.
 */
import { runFastPathBundle } from '../cli/fast-path-bundle';
import { embeddedAsset, FAST_PATH_ASSET } from './embedded-dependencies';

/** The SHA-256 of the fast path's asset, written in by scripts/build-standalone.ts. */
declare const FAST_PATH_DIGEST: string | undefined;

void runFastPathBundle(
  FAST_PATH_ASSET,
  'standalone-fast-path',
  typeof FAST_PATH_DIGEST === 'string' ? FAST_PATH_DIGEST : undefined,
  process.argv.slice(2),
  undefined,
  embeddedAsset(FAST_PATH_ASSET),
);
