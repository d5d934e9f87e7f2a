/**
 * V8's code caches of what a miss loads (src/cli/code-cache-load.ts): the full command line
 * (full-loader.ts) and, of the npm package's packages (bundled-dependencies.ts), the logger's (a
 * miss signed with static keys loads no AWS SDK: test/aws/direct-call.test.ts), each in
 * `<cache dir>/fast-path-cache/<bundle>.<node>.<arch>.<digest>.cache`, private, made by the first
 * miss (even with the token cache off), read and left alone by the next one, remade when V8
 * refuses it. `list` makes neither, and a cache hit loads no package.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { cleanEnv, makeTempHome, runHelper, type Env } from '../support/helper-process';

const KEY_ID = 'AKIDCOMPILECACHE';
const SECRET = 'compile-cache-secret';
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

let emulator: EcrEmulator;
const cleanups: Array<() => void> = [];

before(async () => {
  emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET } });
});
after(async () => {
  await emulator?.close();
  for (const cleanup of cleanups) cleanup();
});

function freshEnv(extra: Env = {}): Env {
  const { home, cleanup } = makeTempHome();
  cleanups.push(cleanup);
  return cleanEnv(home, { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET, AWS_ENDPOINT_URL_ECR: emulator.url, ...extra });
}

const codeCacheDir = (env: Env): string => join(env.HOME ?? '', '.ecr', 'fast-path-cache');
const BUNDLES = ['dependencies', 'full', 'logging'];
/** What a miss with environment keys loads. */
const MISS_BUNDLES = ['full', 'logging'];
/** The caches of the bundles a miss loads, by name. */
const missCaches = (env: Env): string[] =>
  existsSync(codeCacheDir(env)) ? readdirSync(codeCacheDir(env)).filter((name) => BUNDLES.some((bundle) => name.startsWith(`${bundle}.`))).sort() : [];

/** A `get`'s answer, but for the token, which the emulator mints anew for each call. */
async function get(env: Env): Promise<Record<string, string>> {
  const result = await runHelper(['get'], { env, input: HOST });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  const { Secret, ...answer } = JSON.parse(result.stdout) as Record<string, string>;
  assert.ok((Secret ?? '').length > 100, 'a token');
  return answer;
}

describe('the code caches of a miss', () => {
  it('are made, private, by the first miss even with the token cache off, and read as they are by the next', async () => {
    const env = freshEnv({ AWS_ECR_DISABLE_CACHE: '1' });
    const listed = await runHelper(['list'], { env });
    assert.equal(listed.code, 0);
    assert.deepEqual(missCaches(env), [], 'list makes none');
    const first = await get(env);
    const names = missCaches(env);
    const version = process.version.replace(/\./g, '\\.');
    assert.deepEqual(
      names.map((name) => name.replace(new RegExp(`^(\\w+)\\.${version}\\.${process.arch}\\.[0-9a-f]{16}\\.cache$`), '$1')),
      MISS_BUNDLES,
    );
    const made = names.map((name) => statSync(join(codeCacheDir(env), name)));
    for (const stat of made) {
      assert.equal(stat.mode & 0o777, 0o600);
      assert.ok(stat.size > 10_000, `a cache of ${stat.size} bytes`);
    }
    assert.equal(statSync(codeCacheDir(env)).mode & 0o777, 0o700);
    const second = await get(env);
    assert.deepEqual(second, first, 'the same answer from the cached code');
    const kept = names.map((name) => statSync(join(codeCacheDir(env), name)));
    assert.deepEqual(
      kept.map((stat) => [stat.ino, stat.mtimeMs]),
      made.map((stat) => [stat.ino, stat.mtimeMs]),
      'the second miss read the caches and left them alone',
    );
  });

  it('one V8 refuses is remade, the answer the same', async () => {
    const env = freshEnv({ AWS_ECR_DISABLE_CACHE: '1' });
    const first = await get(env);
    const names = missCaches(env);
    for (const name of names) writeFileSync(join(codeCacheDir(env), name), 'not a code cache');
    assert.deepEqual(await get(env), first);
    for (const name of names) assert.notEqual(readFileSync(join(codeCacheDir(env), name), 'utf8'), 'not a code cache', name);
    assert.deepEqual(missCaches(env), names);
  });

  it('a cache hit loads no package: it never makes the caches of the packages\' bundles', async () => {
    const env = freshEnv();
    await get(env);
    rmSync(codeCacheDir(env), { recursive: true, force: true });
    await get(env);
    assert.deepEqual(
      missCaches(env).filter((name) => name.startsWith('dependencies.') || name.startsWith('logging.')),
      [],
    );
  });
});
