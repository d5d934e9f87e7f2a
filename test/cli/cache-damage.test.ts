/**
 * The token cache end to end when things go wrong around it (docs/SPEC.md section 4): helpers
 * killed mid-write, damaged entries, directories that cannot be trusted, a full or read-only
 * disk. Real bin/ processes, the real SDK, the ECR emulator counting calls. None of it may fail
 * a get or leave a torn entry.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseEntry } from '../../src/cache/entry';
import { ACCOUNT, assertServed, cacheWorld, entryFiles, get, HOST, runOnFullDisk, tokensDir } from '../support/cache-world';
import { cleanEnv, HELPER_BIN, makeTempHome, type Env, type HelperResult } from '../support/helper-process';

const KEY_ID = 'AKIDCACHEDAMAGE';
const world = cacheWorld({ [KEY_ID]: 'cache-damage-secret' }, KEY_ID);
const freshEnv = (): Env => world.freshEnv();
const homes: Array<() => void> = [];
after(() => {
  for (const cleanup of homes) cleanup();
});

describe('killed helpers', () => {
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
      // Until killed; or, should the test die first, until it notices its parent is gone.
      const parent = process.ppid;
      for (let n = 1; n % 1000 !== 0 || process.ppid === parent; n += 1) write(n);`;
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
      assert.equal(world.emulator.calls.length, 2);
      assert.ok(parseEntry(readFileSync(path, 'utf8')), 'replaced by a readable entry');
      assert.equal((await get(env)).stdout, result.stdout);
      assert.equal(world.emulator.calls.length, 2);
    });
  }

  function assertUncached(results: HelperResult[], reason: RegExp): void {
    for (const result of results) {
      assertServed(result);
      assert.match(result.stderr, reason);
    }
    assert.equal(world.emulator.calls.length, results.length, 'every get went to ECR');
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
    const env = freshEnv();
    // The full tmpfs, then the same remounted read-only.
    const result = await runOnFullDisk(t, env, [
      `"$1" get <<EOF\n${HOST}\nEOF`,
      'mount -o remount,ro "$CACHE"',
      `"$1" get <<EOF\n${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com\nEOF`,
    ]);
    if (result === undefined) return;
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const answers = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
    assert.deepEqual(answers.map((answer) => answer.ServerURL), [HOST, `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`]);
    assert.equal(world.emulator.calls.length, 2);
  });
});
