/**
 * Generated input through the real bin/, a few processes at a time: the checks every run must
 * pass whatever it was fed (docs/SPEC.md section 1), and a pool that runs the cases and reports
 * every failing one with what it was given.
 *
 * Every run: it ends by itself, with exit status 0 or 1, within the stdin bound plus 10 s (the
 * machine may be loaded); no stack trace on either stream; on exit 1 one line at most on stdout;
 * stderr a few short lines at most; no secret a client handed over repeated on either stream.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import fc from 'fast-check';
import { INPUT_TIME_LIMIT_MS } from '../../src/protocol/input';
import type { HelperResult } from '../support/helper-process';
import { seedNote, TEST_SEED } from '../support/seed';
import { PASSWORD_CANARY, STDIN_SECRET_CANARY } from './generators';

/** Documented bound on reading stdin, and 10 s more for a loaded machine. */
export const RUN_BOUND_MS = INPUT_TIME_LIMIT_MS + 10_000;
const PARALLEL = 4;
const MAX_STDERR_LINES = 4;
const MAX_STDERR_BYTES = 4096;

const STACK_TRACE = /\n\s+at |node:internal|\(\S+\.js:\d+:\d+\)|^\s*at \S+ \(/m;
/** The secrets a client hands over: a server URL's password, a store's Secret, a pod's token. */
export const CLIENT_SECRETS: readonly string[] = [PASSWORD_CANARY, STDIN_SECRET_CANARY];

/**
 * The checks of every run. `stdoutOnError`: `empty` for get-credentials, which prints nothing on
 * stdout when it refuses. `secrets`: the canaries that must appear on neither stream (on stdout
 * they may, where the answer is a token: `secretsAllowedOnStdout`).
 */
export function assertWellBehaved(
  result: HelperResult,
  options: { stdoutOnError: 'one-line' | 'empty'; secretsAllowedOnStdout?: boolean; secrets?: readonly string[] },
): void {
  assert.equal(result.signal, null, 'ended by itself, not killed after the bound');
  assert.ok(result.code === 0 || result.code === 1, `exit status ${result.code}`);
  assert.ok(result.elapsedMs <= RUN_BOUND_MS, `took ${Math.round(result.elapsedMs)} ms`);
  for (const stream of [result.stdout, result.stderr]) assert.doesNotMatch(stream, STACK_TRACE, 'no stack trace');
  if (result.code === 1) {
    if (options.stdoutOnError === 'empty') assert.equal(result.stdout, '');
    else assert.match(result.stdout, /^[^\n]+\n$/, 'one line on stdout');
  }
  assert.ok(Buffer.byteLength(result.stderr) <= MAX_STDERR_BYTES && result.stderr.split('\n').length - 1 <= MAX_STDERR_LINES, `stderr: ${result.stderr}`);
  for (const canary of (options.secrets ?? CLIENT_SECRETS).map((secret) => secret.toLowerCase())) {
    assert.equal(result.stderr.toLowerCase().includes(canary), false, 'a secret from stdin on stderr');
    if (!options.secretsAllowedOnStdout) assert.equal(result.stdout.toLowerCase().includes(canary), false, 'a secret from stdin on stdout');
  }
}

/** None of `secrets` in the log the helper wrote in `cacheDir`. */
export function assertNoCanaryInLog(cacheDir: string, secrets: readonly string[] = CLIENT_SECRETS): void {
  const log = join(cacheDir, 'log', 'ecr-login.jsonl');
  if (!existsSync(log)) return;
  const text = readFileSync(log, 'utf8').toLowerCase();
  for (const canary of secrets) assert.equal(text.includes(canary.toLowerCase()), false, `${canary} in the log`);
}

/**
 * Runs `numRuns` cases drawn from `arbitrary` (with the suite's seed) through `run`, PARALLEL at a
 * time, checks each with `check`, and fails with every failing case and its input.
 */
export async function runGenerated<T>(
  t: TestContext,
  what: string,
  arbitrary: fc.Arbitrary<T>,
  numRuns: number,
  run: (input: T) => Promise<HelperResult>,
  check: (input: T, result: HelperResult) => void,
): Promise<void> {
  const inputs = fc.sample(arbitrary, { seed: TEST_SEED, numRuns });
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < inputs.length; index = next++) {
      const input = inputs[index] as T;
      const result = await run(input);
      try {
        check(input, result);
      } catch (error) {
        failures.push(`case ${index}: ${JSON.stringify(input, (_, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value))}\n  exit ${result.code}, stdout ${JSON.stringify(result.stdout.slice(0, 300))}, stderr ${JSON.stringify(result.stderr.slice(0, 300))}\n  ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  t.diagnostic(seedNote(numRuns, `the real bin/ (${what}, ${PARALLEL} at a time)`));
  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${numRuns} runs failed (seed ${TEST_SEED})`);
}
