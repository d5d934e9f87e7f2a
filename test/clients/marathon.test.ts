/**
 * Marathon/Mesos (issue 5): scripts/marathon-docker-tar.ts writes the `docker.tar.gz` an app
 * fetches; the test unpacks it the way the Mesos fetcher does (`tar -C <sandbox> -xf`) and
 * then pulls the way the Mesos Docker containerizer does (apache/mesos src/docker/docker.cpp):
 * `docker -H <socket> inspect <image>`, and when that fails `docker -H <socket> pull <image>`
 * with the agent's environment, HOME set to the sandbox and stdin from /dev/null.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { describeRun, dockerCliUnavailable, emulatorEnv, runDocker } from '../support/docker-cli';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { startFakeDockerDaemon, type FakeDockerDaemon } from '../support/fake-docker-daemon';
import { installHelperOnPath } from '../support/helper-on-path';
import { cleanEnv, REPO_ROOT, runCommand, type Env, type HelperResult } from '../support/helper-process';

const KEY_ID = 'AKIDMARATHONTESTS';
const SECRET_KEY = 'marathon-tests-secret-access-key';
const ACCOUNT = '123456789012';
const HOST = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const SCRIPT = join(REPO_ROOT, 'dist', 'scripts', 'marathon-docker-tar.js');

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'ecr-login-marathon-'));
});
after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

let serial = 0;
function scratch(name: string): string {
  serial += 1;
  const dir = join(root, `${serial}-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const makeTar = (args: readonly string[], cwd: string): Promise<HelperResult> =>
  runCommand(process.execPath, [SCRIPT, ...args], { env: cleanEnv(cwd, { SOURCE_DATE_EPOCH: '1700000000' }), cwd });

/** The Mesos fetcher's extraction of a .tar.gz URI into the sandbox. */
async function fetchInto(sandbox: string, archive: string): Promise<void> {
  const result = await runCommand('tar', ['-C', sandbox, '-xf', archive], { env: cleanEnv(sandbox) });
  assert.equal(result.code, 0, describeRun(result));
}

describe('scripts/marathon-docker-tar', () => {
  it('--registry: .docker/ (0700) and .docker/config.json (0600) with credHelpers, owned by root, at the archive root', async () => {
    const dir = scratch('archive');
    const made = await makeTar(['--registry', HOST, '--registry', 'https://public.ecr.aws/', '--output', 'docker.tar.gz'], dir);
    assert.equal(made.code, 0, describeRun(made));
    const archive = join(dir, 'docker.tar.gz');
    assert.equal(statSync(archive).mode & 0o777, 0o644);
    const listing = await runCommand('tar', ['--numeric-owner', '-tvzf', archive], { env: cleanEnv(dir) });
    assert.equal(listing.code, 0, describeRun(listing));
    const lines = listing.stdout.trim().split('\n');
    assert.equal(lines.length, 2, listing.stdout);
    assert.match(lines[0]!, /^drwx------ 0\/0\s+0 .* \.docker\/$/);
    assert.match(lines[1]!, /^-rw------- 0\/0\s+\d+ .* \.docker\/config\.json$/);
    const sandbox = scratch('sandbox');
    await fetchInto(sandbox, archive);
    const config = JSON.parse(readFileSync(join(sandbox, '.docker', 'config.json'), 'utf8')) as unknown;
    assert.deepEqual(config, { credHelpers: { [HOST]: 'ecr-login', 'public.ecr.aws': 'ecr-login' } });
    assert.equal(statSync(join(sandbox, '.docker')).mode & 0o777, 0o700);
    assert.equal(statSync(join(sandbox, '.docker', 'config.json')).mode & 0o777, 0o600);
  });

  it('no --registry: credsStore', async () => {
    const dir = scratch('store');
    const made = await makeTar([], dir);
    assert.equal(made.code, 0, describeRun(made));
    const sandbox = scratch('sandbox');
    await fetchInto(sandbox, join(dir, 'docker.tar.gz'));
    assert.deepEqual(JSON.parse(readFileSync(join(sandbox, '.docker', 'config.json'), 'utf8')), { credsStore: 'ecr-login' });
  });

  it('the same input gives the same bytes (SOURCE_DATE_EPOCH)', async () => {
    const dir = scratch('reproducible');
    await makeTar(['--registry', HOST, '--output', 'a.tar.gz'], dir);
    await makeTar(['--registry', HOST, '--output', 'b.tar.gz'], dir);
    assert.deepEqual(readFileSync(join(dir, 'a.tar.gz')), readFileSync(join(dir, 'b.tar.gz')));
  });

  it('refuses a host that is not an ECR registry, and writes nothing', async () => {
    const dir = scratch('refuse');
    const made = await makeTar(['--registry', 'registry.example.com'], dir);
    assert.equal(made.code, 2);
    assert.match(made.stderr, /not an ECR registry host: "registry\.example\.com"/);
    assert.equal(existsSync(join(dir, 'docker.tar.gz')), false);
  });
});

describe('a Marathon app fetching docker.tar.gz: the Mesos Docker containerizer pull', { skip: dockerCliUnavailable() ?? false }, () => {
  let emulator: EcrEmulator;
  let daemon: FakeDockerDaemon;

  before(async () => {
    emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET_KEY } });
    daemon = await startFakeDockerDaemon({
      checkAuth: (host, auth) => {
        if (!host.includes('.dkr.ecr.')) return undefined;
        return auth?.username === 'AWS' && emulator.issued.some((token) => token.password === auth.password) ? undefined : 'no basic auth credentials';
      },
    });
  });
  after(async () => {
    await daemon?.close();
    await emulator?.close();
  });
  beforeEach(() => {
    emulator.reset();
    daemon.reset();
  });

  /** The agent: helper on its PATH, AWS credentials in its environment (as its systemd unit would set). */
  function agentEnv(extra: Env = {}): Env {
    const helper = installHelperOnPath(scratch('agent-helper'), 'plain');
    const { HOME: _unused, ...env } = cleanEnv('/nonexistent', { PATH: helper.pathWith(), ...emulatorEnv(emulator, KEY_ID, SECRET_KEY), ...extra });
    return env;
  }

  /** docker.tar.gz from the script, fetched into a fresh sandbox. */
  async function sandboxWith(args: readonly string[]): Promise<string> {
    const dir = scratch('tar');
    const made = await makeTar([...args, '--output', 'docker.tar.gz'], dir);
    assert.equal(made.code, 0, describeRun(made));
    const sandbox = scratch('sandbox');
    await fetchInto(sandbox, join(dir, 'docker.tar.gz'));
    return sandbox;
  }

  /** Docker::pull: inspect; on failure pull with HOME=<sandbox>; then inspect again. */
  async function mesosPull(image: string, sandbox: string, env: Env): Promise<HelperResult> {
    const withHome = { ...env, HOME: sandbox };
    const inspect = await runDocker(['-H', daemon.dockerHost, 'inspect', image], { env: withHome, cwd: sandbox });
    assert.notEqual(inspect.code, 0, 'not there before the pull');
    const pull = await runDocker(['-H', daemon.dockerHost, 'pull', image], { env: withHome, cwd: sandbox });
    if (pull.code !== 0) return pull;
    const again = await runDocker(['-H', daemon.dockerHost, 'inspect', image], { env: withHome, cwd: sandbox });
    assert.equal(again.code, 0, describeRun(again));
    return pull;
  }

  for (const [form, args] of [
    ['credHelpers (--registry)', ['--registry', HOST]],
    ['credsStore', []],
  ] as const) {
    it(`${form}: docker pull with HOME=<sandbox> hands the daemon AWS and the emulator token`, async () => {
      const sandbox = await sandboxWith(args);
      const pull = await mesosPull(`${HOST}/app:1`, sandbox, agentEnv());
      assert.equal(pull.code, 0, describeRun(pull));
      assert.equal(emulator.issued.length, 1);
      const requests = daemon.credentialRequests();
      assert.equal(requests.length, 1);
      assert.deepEqual(requests[0]!.registryAuth, { username: 'AWS', password: emulator.issued[0]!.password, serveraddress: HOST });
      // HOME is the sandbox, so without AWS_ECR_CACHE_DIR the token cache lives there too.
      assert.ok(existsSync(join(sandbox, '.ecr')), 'cache and log in <sandbox>/.ecr');
    });
  }

  it('with DOCKER_CONFIG=<sandbox>/.docker instead of HOME, the same', async () => {
    const sandbox = await sandboxWith(['--registry', HOST]);
    const env = { ...agentEnv({ AWS_ECR_CACHE_DIR: scratch('cache') }), HOME: scratch('home'), DOCKER_CONFIG: join(sandbox, '.docker') };
    const pull = await runDocker(['-H', daemon.dockerHost, 'pull', `${HOST}/app:1`], { env });
    assert.equal(pull.code, 0, describeRun(pull));
    assert.deepEqual(daemon.credentialRequests()[0]?.registryAuth, { username: 'AWS', password: emulator.issued[0]!.password, serveraddress: HOST });
  });

  it('credsStore: a Docker Hub image in the same app setup is pulled anonymously', async () => {
    const sandbox = await sandboxWith([]);
    const pull = await mesosPull('nginx:1', sandbox, agentEnv());
    assert.equal(pull.code, 0, describeRun(pull));
    assert.deepEqual(daemon.credentialRequests()[0]?.registryAuth, {});
    assert.equal(emulator.calls.length, 0);
  });

  it("HOME is the sandbox: the agent user's ~/.aws files are not read; absolute AWS_SHARED_CREDENTIALS_FILE works", async () => {
    const agentHome = scratch('agent-home');
    mkdirSync(join(agentHome, '.aws'));
    const credentials = join(agentHome, '.aws', 'credentials');
    writeFileSync(credentials, `[default]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET_KEY}\n`, { mode: 0o600 });
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...withoutKeys } = agentEnv();
    const lost = await mesosPull(`${HOST}/app:1`, await sandboxWith(['--registry', HOST]), withoutKeys);
    assert.notEqual(lost.code, 0, describeRun(lost));
    assert.match(lost.stderr, /no AWS credentials found \(tried .*profile "default" in \/\S+-sandbox\/\.aws\/credentials/);
    const found = await mesosPull(`${HOST}/app:2`, await sandboxWith(['--registry', HOST]), { ...withoutKeys, AWS_SHARED_CREDENTIALS_FILE: credentials });
    assert.equal(found.code, 0, describeRun(found));
    assert.equal(daemon.credentialRequests().at(-1)?.registryAuth?.password, emulator.issued[0]!.password);
  });

  it('AWS_ECR_CACHE_DIR in the agent environment: tasks share one cache, one ECR call for two sandboxes', async () => {
    const env = agentEnv({ AWS_ECR_CACHE_DIR: scratch('shared-cache') });
    for (const tag of ['1', '2']) {
      const pull = await mesosPull(`${HOST}/app:${tag}`, await sandboxWith(['--registry', HOST]), env);
      assert.equal(pull.code, 0, describeRun(pull));
    }
    assert.equal(emulator.calls.length, 1);
    for (const request of daemon.credentialRequests()) assert.equal(request.registryAuth?.password, emulator.issued[0]!.password);
  });
});
