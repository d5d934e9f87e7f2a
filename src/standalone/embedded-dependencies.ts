/**
 * The packages of the standalone executable (the AWS SDK, pino, commander): one script stored as
 * an asset of the executable, with V8's code cache for it, compiled and run on the first call
 * that needs one of them. The executable's main script is only the helper's own bundle, so a
 * cache hit starts as fast as Node itself (putting the 1.7 MB of packages in the main script
 * cost 1.4–1.9× a bare Node start; issue 10).
 *
 * The build (scripts/build-standalone.ts) rewrites each `require('<package>')` of the bundle to
 * `embeddedDependency('<package>')`, and makes the code cache with `compileDependencies`, so that
 * V8 accepts it here.
 */
import { Script } from 'node:vm';

export const DEPENDENCIES_ASSET = 'dependencies.js';
export const CODE_CACHE_ASSET = 'dependencies.cache';

/** Package name → its module, loaded on first use. */
export type DependencyTable = Readonly<Record<string, () => unknown>>;

let table: DependencyTable | undefined;

/** The module of a package the build put in the dependencies asset. */
export function embeddedDependency(name: string): unknown {
  table ??= loadAsset();
  const load = table[name];
  // Only a build that missed a package can get here.
  if (load === undefined) throw new Error(`this executable was built without ${name}`);
  return load();
}

function loadAsset(): DependencyTable {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sea = require('node:sea') as typeof import('node:sea');
  const compiled = compileDependencies(sea.getAsset(DEPENDENCIES_ASSET, 'utf8'), Buffer.from(sea.getAsset(CODE_CACHE_ASSET)));
  if (compiled.cacheRejected) {
    // Slower, never wrong: V8 compiles from source. main.ts routes warnings to the log.
    process.emitWarning('V8 rejected the code cache of the embedded packages; compiling them from source', 'StandaloneCodeCacheWarning');
  }
  return compiled.table;
}

export interface CompiledDependencies {
  readonly script: Script;
  readonly table: DependencyTable;
  /** A code cache was given and V8 refused it (another V8, other flags). */
  readonly cacheRejected: boolean;
}

/** Compiles and runs the dependencies script as a CommonJS module that may require Node's built-ins. */
export function compileDependencies(source: string, cachedData?: Buffer): CompiledDependencies {
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: DEPENDENCIES_ASSET,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const module: { exports: DependencyTable } = { exports: {} };
  const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  run(module.exports, require, module, DEPENDENCIES_ASSET, '.');
  return { script, table: module.exports, cacheRejected: script.cachedDataRejected === true };
}
