/**
 * How the bench (bench.ts) runs a helper: a fresh process, as Docker makes it, with its payload on
 * a real pipe — Docker, Nomad, skopeo and the kubelet hand over pipes, while Node's own
 * `stdio: 'pipe'` would hand over a socket, which takes another road through the helper.
 *
 * The pipe is a FIFO in a directory of the bench's own: opened for reading without blocking, then
 * for writing, the payload written and the writer closed, so that the child reads the payload
 * and then end-of-file, as from `printf … | helper`. One FIFO serves one process at a time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One way of running something: the command, its arguments, its environment, what it reads. */
export interface Job {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly input?: string;
}

export interface Ran {
  readonly wallMs: number;
  readonly code: number | null;
  readonly stdout: string;
}

export class Pipes {
  private readonly dir = mkdtempSync(join(tmpdir(), 'ecr-login-bench-pipes-'));
  private count = 0;
  private readonly free: string[] = [];

  /** A FIFO holding `payload` and no writer: the read end, for a child's stdin, and its release. */
  open(payload: string): { fd: number; release: () => void } {
    const path = this.free.pop() ?? this.make();
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(path, constants.O_WRONLY);
    try {
      if (payload !== '') writeSync(writer, payload);
    } finally {
      closeSync(writer);
    }
    return {
      fd,
      release: () => {
        closeSync(fd);
        this.free.push(path);
      },
    };
  }

  private make(): string {
    const path = join(this.dir, `stdin-${this.count++}`);
    const made = spawnSync('mkfifo', ['-m', '600', path], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`mkfifo ${path}: ${made.stderr || made.error?.message}`);
    return path;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs the job once, its stdin a pipe; resolves when it has exited. */
export function runOnce(pipes: Pipes, job: Job, keepStdout = false): Promise<Ran> {
  const stdin = pipes.open(job.input ?? '');
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(job.command, [...job.args], { env: job.env, stdio: [stdin.fd, keepStdout ? 'pipe' : 'ignore', 'ignore'] });
    // The child has its own copy of the read end: the bench's is closed when it is done.
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', (error) => {
      stdin.release();
      reject(error);
    });
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      stdin.release();
      resolve({ wallMs, code, stdout: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

/** Runs every job at once; resolves with the wall time until the last has exited, and each exit. */
export async function runTogether(pipes: Pipes, jobs: readonly Job[]): Promise<{ wallMs: number; runs: Ran[] }> {
  const started = process.hrtime.bigint();
  const runs = await Promise.all(jobs.map((job) => runOnce(pipes, job, true)));
  return { wallMs: Number(process.hrtime.bigint() - started) / 1e6, runs };
}

/**
 * The CPU time (user + system) of this process's children that have exited and been reaped, in
 * milliseconds: /proc/self/stat's cutime and cstime. Read before and after one run at a time, the
 * difference is that run's; the kernel adds exact times, so a mean over runs is exact within a
 * clock tick over the whole. Undefined without /proc.
 */
export function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of the line, counted from field 3 (the state) here.
    const ticks = Number(fields[16 - 3]) + Number(fields[17 - 3]);
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux that Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** The peak resident set of one run, in KiB, through GNU time; undefined where /usr/bin/time is missing. */
export async function peakRssKiB(pipes: Pipes, job: Job): Promise<number | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'ecr-login-bench-rss-'));
  const report = join(dir, 'rss');
  try {
    const ran = await runOnce(pipes, { ...job, command: '/usr/bin/time', args: ['-f', '%M', '-o', report, job.command, ...job.args] });
    if (ran.code === 127) return undefined;
    const kib = Number(readFileSync(report, 'utf8').trim().split('\n').at(-1));
    return Number.isFinite(kib) ? kib : undefined;
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The Node flag that makes a run repeat instruction for instruction (no background threads; three
 * runs of a case agree to a thousand instructions), and no other. V8 takes a code cache only if
 * it was made under the same flags, as `v8.cachedDataVersionTag()` tells: `--predictable` and
 * `--random-seed` leave that tag as it is, `--hash-seed` changes it. With `--hash-seed=1`, every
 * Node refused the code cache it carries for its own modules, so each module a run loaded after
 * start-up was compiled from source and its cache made again: about 5 M instructions for
 * `node -e 0` and 2.5 M for a hit's `node:vm` on Node 20, work no real run does.
 */
export const PREDICTABLE_NODE = ['--predictable'];

/**
 * The instructions one run executes, counted by valgrind's callgrind: the same run after run
 * however busy the machine is. `node` is given for a script (the launcher is run by it, with the
 * predictable flags, as `node -e 0` is); a standalone executable takes no Node flags. It is
 * counted after a run without valgrind under the same flags: V8 takes a code cache only from a
 * run with the same flags (src/cli/loader.ts), and a warm cache is what every run but the first has.
 */
export async function countInstructions(pipes: Pipes, job: Job, node: string | undefined): Promise<number> {
  const target = node === undefined ? [job.command, ...job.args] : [node, ...PREDICTABLE_NODE, ...(job.command === node ? [] : [job.command]), ...job.args];
  await runOnce(pipes, { ...job, command: target[0] ?? job.command, args: target.slice(1) });
  return countOnce(pipes, job, target);
}

function countOnce(pipes: Pipes, job: Job, target: readonly string[]): Promise<number> {
  const stdin = pipes.open(job.input ?? '');
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', ...target], { env: job.env, stdio: [stdin.fd, 'ignore', 'pipe'] });
    let report = '';
    child.stderr?.on('data', (chunk: Buffer) => (report += chunk.toString()));
    child.on('error', (error) => {
      stdin.release();
      reject(error);
    });
    child.on('close', () => {
      stdin.release();
      const collected = /Collected : (\d+)/.exec(report);
      if (collected?.[1] === undefined) reject(new Error(`valgrind gave no count for ${target.join(' ')}: ${report.slice(-300)}`));
      else resolve(Number(collected[1]));
    });
  });
}
