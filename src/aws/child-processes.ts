/**
 * The processes the AWS SDK starts for the helper: a profile's `credential_process`, which it
 * runs with child_process.exec as `/bin/sh -c <command>`. They are seen through Node's
 * `child_process` diagnostics channel, for two things the SDK cannot give:
 *  - how one ended (its exit status or signal), for a failure message that says so without
 *    repeating a word of what it printed, which may hold a secret (a `set -x` wrapper);
 *  - that none outlives the helper: one that hangs is abandoned at the deadline of a `get`, so
 *    when the helper exits (or is told to stop by SIGTERM, SIGINT or SIGHUP) every process
 *    still running below it is stopped, then killed — its own children too, found in /proc.
 *    A process that has already detached itself from the tree (a daemon) is beyond reach.
 */
import type { ChildProcess } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { readdirSync, readFileSync } from 'node:fs';

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const running = new Set<ChildProcess>();
let lastExit: ChildExit | undefined;
let watching = false;

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/** Starts watching (once per process): call before the SDK may start a process. */
export function watchChildProcesses(): void {
  if (watching) return;
  watching = true;
  subscribe('child_process', (message) => {
    const child = (message as { process?: ChildProcess }).process;
    if (child === undefined) return;
    running.add(child);
    child.once('exit', (code, signal) => {
      running.delete(child);
      lastExit = { code, signal };
    });
  });
  process.once('exit', endChildProcesses);
  for (const signal of STOP_SIGNALS) process.on(signal, endOnSignal);
}

/** How the most recent child process ended, if one did. */
export function lastChildExit(): ChildExit | undefined {
  return lastExit;
}

/** Stops and kills every process below this one, when one of ours is still running. */
export function endChildProcesses(): void {
  if (running.size === 0) return;
  const killed = stopDescendants(process.pid, readProcessTable);
  for (const pid of killed) sendSignal(pid, 'SIGKILL');
  // Where /proc cannot be read, at least the children Node knows of.
  for (const child of running) if (child.pid !== undefined && !killed.includes(child.pid)) child.kill('SIGKILL');
}

function endOnSignal(signal: NodeJS.Signals): void {
  endChildProcesses();
  process.removeListener(signal, endOnSignal);
  // Nobody else handles it: end as the signal would have ended us.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

/**
 * Stops (SIGSTOP) every descendant of `root`, round after round until a scan finds no new
 * one, so that none can fork away unseen while the tree is walked; returns them all, to kill.
 * A stopped process keeps its place in the tree, which a killed one would not.
 */
export function stopDescendants(root: number, readTable: () => ReadonlyMap<number, number>, stop = (pid: number) => sendSignal(pid, 'SIGSTOP')): number[] {
  const stopped: number[] = [];
  for (let round = 0; round < 20; round += 1) {
    const fresh = descendantsOf(root, readTable()).filter((pid) => !stopped.includes(pid));
    if (fresh.length === 0) break;
    for (const pid of fresh) {
      stop(pid);
      stopped.push(pid);
    }
  }
  return stopped;
}

/** Every process below `root` in a table of pid → parent pid, parents before their children. */
export function descendantsOf(root: number, parentOf: ReadonlyMap<number, number>): number[] {
  const childrenOf = new Map<number, number[]>();
  for (const [pid, parent] of parentOf) childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), pid]);
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of childrenOf.get(queue.shift() as number) ?? []) {
      if (child === root || found.includes(child)) continue;
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** The parent pid from the text of /proc/<pid>/stat: the command name, in parentheses, may hold anything. */
export function parentPidFromStat(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const parent = Number(fields[1]);
  return Number.isInteger(parent) && parent > 0 ? parent : undefined;
}

function readProcessTable(): Map<number, number> {
  const table = new Map<number, number>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return table;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const parent = parentPidFromStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (parent !== undefined) table.set(Number(name), parent);
    } catch {
      // Gone since the directory was read.
    }
  }
  return table;
}

function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}
