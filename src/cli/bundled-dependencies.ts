/**
 * The packages of the npm package (the AWS SDK, pino, commander), bundled into one minified file
 * next to this one, docker-credential-ecr-login-dependencies.js, and compiled with V8's code
 * cache (code-cache-load.ts) on the first call that needs one of them: a miss, a log, a flag.
 *
 * Why: from node_modules a miss resolved, read and compiled 52 files of 20 packages, most of its
 * time (docs/performance.md). scripts/bundle.js rewrites each `require` of a
 * package in the full command line and the operator commands into `bundledDependency(name)`, as
 * the standalone executable's build does with its own table (src/standalone/embedded-dependencies.ts).
 */
import { loadCachedBundle } from './code-cache-load';

/** The SHA-256 of the dependencies bundle, written in by scripts/bundle.js. */
declare const DEPENDENCIES_DIGEST: string | undefined;

const DEPENDENCIES_FILE = 'docker-credential-ecr-login-dependencies.js';

/** Package name → its module, loaded on first use. */
type DependencyTable = Readonly<Record<string, () => unknown>>;

/**
 * The full command line and the operator commands are bundles apart, each with its own copy of
 * this module: the table is kept on the process, so that the packages load once.
 */
const LOADED = Symbol.for('docker-credential-ecr-login.dependencies');

/** The module of a package the build put in the dependencies bundle. */
export function bundledDependency(name: string): unknown {
  const load = dependencyTable()[name];
  // Only a build that missed a package can get here.
  if (load === undefined) throw new Error(`this build was bundled without ${name}`);
  return load();
}

function dependencyTable(): DependencyTable {
  const holder = globalThis as { [LOADED]?: DependencyTable };
  const loaded = holder[LOADED];
  if (loaded !== undefined) return loaded;
  const table = loadCachedBundle<DependencyTable>(DEPENDENCIES_FILE, 'dependencies', typeof DEPENDENCIES_DIGEST === 'string' ? DEPENDENCIES_DIGEST : undefined);
  holder[LOADED] = table;
  return table;
}
