/**
 * How credential failures end (issue 4), end to end through the real bin/ and the real SDK:
 * always one line on stdout (and the same on stderr), always the cause a person can act on,
 * always in a bounded time. How long a run took is reported as a test diagnostic, never
 * asserted: the runner's kill timeout is the bound a test enforces.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ssoTokenCachePath, writeSsoTokenCache } from '../support/sso-emulator';
import { makeWebIdentityToken } from '../support/sts-emulator';
import {
  ACCOUNT,
  ECS_AUTH_TOKEN,
  HOST,
  STATIC_KEYS,
  assertOneLineFailure,
  assertServed,
  roleArn,
  startCredentialWorld,
  type CredentialWorld,
  type Home,
} from '../support/credential-world';

let world: CredentialWorld;
before(async () => {
  world = await startCredentialWorld();
});
after(() => world.close());

const lines = (...text: string[]): string => `${text.join('\n')}\n`;
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('no credentials anywhere: one line naming what was tried, in a bounded time', () => {
  const noCredentials = (metadata: string): RegExp =>
    new RegExp(
      '^no AWS credentials found \\(tried environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ' +
        'profile "default" in \\S+/\\.aws/credentials and \\S+/\\.aws/config \\(no credentials there\\), ' +
        `web identity \\(AWS_WEB_IDENTITY_TOKEN_FILE\\), EC2 instance metadata at ${escape(metadata)}\\)$`,
    );

  it('the metadata endpoint is a closed port', async (t) => {
    const home = world.newHome();
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const before = world.counts();
    const result = await world.get(home.env({ AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint }), HOST, 30_000);
    const cause = assertOneLineFailure(result, /credentials/);
    assert.match(cause, noCredentials(endpoint));
    assert.deepEqual(world.counts(), before, 'no emulator was called, ECR least of all');
    assert.deepEqual(home.blocked(), []);
    t.diagnostic(`get took ${Math.round(result.elapsedMs)} ms`);
  });

  it('the metadata endpoint is black-holed (accepts, never answers)', async (t) => {
    const home = world.newHome();
    const [imds] = world.imds;
    const from = imds.calls.length;
    imds.inject({ kind: 'hang' });
    try {
      const result = await world.get(home.env({ AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url }), HOST, 30_000);
      const cause = assertOneLineFailure(result, /credentials/);
      assert.match(cause, noCredentials(imds.url));
      // The IMDSv2 token PUT times out, then the IMDSv1 GET of the role name and its one retry.
      assert.deepEqual(
        imds.calls.slice(from).map((call) => [call.method, call.operation, call.status]),
        [
          ['PUT', 'GetToken', 0],
          ['GET', 'ListRoles', 0],
          ['GET', 'ListRoles', 0],
        ],
      );
      assert.equal(world.ecr.calls.filter((call) => call.at >= (imds.calls[from]?.at ?? 0)).length, 0);
      t.diagnostic(`get took ${Math.round(result.elapsedMs)} ms`);
    } finally {
      imds.clearFaults();
    }
  });

  it('metadata disabled: says so', async () => {
    const home = world.newHome();
    const cause = assertOneLineFailure(await world.get(home.env()), /credentials/);
    assert.match(cause, /EC2 instance metadata \(disabled by AWS_EC2_METADATA_DISABLED\)\)$/);
  });

  it('AWS_PROFILE names a profile that does not exist: the keys in the environment were skipped, and it says so', async () => {
    const home = world.newHome();
    home.writeCredentials(lines('[real]', 'aws_access_key_id = AKIDSTATICALPHA', `aws_secret_access_key = ${STATIC_KEYS.AKIDSTATICALPHA}`));
    const env = home.env({ AWS_PROFILE: 'typo', AWS_ACCESS_KEY_ID: 'AKIDENVALPHA', AWS_SECRET_ACCESS_KEY: STATIC_KEYS.AKIDENVALPHA });
    const cause = assertOneLineFailure(await world.get(env), /credentials/);
    assert.match(cause, /environment variables AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY \(skipped: AWS_PROFILE is set\), profile "typo" in .* \(no credentials there\)/);
  });

  it('a failing credential_process: how it ended, never its command line nor what it printed', async () => {
    const home = world.newHome();
    const script = home.write('bin/creds.sh', lines('#!/bin/sh', 'echo "corp session expired: run corp-login" >&2', 'exit 3'), 0o700);
    home.writeConfig(lines('[profile p]', `credential_process = ${script} --password hunter2secret`));
    const result = await world.get(home.env({ AWS_PROFILE: 'p' }));
    const cause = assertOneLineFailure(result, /credentials/);
    assert.match(cause, /profile "p" in .* \(its credential_process exited with status 3: run it by hand to see why\)/);
    const log = readFileSync(join(home.home, '.ecr', 'log', 'ecr-login.jsonl'), 'utf8');
    for (const word of ['hunter2secret', 'corp session expired']) {
      assert.equal((result.stdout + result.stderr + log).includes(word), false, `"${word}" is not repeated anywhere`);
    }
  });

  it('a role whose source_profile does not exist: names the missing profile', async () => {
    const home = world.newHome();
    home.writeConfig(lines('[profile r]', `role_arn = ${roleArn('r')}`, 'source_profile = missing'));
    const cause = assertOneLineFailure(await world.get(home.env({ AWS_PROFILE: 'r' })), /credentials/);
    assert.match(cause, /profile "r" in .* \(Could not resolve credentials using profile: \[missing\]/);
  });

  it('container credentials endpoint refusing connections: where, and why', async () => {
    const home = world.newHome();
    const uri = `http://127.0.0.1:${await closedPort()}/v2/credentials/x`;
    const cause = assertOneLineFailure(await world.get(home.env({ AWS_CONTAINER_CREDENTIALS_FULL_URI: uri })), /credentials/);
    assert.match(cause, new RegExp(`container credentials at ${escape(uri)} \\(connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+\\)\\)$`));
  });
});

describe('SSO sessions that need `aws sso login`', () => {
  function ssoHome(): Home {
    const home = world.newHome();
    home.writeConfig(
      lines(
        '[profile sso-alpha]', 'sso_session = corp', `sso_account_id = ${ACCOUNT}`, 'sso_role_name = alpha',
        '[sso-session corp]', 'sso_start_url = https://corp.awsapps.com/start', 'sso_region = us-east-1',
        '[profile legacy]', 'sso_start_url = https://legacy.awsapps.com/start', 'sso_region = us-east-1', `sso_account_id = ${ACCOUNT}`, 'sso_role_name = alpha',
      ),
    );
    return home;
  }

  it('an expired token (sso_session form): the SDK tries an SSO-OIDC refresh, which is refused, then: run aws sso login --profile', async () => {
    const home = ssoHome();
    const accessToken = 'expired-sso-access-token';
    world.sso.addAccessToken(accessToken);
    writeSsoTokenCache(home.home, { sessionName: 'corp', startUrl: 'https://corp.awsapps.com/start', region: 'us-east-1', accessToken, expiresAt: new Date(Date.now() - 60_000) });
    const before = world.counts();
    const oidcFrom = world.oidc.calls.length;
    const cause = assertOneLineFailure(await world.get(home.env({ AWS_PROFILE: 'sso-alpha' })), /aws sso login/);
    assert.equal(cause, 'cannot get AWS credentials for profile "sso-alpha": it has an expired SSO session; run "aws sso login --profile sso-alpha"');
    const after = world.counts();
    assert.equal(after.sso, before.sso, 'the portal was not asked with a dead token');
    assert.equal(after.ecr, before.ecr);
    assert.deepEqual(
      world.oidc.calls.slice(oidcFrom).map((call) => [call.operation, call.params.grantType, call.status, call.errorCode]),
      [['CreateToken', 'refresh_token', 400, 'InvalidGrantException']],
    );
    assert.deepEqual(home.blocked(), []);
  });

  it('an expired token (legacy sso_start_url form)', async () => {
    const home = ssoHome();
    writeSsoTokenCache(home.home, { startUrl: 'https://legacy.awsapps.com/start', region: 'us-east-1', accessToken: 'legacy-token', expiresAt: new Date(Date.now() - 60_000) });
    const cause = assertOneLineFailure(await world.get(home.env({ AWS_PROFILE: 'legacy' })), /aws sso login/);
    assert.equal(cause, 'cannot get AWS credentials for profile "legacy": it has an expired SSO session; run "aws sso login --profile legacy"');
  });

  it('no token at all (never logged in)', async () => {
    const home = ssoHome();
    const cause = assertOneLineFailure(await world.get(home.env({ AWS_PROFILE: 'sso-alpha' })), /aws sso login/);
    assert.equal(cause, 'cannot get AWS credentials for profile "sso-alpha": it has no SSO session; run "aws sso login --profile sso-alpha"');
  });

  it('a token the portal no longer accepts (signed out elsewhere): UnauthorizedException, then the same advice', async () => {
    const home = ssoHome();
    writeSsoTokenCache(home.home, { sessionName: 'corp', startUrl: 'https://corp.awsapps.com/start', region: 'us-east-1', accessToken: 'revoked-token', expiresAt: new Date(Date.now() + 3600_000) });
    const from = world.sso.calls.length;
    const cause = assertOneLineFailure(await world.get(home.env({ AWS_PROFILE: 'sso-alpha' })), /aws sso login/);
    assert.equal(cause, 'cannot get AWS credentials for profile "sso-alpha": it has an SSO session the SSO portal refuses (UnauthorizedException); run "aws sso login --profile sso-alpha"');
    assert.deepEqual(world.sso.calls.slice(from).map((call) => call.status), [401]);
  });

  it('a token about to expire is refreshed through SSO-OIDC, written back as the CLI does, and served', async () => {
    const home = ssoHome();
    const refreshToken = 'live-refresh-token';
    world.oidc.addRefreshToken(refreshToken);
    world.sso.addAccessToken('soon-expiring-token');
    const file = writeSsoTokenCache(home.home, {
      sessionName: 'corp',
      startUrl: 'https://corp.awsapps.com/start',
      region: 'us-east-1',
      accessToken: 'soon-expiring-token',
      expiresAt: new Date(Date.now() + 60_000),
      registration: { refreshToken },
    });
    const ssoFrom = world.sso.calls.length;
    assertServed(await world.get(home.env({ AWS_PROFILE: 'sso-alpha' })));
    const refreshed = JSON.parse(readFileSync(file, 'utf8')) as { accessToken: string; refreshToken: string };
    assert.match(refreshed.accessToken, /^oidc-refreshed-/);
    assert.notEqual(refreshed.refreshToken, refreshToken);
    assert.deepEqual(world.sso.calls.slice(ssoFrom).map((call) => [call.identity, call.status]), [[refreshed.accessToken, 200]]);
    assert.equal(file, ssoTokenCachePath(home.home, 'corp'));
  });

  it('the SSO portal of sso_region is called, not the registry region (seen by the loopback guard, nothing sent)', async () => {
    const home = ssoHome();
    writeSsoTokenCache(home.home, { sessionName: 'corp', startUrl: 'https://corp.awsapps.com/start', region: 'us-east-1', accessToken: 'any', expiresAt: new Date(Date.now() + 3600_000) });
    const env = home.env({ AWS_PROFILE: 'sso-alpha' });
    delete env.AWS_ENDPOINT_URL_SSO;
    const result = await world.get(env, `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`);
    assertOneLineFailure(result, /AWS SSO/, `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`);
    assert.deepEqual([...new Set(home.blocked())], ['portal.sso.us-east-1.amazonaws.com']);
  });
});

describe('STS refusing to assume a role: the AWS code and the role ARN', () => {
  it('AccessDenied on AssumeRole for a role profile', async () => {
    const home = world.newHome();
    home.writeCredentials(lines('[base]', 'aws_access_key_id = AKIDBASE', `aws_secret_access_key = ${STATIC_KEYS.AKIDBASE}`));
    home.writeConfig(lines('[profile denied]', `role_arn = ${roleArn('denied')}`, 'source_profile = base'));
    world.sts.inject({ kind: 'access-denied', roleArn: roleArn('denied') });
    try {
      const before = world.counts();
      const cause = assertOneLineFailure(await world.get(home.env({ AWS_PROFILE: 'denied' })), /AccessDenied/);
      assert.match(
        cause,
        new RegExp(`^cannot assume role ${escape(roleArn('denied'))} for profile "denied": AccessDenied: User: \\S+ is not authorized to perform: sts:AssumeRole on resource: ${escape(roleArn('denied'))}$`),
      );
      const after = world.counts();
      assert.equal(after.sts - before.sts, 1, 'a refusal is not retried');
      assert.equal(after.ecr, before.ecr, 'ECR is never called without credentials');
    } finally {
      world.sts.clearFaults();
    }
  });

  it('AccessDenied on the second hop of a chain names the role asked for and, through STS, the one refused', async () => {
    const home = world.newHome();
    home.writeCredentials(lines('[base]', 'aws_access_key_id = AKIDBASE', `aws_secret_access_key = ${STATIC_KEYS.AKIDBASE}`));
    home.writeConfig(lines('[profile middle]', `role_arn = ${roleArn('middle')}`, 'source_profile = base', '[profile top]', `role_arn = ${roleArn('deniedtop')}`, 'source_profile = middle'));
    world.sts.inject({ kind: 'access-denied', roleArn: roleArn('deniedtop') });
    try {
      const cause = assertOneLineFailure(await world.get(home.env({ AWS_PROFILE: 'top' })), /AccessDenied/);
      assert.match(cause, new RegExp(`^cannot assume role ${escape(roleArn('deniedtop'))} for profile "top": AccessDenied: User: arn:aws:sts::\\d+:assumed-role/middle/\\S+ is not authorized`));
    } finally {
      world.sts.clearFaults();
    }
  });

  it('AccessDenied on AssumeRoleWithWebIdentity: the role ARN and the token file', async () => {
    const home = world.newHome();
    const tokenFile = home.write('token', makeWebIdentityToken());
    world.sts.inject({ kind: 'access-denied', roleArn: roleArn('webdenied') });
    try {
      const cause = assertOneLineFailure(await world.get(home.env({ AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: roleArn('webdenied') })), /AccessDenied/);
      assert.equal(cause, `cannot assume role ${roleArn('webdenied')} with the web identity token in ${tokenFile}: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity`);
    } finally {
      world.sts.clearFaults();
    }
  });
});

describe('a passing failure at a metadata endpoint is retried and served', () => {
  it('IMDS answers 500 to the credentials GET once, then succeeds', async () => {
    const home = world.newHome();
    const [, imds] = world.imds;
    const from = imds.calls.length;
    imds.inject({ kind: 'server-error', times: 1, operation: 'GetRoleCredentials' });
    const result = await world.get(home.env({ AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url }));
    assertServed(result);
    assert.deepEqual(
      imds.calls.slice(from).map((call) => [call.operation, call.status]),
      [
        ['GetToken', 200],
        ['ListRoles', 200],
        ['GetRoleCredentials', 500],
        ['GetRoleCredentials', 200],
      ],
    );
    assert.match(world.ecr.calls.at(-1)?.accessKeyId ?? '', /^ASIAIMDSBRAVO/);
  });

  it('IMDS answers 503 to the role-name GET once, then succeeds', async () => {
    const home = world.newHome();
    const [, imds] = world.imds;
    const from = imds.calls.length;
    imds.inject({ kind: 'server-error', status: 503, times: 1, operation: 'ListRoles' });
    assertServed(await world.get(home.env({ AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url })));
    assert.deepEqual(
      imds.calls.slice(from).map((call) => [call.operation, call.status]),
      [
        ['GetToken', 200],
        ['ListRoles', 503],
        ['ListRoles', 200],
        ['GetRoleCredentials', 200],
      ],
    );
  });

  it('the container credentials endpoint answers 500 once, then succeeds', async () => {
    const home = world.newHome();
    const [ecs] = world.ecs;
    const from = ecs.calls.length;
    ecs.inject({ kind: 'server-error', times: 1 });
    assertServed(await world.get(home.env({ AWS_CONTAINER_CREDENTIALS_FULL_URI: ecs.fullUri, AWS_CONTAINER_AUTHORIZATION_TOKEN: ECS_AUTH_TOKEN })));
    assert.deepEqual(ecs.calls.slice(from).map((call) => call.status), [500, 200]);
  });
});
