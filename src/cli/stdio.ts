/**
 * The process's stdin and stdout, read and written with synchronous system calls.
 *
 * Why synchronous: going through Node's streams loads the whole stream stack and costs about
 * 10 ms of CPU per run on a machine where Node itself starts in 60, while `readSync` and
 * `writeSync` cost well under 1 ms — and a cache hit is little more than Node's start.
 *
 * Why not plainly: a blocking read on a pipe whose writer never closes can never time out. So a
 * pipe is reopened through /proc/self/fd with O_NONBLOCK — a new open file description, so the
 * caller's is left as it was — and polled with short sleeps up to the time limit. Where that is
 * impossible (a socket, which cannot be reopened; a pipe off Linux) Node's stream reader does the
 * job, bounded by a timer. Files and devices never wait on a writer: a plain read serves them
 * (a terminal waits for the person at it, who ends with Ctrl-D or Ctrl-C).
 */
import { closeSync, constants, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { errorCode } from '../fs/private-dir';
import { InputError, inputNotClosed, inputTooLarge, readBoundedInput } from '../protocol/input';
import { HELPER_NAME } from '../protocol/messages';
import type { Outcome } from '../protocol/outcome';

export interface StdinReading {
  readonly fd: number;
  readonly limitBytes: number;
  readonly timeLimitMs: number;
  /** The same input as a stream, for where a bounded synchronous read is impossible. */
  readonly openStream: () => NodeJS.ReadableStream;
}

/** Reads the input to its end; throws InputError when it is too large, not closed in time, or unreadable. */
export async function readStdin(reading: StdinReading): Promise<Buffer> {
  return (
    readStdinSync(reading) ??
    readBoundedInput(reading.openStream(), reading.limitBytes, reading.timeLimitMs, (room) => restIfClosed(reading.fd, room))
  );
}

/**
 * What is left on `fd` when its writer has closed (at most `room` bytes); undefined while it is
 * open. Only for a descriptor the stream reader has opened: libuv made it non-blocking
 * (uv_pipe_open), so a writer that is still there answers EAGAIN instead of blocking us.
 */
function restIfClosed(fd: number, room: number): Buffer | undefined {
  const chunks: Buffer[] = [];
  let size = 0;
  while (size < room) {
    const chunk = Buffer.allocUnsafe(Math.min(room - size, 64 * 1024));
    let count: number;
    try {
      count = readSync(fd, chunk, 0, chunk.length, null);
    } catch {
      return undefined;
    }
    if (count === 0) break;
    chunks.push(chunk.subarray(0, count));
    size += count;
  }
  return Buffer.concat(chunks, size);
}

/**
 * As readStdin, with system calls alone; undefined, having read nothing, where only the stream
 * reader can bound the read (a socket, a pipe off Linux). The cache-hit fast path reads so.
 */
export function readStdinSync(reading: Omit<StdinReading, 'openStream'>): Buffer | undefined {
  const { fd, limitBytes, timeLimitMs } = reading;
  let kind: 'pipe' | 'socket' | 'other';
  try {
    const stats = fstatSync(fd);
    kind = stats.isFIFO() ? 'pipe' : stats.isSocket() ? 'socket' : 'other';
  } catch {
    // A closed stdin (Node itself puts /dev/null there when it can): nothing to read.
    return Buffer.alloc(0);
  }
  if (kind === 'other') return readToEnd(fd, limitBytes);
  const reopened = kind === 'pipe' ? reopenNonBlocking(fd) : undefined;
  if (reopened === undefined) return undefined;
  try {
    return readToEnd(reopened, limitBytes, { timeLimitMs, deadline: monotonicMs() + timeLimitMs });
  } finally {
    closeSync(reopened);
  }
}

function reopenNonBlocking(fd: number): number | undefined {
  // Elsewhere /dev/fd/N duplicates the descriptor: O_NONBLOCK would land on the caller's pipe too.
  if (process.platform !== 'linux') return undefined;
  try {
    return openSync(`/proc/self/fd/${fd}`, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
}

function readToEnd(fd: number, limit: number, bound?: { timeLimitMs: number; deadline: number }): Buffer {
  const chunks: Buffer[] = [];
  let size = 0;
  const backOff = new BackOff();
  let chunk = Buffer.allocUnsafe(Math.min(limit + 1, 64 * 1024));
  for (;;) {
    let count: number;
    try {
      count = readSync(fd, chunk, 0, Math.min(chunk.length, limit + 1 - size), null);
    } catch (error) {
      if (errorCode(error) !== 'EAGAIN') throw new InputError(`cannot read stdin: ${errorCode(error)}`);
      if (bound === undefined) {
        backOff.sleep();
        continue;
      }
      const left = bound.deadline - monotonicMs();
      if (left <= 0) throw inputNotClosed(bound.timeLimitMs);
      backOff.sleep(left);
      continue;
    }
    // One chunk is what a client's payload nearly always is: no copy (Buffer.concat is code a hit would compile).
    if (count === 0) return chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, size);
    chunks.push(chunk.subarray(0, count));
    size += count;
    if (size > limit) throw inputTooLarge(limit);
    chunk = chunk.subarray(count);
    if (chunk.length === 0) chunk = Buffer.allocUnsafe(Math.min(limit + 1 - size, 64 * 1024));
    backOff.reset();
  }
}

/**
 * Writes all of `text` to `fd`: a partial write goes on where it stopped, and a non-blocking pipe
 * that is full (EAGAIN: a slow reader) is waited on. Throws on any other failure (EPIPE: the
 * reader is gone), so that the caller can exit non-zero.
 */
export function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  const backOff = new BackOff();
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
      backOff.reset();
    } catch (error) {
      if (errorCode(error) !== 'EAGAIN') throw error;
      backOff.sleep();
    }
  }
}

/** Writes the outcome; the exit status it returns is non-zero when the client did not get the answer. */
export function emit(outcome: Outcome): number {
  if (outcome.stderr) writeQuietly(2, outcome.stderr);
  try {
    writeAll(1, outcome.stdout);
    return outcome.exitCode;
  } catch (error) {
    writeQuietly(2, `${HELPER_NAME}: cannot write the answer to stdout: ${errorCode(error)}\n`);
    return 1;
  }
}

function writeQuietly(fd: number, text: string): void {
  try {
    writeAll(fd, text);
  } catch {
    // Nobody reads stderr: the answer on stdout is what counts.
  }
}

const MAX_PAUSE_MS = 16;

/** Sleeps without spinning: 1 ms, then twice as long each time, up to MAX_PAUSE_MS. */
class BackOff {
  private pauseMs = 1;
  /** Made at the first sleep: most reads and writes never wait. */
  private cell: Int32Array | undefined;

  sleep(atMostMs = MAX_PAUSE_MS): void {
    this.cell ??= new Int32Array(new SharedArrayBuffer(4));
    // Atomics.wait blocks the thread for the timeout: nothing will ever notify this cell.
    Atomics.wait(this.cell, 0, 0, Math.min(this.pauseMs, atMostMs));
    this.pauseMs = Math.min(this.pauseMs * 2, MAX_PAUSE_MS);
  }

  reset(): void {
    this.pauseMs = 1;
  }
}

const monotonicMs = (): number => Number(process.hrtime.bigint() / 1_000_000n);
