/**
 * The log through the real bin/ (docs/SPEC.md section 6): no userinfo of a server URL even at
 * trace level, and nothing at the log's name can hold a verb.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LOG_FILE_NAME } from '../../src/logging/logger';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { cleanEnv, makeTempHome, runHelper, type Env } from '../support/helper-process';

const KEY_ID = 'AKIDLOGHYGIENE';
const SECRET_KEY = 'log-hygiene-secret';
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const USER = 'alice-canary-user';
const PASSWORD = 'Pa55w0rd-canary';

let emulator: EcrEmulator;
before(async () => {
  emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET_KEY } });
});
after(() => emulator.close());

const awsEnv = (home: string, extra: Env = {}): Env =>
  cleanEnv(home, { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_ENDPOINT_URL_ECR: emulator.url, ...extra });

describe('userinfo in a server URL', () => {
  const { home, cleanup } = makeTempHome();
  after(cleanup);

  it('never reaches the log, even at trace level, nor stderr, whatever the verb and outcome', async () => {
    const env = awsEnv(home, { AWS_ECR_LOG_LEVEL: 'trace' });
    const withUserinfo = (host: string): string => `https://${USER}:${PASSWORD}@${host}/v2/`;
    const runs = [
      { verb: 'get', input: withUserinfo(HOST) },
      { verb: 'get', input: withUserinfo(HOST) },
      { verb: 'get', input: withUserinfo('docker.io') },
      { verb: 'get', input: withUserinfo('12345678901.dkr.ecr.eu-west-1.amazonaws.com') },
      { verb: 'get', input: `https://${USER}:${PASSWORD}/x@${HOST}` },
      { verb: 'store', input: JSON.stringify({ ServerURL: withUserinfo(HOST), Username: USER, Secret: 'store-secret' }) },
      { verb: 'store', input: JSON.stringify({ ServerURL: withUserinfo('docker.io'), Username: USER, Secret: 'store-secret' }) },
      { verb: 'erase', input: withUserinfo(HOST) },
    ];
    for (const { verb, input } of runs) {
      const result = await runHelper([verb], { env, input });
      assert.equal(result.stderr.includes(PASSWORD), false, `${verb} ${input}: stderr`);
      if (!(verb === 'get' && result.code === 0)) assert.equal(result.stdout.includes(PASSWORD), false, `${verb} ${input}: stdout`);
    }
    const log = readFileSync(join(home, '.ecr', 'log', LOG_FILE_NAME), 'utf8');
    assert.ok(log.split('\n').filter(Boolean).length >= runs.length, 'every run logged something at trace level');
    assert.ok(log.includes(`https://[redacted]@${HOST}/v2/`), 'the rest of the server URL is still there');
    for (const canary of [PASSWORD, USER]) assert.equal(log.includes(canary), false, `${canary} in the log`);
  });
});

describe('something other than a regular file at the log name', () => {
  it('a FIFO neither holds a get nor receives a line', async () => {
    const { home, cleanup } = makeTempHome();
    try {
      const logDir = join(home, '.ecr', 'log');
      mkdirSync(logDir, { recursive: true, mode: 0o700 });
      execFileSync('mkfifo', ['-m', '600', join(logDir, LOG_FILE_NAME)]);
      const result = await runHelper(['get'], { env: awsEnv(home, { AWS_ECR_DISABLE_CACHE: '1' }), input: HOST, timeoutMs: 60_000 });
      assert.equal(result.signal, null, 'not killed after the test timeout');
      assert.equal(result.code, 0, result.stdout);
      assert.ok(statSync(join(logDir, LOG_FILE_NAME)).isFIFO());
      assert.deepEqual(readdirSync(logDir), [LOG_FILE_NAME]);
    } finally {
      cleanup();
    }
  });
});
