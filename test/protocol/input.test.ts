import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassThrough, Readable } from 'node:stream';
import { decodeText, InputError, MAX_INPUT_BYTES, readBoundedInput } from '../../src/protocol/input';
import { failure, oneLine } from '../../src/protocol/outcome';

describe('readBoundedInput', () => {
  it('reads a payload up to the limit exactly', async () => {
    const payload = Buffer.alloc(MAX_INPUT_BYTES, 'a');
    assert.deepEqual(await readBoundedInput(Readable.from([payload.subarray(0, 100), payload.subarray(100)])), payload);
  });

  it('stops at the first byte past the limit, without reading the rest', async () => {
    const stream = new PassThrough();
    const reading = readBoundedInput(stream);
    stream.write(Buffer.alloc(MAX_INPUT_BYTES, ' '));
    stream.write(Buffer.from(' '));
    await assert.rejects(reading, (error: unknown) => error instanceof InputError && /more than 4096 bytes/.test(error.message));
    assert.equal(stream.destroyed, true, 'the stream is let go, not drained');
  });

  it('reads an empty stream as empty', async () => {
    assert.equal((await readBoundedInput(Readable.from([]))).length, 0);
  });

  it('gives up on a stream that is never closed, after the time limit', async () => {
    const stream = new PassThrough();
    stream.write('public.ecr.aws');
    await assert.rejects(readBoundedInput(stream, MAX_INPUT_BYTES, 100), (error: unknown) => error instanceof InputError && error.message === 'stdin was not closed within 0.1 s: a client writes its payload and closes stdin');
    assert.equal(stream.destroyed, true);
  });
});

describe('decodeText', () => {
  it('accepts UTF-8 text with ordinary whitespace', () => {
    assert.equal(decodeText(Buffer.from('public.ecr.aws\r\n\t ')), 'public.ecr.aws\r\n\t ');
    assert.equal(decodeText(Buffer.from('ünïcödé')), 'ünïcödé');
  });
  it('refuses bytes that are not UTF-8', () => {
    assert.throws(() => decodeText(Buffer.from([0xff, 0xfe, 0x41])), /not UTF-8 text/);
    assert.throws(() => decodeText(Buffer.from([0xc3])), /not UTF-8 text/);
    // An encoded surrogate and an overlong `/`: well-formed looking, not UTF-8.
    assert.throws(() => decodeText(Buffer.from([0x61, 0xed, 0xa0, 0x80])), /not UTF-8 text/);
    assert.throws(() => decodeText(Buffer.from([0xc0, 0xaf])), /not UTF-8 text/);
  });
  it('drops one leading byte order mark, as a UTF-8 decoder does', () => {
    assert.equal(decodeText(Buffer.from('\ufeff\ufeffpublic.ecr.aws')), '\ufeffpublic.ecr.aws');
  });
  it('refuses NUL and other control characters', () => {
    assert.throws(() => decodeText(Buffer.from('public.ecr.aws\0')), /control characters/);
    assert.throws(() => decodeText(Buffer.from('\x1b[31mred')), /control characters/);
  });
});

describe('outcome lines', () => {
  it('folds multi-line text into one bounded line', () => {
    assert.equal(oneLine('a\nb\r\n\tc   d'), 'a b c d');
    assert.ok(oneLine('x'.repeat(5000)).length <= 1000);
  });
  it('writes a failure as one line and a newline on stdout, with exit 1', () => {
    assert.deepEqual(failure('boom\nagain'), { exitCode: 1, stdout: 'boom again\n' });
    assert.deepEqual(failure('m', 'detail'), { exitCode: 1, stdout: 'm\n', stderr: 'detail\n' });
  });
});
