/**
 * skopeo (containers/image, as podman uses it) against a real registry (issue 5):
 *
 * - a private network namespace whose /etc/hosts maps the ECR hostname to 127.0.0.1;
 * - inside it, Distribution's `docker-registry` on 127.0.0.1:443 with a certificate for that
 *   hostname from a throwaway CA, and htpasswd (bcrypt) auth whose password is the token the
 *   ECR emulator issued;
 * - the emulator stays in the test process; a forwarder makes it reachable from the namespace;
 * - skopeo finds `docker-credential-ecr-login` through `credHelpers` and pushes and inspects.
 *
 * bcrypt only reads the first 72 bytes of a password and ECR tokens are ~2 KB, so the registry
 * alone cannot tell a whole token from a truncated or altered one: a spy in front of the helper
 * records what it printed, and the test compares the full secret with the emulator's.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { BCRYPT_MAX_BYTES, bcryptHtpasswdLine, startRegistryInNetns, type RegistryProcess } from '../support/distribution-registry';
import { describeRun, emulatorEnv, findOnPath, writeDockerConfig } from '../support/docker-cli';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { HELPER_COMMAND, installHelperOnPath, type HelperCall, type HelperOnPath } from '../support/helper-on-path';
import { cleanEnv, runCommand, type Env, type HelperResult } from '../support/helper-process';
import { createNetns, forwardIntoNetns, netnsUnavailable, type Forward, type Netns } from '../support/netns';
import { writeOciLayout, type OciImage } from '../support/oci-layout';
import { makeTlsFiles, type TlsFiles } from '../support/tls';

const KEY_ID = 'AKIDSKOPEOTESTS';
const SECRET_KEY = 'skopeo-tests-secret-access-key';
const ACCOUNT = '123456789012';
const HOST = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const IMAGE = `docker://${HOST}/app`;

function whyNot(): string | undefined {
  const missing = [
    ['skopeo', 'skopeo'],
    ['docker-registry', 'docker-registry'],
    ['htpasswd', 'apache2-utils'],
    ['openssl', 'openssl'],
  ].filter(([command]) => findOnPath(command!, `${process.env.PATH ?? ''}:/usr/sbin:/sbin`) === undefined);
  if (missing.length > 0) return `not installed: ${missing.map(([command, pkg]) => `${command} (Debian package ${pkg})`).join(', ')}`;
  return netnsUnavailable();
}

const unavailable = whyNot();

describe('skopeo against a real registry through credHelpers, in a private network namespace', { skip: unavailable ?? false }, () => {
  let root: string;
  let emulator: EcrEmulator;
  let netns: Netns | undefined;
  let forward: Forward | undefined;
  let registry: RegistryProcess | undefined;
  let tls: TlsFiles;
  let helper: HelperOnPath;
  let env: Env;
  let token: string;
  let image: OciImage;
  let authFile: string;
  let policy: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'ecr-login-skopeo-'));
    emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET_KEY } });
    netns = createNetns({ [HOST]: '127.0.0.1' });
    forward = await forwardIntoNetns(netns, Number(new URL(emulator.url).port));
    tls = makeTlsFiles(join(root, 'tls'), HOST);
    helper = installHelperOnPath(join(root, 'helper'), 'spy');
    const home = join(root, 'home');
    mkdirSync(home);
    mkdirSync(join(root, 'run'), { mode: 0o700 });
    mkdirSync(join(root, 'tmp'));
    mkdirSync(join(root, 'registries.d'));
    writeFileSync(join(root, 'registries.conf'), '# empty: no mirrors, no search registries\n');
    policy = join(root, 'policy.json');
    writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    authFile = join(root, 'auth.json');
    writeFileSync(authFile, JSON.stringify({ credHelpers: { [HOST]: 'ecr-login' } }));
    const inNamespace = `http://127.0.0.1:${forward.port}`;
    env = cleanEnv(home, {
      PATH: helper.pathWith(),
      ...emulatorEnv(emulator, KEY_ID, SECRET_KEY),
      AWS_ENDPOINT_URL_ECR: inNamespace,
      AWS_ENDPOINT_URL_ECR_PUBLIC: inNamespace,
      // containers/image reads these; keep it away from the machine's files.
      XDG_RUNTIME_DIR: join(root, 'run'),
      CONTAINERS_REGISTRIES_CONF: join(root, 'registries.conf'),
      TMPDIR: join(root, 'tmp'),
    });

    // The helper, run inside the namespace, reaches the emulator and caches the token: the
    // registry's password is that token, and the clients' own `get`s are cache hits.
    const first = await inNetns(HELPER_COMMAND, ['get'], { input: HOST });
    assert.equal(first.code, 0, describeRun(first));
    token = (JSON.parse(first.stdout) as { Secret: string }).Secret;
    assert.equal(emulator.issued.length, 1);
    assert.equal(token, emulator.issued[0]!.password);
    assert.ok(Buffer.byteLength(token) > 1000, 'a realistic token, far longer than bcrypt reads');

    registry = await startRegistryInNetns(netns, {
      dir: join(root, 'registry'),
      addr: '127.0.0.1:443',
      tls,
      htpasswd: bcryptHtpasswdLine('AWS', token),
    });
    image = writeOciLayout(join(root, 'layout'), 'v1');
  });

  after(async () => {
    await registry?.close();
    await forward?.close();
    netns?.remove();
    await emulator?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  let callsBefore = 0;
  beforeEach(() => {
    callsBefore = helper.calls().length;
    emulator.clearFaults();
  });
  const newCalls = (): HelperCall[] => helper.calls().slice(callsBefore);

  function inNetns(command: string, args: readonly string[], options: { env?: Env; input?: string } = {}): Promise<HelperResult> {
    const [ip, argv] = netns!.argv(command, args);
    return runCommand(ip, argv, { env: options.env ?? env, input: options.input ?? '', timeoutMs: 90_000, cwd: root });
  }

  const skopeo = (args: readonly string[], extraEnv: Env = {}): Promise<HelperResult> =>
    inNetns('skopeo', ['--policy', policy, '--registries.d', join(root, 'registries.d'), '--tmpdir', join(root, 'tmp'), ...args], { env: { ...env, ...extraEnv } });

  const inspect = (args: readonly string[], extraEnv: Env = {}): Promise<HelperResult> =>
    skopeo(['inspect', '--cert-dir', tls.clientCertDir, ...args, `${IMAGE}:v1`], extraEnv);

  /** Every call this test made was a `get` for the bare host, answered with the whole token. */
  function assertHelperServedTheToken(expected = token): void {
    const calls = newCalls();
    assert.ok(calls.length > 0, 'skopeo ran the helper');
    for (const call of calls) {
      assert.deepEqual(call.args, ['get']);
      assert.equal(call.stdin, HOST, 'containers/image writes the bare host, no newline');
      assert.equal(call.status, 0);
      const answer = JSON.parse(call.stdout) as Record<string, string>;
      assert.equal(answer.Username, 'AWS');
      assert.equal(answer.Secret, expected, 'the full secret, not just the 72 bytes bcrypt checks');
    }
  }

  it('skopeo copy (push) from an OCI layout succeeds with the helper\'s token', async () => {
    const result = await skopeo(['copy', '--dest-cert-dir', tls.clientCertDir, '--authfile', authFile, `oci:${image.dir}:${image.tag}`, `${IMAGE}:v1`]);
    assert.equal(result.code, 0, describeRun(result));
    assertHelperServedTheToken();
    assert.match(registry!.log(), /auth\.user\.name="?AWS"?/, 'the registry authenticated user AWS');
    assert.equal(emulator.calls.length, 1, 'skopeo\'s gets were cache hits');
  });

  it('skopeo inspect with --authfile: the pushed image', async () => {
    const result = await inspect(['--authfile', authFile]);
    assert.equal(result.code, 0, describeRun(result));
    const info = JSON.parse(result.stdout) as { Name: string; Digest: string; Layers: string[] };
    assert.equal(info.Name, `${HOST}/app`);
    assert.equal(info.Digest, image.manifestDigest);
    assert.deepEqual(info.Layers, [image.layerDigest]);
    assertHelperServedTheToken();
  });

  it('skopeo inspect with REGISTRY_AUTH_FILE', async () => {
    const result = await inspect([], { REGISTRY_AUTH_FILE: authFile });
    assert.equal(result.code, 0, describeRun(result));
    assertHelperServedTheToken();
  });

  it('skopeo inspect with credHelpers in ~/.docker/config.json', async () => {
    const home = join(root, 'home-docker-config');
    writeDockerConfig(join(home, '.docker'), { credHelpers: { [HOST]: 'ecr-login' } });
    const result = await inspect([], { HOME: home, AWS_ECR_CACHE_DIR: join(env.HOME!, '.ecr') });
    assert.equal(result.code, 0, describeRun(result));
    assertHelperServedTheToken();
  });

  it('control: without credHelpers the registry refuses (it really checks)', async () => {
    const empty = join(root, 'empty-auth.json');
    writeFileSync(empty, '{}');
    const result = await inspect(['--authfile', empty]);
    assert.notEqual(result.code, 0, describeRun(result));
    assert.match(result.stderr, /unauthorized|authentication required/i);
    assert.deepEqual(newCalls(), []);
  });

  it('fails when the helper is not on PATH', async () => {
    // A PATH holding skopeo alone: the machine's own PATH may well have a docker-credential-ecr-login
    // (the Go helper from Debian's amazon-ecr-credential-helper, or an installed copy of ours).
    const skopeoOnly = join(root, 'skopeo-only');
    mkdirSync(skopeoOnly, { recursive: true });
    symlinkSync(findOnPath('skopeo')!, join(skopeoOnly, 'skopeo'));
    const result = await inspect(['--authfile', authFile], { PATH: skopeoOnly });
    assert.notEqual(result.code, 0, describeRun(result));
    // skopeo 1.9 (Debian 12) words a helper missing from PATH misleadingly: "docker-credential-
    // ecr-login resolves to executable in current directory (./docker-credential-ecr-login)".
    assert.match(result.stderr, /error getting credentials - err: .*docker-credential-ecr-login/);
    assert.match(result.stderr, /executable file not found|no such file|resolves to executable in current directory/i);
    assert.deepEqual(newCalls(), []);
  });

  it('fails when the helper answers an error: skopeo shows the helper\'s line', async () => {
    emulator.inject({ kind: 'access-denied' });
    const result = await inspect(['--authfile', authFile], { AWS_ECR_DISABLE_CACHE: '1' });
    assert.notEqual(result.code, 0, describeRun(result));
    assert.match(result.stderr, new RegExp(`error getting credentials - err: exit status 1, out: \`cannot get an ECR token for ${HOST.replace(/\./g, '\\.')}: AccessDeniedException`));
    assert.deepEqual(newCalls().map((call) => call.status), [1]);
  });

  it('fails when the helper answers a token the registry does not hold', async () => {
    // No cache: the emulator issues a new token, which is not the registry's password.
    const result = await inspect(['--authfile', authFile], { AWS_ECR_DISABLE_CACHE: '1' });
    assert.notEqual(result.code, 0, describeRun(result));
    assert.match(result.stderr, /unauthorized|authentication required/i);
    const fresh = emulator.issued.at(-1)!.password;
    assert.notEqual(fresh, token);
    assertHelperServedTheToken(fresh);
  });

  it('why the full comparison matters: the registry accepts any password with the right first 72 bytes', async () => {
    const impostor = `${Buffer.from(token).subarray(0, BCRYPT_MAX_BYTES).toString()}this-is-not-the-token`;
    const result = await inspect(['--creds', `AWS:${impostor}`]);
    assert.equal(result.code, 0, describeRun(result));
    assert.deepEqual(newCalls(), [], '--creds bypasses the helper');
  });
});

describe('skopeo reading credHelpers and credsStore (no registry involved)', { skip: findOnPath('skopeo') === undefined ? 'not installed: skopeo (Debian package skopeo)' : false }, () => {
  let root: string;
  let emulator: EcrEmulator;
  let helper: HelperOnPath;
  let env: Env;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'ecr-login-skopeo-files-'));
    emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET_KEY } });
    helper = installHelperOnPath(join(root, 'helper'), 'spy');
    mkdirSync(join(root, 'home'));
    mkdirSync(join(root, 'run'), { mode: 0o700 });
    env = cleanEnv(join(root, 'home'), {
      PATH: helper.pathWith(),
      ...emulatorEnv(emulator, KEY_ID, SECRET_KEY),
      XDG_RUNTIME_DIR: join(root, 'run'),
      REGISTRY_AUTH_FILE: join(root, 'auth.json'),
    });
  });
  after(async () => {
    await emulator?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const getLogin = (config: unknown): Promise<HelperResult> => {
    writeFileSync(join(root, 'auth.json'), JSON.stringify(config));
    return runCommand('skopeo', ['login', '--get-login', HOST], { env, cwd: root });
  };

  it('skopeo login --get-login <host> prints AWS when credHelpers names the helper', async () => {
    const before = helper.calls().length;
    const result = await getLogin({ credHelpers: { [HOST]: 'ecr-login' } });
    assert.equal(result.code, 0, describeRun(result));
    assert.equal(result.stdout, 'AWS\n');
    assert.deepEqual(helper.calls().slice(before).map((call) => [call.verb, call.stdin, call.status]), [['get', HOST, 0]]);
  });

  it('skopeo 1.9 ignores credsStore: "not logged into", and the helper is never run', async () => {
    const before = helper.calls().length;
    const result = await getLogin({ credsStore: 'ecr-login' });
    assert.notEqual(result.code, 0, describeRun(result));
    assert.match(result.stderr, /not logged into/);
    assert.deepEqual(helper.calls().slice(before), []);
  });
});
