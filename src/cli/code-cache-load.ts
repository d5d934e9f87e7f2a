/**
 * A bundle next to this one, loaded on demand with its V8 code cache (code-cache-script.ts),
 * the cache made when a process that compiled the bundle without one exits: by then it holds
 * every function the run compiled. For the bundles only some runs load: the full command line
 * (when the fast path declines) and the npm package's dependencies (bundled-dependencies.ts).
 */
import { joinPath } from '../fs/join-path';
import { saveCodeCache } from './code-cache';
import { cacheMadeMeanwhile, runCachedBundle } from './code-cache-script';

/** `fileName` in this bundle's directory; `bundle` names its cache; `digest` is its SHA-256. */
export function loadCachedBundle<Exports>(fileName: string, bundle: string, digest: string | undefined): Exports {
  const loaded = runCachedBundle<Exports>(joinPath(__dirname, fileName), bundle, digest);
  const { remakeAt } = loaded;
  if (remakeAt !== undefined) {
    process.once('exit', () => {
      try {
        if (cacheMadeMeanwhile(loaded)) return;
        saveCodeCache(remakeAt.dirs, remakeAt.file, loaded.script.createCachedData());
      } catch {
        // The answer is written: a cache not made is a slower next run.
      }
    });
  }
  return loaded.exports;
}
