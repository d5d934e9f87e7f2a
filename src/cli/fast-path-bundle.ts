/**
 * Starts a fast path bundle compiled with its code cache (code-cache-script.ts), and leaves the
 * cache to be made once the fast path has answered: the npm package's loader (loader.ts) and the
 * standalone executable's main script (src/standalone/main.ts) both start this way.
 *
 * The cache is made after a run, with what a hit with a settings file and profiles runs
 * exercised on made-up input (cache-hit.ts), so that it holds every function a hit calls
 * compiled. A cache made by compiling alone holds only a script's top level: the standalone
 * executable's own (Node's `useCodeCache`) left a hit compiling about a hundred functions from
 * source on every run.
 */
import { cacheMadeMeanwhile, runCachedBundle, type EmbeddedBundle } from './code-cache-script';

/** What a fast path bundle exports: src/cli/entry.ts for the npm package, src/standalone/fast-path.ts for the executable. */
export interface FastPathBundle {
  main(argv: readonly string[], invokedAs: string | undefined, afterAnswer?: () => void): Promise<void>;
  exerciseForCodeCache(): void;
  saveCodeCache(dirs: readonly [string, string], file: string, data: Buffer): void;
}

/** `file`, `bundle`, `digest` and `embedded` as runCachedBundle takes them; `invokedAs`, the base name the executable was called by. */
export function runFastPathBundle(file: string, bundle: string, digest: string | undefined, argv: readonly string[], invokedAs: string | undefined, embedded?: EmbeddedBundle): Promise<void> {
  const fastPath = runCachedBundle<FastPathBundle>(file, bundle, digest, embedded);
  const { exports, remakeAt } = fastPath;
  const saveCodeCache =
    remakeAt === undefined
      ? undefined
      : (): void => {
          if (cacheMadeMeanwhile(fastPath)) return;
          exports.exerciseForCodeCache();
          exports.saveCodeCache(remakeAt.dirs, remakeAt.file, fastPath.script.createCachedData());
        };
  return exports.main(argv, invokedAs, saveCodeCache);
}
