/**
 * The assets of the standalone executable, each a script with V8's code cache made when it was
 * built, compiled and run on the first call that needs it (the fast path, `fast-path.js`, is an
 * asset too, compiled by main.ts with the code cache a run leaves in the user's cache directory,
 * and with its embedded one until then):
 *
 * - the full command line (`helper.js`: src/cli/main.ts and every verb), when the fast path of
 *   the main script declines;
 * - the packages, when a call needs one: `dependencies.js` (the AWS SDK, commander) and
 *   `logging.js` (pino), as the npm package groups them (scripts/bundle.js).
 *
 * The main script (main.ts) only compiles the fast path, another asset, so that a cache hit starts
 * as fast as Node itself (putting the 1.7 MB of packages in the main script cost 1.4–1.9× a bare
 * Node start; issue 10).
 *
 * The build (scripts/build-standalone.ts) rewrites each `require('<package>')` of the helper to
 * `embeddedDependency('<package>', '<group>')`, and makes the code caches with `compileAsset`, so
 * that V8 accepts them here.
 */
import { Script } from 'node:vm';
import type { EmbeddedBundle } from '../cli/code-cache-script';
import type { FullCommandLine } from '../cli/launch';
import { moduleWrapper } from '../cli/module-wrapper';

export const HELPER_ASSET = 'helper.js';
/** The fast path (fast-path.ts), which the main script compiles (src/cli/code-cache-script.ts). */
export const FAST_PATH_ASSET = 'fast-path.js';
/** The asset of a group of packages. */
export const dependencyAsset = (group: string): string => `${group}.js`;
/** The name of an asset's code cache. */
export const codeCacheAsset = (asset: string): string => asset.replace(/\.js$/, '.cache');

/** Package name → its module, loaded on first use. */
export type DependencyTable = Readonly<Record<string, () => unknown>>;

const tables = new Map<string, DependencyTable>();

/** The module of a package the build put in the asset of `group`. */
export function embeddedDependency(name: string, group: string): unknown {
  let table = tables.get(group);
  if (table === undefined) {
    table = loadAsset(dependencyAsset(group)) as DependencyTable;
    tables.set(group, table);
  }
  const load = table[name];
  // Only a build that missed a package can get here.
  if (load === undefined) throw new Error(`this executable was built without ${name}`);
  return load();
}

/** The full command line, from its asset. */
export function embeddedHelper(): FullCommandLine {
  return loadAsset(HELPER_ASSET) as FullCommandLine;
}

/** An asset's script and the code cache the build made for it, read from the executable when asked for. */
export function embeddedAsset(asset: string): EmbeddedBundle {
  // Required when read: make-code-cache loads this module outside an executable.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sea = (): typeof import('node:sea') => require('node:sea') as typeof import('node:sea');
  // getRawAsset: the executable's own bytes, where getAsset copies them (the fast path's 60 KB on
  // every run, the packages' megabytes on a miss) and decodes text with a TextDecoder, which cost
  // a hit 0.4 M instructions more (callgrind). Only read, never written: the section is read-only.
  const raw = (key: string): Buffer => {
    const bytes = sea().getRawAsset(key);
    // An ArrayBuffer; @types/node allows a string too.
    return typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  };
  return {
    source: () => raw(asset).toString('utf8'),
    codeCache: () => raw(codeCacheAsset(asset)),
  };
}

function loadAsset(asset: string): unknown {
  const embedded = embeddedAsset(asset);
  const compiled = compileAsset(asset, embedded.source(), embedded.codeCache());
  if (compiled.cacheRejected) {
    // Slower, never wrong: V8 compiles from source. main.ts routes warnings to the log.
    process.emitWarning(`V8 rejected the code cache of ${asset}; compiling it from source`, 'StandaloneCodeCacheWarning');
  }
  return compiled.exports;
}

export interface CompiledAsset {
  readonly script: Script;
  readonly exports: unknown;
  /** A code cache was given and V8 refused it (another V8, other flags). */
  readonly cacheRejected: boolean;
}

/** Compiles and runs an asset's script as a CommonJS module that may require Node's built-ins. */
export function compileAsset(asset: string, source: string, cachedData?: Buffer): CompiledAsset {
  const script = new Script(moduleWrapper(source), {
    filename: asset,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const module: { exports: unknown } = { exports: {} };
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  run(module.exports, require, module, asset, '.');
  return { script, exports: module.exports, cacheRejected: script.cachedDataRejected === true };
}
