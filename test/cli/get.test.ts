/**
 * `get` end to end: the real bin/, the real AWS SDK, the project's ECR emulator on loopback.
 * The token cache is off here, so that every run reaches the emulator; cache.test.ts covers it.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { cleanEnv, makeTempHome, runHelper, type Env, type HelperResult } from '../support/helper-process';

const KEY_ID = 'AKIDGETTESTS';
const SECRET_KEY = 'get-tests-secret-access-key';
const ACCOUNT = '123456789012';
const HOST = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;

let emulator: EcrEmulator;
const { home, cleanup } = makeTempHome();
let env: Env;

before(async () => {
  emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET_KEY } });
  env = cleanEnv(home, {
    AWS_ACCESS_KEY_ID: KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET_KEY,
    AWS_ENDPOINT_URL_ECR: emulator.url,
    AWS_ENDPOINT_URL_ECR_PUBLIC: emulator.url,
    AWS_ECR_DISABLE_CACHE: '1',
  });
});
after(async () => {
  await emulator.close();
  cleanup();
});
beforeEach(() => emulator.reset());

const get = (input: string, extraEnv: Env = {}): Promise<HelperResult> => runHelper(['get'], { env: { ...env, ...extraEnv }, input });

function assertCredentialsOutput(result: HelperResult, serverUrl: string): void {
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const issued = emulator.issued.at(-1);
  assert.ok(issued, 'the emulator issued a token');
  assert.equal(result.stdout, `{"ServerURL":${JSON.stringify(serverUrl)},"Username":"AWS","Secret":${JSON.stringify(issued.password)}}\n`);
  assert.equal(result.stderr, '', 'nothing on the terminal: no Node or SDK warnings');
}

describe('get for a private registry', () => {
  it('answers the emulator token, calling ECR once in the host region for the host account', async () => {
    const result = await get(HOST);
    assertCredentialsOutput(result, HOST);
    assert.equal(emulator.calls.length, 1);
    assert.deepEqual(
      // Environment keys: the helper signs the call itself (src/aws/direct-token.ts), not the AWS SDK.
      { ...emulator.calls[0], at: 0, userAgent: emulator.calls[0]?.userAgent.replace(/\/[\w.-]+$/, '') },
      { service: 'ecr', operation: 'GetAuthorizationToken', region: 'eu-west-1', accessKeyId: KEY_ID, registryIds: [ACCOUNT], status: 200, at: 0, userAgent: 'docker-credential-ecr-login' },
    );
  });

  for (const input of [`${HOST}\n`, `https://${HOST}`, `https://${HOST}/v2/`, `${HOST}:443`, `HTTPS://${HOST.toUpperCase()}`, ` ${HOST} \r\n`]) {
    it(`echoes ${JSON.stringify(input)} trimmed as ServerURL`, async () => {
      const result = await get(input);
      assertCredentialsOutput(result, input.trim());
      assert.equal(emulator.calls[0]?.region, 'eu-west-1');
    });
  }

  for (const [host, region] of [
    [`${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn`, 'cn-north-1'],
    [`${ACCOUNT}.dkr.ecr.eusc-de-east-1.amazonaws.eu`, 'eusc-de-east-1'],
    [`${ACCOUNT}.dkr.ecr-fips.us-gov-west-1.amazonaws.com`, 'us-gov-west-1'],
    [`${ACCOUNT}.dkr-ecr.us-west-2.on.aws`, 'us-west-2'],
    [`${ACCOUNT}.dkr-ecr-fips.us-east-1.amazonaws.com`, 'us-east-1'],
    [`${ACCOUNT}.dkr.ecr.us-iso-east-1.c2s.ic.gov`, 'us-iso-east-1'],
    [`${ACCOUNT}.dkr.ecr.us-isob-east-1.sc2s.sgov.gov`, 'us-isob-east-1'],
    [`${ACCOUNT}.dkr.ecr.us-isof-south-1.csp.hci.ic.gov`, 'us-isof-south-1'],
    [`${ACCOUNT}.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk`, 'eu-isoe-west-1'],
  ]) {
    it(`${host} signs for ${region} (the endpoint override wins over FIPS and dual-stack)`, async () => {
      assertCredentialsOutput(await get(host), host);
      assert.equal(emulator.calls[0]?.region, region);
      assert.deepEqual(emulator.calls[0]?.registryIds, [ACCOUNT]);
    });
  }

  it('passes the session token of temporary credentials', async () => {
    emulator.addCredentials('ASIATEMPORARY', 'temporary-secret', 'session-token-value');
    const result = await get(HOST, { AWS_ACCESS_KEY_ID: 'ASIATEMPORARY', AWS_SECRET_ACCESS_KEY: 'temporary-secret', AWS_SESSION_TOKEN: 'session-token-value' });
    assertCredentialsOutput(result, HOST);
    assert.equal(emulator.calls[0]?.sessionToken, 'session-token-value');
  });
});

describe('get for ECR Public', () => {
  for (const host of ['public.ecr.aws', 'https://public.ecr.aws/', 'ecr-public.aws.com']) {
    it(`${host}: ECR Public GetAuthorizationToken in us-east-1`, async () => {
      assertCredentialsOutput(await get(host), host);
      assert.equal(emulator.calls.length, 1);
      assert.equal(emulator.calls[0]?.service, 'ecr-public');
      assert.equal(emulator.calls[0]?.region, 'us-east-1');
    });
  }
});

describe('get failures for a private registry: one line naming the cause, exit 1', () => {
  function assertFailure(result: HelperResult, pattern: RegExp): void {
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^[^\n]+\n$/, 'exactly one line');
    assert.match(result.stdout, new RegExp(`^cannot get an ECR token for ${HOST.replace(/\./g, '\\.')}: `));
    assert.match(result.stdout, pattern);
    assert.equal(result.stderr, `docker-credential-ecr-login: ${result.stdout}`, 'the same line on the terminal');
    assert.doesNotMatch(result.stdout + result.stderr, /\n\s+at /, 'no stack trace');
  }

  it('access denied: the AWS error code and message', async () => {
    emulator.inject({ kind: 'access-denied' });
    assertFailure(await get(HOST), /AccessDeniedException: User: arn:aws:iam::\S+ is not authorized to perform: ecr:GetAuthorizationToken/);
  });
  it('throttled on every attempt: ThrottlingException, after the SDK retried', async () => {
    emulator.inject({ kind: 'throttle' });
    assertFailure(await get(HOST), /ThrottlingException: Rate exceeded/);
    assert.equal(emulator.calls.length, 3);
  });
  it('throttled once: retried and served', async () => {
    emulator.inject({ kind: 'throttle', times: 1 });
    assertCredentialsOutput(await get(HOST), HOST);
    assert.deepEqual(emulator.calls.map((call) => call.status), [400, 200]);
  });
  it('a server error: its code and HTTP status', async () => {
    emulator.inject({ kind: 'server-error' });
    assertFailure(await get(HOST), /ServerException: .*\(HTTP 500\)/);
  });
  it('an HTML 503 page from a proxy: the status, not a parser error', async () => {
    emulator.inject({ kind: 'http-503-html' });
    assertFailure(await get(HOST), /HTTP 503 from the ECR API, with an answer that is not AWS JSON$/m);
  });
  it('a token that is not base64 of user:password is refused, not passed on', async () => {
    emulator.inject({ kind: 'malformed-token' });
    assertFailure(await get(HOST), /ECR answered with an unusable token: /);
  });
  it('wrong secret key: the signature error AWS gives', async () => {
    assertFailure(await get(HOST, { AWS_SECRET_ACCESS_KEY: 'not-the-secret' }), /InvalidSignatureException/);
  });
  it('an endpoint nobody listens on: where it tried', async () => {
    assertFailure(await get(HOST, { AWS_ENDPOINT_URL_ECR: 'http://127.0.0.1:9' }), /cannot reach the ECR API at http:\/\/127\.0\.0\.1:9: ECONNREFUSED/);
  });
  it('no credentials anywhere: the word credentials and the sources tried', async () => {
    const result = await get(HOST, { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
    assertFailure(result, /no AWS credentials found \(tried environment variables .*profile "default".*EC2 instance metadata \(disabled by AWS_EC2_METADATA_DISABLED\)\)/);
    assert.equal(emulator.calls.length, 0);
  });
  it('an answer slower than the request timeout is retried', async () => {
    emulator.inject({ kind: 'hang', times: 1 });
    assertCredentialsOutput(await get(HOST), HOST);
    assert.equal(emulator.calls.length, 2);
  });
  it('an endpoint that never answers ends in a bounded time with a clear line, never a hang', async () => {
    emulator.inject({ kind: 'hang' });
    const result = await get(HOST);
    assert.equal(result.signal, null, 'the helper ended by itself');
    assertFailure(result, /(no answer from AWS within \d+ s|cannot reach the ECR API at .*: timed out)/);
  });
});

describe('get failures for ECR Public: Docker may pull anonymously', () => {
  for (const fault of ['access-denied', 'throttle', 'server-error'] as const) {
    it(`${fault}: "credentials not found in native keychain" on stdout, the cause on stderr`, async () => {
      emulator.inject({ kind: fault });
      const result = await get('public.ecr.aws');
      assert.equal(result.code, 1);
      assert.equal(result.stdout, 'credentials not found in native keychain\n');
      assert.match(result.stderr, /^docker-credential-ecr-login: cannot get an ECR Public token, pulling anonymously: .+\n$/);
    });
  }
});

describe('secrets never reach the log or the terminal', () => {
  it('at trace level, through successes and failures', async () => {
    const { home: traceHome, cleanup: cleanTrace } = makeTempHome();
    try {
      // With the cache on: a token written to the cache must still never reach the log.
      const traceEnv = { HOME: traceHome, AWS_ECR_LOG_LEVEL: 'trace', AWS_SESSION_TOKEN: 'SESSIONTOKENSECRETVALUE', AWS_ECR_DISABLE_CACHE: '' };
      emulator.addCredentials(KEY_ID, SECRET_KEY);
      const results = [await get(HOST, traceEnv), await get('public.ecr.aws', traceEnv)];
      emulator.inject({ kind: 'access-denied', times: 1 });
      results.push(await get(`${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`, traceEnv));
      assert.match(results.at(-1)?.stdout ?? '', /AccessDeniedException/);
      results.push(await get(HOST, traceEnv));
      results.push(await runHelper(['list'], { env: { ...env, ...traceEnv } }));
      results.push(await runHelper(['store'], { env: { ...env, ...traceEnv }, input: JSON.stringify({ ServerURL: HOST, Username: 'AWS', Secret: 'DOCKERLOGINPASSWORD' }) }));
      const logDir = join(traceHome, '.ecr', 'log');
      const logText = readdirSync(logDir).map((name) => readFileSync(join(logDir, name), 'utf8')).join('\n');
      assert.match(logText, /"level":10|"level":20/, 'the run logged at its most verbose levels');
      const secrets = [SECRET_KEY, 'SESSIONTOKENSECRETVALUE', 'DOCKERLOGINPASSWORD', ...emulator.issued.flatMap((token) => [token.password, token.authorizationToken, token.password.slice(0, 64)])];
      assert.ok(emulator.issued.length >= 2);
      for (const secret of secrets) {
        assert.equal(logText.includes(secret), false, `log holds a secret (${secret.slice(0, 8)}…)`);
        for (const result of results) assert.equal(result.stderr.includes(secret), false, 'stderr holds a secret');
      }
      assert.doesNotMatch(logText, /AWS4-HMAC-SHA256|Signature=/);
    } finally {
      cleanTrace();
    }
  });
});
