/**
 * The token cache end to end (docs/SPEC.md sections 4 and 5): real bin/ processes, the real SDK,
 * the ECR emulator counting calls. Time passes on disk: a test ages an entry by moving its
 * issuedAt and expiresAt back, never by waiting. Damaged caches and killed helpers:
 * cache-damage.test.ts; parallel gets and the lock: flight.test.ts and burst.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseEntry } from '../../src/cache/entry';
import { ACCOUNT, assertServed, cacheWorld, entryFiles, get, HOST, secretOf, tokensDir } from '../support/cache-world';
import { runHelper, type Env } from '../support/helper-process';

const KEY_A = 'AKIDCACHEPROFILEA';
const KEY_B = 'AKIDCACHEPROFILEB';
const KEY_ENV = 'AKIDCACHEENV';
const SECRETS: Record<string, string> = { [KEY_A]: 'secret-a', [KEY_B]: 'secret-b', [KEY_ENV]: 'secret-env' };
const HOUR = 60 * 60 * 1000;
const MINUTE = 60 * 1000;

const world = cacheWorld(SECRETS, KEY_ENV);
const freshEnv = (extra: Env = {}): Env => world.freshEnv(extra);

/**
 * Makes the cached entry of `host` look `ageMs` old: issued that long ago, its lifetime kept, as
 * if the clock had moved on. Only the two times change; the entry stays one of ours.
 */
function ageEntry(env: Env, host: string, ageMs: number): void {
  const path = entryFiles(env).find((file) => parseEntry(readFileSync(file, 'utf8'))?.registry === host);
  assert.ok(path, `an entry for ${host}`);
  const entry = JSON.parse(readFileSync(path, 'utf8')) as { issuedAt: number; expiresAt: number };
  const lifetime = entry.expiresAt - entry.issuedAt;
  entry.issuedAt = Date.now() - ageMs;
  entry.expiresAt = entry.issuedAt + lifetime;
  writeFileSync(path, JSON.stringify(entry));
}

describe('hits and misses', () => {
  it('serves the second get from the cache: 1 call for 2 gets, the same token', async () => {
    const env = freshEnv();
    const first = await get(env);
    const second = await get(env);
    assertServed(first);
    assert.equal(second.stdout, first.stdout);
    assert.equal(world.emulator.calls.length, 1);
  });

  it('keys the registry by host, not by how it was written', async () => {
    const env = freshEnv();
    await get(env, HOST);
    for (const spelling of [`https://${HOST}/v2/`, `${HOST.toUpperCase()}:443`, `${HOST}\n`]) assertServed(await get(env, spelling), spelling.trim());
    assert.equal(world.emulator.calls.length, 1);
  });

  it('keeps registries apart: another account or region is another token', async () => {
    const env = freshEnv();
    await get(env, HOST);
    await get(env, `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`);
    await get(env, `210987654321.dkr.ecr.eu-west-1.amazonaws.com`);
    await get(env, 'public.ecr.aws');
    await get(env, HOST);
    assert.equal(world.emulator.calls.length, 4);
  });

  it('a hit loads no AWS SDK, no pino, no commander, and makes no request', async () => {
    const env = freshEnv();
    await get(env);
    const probe = join(env.HOME ?? '', 'modules.json');
    const hit = await get({ ...env, NODE_OPTIONS: `--require ${join(__dirname, '..', 'support', 'module-probe.js')}`, ECR_LOGIN_TEST_MODULE_PROBE: probe });
    assertServed(hit);
    assert.equal(world.emulator.calls.length, 1);
    const modules = JSON.parse(readFileSync(probe, 'utf8')) as string[];
    assert.ok(modules.some((path) => path.endsWith(join('bin', 'docker-credential-ecr-login'))), 'the probe saw the helper load');
    for (const heavy of ['@aws-sdk', '@smithy', `${join('node_modules', 'pino')}`, `${join('node_modules', 'commander')}`]) {
      assert.deepEqual(modules.filter((path) => path.includes(heavy)), [], `${heavy} was loaded on a hit`);
    }
  });

  it('AWS_ECR_DISABLE_CACHE: every get calls ECR and nothing is written', async () => {
    const env = freshEnv({ AWS_ECR_DISABLE_CACHE: 'true' });
    await get(env);
    await get(env);
    assert.equal(world.emulator.calls.length, 2);
    assert.equal(existsSync(tokensDir(env)), false);
  });

  it('AWS_ECR_CACHE_DIR moves the cache, created 0700 with 0600 files', async () => {
    const env = freshEnv();
    const cacheDir = join(env.HOME ?? '', 'elsewhere', 'ecr');
    await get({ ...env, AWS_ECR_CACHE_DIR: cacheDir });
    await get({ ...env, AWS_ECR_CACHE_DIR: cacheDir });
    assert.equal(world.emulator.calls.length, 1);
    assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
    assert.equal(statSync(join(cacheDir, 'tokens')).mode & 0o777, 0o700);
    const files = readdirSync(join(cacheDir, 'tokens'));
    assert.ok(files.length >= 1);
    for (const name of files) assert.equal(statSync(join(cacheDir, 'tokens', name)).mode & 0o777, 0o600, name);
    assert.equal(existsSync(join(env.HOME ?? '', '.ecr', 'tokens')), false);
  });

  it("never reads, writes or deletes the Go helper's cache.json", async () => {
    const env = freshEnv();
    const goCache = join(env.HOME ?? '', '.ecr', 'cache.json');
    mkdirSync(join(env.HOME ?? '', '.ecr'), { mode: 0o700 });
    const goContent = JSON.stringify({ Version: '1.0', Registries: { [HOST]: { AuthorizationToken: 'go-helper-token', RequestedAt: '2020-01-01T00:00:00Z', ExpiresAt: '2099-01-01T00:00:00Z' } } });
    writeFileSync(goCache, goContent, { mode: 0o600 });
    const result = await get(env);
    assertServed(result);
    assert.notEqual(secretOf(result), 'go-helper-token');
    assert.equal(world.emulator.calls.length, 1);
    assert.equal(readFileSync(goCache, 'utf8'), goContent);
  });
});

describe('refresh, fallback and expiry', () => {
  it('refetches once half the token lifetime has passed, and not before', async () => {
    const env = freshEnv();
    const first = await get(env);
    assertServed(first);
    ageEntry(env, HOST, 6 * HOUR - 5 * MINUTE);
    assert.equal((await get(env)).stdout, first.stdout, 'fresh just before half its life');
    assert.equal(world.emulator.calls.length, 1);
    ageEntry(env, HOST, 6 * HOUR + 5 * MINUTE);
    const refreshed = await get(env);
    assertServed(refreshed);
    assert.equal(world.emulator.calls.length, 2, 'past the half-life: refetched');
    assert.notEqual(secretOf(refreshed), secretOf(first));
  });

  it('serves a cached token that is stale but unexpired while ECR fails, and refuses it once expired', async () => {
    const env = freshEnv();
    const first = await get(env);
    world.emulator.inject({ kind: 'server-error' });
    ageEntry(env, HOST, 7 * HOUR);
    const during = await get(env);
    assertServed(during);
    assert.equal(secretOf(during), secretOf(first), 'the still-valid cached token');
    assert.ok(world.emulator.calls.length > 1, 'it did try ECR first');
    const log = readFileSync(join(env.HOME ?? '', '.ecr', 'log', 'ecr-login.jsonl'), 'utf8');
    assert.match(log, /serving the cached token, which is still valid/);
    ageEntry(env, HOST, 12 * HOUR + 5 * MINUTE);
    const expired = await get(env);
    assert.equal(expired.code, 1);
    assert.match(expired.stdout, /^cannot get an ECR token for .*ServerException/);
  });

  it('prunes expired entries when it writes', async () => {
    const env = freshEnv();
    await get(env, HOST);
    assert.equal(entryFiles(env).length, 1);
    ageEntry(env, HOST, 12 * HOUR + 5 * MINUTE);
    await get(env, `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`);
    const remaining = entryFiles(env).map((path) => parseEntry(readFileSync(path, 'utf8'))?.registry);
    assert.deepEqual(remaining, [`${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`]);
  });
});

describe('identity', () => {
  function profileEnv(): Env {
    const env = freshEnv({ AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
    const awsDir = join(env.HOME ?? '', '.aws');
    mkdirSync(awsDir);
    writeFileSync(
      join(awsDir, 'credentials'),
      `[a]\naws_access_key_id = ${KEY_A}\naws_secret_access_key = ${SECRETS[KEY_A]}\n\n[b]\naws_access_key_id = ${KEY_B}\naws_secret_access_key = ${SECRETS[KEY_B]}\n`,
    );
    return env;
  }

  it('two profiles never share a token; each hits its own entry', async () => {
    const env = profileEnv();
    const a1 = await get({ ...env, AWS_PROFILE: 'a' });
    const b1 = await get({ ...env, AWS_PROFILE: 'b' });
    const a2 = await get({ ...env, AWS_PROFILE: 'a' });
    const b2 = await get({ ...env, AWS_PROFILE: 'b' });
    assert.deepEqual(world.emulator.calls.map((call) => call.accessKeyId), [KEY_A, KEY_B]);
    assert.notEqual(secretOf(a1), secretOf(b1));
    assert.equal(a2.stdout, a1.stdout);
    assert.equal(b2.stdout, b1.stdout);
  });

  it('editing the profile keys gives a new key, and environment keys are another identity', async () => {
    const env = profileEnv();
    await get({ ...env, AWS_PROFILE: 'a' });
    const credentials = join(env.HOME ?? '', '.aws', 'credentials');
    writeFileSync(credentials, readFileSync(credentials, 'utf8').replace(`aws_access_key_id = ${KEY_A}\naws_secret_access_key = ${SECRETS[KEY_A]}`, `aws_access_key_id = ${KEY_B}\naws_secret_access_key = ${SECRETS[KEY_B]}`));
    await get({ ...env, AWS_PROFILE: 'a' });
    await get({ ...env, AWS_ACCESS_KEY_ID: KEY_ENV, AWS_SECRET_ACCESS_KEY: SECRETS[KEY_ENV] ?? '' });
    assert.deepEqual(world.emulator.calls.map((call) => call.accessKeyId), [KEY_A, KEY_B, KEY_ENV]);
  });

  it('list shows the unexpired registries of the current identity only, without calling AWS', async () => {
    const env = profileEnv();
    const a = { ...env, AWS_PROFILE: 'a' };
    await get(a, HOST);
    await get(a, 'public.ecr.aws');
    await get({ ...env, AWS_PROFILE: 'b' }, `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`);
    const calls = world.emulator.calls.length;
    const listed = await runHelper(['list'], { env: a });
    assert.equal(listed.code, 0);
    assert.equal(listed.stdout, `{"https://${HOST}":"AWS","https://public.ecr.aws":"AWS"}\n`);
    const other = await runHelper(['list'], { env: { ...env, AWS_PROFILE: 'b' } });
    assert.equal(other.stdout, `{"https://${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com":"AWS"}\n`);
    const nobody = await runHelper(['list'], { env: freshEnv() });
    assert.equal(nobody.stdout, '{}\n');
    assert.equal(world.emulator.calls.length, calls);
  });

  it('list leaves out expired tokens', async () => {
    const env = freshEnv();
    await get(env);
    assert.equal((await runHelper(['list'], { env })).stdout, `{"https://${HOST}":"AWS"}\n`);
    ageEntry(env, HOST, 12 * HOUR + 5 * MINUTE);
    assert.equal((await runHelper(['list'], { env })).stdout, '{}\n');
  });
});
