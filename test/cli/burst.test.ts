/**
 * A node starting its day (issues 8 and 10): 8 registries × 8 parallel `get`s through the real
 * bin/ on a cold cache, on a machine whose cores are kept busy. One ECR call per registry, the
 * right token for all 64, however starved the leaders are: a live leader's lock is never taken,
 * and waiters sleep until the lock file changes instead of polling. Counts and answers only,
 * never elapsed time (the wall time is the bench's business: npm run bench).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT, assertNoFlightLeftovers, assertServed, burst, burstGet, cacheWorld, countingFullPathLoads, secretOf } from '../support/cache-world';
import { startCpuLoad, type CpuLoad } from '../support/cpu-load';

const KEY_ID = 'AKIDBURSTTESTS';
const world = cacheWorld({ [KEY_ID]: 'burst-tests-secret-access-key' }, KEY_ID);
const REGIONS = ['eu-west-1', 'us-east-1', 'us-west-2', 'ap-south-1', 'sa-east-1', 'eu-central-1', 'ap-northeast-1', 'ca-central-1'];

describe('a burst on a busy machine', () => {
  let load: CpuLoad;
  before(() => {
    load = startCpuLoad(2);
  });
  after(() => load.stop());

  it('8 registries × 8 parallel gets on a cold cache: exactly 8 calls, 64 correct answers, 8 processes loading the full command line', async () => {
    const { env, fullPathLoads } = countingFullPathLoads(world.freshEnv());
    const hostIn = (region: string): string => `${ACCOUNT}.dkr.ecr.${region}.amazonaws.com`;
    const results = await burst(8 * REGIONS.length, async (index) => {
      const region = REGIONS[index % REGIONS.length] ?? '';
      return { region, result: await burstGet(env, hostIn(region)) };
    });
    const { calls, issued } = world.emulator;
    const started = Math.min(...calls.map((call) => call.at));
    const seen = JSON.stringify(calls.map((call) => [call.region, call.attempt ?? 1, call.status, call.at - started]));
    assert.deepEqual(calls.map((call) => call.region).sort(), [...REGIONS].sort(), `one call per registry; [region, attempt, status, ms after the first]: ${seen}`);
    // Every failing helper at once, with the calls: which of them met a failure tells how it came.
    const failed = results.filter(({ result }) => result.code !== 0).map(({ region, result }) => `${region}: exit ${result.code} after ${Math.round(result.elapsedMs)} ms: ${result.stdout.trim()}`);
    assert.deepEqual(failed, [], `calls [region, attempt, status, ms after the first]: ${seen}`);
    const issuedIn = new Map(issued.map((token) => [token.region, token.password]));
    for (const { region, result } of results) {
      assertServed(result, hostIn(region));
      assert.equal(secretOf(result), issuedIn.get(region), `${region}: the token ECR issued for it`);
    }
    assert.equal(fullPathLoads(), REGIONS.length, 'the leaders alone');
    assertNoFlightLeftovers(env);
  });
});
