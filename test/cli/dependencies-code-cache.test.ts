/**
 * V8's code cache of the npm package's dependencies bundle (src/cli/bundled-dependencies.ts): in
 * `<cache dir>/fast-path-cache/dependencies.<node>.<arch>.<digest>.cache`, private, made by the
 * first miss (even with the token cache off), read and left alone by the next one, remade when
 * V8 refuses it; never made by a cache hit or `list`, which load no package.
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
const dependenciesCaches = (env: Env): string[] =>
  existsSync(codeCacheDir(env)) ? readdirSync(codeCacheDir(env)).filter((name) => name.startsWith('dependencies.')) : [];

/** A `get`'s answer, but for the token, which the emulator mints anew for each call. */
async function get(env: Env): Promise<Record<string, string>> {
  const result = await runHelper(['get'], { env, input: HOST });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  const { Secret, ...answer } = JSON.parse(result.stdout) as Record<string, string>;
  assert.ok((Secret ?? '').length > 100, 'a token');
  return answer;
}

describe('the code cache of the dependencies bundle', () => {
  it('is made, private, by the first miss even with the token cache off, and read as it is by the next', async () => {
    const env = freshEnv({ AWS_ECR_DISABLE_CACHE: '1' });
    const listed = await runHelper(['list'], { env });
    assert.equal(listed.code, 0);
    assert.deepEqual(dependenciesCaches(env), [], 'list makes none');
    const first = await get(env);
    const [name, ...others] = dependenciesCaches(env);
    assert.deepEqual(others, []);
    assert.match(name ?? '', new RegExp(`^dependencies\\.${process.version.replace(/\./g, '\\.')}\\.${process.arch}\\.[0-9a-f]{16}\\.cache$`));
    const file = join(codeCacheDir(env), name ?? '');
    const made = statSync(file);
    assert.equal(made.mode & 0o777, 0o600);
    assert.equal(statSync(codeCacheDir(env)).mode & 0o777, 0o700);
    assert.ok(made.size > 100_000, `a cache of ${made.size} bytes`);
    const second = await get(env);
    assert.deepEqual(second, first, 'the same answer from the cached code');
    const kept = statSync(file);
    assert.deepEqual([kept.ino, kept.mtimeMs], [made.ino, made.mtimeMs], 'the second miss read the cache and left it alone');
  });

  it('one V8 refuses is remade, the answer the same', async () => {
    const env = freshEnv({ AWS_ECR_DISABLE_CACHE: '1' });
    const first = await get(env);
    const [name] = dependenciesCaches(env);
    const file = join(codeCacheDir(env), name ?? '');
    writeFileSync(file, 'not a code cache');
    assert.deepEqual(await get(env), first);
    assert.notEqual(readFileSync(file, 'utf8'), 'not a code cache');
    assert.deepEqual(dependenciesCaches(env), [name]);
  });

  it('is never made by a cache hit', async () => {
    const env = freshEnv();
    await get(env);
    rmSync(codeCacheDir(env), { recursive: true, force: true });
    await get(env);
    assert.deepEqual(dependenciesCaches(env), []);
  });
});
