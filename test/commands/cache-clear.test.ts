/**
 * `cache clear [HOST]` through the real bin/: it removes the helper's token files (all, or one
 * registry's for every identity), says how many, and touches nothing else: not the Go helper's
 * cache.json, not the log, not a foreign file in the tokens directory, nothing outside.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { cleanEnv, makeTempHome, runHelper, type Env, type HelperResult } from '../support/helper-process';

const KEYS: Record<string, string> = { AKIDCLEARA: 'clear-secret-a', AKIDCLEARB: 'clear-secret-b' };
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const OTHER = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

let emulator: EcrEmulator;
const homes: Array<() => void> = [];
before(async () => {
  emulator = await startEcrEmulator({ credentials: KEYS });
});
after(async () => {
  await emulator.close();
  for (const cleanup of homes) cleanup();
});
beforeEach(() => emulator.reset());

function freshHome(): { home: string; as: (key: string) => Env } {
  const { home, cleanup } = makeTempHome('ecr-login-clear-');
  homes.push(cleanup);
  const base = cleanEnv(home, { AWS_ENDPOINT_URL_ECR: emulator.url, AWS_ENDPOINT_URL_ECR_PUBLIC: emulator.url });
  return { home, as: (key) => ({ ...base, AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: KEYS[key] ?? '' }) };
}

const tokenFiles = (home: string): string[] => readdirSync(join(home, '.ecr', 'tokens')).filter((name) => name.endsWith('.json')).sort();
const clear = (env: Env, ...host: string[]): Promise<HelperResult> => runHelper(['cache', 'clear', ...host], { env });

/** Fills the cache: HOST for two identities, OTHER and ECR Public for one. */
async function filled(): Promise<{ home: string; as: (key: string) => Env }> {
  const world = freshHome();
  for (const [key, host] of [['AKIDCLEARA', HOST], ['AKIDCLEARB', HOST], ['AKIDCLEARA', OTHER], ['AKIDCLEARA', 'public.ecr.aws']] as const) {
    const got = await runHelper(['get'], { env: world.as(key), input: host });
    assert.equal(got.code, 0, got.stdout);
  }
  assert.equal(tokenFiles(world.home).length, 4);
  return world;
}

describe('cache clear', () => {
  it('HOST: removes that registry’s tokens for every identity, says how many, and the next get calls ECR again', async () => {
    const { home, as } = await filled();
    const result = await clear(as('AKIDCLEARA'), `https://${HOST.toUpperCase()}/`);
    assert.deepEqual([result.code, result.stderr], [0, '']);
    assert.equal(result.stdout, `removed 2 cached tokens for ${HOST} from ${join(home, '.ecr', 'tokens')}\n`);
    assert.equal(tokenFiles(home).length, 2);
    const calls = emulator.calls.length;
    await runHelper(['get'], { env: as('AKIDCLEARA'), input: OTHER });
    assert.equal(emulator.calls.length, calls, 'another registry still hits');
    await runHelper(['get'], { env: as('AKIDCLEARB'), input: HOST });
    assert.equal(emulator.calls.length, calls + 1, 'the cleared registry is fetched again');
  });

  it('no HOST: removes every token file and nothing else', async () => {
    const { home, as } = await filled();
    const ecrDir = join(home, '.ecr');
    const goCache = join(ecrDir, 'cache.json');
    writeFileSync(goCache, '{"Version":"1.0","Registries":{}}', { mode: 0o600 });
    const foreign = join(ecrDir, 'tokens', 'notes.json');
    writeFileSync(foreign, '{"mine": true}', { mode: 0o600 });
    const outside = join(home, 'precious.json');
    writeFileSync(outside, '{}');
    const result = await clear(as('AKIDCLEARA'));
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^removed 4 cached tokens from /);
    assert.deepEqual(tokenFiles(home), ['notes.json'], 'a file that is not one of our entries stays');
    assert.equal(readFileSync(goCache, 'utf8'), '{"Version":"1.0","Registries":{}}', "the Go helper's cache.json stays");
    assert.ok(existsSync(outside));
    assert.ok(readdirSync(join(ecrDir, 'log')).length > 0, 'the log stays');
    const again = await clear(as('AKIDCLEARA'));
    assert.match(again.stdout, /^removed 0 cached tokens from /);
  });

  it('an alias clears its ECR registry', async () => {
    const { home, as } = await filled();
    writeFileSync(join(home, '.ecr', 'config.json'), JSON.stringify({ registries: { 'registry.example.com': { registry: OTHER } } }));
    const result = await clear(as('AKIDCLEARA'), 'registry.example.com');
    assert.match(result.stdout, new RegExp(`^removed 1 cached token for ${OTHER.replace(/\./g, '\\.')} from `));
  });

  it('no cache yet: nothing to remove, and nothing is created', async () => {
    const { home, as } = freshHome();
    const result = await clear(as('AKIDCLEARA'));
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^no token cache at .*: nothing to remove\n$/);
    assert.equal(existsSync(join(home, '.ecr', 'tokens')), false);
  });

  it('a cache directory that is not trusted is refused, and nothing behind it is removed', async () => {
    const { home, as } = freshHome();
    const victim = join(home, 'victim');
    mkdirSync(victim, { mode: 0o700 });
    writeFileSync(join(victim, 'a.json'), JSON.stringify({ format: 'docker-credential-ecr-login/token' }));
    const cacheDir = join(home, 'cache');
    mkdirSync(cacheDir, { mode: 0o700 });
    symlinkSync(victim, join(cacheDir, 'tokens'));
    const result = await clear({ ...as('AKIDCLEARA'), AWS_ECR_CACHE_DIR: cacheDir });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /the token cache is not trusted \(.*tokens is a symbolic link\); nothing was removed/);
    assert.deepEqual(readdirSync(victim), ['a.json']);
    chmodSync(cacheDir, 0o777);
    const open = await clear({ ...as('AKIDCLEARA'), AWS_ECR_CACHE_DIR: cacheDir });
    assert.match(open.stderr, /writable by group or others/);
  });

  it('a host that is not ECR is refused', async () => {
    const { as } = freshHome();
    const result = await clear(as('AKIDCLEARA'), 'ghcr.io');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /ghcr\.io is not an ECR registry, nor an alias/);
  });

  it('an action other than clear is a usage error', async () => {
    const { as } = freshHome();
    const result = await runHelper(['cache', 'purge'], { env: as('AKIDCLEARA') });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Allowed choices are clear.*cache --help/);
  });
});
