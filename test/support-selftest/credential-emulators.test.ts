/**
 * Self-tests of the credential-source emulators (STS, IMDS, ECS, SSO), driven by
 * the REAL AWS SDK v3 credential providers.
 *
 * Isolation rules:
 *  - In-process tests pass every location explicitly (endpoint, region, file paths).
 *  - Providers that only read the environment (IMDS endpoint, container URIs,
 *    web identity env, SSO token cache under $HOME, endpoint_url from the
 *    default profile) run in a child `node -e` whose environment is built from
 *    scratch: { PATH, HOME: <temp>, …only what the test needs }.
 *  - A guard in this process and in every child refuses TCP connections to
 *    anything but loopback, so nothing can reach AWS even when an SDK setting
 *    is ignored; tests that probe such settings assert on what it refused.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';

import { fromHttp, fromIni, fromTemporaryCredentials, fromTokenFile } from '@aws-sdk/credential-providers';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/nested-clients/sts';
import { SignatureV4 } from '@smithy/signature-v4';

import { type EcsCredentialsEmulator, startEcsCredentialsEmulator } from '../support/ecs-credentials-emulator';
import { chainSecretLookups, sourceNamedAccessKeyId } from '../support/emulator-http';
import { type ImdsEmulator, startImdsEmulator } from '../support/imds-emulator';
import { type SsoEmulator, ssoTokenCachePath, startSsoEmulator, writeSsoTokenCache } from '../support/sso-emulator';
import { installLoopbackGuard } from '../support/loopback-guard';
import { type StsEmulator, makeWebIdentityToken, startStsEmulator } from '../support/sts-emulator';

// ---------------------------------------------------------------------------
// Loopback guard
// ---------------------------------------------------------------------------

/** Non-loopback hosts this process tried to reach (refused by the guard). */
const inProcessBlocked: string[] = [];
installLoopbackGuard((host) => inProcessBlocked.push(host));
const LOOPBACK_GUARD_MODULE = join(__dirname, '..', 'support', 'loopback-guard.js');

// ---------------------------------------------------------------------------
// Child processes with an environment built from scratch
// ---------------------------------------------------------------------------

const PROVIDERS_MODULE = require.resolve('@aws-sdk/credential-providers');
const IMDS_MODULE = require.resolve('@smithy/credential-provider-imds');

interface ChildError {
  name?: string;
  message?: string;
  Code?: string;
  code?: string;
  statusCode?: number;
  httpStatusCode?: number;
}
interface ChildResult {
  ok: boolean;
  value?: { accessKeyId?: string; secretAccessKey?: string; sessionToken?: string; expiration?: string; [k: string]: unknown };
  error?: ChildError;
  /** ms from `timer.start` (set right before the provider call) to settlement. */
  elapsedMs: number;
  /** Non-loopback hosts the guard refused. */
  blocked: string[];
  stderr: string;
}

const tempDirs: string[] = [];
function tempHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cred-emu-'));
  tempDirs.push(dir);
  return dir;
}

/**
 * Runs `body` (the inside of an async function that returns the provider's
 * result; `cp` is @aws-sdk/credential-providers, `imds` is
 * @smithy/credential-provider-imds, `timer.start` may be reset) in a child node.
 */
function runInChild(body: string, env: Record<string, string>, timeoutMs = 30_000): Promise<ChildResult> {
  const script = `
const guard = { blocked: [] };
require(${JSON.stringify(LOOPBACK_GUARD_MODULE)}).installLoopbackGuard((host) => guard.blocked.push(host));
const cp = require(${JSON.stringify(PROVIDERS_MODULE)});
const imds = require(${JSON.stringify(IMDS_MODULE)});
const timer = { start: Date.now() };
const out = (r) => process.stdout.write('\\n@@RESULT@@' + JSON.stringify({ ...r, elapsedMs: Date.now() - timer.start, blocked: guard.blocked }) + '\\n');
(async () => { ${body} })().then(
  (value) => out({ ok: true, value }),
  (e) => out({ ok: false, error: { name: e && e.name, message: e && e.message, Code: e && e.Code, code: e && e.code,
    statusCode: e && e.statusCode, httpStatusCode: e && e.$metadata && e.$metadata.httpStatusCode } }),
);`;
  const fullEnv: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { env: fullEnv, cwd: fullEnv['HOME'] ?? tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      const line = stdout.split('\n').find((l) => l.startsWith('@@RESULT@@'));
      if (!line) {
        reject(new Error(`child exited ${String(code)} without a result\nstdout: ${stdout}\nstderr: ${stderr}`));
        return;
      }
      resolve({ ...(JSON.parse(line.slice('@@RESULT@@'.length)) as Omit<ChildResult, 'stderr'>), stderr });
    });
  });
}

function okValue(result: ChildResult): NonNullable<ChildResult['value']> {
  assert.ok(result.ok, `expected success, got ${JSON.stringify(result.error)}\nstderr: ${result.stderr}`);
  assert.ok(result.value);
  return result.value;
}

function failure(result: ChildResult): ChildError {
  assert.equal(result.ok, false, `expected failure, got ${JSON.stringify(result.value)}`);
  assert.ok(result.error);
  return result.error;
}

function writeFile(dir: string, name: string, content: string): string {
  const file = join(dir, name);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, content);
  return file;
}

// ---------------------------------------------------------------------------
// SigV4 signing of GetCallerIdentity (not in the nested STS client)
// ---------------------------------------------------------------------------

class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    const key =
      typeof this.secret === 'string'
        ? Buffer.from(this.secret)
        : ArrayBuffer.isView(this.secret)
          ? Buffer.from(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength)
          : Buffer.from(this.secret);
    return createHmac('sha256', key);
  }
  update(data: string | Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

async function signedStsCall(
  url: string,
  body: string,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  region = 'us-east-1',
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  const signer = new SignatureV4({ credentials, region, service: 'sts', sha256: NodeSha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname,
    port: Number(port),
    path: '/',
    query: {},
    headers: { host: `${hostname}:${port}`, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port: Number(port), method: 'POST', path: '/', headers: signed.headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------------------
// Shared emulators
// ---------------------------------------------------------------------------

const STATIC_ID = 'AKIDSTATICBASE';
const STATIC_SECRET = 'static-base-secret';
const SSO_ACCESS_TOKEN = 'emulated-sso-access-token';
const ECS_AUTH_TOKEN = 'emulated-ecs-auth-token';

let sts: StsEmulator;
let imds: ImdsEmulator;
let ecs: EcsCredentialsEmulator;
let sso: SsoEmulator;

before(async () => {
  imds = await startImdsEmulator({ roleName: 'ec2-ecr-reader' });
  ecs = await startEcsCredentialsEmulator({ authToken: ECS_AUTH_TOKEN, roleArn: 'arn:aws:iam::123456789012:role/task-ecr-reader' });
  sso = await startSsoEmulator({ accessTokens: [SSO_ACCESS_TOKEN] });
  sts = await startStsEmulator({
    credentials: { [STATIC_ID]: { secretAccessKey: STATIC_SECRET, arn: 'arn:aws:iam::123456789012:user/ci' } },
    lookupSecret: chainSecretLookups(imds.secretFor, ecs.secretFor, sso.secretFor),
  });
});

beforeEach(() => {
  for (const emulator of [sts, imds, ecs, sso]) emulator.reset();
  ecs.setAuthToken(ECS_AUTH_TOKEN);
  sso.addAccessToken(SSO_ACCESS_TOKEN);
});

afterEach(() => {
  assert.deepEqual(inProcessBlocked, [], 'an in-process test tried to reach a non-loopback address');
});

after(async () => {
  await Promise.all([sts, imds, ecs, sso].filter(Boolean).map((e) => e.close()));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------
// Shared plumbing
// ---------------------------------------------------------------------------

describe('emulator plumbing', () => {
  test('access key ids name their source and stay unique', () => {
    assert.equal(sourceNamedAccessKeyId('ASIASTSASSUMED', 'ecr-puller', 1), 'ASIASTSASSUMEDECRPULLE001');
    assert.equal(sourceNamedAccessKeyId('ASIAIMDS', 'x', 46656 - 1), 'ASIAIMDSXZZZ');
  });

  test('close() ends hung requests and in-flight latency', async () => {
    const lone = await startImdsEmulator();
    lone.inject({ kind: 'hang', operation: 'GetToken' });
    const outcome = new Promise<string>((resolve) => {
      const req = httpRequest(`${lone.url}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } }, () =>
        resolve('answered'),
      );
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      req.end();
    });
    while (lone.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(lone.calls[0]?.fault, 'hang');
    assert.equal(lone.calls[0]?.status, 0);
    await lone.close();
    assert.equal(await outcome, 'ECONNRESET');
  });

  test('faults are consumed in order, scoped by operation and times', async () => {
    imds.inject({ kind: 'server-error', status: 503, times: 1, operation: 'GetRoleCredentials' });
    imds.inject({ kind: 'server-error', times: 1 });
    const get = (path: string, method = 'GET', headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(`${imds.url}${path}`, { method, headers }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    assert.equal((await get('/latest/api/token', 'PUT', { 'x-aws-ec2-metadata-token-ttl-seconds': '60' })).status, 500);
    const token = await get('/latest/api/token', 'PUT', { 'x-aws-ec2-metadata-token-ttl-seconds': '60' });
    assert.equal(token.status, 200);
    const auth = { 'x-aws-ec2-metadata-token': token.body };
    assert.equal((await get('/latest/meta-data/iam/security-credentials/', 'GET', auth)).body, 'ec2-ecr-reader');
    assert.equal((await get('/latest/meta-data/iam/security-credentials/ec2-ecr-reader', 'GET', auth)).status, 503);
    assert.equal((await get('/latest/meta-data/iam/security-credentials/ec2-ecr-reader', 'GET', auth)).status, 200);
    assert.equal((await get('/latest/meta-data/iam/security-credentials/ec2-ecr-reader')).status, 401, 'IMDSv2 required');
    assert.equal((await get('/latest/meta-data/iam/security-credentials-extended/', 'GET', auth)).status, 404);
    assert.equal((await get('/latest/api/token', 'PUT')).status, 400, 'TTL header required');
    assert.deepEqual(
      imds.calls.map((c) => [c.operation, c.status]),
      [
        ['GetToken', 500],
        ['GetToken', 200],
        ['ListRoles', 200],
        ['GetRoleCredentials', 503],
        ['GetRoleCredentials', 200],
        ['GetRoleCredentials', 401],
        ['ListRolesExtended', 404],
        ['GetToken', 400],
      ],
    );
  });

  test('latency delays the answer', async () => {
    sso.inject({ kind: 'latency', delayMs: 300, times: 1 });
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${sso.url}/federation/credentials?role_name=r&account_id=1`, { headers: { 'x-amz-sso_bearer_token': SSO_ACCESS_TOKEN } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end();
    });
    assert.ok(Date.now() - started >= 290);
    assert.equal(sso.calls[0]?.fault, 'latency');
    assert.equal(sso.calls[0]?.status, 200);
  });
});

// ---------------------------------------------------------------------------
// STS
// ---------------------------------------------------------------------------

describe('STS emulator', () => {
  const ROLE = 'arn:aws:iam::111122223333:role/ecr-puller';

  test('fromTemporaryCredentials (explicit endpoint) assumes a role signed with static keys', async () => {
    const provider = fromTemporaryCredentials({
      masterCredentials: { accessKeyId: STATIC_ID, secretAccessKey: STATIC_SECRET },
      params: { RoleArn: ROLE, RoleSessionName: 'selftest' },
      clientConfig: { endpoint: sts.url, region: 'eu-west-1' },
    });
    const creds = await provider();
    assert.match(creds.accessKeyId, /^ASIASTSASSUMEDECRPULLE/);
    assert.equal(creds.secretAccessKey, sts.secretFor(creds.accessKeyId));
    assert.equal(creds.sessionToken, sts.issued[0]?.sessionToken);
    assert.ok(creds.expiration && creds.expiration.getTime() > Date.now() + 50 * 60_000);
    assert.equal(sts.calls.length, 1);
    const call = sts.calls[0]!;
    assert.equal(call.operation, 'AssumeRole');
    assert.equal(call.identity, STATIC_ID);
    assert.equal(call.params['RoleArn'], ROLE);
    assert.equal(call.params['RoleSessionName'], 'selftest');
    assert.equal(call.params['signingRegion'], 'eu-west-1');
    assert.equal(call.status, 200);
    assert.deepEqual(
      { source: sts.issued[0]?.source, detail: sts.issued[0]?.detail },
      { source: 'sts:AssumeRole', detail: ROLE },
    );
  });

  test('the SDK STS client parses AssumedRoleUser and Expiration', async () => {
    const client = new STSClient({ endpoint: sts.url, region: 'us-east-1', credentials: { accessKeyId: STATIC_ID, secretAccessKey: STATIC_SECRET } });
    try {
      const out = await client.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'direct', DurationSeconds: 900 }));
      assert.equal(out.AssumedRoleUser?.Arn, 'arn:aws:sts::111122223333:assumed-role/ecr-puller/direct');
      assert.match(out.AssumedRoleUser?.AssumedRoleId ?? '', /^AROA[A-Z0-9]{17}:direct$/);
      assert.ok(out.Credentials?.Expiration instanceof Date);
      const ttl = out.Credentials.Expiration.getTime() - Date.now();
      assert.ok(ttl > 880_000 && ttl <= 900_000, `ttl ${ttl}`);
      assert.equal(out.$metadata.httpStatusCode, 200);
      assert.ok(out.$metadata.requestId);
    } finally {
      client.destroy();
    }
  });

  test('fromIni role chain: static source_profile → role A → role B (B signed with A’s issued key)', async () => {
    const dir = tempHome();
    const filepath = writeFile(dir, 'credentials', `[base]\naws_access_key_id = ${STATIC_ID}\naws_secret_access_key = ${STATIC_SECRET}\n`);
    const configFilepath = writeFile(
      dir,
      'config',
      [
        '[profile first]',
        'role_arn = arn:aws:iam::111122223333:role/first-hop',
        'source_profile = base',
        'role_session_name = hop1',
        '[profile second]',
        'role_arn = arn:aws:iam::444455556666:role/second-hop',
        'source_profile = first',
        'role_session_name = hop2',
        '',
      ].join('\n'),
    );
    const creds = await fromIni({ filepath, configFilepath, profile: 'second', clientConfig: { endpoint: sts.url, region: 'us-west-2' } })();
    assert.match(creds.accessKeyId, /^ASIASTSASSUMEDSECONDHO/);
    assert.equal(sts.calls.length, 2);
    const [first, second] = sts.calls;
    assert.equal(first?.identity, STATIC_ID);
    assert.equal(first?.params['RoleArn'], 'arn:aws:iam::111122223333:role/first-hop');
    assert.match(second?.identity ?? '', /^ASIASTSASSUMEDFIRSTHOP/);
    assert.equal(second?.params['RoleArn'], 'arn:aws:iam::444455556666:role/second-hop');
    assert.equal(second?.params['RoleSessionName'], 'hop2');
    assert.equal(second?.status, 200);
  });

  test('AccessDenied for one role ARN surfaces with code AccessDenied and the ARN; other roles still work', async () => {
    const denied = 'arn:aws:iam::111122223333:role/forbidden';
    sts.inject({ kind: 'access-denied', roleArn: denied });
    const master = { accessKeyId: STATIC_ID, secretAccessKey: STATIC_SECRET };
    const clientConfig = { endpoint: sts.url, region: 'us-east-1' };
    await assert.rejects(fromTemporaryCredentials({ masterCredentials: master, params: { RoleArn: denied }, clientConfig })(), (err: Error & Record<string, unknown>) => {
      assert.equal(err.name, 'AccessDenied');
      assert.equal(err['Code'], 'AccessDenied');
      assert.equal((err['$metadata'] as { httpStatusCode?: number }).httpStatusCode, 403);
      assert.equal(err.message, `User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole on resource: ${denied}`);
      return true;
    });
    const ok = await fromTemporaryCredentials({ masterCredentials: master, params: { RoleArn: ROLE }, clientConfig })();
    assert.match(ok.accessKeyId, /^ASIASTSASSUMED/);
    assert.deepEqual(
      sts.calls.map((c) => [c.status, c.errorCode, c.params['RoleArn']]),
      [
        [403, 'AccessDenied', denied],
        [200, undefined, ROLE],
      ],
    );
  });

  test('5xx then success: the SDK retries (default 3 attempts)', async () => {
    sts.inject({ kind: 'server-error', times: 2 });
    const creds = await fromTemporaryCredentials({
      masterCredentials: { accessKeyId: STATIC_ID, secretAccessKey: STATIC_SECRET },
      params: { RoleArn: ROLE },
      clientConfig: { endpoint: sts.url, region: 'us-east-1' },
    })();
    assert.match(creds.accessKeyId, /^ASIASTSASSUMED/);
    assert.deepEqual(
      sts.calls.map((c) => c.status),
      [500, 500, 200],
    );
  });

  test('bad signatures are rejected like STS does', async () => {
    const wrongSecret = fromTemporaryCredentials({
      masterCredentials: { accessKeyId: STATIC_ID, secretAccessKey: 'not-the-secret' },
      params: { RoleArn: ROLE },
      clientConfig: { endpoint: sts.url, region: 'us-east-1' },
    });
    await assert.rejects(wrongSecret(), { name: 'SignatureDoesNotMatch' });
    const unknownKey = fromTemporaryCredentials({
      masterCredentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' },
      params: { RoleArn: ROLE },
      clientConfig: { endpoint: sts.url, region: 'us-east-1' },
    });
    await assert.rejects(unknownKey(), { name: 'InvalidClientTokenId' });
    assert.deepEqual(
      sts.calls.map((c) => [c.identity, c.status, c.errorCode]),
      [
        [STATIC_ID, 403, 'SignatureDoesNotMatch'],
        ['AKIDUNKNOWN', 403, 'InvalidClientTokenId'],
      ],
    );
  });

  test('GetCallerIdentity: issued keys need their session token; keys of other emulators are accepted', async () => {
    const assumed = await fromTemporaryCredentials({
      masterCredentials: { accessKeyId: STATIC_ID, secretAccessKey: STATIC_SECRET },
      params: { RoleArn: ROLE, RoleSessionName: 'whoami' },
      clientConfig: { endpoint: sts.url, region: 'us-east-1' },
    })();
    const body = 'Action=GetCallerIdentity&Version=2011-06-15';
    const ok = await signedStsCall(sts.url, body, assumed);
    assert.equal(ok.status, 200);
    assert.match(ok.body, /<GetCallerIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/);
    assert.match(ok.body, /<Arn>arn:aws:sts::111122223333:assumed-role\/ecr-puller\/whoami<\/Arn>/);
    assert.match(ok.body, /<Account>111122223333<\/Account>/);

    const noToken = await signedStsCall(sts.url, body, { accessKeyId: assumed.accessKeyId, secretAccessKey: assumed.secretAccessKey });
    assert.equal(noToken.status, 403);
    assert.match(noToken.body, /<Code>InvalidClientTokenId<\/Code>/);

    // A key another emulator issued (here: straight from the ECS endpoint).
    const ecsCreds = await fromHttp({ awsContainerCredentialsFullUri: ecs.fullUri, awsContainerAuthorizationToken: ECS_AUTH_TOKEN, maxRetries: 0 })();
    const viaEcs = await signedStsCall(sts.url, body, ecsCreds);
    assert.equal(viaEcs.status, 200);
    assert.match(viaEcs.body, new RegExp(`<UserId>AIDA[A-Z0-9]{17}</UserId>`));
    assert.deepEqual(
      sts.calls.filter((c) => c.operation === 'GetCallerIdentity').map((c) => [c.identity, c.status]),
      [
        [assumed.accessKeyId, 200],
        [assumed.accessKeyId, 403],
        [ecsCreds.accessKeyId, 200],
      ],
    );
  });

  test('fromTokenFile (explicit endpoint): AssumeRoleWithWebIdentity is unsigned and records the token', async () => {
    const dir = tempHome();
    const jwt = makeWebIdentityToken({ sub: 'system:serviceaccount:ci:builder' });
    const tokenFile = writeFile(dir, 'token', jwt);
    const roleArn = 'arn:aws:iam::111122223333:role/irsa-builder';
    const creds = await fromTokenFile({ webIdentityTokenFile: tokenFile, roleArn, roleSessionName: 'irsa', clientConfig: { endpoint: sts.url, region: 'us-east-1' } })();
    assert.match(creds.accessKeyId, /^ASIAWEBIDENTITYIRSABUIL/);
    const call = sts.calls[0]!;
    assert.equal(call.operation, 'AssumeRoleWithWebIdentity');
    assert.equal(call.identity, undefined, 'AssumeRoleWithWebIdentity must not be signed');
    assert.equal(call.params['WebIdentityToken'], jwt);
    assert.equal(call.params['RoleArn'], roleArn);
    assert.equal(sts.issued[0]?.source, 'sts:AssumeRoleWithWebIdentity');
  });

  test('InvalidIdentityToken for one token surfaces from fromTokenFile', async () => {
    const dir = tempHome();
    const bad = makeWebIdentityToken({ sub: 'revoked' });
    sts.inject({ kind: 'invalid-identity-token', token: bad });
    const tokenFile = writeFile(dir, 'token', bad);
    await assert.rejects(
      fromTokenFile({ webIdentityTokenFile: tokenFile, roleArn: 'arn:aws:iam::111122223333:role/irsa', clientConfig: { endpoint: sts.url, region: 'us-east-1' } })(),
      (err: Error & Record<string, unknown>) => {
        assert.equal(err.name, 'InvalidIdentityTokenException');
        assert.equal((err['$metadata'] as { httpStatusCode?: number }).httpStatusCode, 400);
        return true;
      },
    );
    assert.equal(sts.calls[0]?.errorCode, 'InvalidIdentityToken');
  });

  test('env only: fromNodeProviderChain with AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN + AWS_ENDPOINT_URL_STS', async () => {
    const home = tempHome();
    const jwt = makeWebIdentityToken();
    const result = await runInChild('return await cp.fromNodeProviderChain()();', {
      HOME: home,
      AWS_REGION: 'eu-central-1',
      AWS_WEB_IDENTITY_TOKEN_FILE: writeFile(home, 'token', jwt),
      AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/eks-pod',
      AWS_ROLE_SESSION_NAME: 'pod-session',
      AWS_ENDPOINT_URL_STS: sts.url,
    });
    assert.match(okValue(result).accessKeyId ?? '', /^ASIAWEBIDENTITYEKSPOD/);
    assert.deepEqual(result.blocked, []);
    assert.equal(sts.calls[0]?.params['RoleSessionName'], 'pod-session');
    assert.equal(sts.calls[0]?.params['WebIdentityToken'], jwt);
  });

  test('STS endpoint from the config file: honoured only for the profile named by AWS_PROFILE (or default)', async () => {
    const home = tempHome();
    const credentials = writeFile(home, '.aws/credentials', `[base]\naws_access_key_id = ${STATIC_ID}\naws_secret_access_key = ${STATIC_SECRET}\n`);
    const config = writeFile(
      home,
      '.aws/config',
      [
        '[profile via-endpoint-url]',
        'role_arn = arn:aws:iam::111122223333:role/endpoint-url',
        'source_profile = base',
        'region = us-west-2',
        `endpoint_url = ${sts.url}`,
        '[profile via-services]',
        'role_arn = arn:aws:iam::111122223333:role/services-section',
        'source_profile = base',
        'region = us-west-2',
        'services = emulators',
        '[services emulators]',
        'sts =',
        `  endpoint_url = ${sts.url}`,
        '',
      ].join('\n'),
    );
    const env = { HOME: home };
    const [endpointUrl, services, notSelected] = await Promise.all([
      runInChild(`return await cp.fromIni()();`, { ...env, AWS_PROFILE: 'via-endpoint-url' }),
      runInChild(`return await cp.fromIni()();`, { ...env, AWS_PROFILE: 'via-services' }),
      // Profile chosen by the provider option only: the STS client's endpoint lookup ignores it.
      runInChild(`return await cp.fromIni({ profile: 'via-endpoint-url', filepath: ${JSON.stringify(credentials)}, configFilepath: ${JSON.stringify(config)} })();`, env),
    ]);
    assert.match(okValue(endpointUrl).accessKeyId ?? '', /^ASIASTSASSUMEDENDPOINT/);
    assert.match(okValue(services).accessKeyId ?? '', /^ASIASTSASSUMEDSERVICES/);
    assert.deepEqual(endpointUrl.blocked, []);
    assert.deepEqual(services.blocked, []);
    failure(notSelected);
    assert.deepEqual([...new Set(notSelected.blocked)], ['sts.us-west-2.amazonaws.com']);
  });

  test('STS endpoint: [default] endpoint_url applies whatever profile fromIni uses; fromIni clientConfig is not passed to web identity profiles', async () => {
    const home = tempHome();
    writeFile(home, '.aws/credentials', `[base]\naws_access_key_id = ${STATIC_ID}\naws_secret_access_key = ${STATIC_SECRET}\n`);
    const tokenFile = writeFile(home, 'token', makeWebIdentityToken());
    writeFile(
      home,
      '.aws/config',
      [
        '[default]',
        `endpoint_url = ${sts.url}`,
        '[profile plain]',
        'role_arn = arn:aws:iam::111122223333:role/default-endpoint',
        'source_profile = base',
        '',
      ].join('\n'),
    );
    const webHome = tempHome();
    const webConfig = writeFile(
      webHome,
      'config',
      ['[profile web]', 'role_arn = arn:aws:iam::111122223333:role/web', `web_identity_token_file = ${tokenFile}`, 'region = eu-west-1', ''].join('\n'),
    );
    const [viaDefault, webIdentity] = await Promise.all([
      runInChild(`return await cp.fromIni({ profile: 'plain' })();`, { HOME: home }),
      runInChild(
        `return await cp.fromIni({ profile: 'web', configFilepath: ${JSON.stringify(webConfig)}, clientConfig: { endpoint: ${JSON.stringify(sts.url)}, region: 'eu-west-1' } })();`,
        { HOME: webHome },
      ),
    ]);
    assert.match(okValue(viaDefault).accessKeyId ?? '', /^ASIASTSASSUMEDDEFAULTE/);
    // Neither clientConfig.endpoint nor clientConfig.region (nor the profile's region) reach the
    // web identity STS client: it goes to the default endpoint of AWS_REGION / [default] region / us-east-1.
    failure(webIdentity);
    assert.deepEqual([...new Set(webIdentity.blocked)], ['sts.us-east-1.amazonaws.com']);
  });
});

// ---------------------------------------------------------------------------
// IMDS
// ---------------------------------------------------------------------------

describe('IMDS emulator', () => {
  const imdsEnv = (home: string) => ({ HOME: home, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url });

  test('fromInstanceMetadata (AWS_EC2_METADATA_SERVICE_ENDPOINT): token, role, credentials', async () => {
    const result = await runInChild('return await cp.fromInstanceMetadata()();', imdsEnv(tempHome()));
    const creds = okValue(result);
    assert.match(creds.accessKeyId ?? '', /^ASIAIMDSEC2ECRRE/);
    assert.equal(creds.secretAccessKey, imds.secretFor(creds.accessKeyId ?? ''));
    assert.equal(creds.expiration, imds.issued[0]?.expiration.toISOString());
    const [token, list, get] = imds.calls;
    assert.deepEqual(
      imds.calls.map((c) => [c.method, c.url, c.status]),
      [
        ['PUT', '/latest/api/token', 200],
        ['GET', '/latest/meta-data/iam/security-credentials/', 200],
        ['GET', '/latest/meta-data/iam/security-credentials/ec2-ecr-reader', 200],
      ],
    );
    assert.equal(token?.params['ttlSeconds'], '21600');
    assert.ok(list?.identity && imds.tokens.has(list.identity), 'GETs carry the issued token');
    assert.equal(get?.identity, list?.identity);
  });

  test('5xx for the next 2 credential GETs, then success with maxRetries: 2; fails with maxRetries: 0', async () => {
    imds.inject({ kind: 'server-error', times: 2, operation: 'GetRoleCredentials' });
    const withRetries = await runInChild('return await cp.fromInstanceMetadata({ maxRetries: 2 })();', imdsEnv(tempHome()));
    assert.match(okValue(withRetries).accessKeyId ?? '', /^ASIAIMDS/);
    assert.deepEqual(
      imds.calls.map((c) => [c.operation, c.status]),
      [
        ['GetToken', 200],
        ['ListRoles', 200],
        ['GetRoleCredentials', 500],
        ['GetRoleCredentials', 500],
        ['GetRoleCredentials', 200],
      ],
    );

    imds.reset();
    imds.inject({ kind: 'server-error', times: 1, operation: 'GetRoleCredentials' });
    const noRetries = await runInChild('return await cp.fromInstanceMetadata({ maxRetries: 0 })();', imdsEnv(tempHome()));
    const err = failure(noRetries);
    assert.equal(err.message, 'Error response received from instance metadata service');
    assert.equal(err.statusCode, 500);
  });

  test('token PUT failing with 5xx: the SDK falls back to IMDSv1, which a v2-only IMDS refuses (401)', async () => {
    imds.inject({ kind: 'server-error', times: 1, operation: 'GetToken' });
    const refused = await runInChild('return await cp.fromInstanceMetadata({ maxRetries: 1 })();', imdsEnv(tempHome()));
    assert.equal(failure(refused).statusCode, 401);
    assert.deepEqual(
      imds.calls.map((c) => [c.operation, c.status, c.identity]),
      [
        ['GetToken', 500, undefined],
        ['ListRoles', 401, undefined],
        ['ListRoles', 401, undefined],
      ],
    );

    const v1 = await startImdsEmulator({ roleName: 'legacy-role', requireToken: false });
    try {
      v1.inject({ kind: 'server-error', times: 1, operation: 'GetToken' });
      const fallback = await runInChild('return await cp.fromInstanceMetadata()();', { HOME: tempHome(), AWS_EC2_METADATA_SERVICE_ENDPOINT: v1.url });
      assert.match(okValue(fallback).accessKeyId ?? '', /^ASIAIMDSLEGACYRO/);
      assert.deepEqual(
        v1.calls.map((c) => [c.operation, c.status, c.identity]),
        [
          ['GetToken', 500, undefined],
          ['ListRoles', 200, undefined],
          ['GetRoleCredentials', 200, undefined],
        ],
      );
    } finally {
      await v1.close();
    }
  });

  test('fromNodeProviderChain reaches IMDS last; ec2_metadata_service_endpoint in the default profile works too', async () => {
    const viaEnv = await runInChild('return await cp.fromNodeProviderChain()();', imdsEnv(tempHome()));
    assert.match(okValue(viaEnv).accessKeyId ?? '', /^ASIAIMDS/);
    const home = tempHome();
    writeFile(home, '.aws/config', `[default]\nec2_metadata_service_endpoint = ${imds.url}\n`);
    const viaConfig = await runInChild('return await cp.fromInstanceMetadata()();', { HOME: home });
    assert.match(okValue(viaConfig).accessKeyId ?? '', /^ASIAIMDS/);
    assert.deepEqual(viaConfig.blocked, []);
  });

  test('credential_source = Ec2InstanceMetadata + role_arn: STS sees the IMDS-issued key as caller', async () => {
    const home = tempHome();
    writeFile(
      home,
      '.aws/config',
      ['[profile on-ec2]', 'role_arn = arn:aws:iam::111122223333:role/from-instance', 'credential_source = Ec2InstanceMetadata', 'region = us-east-1', ''].join('\n'),
    );
    const result = await runInChild(`return await cp.fromIni({ profile: 'on-ec2' })();`, { ...imdsEnv(home), AWS_ENDPOINT_URL_STS: sts.url });
    assert.match(okValue(result).accessKeyId ?? '', /^ASIASTSASSUMEDFROMINST/);
    assert.equal(sts.calls.length, 1);
    assert.match(sts.calls[0]?.identity ?? '', /^ASIAIMDSEC2ECRRE/);
    assert.equal(sts.calls[0]?.identity, imds.issued[0]?.accessKeyId);
  });

  test('black hole IMDS: how long the SDK takes to give up', async (t) => {
    const hole = await startImdsEmulator();
    hole.inject({ kind: 'hang' });
    const env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: hole.url };
    const time = (call: string) => `await new Promise((r) => setTimeout(r, 0)); timer.start = Date.now(); return await ${call};`;
    try {
      const [explicit, defaults, retries2, chain] = await Promise.all([
        runInChild(time('cp.fromInstanceMetadata({ timeout: 1000, maxRetries: 0 })()'), { ...env, HOME: tempHome() }),
        runInChild(time('cp.fromInstanceMetadata()()'), { ...env, HOME: tempHome() }),
        runInChild(time('cp.fromInstanceMetadata({ timeout: 1000, maxRetries: 2 })()'), { ...env, HOME: tempHome() }),
        runInChild(time('cp.fromNodeProviderChain()()'), { ...env, HOME: tempHome() }),
      ]);
      for (const [label, r] of Object.entries({ explicit, defaults, retries2, chain })) {
        t.diagnostic(`${label}: gave up after ${r.elapsedMs} ms: ${r.error?.name}: ${r.error?.message}`);
      }
      // Token PUT times out (1 s), then one token-less GET times out (1 s).
      for (const r of [explicit, defaults, chain]) {
        failure(r);
        assert.ok(r.elapsedMs >= 1900 && r.elapsedMs < 3500, `elapsed ${r.elapsedMs}`);
      }
      assert.equal(explicit.error?.message, 'TimeoutError from instance metadata service');
      // …and each retry adds one more timed-out GET.
      failure(retries2);
      assert.ok(retries2.elapsedMs >= 3900 && retries2.elapsedMs < 5500, `elapsed ${retries2.elapsedMs}`);
      assert.ok(hole.calls.every((c) => c.status === 0 && c.fault === 'hang'));
    } finally {
      await hole.close();
    }
  });
});

// ---------------------------------------------------------------------------
// ECS container credentials
// ---------------------------------------------------------------------------

describe('ECS container credentials emulator', () => {
  test('fromHttp (explicit full URI and token) gets ASIAECS credentials; the token is recorded', async () => {
    const creds = await fromHttp({ awsContainerCredentialsFullUri: ecs.fullUri, awsContainerAuthorizationToken: ECS_AUTH_TOKEN, maxRetries: 0 })();
    assert.match(creds.accessKeyId, /^ASIAECSTASKECRR/);
    assert.equal(creds.secretAccessKey, ecs.secretFor(creds.accessKeyId));
    assert.equal(creds.expiration?.toISOString(), ecs.issued[0]?.expiration.toISOString());
    assert.deepEqual(
      ecs.calls.map((c) => [c.operation, c.url, c.identity, c.status]),
      [['GetCredentials', '/v2/credentials/emulated-task', ECS_AUTH_TOKEN, 200]],
    );
    // Same credentials until rotated.
    const again = await fromHttp({ awsContainerCredentialsFullUri: ecs.fullUri, awsContainerAuthorizationToken: ECS_AUTH_TOKEN, maxRetries: 0 })();
    assert.equal(again.accessKeyId, creds.accessKeyId);
  });

  test('missing token → 401, wrong token → 403, malformed body rejected by the SDK', async () => {
    const noToken = fromHttp({ awsContainerCredentialsFullUri: ecs.fullUri, maxRetries: 0 });
    await assert.rejects(noToken(), /Server responded with status: 401/);
    const wrong = fromHttp({ awsContainerCredentialsFullUri: ecs.fullUri, awsContainerAuthorizationToken: 'wrong', maxRetries: 0 });
    await assert.rejects(wrong(), /Server responded with status: 403/);
    ecs.inject({ kind: 'malformed', times: 1 });
    const malformed = fromHttp({ awsContainerCredentialsFullUri: ecs.fullUri, awsContainerAuthorizationToken: ECS_AUTH_TOKEN, maxRetries: 0 });
    await assert.rejects(malformed(), /not of the required format/);
    assert.deepEqual(
      ecs.calls.map((c) => [c.identity, c.status, c.errorCode ?? c.fault]),
      [
        [undefined, 401, 'Unauthorized'],
        ['wrong', 403, 'AccessDenied'],
        [ECS_AUTH_TOKEN, 200, 'malformed'],
      ],
    );
  });

  test('fromHttp retries a 5xx (maxRetries: 1, waits `timeout` between tries)', async () => {
    ecs.inject({ kind: 'server-error', times: 1 });
    const creds = await fromHttp({ awsContainerCredentialsFullUri: ecs.fullUri, awsContainerAuthorizationToken: ECS_AUTH_TOKEN, maxRetries: 1, timeout: 100 })();
    assert.match(creds.accessKeyId, /^ASIAECS/);
    assert.deepEqual(
      ecs.calls.map((c) => c.status),
      [500, 200],
    );
  });

  test('env only: fromContainerMetadata and fromNodeProviderChain with AWS_CONTAINER_CREDENTIALS_FULL_URI', async () => {
    const home = tempHome();
    const tokenFile = writeFile(home, 'ecs-token', ECS_AUTH_TOKEN);
    const [metadata, chain] = await Promise.all([
      runInChild('return await cp.fromContainerMetadata()();', {
        HOME: home,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: ecs.fullUri,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: ECS_AUTH_TOKEN,
      }),
      runInChild('return await cp.fromNodeProviderChain()();', {
        HOME: home,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: ecs.fullUri,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      }),
    ]);
    assert.match(okValue(metadata).accessKeyId ?? '', /^ASIAECS/);
    assert.match(okValue(chain).accessKeyId ?? '', /^ASIAECS/);
    assert.ok(ecs.calls.length >= 2);
    assert.ok(ecs.calls.every((c) => c.identity === ECS_AUTH_TOKEN && c.status === 200));
  });

  test('credential_source = EcsContainer + role_arn: STS sees the ECS-issued key as caller', async () => {
    const home = tempHome();
    writeFile(home, '.aws/config', ['[profile in-task]', 'role_arn = arn:aws:iam::111122223333:role/from-task', 'credential_source = EcsContainer', ''].join('\n'));
    const result = await runInChild(`return await cp.fromIni({ profile: 'in-task' })();`, {
      HOME: home,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: ecs.fullUri,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: ECS_AUTH_TOKEN,
      AWS_ENDPOINT_URL_STS: sts.url,
    });
    assert.match(okValue(result).accessKeyId ?? '', /^ASIASTSASSUMEDFROMTASK/);
    assert.equal(sts.calls[0]?.identity, ecs.issued[0]?.accessKeyId);
    assert.match(sts.calls[0]?.identity ?? '', /^ASIAECS/);
  });
});

// ---------------------------------------------------------------------------
// SSO
// ---------------------------------------------------------------------------

describe('SSO portal emulator', () => {
  const START_URL = 'https://emulated.awsapps.com/start';

  function ssoHome(extraConfig: string[] = []): string {
    const home = tempHome();
    writeFile(
      home,
      '.aws/config',
      [
        '[profile sso-dev]',
        'sso_session = emu',
        'sso_account_id = 111122223333',
        'sso_role_name = ECRPuller',
        'region = us-east-1',
        '[sso-session emu]',
        `sso_start_url = ${START_URL}`,
        'sso_region = us-east-1',
        'sso_registration_scopes = sso:account:access',
        '[profile sso-legacy]',
        `sso_start_url = ${START_URL}`,
        'sso_region = us-east-1',
        'sso_account_id = 444455556666',
        'sso_role_name = LegacyRole',
        ...extraConfig,
        '',
      ].join('\n'),
    );
    const expiresAt = new Date(Date.now() + 3600_000);
    writeSsoTokenCache(home, { sessionName: 'emu', startUrl: START_URL, region: 'us-east-1', accessToken: SSO_ACCESS_TOKEN, expiresAt });
    writeSsoTokenCache(home, { startUrl: START_URL, region: 'us-east-1', accessToken: SSO_ACCESS_TOKEN, expiresAt });
    return home;
  }

  test('writeSsoTokenCache writes what the CLI writes, where the SDK looks', async () => {
    const home = tempHome();
    const expiresAt = new Date('2031-02-03T04:05:06.789Z');
    const session = writeSsoTokenCache(home, { sessionName: 'my-sso', startUrl: START_URL, region: 'eu-west-1', accessToken: 'tok', expiresAt });
    assert.equal(session, join(home, '.aws/sso/cache', `${createHash('sha1').update('my-sso').digest('hex')}.json`));
    const doc = JSON.parse(readFileSync(session, 'utf8')) as Record<string, string>;
    assert.deepEqual(Object.keys(doc), ['startUrl', 'region', 'accessToken', 'expiresAt', 'clientId', 'clientSecret', 'registrationExpiresAt', 'refreshToken']);
    assert.equal(doc['expiresAt'], '2031-02-03T04:05:06Z');
    const legacy = writeSsoTokenCache(home, { startUrl: START_URL, region: 'eu-west-1', accessToken: 'tok', expiresAt });
    assert.equal(legacy, ssoTokenCachePath(home, START_URL));
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(legacy, 'utf8')) as object), ['startUrl', 'region', 'accessToken', 'expiresAt']);
  });

  test('fromSSO, sso-session and legacy forms, with AWS_ENDPOINT_URL_SSO', async () => {
    const home = ssoHome();
    const env = { HOME: home, AWS_ENDPOINT_URL_SSO: sso.url };
    const [session, legacy] = await Promise.all([
      runInChild(`return await cp.fromSSO({ profile: 'sso-dev' })();`, env),
      runInChild(`return await cp.fromSSO({ profile: 'sso-legacy' })();`, env),
    ]);
    const a = okValue(session);
    const b = okValue(legacy);
    assert.match(a.accessKeyId ?? '', /^ASIASSOECRPULLE/);
    assert.match(b.accessKeyId ?? '', /^ASIASSOLEGACYRO/);
    assert.equal(a.secretAccessKey, sso.secretFor(a.accessKeyId ?? ''));
    const byRole = Object.fromEntries(sso.calls.map((c) => [c.params['role_name'], c]));
    assert.deepEqual(
      [byRole['ECRPuller']?.params, byRole['ECRPuller']?.identity, byRole['ECRPuller']?.status],
      [{ role_name: 'ECRPuller', account_id: '111122223333' }, SSO_ACCESS_TOKEN, 200],
    );
    assert.deepEqual(byRole['LegacyRole']?.params, { role_name: 'LegacyRole', account_id: '444455556666' });
    assert.deepEqual(
      sso.issued.map((i) => i.detail).sort(),
      ['111122223333/ECRPuller', '444455556666/LegacyRole'],
    );
  });

  test('unknown bearer token: UnauthorizedException surfaces through fromSSO', async () => {
    const home = ssoHome();
    sso.revokeAccessToken(SSO_ACCESS_TOKEN);
    const result = await runInChild(`return await cp.fromSSO({ profile: 'sso-dev' })();`, { HOME: home, AWS_ENDPOINT_URL_SSO: sso.url });
    const err = failure(result);
    assert.equal(err.name, 'CredentialsProviderError');
    assert.equal(err.message, 'UnauthorizedException: Session token not found or invalid');
    assert.deepEqual(
      sso.calls.map((c) => [c.status, c.errorCode, c.identity]),
      [[401, 'UnauthorizedException', SSO_ACCESS_TOKEN]],
    );
  });

  test('SSO endpoint: profile endpoint_url / services section need AWS_PROFILE; clientConfig.endpoint and AWS_ENDPOINT_URL work', async () => {
    const home = ssoHome([
      '[profile sso-endpoint-url]',
      'sso_session = emu',
      'sso_account_id = 111122223333',
      'sso_role_name = ViaEndpointUrl',
      `endpoint_url = ${sso.url}`,
      '[profile sso-services]',
      'sso_session = emu',
      'sso_account_id = 111122223333',
      'sso_role_name = ViaServices',
      'services = emulators',
      '[services emulators]',
      'sso =',
      `  endpoint_url = ${sso.url}`,
    ]);
    const [endpointUrl, services, clientConfig, iniClientConfig, globalEnv, notSelected] = await Promise.all([
      runInChild('return await cp.fromSSO()();', { HOME: home, AWS_PROFILE: 'sso-endpoint-url' }),
      runInChild('return await cp.fromSSO()();', { HOME: home, AWS_PROFILE: 'sso-services' }),
      runInChild(`return await cp.fromSSO({ profile: 'sso-dev', clientConfig: { endpoint: ${JSON.stringify(sso.url)} } })();`, { HOME: home }),
      runInChild(`return await cp.fromIni({ profile: 'sso-legacy', clientConfig: { endpoint: ${JSON.stringify(sso.url)} } })();`, { HOME: home }),
      runInChild(`return await cp.fromSSO({ profile: 'sso-dev' })();`, { HOME: home, AWS_ENDPOINT_URL: sso.url }),
      runInChild(`return await cp.fromSSO({ profile: 'sso-endpoint-url' })();`, { HOME: home }),
    ]);
    assert.match(okValue(endpointUrl).accessKeyId ?? '', /^ASIASSOVIAENDPO/);
    assert.match(okValue(services).accessKeyId ?? '', /^ASIASSOVIASERVI/);
    assert.match(okValue(clientConfig).accessKeyId ?? '', /^ASIASSOECRPULLE/);
    assert.match(okValue(iniClientConfig).accessKeyId ?? '', /^ASIASSOLEGACYRO/);
    assert.match(okValue(globalEnv).accessKeyId ?? '', /^ASIASSOECRPULLE/);
    for (const r of [endpointUrl, services, clientConfig, iniClientConfig, globalEnv]) assert.deepEqual(r.blocked, []);
    failure(notSelected);
    assert.deepEqual([...new Set(notSelected.blocked)], ['portal.sso.us-east-1.amazonaws.com']);
  });

  test('SSO profile as source_profile: STS sees the SSO-issued key as caller (fromNodeProviderChain, AWS_PROFILE)', async () => {
    const home = ssoHome(['[profile ecr-role]', 'role_arn = arn:aws:iam::111122223333:role/ecr-from-sso', 'source_profile = sso-dev', 'region = us-east-1']);
    const result = await runInChild('return await cp.fromNodeProviderChain()();', {
      HOME: home,
      AWS_PROFILE: 'ecr-role',
      AWS_ENDPOINT_URL_SSO: sso.url,
      AWS_ENDPOINT_URL_STS: sts.url,
    });
    assert.match(okValue(result).accessKeyId ?? '', /^ASIASTSASSUMEDECRFROMS/);
    assert.equal(sts.calls[0]?.identity, sso.issued[0]?.accessKeyId);
    assert.match(sts.calls[0]?.identity ?? '', /^ASIASSOECRPULLE/);
    assert.deepEqual(result.blocked, []);
  });
});
