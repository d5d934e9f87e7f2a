/**
 * What the token-cache and single-flight tests through the real bin/ share: an ECR emulator
 * started once per file and reset before each test, a fresh HOME per test with environment keys
 * pointed at it, and a few ways to look at the answers and at the cache directory.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, type TestContext } from 'node:test';
import { startEcrEmulator, type EcrEmulator } from './ecr-emulator';
import { cleanEnv, HELPER_BIN, makeTempHome, runCommand, runHelper, type Env, type HelperResult } from './helper-process';

export const ACCOUNT = '123456789012';
export const HOST = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
/** A burst of helpers on a busy machine takes a while: a helper is killed only if it truly hangs. */
export const BURST_TIMEOUT_MS = 240_000;

export interface CacheWorld {
  readonly emulator: EcrEmulator;
  /** A fresh HOME whose environment signs with `keyId` and reaches the emulator; `extra` on top. */
  freshEnv(extra?: Env): Env;
}

/** Registers the file's hooks: call it at the top level of a test file. */
export function cacheWorld(credentials: Record<string, string>, keyId: string): CacheWorld {
  let emulator: EcrEmulator | undefined;
  const homes: Array<() => void> = [];
  before(async () => {
    emulator = await startEcrEmulator({ credentials });
  });
  after(async () => {
    await emulator?.close();
    for (const cleanup of homes) cleanup();
  });
  beforeEach(() => emulator?.reset());
  return {
    get emulator(): EcrEmulator {
      assert.ok(emulator, 'the emulator starts in before()');
      return emulator;
    },
    freshEnv(extra: Env = {}): Env {
      const { home, cleanup } = makeTempHome('ecr-login-cache-');
      homes.push(cleanup);
      assert.ok(emulator, 'the emulator starts in before()');
      return cleanEnv(home, {
        AWS_ACCESS_KEY_ID: keyId,
        AWS_SECRET_ACCESS_KEY: credentials[keyId] ?? '',
        AWS_ENDPOINT_URL_ECR: emulator.url,
        AWS_ENDPOINT_URL_ECR_PUBLIC: emulator.url,
        ...extra,
      });
    },
  };
}

export const get = (env: Env, host = HOST, timeoutMs?: number): Promise<HelperResult> => runHelper(['get'], { env, input: host, ...(timeoutMs ? { timeoutMs } : {}) });
/**
 * A `get` of a burst: stdin closed before it starts, as Docker leaves it, however long the forks
 * take; and 10 steps of `nice` below the test process, so that the ECR emulator in it answers as
 * AWS does, in time, however starved the helpers are. At the same priority, 64 helpers and two
 * busy loops starved the emulator past the SDK's 5 s request timeout: its retries counted as calls,
 * and leaders failed at the 15 s deadline. (With the emulator favoured, at load 56, the 8 × 8
 * burst made exactly 8 calls, with no retry, the first 88 s in.)
 */
export const burstGet = (env: Env, host = HOST): Promise<HelperResult> =>
  runHelper(['get'], { env, input: host, timeoutMs: BURST_TIMEOUT_MS, stdin: 'closed-pipe', niceness: 10 });

/**
 * Starts `count` runs a turn of the event loop apart, so that the emulators in this process
 * answer the first helpers' calls while the rest are forked (at a load of 40, 64 forks in one
 * go took 20 s, past the SDK's 5 s request timeout: its retry is a second call), then waits for all.
 */
export async function burst<T>(count: number, start: (index: number) => Promise<T>): Promise<T[]> {
  const runs: Array<Promise<T>> = [];
  for (let index = 0; index < count; index += 1) {
    const run = start(index);
    // Its failure is Promise.all's to report, even while later runs are still being started.
    run.catch(() => undefined);
    runs.push(run);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return Promise.all(runs);
}
export const secretOf = (result: HelperResult): string => (JSON.parse(result.stdout) as { Secret: string }).Secret;
export const tokensDir = (env: Env): string => join(env.HOME ?? '', '.ecr', 'tokens');
export const entryFiles = (env: Env): string[] => readdirSync(tokensDir(env)).filter((name) => name.endsWith('.json')).map((name) => join(tokensDir(env), name));

export function assertServed(result: HelperResult, host = HOST): void {
  assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
  const answer = JSON.parse(result.stdout) as Record<string, string>;
  assert.equal(answer.ServerURL, host);
  assert.equal(answer.Username, 'AWS');
}

/**
 * `env` with every helper writing down the modules it loads into one file (require-recorder.ts),
 * and how many of them have loaded the full command line by now: in a burst, only its leaders.
 */
export function countingFullPathLoads(env: Env): { env: Env; fullPathLoads: () => number } {
  const record = join(env.HOME ?? '', 'modules-loaded.txt');
  writeFileSync(record, '');
  return {
    env: { ...env, NODE_OPTIONS: `--require ${join(__dirname, 'require-recorder.js')}`, ECR_LOGIN_TEST_REQUIRE_RECORD: record },
    fullPathLoads: () => readFileSync(record, 'utf8').split('\n').filter((path) => path.endsWith('docker-credential-ecr-login-full-loader.js')).length,
  };
}

/** Nothing of the single flight is left behind: no lock, no clearing marker, no temp file. */
export function assertNoFlightLeftovers(env: Env): void {
  assert.deepEqual(readdirSync(tokensDir(env)).filter((name) => !name.endsWith('.json')), []);
}

/**
 * Runs the shell `steps` with the env's cache directory (`$HOME/.ecr`, in "$CACHE") on a 64 KiB
 * tmpfs filled to the last byte (a file can be created there, not written), in a private mount
 * namespace, with the helper as "$1". Undefined, the test skipped, where no mount namespace can
 * be made.
 */
export async function runOnFullDisk(t: TestContext, env: Env, steps: readonly string[]): Promise<HelperResult | undefined> {
  const probe = await runCommand('unshare', ['--mount', '--propagation', 'private', 'true'], { env: cleanEnv('/tmp') });
  if (probe.code !== 0) {
    t.skip(`cannot make a private mount namespace here (unshare --mount: ${probe.stderr.trim()})`);
    return undefined;
  }
  const cacheDir = join(env.HOME ?? '', '.ecr');
  mkdirSync(cacheDir, { mode: 0o700 });
  const script = [
    'set -e',
    `CACHE="${cacheDir}"`,
    'mount -t tmpfs -o size=64k,mode=0700 tmpfs "$CACHE"',
    'mkdir -m 0700 "$CACHE/tokens" "$CACHE/log"',
    'dd if=/dev/zero of="$CACHE/fill" bs=4k 2>/dev/null || true',
    ...steps,
  ].join('\n');
  return runCommand('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', HELPER_BIN], { env });
}
