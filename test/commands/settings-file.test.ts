/**
 * The settings file end to end (issue 12): the real bin/, the real SDK, the loopback emulators
 * of ECR and STS. A profile per registry (which key signed each registry's ECR call, whatever
 * AWS_PROFILE says), a role per registry (which role STS assumed, signed by whom, with which
 * session name), aliases (ServerURL as asked, the ECR registry's token), what a second get
 * costs (no call, no SDK), what `list` shows, and what an unusable file does.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT, HOST, STATIC_KEYS, assertOneLineFailure, assertServed, roleArn, secretOf, startCredentialWorld, type CredentialWorld, type Home } from '../support/credential-world';
import { runHelper, type Env } from '../support/helper-process';

const OTHER_HOST = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;
const ALIAS = 'registry.example.com';
const NOT_FOUND = 'credentials not found in native keychain\n';
const PROBE = join(__dirname, '..', 'support', 'module-probe.js');

let world: CredentialWorld;
before(async () => {
  world = await startCredentialWorld();
});
after(() => world.close());

const lines = (...text: string[]): string => `${text.join('\n')}\n`;

/** A HOME with two profiles of static keys (alpha, bravo) and a settings file. */
function homeWith(settings: unknown): Home {
  const home = world.newHome();
  home.writeCredentials(
    lines(
      '[alpha]', 'aws_access_key_id = AKIDSTATICALPHA', `aws_secret_access_key = ${STATIC_KEYS.AKIDSTATICALPHA}`,
      '[bravo]', 'aws_access_key_id = AKIDSTATICBRAVO', `aws_secret_access_key = ${STATIC_KEYS.AKIDSTATICBRAVO}`,
      '[base]', 'aws_access_key_id = AKIDBASE', `aws_secret_access_key = ${STATIC_KEYS.AKIDBASE}`,
    ),
  );
  home.write('.ecr/config.json', typeof settings === 'string' ? settings : JSON.stringify(settings));
  return home;
}

const get = (env: Env, host: string) => world.get(env, host);

describe('a profile per registry', () => {
  it('each registry’s ECR call is signed with its own profile’s key, whatever AWS_PROFILE says; a second get makes no call', async () => {
    const home = homeWith({ registries: { [HOST]: { profile: 'alpha' }, [`https://${OTHER_HOST.toUpperCase()}`]: { profile: 'bravo' } } });
    const env = home.env({ AWS_PROFILE: 'base' });
    const calls = world.ecr.calls.length;
    const first = await get(env, HOST);
    const second = await get(env, OTHER_HOST);
    const third = await get(env, `${ACCOUNT}.dkr.ecr.ap-south-1.amazonaws.com`);
    for (const [result, host] of [[first, HOST], [second, OTHER_HOST], [third, `${ACCOUNT}.dkr.ecr.ap-south-1.amazonaws.com`]] as const) assertServed(result, host);
    assert.deepEqual(
      world.ecr.calls.slice(calls).map((call) => [call.region, call.accessKeyId]),
      [['eu-west-1', 'AKIDSTATICALPHA'], ['us-east-1', 'AKIDSTATICBRAVO'], ['ap-south-1', 'AKIDBASE']],
      'alpha for the first, bravo for the second, AWS_PROFILE (base) for a registry the file does not name',
    );
    const counted = world.counts();
    assert.equal((await get(env, HOST)).stdout, first.stdout);
    assert.equal((await get(env, OTHER_HOST)).stdout, second.stdout);
    assert.deepEqual(world.counts(), counted, 'cache hits: no call anywhere');
    assert.deepEqual(home.blocked(), []);
  });

  it('two registries with two profiles never share a token, even in one region and account', async () => {
    const home = homeWith({ registries: { [HOST]: { profile: 'alpha' }, [ALIAS]: { registry: HOST, profile: 'bravo' } } });
    const env = home.env();
    const direct = await get(env, HOST);
    const aliased = await get(env, ALIAS);
    assertServed(direct);
    assertServed(aliased, ALIAS);
    assert.notEqual(secretOf(direct), secretOf(aliased));
    assert.deepEqual(world.ecr.calls.slice(-2).map((call) => call.accessKeyId), ['AKIDSTATICALPHA', 'AKIDSTATICBRAVO']);
  });

  it('a cache hit with a settings file loads no AWS SDK, no pino, no commander, no operator command', async () => {
    const home = homeWith({ registries: { [HOST]: { profile: 'alpha' }, [ALIAS]: { registry: HOST } } });
    assertServed(await get(home.env(), HOST));
    const probe = join(home.home, 'modules.json');
    const counted = world.counts();
    const hit = await get(home.env({ NODE_OPTIONS: `--require ${PROBE}`, ECR_LOGIN_TEST_MODULE_PROBE: probe }), ALIAS);
    assertServed(hit, ALIAS);
    assert.deepEqual(world.counts(), counted);
    const modules = JSON.parse(readFileSync(probe, 'utf8')) as string[];
    assert.ok(modules.some((path) => path.endsWith(join('bin', 'docker-credential-ecr-login'))));
    for (const heavy of ['@aws-sdk', '@smithy', join('node_modules', 'pino'), join('node_modules', 'commander'), 'docker-credential-ecr-login-commands.js']) {
      assert.deepEqual(modules.filter((path) => path.includes(heavy)), [], `${heavy} was loaded on a hit`);
    }
  });
});

describe('a role per registry', () => {
  it('STS assumes the role, signed by the default credentials, as session "docker-credential-ecr-login"; ECR is called with the role’s key', async () => {
    const home = homeWith({ registries: { [HOST]: { roleArn: roleArn('puller') } } });
    const env = home.env({ AWS_PROFILE: 'base' });
    const before = world.counts();
    const stsBefore = world.sts.calls.length;
    const first = await get(env, HOST);
    assertServed(first);
    const assumed = world.sts.calls.slice(stsBefore);
    assert.deepEqual(
      assumed.map((call) => [call.operation, call.identity, call.params.RoleArn, call.params.RoleSessionName, call.status]),
      [['AssumeRole', 'AKIDBASE', roleArn('puller'), 'docker-credential-ecr-login', 200]],
    );
    assert.match(world.ecr.calls.at(-1)?.accessKeyId ?? '', /^ASIASTSASSUMEDPULLER/);
    assert.equal(world.ecr.calls.at(-1)?.sessionToken, world.sts.issued.at(-1)?.sessionToken);
    const counted = world.counts();
    assert.deepEqual([counted.sts - before.sts, counted.ecr - before.ecr], [1, 1]);
    assert.equal((await get(env, HOST)).stdout, first.stdout);
    assert.deepEqual(world.counts(), counted, 'a second get: no STS call, no ECR call');
  });

  it('with a profile, the role is assumed from that profile’s credentials', async () => {
    const home = homeWith({ registries: { [HOST]: { profile: 'bravo', roleArn: roleArn('crossaccount') } } });
    const stsBefore = world.sts.calls.length;
    assertServed(await get(home.env(), HOST));
    const call = world.sts.calls[stsBefore];
    assert.equal(call?.identity, 'AKIDSTATICBRAVO');
    assert.equal(call?.params.RoleArn, roleArn('crossaccount'));
    assert.match(world.ecr.calls.at(-1)?.accessKeyId ?? '', /^ASIASTSASSUMEDCROSS/);
  });

  it('STS refuses: one line with the role and the AWS error code', async () => {
    const home = homeWith({ registries: { [HOST]: { profile: 'alpha', roleArn: roleArn('forbidden') } } });
    world.sts.inject({ kind: 'access-denied', roleArn: roleArn('forbidden'), times: 1 });
    const cause = assertOneLineFailure(await get(home.env(), HOST), /AccessDenied/);
    assert.match(cause, new RegExp(`cannot assume role ${roleArn('forbidden').replace(/[/]/g, '\\/')} for profile "alpha": AccessDenied`));
  });
});

describe('an alias', () => {
  it('answers with ServerURL as asked and the ECR registry’s token; the alias and the registry share the cache entry', async () => {
    const home = homeWith({ registries: { [ALIAS]: { registry: HOST } } });
    const env = home.env({ AWS_PROFILE: 'alpha' });
    for (const asked of [ALIAS, `https://${ALIAS.toUpperCase()}/v2/`]) {
      const result = await get(env, asked);
      assertServed(result, asked);
    }
    const direct = await get(env, HOST);
    assertServed(direct);
    const calls = world.ecr.calls.filter((call) => call.accessKeyId === 'AKIDSTATICALPHA');
    assert.deepEqual(calls.slice(-1).map((call) => [call.region, call.registryIds]), [['eu-west-1', [ACCOUNT]]]);
    assert.equal(secretOf(direct), world.ecr.issued.at(-1)?.password, 'one token for the alias and the registry');
  });

  it('list shows each registry under the identity its settings give, and each alias whose registry is cached', async () => {
    const home = homeWith({ registries: { [HOST]: { profile: 'alpha' }, [ALIAS]: { registry: HOST }, 'other.example.com': { registry: OTHER_HOST } } });
    const env = home.env({ AWS_PROFILE: 'bravo' });
    assertServed(await get(env, HOST));
    assertServed(await get(env, 'public.ecr.aws'), 'public.ecr.aws');
    const listed = await runHelper(['list'], { env });
    assert.equal(listed.code, 0);
    assert.deepEqual(JSON.parse(listed.stdout), { [`https://${HOST}`]: 'AWS', [`https://${ALIAS}`]: 'AWS', 'https://public.ecr.aws': 'AWS' });
    assert.equal(listed.stderr, '');
    // Under another AWS_PROFILE the profile-bound registry is still listed; the public token (default chain) is not.
    const other = await runHelper(['list'], { env: home.env({ AWS_PROFILE: 'base' }) });
    assert.deepEqual(JSON.parse(other.stdout), { [`https://${HOST}`]: 'AWS', [`https://${ALIAS}`]: 'AWS' });
  });
});

describe('an unusable settings file', () => {
  for (const [label, text, problem] of [
    ['not JSON', '{"registries": {', /not valid JSON/],
    ['an unknown setting', JSON.stringify({ registries: { [HOST]: { profle: 'alpha' } } }), /unknown setting "profle"/],
    ['an invalid role ARN', JSON.stringify({ registries: { [HOST]: { roleArn: 'arn:aws:iam::1:role/x' } } }), /"roleArn" is not an IAM role ARN/],
  ] as const) {
    it(`${label}: get for an ECR host fails in one line naming the file; other hosts still get "not found"`, async () => {
      const home = homeWith(text);
      const counted = world.counts();
      const file = join(home.home, '.ecr', 'config.json');
      const cause = assertOneLineFailure(await get(home.env({ AWS_PROFILE: 'alpha' }), HOST), problem);
      assert.ok(cause.startsWith(`settings file ${file}: `), cause);
      const other = await get(home.env(), 'ghcr.io');
      assert.deepEqual([other.code, other.stdout], [1, NOT_FOUND]);
      assert.equal(other.stderr, `docker-credential-ecr-login: ${cause}\n`, 'the problem is on the terminal');
      const publicResult = await get(home.env(), 'public.ecr.aws');
      assert.deepEqual([publicResult.code, publicResult.stdout], [1, NOT_FOUND], 'ECR Public: anonymous pulls go on');
      assert.match(publicResult.stderr, /cannot get an ECR Public token, pulling anonymously: settings file/);
      assert.deepEqual(world.counts(), counted, 'no call: no token is minted as someone else');
      const listed = await runHelper(['list'], { env: home.env() });
      assert.deepEqual([listed.code, listed.stdout], [0, '{}\n']);
    });
  }

  it('AWS_ECR_CONFIG names another file; a directory there is refused', async () => {
    const home = homeWith({ registries: {} });
    const elsewhere = home.write('etc/ecr.json', JSON.stringify({ registries: { [HOST]: { profile: 'bravo' } } }));
    assertServed(await get(home.env({ AWS_ECR_CONFIG: elsewhere }), HOST));
    assert.equal(world.ecr.calls.at(-1)?.accessKeyId, 'AKIDSTATICBRAVO');
    assertOneLineFailure(await get(home.env({ AWS_ECR_CONFIG: join(home.home, 'etc') }), HOST), /settings file .*\/etc: not a regular file/);
  });
});
