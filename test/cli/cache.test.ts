/**
 * The token cache end to end (docs/SPEC.md sections 4 and 5): real bin/ processes, the real SDK,
 * the ECR emulator counting calls. Short token lifetimes stand in for a fake clock.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseEntry } from '../../src/cache/entry';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { cleanEnv, HELPER_BIN, makeTempHome, runCommand, runHelper, type Env, type HelperResult } from '../support/helper-process';

const KEY_A = 'AKIDCACHEPROFILEA';
const KEY_B = 'AKIDCACHEPROFILEB';
const KEY_ENV = 'AKIDCACHEENV';
const SECRETS: Record<string, string> = { [KEY_A]: 'secret-a', [KEY_B]: 'secret-b', [KEY_ENV]: 'secret-env' };
const ACCOUNT = '123456789012';
const HOST = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;

let emulator: EcrEmulator;
let shortLived: EcrEmulator;
const homes: Array<() => void> = [];

before(async () => {
  emulator = await startEcrEmulator({ credentials: SECRETS });
  // Tokens that live 4 s: fresh for 2 s, then due for refresh, then expired.
  shortLived = await startEcrEmulator({ credentials: SECRETS, tokenLifetimeSeconds: 4 });
});
after(async () => {
  await emulator.close();
  await shortLived.close();
  for (const cleanup of homes) cleanup();
});
beforeEach(() => {
  emulator.reset();
  shortLived.reset();
});

/** A fresh HOME with environment keys, pointed at one of the emulators. */
function freshEnv(target: EcrEmulator = emulator, extra: Env = {}): Env {
  const { home, cleanup } = makeTempHome('ecr-login-cache-');
  homes.push(cleanup);
  return cleanEnv(home, {
    AWS_ACCESS_KEY_ID: KEY_ENV,
    AWS_SECRET_ACCESS_KEY: SECRETS[KEY_ENV] ?? '',
    AWS_ENDPOINT_URL_ECR: target.url,
    AWS_ENDPOINT_URL_ECR_PUBLIC: target.url,
    ...extra,
  });
}

const get = (env: Env, host = HOST): Promise<HelperResult> => runHelper(['get'], { env, input: host });
const secretOf = (result: HelperResult): string => (JSON.parse(result.stdout) as { Secret: string }).Secret;
const tokensDir = (env: Env): string => join(env.HOME ?? '', '.ecr', 'tokens');
const entryFiles = (env: Env): string[] => readdirSync(tokensDir(env)).filter((name) => name.endsWith('.json')).map((name) => join(tokensDir(env), name));

function assertServed(result: HelperResult, host = HOST): void {
  assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
  const answer = JSON.parse(result.stdout) as Record<string, string>;
  assert.equal(answer.ServerURL, host);
  assert.equal(answer.Username, 'AWS');
}

describe('hits and misses', () => {
  it('serves the second get from the cache: 1 call for 2 gets, the same token', async () => {
    const env = freshEnv();
    const first = await get(env);
    const second = await get(env);
    assertServed(first);
    assert.equal(second.stdout, first.stdout);
    assert.equal(emulator.calls.length, 1);
  });

  it('keys the registry by host, not by how it was written', async () => {
    const env = freshEnv();
    await get(env, HOST);
    for (const spelling of [`https://${HOST}/v2/`, `${HOST.toUpperCase()}:443`, `${HOST}\n`]) assertServed(await get(env, spelling), spelling.trim());
    assert.equal(emulator.calls.length, 1);
  });

  it('keeps registries apart: another account or region is another token', async () => {
    const env = freshEnv();
    await get(env, HOST);
    await get(env, `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`);
    await get(env, `210987654321.dkr.ecr.eu-west-1.amazonaws.com`);
    await get(env, 'public.ecr.aws');
    await get(env, HOST);
    assert.equal(emulator.calls.length, 4);
  });

  it('a hit loads no AWS SDK, no pino, no commander, and makes no request', async () => {
    const env = freshEnv();
    await get(env);
    const probe = join(env.HOME ?? '', 'modules.json');
    const hit = await get({ ...env, NODE_OPTIONS: `--require ${join(__dirname, '..', 'support', 'module-probe.js')}`, ECR_LOGIN_TEST_MODULE_PROBE: probe });
    assertServed(hit);
    assert.equal(emulator.calls.length, 1);
    const modules = JSON.parse(readFileSync(probe, 'utf8')) as string[];
    assert.ok(modules.some((path) => path.includes(join('dist', 'bin', 'docker-credential-ecr-login.js'))), 'the probe saw the helper load');
    for (const heavy of ['@aws-sdk', '@smithy', `${join('node_modules', 'pino')}`, `${join('node_modules', 'commander')}`]) {
      assert.deepEqual(modules.filter((path) => path.includes(heavy)), [], `${heavy} was loaded on a hit`);
    }
  });

  it('AWS_ECR_DISABLE_CACHE: every get calls ECR and nothing is written', async () => {
    const env = freshEnv(emulator, { AWS_ECR_DISABLE_CACHE: 'true' });
    await get(env);
    await get(env);
    assert.equal(emulator.calls.length, 2);
    assert.equal(existsSync(tokensDir(env)), false);
  });

  it('AWS_ECR_CACHE_DIR moves the cache, created 0700 with 0600 files', async () => {
    const env = freshEnv();
    const cacheDir = join(env.HOME ?? '', 'elsewhere', 'ecr');
    await get({ ...env, AWS_ECR_CACHE_DIR: cacheDir });
    await get({ ...env, AWS_ECR_CACHE_DIR: cacheDir });
    assert.equal(emulator.calls.length, 1);
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
    assert.equal(emulator.calls.length, 1);
    assert.equal(readFileSync(goCache, 'utf8'), goContent);
  });
});

describe('refresh, fallback and expiry', () => {
  it('refetches once half the token lifetime has passed, and not before', async () => {
    const env = freshEnv(shortLived);
    const first = await get(env);
    assertServed(first);
    const issuedAt = shortLived.calls[0]?.at ?? 0;
    await sleep(Math.max(0, issuedAt + 1000 - Date.now()));
    assert.equal((await get(env)).stdout, first.stdout, 'fresh at 1 s');
    assert.equal(shortLived.calls.length, 1);
    await sleep(Math.max(0, issuedAt + 2300 - Date.now()));
    const refreshed = await get(env);
    assertServed(refreshed);
    assert.equal(shortLived.calls.length, 2, 'past the half-life: refetched');
    assert.notEqual(secretOf(refreshed), secretOf(first));
  });

  it('serves a cached token that is stale but unexpired while ECR fails, and refuses it once expired', async () => {
    const env = freshEnv(shortLived);
    const first = await get(env);
    const issuedAt = shortLived.calls[0]?.at ?? 0;
    shortLived.inject({ kind: 'server-error' });
    await sleep(Math.max(0, issuedAt + 2300 - Date.now()));
    const during = await get(env);
    assertServed(during);
    assert.equal(secretOf(during), secretOf(first), 'the still-valid cached token');
    assert.ok(shortLived.calls.length > 1, 'it did try ECR first');
    const log = readFileSync(join(env.HOME ?? '', '.ecr', 'log', 'ecr-login.jsonl'), 'utf8');
    assert.match(log, /serving the cached token, which is still valid/);
    await sleep(Math.max(0, issuedAt + 4300 - Date.now()));
    const expired = await get(env);
    assert.equal(expired.code, 1);
    assert.match(expired.stdout, /^cannot get an ECR token for .*ServerException/);
  });

  it('prunes expired entries when it writes', async () => {
    const env = freshEnv(shortLived);
    await get(env, HOST);
    assert.equal(entryFiles(env).length, 1);
    await sleep(4300);
    await get(env, `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`);
    const remaining = entryFiles(env).map((path) => parseEntry(readFileSync(path, 'utf8'))?.registry);
    assert.deepEqual(remaining, [`${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`]);
  });
});

describe('identity', () => {
  function profileEnv(): Env {
    const env = freshEnv(emulator, { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
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
    assert.deepEqual(emulator.calls.map((call) => call.accessKeyId), [KEY_A, KEY_B]);
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
    assert.deepEqual(emulator.calls.map((call) => call.accessKeyId), [KEY_A, KEY_B, KEY_ENV]);
  });

  it('list shows the unexpired registries of the current identity only, without calling AWS', async () => {
    const env = profileEnv();
    const a = { ...env, AWS_PROFILE: 'a' };
    await get(a, HOST);
    await get(a, 'public.ecr.aws');
    await get({ ...env, AWS_PROFILE: 'b' }, `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`);
    const calls = emulator.calls.length;
    const listed = await runHelper(['list'], { env: a });
    assert.equal(listed.code, 0);
    assert.equal(listed.stdout, `{"https://${HOST}":"AWS","https://public.ecr.aws":"AWS"}\n`);
    const other = await runHelper(['list'], { env: { ...env, AWS_PROFILE: 'b' } });
    assert.equal(other.stdout, `{"https://${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com":"AWS"}\n`);
    const nobody = await runHelper(['list'], { env: freshEnv() });
    assert.equal(nobody.stdout, '{}\n');
    assert.equal(emulator.calls.length, calls);
  });

  it('list leaves out expired tokens', async () => {
    const env = freshEnv(shortLived);
    await get(env);
    assert.equal((await runHelper(['list'], { env })).stdout, `{"https://${HOST}":"AWS"}\n`);
    await sleep(4300);
    assert.equal((await runHelper(['list'], { env })).stdout, '{}\n');
  });
});

describe('concurrency', () => {
  it('32 parallel gets on a cold cache: exactly 1 call and 32 correct answers', async () => {
    const env = freshEnv();
    emulator.inject({ kind: 'latency', delayMs: 400, times: 1 });
    const results = await Promise.all(Array.from({ length: 32 }, () => get(env)));
    assert.equal(emulator.calls.length, 1);
    const password = emulator.issued[0]?.password;
    for (const result of results) {
      assertServed(result);
      assert.equal(secretOf(result), password);
    }
  });

  it('parallel gets for 4 registries: 4 calls, none waiting on another key', async () => {
    const env = freshEnv();
    const hosts = ['eu-west-1', 'us-east-1', 'ap-south-1', 'sa-east-1'].map((region) => `${ACCOUNT}.dkr.ecr.${region}.amazonaws.com`);
    const results = await Promise.all(hosts.flatMap((host) => Array.from({ length: 6 }, () => get(env, host).then((result) => ({ host, result })))));
    assert.equal(emulator.calls.length, 4);
    assert.deepEqual(emulator.calls.map((call) => call.region).sort(), ['ap-south-1', 'eu-west-1', 'sa-east-1', 'us-east-1']);
    for (const { host, result } of results) assertServed(result, host);
  });

  it('a leader killed with SIGKILL while holding the flight: the others take over and answer', async () => {
    const env = freshEnv();
    emulator.inject({ kind: 'hang', times: 1 });
    const leader = spawn(HELPER_BIN, ['get'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
    leader.stdin.end(HOST);
    while (emulator.calls.length === 0) await sleep(20);
    const waiters = Array.from({ length: 6 }, () => runHelper(['get'], { env, input: HOST, timeoutMs: 15_000 }));
    await sleep(300);
    leader.kill('SIGKILL');
    const results = await Promise.all(waiters);
    for (const result of results) assertServed(result);
    assert.equal(emulator.calls.length, 2, 'the hung leader, then one taker-over for all six');
    assert.equal(new Set(results.map(secretOf)).size, 1);
  });

  it('a leader that fails shares its failure: an outage costs one flight, not one per waiter', async () => {
    const env = freshEnv();
    // The leader's first attempt hangs until its request timeout, so that all eight are
    // waiting on it; its retry is refused.
    emulator.inject({ kind: 'hang', times: 1 });
    emulator.inject({ kind: 'access-denied' });
    const results = await Promise.all(Array.from({ length: 8 }, () => get(env)));
    for (const result of results) {
      assert.equal(result.code, 1);
      assert.match(result.stdout, /^cannot get an ECR token for \S+: AccessDeniedException: /);
    }
    assert.equal(emulator.calls.length, 2, 'the hung attempt and its refused retry, for all eight');
  });

  it('helpers killed with SIGKILL at any moment of a miss never leave a torn entry', async () => {
    const env = freshEnv();
    for (let round = 0; round < 12; round += 1) {
      // A new registry every round, so that every run is a miss that writes.
      const child = spawn(HELPER_BIN, ['get'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
      const exited = new Promise((resolve) => child.once('close', resolve));
      child.stdin.end(`${ACCOUNT}.dkr.ecr.xx-kill-${round}.amazonaws.com`);
      await sleep(60 + ((round * 37) % 160));
      child.kill('SIGKILL');
      await exited;
      for (const path of existsSync(tokensDir(env)) ? entryFiles(env) : []) {
        assert.ok(parseEntry(readFileSync(path, 'utf8')), `${path} parses after round ${round}`);
      }
    }
    assertServed(await get(env));
  });

  it('a writer killed with SIGKILL inside its write loop leaves the old entry or the new, never a torn one', async () => {
    const { home, cleanup } = makeTempHome('ecr-login-torn-');
    homes.push(cleanup);
    const dir = join(home, 'tokens');
    mkdirSync(dir, { mode: 0o700 });
    // Rewrites one entry as fast as it can, each version a different size, until killed.
    const writer = `
      const { TokenStore } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'cache', 'token-store.js'))});
      const { makeEntry } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'cache', 'entry.js'))});
      const { silentLogger } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'logging', 'logger.js'))});
      const store = new TokenStore(${JSON.stringify(dir)}, silentLogger);
      const key = { service: 'ecr', registry: 'r', region: 'eu-west-1', endpoint: 'standard', identity: 'i' };
      const write = (n) => store.write('entry', makeEntry(key, { username: 'AWS', secret: 'x'.repeat(1000 + (n % 3000)), expiresAt: new Date(Date.now() + 3600e3) }, Date.now()));
      write(0);
      process.stdout.write('ready\\n');
      for (let n = 1; ; n += 1) write(n);`;
    for (let round = 0; round < 15; round += 1) {
      const child = spawn(process.execPath, ['-e', writer], { env: cleanEnv(home), stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((resolve) => child.once('close', resolve));
      await new Promise((resolve) => child.stdout.once('data', resolve));
      await sleep(5 + ((round * 13) % 40));
      child.kill('SIGKILL');
      await exited;
      const text = readFileSync(join(dir, 'entry.json'), 'utf8');
      assert.ok(parseEntry(text), `round ${round}: the entry parses (${text.length} bytes)`);
    }
  });
});

describe('damaged caches and untrusted directories never fail a get', () => {
  for (const [label, content] of [
    ['a truncated', '{"format":"docker-credential-ecr-login/token","version":1,"serv'],
    ['a garbage', '\u0000\u0001binary garbage'],
    ['a foreign JSON', '{"Registries":{}}'],
    ['a future-version', '{"format":"docker-credential-ecr-login/token","version":99}'],
    ['an empty', ''],
  ] as const) {
    it(`${label} entry is a miss, and is replaced by a good one`, async () => {
      const env = freshEnv();
      await get(env);
      const [path] = entryFiles(env);
      assert.ok(path);
      writeFileSync(path, content);
      const result = await get(env);
      assertServed(result);
      assert.equal(emulator.calls.length, 2);
      assert.ok(parseEntry(readFileSync(path, 'utf8')), 'replaced by a readable entry');
      assert.equal((await get(env)).stdout, result.stdout);
      assert.equal(emulator.calls.length, 2);
    });
  }

  function assertUncached(results: HelperResult[], reason: RegExp): void {
    for (const result of results) {
      assertServed(result);
      assert.match(result.stderr, reason);
    }
    assert.equal(emulator.calls.length, results.length, 'every get went to ECR');
  }

  it('a symlinked cache directory is not trusted: uncached, and nothing written through it', async () => {
    const env = freshEnv();
    const target = join(env.HOME ?? '', 'target');
    mkdirSync(target, { mode: 0o700 });
    symlinkSync(target, join(env.HOME ?? '', '.ecr'));
    assertUncached([await get(env), await get(env)], /token cache off: .*\.ecr is a symbolic link/);
    assert.deepEqual(readdirSync(target), []);
  });

  it('a cache directory writable by others is not trusted', async () => {
    const env = freshEnv();
    const dir = join(env.HOME ?? '', '.ecr');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    assertUncached([await get(env), await get(env)], /token cache off: .* writable by group or others/);
    assert.equal(existsSync(join(dir, 'tokens')), false);
  });

  it('a tokens directory owned by another user is not trusted', async () => {
    const env = freshEnv();
    const dir = join(env.HOME ?? '', '.ecr', 'tokens');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chownSync(dir, 65534, 65534);
    assertUncached([await get(env)], /token cache off: .* is owned by uid 65534/);
  });

  it('a symlink planted at an entry name is replaced, not followed', async () => {
    const env = freshEnv();
    await get(env);
    const [path] = entryFiles(env);
    assert.ok(path);
    const victim = join(env.HOME ?? '', 'victim');
    writeFileSync(victim, 'do not touch');
    rmSync(path);
    symlinkSync(victim, path);
    assertServed(await get(env));
    assert.equal(readFileSync(victim, 'utf8'), 'do not touch');
    assert.equal(lstatSync(path).isSymbolicLink(), false);
  });

  it('a full disk and a read-only cache never fail a get', async (t) => {
    const probe = await runCommand('unshare', ['--mount', '--propagation', 'private', 'true'], { env: cleanEnv('/tmp') });
    if (probe.code !== 0) {
      t.skip(`cannot make a private mount namespace here (unshare --mount: ${probe.stderr.trim()})`);
      return;
    }
    const env = freshEnv();
    const cacheDir = join(env.HOME ?? '', '.ecr');
    mkdirSync(cacheDir, { mode: 0o700 });
    // A 64 KiB tmpfs filled to the last byte, then the same remounted read-only.
    const script = [
      'set -e',
      `mount -t tmpfs -o size=64k,mode=0700 tmpfs "${cacheDir}"`,
      `mkdir -m 0700 "${cacheDir}/tokens" "${cacheDir}/log"`,
      `dd if=/dev/zero of="${cacheDir}/fill" bs=4k 2>/dev/null || true`,
      `"$1" get <<EOF\n${HOST}\nEOF`,
      `mount -o remount,ro "${cacheDir}"`,
      `"$1" get <<EOF\n${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com\nEOF`,
    ].join('\n');
    const result = await runCommand('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', HELPER_BIN], { env });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const answers = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
    assert.deepEqual(answers.map((answer) => answer.ServerURL), [HOST, `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`]);
    assert.equal(emulator.calls.length, 2);
  });
});
