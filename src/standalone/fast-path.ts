/**
 * The standalone executable's fast path, an asset its main script (main.ts) compiles with the
 * code cache a run leaves in the user's cache directory, as the npm package's loader does
 * (src/cli/fast-path-bundle.ts), and until then with its own, made when it was built; the full
 * command line another asset, compiled when the fast path declines.
 */
import { launch } from '../cli/launch';
import { embeddedHelper } from './embedded-dependencies';

export { exerciseForCodeCache } from '../cli/cache-hit';
export { saveCodeCache } from '../cli/code-cache';

/** `afterAnswer` runs once the fast path has answered. */
export function main(argv: readonly string[], invokedAs: string | undefined, afterAnswer?: () => void): Promise<void> {
  return launch(argv, invokedAs, embeddedHelper, afterAnswer);
}
