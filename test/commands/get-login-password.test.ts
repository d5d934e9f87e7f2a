/**
 * `get-login-password HOST` through the real bin/ against the ECR emulator: the password and a
 * newline, nothing else; the same cache as `get`; errors on stderr with exit 1 and nothing on
 * stdout, so that `--docker-password="$(…)"` never receives an error message as a password.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { cleanEnv, makeTempHome, runCommand, runHelper, type Env, type HelperResult } from '../support/helper-process';

const KEY_ID = 'AKIDLOGINPASSWORD';
const SECRET = 'login-password-secret-access-key';
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

let emulator: EcrEmulator;
const homes: Array<() => void> = [];
before(async () => {
  emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET } });
});
after(async () => {
  await emulator.close();
  for (const cleanup of homes) cleanup();
});
beforeEach(() => emulator.reset());

function freshEnv(extra: Env = {}): Env {
  const { home, cleanup } = makeTempHome('ecr-login-password-');
  homes.push(cleanup);
  return cleanEnv(home, { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET, AWS_ENDPOINT_URL_ECR: emulator.url, AWS_ENDPOINT_URL_ECR_PUBLIC: emulator.url, ...extra });
}

const password = (env: Env, host: string): Promise<HelperResult> => runHelper(['get-login-password', host], { env });

function assertFailed(result: HelperResult, pattern: RegExp): void {
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '', 'nothing a script could take for a password');
  assert.match(result.stderr, /^docker-credential-ecr-login: [^\n]+\n$/);
  assert.match(result.stderr, pattern);
}

describe('get-login-password', () => {
  it('prints exactly the password and a newline: the token ECR issued for the host', async () => {
    const result = await password(freshEnv(), HOST);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${emulator.issued[0]?.password}\n`);
    assert.equal(result.stderr, '');
    assert.deepEqual(emulator.calls.map((call) => [call.service, call.region, call.registryIds]), [['ecr', 'eu-west-1', ['123456789012']]]);
  });

  it('shares the cache with get: after a get, no call, and the same secret', async () => {
    const env = freshEnv();
    const got = await runHelper(['get'], { env, input: HOST });
    const secret = (JSON.parse(got.stdout) as { Secret: string }).Secret;
    for (const spelling of [HOST, `https://${HOST.toUpperCase()}/`]) assert.equal((await password(env, spelling)).stdout, `${secret}\n`);
    assert.equal(emulator.calls.length, 1);
  });

  it('works in $(…), as a script uses it', async () => {
    const env = freshEnv();
    const script = `p="$("${join(__dirname, '..', '..', '..', 'bin', 'docker-credential-ecr-login')}" get-login-password ${HOST})" && printf '%s' "$p" | wc -c`;
    const result = await runCommand('/bin/sh', ['-c', script], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(Number(result.stdout.trim()), emulator.issued[0]?.password.length);
  });

  it('ECR Public: its token, from us-east-1', async () => {
    const result = await password(freshEnv(), 'public.ecr.aws');
    assert.equal(result.stdout, `${emulator.issued[0]?.password}\n`);
    assert.equal(emulator.calls[0]?.service, 'ecr-public');
  });

  it('an alias from the settings file: the ECR registry’s password', async () => {
    const env = freshEnv();
    mkdirSync(join(env.HOME!, '.ecr'), { mode: 0o700 });
    writeFileSync(join(env.HOME!, '.ecr', 'config.json'), JSON.stringify({ registries: { 'registry.example.com': { registry: HOST } } }));
    const result = await password(env, 'registry.example.com');
    assert.equal(result.stdout, `${emulator.issued[0]?.password}\n`);
    assert.deepEqual(emulator.calls[0]?.registryIds, ['123456789012']);
  });

  it('AWS refuses: the cause with its AWS code on stderr, exit 1', async () => {
    emulator.inject({ kind: 'access-denied' });
    assertFailed(await password(freshEnv(), HOST), new RegExp(`cannot get an ECR token for ${HOST.replace(/\./g, '\\.')}: AccessDeniedException`));
  });

  it('ECR Public refuses: an error too (a script has no anonymous fallback)', async () => {
    emulator.inject({ kind: 'access-denied' });
    assertFailed(await password(freshEnv(), 'public.ecr.aws'), /cannot get an ECR Public token: AccessDeniedException/);
  });

  it('a host that is not ECR: said on stderr, and no call', async () => {
    assertFailed(await password(freshEnv(), 'ghcr.io'), /ghcr\.io is not an ECR registry, nor an alias in /);
    assert.equal(emulator.calls.length, 0);
  });

  it('no HOST: a usage error on stderr', async () => {
    const result = await runHelper(['get-login-password'], { env: freshEnv() });
    assertFailed(result, /missing required argument 'host'.*get-login-password --help/);
  });
});
