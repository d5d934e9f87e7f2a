/**
 * `get` through the real bin/ with generated stdin bytes, against the ECR emulator, for
 * bin-get-hosts.test.ts and bin-get-bytes.test.ts: each run must pass the checks of every run
 * (bin-runs.ts) and give the answer class of the reference model: a token the emulator issued
 * for that registry, or the documented line.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { MAX_INPUT_BYTES } from '../../src/protocol/input';
import { STATIC_KEYS, startCredentialWorld, type CredentialWorld, type Home } from '../support/credential-world';
import { runHelper } from '../support/helper-process';
import { TEST_SEED } from '../support/seed';
import { assertNoCanaryInLog, assertWellBehaved, RUN_BOUND_MS, runGenerated } from './bin-runs';
import { modelRegistry, type ModelRegistry } from './ecr-host-model';
import { ecrHost } from './generators';

let world: CredentialWorld;
let home: Home;

export const RUNS = 200;
/** A few registries, so that most runs are cache hits and the SDK is loaded only for a few misses. */
const registries = fc.sample(ecrHost, { seed: TEST_SEED, numRuns: 6 });
export const registry = fc.constantFrom(...registries);
export const utf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));

type Expected = { readonly line: string } | { readonly serverUrl: string; readonly registry: ModelRegistry };

/** Section 1: the bound, the text check, then the model's answer for the trimmed text. */
function expectedAnswer(bytes: Buffer): Expected {
  if (bytes.length > MAX_INPUT_BYTES) return { line: `input too large: more than ${MAX_INPUT_BYTES} bytes on stdin\n` };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { line: 'invalid input: stdin is not UTF-8 text\n' };
  }
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text)) return { line: 'invalid input: stdin holds control characters, not text\n' };
  const serverUrl = text.trim();
  if (serverUrl === '') return { line: 'no credentials server URL\n' };
  const registry = modelRegistry(serverUrl);
  return registry === undefined ? { line: 'credentials not found in native keychain\n' } : { serverUrl, registry };
}

/** The passwords the emulator issued for a registry: its service, and for a private one its account and region. */
function issuedFor(registry: ModelRegistry): string[] {
  return world.ecr.issued
    .filter((token) => (registry.kind === 'public' ? token.service === 'ecr-public' : token.service === 'ecr' && token.registryId === registry.accountId && token.region === registry.region))
    .map((token) => token.password);
}

/** Registers the test (and the emulators it needs): `what` generated stdin for `get`, every run checked. */
export function getWellBehaved(what: string, stdinBytes: fc.Arbitrary<Uint8Array>, minimumTokens: number): void {
  before(async () => {
    world = await startCredentialWorld();
    home = world.newHome();
  });
  after(() => world.close());
  it(`get with ${what}: every run well behaved, and the answer class of the reference model`, async (t) => {
    const env = home.env({ AWS_ACCESS_KEY_ID: 'AKIDENVALPHA', AWS_SECRET_ACCESS_KEY: STATIC_KEYS.AKIDENVALPHA });
    let tokens = 0;
    await runGenerated(
      t,
      `get with ${what}`,
      stdinBytes,
      RUNS,
      (bytes) => runHelper(['get'], { env, input: Buffer.from(bytes), timeoutMs: RUN_BOUND_MS + 5000 }),
      (bytes, result) => {
        const expected = expectedAnswer(Buffer.from(bytes));
        assertWellBehaved(result, { stdoutOnError: 'one-line', secretsAllowedOnStdout: 'registry' in expected });
        if ('line' in expected) {
          assert.equal(result.code, 1);
          assert.equal(result.stdout, expected.line);
          return;
        }
        assert.equal(result.code, 0, result.stdout);
        const answer = JSON.parse(result.stdout) as Record<string, string>;
        assert.deepEqual(Object.keys(answer), ['ServerURL', 'Username', 'Secret']);
        assert.equal(answer.ServerURL, expected.serverUrl);
        assert.equal(answer.Username, 'AWS');
        assert.ok(issuedFor(expected.registry).includes(answer.Secret ?? ''), `a token the emulator issued for ${expected.registry.host}`);
        tokens += 1;
      },
    );
    t.diagnostic(`${tokens} answered with a token, ${world.ecr.calls.length} calls to ECR`);
    assert.ok(tokens >= minimumTokens, 'the generator reaches the token path');
    assert.deepEqual(home.blocked(), [], 'nothing beyond loopback was called');
    assertNoCanaryInLog(join(home.home, '.ecr'));
  });
}
