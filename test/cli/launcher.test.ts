/**
 * bin/docker-credential-ecr-login, the launcher: it compiles the loader bundle itself (not through
 * require), so what Node's module loader did for it is its own to do: find the bundles from a
 * symbolic link (npm install -g links it from another directory), let them require their sibling
 * bundles, and say in one line when there is nothing to load.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { cleanEnv, HELPER_BIN, makeTempHome, runCommand } from '../support/helper-process';

const KEY_ID = 'AKIDLAUNCHERTESTS';
const SECRET_KEY = 'launcher-tests-secret';
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

let emulator: EcrEmulator;
let scratch: string;
before(async () => {
  emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET_KEY } });
  scratch = mkdtempSync(join(tmpdir(), 'ecr-login-launcher-'));
});
after(async () => {
  await emulator.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** A checkout with the launcher alone in bin/, and `bundle` as the loader's file when given. */
function launcherWithout(name: string, bundle?: string): string {
  const root = join(scratch, name);
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync(HELPER_BIN, join(root, 'bin', 'docker-credential-ecr-login'));
  if (bundle !== undefined) {
    mkdirSync(join(root, 'dist', 'bin'), { recursive: true });
    writeFileSync(join(root, 'dist', 'bin', 'docker-credential-ecr-login.js'), bundle);
  }
  return root;
}

describe('the launcher', () => {
  it('run through a symbolic link in another directory, answers a miss from the full command line it loads beside its bundle', async () => {
    const { home, cleanup } = makeTempHome();
    try {
      const link = join(scratch, 'docker-credential-ecr-login');
      symlinkSync(HELPER_BIN, link);
      const env = cleanEnv(home, { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_ENDPOINT_URL_ECR: emulator.url });
      const result = await runCommand(link, ['get'], { env, input: HOST });
      const issued = emulator.issued.at(-1);
      assert.ok(issued, result.stdout + result.stderr);
      assert.deepEqual([result.code, result.stdout, result.stderr], [0, `{"ServerURL":"${HOST}","Username":"AWS","Secret":${JSON.stringify(issued.password)}}\n`, '']);
    } finally {
      cleanup();
    }
  });

  it('with no bundle beside it, says in one line that it is not built, and where to build it', async () => {
    const root = launcherWithout('unbuilt');
    const result = await runCommand(join(root, 'bin', 'docker-credential-ecr-login'), ['version'], { env: cleanEnv(scratch) });
    assert.deepEqual([result.code, result.stdout, result.stderr], [1, `docker-credential-ecr-login is not built (ENOENT): run "npm run build" in ${root}\n`, '']);
  });

  it('with a bundle that does not compile, says so in one line, with no stack', async () => {
    const root = launcherWithout('broken', 'module.exports = (\n');
    const result = await runCommand(join(root, 'bin', 'docker-credential-ecr-login'), ['version'], { env: cleanEnv(scratch) });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^docker-credential-ecr-login is not built \([^\n]+\): run "npm run build" in [^\n]+\n$/);
    assert.ok(result.stdout.endsWith(`in ${root}\n`), result.stdout);
    assert.equal(result.stderr, '');
  });
});
