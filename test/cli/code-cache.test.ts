/**
 * The fast path's code cache (src/cli/loader.ts): made once a run the fast path answered is over,
 * in the cache directory's fast-path-cache/, private; read, not remade, by the next run; remade
 * when V8 refuses it; never made where the directory is not the user's alone, nor where there is
 * no cache directory yet.
 * `version` is answered by the fast path whatever stdin is, so it drives these runs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { cleanEnv, makeTempHome, runHelper, type Env } from '../support/helper-process';

let home: string;
let cleanup: () => void;
let env: Env;
let dir: string;

beforeEach(() => {
  ({ home, cleanup } = makeTempHome());
  env = cleanEnv(home);
  // A cache directory, as the first token fetched makes it.
  mkdirSync(join(home, '.ecr'), { mode: 0o700 });
  dir = join(home, '.ecr', 'fast-path-cache');
});

afterEach(() => cleanup?.());

async function version(): Promise<void> {
  const ran = await runHelper(['version'], { env });
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /^docker-credential-ecr-login \d+\.\d+\.\d+/);
  assert.equal(ran.stderr, '');
}

const cacheFiles = (): string[] => readdirSync(dir).filter((name) => name.startsWith('fast-path.'));

describe('the fast path code cache', () => {
  it('is made by the first run, private, one per Node version, and kept as it is by the next', async () => {
    await version();
    const [name, ...others] = cacheFiles();
    assert.deepEqual(others, []);
    assert.match(name ?? '', new RegExp(`^fast-path\\.${process.version.replace(/\./g, '\\.')}\\.${process.arch}\\.[0-9a-f]{16}\\.cache$`));
    const file = join(dir, name ?? '');
    const made = statSync(file);
    assert.equal(made.mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.ok(made.size > 1000, `a cache of ${made.size} bytes`);
    await version();
    const after = statSync(file);
    assert.deepEqual([after.ino, after.mtimeMs], [made.ino, made.mtimeMs], 'the second run read the cache and left it alone');
  });

  it('one V8 refuses is remade, the answer the same; a stale build of the fast path for this Node is removed, another Node version left', async () => {
    await version();
    const [name] = cacheFiles();
    const file = join(dir, name ?? '');
    writeFileSync(file, 'not a code cache');
    const staleBuild = join(dir, `fast-path.${process.version}.${process.arch}.0000000000000000.cache`);
    const otherNode = join(dir, `fast-path.v1.2.3.${process.arch}.0000000000000000.cache`);
    writeFileSync(staleBuild, 'old');
    writeFileSync(otherNode, 'other');
    await version();
    assert.notEqual(readFileSync(file, 'utf8'), 'not a code cache');
    assert.deepEqual(cacheFiles().sort(), [name, 'fast-path.v1.2.3.x64.0000000000000000.cache'.replace('x64', process.arch)].sort());
  });

  it('a FIFO or a directory at its name holds no run: the fast path answers, compiled as without a cache', async () => {
    await version();
    const [name] = cacheFiles();
    const file = join(dir, name ?? '');
    rmSync(file);
    execFileSync('mkfifo', [file]);
    await version();
    assert.ok(lstatSync(file).isFile(), 'the FIFO replaced by a cache made again');
    rmSync(file);
    mkdirSync(file);
    await version();
    assert.ok(lstatSync(file).isDirectory(), 'left as it was');
  });

  it('in a directory others may write into, is not made', async () => {
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o777);
    await version();
    assert.deepEqual(cacheFiles(), []);
  });

  it('where the cache directory is not yet, is not made, nor the cache directory', async () => {
    rmSync(join(home, '.ecr'), { recursive: true });
    await version();
    assert.deepEqual(readdirSync(home), []);
  });

  it('with no cache directory at all (a relative AWS_ECR_CACHE_DIR), the fast path still answers', async () => {
    env = { ...env, AWS_ECR_CACHE_DIR: 'relative' };
    const ran = await runHelper(['version'], { env });
    assert.equal(ran.code, 0);
    assert.match(ran.stdout, /^docker-credential-ecr-login /);
  });
});
