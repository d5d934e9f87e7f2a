/**
 * How every run starts: the fast path (cache-hit.ts) first, and the full command line (main.ts)
 * only when it declines, handed what the fast path read and took (its Handover). The full one is
 * another file, so that a cache hit never parses it: a bundle next to the fast one for the npm
 * package (entry.ts), an asset of the standalone executable (src/standalone/main.ts).
 */
import type { main as fullMain } from './main';
import { runFast, type FastRun } from './cache-hit';
import { emit } from './stdio';

export interface FullCommandLine {
  readonly main: typeof fullMain;
}

/** `afterAnswer`: what to do once the fast path's answer is written, unless it waited for it (loader.ts saves its code cache). */
export function launch(argv: readonly string[], invokedAs: string | undefined, loadFull: () => FullCommandLine, afterAnswer?: () => void): Promise<void> {
  const finish = (fast: FastRun, after?: () => void): Promise<void> => {
    if (fast.kind === 'answered') {
      const status = emit(fast.outcome);
      try {
        after?.();
      } catch {
        // The answer is written: whatever comes after it cannot change it.
      }
      process.exit(status);
    }
    // However the full path ends, the lock it was handed goes with the process at the latest.
    if (fast.heldFlight !== undefined) process.once('exit', fast.heldFlight.release);
    return loadFull().main(argv, invokedAs, fast);
  };
  const fast = runFast(argv, invokedAs, { env: process.env, now: Date.now, sleep, stdinFd: 0 });
  // A promise only while it waits on another process's flight: a hit stays synchronous. A
  // waiter answered leaves the code cache to the next hit: in a burst on a fresh cache, every
  // waiter would make it at once, on the cores the leader needs.
  return fast instanceof Promise ? fast.then((waited) => finish(waited)) : finish(fast, afterAnswer);
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
