/**
 * A time limit for a network step that judges after the I/O already at hand.
 *
 * Why: a process starved of CPU past the limit runs its expired timers before the reads waiting
 * in the same turn of the event loop, and would take an answer that came in time for none
 * (seen at load 40 and over, docs/reliability.md). The verdict comes from setImmediate, which
 * runs after the loop's poll: by then whatever had arrived has been read.
 */

/** Calls `verdict` once `milliseconds` have passed and the I/O at hand has been read; returns the cancel. */
export function afterTimeLimit(milliseconds: number, verdict: () => void): () => void {
  let pending: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => {
    pending = setImmediate(verdict);
  }, milliseconds);
  return () => {
    clearTimeout(timer);
    clearImmediate(pending);
  };
}
