/**
 * The packages of the npm package, bundled into minified files next to this one, one per group:
 * docker-credential-ecr-login-dependencies.js (the AWS SDK, commander) and
 * docker-credential-ecr-login-logging.js (pino), each compiled with V8's code cache
 * (code-cache-load.ts) on the first call that needs one of its packages: a miss the SDK makes, a
 * flag; a log.
 *
 * Why: from node_modules a miss resolved, read and compiled 52 files of 20 packages, most of its
 * time (docs/performance.md). Why pino apart: a miss that signs its own call (aws/direct-token.ts)
 * loads no AWS SDK, but logs. scripts/bundle.js rewrites each `require` of a package in the full
 * command line and the operator commands into `bundledDependency(name, group)`, as the standalone
 * executable's build does with its own tables (src/standalone/embedded-dependencies.ts).
 */
import { loadCachedBundle } from './code-cache-load';

/** Group → the SHA-256 of its bundle, written in by scripts/bundle.js. */
declare const DEPENDENCY_DIGESTS: Readonly<Record<string, string>> | undefined;

/** Package name → its module, loaded on first use. */
type DependencyTable = Readonly<Record<string, () => unknown>>;

/**
 * The full command line and the operator commands are bundles apart, each with its own copy of
 * this module: the tables are kept on the process, so that the packages load once.
 */
const LOADED = Symbol.for('docker-credential-ecr-login.dependencies');

/** The module of a package the build put in the bundle of `group`. */
export function bundledDependency(name: string, group: string): unknown {
  const load = dependencyTable(group)[name];
  // Only a build that missed a package can get here.
  if (load === undefined) throw new Error(`this build was bundled without ${name}`);
  return load();
}

function dependencyTable(group: string): DependencyTable {
  const holder = globalThis as { [LOADED]?: Record<string, DependencyTable> };
  const tables = (holder[LOADED] ??= {});
  const loaded = tables[group];
  if (loaded !== undefined) return loaded;
  const digest = typeof DEPENDENCY_DIGESTS === 'object' ? DEPENDENCY_DIGESTS[group] : undefined;
  const table = loadCachedBundle<DependencyTable>(`docker-credential-ecr-login-${group}.js`, group, digest);
  tables[group] = table;
  return table;
}
