/**
 * Files written by `configure`, used by the real clients (issue 12): the real Docker CLI pulls
 * through a Docker config that `configure` wrote (an ECR host, an alias from the settings file,
 * `--store`), and through a `docker.tar.gz` from `configure --archive` unpacked into a sandbox
 * the way the Mesos fetcher does. The fake daemon records the credentials the CLI handed over.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { describeRun, dockerCliUnavailable, emulatorEnv, runDocker } from '../support/docker-cli';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { startFakeDockerDaemon, type FakeDockerDaemon } from '../support/fake-docker-daemon';
import { installHelperOnPath, type HelperOnPath } from '../support/helper-on-path';
import { cleanEnv, runCommand, runHelper, type Env } from '../support/helper-process';

const KEY_ID = 'AKIDCONFIGURECLIENTS';
const SECRET_KEY = 'configure-clients-secret-access-key';
const ACCOUNT = '123456789012';
const HOST = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const ALIAS = 'registry.example.com';

describe('the Docker CLI through files written by configure', { skip: dockerCliUnavailable() ?? false }, () => {
  let emulator: EcrEmulator;
  let daemon: FakeDockerDaemon;
  let root: string;
  let serial = 0;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'ecr-login-configure-clients-'));
    emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET_KEY } });
    daemon = await startFakeDockerDaemon({
      checkAuth: (host, auth) => {
        if (host !== HOST && host !== ALIAS) return undefined;
        return auth?.username === 'AWS' && emulator.issued.some((token) => token.password === auth.password) ? undefined : 'no basic auth credentials';
      },
    });
  });
  after(async () => {
    await daemon?.close();
    await emulator?.close();
    rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    emulator.reset();
    daemon.reset();
  });

  function workspace(): { env: Env; home: string; helper: HelperOnPath } {
    serial += 1;
    const home = join(root, `${serial}`, 'home');
    mkdirSync(home, { recursive: true });
    const helper = installHelperOnPath(join(root, `${serial}`, 'helper'), 'spy');
    const env = cleanEnv(home, { PATH: helper.pathWith(), DOCKER_HOST: daemon.dockerHost, ...emulatorEnv(emulator, KEY_ID, SECRET_KEY) });
    return { env, home, helper };
  }

  async function configured(env: Env, args: readonly string[]): Promise<void> {
    const result = await runHelper(['configure', ...args], { env });
    assert.equal(result.code, 0, describeRun(result));
  }

  it('configure HOST, then docker pull: the daemon gets AWS and the token ECR issued', async () => {
    const { env, helper } = workspace();
    await configured(env, [HOST]);
    const pull = await runDocker(['pull', `${HOST}/app:1`], { env });
    assert.equal(pull.code, 0, describeRun(pull));
    const requests = daemon.credentialRequests();
    assert.equal(requests.length, 1);
    assert.deepEqual(requests[0]?.registryAuth, { username: 'AWS', password: emulator.issued[0]?.password, serveraddress: HOST });
    assert.deepEqual(helper.calls().map((call) => [call.verb, call.stdin, call.status]), [['get', HOST, 0]]);
  });

  it('configure ALIAS (a CNAME in front of ECR), then docker pull ALIAS/app: the ECR registry’s token, for the alias', async () => {
    const { env, home } = workspace();
    mkdirSync(join(home, '.ecr'), { mode: 0o700 });
    writeFileSync(join(home, '.ecr', 'config.json'), JSON.stringify({ registries: { [ALIAS]: { registry: HOST } } }));
    await configured(env, [ALIAS]);
    const pull = await runDocker(['pull', `${ALIAS}/team/app:1`], { env });
    assert.equal(pull.code, 0, describeRun(pull));
    assert.deepEqual(daemon.credentialRequests()[0]?.registryAuth, { username: 'AWS', password: emulator.issued[0]?.password, serveraddress: ALIAS });
    assert.deepEqual(emulator.calls.map((call) => [call.region, call.registryIds]), [['eu-west-1', [ACCOUNT]]]);
  });

  it('configure --store: a Docker Hub pull still goes anonymous, an ECR pull gets the token', async () => {
    const { env } = workspace();
    await configured(env, ['--store']);
    const hub = await runDocker(['pull', 'alpine:3'], { env });
    assert.equal(hub.code, 0, describeRun(hub));
    const ecr = await runDocker(['pull', `${HOST}/app:1`], { env });
    assert.equal(ecr.code, 0, describeRun(ecr));
    const [hubRequest, ecrRequest] = daemon.credentialRequests();
    assert.deepEqual(hubRequest?.registryAuth, {});
    assert.equal(ecrRequest?.registryAuth?.password, emulator.issued[0]?.password);
  });

  it('configure --archive, unpacked as the Mesos fetcher does, then docker pull with HOME=<sandbox>', async () => {
    const { env, home } = workspace();
    const archive = join(home, 'docker.tar.gz');
    await configured(env, ['--archive', archive, HOST]);
    const sandbox = join(home, 'sandbox');
    mkdirSync(sandbox);
    const fetched = await runCommand('tar', ['-C', sandbox, '-xf', archive], { env: cleanEnv(sandbox) });
    assert.equal(fetched.code, 0, describeRun(fetched));
    const agentEnv = { ...env, HOME: sandbox, AWS_ECR_CACHE_DIR: join(home, 'agent-cache') };
    const pull = await runDocker(['-H', daemon.dockerHost, 'pull', `${HOST}/web:1`], { env: agentEnv, cwd: sandbox });
    assert.equal(pull.code, 0, describeRun(pull));
    assert.deepEqual(daemon.credentialRequests()[0]?.registryAuth, { username: 'AWS', password: emulator.issued[0]?.password, serveraddress: HOST });
  });
});
