/**
 * AWS_CA_BUNDLE (docs/SPEC.md section 7): the CAs an AWS endpoint is trusted by, read on a miss
 * only, directly and through a CONNECT proxy; an unusable bundle is one line naming it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { cleanEnv, makeTempHome, runHelper, type Env } from '../support/helper-process';
import { startRecordingProxy, startTlsFront, type RecordingProxy, type TlsFront } from '../support/recording-proxy';
import { makeTlsFiles, type TlsFiles } from '../support/tls';

const KEY_ID = 'AKIDCABUNDLE';
const SECRET = 'ca-bundle-secret';
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

let emulator: EcrEmulator;
let front: TlsFront;
let proxy: RecordingProxy;
let dir: string;
let tls: TlsFiles;
const homes: Array<() => void> = [];

before(async () => {
  emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET } });
  dir = mkdtempSync(join(tmpdir(), 'ecr-login-ca-bundle-'));
  tls = makeTlsFiles(join(dir, 'tls'), '*.ca-bundle.test');
  front = await startTlsFront(Number(new URL(emulator.url).port), tls);
  proxy = await startRecordingProxy({ routes: { 'ecr.ca-bundle.test:443': front.port } });
});

after(async () => {
  await proxy?.close();
  await front?.close();
  await emulator?.close();
  for (const cleanup of homes) cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Reaches the emulator's TLS front as https://ecr.ca-bundle.test, through the CONNECT proxy (which resolves the name). */
function envWith(extra: Env): Env {
  const { home, cleanup } = makeTempHome();
  homes.push(cleanup);
  return cleanEnv(home, {
    AWS_ACCESS_KEY_ID: KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET,
    AWS_ENDPOINT_URL_ECR: 'https://ecr.ca-bundle.test',
    HTTPS_PROXY: proxy.url,
    ...extra,
  });
}

const get = (env: Env) => runHelper(['get'], { env, input: HOST });

describe('AWS_CA_BUNDLE', () => {
  it('an endpoint signed by the bundle\'s CA is trusted: the token is served', async () => {
    const result = await get(envWith({ AWS_CA_BUNDLE: tls.caCert }));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal((JSON.parse(result.stdout) as { Username: string }).Username, 'AWS');
    assert.equal(emulator.issued.at(-1)?.accessKeyId, KEY_ID);
  });

  it('without it the same endpoint is not trusted: one line, exit 1, no token', async () => {
    const issued = emulator.issued.length;
    const result = await get(envWith({}));
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^cannot get an ECR token for 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com: .+\n$/);
    assert.equal(emulator.issued.length, issued);
  });

  it('a bundle that is missing, or holds no certificate, is refused in one line naming AWS_CA_BUNDLE and the file', async () => {
    const missing = join(dir, 'missing.pem');
    const result = await get(envWith({ AWS_CA_BUNDLE: missing }));
    assert.equal(result.code, 1);
    assert.equal(result.stdout, `cannot get an ECR token for ${HOST}: AWS_CA_BUNDLE ${missing}: cannot read it: ENOENT\n`);
    const empty = join(dir, 'not-a-bundle.pem');
    writeFileSync(empty, 'just text\n');
    const refused = await get(envWith({ AWS_CA_BUNDLE: empty }));
    assert.equal(refused.stdout, `cannot get an ECR token for ${HOST}: AWS_CA_BUNDLE ${empty}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)\n`);
  });

  it('is read on a miss only: a cache hit answers whatever the variable names', async () => {
    const env = envWith({ AWS_CA_BUNDLE: tls.caCert });
    const first = await get(env);
    assert.equal(first.code, 0, first.stdout);
    const calls = emulator.calls.length;
    const hit = await get({ ...env, AWS_CA_BUNDLE: join(dir, 'gone.pem') });
    assert.equal(hit.code, 0, hit.stdout);
    assert.equal(hit.stdout, first.stdout);
    assert.equal(emulator.calls.length, calls);
  });
});
