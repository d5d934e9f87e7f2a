/**
 * Start-up where the usual home is missing or the cache directory is unusable: every verb still
 * answers (docs/SPEC.md section 7). A user with no HOME and no passwd entry (systemd units,
 * containers) is made real with setpriv, as root.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { LOG_FILE_NAME } from '../../src/logging/logger';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { cleanEnv, HELPER_BIN, makeTempHome, runCommand, runHelper, type Env, type HelperResult } from '../support/helper-process';

const KEY_ID = 'AKIDSTARTUPTESTS';
const SECRET_KEY = 'start-up-tests-secret';
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
/** A uid and gid that /etc/passwd does not know. */
const NOBODY_KNOWS = 54321;
const NO_HOME_NOTICE =
  'docker-credential-ecr-login: no home directory (HOME is unset and the user has no passwd entry): running without a cache or log; set AWS_ECR_CACHE_DIR to an absolute path\n';

let emulator: EcrEmulator;
before(async () => {
  emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET_KEY } });
});
after(() => emulator.close());
beforeEach(() => emulator.reset());

const awsEnv = (): Env => ({ AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_ENDPOINT_URL_ECR: emulator.url });

function assertToken(result: HelperResult): void {
  const issued = emulator.issued.at(-1);
  assert.ok(issued, result.stdout + result.stderr);
  assert.deepEqual([result.code, result.stdout], [0, `{"ServerURL":"${HOST}","Username":"AWS","Secret":${JSON.stringify(issued.password)}}\n`]);
}

function setprivUnavailable(): string | false {
  if (process.getuid?.() !== 0) return 'running as a uid with no passwd entry needs root (setpriv)';
  if (spawnSync('setpriv', ['--version']).status !== 0) return 'setpriv (util-linux) is not installed';
  return false;
}

describe('a user with no HOME and no passwd entry', { skip: setprivUnavailable() }, () => {
  // Traversable by that user: the temporary directories of root are not.
  const base = mkdtempSync(join(tmpdir(), 'ecr-login-nohome-'));
  chmodSync(base, 0o711);
  after(() => rmSync(base, { recursive: true, force: true }));
  let count = 0;
  const ownedDir = (): string => {
    const path = join(base, `dir${++count}`);
    mkdirSync(path, { mode: 0o700 });
    chownSync(path, NOBODY_KNOWS, NOBODY_KNOWS);
    return path;
  };
  const { HOME: _home, ...withoutHome } = cleanEnv(base);
  const runAsNobody = (args: string[], options: { env?: Env; input?: string; cwd: string }): Promise<HelperResult> =>
    runCommand('setpriv', [`--reuid=${NOBODY_KNOWS}`, `--regid=${NOBODY_KNOWS}`, '--clear-groups', HELPER_BIN, ...args], {
      env: { ...withoutHome, ...options.env },
      cwd: options.cwd,
      ...(options.input === undefined ? {} : { input: options.input }),
    });

  it('is what the test says it is: no passwd entry for that uid', () => {
    assert.notEqual(spawnSync('getent', ['passwd', String(NOBODY_KNOWS)]).status, 0);
  });

  it('version answers, without a word on stderr', async () => {
    const result = await runAsNobody(['version'], { cwd: ownedDir() });
    assert.match(result.stdout, /^docker-credential-ecr-login \d+\.\d+\.\d+\n$/);
    assert.deepEqual([result.code, result.stderr], [0, '']);
  });

  it('with AWS_ECR_CACHE_DIR: get caches there, list finds it, and the log is written there', async () => {
    const cacheDir = ownedDir();
    const cwd = ownedDir();
    const env = { ...awsEnv(), AWS_ECR_CACHE_DIR: cacheDir };
    const first = await runAsNobody(['get'], { env, input: HOST, cwd });
    assertToken(first);
    assert.equal(first.stderr, '');
    const second = await runAsNobody(['get'], { env, input: HOST, cwd });
    assertToken(second);
    assert.equal(emulator.calls.length, 1, 'the second get is a cache hit');
    const listed = await runAsNobody(['list'], { env, cwd });
    assert.deepEqual([listed.code, listed.stdout], [0, `{"https://${HOST}":"AWS"}\n`]);
    assert.ok(existsSync(join(cacheDir, 'log', LOG_FILE_NAME)));
    assert.deepEqual(readdirSync(cwd), []);
  });

  it('without AWS_ECR_CACHE_DIR: every verb works uncached, and says so in one line on stderr', async () => {
    const cwd = ownedDir();
    for (let run = 1; run <= 2; run += 1) {
      const result = await runAsNobody(['get'], { env: awsEnv(), input: HOST, cwd });
      assertToken(result);
      assert.equal(result.stderr, NO_HOME_NOTICE);
      assert.equal(emulator.calls.length, run, 'no cache: every get calls ECR');
    }
    const listed = await runAsNobody(['list'], { env: awsEnv(), cwd });
    assert.deepEqual([listed.code, listed.stdout, listed.stderr], [0, '{}\n', NO_HOME_NOTICE]);
    const stored = await runAsNobody(['store'], { input: JSON.stringify({ ServerURL: HOST, Username: 'AWS', Secret: 'x' }), cwd });
    assert.deepEqual([stored.code, stored.stdout], [0, '']);
    const failed = await runAsNobody(['get'], { input: HOST, cwd });
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /^cannot get an ECR token for [^\n]+: no AWS credentials found \(tried [^\n]+\)\n$/, 'a credentials failure, not a crash');
    assert.deepEqual(readdirSync(cwd), [], 'nothing written where it ran');
  });
});

describe('a relative AWS_ECR_CACHE_DIR', () => {
  const { home, cleanup } = makeTempHome();
  after(cleanup);

  it('is refused: no cache in the working directory (nor in ~/.ecr), one line on stderr, and the token still served', async () => {
    const cwd = join(home, 'work');
    mkdirSync(cwd);
    const env = cleanEnv(home, { ...awsEnv(), AWS_ECR_CACHE_DIR: 'ecr-cache' });
    for (let run = 1; run <= 2; run += 1) {
      const result = await runCommand(HELPER_BIN, ['get'], { env, input: HOST, cwd });
      assertToken(result);
      assert.equal(result.stderr, 'docker-credential-ecr-login: AWS_ECR_CACHE_DIR must be an absolute path, not "ecr-cache": running without a cache or log\n');
      assert.equal(emulator.calls.length, run);
    }
    assert.deepEqual(readdirSync(cwd), []);
    assert.deepEqual(readdirSync(home), ['work']);
    const listed = await runHelper(['list'], { env });
    assert.deepEqual([listed.code, listed.stdout], [0, '{}\n']);
  });
});
