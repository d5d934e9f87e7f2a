/**
 * Shared config and credentials files the helper must not read (docs/SPEC.md section 5), end to
 * end through the real bin/: one larger than the limit, a FIFO, /dev/zero. Each fails a `get` at
 * once with one line naming the file — never a token of another identity, never a hang — and
 * `list` answers `{}`. The helper is killed after a few seconds, so a reader that blocks fails
 * the test rather than hang it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HOST, STATIC_KEYS, assertOneLineFailure, assertServed, startCredentialWorld, type CredentialWorld } from '../support/credential-world';
import { runHelper, type Env, type HelperResult } from '../support/helper-process';

let world: CredentialWorld;
before(async () => {
  world = await startCredentialWorld();
});
after(() => world.close());

const lines = (...text: string[]): string => `${text.join('\n')}\n`;
const KILL_AFTER_MS = 10_000;
const envKeys = { AWS_ACCESS_KEY_ID: 'AKIDENVALPHA', AWS_SECRET_ACCESS_KEY: STATIC_KEYS.AKIDENVALPHA };
const list = (env: Env): Promise<HelperResult> => runHelper(['list'], { env, timeoutMs: KILL_AFTER_MS });

describe('shared files the helper will not read', () => {
  it('a config file over 4 MiB: get fails at once, naming the file and its size, for every profile in it', async () => {
    const home = world.newHome();
    const profiles = lines(
      '[profile alpha]', 'aws_access_key_id = AKIDSTATICALPHA', `aws_secret_access_key = ${STATIC_KEYS.AKIDSTATICALPHA}`,
      '[profile bravo]', 'aws_access_key_id = AKIDSTATICBRAVO', `aws_secret_access_key = ${STATIC_KEYS.AKIDSTATICBRAVO}`,
    );
    const filler = '# generated\n'.repeat(Math.ceil((4 * 1024 * 1024) / 12));
    home.writeConfig(profiles + filler);
    const before = world.counts();
    for (const profile of ['alpha', 'bravo']) {
      const result = await world.get(home.env({ AWS_PROFILE: profile }), HOST, KILL_AFTER_MS);
      const cause = assertOneLineFailure(result, /config/);
      assert.match(cause, new RegExp(`^the AWS config file ${home.home}/\\.aws/config is \\d+ bytes \\(4\\.0 MiB\\), more than the 4 MiB this helper reads`));
    }
    assert.deepEqual(world.counts(), before, 'not one call: no token was minted for either profile');
  });

  for (const [name, variable, path] of [
    ['a FIFO at AWS_CONFIG_FILE', 'AWS_CONFIG_FILE', 'fifo'],
    ['/dev/zero at AWS_SHARED_CREDENTIALS_FILE', 'AWS_SHARED_CREDENTIALS_FILE', '/dev/zero'],
  ] as const) {
    it(`${name}: neither a cache hit nor list waits on it`, async () => {
      const home = world.newHome();
      const file = path === 'fifo' ? join(home.home, 'config.fifo') : path;
      if (path === 'fifo') assert.equal(spawnSync('mkfifo', [file]).status, 0, 'mkfifo');
      const env = home.env(envKeys);
      assertServed(await world.get(env));
      assert.deepEqual(JSON.parse((await list(env)).stdout), { [`https://${HOST}`]: 'AWS' });

      const calls = world.counts();
      const broken = home.env({ ...envKeys, [variable]: file });
      const cause = assertOneLineFailure(await world.get(broken, HOST, KILL_AFTER_MS), /not a regular file/);
      const kind = path === 'fifo' ? 'a FIFO' : 'a character device';
      const what = variable === 'AWS_CONFIG_FILE' ? 'AWS config file' : 'AWS credentials file';
      assert.equal(cause, `the ${what} ${file} is ${kind}, not a regular file`);

      const listed = await list(broken);
      assert.equal(listed.signal, null, 'list ended by itself');
      assert.deepEqual([listed.code, listed.stdout, listed.stderr], [0, '{}\n', ''], 'list knows no identity, so lists nothing');
      assert.deepEqual(world.counts(), calls, 'no call was made');
    });
  }

  it('/dev/null as both files is read as empty, as the SDK reads it', async () => {
    const home = world.newHome();
    const env = home.env({ ...envKeys, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' });
    assertServed(await world.get(env));
    assert.equal(world.ecr.calls.at(-1)?.accessKeyId, 'AKIDENVALPHA');
  });
});
