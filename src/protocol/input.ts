/**
 * Reading the payload a client writes to stdin: bounded, and refused unless it is text.
 */
export const MAX_INPUT_BYTES = 4096;

export class InputError extends Error {
  override readonly name = 'InputError';
}

/**
 * Reads at most MAX_INPUT_BYTES from the stream. One byte more and the read stops at once:
 * a runaway writer never makes us buffer without limit.
 */
export async function readBoundedInput(stream: NodeJS.ReadableStream, limit = MAX_INPUT_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  return new Promise<Buffer>((resolve, reject) => {
    const finish = (error?: Error): void => {
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
        finish(new InputError(`input too large: more than ${limit} bytes on stdin`));
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = (): void => finish();
    const onError = (error: Error): void => finish(new InputError(`cannot read stdin: ${error.message}`));
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Decodes strict UTF-8 and refuses control characters other than whitespace. */
export function decodeText(bytes: Buffer): string {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new InputError('invalid input: stdin is not UTF-8 text');
  }
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text)) {
    throw new InputError('invalid input: stdin holds control characters, not text');
  }
  return text;
}
