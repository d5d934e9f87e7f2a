/**
 * A miss signed with static keys is sent without the AWS SDK (src/aws/direct-token.ts). Here the
 * real helper makes the same call both ways, against the same emulator and its faults: once as
 * it does, and once with an `endpoint_url` in the config file, which leaves the call to the SDK.
 * The answer, the exit code, the token and the number of calls must be the same; only who sent
 * them differs. And the SDK is loaded only when it makes a call.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEcrEmulator, type EcrEmulator, type EcrFault } from '../support/ecr-emulator';
import { cleanEnv, makeTempHome, runHelper, type Env } from '../support/helper-process';
import { startTlsFront, type TlsFront } from '../support/recording-proxy';
import { makeTlsFiles, type TlsFiles } from '../support/tls';

const KEY_ID = 'AKIDDIRECTCALL';
const SECRET = 'direct-call-secret';
const PRIVATE_HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const PUBLIC_HOST = 'public.ecr.aws';

let emulator: EcrEmulator;
let front: TlsFront;
let tls: TlsFiles;
const cleanups: Array<() => void> = [];

before(async () => {
  emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET } });
  const { home, cleanup } = makeTempHome('ecr-login-direct-tls-');
  cleanups.push(cleanup);
  tls = makeTlsFiles(join(home, 'tls'), 'localhost');
  front = await startTlsFront(Number(new URL(emulator.url).port), tls);
});

after(async () => {
  await front?.close();
  await emulator?.close();
  for (const cleanup of cleanups) cleanup();
});

type Way = 'direct' | 'sdk';

/** A fresh home with the cache's directory (so that code caches are made, and tell what was loaded). */
function envFor(way: Way, extra: Env = {}): { env: Env; home: string } {
  const { home, cleanup } = makeTempHome('ecr-login-direct-');
  cleanups.push(cleanup);
  mkdirSync(join(home, '.ecr'), { mode: 0o700 });
  const config = join(home, 'config');
  writeFileSync(config, way === 'sdk' ? `[default]\nendpoint_url = ${emulator.url}\n` : '[default]\nregion = eu-west-1\n');
  const env = cleanEnv(home, {
    AWS_ACCESS_KEY_ID: KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET,
    AWS_ENDPOINT_URL_ECR: emulator.url,
    AWS_ENDPOINT_URL_ECR_PUBLIC: emulator.url,
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    ...extra,
  });
  return { env, home };
}

interface Seen {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly calls: number;
  readonly senders: string[];
}

async function getWith(way: Way, host: string, faults: readonly EcrFault[], extra: Env = {}): Promise<Seen> {
  emulator.reset();
  for (const fault of faults) emulator.inject(fault);
  const { env } = envFor(way, { AWS_ECR_DISABLE_CACHE: '1', ...extra });
  const result = await runHelper(['get'], { env, input: host });
  const senders = emulator.calls.map((call) => (call.userAgent.startsWith('docker-credential-ecr-login/') ? 'helper' : /aws-sdk-js/.test(call.userAgent) ? 'sdk' : call.userAgent));
  // A token's secret is the emulator's latest: the same check for both ways, then left out of the comparison.
  if (result.code === 0) assert.equal(JSON.parse(result.stdout).Secret, emulator.issued.at(-1)?.password);
  return { code: result.code, stdout: result.code === 0 ? 'a token' : result.stdout, stderr: result.stderr, calls: emulator.calls.length, senders };
}

const CASES: ReadonlyArray<{ readonly what: string; readonly faults: readonly EcrFault[]; readonly direct: string[] }> = [
  { what: 'an answer', faults: [], direct: ['helper'] },
  { what: 'access denied', faults: [{ kind: 'access-denied' }], direct: ['helper'] },
  { what: 'a token that is not user:password', faults: [{ kind: 'malformed-token' }], direct: ['helper'] },
  { what: 'truncated JSON', faults: [{ kind: 'truncated-json' }], direct: ['helper'] },
  { what: 'a body that is not JSON', faults: [{ kind: 'malformed-json' }], direct: ['helper'] },
  { what: 'throttled on every call', faults: [{ kind: 'throttle' }], direct: ['helper', 'sdk', 'sdk'] },
  { what: 'throttled once', faults: [{ kind: 'throttle', times: 1 }], direct: ['helper', 'sdk'] },
  { what: 'HTTP 500 on every call', faults: [{ kind: 'server-error' }], direct: ['helper', 'sdk', 'sdk'] },
  { what: 'an HTML 503 page on every call', faults: [{ kind: 'http-503-html' }], direct: ['helper', 'sdk', 'sdk'] },
  { what: 'the connection reset once', faults: [{ kind: 'reset', times: 1 }], direct: ['helper', 'sdk'] },
  { what: 'the connection reset on every call', faults: [{ kind: 'reset' }], direct: ['helper', 'sdk', 'sdk'] },
];

describe('a miss with static keys, with and without the AWS SDK', () => {
  for (const { what, faults, direct } of CASES) {
    for (const host of [PRIVATE_HOST, PUBLIC_HOST]) {
      it(`${what}, ${host === PUBLIC_HOST ? 'ECR Public' : 'ECR'}: the same answer and calls both ways`, async () => {
        const bySdk = await getWith('sdk', host, faults);
        const byHelper = await getWith('direct', host, faults);
        assert.deepEqual(bySdk.senders, direct.map(() => 'sdk'), 'with endpoint_url in the config file, the SDK makes every call');
        assert.deepEqual(byHelper.senders, direct, 'the helper makes the first call, the SDK the retries');
        assert.deepEqual({ ...byHelper, senders: [] }, { ...bySdk, senders: [] });
      });
    }
  }

  it('the clock an hour behind: the answer\'s Date corrects it, in two calls both ways', async () => {
    const behind = { NODE_OPTIONS: `--require ${join(__dirname, '..', 'support', 'clock-offset.js')}`, ECR_LOGIN_TEST_CLOCK_OFFSET_MS: String(-3_600_000) };
    const bySdk = await getWith('sdk', PRIVATE_HOST, [], behind);
    const byHelper = await getWith('direct', PRIVATE_HOST, [], behind);
    assert.equal(bySdk.code, 0, bySdk.stdout + bySdk.stderr);
    assert.deepEqual(byHelper.senders, ['helper', 'sdk']);
    assert.deepEqual({ ...byHelper, senders: [] }, { ...bySdk, senders: [] });
  });
});

describe('the log of a miss with static keys', () => {
  it('warns, both ways, when AWS_PROFILE\'s static profile wins over environment keys', async () => {
    for (const way of ['sdk', 'direct'] as const) {
      emulator.reset();
      emulator.addCredentials('AKIDPROFILEKEYS', 'profile-secret');
      const { env, home } = envFor(way, { AWS_PROFILE: 'keys' });
      writeFileSync(env.AWS_SHARED_CREDENTIALS_FILE ?? '', '[keys]\naws_access_key_id = AKIDPROFILEKEYS\naws_secret_access_key = profile-secret\n');
      const result = await runHelper(['get'], { env, input: PRIVATE_HOST });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(result.stderr, '', 'nothing on the terminal');
      assert.deepEqual(emulator.calls.map((call) => call.accessKeyId), ['AKIDPROFILEKEYS'], `${way}: the profile's keys sign`);
      const log = readFileSync(join(home, '.ecr', 'log', 'ecr-login.jsonl'), 'utf8');
      const warning = log.split('\n').find((line) => line.includes('Multiple credential sources detected'));
      assert.ok(warning, `${way}: the warning reached the log`);
      assert.equal((JSON.parse(warning) as { level: number }).level, 40);
    }
  });
});

describe('what a miss loads', () => {
  const loaded = (home: string): string[] => readdirSync(join(home, '.ecr', 'fast-path-cache')).map((name) => name.split('.')[0] ?? name).sort();

  it('with static keys, answered: no AWS SDK, only the full command line and the logger', async () => {
    const { env, home } = envFor('direct');
    const result = await runHelper(['get'], { env, input: PRIVATE_HOST });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(loaded(home), ['full', 'logging']);
  });

  it('with the call left to the SDK: the SDK\'s bundle too', async () => {
    const { env, home } = envFor('sdk');
    const result = await runHelper(['get'], { env, input: PRIVATE_HOST });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(loaded(home), ['dependencies', 'full', 'logging']);
  });

  it('over TLS, trusting AWS_CA_BUNDLE\'s CA; without it, the same one line both ways and no call', async () => {
    const endpoint = { AWS_ENDPOINT_URL_ECR: `https://localhost:${front.port}` };
    emulator.reset();
    const trusted = await runHelper(['get'], { env: envFor('direct', { ...endpoint, AWS_CA_BUNDLE: tls.caCert }).env, input: PRIVATE_HOST });
    assert.equal(trusted.code, 0, trusted.stdout + trusted.stderr);
    assert.deepEqual(emulator.calls.map((call) => call.userAgent.split('/')[0]), ['docker-credential-ecr-login']);
    const bySdk = await getWith('sdk', PRIVATE_HOST, [], endpoint);
    const byHelper = await getWith('direct', PRIVATE_HOST, [], endpoint);
    assert.notEqual(byHelper.code, 0);
    assert.match(byHelper.stdout, /certificate/i);
    assert.deepEqual(byHelper, bySdk);
  });
});
