/**
 * The names of the code caches of our bundles (code-cache-script.ts): one per bundle, Node
 * version, architecture and build of the bundle, so that neither another Node nor another build
 * ever takes one.
 */

/** `bundle`: which bundle (`fast-path`, `dependencies`); `digest`: the SHA-256 of its build. */
export function codeCacheFileName(bundle: string, digest: string): string {
  return `${bundle}.${process.version}.${process.arch}.${digest.slice(0, 16)}.cache`;
}

/** What the names of every build's cache of the same bundle for the same Node begin with. */
export function sameBundleAndNode(fileName: string): string {
  return fileName.replace(/[0-9a-f]{16}\.cache$/, '');
}
