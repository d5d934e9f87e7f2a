/**
 * Nomad's docker driver calling convention (issue 5, docs/SPEC.md section 8), reproduced from
 * hashicorp/nomad drivers/docker/utils.go and driver.go:
 *
 * - `auth { helper = "ecr-login" }` or a Docker config file with `credHelpers`/`credsStore`
 *   (`auth { config = "…" }`) in the docker plugin block;
 * - it runs `docker-credential-<name> get` found on PATH, with the agent's environment, the
 *   registry's index name on stdin (the bare host, a `:port` kept, `docker.io` for Docker Hub,
 *   no newline), no timeout;
 * - any error (non-zero exit, JSON that is not an object of strings) fails the pull with
 *   `Failed to find docker auth for repo …`, unless the task sets `auth_soft_fail = true`;
 *   on a non-zero exit Nomad reports the helper's **stderr**;
 * - it reads `Username` and `Secret`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { emulatorEnv } from '../support/docker-cli';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { cleanEnv, type Env } from '../support/helper-process';
import { installHelperOnPath, type HelperOnPath } from '../support/helper-on-path';

const KEY_ID = 'AKIDNOMADTESTS';
const SECRET_KEY = 'nomad-tests-secret-access-key';
const ACCOUNT = '123456789012';
const HOST = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;

// ---- Nomad's logic, step by step --------------------------------------------------------

interface AuthConfig {
  username: string;
  password: string;
}

/** drivers/docker/utils.go parseDockerImage: the repository (no tag) Nomad resolves auth for. */
function parseDockerImage(image: string): { repo: string; tag: string } {
  const [repoTag = ''] = image.split('@', 1);
  const colon = repoTag.lastIndexOf(':');
  if (colon >= 0 && !repoTag.slice(colon + 1).includes('/')) return { repo: repoTag.slice(0, colon), tag: repoTag.slice(colon + 1) };
  return { repo: repoTag, tag: 'latest' };
}

/** registry.ParseRepositoryInfo(reference.ParseNormalizedNamed(repo)).Index */
function repositoryIndex(repo: string): { name: string; official: boolean } {
  const slash = repo.indexOf('/');
  const first = slash < 0 ? '' : repo.slice(0, slash);
  const isHost = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const name = !isHost || first === 'index.docker.io' ? 'docker.io' : first;
  return { name, official: name === 'docker.io' };
}

/** registry.GetAuthConfigKey: the credHelpers/auths key. */
function authConfigKey(index: { name: string; official: boolean }): string {
  return index.official ? 'https://index.docker.io/v1/' : index.name;
}

type AuthBackend = (repo: string) => Promise<AuthConfig | undefined>;

interface HelperRun {
  stdin: string;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** authFromHelper: exec.Command(helper, "get"), stdin = index name, cmd.Output(); no timeout. */
function authFromHelper(helperName: string, env: Env, runs: HelperRun[]): AuthBackend {
  return async (repo) => {
    if (helperName === '') return undefined;
    const helper = `docker-credential-${helperName}`;
    const stdin = repositoryIndex(repo).name;
    const run = await new Promise<HelperRun>((resolve, reject) => {
      // The test's safety net only: Nomad itself never kills the helper.
      const child = spawn(helper, ['get'], { env, stdio: 'pipe' });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(guard);
        resolve({ stdin, code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
      child.stdin.end(stdin);
    });
    runs.push(run);
    if (run.code !== 0) throw new Error(`${helper} with input "${repo}" failed with stderr: ${run.stderr}`);
    // json.Unmarshal into map[string]string: any value that is not a string is an error.
    const response = JSON.parse(run.stdout) as unknown;
    if (response === null || typeof response !== 'object' || Array.isArray(response)) throw new Error('json: cannot unmarshal into map[string]string');
    for (const value of Object.values(response)) {
      if (typeof value !== 'string') throw new Error('json: cannot unmarshal non-string value into map[string]string');
    }
    const map = response as Record<string, string>;
    const auth = { username: map.Username ?? '', password: map.Secret ?? '' };
    return auth.username === '' && auth.password === '' ? undefined : auth;
  };
}

/** authFromDockerConfig: `auths` first, then credHelpers[key], then credsStore. */
function authFromDockerConfig(file: string, env: Env, runs: HelperRun[]): AuthBackend {
  return async (repo) => {
    if (file === '') return undefined;
    const config = JSON.parse(readFileSync(file, 'utf8')) as { auths?: Record<string, { auth?: string }>; credHelpers?: Record<string, string>; credsStore?: string };
    const key = authConfigKey(repositoryIndex(repo));
    return firstValidAuth(repo, [
      async () => {
        const encoded = config.auths?.[key]?.auth;
        if (!encoded) return undefined;
        const [username = '', password = ''] = Buffer.from(encoded, 'base64').toString('utf8').split(/:(.*)/s);
        return { username, password };
      },
      authFromHelper(config.credHelpers?.[key] ?? '', env, runs),
      authFromHelper(config.credsStore ?? '', env, runs),
    ]);
  };
}

async function firstValidAuth(repo: string, backends: AuthBackend[]): Promise<AuthConfig | undefined> {
  for (const backend of backends) {
    const auth = await backend(repo);
    if (auth !== undefined) return auth;
  }
  return undefined;
}

interface PluginAuth {
  /** `auth { config = … }` */
  config?: string;
  /** `auth { helper = … }` */
  helper?: string;
}

/** driver.go pullImage → resolveRegistryAuthentication, with the task's auth_soft_fail. */
async function nomadPullAuth(image: string, plugin: PluginAuth, env: Env, options: { authSoftFail?: boolean } = {}) {
  const runs: HelperRun[] = [];
  const { repo } = parseDockerImage(image);
  try {
    const auth = await firstValidAuth(repo, [authFromDockerConfig(plugin.config ?? '', env, runs), authFromHelper(plugin.helper ?? '', env, runs)]);
    return { auth, runs, error: undefined as string | undefined, pulled: true };
  } catch (error) {
    const message = `Failed to find docker auth for repo "${repo}": ${(error as Error).message}`;
    // auth_soft_fail: log a warning and pull with no credentials.
    return { auth: undefined, runs, error: message, pulled: options.authSoftFail === true };
  }
}

// ---- the tests ------------------------------------------------------------------------

describe("Nomad's docker driver calling the helper", () => {
  let emulator: EcrEmulator;
  const roots: string[] = [];

  before(async () => {
    emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET_KEY } });
  });
  after(async () => {
    await emulator?.close();
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => emulator.reset());

  /** The Nomad agent's environment (helper on PATH, AWS settings) and a docker auth file. */
  function agent(dockerConfig?: unknown): { env: Env; helper: HelperOnPath; configFile: string; root: string } {
    const root = mkdtempSync(join(tmpdir(), 'ecr-login-nomad-'));
    roots.push(root);
    const home = join(root, 'home');
    mkdirSync(home);
    const helper = installHelperOnPath(join(root, 'helper'), 'spy');
    const configFile = join(root, 'docker-auth.json');
    if (dockerConfig !== undefined) writeFileSync(configFile, JSON.stringify(dockerConfig));
    const env = cleanEnv(home, { PATH: helper.pathWith(), ...emulatorEnv(emulator, KEY_ID, SECRET_KEY) });
    return { env, helper, configFile, root };
  }

  it('auth { helper = "ecr-login" }: the bare host on stdin, no newline; Username AWS and the emulator token', async () => {
    const { env, helper } = agent();
    const result = await nomadPullAuth(`${HOST}/app:1.2`, { helper: 'ecr-login' }, env);
    assert.equal(result.error, undefined);
    assert.equal(emulator.issued.length, 1);
    assert.deepEqual(result.auth, { username: 'AWS', password: emulator.issued[0]!.password });
    assert.deepEqual(helper.calls().map((call) => [call.args, call.stdin, call.status]), [[['get'], HOST, 0]]);
    // Every value is a string: Go's json.Unmarshal into map[string]string accepts the answer.
    assert.deepEqual(Object.keys(JSON.parse(result.runs[0]!.stdout) as object), ['ServerURL', 'Username', 'Secret']);
    assert.equal(result.runs[0]!.stderr, '');
  });

  it('a registry with a port: Nomad keeps the port, the helper signs for the host region and account', async () => {
    const { env, helper } = agent();
    const result = await nomadPullAuth(`${HOST}:5000/team/app:7`, { helper: 'ecr-login' }, env);
    assert.equal(result.error, undefined);
    assert.deepEqual(helper.calls().map((call) => call.stdin), [`${HOST}:5000`]);
    assert.deepEqual(result.auth, { username: 'AWS', password: emulator.issued[0]!.password });
    assert.deepEqual([emulator.calls[0]?.region, emulator.calls[0]?.registryIds], ['eu-west-1', [ACCOUNT]]);
  });

  it('ECR Public: public.ecr.aws on stdin, the ECR Public token', async () => {
    const { env } = agent();
    const result = await nomadPullAuth('public.ecr.aws/team/app', { helper: 'ecr-login' }, env);
    assert.equal(result.error, undefined);
    assert.equal(result.runs[0]?.stdin, 'public.ecr.aws');
    assert.equal(emulator.issued[0]?.service, 'ecr-public');
    assert.deepEqual(result.auth, { username: 'AWS', password: emulator.issued[0]!.password });
  });

  it('auth { config = … } with credHelpers: ECR images get the token, Docker Hub images never run the helper', async () => {
    const { env, helper, configFile } = agent({ credHelpers: { [HOST]: 'ecr-login' } });
    const ecr = await nomadPullAuth(`${HOST}/app:1`, { config: configFile }, env);
    assert.deepEqual(ecr.auth, { username: 'AWS', password: emulator.issued[0]!.password });
    const hub = await nomadPullAuth('redis:7', { config: configFile }, env);
    assert.deepEqual([hub.error, hub.auth, hub.pulled], [undefined, undefined, true], 'Docker Hub: anonymous pull');
    assert.deepEqual(helper.calls().map((call) => call.stdin), [HOST]);
  });

  it('auth { config = … } with credHelpers keyed host:port: Nomad looks the registry up as written', async () => {
    const { env, helper, configFile } = agent({ credHelpers: { [`${HOST}:5000`]: 'ecr-login' } });
    const withPort = await nomadPullAuth(`${HOST}:5000/app:1`, { config: configFile }, env);
    assert.deepEqual(withPort.auth, { username: 'AWS', password: emulator.issued[0]!.password });
    const withoutPort = await nomadPullAuth(`${HOST}/app:1`, { config: configFile }, env);
    assert.deepEqual([withoutPort.error, withoutPort.auth], [undefined, undefined], 'no entry for the bare host: anonymous');
    assert.deepEqual(helper.calls().map((call) => call.stdin), [`${HOST}:5000`]);
  });

  for (const [form, plugin] of [
    ['auth { config = … } with credsStore', (file: string): PluginAuth => ({ config: file })],
    ['auth { helper = "ecr-login" }', (): PluginAuth => ({ helper: 'ecr-login' })],
  ] as const) {
    it(`${form}: a Docker Hub image makes the helper exit 1, which fails the pull unless auth_soft_fail = true`, async () => {
      const { env, configFile } = agent({ credsStore: 'ecr-login' });
      const failed = await nomadPullAuth('redis:7', plugin(configFile), env);
      assert.deepEqual(failed.runs.map((run) => [run.stdin, run.code, run.stdout]), [['docker.io', 1, 'credentials not found in native keychain\n']]);
      assert.equal(failed.pulled, false);
      assert.match(failed.error ?? '', /^Failed to find docker auth for repo "redis": docker-credential-ecr-login with input "redis" failed with stderr: /);
      const soft = await nomadPullAuth('redis:7', plugin(configFile), env, { authSoftFail: true });
      assert.deepEqual([soft.pulled, soft.auth], [true, undefined], 'auth_soft_fail: pulled anonymously');
      assert.equal(emulator.calls.length, 0);
    });
  }

  it('an AWS failure: Nomad fails the pull and its message carries the cause from stderr', async () => {
    const { env } = agent();
    emulator.inject({ kind: 'access-denied' });
    const result = await nomadPullAuth(`${HOST}/app:1`, { helper: 'ecr-login' }, env);
    assert.equal(result.pulled, false, JSON.stringify(result.runs));
    assert.match(result.error ?? '', new RegExp(`failed with stderr: docker-credential-ecr-login: cannot get an ECR token for ${HOST.replace(/\./g, '\\.')}: AccessDeniedException`));
  });

  it('an agent started by systemd without User= has no HOME: the helper still works', async () => {
    const { env, root } = agent();
    const agentEnv: Env = { ...env, AWS_ECR_CACHE_DIR: join(root, 'cache'), AWS_CONFIG_FILE: join(root, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(root, 'none') };
    delete agentEnv.HOME;
    const result = await nomadPullAuth(`${HOST}/app:1`, { helper: 'ecr-login' }, agentEnv);
    assert.equal(result.error, undefined);
    assert.deepEqual(result.auth, { username: 'AWS', password: emulator.issued[0]!.password });
  });

  it('Nomad sets no time limit: with an AWS endpoint that never answers, the helper still ends by itself', async () => {
    const { env } = agent();
    emulator.inject({ kind: 'hang' });
    const started = Date.now();
    const result = await nomadPullAuth(`${HOST}/app:1`, { helper: 'ecr-login' }, { ...env, AWS_ECR_DISABLE_CACHE: '1' });
    const elapsed = Date.now() - started;
    assert.equal(result.runs[0]?.code, 1, 'ended with an error, not killed');
    assert.ok(elapsed < 30_000, `ended in ${elapsed} ms`);
    assert.match(result.error ?? '', /cannot get an ECR token/);
  });
});
