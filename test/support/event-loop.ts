/**
 * Tests about time on a loaded machine: a process starved of CPU, and waiting for something to
 * happen with a bound rather than a guess at how long it takes.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Blocks this thread for `ms`, as a process starved of CPU is blocked: its timers fall due
 * before the reads already waiting in its sockets.
 */
export function blockEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Resolves once `happened()` holds, looking every 20 ms; fails, saying `what`, after `withinMs`. */
export async function until(happened: () => boolean, what: string, withinMs = 60_000): Promise<void> {
  for (let waited = 0; !happened(); waited += 20) {
    assert.ok(waited < withinMs, what);
    await sleep(20);
  }
}
