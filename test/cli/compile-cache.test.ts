/**
 * V8's code cache of what a fetch loads (Node 22+): in `<cache dir>/node-compile-cache`, private,
 * made by a miss and never by a hit or `list`; none on Node 20.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { cleanEnv, makeTempHome, runHelper, type Env } from '../support/helper-process';

const KEY_ID = 'AKIDCOMPILECACHE';
const SECRET = 'compile-cache-secret';
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
/** The helper runs on the Node first on PATH: the one running the tests. */
const NODE_HAS_COMPILE_CACHE = Number(process.versions.node.split('.')[0]) >= 22;

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

const compileCache = (env: Env): string => join(env.HOME ?? '', '.ecr', 'node-compile-cache');

describe('the compile cache of a miss', () => {
  it(`is ${NODE_HAS_COMPILE_CACHE ? 'made, private, by the first miss, even with the token cache off' : 'not made on Node 20'}`, async () => {
    const env = freshEnv({ AWS_ECR_DISABLE_CACHE: '1' });
    const listed = await runHelper(['list'], { env });
    assert.equal(listed.code, 0);
    assert.equal(existsSync(compileCache(env)), false, 'list makes none');
    for (let i = 0; i < 2; i += 1) {
      const result = await runHelper(['get'], { env, input: HOST });
      assert.equal(result.code, 0, result.stdout);
    }
    assert.equal(existsSync(compileCache(env)), NODE_HAS_COMPILE_CACHE);
    if (NODE_HAS_COMPILE_CACHE) assert.equal(statSync(compileCache(env)).mode & 0o777, 0o700);
  });

  it('is never made by a cache hit', async () => {
    const env = freshEnv();
    assert.equal((await runHelper(['get'], { env, input: HOST })).code, 0);
    rmSync(compileCache(env), { recursive: true, force: true });
    const hit = await runHelper(['get'], { env, input: HOST });
    assert.equal(hit.code, 0);
    assert.equal(existsSync(compileCache(env)), false);
  });
});
