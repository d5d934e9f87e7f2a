/**
 * Every verb's stdin, generated, through the verbs themselves (no process around them): the
 * bytes a client writes, decoded as the helper decodes them, then `get`, `store`, `erase` and
 * `get-credentials`. For each: no throw, one line at most on error, the answer class of the spec
 * (for `get`, the reference model's), and no secret a client handed over repeated anywhere.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeText, InputError, readBoundedInput } from '../../src/protocol/input';
import { getCredentials } from '../../src/verbs/get-credentials';
import { get } from '../../src/verbs/get';
import { erase, store } from '../../src/verbs/store';
import { makeTempHome } from '../support/helper-process';
import { seedNote, TEST_SEED } from '../support/seed';
import { modelRegistry } from './ecr-host-model';
import { kubeletRequest, serverUrl, STDIN_SECRET_CANARY, storePayload } from './generators';
import { assertKubeletAnswer, storeSucceeds } from './protocol-model';
import { secretFor, verbWorld } from './verb-context';

const { home, cleanup } = makeTempHome('ecr-login-property-');
after(cleanup);

const NOT_FOUND = 'credentials not found in native keychain\n';
const ONE_LINE = /^[^\n]+\n$/;
const TERMINAL_LINE = /^docker-credential-ecr-login: [^\n]+\n$/;

function assertNoCanary(...texts: Array<string | undefined>): void {
  for (const text of texts) assert.equal(text?.includes(STDIN_SECRET_CANARY) ?? false, false, `a secret from stdin repeated: ${text}`);
}

describe('the bytes on stdin', () => {
  it('decodeText takes exactly the UTF-8 text without control characters, and refuses the rest with an InputError', (t) => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.string({ unit: 'binary', maxLength: 40 }).map((text) => new Uint8Array(Buffer.from(text))),
      fc.tuple(fc.string({ maxLength: 20 }), fc.constantFrom('\u0000', '\u0007', '\u001b', '\u007f', '\ufeff', '\n', '\t', '\r', '\u0085'), fc.string({ maxLength: 20 })).map(
        ([before, control, rest]) => new Uint8Array(Buffer.from(before + control + rest)),
      ),
    );
    fc.assert(
      fc.property(bytes, (array) => {
        const buffer = Buffer.from(array);
        const asText = buffer.toString('utf8');
        const isText = Buffer.from(asText, 'utf8').equals(buffer) && !/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(asText);
        let decoded: string | undefined;
        try {
          decoded = decodeText(buffer);
        } catch (error) {
          assert.ok(error instanceof InputError, String(error));
          assert.match(error.message, /^invalid input: stdin (is not UTF-8 text|holds control characters, not text)$/);
        }
        // The decoder drops one leading byte order mark, as UTF-8 readers do.
        assert.equal(decoded, isText ? asText.replace(/^\ufeff/, '') : undefined);
      }),
      { seed: TEST_SEED, numRuns: 600 },
    );
    t.diagnostic(seedNote(600, 'decodeText'));
  });

  it('readBoundedInput returns the whole input up to the limit, and refuses one byte more, however it is cut', async (t) => {
    const chunked = fc.tuple(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 12 }), fc.integer({ min: 0, max: 2000 }));
    await fc.assert(
      fc.asyncProperty(chunked, async ([chunks, limit]) => {
        const whole = Buffer.concat(chunks.map((chunk) => Buffer.from(chunk)));
        const read = readBoundedInput(Readable.from(chunks.map((chunk) => Buffer.from(chunk))), limit, 60_000);
        if (whole.length <= limit) assert.deepEqual(await read, whole);
        else await assert.rejects(read, (error: unknown) => error instanceof InputError && /^input too large: more than \d+ bytes on stdin$/.test(error.message));
      }),
      { seed: TEST_SEED, numRuns: 150 },
    );
    t.diagnostic(seedNote(150, 'readBoundedInput'));
  });
});

describe('get', () => {
  it('answers as the reference model says: a token for an ECR host, Docker\'s "not found" for any other', async (t) => {
    await fc.assert(
      fc.asyncProperty(serverUrl, async (input) => {
        const world = verbWorld(home, 'token');
        const outcome = await get(input, world.context);
        const expected = modelRegistry(input.trim());
        if (input.trim() === '') {
          assert.deepEqual(outcome, { exitCode: 1, stdout: 'no credentials server URL\n' });
        } else if (expected === undefined) {
          assert.equal(outcome.exitCode, 1);
          assert.equal(outcome.stdout, NOT_FOUND);
          if (outcome.stderr !== undefined) assert.match(outcome.stderr, TERMINAL_LINE);
          assert.deepEqual(world.asked, [], 'no token asked for');
        } else {
          assert.deepEqual(world.asked, [expected]);
          assert.equal(outcome.exitCode, 0);
          assert.equal(outcome.stdout, `${JSON.stringify({ ServerURL: input.trim(), Username: 'AWS', Secret: secretFor(expected) })}\n`);
        }
      }),
      { seed: TEST_SEED, numRuns: 600 },
    );
    t.diagnostic(seedNote(600, 'get with AWS answering'));
  });

  it('when AWS fails: one line naming the host for a private registry, "not found" for ECR Public and the rest', async (t) => {
    await fc.assert(
      fc.asyncProperty(serverUrl, async (input) => {
        const outcome = await get(input, verbWorld(home, 'failure').context);
        const expected = modelRegistry(input.trim());
        assert.equal(outcome.exitCode, 1);
        assert.match(outcome.stdout, ONE_LINE);
        if (outcome.stderr !== undefined) assert.match(outcome.stderr, TERMINAL_LINE);
        if (expected?.kind === 'private') {
          assert.equal(outcome.stdout, `cannot get an ECR token for ${expected.host}: ThrottlingException: Rate exceeded\n`);
          assert.equal(outcome.stderr, `docker-credential-ecr-login: ${outcome.stdout}`);
        } else if (input.trim() !== '') {
          assert.equal(outcome.stdout, NOT_FOUND);
        }
      }),
      { seed: TEST_SEED, numRuns: 300 },
    );
    t.diagnostic(seedNote(300, 'get with AWS failing'));
  });
});

describe('store and erase', () => {
  for (const ignoreCredsStorage of [false, true]) {
    it(`store${ignoreCredsStorage ? ' with AWS_ECR_IGNORE_CREDS_STORAGE=true' : ''}: succeeds with nothing printed exactly as section 1 says, else one line; the Secret is never repeated`, (t) => {
      const env = ignoreCredsStorage ? { AWS_ECR_IGNORE_CREDS_STORAGE: 'true' } : {};
      fc.assert(
        fc.property(storePayload, (text) => {
          const outcome = store(text, verbWorld(home, 'token', env).context);
          if (storeSucceeds(text, ignoreCredsStorage)) {
            assert.deepEqual(outcome, { exitCode: 0, stdout: '' }, text);
          } else {
            assert.equal(outcome.exitCode, 1, text);
            assert.match(outcome.stdout, /^(invalid credentials payload: [^\n]+|no credentials server URL|no credentials username|not implemented)\n$/);
          }
          assertNoCanary(outcome.stdout, outcome.stderr);
        }),
        { seed: TEST_SEED, numRuns: 300 },
      );
      t.diagnostic(seedNote(300, 'store'));
    });
  }

  it('erase: succeeds for an ECR host, "not implemented" for another, "no credentials server URL" for nothing', (t) => {
    fc.assert(
      fc.property(serverUrl, (input) => {
        const outcome = erase(input, verbWorld(home, 'token').context);
        const trimmed = input.trim();
        if (trimmed === '') assert.deepEqual(outcome, { exitCode: 1, stdout: 'no credentials server URL\n' });
        else if (modelRegistry(trimmed) !== undefined) assert.deepEqual(outcome, { exitCode: 0, stdout: '' });
        else assert.deepEqual(outcome, { exitCode: 1, stdout: 'not implemented\n' });
      }),
      { seed: TEST_SEED, numRuns: 300 },
    );
    t.diagnostic(seedNote(300, 'erase'));
  });
});

describe('get-credentials', () => {
  it('the response the kubelet decodes, keyed by the image\'s registry as written, or one line on stderr and nothing on stdout', async (t) => {
    let served = 0;
    await fc.assert(
      fc.asyncProperty(kubeletRequest, async (text) => {
        const outcome = await getCredentials(() => Promise.resolve(text), verbWorld(home, 'token').context);
        assertNoCanary(outcome.stdout, outcome.stderr);
        if (assertKubeletAnswer(text, outcome, (registry, password) => password === secretFor(registry))) served += 1;
      }),
      { seed: TEST_SEED, numRuns: 600 },
    );
    t.diagnostic(`${seedNote(600, 'get-credentials')}: ${served} served`);
    assert.ok(served > 30, 'the generator reaches the success path');
  });
});
