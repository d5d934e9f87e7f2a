/**
 * What bin/ loads (dist/bin/docker-credential-ecr-login.js): the fast path, and the full command
 * line from the bundle next to it when the fast path declines (scripts/bundle.js).
 */
import { launch, type FullCommandLine } from './launch';

/** `invokedAs` is the base name the executable was called by. */
export function main(argv: readonly string[], invokedAs?: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return launch(argv, invokedAs, () => require('./main') as FullCommandLine);
}
