/**
 * The fast path's bundle (dist/bin/docker-credential-ecr-login-fast.js, which loader.ts compiles
 * with its code cache): the fast path, and the full command line from the bundle next to it when
 * the fast path declines (scripts/bundle.js).
 */
import { launch, type FullCommandLine } from './launch';

export { exerciseForCodeCache } from './cache-hit';
export { saveCodeCache } from './code-cache';

/** `invokedAs` is the base name the executable was called by; `afterAnswer` runs once the fast path has answered. */
export function main(argv: readonly string[], invokedAs?: string, afterAnswer?: () => void): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return launch(argv, invokedAs, () => require('./main') as FullCommandLine, afterAnswer);
}
