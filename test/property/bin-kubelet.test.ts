/**
 * `get-credentials` through the real bin/ with generated CredentialProviderRequests, against the
 * emulators (ECR, and STS for pods' service account tokens): every run well behaved
 * (bin-runs.ts, nothing on stdout when it refuses), the answer section 8 says, and the service
 * account token never repeated, on a stream or in the log. (An image is quoted as written when it
 * is refused, `user:password@` and all: the kubelet never sends userinfo, its image references
 * have none.)
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { STATIC_KEYS, startCredentialWorld, type CredentialWorld, type Home } from '../support/credential-world';
import { runHelper } from '../support/helper-process';
import { TEST_SEED } from '../support/seed';
import { assertNoCanaryInLog, assertWellBehaved, RUN_BOUND_MS, runGenerated } from './bin-runs';
import { ecrHost, kubeletRequest, kubeletRequestOf, STDIN_SECRET_CANARY } from './generators';
import { assertKubeletAnswer } from './protocol-model';

let world: CredentialWorld;
let home: Home;
before(async () => {
  world = await startCredentialWorld();
  home = world.newHome();
});
after(() => world.close());

it('get-credentials: every run well behaved, the answer of section 8, the pod token nowhere', async (t) => {
  const env = home.env({ AWS_ACCESS_KEY_ID: 'AKIDENVALPHA', AWS_SECRET_ACCESS_KEY: STATIC_KEYS.AKIDENVALPHA });
  let served = 0;
  await runGenerated(
    t,
    'get-credentials',
    // Images of a few registries, so that most runs are cache hits; and the generator's own.
    fc.oneof({ weight: 3, arbitrary: kubeletRequestOf(fc.constantFrom(...fc.sample(ecrHost, { seed: TEST_SEED, numRuns: 4 }))) }, { weight: 1, arbitrary: kubeletRequest }),
    200,
    (text) => runHelper(['get-credentials'], { env, input: text, timeoutMs: RUN_BOUND_MS + 5000 }),
    (text, result) => {
      assertWellBehaved(result, { stdoutOnError: 'empty', secrets: [STDIN_SECRET_CANARY] });
      const issued = (password: string): boolean => world.ecr.issued.some((token) => token.password === password);
      if (assertKubeletAnswer(text, { exitCode: result.code, stdout: result.stdout, stderr: result.stderr }, (_, password) => issued(password))) served += 1;
    },
  );
  t.diagnostic(`${served} served, ${world.ecr.calls.length} calls to ECR, ${world.sts.calls.length} to STS`);
  assert.ok(served > 20, 'the generator reaches the success path');
  assert.deepEqual(home.blocked(), [], 'nothing beyond loopback was called');
  assertNoCanaryInLog(join(home.home, '.ecr'), [STDIN_SECRET_CANARY]);
});
