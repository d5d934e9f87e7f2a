/**
 * An artificial CPU load for tests that must hold on a starved machine: busy-looping child
 * processes, for as long as the test needs them. Each loop also ends by itself when its parent
 * is gone or after `maxLifetimeMs`, so that a test killed mid-way leaves no spinning process.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface CpuLoad {
  /** Ends every loop and waits until they have exited. */
  stop(): Promise<void>;
}

export function startCpuLoad(processes: number, maxLifetimeMs = 5 * 60_000): CpuLoad {
  const loop = `
    const parent = process.ppid;
    const deadline = Date.now() + ${maxLifetimeMs};
    for (let n = 1; ; n += 1) {
      if (n % 1e6 === 0 && (process.ppid !== parent || Date.now() > deadline)) break;
    }`;
  const children: ChildProcess[] = Array.from({ length: processes }, () => spawn(process.execPath, ['-e', loop], { stdio: 'ignore', env: {} }));
  return {
    stop: async () => {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}
