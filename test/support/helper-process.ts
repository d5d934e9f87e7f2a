/**
 * Runs the real `bin/docker-credential-ecr-login` the way Docker does: a fresh process, a
 * payload on stdin, stdout and the exit status read back. Every run gets an environment built
 * from scratch — nothing of the machine's AWS_*, SSL or NODE_* settings leaks in — and
 * EC2 metadata is off unless a test points it at an emulator.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/** dist/test/support → the repository root. */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const HELPER_BIN = join(REPO_ROOT, 'bin', 'docker-credential-ecr-login');

export interface HelperResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

export type Env = Record<string, string>;

/** A process's state letter from /proc/PID/stat (R, S, T, Z, …); undefined once it is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
}

/** A temporary HOME, removed by the returned cleanup. */
export function makeTempHome(prefix = 'ecr-login-test-'): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), prefix));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** The environment of one helper run: PATH and HOME, metadata off, and what the test adds. */
export function cleanEnv(home: string, extra: Env = {}): Env {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

export interface RunOptions {
  readonly env: Env;
  readonly input?: string | Buffer;
  /** The test fails rather than hangs: the helper is killed after this long. */
  readonly timeoutMs?: number;
  readonly cwd?: string;
  /**
   * 'socket' (the default): Node's stdin pipe, closed once the test's event loop runs again.
   * 'closed-pipe': a pipe written and closed before the helper starts, as Docker's Go client
   * closes it at once: for bursts, where forking dozens of helpers keeps the loop from running.
   */
  readonly stdin?: 'socket' | 'closed-pipe';
  /** Run under `nice -n <niceness>`: below the test process, whose emulators stand for AWS. */
  readonly niceness?: number;
  /** Given the helper's process as it starts: for a test that signals it. */
  readonly onSpawn?: (child: ChildProcess) => void;
}

export function runHelper(args: readonly string[], options: RunOptions): Promise<HelperResult> {
  return runCommand(HELPER_BIN, args, options);
}

export async function runCommand(command: string, args: readonly string[], options: RunOptions): Promise<HelperResult> {
  const closedPipe = options.stdin === 'closed-pipe' ? await closedPipeHolding(options.input ?? '') : undefined;
  const started = process.hrtime.bigint();
  return new Promise((resolvePromise, reject) => {
    const [file, ...argv] = options.niceness === undefined ? [command, ...args] : ['nice', '-n', String(options.niceness), command, ...args];
    const child = spawn(file ?? command, argv, { env: options.env, cwd: options.cwd ?? options.env.HOME, stdio: [closedPipe ?? 'pipe', 'pipe', 'pipe'] });
    if (closedPipe !== undefined) closeSync(closedPipe);
    options.onSpawn?.(child);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A helper that stops reading early closes the pipe under a large payload: that is expected.
    child.stdin?.on('error', () => undefined);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        elapsedMs: Number(process.hrtime.bigint() - started) / 1e6,
      });
    });
    child.stdin?.end(options.input ?? '');
  });
}

/**
 * The read end of a pipe that holds `input` and has no writer left: read, it gives `input`, then
 * end of file. A FIFO, opened for writing (read-write, which never blocks), filled, opened for
 * reading, its writer closed, and its name removed; the input must fit in the pipe (64 KiB).
 */
async function closedPipeHolding(input: string | Buffer): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'closed-pipe-'));
  try {
    const fifo = join(dir, 'stdin');
    await promisify(execFile)('mkfifo', ['-m', '600', fifo]);
    const writer = openSync(fifo, 'r+');
    try {
      const bytes = Buffer.from(input);
      for (let offset = 0; offset < bytes.length; ) offset += writeSync(writer, bytes, offset);
      return openSync(fifo, 'r');
    } finally {
      closeSync(writer);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
