/**
 * What the fast path requires when it declines (dist/bin/docker-credential-ecr-login-full-loader.js,
 * scripts/bundle.js): the full command line, compiled with its V8 code cache (code-cache-load.ts).
 * A few KB in a file of its own, so that the fast path, which every cache hit runs, carries none
 * of this code.
 */
import { loadCachedBundle } from './code-cache-load';
import type { FullCommandLine } from './launch';

/** The SHA-256 of the full command line's bundle, written in by scripts/bundle.js. */
declare const FULL_DIGEST: string | undefined;

export = loadCachedBundle<FullCommandLine>('docker-credential-ecr-login-full.js', 'full', typeof FULL_DIGEST === 'string' ? FULL_DIGEST : undefined);
