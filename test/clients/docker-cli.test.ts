/**
 * The real Docker CLI (issue 5): `docker pull`, `push`, `login`, `logout` and the classic
 * `build` find `docker-credential-ecr-login` on PATH through `credHelpers` or `credsStore` in a
 * temporary DOCKER_CONFIG, and the credentials they hand to the (fake) daemon are username
 * `AWS` and exactly the token the ECR emulator issued. A spy in front of the helper records what
 * the CLI asked (verb, stdin) and what the helper answered.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { describeRun, dockerCliUnavailable, emulatorEnv, runDocker, writeDockerConfig } from '../support/docker-cli';
import { startEcrEmulator, type EcrEmulator, type IssuedToken } from '../support/ecr-emulator';
import { startFakeDockerDaemon, type DaemonRequest, type FakeDockerDaemon, type RegistryAuth } from '../support/fake-docker-daemon';
import { cleanEnv, runHelper, type Env } from '../support/helper-process';
import { installHelperOnPath, type HelperCall, type HelperOnPath } from '../support/helper-on-path';

const KEY_ID = 'AKIDDOCKERCLITESTS';
const SECRET_KEY = 'docker-cli-tests-secret-access-key';
const ACCOUNT = '123456789012';
const HOST = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const NOT_FOUND = 'credentials not found in native keychain';

const CONFIGS = {
  credHelpers: { credHelpers: { [HOST]: 'ecr-login', 'public.ecr.aws': 'ecr-login' } },
  credsStore: { credsStore: 'ecr-login' },
} as const;
type ConfigForm = keyof typeof CONFIGS;

const unavailable = dockerCliUnavailable();

describe('the Docker CLI with docker-credential-ecr-login', { skip: unavailable ?? false }, () => {
  let emulator: EcrEmulator;
  let daemon: FakeDockerDaemon;
  const roots: string[] = [];

  before(async () => {
    emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET_KEY } });
    daemon = await startFakeDockerDaemon({
      // The registry behind the daemon: ECR hosts want AWS and a token the emulator issued.
      checkAuth: (host, auth) => {
        if (!/\.dkr\.ecr\.|^public\.ecr\.aws$/.test(host)) return undefined;
        if (auth === undefined || !auth.username) return 'no basic auth credentials';
        const known = emulator.issued.some((token) => token.password === auth.password);
        return auth.username === 'AWS' && known ? undefined : 'denied: Your authorization token has expired. Reauthenticate and try again.';
      },
    });
  });
  after(async () => {
    await daemon?.close();
    await emulator?.close();
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    emulator.reset();
    daemon.reset();
  });

  interface Workspace {
    readonly env: Env;
    readonly helper: HelperOnPath;
    readonly configDir: string;
    readonly root: string;
  }

  /** A fresh HOME (so a fresh token cache), DOCKER_CONFIG and helper bin directory. */
  function workspace(config: unknown, mode: 'plain' | 'spy' = 'spy', extra: Env = {}): Workspace {
    const root = mkdtempSync(join(tmpdir(), 'ecr-login-docker-'));
    roots.push(root);
    const home = join(root, 'home');
    mkdirSync(home);
    const configDir = join(root, 'docker-config');
    writeDockerConfig(configDir, config);
    const helper = installHelperOnPath(join(root, 'helper'), mode);
    const env = cleanEnv(home, {
      PATH: helper.pathWith(),
      DOCKER_CONFIG: configDir,
      DOCKER_HOST: daemon.dockerHost,
      ...emulatorEnv(emulator, KEY_ID, SECRET_KEY),
      ...extra,
    });
    return { env, helper, configDir, root };
  }

  function onlyToken(): IssuedToken {
    assert.equal(emulator.issued.length, 1, 'the emulator issued exactly one token');
    const token = emulator.issued[0]!;
    assert.equal(token.service, 'ecr');
    assert.equal(token.registryId, ACCOUNT);
    assert.equal(token.region, 'eu-west-1');
    return token;
  }

  function onlyCredentialRequest(method: string, path: string): DaemonRequest {
    const requests = daemon.credentialRequests();
    assert.equal(requests.length, 1, `one request with credentials: ${requests.map((r) => `${r.method} ${r.path}`).join(', ')}`);
    const request = requests[0]!;
    assert.equal(`${request.method} ${request.path}`, `${method} ${path}`);
    return request;
  }

  function assertEcrAuth(auth: RegistryAuth | undefined, token: IssuedToken, serverAddress = HOST): void {
    assert.deepEqual(auth, { username: 'AWS', password: token.password, serveraddress: serverAddress });
    assert.ok(token.password.length > 1000, 'a realistic, long token went through whole');
  }

  function assertGetCall(call: HelperCall | undefined, stdin: string, token: IssuedToken): void {
    assert.ok(call, 'the helper was called');
    assert.equal(call.verb, 'get');
    assert.deepEqual(call.args, ['get']);
    assert.equal(call.stdin, stdin, 'what the CLI wrote on stdin');
    assert.equal(call.status, 0);
    assert.equal(call.stdout, `${JSON.stringify({ ServerURL: stdin, Username: 'AWS', Secret: token.password })}\n`);
  }

  function configFileText(ws: Workspace): string {
    return readFileSync(join(ws.configDir, 'config.json'), 'utf8');
  }

  for (const form of Object.keys(CONFIGS) as ConfigForm[]) {
    describe(`with ${form}`, () => {
      it('docker pull <ecr-host>/app:tag hands the daemon AWS and the emulator token', async () => {
        const ws = workspace(CONFIGS[form]);
        const result = await runDocker(['pull', `${HOST}/app:tag`], { env: ws.env });
        assert.equal(result.code, 0, describeRun(result));
        assert.match(result.stdout, new RegExp(`${HOST.replace(/\./g, '\\.')}/app:tag`));
        const token = onlyToken();
        const request = onlyCredentialRequest('POST', '/images/create');
        assert.deepEqual(request.query, { fromImage: `${HOST}/app`, tag: 'tag' });
        assertEcrAuth(request.registryAuth, token);
        const calls = ws.helper.calls();
        assert.equal(calls.length, 1);
        assertGetCall(calls[0], HOST, token);
        assert.doesNotMatch(result.stderr, /docker-credential-ecr-login|error/i, 'nothing from the helper on the terminal');
      });

      it('docker push <ecr-host>/app:tag hands the daemon AWS and the emulator token', async () => {
        const ws = workspace(CONFIGS[form]);
        const result = await runDocker(['push', `${HOST}/app:tag`], { env: ws.env });
        assert.equal(result.code, 0, describeRun(result));
        const token = onlyToken();
        const request = onlyCredentialRequest('POST', `/images/${HOST}/app/push`);
        assert.deepEqual(request.query, { tag: 'tag' });
        assertEcrAuth(request.registryAuth, token);
        const calls = ws.helper.calls();
        assert.equal(calls.length, 1);
        assertGetCall(calls[0], HOST, token);
      });

      it('a second pull is served from the token cache: one ECR call, the same token', async () => {
        const ws = workspace(CONFIGS[form]);
        for (const tag of ['one', 'two']) {
          const result = await runDocker(['pull', `${HOST}/app:${tag}`], { env: ws.env });
          assert.equal(result.code, 0, describeRun(result));
        }
        const token = onlyToken();
        assert.equal(emulator.calls.length, 1);
        const requests = daemon.credentialRequests();
        assert.equal(requests.length, 2);
        for (const request of requests) assertEcrAuth(request.registryAuth, token);
      });

      it('docker pull public.ecr.aws/…: the ECR Public token, from us-east-1', async () => {
        const ws = workspace(CONFIGS[form]);
        const result = await runDocker(['pull', 'public.ecr.aws/team/app:1'], { env: ws.env });
        assert.equal(result.code, 0, describeRun(result));
        assert.equal(emulator.issued.length, 1);
        const token = emulator.issued[0]!;
        assert.equal(token.service, 'ecr-public');
        assert.equal(token.region, 'us-east-1');
        const request = onlyCredentialRequest('POST', '/images/create');
        assert.deepEqual(request.registryAuth, { username: 'AWS', password: token.password, serveraddress: 'public.ecr.aws' });
      });

      it('docker login <ecr-host> with no -u/-p: get, the daemon checks the token, then store (which stores nothing)', async () => {
        const ws = workspace(CONFIGS[form]);
        const result = await runDocker(['login', HOST], { env: ws.env });
        assert.equal(result.code, 0, describeRun(result));
        assert.match(result.stdout, /Login Succeeded/);
        assert.match(result.stderr, /Authenticating with existing credentials/);
        const token = onlyToken();
        const request = onlyCredentialRequest('POST', '/auth');
        assert.deepEqual(JSON.parse(request.body.toString('utf8')), { username: 'AWS', password: token.password, serveraddress: HOST });
        const calls = ws.helper.calls();
        assert.deepEqual(calls.map((call) => call.verb), ['get', 'store']);
        assertGetCall(calls[0], HOST, token);
        assert.deepEqual(JSON.parse(calls[1]!.stdin), { ServerURL: HOST, Username: 'AWS', Secret: token.password });
        assert.equal(calls[1]!.status, 0);
        assert.equal(calls[1]!.stdout, '', 'store prints nothing on success');
        assert.equal(configFileText(ws).includes(token.password), false, 'the token is not written to config.json');
        assert.deepEqual((JSON.parse(configFileText(ws)) as { auths?: Record<string, unknown> }).auths, { [HOST]: {} }, 'only an empty auths entry');
      });

      it('docker login -u AWS --password-stdin <ecr-host>: store succeeds without storing; no get', async () => {
        const ws = workspace(CONFIGS[form]);
        // What `aws ecr get-login-password | docker login …` does, with the helper as the source.
        const got = await runHelper(['get'], { env: ws.env, input: HOST });
        assert.equal(got.code, 0, describeRun(got));
        const password = (JSON.parse(got.stdout) as { Secret: string }).Secret;
        const before = ws.helper.calls().length;
        const result = await runDocker(['login', '--username', 'AWS', '--password-stdin', HOST], { env: ws.env, input: `${password}\n` });
        assert.equal(result.code, 0, describeRun(result));
        assert.match(result.stdout, /Login Succeeded/);
        const request = onlyCredentialRequest('POST', '/auth');
        assert.deepEqual(JSON.parse(request.body.toString('utf8')), { username: 'AWS', password, serveraddress: HOST });
        const calls = ws.helper.calls().slice(before);
        assert.deepEqual(calls.map((call) => [call.verb, call.status, call.stdout]), [['store', 0, '']]);
        assert.deepEqual(JSON.parse(calls[0]!.stdin), { ServerURL: HOST, Username: 'AWS', Secret: password });
        assert.equal(configFileText(ws).includes(password), false, 'the token is not written to config.json');
        assert.doesNotMatch(result.stderr, /error|not implemented/i);
      });

      it('docker logout <ecr-host>: erase succeeds for every form the CLI tries', async () => {
        const ws = workspace(CONFIGS[form]);
        const login = await runDocker(['login', HOST], { env: ws.env });
        assert.equal(login.code, 0, describeRun(login));
        const before = ws.helper.calls().length;
        const result = await runDocker(['logout', HOST], { env: ws.env });
        assert.equal(result.code, 0, describeRun(result));
        assert.match(result.stdout, new RegExp(`Removing login credentials for ${HOST.replace(/\./g, '\\.')}`));
        assert.doesNotMatch(result.stderr, /WARNING|could not erase|not implemented/i, describeRun(result));
        const calls = ws.helper.calls().slice(before);
        assert.ok(calls.length > 0, 'logout called the helper');
        for (const call of calls) {
          assert.equal(call.verb, 'erase');
          assert.equal(call.status, 0, `erase ${JSON.stringify(call.stdin)}: ${call.stdout}`);
          assert.equal(call.stdout, '');
        }
        // credsStore: the CLI tries the host as typed, the host, http:// and https://. With
        // credHelpers only the spellings whose key is in credHelpers reach the helper.
        const inputs = calls.map((call) => call.stdin);
        if (form === 'credsStore') assert.deepEqual(inputs, [HOST, HOST, `http://${HOST}`, `https://${HOST}`]);
        else assert.deepEqual(inputs, [HOST, HOST]);
        assert.equal(Object.keys((JSON.parse(configFileText(ws)) as { auths?: object }).auths ?? {}).includes(HOST), false);
      });
    });
  }

  describe('Docker Hub and other registries', () => {
    it('credsStore: a Docker Hub pull goes anonymous; the helper answered "credentials not found in native keychain"', async () => {
      const ws = workspace(CONFIGS.credsStore);
      const result = await runDocker(['pull', 'alpine:3'], { env: ws.env });
      assert.equal(result.code, 0, describeRun(result));
      const request = onlyCredentialRequest('POST', '/images/create');
      assert.deepEqual(request.query, { fromImage: 'docker.io/library/alpine', tag: '3' });
      assert.deepEqual(request.registryAuth, {}, 'anonymous: an empty auth object');
      assert.deepEqual(ws.helper.calls().map((call) => [call.verb, call.stdin, call.status, call.stdout]), [
        ['get', 'https://index.docker.io/v1/', 1, `${NOT_FOUND}\n`],
      ]);
      assert.equal(emulator.calls.length, 0, 'no AWS call for Docker Hub');
      assert.doesNotMatch(result.stderr, /error|credential/i, describeRun(result));
    });

    it('credHelpers: a Docker Hub pull never runs the helper', async () => {
      const ws = workspace(CONFIGS.credHelpers);
      const result = await runDocker(['pull', 'alpine:3'], { env: ws.env });
      assert.equal(result.code, 0, describeRun(result));
      assert.deepEqual(onlyCredentialRequest('POST', '/images/create').registryAuth, {});
      assert.deepEqual(ws.helper.calls(), []);
    });

    it('credsStore: docker login to a registry that is not ECR fails with "not implemented"', async () => {
      const ws = workspace(CONFIGS.credsStore);
      const result = await runDocker(['login', '-u', 'bob', '--password-stdin', 'registry.example.com'], { env: ws.env, input: 'bob-password\n' });
      assert.equal(result.code, 1, describeRun(result));
      assert.match(result.stderr, /Error saving credentials: error storing credentials - err: exit status 1, out: `not implemented`/);
      assert.deepEqual(ws.helper.calls().map((call) => [call.verb, call.status, call.stdout]), [['store', 1, 'not implemented\n']]);
    });

    it('credsStore: docker logout from a registry that is not ECR: erase answers "not implemented", the CLI still exits 0', async () => {
      const ws = workspace(CONFIGS.credsStore);
      const result = await runDocker(['logout', 'registry.example.com'], { env: ws.env });
      assert.equal(result.code, 0, describeRun(result));
      assert.equal(result.stderr, '', 'nothing on the terminal');
      const calls = ws.helper.calls();
      assert.deepEqual(calls.map((call) => call.stdin), ['registry.example.com', 'registry.example.com', 'http://registry.example.com', 'https://registry.example.com']);
      for (const call of calls) assert.deepEqual([call.verb, call.status, call.stdout], ['erase', 1, 'not implemented\n']);
    });

    it('credsStore and AWS_ECR_IGNORE_CREDS_STORAGE=true: that login succeeds, and nothing is stored', async () => {
      const ws = workspace(CONFIGS.credsStore, 'spy', { AWS_ECR_IGNORE_CREDS_STORAGE: 'true' });
      const result = await runDocker(['login', '-u', 'bob', '--password-stdin', 'registry.example.com'], { env: ws.env, input: 'bob-password\n' });
      assert.equal(result.code, 0, describeRun(result));
      assert.match(result.stdout, /Login Succeeded/);
      assert.deepEqual(ws.helper.calls().map((call) => [call.verb, call.status]), [['store', 0]]);
      const got = await runHelper(['get'], { env: ws.env, input: 'registry.example.com' });
      assert.deepEqual([got.code, got.stdout], [1, `${NOT_FOUND}\n`], 'get still knows nothing about that registry');
      assert.equal(configFileText(ws).includes('bob-password'), false);
    });
  });

  describe('the classic builder (DOCKER_BUILDKIT=0): list, then get for each listed server', () => {
    function buildContext(root: string, from: string): string {
      const context = join(root, 'context');
      mkdirSync(context);
      writeFileSync(join(context, 'Dockerfile'), `FROM ${from}\n`);
      return context;
    }

    it('credsStore: after a pull filled the cache, X-Registry-Config carries https://<host> with the token, without a second ECR call', async () => {
      const ws = workspace(CONFIGS.credsStore);
      const pull = await runDocker(['pull', `${HOST}/base:1`], { env: ws.env });
      assert.equal(pull.code, 0, describeRun(pull));
      const token = onlyToken();
      const before = ws.helper.calls().length;
      daemon.reset();
      const result = await runDocker(['build', '-t', `${HOST}/app:built`, buildContext(ws.root, `${HOST}/base:1`)], {
        env: { ...ws.env, DOCKER_BUILDKIT: '0' },
      });
      assert.equal(result.code, 0, describeRun(result));
      const calls = ws.helper.calls().slice(before);
      assert.deepEqual(calls.map((call) => call.verb), ['list', 'get']);
      assert.equal(calls[0]!.stdout, `${JSON.stringify({ [`https://${HOST}`]: 'AWS' })}\n`);
      assertGetCall(calls[1], `https://${HOST}`, token);
      const request = onlyCredentialRequest('POST', '/build');
      assert.deepEqual(request.registryConfig, {
        [`https://${HOST}`]: { username: 'AWS', password: token.password, serveraddress: `https://${HOST}` },
      });
      assert.equal(emulator.calls.length, 1, 'list and get were answered from the cache');
    });

    it('credsStore: ECR Public in the cache is listed as https://public.ecr.aws and sent too', async () => {
      const ws = workspace(CONFIGS.credsStore);
      for (const image of [`${HOST}/base:1`, 'public.ecr.aws/team/tool:2']) {
        const pull = await runDocker(['pull', image], { env: ws.env });
        assert.equal(pull.code, 0, describeRun(pull));
      }
      const privateToken = emulator.issued.find((token) => token.service === 'ecr');
      const publicToken = emulator.issued.find((token) => token.service === 'ecr-public');
      assert.ok(privateToken && publicToken);
      daemon.reset();
      const result = await runDocker(['build', buildContext(ws.root, `${HOST}/base:1`)], { env: { ...ws.env, DOCKER_BUILDKIT: '0' } });
      assert.equal(result.code, 0, describeRun(result));
      assert.deepEqual(onlyCredentialRequest('POST', '/build').registryConfig, {
        [`https://${HOST}`]: { username: 'AWS', password: privateToken.password, serveraddress: `https://${HOST}` },
        'https://public.ecr.aws': { username: 'AWS', password: publicToken.password, serveraddress: 'https://public.ecr.aws' },
      });
      assert.equal(emulator.calls.length, 2);
    });

    it('credsStore: with an empty cache, list answers {} and the build goes on with no credentials and no AWS call', async () => {
      const ws = workspace(CONFIGS.credsStore);
      const result = await runDocker(['build', buildContext(ws.root, 'scratch')], { env: { ...ws.env, DOCKER_BUILDKIT: '0' } });
      assert.equal(result.code, 0, describeRun(result));
      assert.deepEqual(ws.helper.calls().map((call) => [call.verb, call.status, call.stdout]), [['list', 0, '{}\n']]);
      assert.deepEqual(onlyCredentialRequest('POST', '/build').registryConfig, {});
      assert.equal(emulator.calls.length, 0);
    });

    it('credHelpers: the CLI runs get for each credHelpers host and sends what it answered', async () => {
      const ws = workspace({ credHelpers: { [HOST]: 'ecr-login' } });
      const result = await runDocker(['build', buildContext(ws.root, `${HOST}/base:1`)], { env: { ...ws.env, DOCKER_BUILDKIT: '0' } });
      assert.equal(result.code, 0, describeRun(result));
      const token = onlyToken();
      const calls = ws.helper.calls();
      assert.equal(calls.length, 1);
      assertGetCall(calls[0], HOST, token);
      assert.deepEqual(onlyCredentialRequest('POST', '/build').registryConfig, {
        [HOST]: { username: 'AWS', password: token.password, serveraddress: HOST },
      });
    });
  });

  describe('installation and failures', () => {
    it('the helper is found on PATH through a plain symlink to bin/docker-credential-ecr-login', async () => {
      const ws = workspace(CONFIGS.credHelpers, 'plain');
      const result = await runDocker(['pull', `${HOST}/app:tag`], { env: ws.env });
      assert.equal(result.code, 0, describeRun(result));
      assertEcrAuth(onlyCredentialRequest('POST', '/images/create').registryAuth, onlyToken());
    });

    it('docker login <ecr-host> when AWS refuses: the cause is on the terminal, nothing is stored', async () => {
      const ws = workspace(CONFIGS.credHelpers);
      emulator.inject({ kind: 'access-denied' });
      const result = await runDocker(['login', HOST], { env: ws.env });
      assert.notEqual(result.code, 0, describeRun(result));
      assert.match(result.stderr, /docker-credential-ecr-login: cannot get an ECR token for .*AccessDeniedException/);
      // With no usable stored credentials the CLI falls back to prompting, which needs a TTY.
      assert.match(result.stderr, /Cannot perform an interactive login from a non TTY device/);
      assert.deepEqual(ws.helper.calls().map((call) => [call.verb, call.status]), [['get', 1]]);
      assert.deepEqual(daemon.credentialRequests(), []);
    });

    it('an AWS error reaches the terminal with its cause, and the pull fails', async () => {
      const ws = workspace(CONFIGS.credHelpers);
      emulator.inject({ kind: 'access-denied' });
      const result = await runDocker(['pull', `${HOST}/app:tag`], { env: ws.env });
      assert.notEqual(result.code, 0, describeRun(result));
      assert.match(result.stderr, new RegExp(`docker-credential-ecr-login: cannot get an ECR token for ${HOST.replace(/\./g, '\\.')}: .*AccessDeniedException`));
      const calls = ws.helper.calls();
      assert.equal(calls.length, 1);
      assert.equal(calls[0]!.status, 1);
      assert.match(calls[0]!.stdout, /^cannot get an ECR token for .*AccessDeniedException.*\n$/);
      // What the daemon got: Docker 28 goes on without credentials, and the registry refuses.
      const request = onlyCredentialRequest('POST', '/images/create');
      assert.equal(request.registryAuth?.password ?? '', '');
    });
  });
});
