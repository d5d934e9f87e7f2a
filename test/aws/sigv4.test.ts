import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signRequest } from '../../src/aws/sigv4';
import { verifySigV4 } from '../support/sigv4';

/** The AWS Signature Version 4 test suite's keys, scope and time. */
const SUITE_KEYS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SUITE_SCOPE = { region: 'us-east-1', service: 'service' };
const SUITE_TIME = new Date(Date.UTC(2015, 7, 30, 12, 36, 0));

describe('signRequest', () => {
  it('signs the suite\'s post-vanilla request as AWS publishes it', () => {
    const headers = signRequest({ method: 'POST', path: '/', headers: { host: 'example.amazonaws.com' }, body: '' }, SUITE_KEYS, SUITE_SCOPE, SUITE_TIME);
    assert.equal(headers['x-amz-date'], '20150830T123600Z');
    assert.equal(
      headers.authorization,
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
    );
  });

  it('signs a JSON 1.1 call with a session token so that a verifier accepts it, and no other secret', () => {
    const keys = { accessKeyId: 'AKIDSESSION', secretAccessKey: 'session-secret', sessionToken: 'the-session-token' };
    const body = JSON.stringify({ registryIds: ['123456789012'] });
    const now = new Date();
    const headers = signRequest(
      {
        method: 'POST',
        path: '/',
        headers: { host: 'api.ecr.eu-west-1.amazonaws.com', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken' },
        body,
      },
      keys,
      { region: 'eu-west-1', service: 'ecr' },
      now,
    );
    assert.equal(headers['x-amz-security-token'], 'the-session-token');
    assert.match(headers.authorization ?? '', /SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,/);
    const request = { method: 'POST', url: '/', headers };
    const identity = verifySigV4(request, Buffer.from(body), (id) => (id === 'AKIDSESSION' ? 'session-secret' : undefined));
    assert.deepEqual([identity.region, identity.service, identity.sessionToken], ['eu-west-1', 'ecr', 'the-session-token']);
    assert.throws(() => verifySigV4(request, Buffer.from(body), () => 'another-secret'), /signature/i);
    assert.throws(() => verifySigV4(request, Buffer.from(`${body} `), () => 'session-secret'), /signature/i);
  });
});
