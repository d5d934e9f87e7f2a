/**
 * Token lifetimes end to end (docs/SPEC.md section 4): the real bin/ against the ECR emulator,
 * with the helper's clock set apart from the emulator's (test/support/clock-offset) as on a
 * machine whose clock is wrong, and with the expiry ECR answers set to odd values. What is
 * checked: what is served, what is written in the cache, and when ECR is asked again.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseEntry, type CacheEntry } from '../../src/cache/entry';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { cleanEnv, makeTempHome, runHelper, type Env, type HelperResult } from '../support/helper-process';

const HOUR = 60 * 60 * 1000;
const KEY = 'AKIDEXPIRYTESTS';
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const CLOCK_MODULE = join(__dirname, '..', 'support', 'clock-offset.js');

let ecr: EcrEmulator;
const cleanups: Array<() => void> = [];
before(async () => {
  ecr = await startEcrEmulator({ credentials: { [KEY]: 'expiry-secret' } });
});
after(async () => {
  await ecr.close();
  for (const cleanup of cleanups) cleanup();
});
beforeEach(() => ecr.reset());

function freshHome(): string {
  const { home, cleanup } = makeTempHome('ecr-login-expiry-');
  cleanups.push(cleanup);
  return home;
}

/** A get in `home`, with the helper's clock `offsetMs` away from the true time (the emulator's). */
function get(home: string, offsetMs = 0, extra: Env = {}): Promise<HelperResult> {
  const env = cleanEnv(home, {
    AWS_ACCESS_KEY_ID: KEY,
    AWS_SECRET_ACCESS_KEY: 'expiry-secret',
    AWS_ENDPOINT_URL_ECR: ecr.url,
    NODE_OPTIONS: `--require ${CLOCK_MODULE}`,
    ECR_LOGIN_TEST_CLOCK_OFFSET_MS: String(offsetMs),
    ...extra,
  });
  return runHelper(['get'], { env, input: HOST });
}

function assertServed(result: HelperResult): string {
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const answer = JSON.parse(result.stdout) as { Username: string; Secret: string };
  assert.equal(answer.Username, 'AWS');
  return answer.Secret;
}

function entries(home: string): CacheEntry[] {
  const dir = join(home, '.ecr', 'tokens');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as CacheEntry);
}

/** Successful answers ECR gave (a clock far off costs one refused attempt first, which the SDK corrects). */
const tokensIssued = (): number => ecr.calls.filter((call) => call.status === 200).length;

describe('a local clock far behind AWS', () => {
  const behind = -24 * HOUR;

  it('keeps a token 12 hours by the local clock, fresh for 6: at +7 hours it is asked for again', async () => {
    const home = freshHome();
    const first = assertServed(await get(home, behind));
    const [entry] = entries(home);
    assert.ok(entry !== undefined, 'the token was cached');
    assert.ok(entry.expiresAt - entry.issuedAt <= 12 * HOUR, `kept ${(entry.expiresAt - entry.issuedAt) / HOUR} hours`);
    assert.equal(assertServed(await get(home, behind + HOUR)), first, 'an hour later: a hit');
    assert.equal(tokensIssued(), 1);
    assert.notEqual(assertServed(await get(home, behind + 7 * HOUR)), first, 'seven hours later: past half its life, a new token');
    assert.equal(tokensIssued(), 2);
  });

  it('never serves the token after its 12 hours, even when ECR fails', async () => {
    const home = freshHome();
    assertServed(await get(home, behind));
    ecr.inject({ kind: 'throttle' });
    const late = await get(home, behind + 13 * HOUR);
    assert.equal(late.code, 1, 'thirteen hours on, the cached token is dead: not served');
    assert.match(late.stdout, /^cannot get an ECR token for .*ThrottlingException/);
  });
});

describe('a local clock far ahead of AWS', () => {
  it('serves each token once and keeps none: every get asks ECR', async () => {
    const home = freshHome();
    const first = assertServed(await get(home, 24 * HOUR));
    assert.deepEqual(entries(home), [], 'nothing written');
    const second = assertServed(await get(home, 24 * HOUR));
    assert.notEqual(second, first);
    assert.equal(tokensIssued(), 2);
  });
});

describe('odd expiry times from ECR', () => {
  it('a century ahead: kept 12 hours, not for decades', async () => {
    const home = freshHome();
    ecr.setExpiresAt(Date.now() / 1000 + 100 * 365 * 24 * 3600);
    assertServed(await get(home));
    const [entry] = entries(home);
    assert.equal(entry !== undefined && entry.expiresAt - entry.issuedAt, 12 * HOUR);
    assert.notEqual(entry && parseEntry(JSON.stringify(entry)), undefined);
  });

  for (const [label, seconds] of [
    ['1e20 seconds, which no Date can hold', 1e20],
    ['-1e20 seconds', -1e20],
    ['the epoch', 0],
    ['a minute ago', () => Date.now() / 1000 - 60],
  ] as const) {
    it(`${label}: served once, kept nowhere, no error`, async () => {
      const home = freshHome();
      ecr.setExpiresAt(typeof seconds === 'function' ? seconds() : seconds);
      const first = await get(home);
      assertServed(first);
      assert.equal(first.stderr, '', 'nothing on the terminal');
      assert.deepEqual(entries(home), [], 'nothing written');
      assertServed(await get(home));
      assert.equal(tokensIssued(), 2, 'the next get asks again');
    });
  }
});
