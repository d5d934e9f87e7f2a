/**
 * `doctor [HOST]` through the real bin/, against the loopback emulators of STS and ECR: the
 * plain lines it prints, its `problem:` lines and exit status, its live check, what `--offline`
 * skips, which `docker-credential-ecr-login` comes first on PATH, and that no key, secret or
 * token ever appears in what it prints (canary values are grepped for).
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT, HOST, STATIC_KEYS, roleArn, startCredentialWorld, type CredentialWorld, type Home } from '../support/credential-world';
import { installHelperOnPath } from '../support/helper-on-path';
import { HELPER_BIN, runHelper, type Env, type HelperResult } from '../support/helper-process';

const SECRET_CANARY = 'CANARYSECRETACCESSKEYVALUE';
const SESSION_CANARY = 'CANARYSESSIONTOKENVALUE';
const KEY_CANARY = 'AKIDCANARYKEYID';
const ENV_KEY_CANARY = 'AKIDCANARYENVKEY';

let world: CredentialWorld;
before(async () => {
  world = await startCredentialWorld();
});
after(() => world.close());

const lines = (...text: string[]): string => `${text.join('\n')}\n`;

/** A HOME whose PATH starts with this helper, with profile `alpha` (static keys) as the default. */
function setUp(): { home: Home; env: (extra?: Env) => Env } {
  const home = world.newHome();
  const helper = installHelperOnPath(join(home.home, 'helper'), 'plain');
  home.writeCredentials(lines('[alpha]', 'aws_access_key_id = AKIDSTATICALPHA', `aws_secret_access_key = ${STATIC_KEYS.AKIDSTATICALPHA}`));
  return { home, env: (extra = {}) => home.env({ PATH: helper.pathWith(), AWS_PROFILE: 'alpha', ...extra }) };
}

const doctor = (env: Env, ...args: string[]): Promise<HelperResult> => runHelper(['doctor', ...args], { env, timeoutMs: 40_000 });
const problems = (result: HelperResult): string[] => result.stdout.split('\n').filter((line) => line.startsWith('problem: '));

function assertHealthy(result: HelperResult): void {
  assert.deepEqual(problems(result), [], result.stdout);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /\nno problems found\n$/);
}

function assertProblem(result: HelperResult, pattern: RegExp): void {
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.ok(problems(result).some((line) => pattern.test(line)), `no problem line matches ${pattern}:\n${result.stdout}`);
  assert.match(result.stdout, /\n\d+ problems? found\n$/);
}

describe('doctor, offline', () => {
  it('says what the helper would do, in plain lines, and exits 0 when nothing is wrong', async () => {
    const { env } = setUp();
    const result = await doctor(env());
    assertHealthy(result);
    const text = result.stdout;
    assert.match(text, /^helper: docker-credential-ecr-login \d+\.\d+\.\d+, Node\.js v\d+/);
    assert.match(text, /\non PATH: .*\/helper\/bin\/docker-credential-ecr-login is this helper\n/);
    assert.match(text, /\ndocker config: .*\/\.docker\/config\.json: none\n/);
    assert.match(text, /\nsettings file: .*\/\.ecr\/config\.json: none \(optional\)\n/);
    assert.match(text, /\ncredentials: profile "alpha" \(static keys\); identity [0-9a-f]{12}\n/);
    assert.match(text, /\ntoken cache: .*\/\.ecr\/tokens: empty/);
    assert.match(text, /\nlog: .*\/\.ecr\/log\/ecr-login\.jsonl\n/);
  });

  it('with HOST and --offline: the registry, its API endpoint, the settings for it; no call', async () => {
    const { home, env } = setUp();
    home.write('.ecr/config.json', JSON.stringify({ registries: { 'registry.example.com': { registry: `${ACCOUNT}.dkr-ecr-fips.us-east-1.amazonaws.com`, roleArn: roleArn('pull') } } }));
    home.write('.docker/config.json', JSON.stringify({ credHelpers: { 'registry.example.com': 'ecr-login' } }));
    const counted = world.counts();
    const result = await doctor(env({ AWS_ENDPOINT_URL_ECR: '' }), 'registry.example.com', '--offline');
    assertHealthy(result);
    const text = result.stdout;
    assert.match(text, /\nsettings for registry\.example\.com: an alias of \S+, role arn:aws:iam::\d+:role\/pull\n/);
    assert.match(text, new RegExp(`\\nregistry: ${ACCOUNT}\\.dkr-ecr-fips\\.us-east-1\\.amazonaws\\.com \\(account ${ACCOUNT}, region us-east-1\\), for the alias registry\\.example\\.com\\n`));
    assert.match(text, /\napi: ECR GetAuthorizationToken in us-east-1, at its FIPS dual-stack endpoint\n/);
    assert.match(text, /\ncredentials for \S+: profile "alpha" \(static keys\), then assumes role arn:aws:iam::\d+:role\/pull as session "docker-credential-ecr-login"; identity [0-9a-f]{12}\n/);
    assert.match(text, /\nlive check: skipped \(--offline\)\n/);
    assert.deepEqual(world.counts(), counted, 'offline: no call anywhere');
  });

  it('lists each cached token with its expiry and identity, never the token', async () => {
    const { home, env } = setUp();
    const got = await world.get(env(), HOST);
    assert.equal(got.code, 0, got.stdout);
    const token = world.ecr.issued.at(-1)?.password ?? '';
    const result = await doctor(env(), '--offline');
    assertHealthy(result);
    assert.match(result.stdout, new RegExp(`\\ntoken cache: ${home.home}/\\.ecr/tokens: 1 token\\n  ${HOST.replace(/\./g, '\\.')}: expires \\S+Z \\(fresh\\), identity [0-9a-f]{12}\\n`));
    assert.equal(result.stdout.includes(token.slice(0, 40)), false);
  });
});

describe('doctor finds problems, and says what to do', () => {
  it('another docker-credential-ecr-login first on PATH (a native program, as the Go helper is)', async () => {
    const { home, env } = setUp();
    const otherBin = join(home.home, 'other-bin');
    mkdirSync(otherBin);
    copyFileSync('/bin/true', join(otherBin, 'docker-credential-ecr-login'));
    chmodSync(join(otherBin, 'docker-credential-ecr-login'), 0o755);
    symlinkSync(process.execPath, join(otherBin, 'node'));
    const result = await doctor(env({ PATH: [otherBin, env().PATH].join(delimiter) }));
    assertProblem(result, /other-bin\/docker-credential-ecr-login comes first on PATH and is a native program \(the Go amazon-ecr-credential-helper\?\), not this helper .*put \S+\/bin before \S+\/other-bin on PATH/);
  });

  it('not on PATH at all', async () => {
    const { home, env } = setUp();
    const nodeOnly = join(home.home, 'node-only');
    mkdirSync(nodeOnly);
    symlinkSync(process.execPath, join(nodeOnly, 'node'));
    const result = await doctor(env({ PATH: nodeOnly }));
    assertProblem(result, new RegExp(`docker-credential-ecr-login is not on PATH, so Docker cannot run it: put ${dirname(HELPER_BIN).replace(/[.]/g, '\\.')} on PATH`));
  });

  it('HOST that Docker will not send to this helper: run configure', async () => {
    const { home, env } = setUp();
    home.write('.docker/config.json', JSON.stringify({ credsStore: 'desktop' }));
    const result = await doctor(env(), HOST, '--offline');
    assertProblem(result, new RegExp(`Docker will ask docker-credential-desktop for ${HOST.replace(/\./g, '\\.')}, not this helper: run "docker-credential-ecr-login configure ${HOST.replace(/\./g, '\\.')}"`));
  });

  it('a Docker config that is not JSON', async () => {
    const { home, env } = setUp();
    home.write('.docker/config.json', '{"credHelpers": ');
    assertProblem(await doctor(env()), /config\.json is not valid JSON .*: Docker cannot read it either; fix it or move it away/);
  });

  it('an unusable settings file', async () => {
    const { home, env } = setUp();
    home.write('.ecr/config.json', JSON.stringify({ registries: { [HOST]: { rolearn: 'x' } } }));
    assertProblem(await doctor(env()), /settings file .*: unknown setting "rolearn" .*: every get for an ECR registry fails until it is fixed or removed/);
  });

  it('a token cache that is not private', async () => {
    const { home, env } = setUp();
    mkdirSync(join(home.home, '.ecr', 'tokens'), { recursive: true, mode: 0o700 });
    chmodSync(join(home.home, '.ecr'), 0o777);
    assertProblem(await doctor(env()), /the token cache is not used: .*writable by group or others.*make .* yours with mode 0700/);
  });

  it('a profile that does not exist, and no credential source at all', async () => {
    const { env } = setUp();
    assertProblem(await doctor(env({ AWS_PROFILE: 'missing' })), /profile "missing" is not in the AWS config or credentials file, or holds no credentials/);
    assertProblem(await doctor(env({ AWS_PROFILE: '' })), /no AWS credential source: set AWS_PROFILE .* or export AWS_ACCESS_KEY_ID/);
  });

  it('a host that is neither ECR nor an alias', async () => {
    const { env } = setUp();
    assertProblem(await doctor(env(), 'ghcr.io', '--offline'), /ghcr\.io is not an ECR registry, nor an alias in .*: add it under "registries"/);
  });
});

describe('doctor HOST: the live check', () => {
  it('STS GetCallerIdentity and ECR GetAuthorizationToken, both as the registry’s identity', async () => {
    const { home, env } = setUp();
    home.write('.docker/config.json', JSON.stringify({ credHelpers: { [HOST]: 'ecr-login' } }));
    const before = { sts: world.sts.calls.length, ecr: world.ecr.calls.length };
    const result = await doctor(env(), HOST);
    assertHealthy(result);
    assert.match(result.stdout, /\nlive: STS GetCallerIdentity: arn:aws:iam::\d+:user\/AKIDSTATICALPHA\n/);
    assert.match(result.stdout, /\nlive: ECR GetAuthorizationToken: a token valid until \S+Z\n/);
    assert.deepEqual(world.sts.calls.slice(before.sts).map((call) => [call.operation, call.identity]), [['GetCallerIdentity', 'AKIDSTATICALPHA']]);
    assert.deepEqual(world.ecr.calls.slice(before.ecr).map((call) => [call.region, call.accessKeyId, call.status]), [['eu-west-1', 'AKIDSTATICALPHA', 200]]);
    assert.equal(result.stdout.includes(world.ecr.issued.at(-1)?.password.slice(0, 40) ?? '-'), false, 'the token is never printed');
  });

  it('ECR refuses: a problem line with the AWS error code', async () => {
    const { home, env } = setUp();
    home.write('.docker/config.json', JSON.stringify({ credsStore: 'ecr-login' }));
    world.ecr.inject({ kind: 'access-denied', times: 1 });
    const result = await doctor(env(), HOST);
    assertProblem(result, /^problem: ECR GetAuthorizationToken failed: AccessDeniedException: /);
    assert.match(result.stdout, /\nlive: STS GetCallerIdentity: /, 'STS still answered');
  });

  it('never prints a key or a secret: canary values from the environment, the AWS files and the cache', async () => {
    const { home, env } = setUp();
    home.writeCredentials(
      lines(
        '[alpha]', 'aws_access_key_id = AKIDSTATICALPHA', `aws_secret_access_key = ${STATIC_KEYS.AKIDSTATICALPHA}`,
        '[canary]', `aws_access_key_id = ${KEY_CANARY}`, `aws_secret_access_key = ${SECRET_CANARY}`, `aws_session_token = ${SESSION_CANARY}`,
      ),
    );
    home.write('.ecr/config.json', JSON.stringify({ registries: { 'public.ecr.aws': { profile: 'canary' } } }));
    home.write('.docker/config.json', JSON.stringify({ credsStore: 'ecr-login', auths: { 'ghcr.io': { auth: Buffer.from(`u:${SECRET_CANARY}`).toString('base64') } } }));
    assert.equal((await world.get(env(), HOST)).code, 0);
    const token = world.ecr.issued.at(-1)?.password ?? '';
    const envWithKeys = env({ AWS_PROFILE: '', AWS_ACCESS_KEY_ID: ENV_KEY_CANARY, AWS_SECRET_ACCESS_KEY: SECRET_CANARY, AWS_SESSION_TOKEN: SESSION_CANARY });
    const results = [
      await doctor(env(), HOST),
      await doctor(env(), 'public.ecr.aws'),
      await doctor(envWithKeys, HOST),
      await doctor(env({ AWS_PROFILE: 'canary' }), HOST),
    ];
    for (const result of results) {
      const printed = result.stdout + result.stderr;
      for (const secret of [SECRET_CANARY, SESSION_CANARY, KEY_CANARY, ENV_KEY_CANARY, STATIC_KEYS.AKIDSTATICALPHA, token.slice(0, 40), Buffer.from(`u:${SECRET_CANARY}`).toString('base64')]) {
        assert.equal(printed.includes(secret), false, `doctor printed a secret (${secret.slice(0, 6)}…):\n${printed}`);
      }
    }
    assert.match(results[2]!.stdout, /\ncredentials for \S+: environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; identity/);
  });
});
