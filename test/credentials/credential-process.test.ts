/**
 * A profile's credential_process, when it goes wrong, end to end through the real bin/:
 *  - one that fails after printing a secret on its stderr (a `set -x` wrapper): the failure is
 *    one line with its exit status and how to see why, and the secret is nowhere — not on
 *    stdout, not on stderr, not in any file the helper wrote (log, failure record), not even at
 *    trace level;
 *  - one that hangs, and its own child: abandoned at the deadline of `get`, and gone once the
 *    helper has exited — and gone too when the helper is stopped by SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HOST, assertOneLineFailure, startCredentialWorld, type CredentialWorld, type Home } from '../support/credential-world';
import { HELPER_BIN, processState } from '../support/helper-process';

let world: CredentialWorld;
before(async () => {
  world = await startCredentialWorld();
});
after(() => world.close());

const lines = (...text: string[]): string => `${text.join('\n')}\n`;
const CANARY = 'canary-3f9c1d-credential-process-secret';

/** Every file under `dir`, with its text. */
function filesUnder(dir: string): Array<[string, string]> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => [path, readFileSync(path, 'utf8')]);
}

/** Running, by /proc: not gone, not a zombie waiting to be reaped. */
function isRunning(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** Waits (generously: the machine may be loaded) until none of `pids` runs; those still running. */
async function stillRunningAfterWaiting(pids: number[]): Promise<number[]> {
  for (let waited = 0; waited < 10_000 && pids.some(isRunning); waited += 50) await sleep(50);
  return pids.filter(isRunning);
}

async function pidsWritten(home: Home): Promise<number[]> {
  const files = ['process.pid', 'child.pid'].map((name) => join(home.home, name));
  for (let waited = 0; waited < 30_000 && !files.every(existsSync); waited += 50) await sleep(50);
  // A pid file may be seen before its text is written.
  await sleep(100);
  return files.map((file) => Number(readFileSync(file, 'utf8').trim()));
}

/** A credential_process that writes its pid and its child's, and waits for ever; it ignores polite signals. */
function hangingProcess(home: Home): string {
  return home.write(
    'bin/hang.sh',
    lines('#!/bin/sh', "trap '' TERM HUP INT", `sleep 600 & echo $! > ${join(home.home, 'child.pid')}`, `echo $$ > ${join(home.home, 'process.pid')}`, 'wait'),
    0o700,
  );
}

describe('a credential_process that fails', () => {
  for (const level of ['info', 'trace']) {
    it(`after printing a secret (set -x), at log level ${level}: its exit status, and the secret nowhere`, async () => {
      const home = world.newHome();
      const script = home.write('bin/creds.sh', lines('#!/bin/sh', 'set -x', `TOKEN=${CANARY}`, 'corp-login --token "$TOKEN" 2>/dev/null', 'exit 7'), 0o700);
      home.writeConfig(lines('[profile p]', `credential_process = ${script}`));
      const result = await world.get(home.env({ AWS_PROFILE: 'p', AWS_ECR_LOG_LEVEL: level }));
      const cause = assertOneLineFailure(result, /credentials/);
      assert.match(cause, /\(its credential_process exited with status 7: run it by hand to see why\)/);
      assert.equal(result.stdout.includes(CANARY) || result.stderr.includes(CANARY), false, 'not on stdout or stderr');
      const written = filesUnder(join(home.home, '.ecr'));
      assert.ok(written.length > 0, 'the helper wrote its log');
      for (const [path, text] of written) assert.equal(text.includes(CANARY), false, `not in ${path}`);
    });
  }
});

describe('a credential_process that hangs', () => {
  it('is abandoned at the deadline of get, and neither it nor its child outlives the helper', async () => {
    const home = world.newHome();
    home.writeConfig(lines('[profile p]', `credential_process = ${hangingProcess(home)}`));
    const result = await world.get(home.env({ AWS_PROFILE: 'p' }), HOST, 40_000);
    assertOneLineFailure(result, /within 15 s/);
    const pids = await pidsWritten(home);
    assert.deepEqual(await stillRunningAfterWaiting(pids), [], `the credential_process (${pids[0]}) and its child (${pids[1]}) are gone`);
  });

  it('nor does it outlive a helper stopped by SIGTERM', async () => {
    const home = world.newHome();
    home.writeConfig(lines('[profile p]', `credential_process = ${hangingProcess(home)}`));
    const helper = spawn(HELPER_BIN, ['get'], { env: home.env({ AWS_PROFILE: 'p' }), stdio: ['pipe', 'ignore', 'ignore'] });
    const ended = new Promise<void>((resolve) => helper.once('exit', () => resolve()));
    helper.stdin.end(HOST);
    try {
      const pids = await pidsWritten(home);
      helper.kill('SIGTERM');
      // It ends by itself: SIGTERM ends it, after its children.
      await ended;
      assert.deepEqual(await stillRunningAfterWaiting(pids), [], `the credential_process (${pids[0]}) and its child (${pids[1]}) are gone`);
    } finally {
      helper.kill('SIGKILL');
    }
  });
});
