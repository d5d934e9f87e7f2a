/**
 * Our bundles are compiled by node:vm as CommonJS modules (code-cache-script.ts for the npm
 * package's, src/standalone/embedded-dependencies.ts for the executable's assets), wrapped as
 * Node wraps a module, on one line so that a stack's positions are the bundle's own. One
 * wrapper for both: V8 takes a code cache only for a script of the length it was made for, and
 * the executable's fast path is compiled by one with a cache made by the other.
 */
export function moduleWrapper(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source}\n})`;
}
