import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenFormatError } from '../../src/aws/authorization-token';
import { DeadlineError, explainAwsFailure, withDeadline } from '../../src/aws/errors';

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
  });
  it('explains an unusable token and a deadline', () => {
    assert.match(explainAwsFailure(new TokenFormatError('not base64'), context), /unusable token: not base64/);
    assert.equal(explainAwsFailure(new DeadlineError('no answer within 20 s'), context), 'no answer within 20 s');
  });
});

describe('withDeadline', () => {
  it('passes a prompt answer through', async () => {
    assert.equal(await withDeadline(Promise.resolve(7), 1000, 'late'), 7);
  });
  it('gives up on a promise that never settles', async () => {
    await assert.rejects(withDeadline(new Promise(() => undefined), 20, 'late'), (error: unknown) => error instanceof DeadlineError && error.message === 'late');
  });
});
