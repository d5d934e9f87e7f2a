/**
 * `store` and `erase` through the real bin/ with generated stdin: Docker's credentials JSON with
 * every field of every type, server URLs of every kind, junk. Every run well behaved
 * (bin-runs.ts), succeeding exactly as docs/SPEC.md section 1's table says, and the Secret a
 * client handed over never repeated, on a stream or in the log.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, it } from 'node:test';
import fc from 'fast-check';
import { cleanEnv, makeTempHome, runHelper } from '../support/helper-process';
import { assertNoCanaryInLog, assertWellBehaved, RUN_BOUND_MS, runGenerated } from './bin-runs';
import { modelRegistry } from './ecr-host-model';
import { serverUrl, storePayload } from './generators';
import { storeSucceeds } from './protocol-model';

const { home, cleanup } = makeTempHome('ecr-login-property-store-');
after(cleanup);
const env = cleanEnv(home, { AWS_ECR_LOG_LEVEL: 'trace' });

const run = fc.oneof(
  storePayload.map((input) => ({ verb: 'store' as const, input })),
  serverUrl.map((input) => ({ verb: 'erase' as const, input })),
);

it('store and erase: every run well behaved, succeeding as section 1 says, never repeating the Secret', async (t) => {
  let succeeded = 0;
  await runGenerated(
    t,
    'store and erase',
    run,
    200,
    ({ verb, input }) => runHelper([verb], { env, input, timeoutMs: RUN_BOUND_MS + 5000 }),
    ({ verb, input }, result) => {
      assertWellBehaved(result, { stdoutOnError: 'one-line' });
      const valid = Buffer.byteLength(input) <= 4096 && !/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(input);
      const succeeds = valid && (verb === 'store' ? storeSucceeds(input) : input.trim() !== '' && modelRegistry(input.trim()) !== undefined);
      assert.equal(result.code, succeeds ? 0 : 1, `${verb} ${JSON.stringify(input)}`);
      if (succeeds) {
        succeeded += 1;
        assert.equal(result.stdout, '');
      } else if (valid) {
        assert.match(result.stdout, /^(invalid credentials payload: [^\n]+|no credentials server URL|no credentials username|not implemented)\n$/);
      }
    },
  );
  t.diagnostic(`${succeeded} succeeded`);
  assert.ok(succeeded > 10, 'the generator reaches success');
  assertNoCanaryInLog(join(home, '.ecr'));
});
