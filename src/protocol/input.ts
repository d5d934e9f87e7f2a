/**
 * Reading the payload a client writes to stdin: bounded in size and in time, and refused unless
 * it is text (docs/SPEC.md section 1).
 */
import { isUtf8 } from 'node:buffer';

export const MAX_INPUT_BYTES = 4096;
/**
 * A client writes its payload and closes stdin at once; one that has not closed it by then never
 * will. Generous, because "at once" can take seconds on a machine at load 50 (a node starting
 * dozens of pulls: measured in test/cli/burst.test.ts, where a 5 s bound failed a client that
 * was merely slow); the bound exists only so that a writer that never closes cannot hang us.
 */
export const INPUT_TIME_LIMIT_MS = 20_000;

export class InputError extends Error {
  override readonly name = 'InputError';
}

export const inputTooLarge = (limit: number): InputError => new InputError(`input too large: more than ${limit} bytes on stdin`);

export const inputNotClosed = (timeLimitMs: number): InputError =>
  new InputError(`stdin was not closed within ${timeLimitMs / 1000} s: a client writes its payload and closes stdin`);

/**
 * What the writer left unread, when it has closed its end: undefined while it is still open.
 * At most `room` bytes. Must not block.
 */
export type RestIfClosed = (room: number) => Buffer | undefined;

/**
 * Reads a stream to its end, at most `limit` bytes and for at most `timeLimitMs`. One byte more
 * and the read stops at once: a runaway writer never makes us buffer without limit.
 *
 * `restIfClosed` is asked at the time limit, before the verdict: a process starved of CPU past
 * the limit runs its expired timer before the read waiting in the same turn of the event loop,
 * and would refuse a client that had written and closed long before.
 */
export async function readBoundedInput(
  stream: NodeJS.ReadableStream,
  limit = MAX_INPUT_BYTES,
  timeLimitMs = INPUT_TIME_LIMIT_MS,
  restIfClosed?: RestIfClosed,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  return new Promise<Buffer>((resolve, reject) => {
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
      if (error) {
        stream.pause();
        (stream as { destroy?: () => void }).destroy?.();
        reject(error);
      } else {
        resolve(Buffer.concat(chunks, size));
      }
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > limit) {
        finish(inputTooLarge(limit));
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = (): void => finish();
    const onError = (error: Error): void => finish(new InputError(`cannot read stdin: ${error.message}`));
    const atTimeLimit = (): void => {
      let rest: Buffer | undefined;
      try {
        rest = restIfClosed?.(limit + 1 - size);
      } catch {
        rest = undefined;
      }
      if (rest === undefined) {
        finish(inputNotClosed(timeLimitMs));
        return;
      }
      size += rest.length;
      if (size > limit) {
        finish(inputTooLarge(limit));
        return;
      }
      chunks.push(rest);
      finish();
    };
    const timer = setTimeout(atTimeLimit, timeLimitMs);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

/**
 * Decodes strict UTF-8 (a leading byte order mark dropped, as TextDecoder does) and refuses
 * control characters other than whitespace. node:buffer's isUtf8 rather than a fatal
 * TextDecoder: Node has loaded the one already, the other costs a cache hit a module's compile.
 */
export function decodeText(bytes: Buffer): string {
  if (!isUtf8(bytes)) throw new InputError('invalid input: stdin is not UTF-8 text');
  const decoded = bytes.toString('utf8');
  const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text)) {
    throw new InputError('invalid input: stdin holds control characters, not text');
  }
  return text;
}
