/**
 * Every credential source of the SDK's default chain, end to end (issue 4): the real bin/, the
 * real AWS SDK, loopback emulators of ECR, STS, the SSO portal, EC2 metadata and the container
 * credentials endpoint, a temporary HOME each. For each source:
 *  - ECR is called, and its SigV4 signature verified, with the access key that source issued;
 *  - a second get is a cache hit: zero calls to STS, IMDS, ECS, SSO and ECR;
 *  - a second identity of the same kind, in the same HOME and cache, gets its own token, and the
 *    first still hits its own entry.
 * The loopback guard in every helper run proves that nothing was sent beyond loopback.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeSsoTokenCache } from '../support/sso-emulator';
import { makeWebIdentityToken } from '../support/sts-emulator';
import {
  ACCOUNT,
  ECS_AUTH_TOKEN,
  HOST,
  STATIC_KEYS,
  assertServed,
  roleArn,
  secretOf,
  startCredentialWorld,
  type CredentialWorld,
  type Home,
} from '../support/credential-world';
import { HELPER_BIN, runCommand, type Env } from '../support/helper-process';

let world: CredentialWorld;
before(async () => {
  world = await startCredentialWorld();
});
after(() => world.close());

interface Proven {
  readonly secret: string;
  readonly keyId: string;
}

/**
 * A first get (a miss: ECR called with `expectedKey()`, evaluated after it), then a second (a
 * hit: not one call anywhere). Returns the token and the key ECR saw.
 */
async function missThenHit(home: Home, env: Env, expectedKey: () => string, host = HOST): Promise<Proven> {
  const before = world.counts();
  const first = await world.get(env, host);
  assertServed(first, host);
  const counted = world.counts();
  assert.equal(counted.ecr, before.ecr + 1, 'one ECR call');
  const call = world.ecr.calls.at(-1);
  assert.equal(call?.status, 200);
  assert.equal(call?.accessKeyId, expectedKey(), 'ECR was called as the expected identity');
  assert.equal(secretOf(first), world.ecr.issued.at(-1)?.password);

  const second = await world.get(env, host);
  assertServed(second, host);
  assert.equal(second.stdout, first.stdout, 'the cached token');
  assert.deepEqual(world.counts(), counted, 'a cache hit: zero calls to STS, IMDS, ECS, SSO and ECR');
  assert.deepEqual(home.blocked(), [], 'nothing beyond loopback');
  return { secret: secretOf(first), keyId: call?.accessKeyId ?? '' };
}

/** Two identities in one HOME: each its own token; the first still hits its own entry afterwards. */
async function twoIdentities(home: Home, a: [Env, () => string], b: [Env, () => string]): Promise<[Proven, Proven]> {
  const first = await missThenHit(home, ...a);
  const second = await missThenHit(home, ...b);
  assert.notEqual(first.keyId, second.keyId);
  assert.notEqual(first.secret, second.secret, 'two identities, two tokens');
  const counted = world.counts();
  const again = await world.get(a[0]);
  assertServed(again);
  assert.equal(secretOf(again), first.secret, 'the first identity keeps its own entry');
  assert.deepEqual(world.counts(), counted);
  return [first, second];
}

const lines = (...text: string[]): string => `${text.join('\n')}\n`;
const lastSts = (operation: string) => (): string => {
  const issued = world.sts.issued.filter((credential) => credential.source === `sts:${operation}`).at(-1);
  return issued?.accessKeyId ?? '(none issued)';
};

describe('credential sources, end to end', () => {
  it('environment keys', async () => {
    const home = world.newHome();
    await twoIdentities(
      home,
      [home.env({ AWS_ACCESS_KEY_ID: 'AKIDENVALPHA', AWS_SECRET_ACCESS_KEY: STATIC_KEYS.AKIDENVALPHA }), () => 'AKIDENVALPHA'],
      [home.env({ AWS_ACCESS_KEY_ID: 'AKIDENVBRAVO', AWS_SECRET_ACCESS_KEY: STATIC_KEYS.AKIDENVBRAVO }), () => 'AKIDENVBRAVO'],
    );
  });

  it('a static profile chosen by AWS_PROFILE', async () => {
    const home = world.newHome();
    home.writeCredentials(
      lines(
        '[alpha]', 'aws_access_key_id = AKIDSTATICALPHA', `aws_secret_access_key = ${STATIC_KEYS.AKIDSTATICALPHA}`,
        '[bravo]', 'aws_access_key_id = AKIDSTATICBRAVO', `aws_secret_access_key = ${STATIC_KEYS.AKIDSTATICBRAVO}`,
      ),
    );
    await twoIdentities(home, [home.env({ AWS_PROFILE: 'alpha' }), () => 'AKIDSTATICALPHA'], [home.env({ AWS_PROFILE: 'bravo' }), () => 'AKIDSTATICBRAVO']);
  });

  it('role_arn + source_profile: AssumeRole signed with the source profile keys', async () => {
    const home = world.newHome();
    home.writeCredentials(lines('[base]', 'aws_access_key_id = AKIDBASE', `aws_secret_access_key = ${STATIC_KEYS.AKIDBASE}`));
    home.writeConfig(
      lines(
        '[profile alpha]', `role_arn = ${roleArn('alpha')}`, 'source_profile = base',
        '[profile bravo]', `role_arn = ${roleArn('bravo')}`, 'source_profile = base',
      ),
    );
    const stsBefore = world.sts.calls.length;
    const [alpha, bravo] = await twoIdentities(home, [home.env({ AWS_PROFILE: 'alpha' }), lastSts('AssumeRole')], [home.env({ AWS_PROFILE: 'bravo' }), lastSts('AssumeRole')]);
    assert.match(alpha.keyId, /^ASIASTSASSUMEDALPHA/);
    assert.match(bravo.keyId, /^ASIASTSASSUMEDBRAVO/);
    const stsCalls = world.sts.calls.slice(stsBefore);
    assert.deepEqual(
      stsCalls.map((call) => [call.operation, call.identity, call.params.RoleArn, call.status]),
      [
        ['AssumeRole', 'AKIDBASE', roleArn('alpha'), 200],
        ['AssumeRole', 'AKIDBASE', roleArn('bravo'), 200],
      ],
    );
  });

  it('a two-hop role chain: base keys → middle role → top role', async () => {
    const home = world.newHome();
    home.writeCredentials(lines('[base]', 'aws_access_key_id = AKIDBASE', `aws_secret_access_key = ${STATIC_KEYS.AKIDBASE}`));
    home.writeConfig(
      lines(
        '[profile middle]', `role_arn = ${roleArn('middle')}`, 'source_profile = base',
        '[profile top]', `role_arn = ${roleArn('top')}`, 'source_profile = middle',
        '[profile other]', `role_arn = ${roleArn('other')}`, 'source_profile = middle',
      ),
    );
    const stsBefore = world.sts.calls.length;
    const [top] = await twoIdentities(home, [home.env({ AWS_PROFILE: 'top' }), lastSts('AssumeRole')], [home.env({ AWS_PROFILE: 'other' }), lastSts('AssumeRole')]);
    assert.match(top.keyId, /^ASIASTSASSUMEDTOP/);
    const [hop1, hop2] = world.sts.calls.slice(stsBefore);
    assert.equal(hop1?.identity, 'AKIDBASE');
    assert.equal(hop1?.params.RoleArn, roleArn('middle'));
    assert.match(hop2?.identity ?? '', /^ASIASTSASSUMEDMIDDLE/, 'the second hop is signed with the middle role');
    assert.equal(hop2?.params.RoleArn, roleArn('top'));
    assert.equal(world.sts.calls.length - stsBefore, 4, 'two hops for each of the two profiles, none for the hits');
  });

  it('credential_source = Environment: the SDK warning about AWS_PROFILE with keys goes to the log, not the terminal', async () => {
    const home = world.newHome();
    home.writeConfig(
      lines(
        '[profile envrole]', `role_arn = ${roleArn('envrole')}`, 'credential_source = Environment',
        '[profile envrole2]', `role_arn = ${roleArn('envrole2')}`, 'credential_source = Environment',
      ),
    );
    const keys = { AWS_ACCESS_KEY_ID: 'AKIDENVALPHA', AWS_SECRET_ACCESS_KEY: STATIC_KEYS.AKIDENVALPHA };
    const stsBefore = world.sts.calls.length;
    const [first] = await twoIdentities(
      home,
      [home.env({ ...keys, AWS_PROFILE: 'envrole' }), lastSts('AssumeRole')],
      [home.env({ ...keys, AWS_PROFILE: 'envrole2' }), lastSts('AssumeRole')],
    );
    assert.match(first.keyId, /^ASIASTSASSUMEDENVROLE/);
    assert.equal(world.sts.calls[stsBefore]?.identity, 'AKIDENVALPHA', 'AssumeRole signed with the environment keys');
    const log = readFileSync(join(home.home, '.ecr', 'log', 'ecr-login.jsonl'), 'utf8');
    const warning = log.split('\n').find((line) => line.includes('Multiple credential sources detected'));
    assert.ok(warning, 'the SDK warning reached the log');
    assert.equal((JSON.parse(warning) as { level: number }).level, 40);
  });

  it('credential_process: a script that prints the JSON credentials, run on a miss only', async () => {
    const home = world.newHome();
    const runs = join(home.home, 'process-runs.log');
    const expiration = new Date(Date.now() + 3600_000).toISOString();
    const script = home.write(
      'bin/creds.sh',
      lines(
        '#!/bin/sh',
        `echo "$1" >> '${runs}'`,
        `printf '{"Version": 1, "AccessKeyId": "ASIAPROCESS%s", "SecretAccessKey": "process-secret-%s", "SessionToken": "process-session-%s", "Expiration": "${expiration}"}\\n' "$1" "$1" "$1"`,
      ),
      0o700,
    );
    for (const who of ['ALPHA', 'BRAVO']) world.addTemporaryKey(`ASIAPROCESS${who}`, `process-secret-${who}`, `process-session-${who}`);
    home.writeConfig(lines('[profile alpha]', `credential_process = ${script} ALPHA`, '[profile bravo]', `credential_process = ${script} BRAVO`));
    await twoIdentities(home, [home.env({ AWS_PROFILE: 'alpha' }), () => 'ASIAPROCESSALPHA'], [home.env({ AWS_PROFILE: 'bravo' }), () => 'ASIAPROCESSBRAVO']);
    assert.deepEqual(readFileSync(runs, 'utf8').split('\n').filter(Boolean), ['ALPHA', 'BRAVO'], 'the process ran once per identity, never on a hit');
    assert.equal(world.ecr.calls.at(-1)?.sessionToken, 'process-session-BRAVO');
  });

  it('web identity from the environment (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN)', async () => {
    const home = world.newHome();
    const token = makeWebIdentityToken({ sub: 'system:serviceaccount:ci:puller' });
    const tokenFile = home.write('token', token);
    const stsBefore = world.sts.calls.length;
    const [alpha] = await twoIdentities(
      home,
      [home.env({ AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: roleArn('webalpha') }), lastSts('AssumeRoleWithWebIdentity')],
      [home.env({ AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: roleArn('webbravo') }), lastSts('AssumeRoleWithWebIdentity')],
    );
    assert.match(alpha.keyId, /^ASIAWEBIDENTITYWEBALPHA/);
    const call = world.sts.calls[stsBefore];
    assert.equal(call?.operation, 'AssumeRoleWithWebIdentity');
    assert.equal(call?.params.WebIdentityToken, token);
    assert.equal(call?.params.RoleArn, roleArn('webalpha'));
  });

  it('web identity from a profile (role_arn + web_identity_token_file)', async () => {
    const home = world.newHome();
    const tokenFile = home.write('token', makeWebIdentityToken());
    home.writeConfig(
      lines(
        '[profile web]', `role_arn = ${roleArn('webprofile')}`, `web_identity_token_file = ${tokenFile}`,
        '[profile web2]', `role_arn = ${roleArn('webprofile2')}`, `web_identity_token_file = ${tokenFile}`,
      ),
    );
    const [first] = await twoIdentities(
      home,
      [home.env({ AWS_PROFILE: 'web' }), lastSts('AssumeRoleWithWebIdentity')],
      [home.env({ AWS_PROFILE: 'web2' }), lastSts('AssumeRoleWithWebIdentity')],
    );
    assert.match(first.keyId, /^ASIAWEBIDENTITYWEBPROFI/);
  });

  it('ECS container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN)', async () => {
    const home = world.newHome();
    const [alphaTask, bravoTask] = world.ecs;
    const containerEnv = (uri: string): Env => home.env({ AWS_CONTAINER_CREDENTIALS_FULL_URI: uri, AWS_CONTAINER_AUTHORIZATION_TOKEN: ECS_AUTH_TOKEN });
    const before = alphaTask.calls.length;
    const [alpha, bravo] = await twoIdentities(
      home,
      [containerEnv(alphaTask.fullUri), () => alphaTask.issued.at(-1)?.accessKeyId ?? ''],
      [containerEnv(bravoTask.fullUri), () => bravoTask.issued.at(-1)?.accessKeyId ?? ''],
    );
    assert.match(alpha.keyId, /^ASIAECSALPHA/);
    assert.match(bravo.keyId, /^ASIAECSBRAVO/);
    assert.deepEqual(
      alphaTask.calls.slice(before).map((call) => [call.operation, call.identity, call.status]),
      [['GetCredentials', ECS_AUTH_TOKEN, 200]],
    );
  });

  it('EC2 instance role through IMDSv2 (token PUT, then role and credentials with the token)', async () => {
    const home = world.newHome();
    const [alphaInstance, bravoInstance] = world.imds;
    const metadataEnv = (url: string): Env => home.env({ AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: url });
    const before = alphaInstance.calls.length;
    const [alpha, bravo] = await twoIdentities(
      home,
      [metadataEnv(alphaInstance.url), () => alphaInstance.issued.at(-1)?.accessKeyId ?? ''],
      [metadataEnv(bravoInstance.url), () => bravoInstance.issued.at(-1)?.accessKeyId ?? ''],
    );
    assert.match(alpha.keyId, /^ASIAIMDSALPHA/);
    assert.match(bravo.keyId, /^ASIAIMDSBRAVO/);
    const calls = alphaInstance.calls.slice(before);
    assert.deepEqual(
      calls.map((call) => [call.method, call.operation, call.status]),
      [
        ['PUT', 'GetToken', 200],
        ['GET', 'ListRoles', 200],
        ['GET', 'GetRoleCredentials', 200],
      ],
    );
    assert.ok(calls[1]?.identity && calls[1].identity === calls[2]?.identity, 'both GETs carry the IMDSv2 token');
  });

  it('SSO, sso_session form, with the token cache file written as the AWS CLI writes it', async () => {
    const home = world.newHome();
    const accessToken = `sso-access-token-${home.home.slice(-6)}`;
    world.sso.addAccessToken(accessToken);
    writeSsoTokenCache(home.home, {
      sessionName: 'corp',
      startUrl: 'https://corp.awsapps.com/start',
      region: 'us-east-1',
      accessToken,
      expiresAt: new Date(Date.now() + 8 * 3600_000),
    });
    home.writeConfig(
      lines(
        '[profile sso-alpha]', 'sso_session = corp', `sso_account_id = ${ACCOUNT}`, 'sso_role_name = alpha',
        '[profile sso-bravo]', 'sso_session = corp', `sso_account_id = ${ACCOUNT}`, 'sso_role_name = bravo',
        '[sso-session corp]', 'sso_start_url = https://corp.awsapps.com/start', 'sso_region = us-east-1', 'sso_registration_scopes = sso:account:access',
      ),
    );
    const before = world.sso.calls.length;
    const lastSso = (): string => world.sso.issued.at(-1)?.accessKeyId ?? '';
    const [alpha, bravo] = await twoIdentities(home, [home.env({ AWS_PROFILE: 'sso-alpha' }), lastSso], [home.env({ AWS_PROFILE: 'sso-bravo' }), lastSso]);
    assert.match(alpha.keyId, /^ASIASSOALPHA/);
    assert.match(bravo.keyId, /^ASIASSOBRAVO/);
    assert.deepEqual(
      world.sso.calls.slice(before).map((call) => [call.operation, call.identity, call.params.account_id, call.params.role_name, call.status]),
      [
        ['GetRoleCredentials', accessToken, ACCOUNT, 'alpha', 200],
        ['GetRoleCredentials', accessToken, ACCOUNT, 'bravo', 200],
      ],
    );
  });
});

describe('choosing a profile per registry (README): a wrapper named in credHelpers', () => {
  it('docker-credential-ecr-login-<name> scripts that set AWS_PROFILE: each registry its identity, each its cache entry', async () => {
    const home = world.newHome();
    home.writeCredentials(
      lines(
        '[prod]', 'aws_access_key_id = AKIDSTATICALPHA', `aws_secret_access_key = ${STATIC_KEYS.AKIDSTATICALPHA}`,
        '[dev]', 'aws_access_key_id = AKIDSTATICBRAVO', `aws_secret_access_key = ${STATIC_KEYS.AKIDSTATICBRAVO}`,
      ),
    );
    const wrapper = (profile: string): string =>
      home.write(`bin/docker-credential-ecr-login-${profile}`, lines('#!/bin/sh', `AWS_PROFILE=${profile} exec '${HELPER_BIN}' "$@"`), 0o755);
    const prodHost = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
    const devHost = `444455556666.dkr.ecr.eu-west-1.amazonaws.com`;
    const env = home.env();
    const run = (profile: string, host: string) => runCommand(wrapper(profile), ['get'], { env, input: host });
    const before = world.ecr.calls.length;
    const prod = await run('prod', prodHost);
    const dev = await run('dev', devHost);
    assertServed(prod, prodHost);
    assertServed(dev, devHost);
    assert.deepEqual(
      world.ecr.calls.slice(before).map((call) => [call.accessKeyId, call.registryIds[0]]),
      [
        ['AKIDSTATICALPHA', ACCOUNT],
        ['AKIDSTATICBRAVO', '444455556666'],
      ],
    );
    assert.equal((await run('prod', prodHost)).stdout, prod.stdout);
    assert.equal(world.ecr.calls.length - before, 2, 'the second prod get is a hit');
    assert.deepEqual(home.blocked(), []);
  });
});

describe('secrets of every source stay out of the log, even at trace level', () => {
  it('static, role, web identity, container, metadata and SSO runs at AWS_ECR_LOG_LEVEL=trace', async () => {
    const home = world.newHome();
    const trace = { AWS_ECR_LOG_LEVEL: 'trace' };
    home.writeCredentials(lines('[base]', 'aws_access_key_id = AKIDBASE', `aws_secret_access_key = ${STATIC_KEYS.AKIDBASE}`));
    const token = makeWebIdentityToken({ sub: 'trace-test' });
    const tokenFile = home.write('token', token);
    const ssoToken = `sso-trace-token-${home.home.slice(-6)}`;
    world.sso.addAccessToken(ssoToken);
    writeSsoTokenCache(home.home, { sessionName: 'corp', startUrl: 'https://corp.awsapps.com/start', region: 'us-east-1', accessToken: ssoToken, expiresAt: new Date(Date.now() + 3600_000) });
    home.writeConfig(
      lines(
        '[profile role]', `role_arn = ${roleArn('tracerole')}`, 'source_profile = base',
        '[profile sso]', 'sso_session = corp', `sso_account_id = ${ACCOUNT}`, 'sso_role_name = trace',
        '[sso-session corp]', 'sso_start_url = https://corp.awsapps.com/start', 'sso_region = us-east-1',
      ),
    );
    const ecrBefore = world.ecr.issued.length;
    const envs = [
      home.env({ ...trace, AWS_PROFILE: 'role' }),
      home.env({ ...trace, AWS_PROFILE: 'sso' }),
      home.env({ ...trace, AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: roleArn('traceweb') }),
      home.env({ ...trace, AWS_CONTAINER_CREDENTIALS_FULL_URI: world.ecs[0].fullUri, AWS_CONTAINER_AUTHORIZATION_TOKEN: ECS_AUTH_TOKEN }),
      home.env({ ...trace, AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: world.imds[0].url }),
      home.env({ ...trace, AWS_PROFILE: 'base', AWS_ACCESS_KEY_ID: 'AKIDENVALPHA', AWS_SECRET_ACCESS_KEY: STATIC_KEYS.AKIDENVALPHA }),
    ];
    const results = [];
    for (const env of envs) {
      // Each source its own registry region, so that every run is a miss.
      const host = `${ACCOUNT}.dkr.ecr.us-west-${results.length + 1}.amazonaws.com`;
      const result = await world.get(env, host);
      assertServed(result, host);
      results.push(result);
    }
    const logText = readFileSync(join(home.home, '.ecr', 'log', 'ecr-login.jsonl'), 'utf8');
    assert.match(logText, /"level":10|"level":20/, 'the runs logged at their most verbose levels');
    assert.match(logText, /"from":"aws-sdk"/, 'the SDK tracing reached the log');
    // Every credential any emulator ever issued (the container and metadata ones are reused while valid).
    const issued = [world.sts, world.sso, ...world.ecs, ...world.imds].flatMap((emulator) => emulator.issued);
    const used = new Set(world.ecr.calls.slice(-envs.length).map((call) => call.accessKeyId));
    assert.equal(used.size, envs.length, 'six runs, six identities');
    for (const id of used) if (!id.startsWith('AKID')) assert.ok(issued.some((credential) => credential.accessKeyId === id), id);
    const issuedSecrets = issued.flatMap((credential) => [credential.secretAccessKey, credential.sessionToken]);
    const secrets = [
      ...Object.values(STATIC_KEYS),
      token,
      ssoToken,
      ECS_AUTH_TOKEN,
      ...issuedSecrets,
      ...world.ecr.issued.slice(ecrBefore).map((token) => token.password.slice(0, 64)),
    ];
    for (const secret of secrets) {
      assert.equal(logText.includes(secret), false, `the log holds a secret (${secret.slice(0, 8)}…)`);
      for (const result of results) assert.equal(result.stderr.includes(secret), false);
    }
  });
});
