/**
 * The name of the fast path's code cache (loader.ts): one per Node version, architecture and
 * build of the fast path, so that neither another Node nor another build ever takes it.
 */
export const CODE_CACHE_PREFIX = 'fast-path.';

export function codeCacheFileName(digest: string): string {
  return `${CODE_CACHE_PREFIX}${process.version}.${process.arch}.${digest.slice(0, 16)}.cache`;
}
