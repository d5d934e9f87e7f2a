/**
 * What bin/ runs: the fast path (cache-hit.ts) first, and the full command line (main.ts) only
 * when it declines, handed the stdin the fast path read. scripts/bundle.js makes them two files,
 * so that a cache hit never parses the full one; the standalone executable loads the full one
 * from an asset instead (src/standalone/main.ts).
 */
import type { main as fullMain } from './main';
import { runFast } from './cache-hit';
import { emit } from './stdio';

export interface FullCommandLine {
  readonly main: typeof fullMain;
}

export function launch(argv: readonly string[], invokedAs: string | undefined, loadFull: () => FullCommandLine): Promise<void> {
  const fast = runFast(argv, invokedAs, { env: process.env, now: Date.now, stdinFd: 0 });
  if (fast.kind === 'answered') process.exit(emit(fast.outcome));
  return loadFull().main(argv, invokedAs, fast.stdin);
}

/** Entry point for bin/: `invokedAs` is the base name the executable was called by. */
export function main(argv: readonly string[], invokedAs?: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return launch(argv, invokedAs, () => require('./main') as FullCommandLine);
}
