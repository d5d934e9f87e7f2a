/**
 * `configure` through the real bin/: the Docker config it edits (found as Docker finds it), what
 * it keeps, how it writes, what it refuses; `--file`, `--store`, `--archive`, `--dry-run`; and
 * the registry it names with no HOST, from STS GetCallerIdentity on the loopback STS emulator.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startStsEmulator, type StsEmulator } from '../support/sts-emulator';
import { cleanEnv, makeTempHome, runCommand, runHelper, type Env, type HelperResult } from '../support/helper-process';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const KEY_ID = 'AKIDCONFIGURE';
const SECRET = 'configure-secret-access-key';
const CALLER_ARN = 'arn:aws:iam::210987654321:user/ops';

let sts: StsEmulator;
const homes: Array<() => void> = [];
before(async () => {
  sts = await startStsEmulator({ credentials: { [KEY_ID]: { secretAccessKey: SECRET, arn: CALLER_ARN } } });
});
after(async () => {
  await sts.close();
  for (const cleanup of homes) cleanup();
});
beforeEach(() => sts.reset());

function home(extra: Env = {}): { env: Env; dir: string } {
  const { home: dir, cleanup } = makeTempHome('ecr-login-configure-');
  homes.push(cleanup);
  return { dir, env: cleanEnv(dir, { AWS_ENDPOINT_URL_STS: sts.url, ...extra }) };
}

const configure = (args: readonly string[], env: Env): Promise<HelperResult> => runHelper(['configure', ...args], { env });
const dockerConfigOf = (dir: string): string => join(dir, '.docker', 'config.json');
const read = (file: string): Record<string, unknown> => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

function assertOk(result: HelperResult): void {
  assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
}

function assertRefused(result: HelperResult, pattern: RegExp): void {
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^docker-credential-ecr-login: [^\n]+\n$/, 'one line on stderr');
  assert.match(result.stderr, pattern);
}

/** No temp file of ours left beside the target. */
function assertNoLeftovers(dir: string): void {
  assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), []);
}

describe('configure HOST... into the Docker config', () => {
  it('creates ~/.docker/config.json (0600 in a 0700 directory) with credHelpers, indented with tabs', async () => {
    const { env, dir } = home();
    const result = await configure([HOST, 'https://public.ecr.aws/'], env);
    assertOk(result);
    const file = dockerConfigOf(dir);
    assert.equal(readFileSync(file, 'utf8'), `{\n\t"credHelpers": {\n\t\t"${HOST}": "ecr-login",\n\t\t"public.ecr.aws": "ecr-login"\n\t}\n}\n`);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, '.docker')).mode & 0o777, 0o700);
    assert.match(result.stdout, new RegExp(`config\\.json: added "credHelpers": \\{"${HOST.replace(/\./g, '\\.')}": "ecr-login"\\}`));
    assertNoLeftovers(join(dir, '.docker'));
  });

  it('DOCKER_CONFIG names the directory, as it does for Docker', async () => {
    const { env, dir } = home();
    const elsewhere = join(dir, 'docker-client');
    assertOk(await configure([HOST], { ...env, DOCKER_CONFIG: elsewhere }));
    assert.deepEqual(read(join(elsewhere, 'config.json')), { credHelpers: { [HOST]: 'ecr-login' } });
    assert.equal(existsSync(dockerConfigOf(dir)), false);
  });

  it('keeps every other key as it was, keeps the mode, and a second run changes nothing and says so', async () => {
    const { env, dir } = home();
    mkdirSync(join(dir, '.docker'), { mode: 0o700 });
    const file = dockerConfigOf(dir);
    const original = {
      auths: { 'registry.example.com': { auth: 'dXNlcjpodW50ZXIy' }, [HOST]: {} },
      proxies: { default: { httpProxy: 'http://proxy:3128', noProxy: '*.internal' } },
      credHelpers: { 'gcr.io': 'gcloud', 'us-docker.pkg.dev': 'gcloud' },
      psFormat: 'table {{.ID}}\\t{{.Names}}',
      currentContext: 'remote',
      plugins: { buildx: { 'some-setting': ['a', 1, true, null, 2.5] } },
      'x-unknown': { nested: { deeper: 'é ✓ \u0000' } },
    };
    writeFileSync(file, JSON.stringify(original, null, 2), { mode: 0o640 });
    const first = await configure([HOST], env);
    assertOk(first);
    const after = read(file);
    for (const key of Object.keys(original) as Array<keyof typeof original>) {
      if (key !== 'credHelpers') assert.equal(JSON.stringify(after[key]), JSON.stringify(original[key]), key);
    }
    assert.deepEqual(after.credHelpers, { ...original.credHelpers, [HOST]: 'ecr-login' });
    assert.equal(statSync(file).mode & 0o777, 0o640, 'the mode stays');
    const written = readFileSync(file, 'utf8');

    const second = await configure([HOST], env);
    assertOk(second);
    assert.match(second.stdout, /already set up .*; nothing changed\n$/);
    assert.equal(readFileSync(file, 'utf8'), written, 'not even rewritten');
    assertNoLeftovers(join(dir, '.docker'));
  });

  it('a symlinked config stays a symlink; the file it names is edited', async () => {
    const { env, dir } = home();
    const real = join(dir, 'dotfiles', 'docker.json');
    mkdirSync(join(dir, 'dotfiles'));
    writeFileSync(real, '{"auths": {}}');
    mkdirSync(join(dir, '.docker'));
    symlinkSync(real, dockerConfigOf(dir));
    assertOk(await configure([HOST], env));
    assert.ok(lstatSync(dockerConfigOf(dir)).isSymbolicLink());
    assert.equal(readlinkSync(dockerConfigOf(dir)), real);
    assert.deepEqual(read(real), { auths: {}, credHelpers: { [HOST]: 'ecr-login' } });
  });

  it('a file that is not valid JSON is refused with its path and the parser reason, and left untouched', async () => {
    const { env, dir } = home();
    mkdirSync(join(dir, '.docker'));
    const file = dockerConfigOf(dir);
    const broken = '{\n  "auths": {"x": {"auth": "abc"}},\n';
    writeFileSync(file, broken, { mode: 0o600 });
    const before = statSync(file);
    const result = await configure([HOST], env);
    assertRefused(result, new RegExp(`${file.replace(/\./g, '\\.')} is not valid JSON \\(.*JSON.*\\); it was left as it is`));
    assert.equal(readFileSync(file, 'utf8'), broken);
    assert.equal(statSync(file).mtimeMs, before.mtimeMs);
    assertNoLeftovers(join(dir, '.docker'));
  });

  it('a HOST that is not ECR (nor an alias) is refused, and nothing is written', async () => {
    const { env, dir } = home();
    const result = await configure([HOST, 'ghcr.io'], env);
    assertRefused(result, /ghcr\.io is not an ECR registry, nor an alias in .*\.ecr\/config\.json/);
    assert.equal(existsSync(dockerConfigOf(dir)), false);
  });

  it('an alias from the settings file is accepted as it is written, port included', async () => {
    const { env, dir } = home();
    mkdirSync(join(dir, '.ecr'), { mode: 0o700 });
    writeFileSync(join(dir, '.ecr', 'config.json'), JSON.stringify({ registries: { 'registry.example.com': { registry: HOST } } }));
    assertOk(await configure(['registry.example.com:5000'], env));
    assert.deepEqual(read(dockerConfigOf(dir)), { credHelpers: { 'registry.example.com:5000': 'ecr-login' } });
  });

  it('an alias with an unusable settings file is refused with the file’s problem', async () => {
    const { env, dir } = home({ AWS_ECR_CONFIG: '' });
    const settings = join(dir, 'ecr-settings.json');
    writeFileSync(settings, '{"registries": {"registry.example.com": {"registri": "x"}}}');
    const result = await configure(['registry.example.com'], { ...env, AWS_ECR_CONFIG: settings });
    assertRefused(result, /registry\.example\.com is not an ECR registry, and the settings file cannot say whether it is an alias: settings file .*ecr-settings\.json: .*unknown setting "registri"/);
    assert.equal(existsSync(dockerConfigOf(dir)), false);
  });
});

describe('configure options', () => {
  it('--file writes that Docker-format file (Nomad auth config), keeping its keys', async () => {
    const { env, dir } = home();
    const file = join(dir, 'docker-auth.json');
    writeFileSync(file, JSON.stringify({ auths: { 'ghcr.io': { auth: 'Z2g6cGF0' } } }), { mode: 0o644 });
    assertOk(await configure(['--file', file, HOST], env));
    assert.deepEqual(read(file), { auths: { 'ghcr.io': { auth: 'Z2g6cGF0' } }, credHelpers: { [HOST]: 'ecr-login' } });
    assert.equal(statSync(file).mode & 0o777, 0o644);
    assert.equal(existsSync(dockerConfigOf(dir)), false, 'the Docker config is left alone');
  });

  it('--store sets credsStore and keeps credHelpers; it takes no HOST', async () => {
    const { env, dir } = home();
    mkdirSync(join(dir, '.docker'));
    writeFileSync(dockerConfigOf(dir), JSON.stringify({ credsStore: 'desktop', credHelpers: { 'gcr.io': 'gcloud' } }));
    const result = await configure(['--store'], env);
    assertOk(result);
    assert.match(result.stdout, /set "credsStore": "ecr-login" \(was "desktop"\)/);
    assert.deepEqual(read(dockerConfigOf(dir)), { credsStore: 'ecr-login', credHelpers: { 'gcr.io': 'gcloud' } });
    assertRefused(await configure(['--store', HOST], env), /--store .* give no HOST/);
  });

  it('--dry-run prints the resulting file on stdout, says what would change on stderr, and writes nothing', async () => {
    const { env, dir } = home();
    mkdirSync(join(dir, '.docker'));
    const original = '{"auths": {"ghcr.io": {}}}';
    writeFileSync(dockerConfigOf(dir), original);
    const result = await configure(['--dry-run', HOST], env);
    assertOk(result);
    assert.deepEqual(JSON.parse(result.stdout), { auths: { 'ghcr.io': {} }, credHelpers: { [HOST]: 'ecr-login' } });
    assert.match(result.stderr, /dry run, nothing written.*added "credHelpers"/);
    assert.equal(readFileSync(dockerConfigOf(dir), 'utf8'), original);
  });

  it('--file and --archive together are refused', async () => {
    const { env, dir } = home();
    assertRefused(await configure(['--file', join(dir, 'a.json'), '--archive', join(dir, 'b.tgz'), HOST], env), /--file and --archive/);
  });

  it('--archive writes docker.tar.gz with only the helper entries, never the user’s auths, and leaves the Docker config alone', async () => {
    const { env, dir } = home();
    mkdirSync(join(dir, '.docker'));
    const userConfig = JSON.stringify({ auths: { 'ghcr.io': { auth: 'U0VDUkVUQVVUSA==' } }, credsStore: 'desktop' });
    writeFileSync(dockerConfigOf(dir), userConfig);
    const archive = join(dir, 'out', 'docker.tar.gz');
    mkdirSync(join(dir, 'out'));
    const result = await configure(['--archive', archive, HOST, 'public.ecr.aws'], env);
    assertOk(result);
    assert.equal(statSync(archive).mode & 0o777, 0o644, 'readable by the agent that fetches it');
    const listing = await runCommand('tar', ['--numeric-owner', '-tvzf', archive], { env: cleanEnv(dir) });
    const lines = listing.stdout.trim().split('\n');
    assert.equal(lines.length, 2, listing.stdout);
    assert.match(lines[0]!, /^drwx------ 0\/0\s+0 .* \.docker\/$/);
    assert.match(lines[1]!, /^-rw------- 0\/0\s+\d+ .* \.docker\/config\.json$/);
    const sandbox = join(dir, 'sandbox');
    mkdirSync(sandbox);
    assert.equal((await runCommand('tar', ['-C', sandbox, '-xzf', archive], { env: cleanEnv(dir) })).code, 0);
    const inside = readFileSync(join(sandbox, '.docker', 'config.json'), 'utf8');
    assert.deepEqual(JSON.parse(inside), { credHelpers: { [HOST]: 'ecr-login', 'public.ecr.aws': 'ecr-login' } });
    assert.doesNotMatch(inside, /auths|U0VDUkVU|desktop/);
    assert.equal(readFileSync(dockerConfigOf(dir), 'utf8'), userConfig, 'the user’s Docker config is untouched');
    assertNoLeftovers(join(dir, 'out'));
  });
});

describe('configure with no HOST: the account STS names, in the configured region', () => {
  const keys = { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET };

  it('AWS_REGION: GetCallerIdentity signed with the caller’s key, in that region; it says which registry it added', async () => {
    const { env, dir } = home({ ...keys, AWS_REGION: 'eu-central-1' });
    const result = await configure([], env);
    assertOk(result);
    const registry = '210987654321.dkr.ecr.eu-central-1.amazonaws.com';
    assert.deepEqual(read(dockerConfigOf(dir)), { credHelpers: { [registry]: 'ecr-login' } });
    assert.match(result.stdout, new RegExp(`STS GetCallerIdentity: ${CALLER_ARN}; region eu-central-1 \\(from AWS_REGION\\): ${registry.replace(/\./g, '\\.')}`));
    assert.deepEqual(
      sts.calls.map((call) => [call.operation, call.identity, call.params.signingRegion, call.status]),
      [['GetCallerIdentity', KEY_ID, 'eu-central-1', 200]],
    );
    assert.doesNotMatch(result.stdout + result.stderr, new RegExp(`${KEY_ID}|${SECRET}`), 'no key in what it says');
  });

  it('the profile’s region, in another partition; a profile without keys is named in the failure', async () => {
    const { env, dir } = home();
    mkdirSync(join(dir, '.aws'));
    writeFileSync(join(dir, '.aws', 'config'), '[profile china]\nregion = cn-north-1\n[default]\nregion = us-west-2\n');
    const withoutKeys = await configure([], { ...env, AWS_PROFILE: 'china' });
    assertRefused(withoutKeys, /cannot ask STS which account you are in: no AWS credentials found \(tried .*profile "china"/);
    writeFileSync(join(dir, '.aws', 'credentials'), `[china]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`);
    assertOk(await configure([], { ...env, AWS_PROFILE: 'china' }));
    assert.deepEqual(read(dockerConfigOf(dir)), { credHelpers: { '210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn': 'ecr-login' } });
    assert.equal(sts.calls.at(-1)?.params.signingRegion, 'cn-north-1');
  });

  it('without a region it says how to give one, calls nothing and writes nothing', async () => {
    const { env, dir } = home(keys);
    const result = await configure([], env);
    assertRefused(result, /no AWS region is configured.*set AWS_REGION .*or give the registry host/);
    assert.equal(sts.calls.length, 0);
    assert.equal(existsSync(dockerConfigOf(dir)), false);
  });

  it('STS refuses: the AWS error code, and nothing written', async () => {
    const { env, dir } = home({ ...keys, AWS_REGION: 'eu-west-1', AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    const result = await configure([], env);
    assertRefused(result, /cannot ask STS which account you are in: SignatureDoesNotMatch/);
    assert.equal(existsSync(dockerConfigOf(dir)), false);
  });

  it('--archive with no HOST: the same registry, in the archive', async () => {
    const { env, dir } = home({ ...keys, AWS_REGION: 'us-east-1' });
    const result = await configure(['--archive', join(dir, 'docker.tar.gz'), '--dry-run'], env);
    assertOk(result);
    assert.deepEqual(JSON.parse(result.stdout), { credHelpers: { '210987654321.dkr.ecr.us-east-1.amazonaws.com': 'ecr-login' } });
    assert.equal(existsSync(join(dir, 'docker.tar.gz')), false, 'a dry run writes nothing');
  });
});
