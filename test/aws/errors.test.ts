import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenFormatError } from '../../src/aws/authorization-token';
import { DeadlineError, explainAwsFailure, explainCredentialsFailure, explainProviderNote, withDeadlineFromFirstRequest, type OutboundDeadline } from '../../src/aws/errors';
import type { WhenOutbound } from '../../src/aws/outbound';
import { blockEventLoop } from '../support/event-loop';
import { loopbackPair } from '../support/loopback-pair';

const context = { api: 'ECR', credentialSources: ['environment variables', 'profile "default"', 'EC2 instance metadata'] };

function named(name: string, message: string, extra: object = {}): Error {
  const error = new Error(message);
  error.name = name;
  return Object.assign(error, extra);
}

describe('explainAwsFailure', () => {
  it('lists the sources tried when no credentials were found', () => {
    const text = explainAwsFailure(named('CredentialsProviderError', 'Could not load credentials from any providers'), context);
    assert.equal(text, 'no AWS credentials found (tried environment variables, profile "default", EC2 instance metadata)');
  });
  it('keeps a specific credentials message, such as an expired SSO session', () => {
    const text = explainAwsFailure(named('CredentialsProviderError', 'The SSO session has expired. To refresh this SSO session run aws sso login'), context);
    assert.match(text, /^cannot load AWS credentials: .*aws sso login/);
  });
  it('names the AWS error code and message of a service error', () => {
    const error = named('AccessDeniedException', 'User: arn:aws:iam::1:user/x is not authorized', { $metadata: { httpStatusCode: 400 } });
    assert.equal(explainAwsFailure(error, context), 'AccessDeniedException: User: arn:aws:iam::1:user/x is not authorized');
  });
  it('adds the HTTP status of a server error, and names a status without a code', () => {
    assert.equal(explainAwsFailure(named('ServerException', 'oops', { $metadata: { httpStatusCode: 500 } }), context), 'ServerException: oops (HTTP 500)');
    assert.equal(explainAwsFailure(named('Unknown', 'UnknownError', { $metadata: { httpStatusCode: 503 } }), context), 'HTTP 503');
  });
  it('says where it could not connect', () => {
    const refused = Object.assign(named('Error', 'connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    assert.equal(explainAwsFailure(refused, { ...context, endpoint: 'http://127.0.0.1:9' }), 'cannot reach the ECR API at http://127.0.0.1:9: ECONNREFUSED');
    assert.equal(explainAwsFailure(named('TimeoutError', 'socket hang up'), context), 'cannot reach the ECR API: timed out');
    assert.equal(explainAwsFailure(Object.assign(named('TimeoutError', 'request timed out'), { code: 'ETIMEDOUT' }), context), 'cannot reach the ECR API: timed out');
    // What the SDK throws, after its retries, when every connection is reset.
    assert.equal(explainAwsFailure(Object.assign(named('TimeoutError', 'read ECONNRESET'), { code: 'ECONNRESET' }), context), 'cannot reach the ECR API: ECONNRESET');
  });
  it('explains an unusable token and a deadline', () => {
    assert.match(explainAwsFailure(new TokenFormatError('not base64'), context), /unusable token: not base64/);
    assert.equal(explainAwsFailure(new DeadlineError('no answer within 20 s'), context), 'no answer within 20 s');
  });
});

describe('withDeadlineFromFirstRequest', () => {
  /** A whenOutbound the test fires by hand: `goOut()` is the call's first request. */
  function byHand() {
    let listener = (): void => undefined;
    let watching = false;
    const whenOutbound: WhenOutbound = (heard) => {
      listener = heard;
      watching = true;
      return () => {
        watching = false;
      };
    };
    return { whenOutbound, goOut: () => listener(), watching: () => watching };
  }
  const limits = (answerMs: number, sendMs: number): OutboundDeadline => ({ answerMs, answerMessage: 'no answer', sendMs, sendMessage: 'not sent' });
  const isDeadline = (message: string) => (error: unknown) => error instanceof DeadlineError && error.message === message;
  const never = (): Promise<never> => new Promise(() => undefined);

  it('passes a prompt answer through and stops listening', async () => {
    const outbound = byHand();
    assert.equal(await withDeadlineFromFirstRequest(() => Promise.resolve(7), limits(1000, 1000), outbound.whenOutbound), 7);
    assert.equal(outbound.watching(), false);
  });
  it('gives up answerMs after the first request when no answer comes', async () => {
    const outbound = byHand();
    const call = withDeadlineFromFirstRequest(() => (outbound.goOut(), never()), limits(20, 60_000), outbound.whenOutbound);
    await assert.rejects(call, isDeadline('no answer'));
    assert.equal(outbound.watching(), false);
  });
  it('gives up sendMs after the start when no request goes out', async () => {
    const outbound = byHand();
    await assert.rejects(withDeadlineFromFirstRequest(never, limits(60_000, 20), outbound.whenOutbound), isDeadline('not sent'));
  });
  it('gives a call starved of CPU before its first request the whole answer limit from that request', async () => {
    const outbound = byHand();
    const call = withDeadlineFromFirstRequest(
      () =>
        new Promise<string>((resolve) => {
          // Starved past the answer limit before it asks anybody; then it asks, and the answer
          // comes well within the limit (its timer falls due before the limit's, loaded or not).
          blockEventLoop(300);
          outbound.goOut();
          setTimeout(() => resolve('the answer'), 50);
        }),
      limits(100, 60_000),
      outbound.whenOutbound,
    );
    assert.equal(await call, 'the answer');
  });
  it('a request sent late in the send limit still has the whole answer limit', async () => {
    const outbound = byHand();
    const call = withDeadlineFromFirstRequest(
      () => new Promise<string>((resolve) => setTimeout(() => (outbound.goOut(), setTimeout(() => resolve('answered'), 60)), 60)),
      limits(1_000, 100),
      outbound.whenOutbound,
    );
    assert.equal(await call, 'answered');
  });
  it('takes an answer that came in time to a process starved past the deadline', async () => {
    const { client, serverSide, close } = await loopbackPair();
    try {
      const outbound = byHand();
      const answer = new Promise<string>((resolve) => client.once('data', (chunk: Buffer) => resolve(chunk.toString())));
      const guarded = withDeadlineFromFirstRequest(() => (outbound.goOut(), answer), limits(20, 20), outbound.whenOutbound);
      serverSide.write('the answer');
      // Blocked past the deadline, as a starved process is: the timer is due before the read.
      blockEventLoop(300);
      assert.equal(await guarded, 'the answer');
    } finally {
      close();
    }
  });
});

describe('explainCredentialsFailure', () => {
  const tried = ['environment variables', 'profile "default"', 'EC2 instance metadata at http://169.254.169.254'];
  const sso = { sourcesTried: tried, profile: { name: 'dev', kind: 'sso' } };

  it('lists the sources tried when no credentials were found', () => {
    const text = explainCredentialsFailure(named('CredentialsProviderError', 'Could not load credentials from any providers'), { sourcesTried: tried });
    assert.equal(text, `no AWS credentials found (tried ${tried.join(', ')})`);
  });

  for (const [message, state] of [
    ["Token is expired. To refresh this SSO session run 'aws sso login' with the corresponding profile.", 'has an expired SSO session'],
    ['The SSO session associated with this profile has expired. To refresh this SSO session run aws sso login with the corresponding profile.', 'has an expired SSO session'],
    ["Value not present for 'refreshToken' in SSO Token. Cannot refresh. To refresh this SSO session run 'aws sso login' with the corresponding profile.", 'has an expired SSO session'],
    ["The SSO session token associated with profile=dev was not found or is invalid. To refresh this SSO session run 'aws sso login' with the corresponding profile.", 'has no SSO session'],
    ['UnauthorizedException: Session token not found or invalid', 'has an SSO session the SSO portal refuses (UnauthorizedException)'],
  ] as const) {
    it(`SSO: "${message.slice(0, 40)}…" → ${state}, and the login command for the profile`, () => {
      assert.equal(explainCredentialsFailure(named('CredentialsProviderError', message), sso), `cannot get AWS credentials for profile "dev": it ${state}; run "aws sso login --profile dev"`);
    });
  }

  it('SSO for the default profile: plain "aws sso login"', () => {
    const text = explainCredentialsFailure(named('CredentialsProviderError', 'Token is expired. To refresh this SSO session run aws sso login'), { sourcesTried: tried, profile: { name: 'default', kind: 'sso' } });
    assert.match(text, /run "aws sso login"$/);
  });

  it('SSO: other portal errors are not advice to log in again', () => {
    assert.equal(explainCredentialsFailure(named('CredentialsProviderError', 'ForbiddenException: No access'), sso), 'cannot get AWS credentials for profile "dev" from AWS SSO: ForbiddenException: No access');
    assert.equal(
      explainCredentialsFailure(named('CredentialsProviderError', 'Error: connect ECONNREFUSED 127.0.0.1:1'), sso),
      'cannot get AWS credentials for profile "dev": cannot reach the AWS SSO portal: ECONNREFUSED',
    );
  });

  it('STS: the AWS code, its message and the role, for a profile and for web identity', () => {
    const denied = named('AccessDenied', 'User: arn:aws:iam::1:user/u is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::1:role/r', { $metadata: { httpStatusCode: 403 } });
    assert.equal(
      explainCredentialsFailure(denied, { sourcesTried: tried, profile: { name: 'app', kind: 'role' }, roleArn: 'arn:aws:iam::1:role/r' }),
      'cannot assume role arn:aws:iam::1:role/r for profile "app": AccessDenied: User: arn:aws:iam::1:user/u is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::1:role/r',
    );
    const invalid = named('InvalidIdentityToken', 'Token expired', { $metadata: { httpStatusCode: 400 } });
    assert.equal(
      explainCredentialsFailure(invalid, { sourcesTried: tried, roleArn: 'arn:aws:iam::1:role/w', webIdentityToken: 'in /var/run/token' }),
      'cannot assume role arn:aws:iam::1:role/w with the web identity token in /var/run/token: InvalidIdentityToken: Token expired',
    );
  });

  it('STS out of reach: says so', () => {
    const refused = Object.assign(named('Error', 'connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal(
      explainCredentialsFailure(refused, { sourcesTried: tried, profile: { name: 'app', kind: 'role' }, roleArn: 'arn:aws:iam::1:role/r' }),
      'cannot get AWS credentials for profile "app": cannot reach STS: ECONNREFUSED',
    );
    // A timeout reads the same for STS, SSO and ECR, whatever code the SDK gave it.
    const silent = Object.assign(named('TimeoutError', 'request timed out'), { code: 'ETIMEDOUT' });
    assert.equal(
      explainCredentialsFailure(silent, { sourcesTried: tried, profile: { name: 'app', kind: 'role' }, roleArn: 'arn:aws:iam::1:role/r' }),
      'cannot get AWS credentials for profile "app": cannot reach STS: timed out',
    );
  });

  it('credential_process: how it ended and how to see why, never its command line nor a word it printed', () => {
    const failed = named('CredentialsProviderError', 'Command failed: /bin/creds --password hunter2\n+ corp-login --token s3cr3t-canary\nmore');
    const process = { name: 'p', kind: 'process' };
    assert.equal(
      explainCredentialsFailure(failed, { sourcesTried: tried, profile: process, processExit: { code: 3, signal: null } }),
      'cannot get AWS credentials for profile "p": its credential_process exited with status 3: run it by hand to see why',
    );
    assert.equal(
      explainCredentialsFailure(failed, { sourcesTried: tried, profile: process, processExit: { code: null, signal: 'SIGKILL' } }),
      'cannot get AWS credentials for profile "p": its credential_process was ended by SIGKILL: run it by hand to see why',
    );
    assert.equal(
      explainCredentialsFailure(failed, { sourcesTried: tried, profile: process }),
      'cannot get AWS credentials for profile "p": its credential_process failed: run it by hand to see why',
    );
    assert.equal(
      explainCredentialsFailure(named('CredentialsProviderError', 'Profile p credential_process returned invalid JSON.'), { sourcesTried: tried, profile: process }),
      'cannot get AWS credentials for profile "p": its credential_process failed: it returned invalid JSON.',
    );
  });

  it('anything else: the first line of the SDK message', () => {
    const text = explainCredentialsFailure(named('CredentialsProviderError', 'Profile x requires multi-factor authentication, but no MFA code callback was provided.\nsecond line'), {
      sourcesTried: tried,
      profile: { name: 'x', kind: 'role' },
    });
    assert.equal(text, 'cannot get AWS credentials for profile "x": the profile requires multi-factor authentication, but no MFA code callback was provided.');
  });
});

describe('explainProviderNote', () => {
  it('drops the note that only says the profile holds nothing', () => {
    assert.equal(explainProviderNote('Could not resolve credentials using profile: [dev] in configuration/credentials file(s).', 'dev'), undefined);
    assert.match(explainProviderNote('Could not resolve credentials using profile: [base] in configuration/credentials file(s).', 'dev') ?? '', /\[base\]/);
  });
  it('says how a credential_process ended, never what it printed', () => {
    assert.equal(
      explainProviderNote('Command failed: /x --secret s3cr3t\n+ login --password hunter2', 'p', { code: 1, signal: null }),
      'its credential_process exited with status 1: run it by hand to see why',
    );
    assert.equal(explainProviderNote('Command failed: /x --secret s3cr3t\n', 'p'), 'its credential_process failed: run it by hand to see why');
  });
  it('strips the error class prefix the container provider adds', () => {
    assert.equal(explainProviderNote('CredentialsProviderError: Error: connect ECONNREFUSED 127.0.0.1:9', 'default'), 'connect ECONNREFUSED 127.0.0.1:9');
  });
});
