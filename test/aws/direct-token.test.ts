import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { directCallFor, handoverDelayMs, readDirectAnswer, signedDirectRequest, type DirectCall } from '../../src/aws/direct-token';
import { explainAwsFailure } from '../../src/aws/errors';
import type { HttpAnswer } from '../../src/aws/https-exchange';
import { DEFAULT_CHAIN, type CredentialPlan } from '../../src/identity/plan';
import { parseRegistry, type EcrRegistry } from '../../src/registry/parse';
import { verifySigV4 } from '../support/sigv4';

const PRIVATE = parseRegistry('123456789012.dkr.ecr.eu-west-1.amazonaws.com') as EcrRegistry;
const PUBLIC = parseRegistry('public.ecr.aws') as EcrRegistry;
const ENV_KEYS = { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'env-secret' };
const NO_FILES = {};

function call(registry: EcrRegistry, env: Record<string, string | undefined>, files: { config?: string; credentials?: string } = NO_FILES, plan: CredentialPlan = DEFAULT_CHAIN): DirectCall | undefined {
  return directCallFor(registry, plan, env, files);
}

describe('directCallFor: the calls made without the AWS SDK', () => {
  it('signs with the environment keys (and session token) for the region\'s standard endpoint', () => {
    const direct = call(PRIVATE, { ...ENV_KEYS, AWS_SESSION_TOKEN: 'env-token' });
    assert.ok(direct);
    assert.equal(direct.url.href, 'https://api.ecr.eu-west-1.amazonaws.com/');
    assert.deepEqual([direct.region, direct.service, direct.target], ['eu-west-1', 'ecr', 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken']);
    assert.equal(direct.body, '{"registryIds":["123456789012"]}');
    assert.deepEqual(direct.keys, { accessKeyId: 'AKIDENV', secretAccessKey: 'env-secret', sessionToken: 'env-token' });
  });

  it('calls ECR Public in us-east-1 with an empty body', () => {
    const direct = call(PUBLIC, ENV_KEYS);
    assert.ok(direct);
    assert.deepEqual([direct.url.href, direct.region, direct.service, direct.target, direct.body], [
      'https://api.ecr-public.us-east-1.amazonaws.com/', 'us-east-1', 'ecr-public', 'SpencerFrontendService.GetAuthorizationToken', '{}',
    ]);
  });

  it('takes a static profile\'s own keys, the credentials file winning key by key, as the SDK does', () => {
    const files = {
      config: '[profile ci]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = config-secret\nregion = eu-west-1\n',
      credentials: '[ci]\naws_secret_access_key = credentials-secret\naws_session_token = file-token\n',
    };
    assert.deepEqual(call(PRIVATE, { AWS_PROFILE: 'ci', ...ENV_KEYS }, files)?.keys, { accessKeyId: 'AKIDCONFIG', secretAccessKey: 'credentials-secret', sessionToken: 'file-token' });
    assert.deepEqual(call(PRIVATE, {}, { credentials: '[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = default-secret\n' })?.keys, {
      accessKeyId: 'AKIDDEFAULT',
      secretAccessKey: 'default-secret',
    });
    // A registry's own profile (a plan's) takes AWS_PROFILE's place.
    assert.equal(call(PRIVATE, ENV_KEYS, files, { kind: 'default-chain', profile: 'ci' })?.keys.accessKeyId, 'AKIDCONFIG');
  });

  it('says, as the SDK\'s chain does, when a profile is chosen over environment keys', () => {
    const files = { credentials: '[ci]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n' };
    assert.match(call(PRIVATE, { AWS_PROFILE: 'ci', ...ENV_KEYS }, files)?.warning ?? '', /^Multiple credential sources detected/);
    assert.match(call(PRIVATE, ENV_KEYS, files, { kind: 'default-chain', profile: 'ci' })?.warning ?? '', /^Multiple credential sources detected/);
    assert.equal(call(PRIVATE, { AWS_PROFILE: 'ci' }, files)?.warning, undefined);
    assert.equal(call(PRIVATE, ENV_KEYS)?.warning, undefined);
  });

  it('leaves every credential source that is not static keys to the SDK', () => {
    const role = { credentials: '[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base\n', config: '[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n' };
    const cases: Array<[string, Record<string, string>, { config?: string; credentials?: string }, CredentialPlan?]> = [
      ['no credentials at all (instance metadata)', {}, NO_FILES],
      ['a key id without its secret', { AWS_ACCESS_KEY_ID: 'AKIDENV' }, NO_FILES],
      ['a role profile', {}, role],
      ['credential_process', {}, { config: '[default]\ncredential_process = /bin/creds\n' }],
      ['SSO', {}, { config: '[default]\nsso_session = s\nsso_account_id = 1\nsso_role_name = r\n[sso-session s]\nsso_start_url = https://x\nsso_region = eu-west-1\n' }],
      ['web identity', { AWS_WEB_IDENTITY_TOKEN_FILE: '/t', AWS_ROLE_ARN: 'arn:aws:iam::1:role/r' }, NO_FILES],
      ['container credentials', { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:9/creds' }, NO_FILES],
      ['AWS_PROFILE naming a profile with no keys, beside environment keys', { ...ENV_KEYS, AWS_PROFILE: 'missing' }, NO_FILES],
      ['a role assumed for the registry', ENV_KEYS, NO_FILES, { kind: 'assume-role', roleArn: 'arn:aws:iam::1:role/r', sessionName: 's', source: DEFAULT_CHAIN }],
    ];
    for (const [what, env, files, plan] of cases) assert.equal(call(PRIVATE, env, files, plan), undefined, what);
  });

  it('leaves proxies, FIPS, dual-stack, other partitions and configured endpoints to the SDK', () => {
    const host = (name: string): EcrRegistry => parseRegistry(name) as EcrRegistry;
    assert.equal(call(PRIVATE, { ...ENV_KEYS, HTTPS_PROXY: 'http://proxy.example:3128' }), undefined, 'a proxy');
    assert.ok(call(PRIVATE, { ...ENV_KEYS, HTTPS_PROXY: 'http://proxy.example:3128', NO_PROXY: '.amazonaws.com' }), 'a proxy NO_PROXY bypasses');
    assert.ok(call(PRIVATE, { ...ENV_KEYS, HTTP_PROXY: 'http://proxy.example:3128' }), 'HTTP_PROXY does not apply to https');
    assert.equal(call(host('123456789012.dkr.ecr-fips.us-east-1.amazonaws.com'), ENV_KEYS), undefined, 'FIPS');
    assert.equal(call(host('123456789012.dkr-ecr.eu-west-1.amazonaws.com'), ENV_KEYS), undefined, 'dual-stack');
    assert.equal(call(host('123456789012.dkr.ecr.us-gov-west-1.amazonaws.com'), ENV_KEYS), undefined, 'GovCloud');
    assert.equal(call(host('123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov'), ENV_KEYS), undefined, 'an ISO partition');
    assert.equal(call(PRIVATE, ENV_KEYS, { config: '[default]\nendpoint_url = http://127.0.0.1:4566\n' }), undefined, 'endpoint_url in the config file');
    assert.equal(call(PRIVATE, ENV_KEYS, { config: '[services s]\necr =\n  endpoint_url = http://127.0.0.1:4566\n' }), undefined, 'in a services section');
    assert.equal(call(PRIVATE, ENV_KEYS, { credentials: '[default]\nendpoint_url = http://127.0.0.1:4566\n' }), undefined, 'in the credentials file');
    assert.equal(call(PRIVATE, { ...ENV_KEYS, AWS_ENDPOINT_URL_ECR: 'http://127.0.0.1:4566/some/path' }), undefined, 'an override with a path');
    assert.equal(call(PRIVATE, { ...ENV_KEYS, AWS_ENDPOINT_URL_ECR: 'not a url' }), undefined, 'an override that is no URL');
  });

  it('takes the endpoint override, which wins over FIPS and dual-stack as in the SDK, and China\'s domain', () => {
    const override = { ...ENV_KEYS, AWS_ENDPOINT_URL_ECR: 'http://127.0.0.1:4566', AWS_ENDPOINT_URL_ECR_PUBLIC: 'http://127.0.0.1:4567/' };
    assert.equal(call(PRIVATE, override)?.url.href, 'http://127.0.0.1:4566/');
    assert.equal(call(parseRegistry('123456789012.dkr-ecr-fips.us-east-1.amazonaws.com') as EcrRegistry, override)?.url.href, 'http://127.0.0.1:4566/');
    assert.equal(call(PUBLIC, override)?.url.href, 'http://127.0.0.1:4567/');
    assert.equal(call(PRIVATE, { ...override, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' })?.url.href, 'https://api.ecr.eu-west-1.amazonaws.com/');
    assert.equal(call(parseRegistry('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn') as EcrRegistry, ENV_KEYS)?.url.href, 'https://api.ecr.cn-north-1.amazonaws.com.cn/');
  });
});

describe('signedDirectRequest', () => {
  it('is signed for the endpoint\'s host, the region and the signing name, and names the helper', () => {
    const direct = call(PRIVATE, { ...ENV_KEYS, AWS_ENDPOINT_URL_ECR: 'http://127.0.0.1:4566' });
    assert.ok(direct);
    const request = signedDirectRequest(direct, new Date());
    assert.equal(request.headers.host, '127.0.0.1:4566');
    assert.match(request.headers['user-agent'] ?? '', /^docker-credential-ecr-login\//);
    const identity = verifySigV4({ method: 'POST', url: '/', headers: request.headers }, Buffer.from(direct.body), (id) => (id === 'AKIDENV' ? 'env-secret' : undefined));
    assert.deepEqual([identity.region, identity.service], ['eu-west-1', 'ecr']);
  });
});

describe('readDirectAnswer: an answer read as the SDK reads it', () => {
  const direct = call(PRIVATE, ENV_KEYS) as DirectCall;
  const publicCall = call(PUBLIC, ENV_KEYS) as DirectCall;
  const now = Date.UTC(2030, 0, 1);
  const answer = (status: number, body: string, headers: HttpAnswer['headers'] = {}): HttpAnswer => ({ status, body, headers: { date: new Date(now).toUTCString(), ...headers }, receivedAt: now });
  const explained = (read: ReturnType<typeof readDirectAnswer>): string => {
    assert.equal(read.kind, 'failed');
    return explainAwsFailure(read.kind === 'failed' ? read.error : undefined, { api: 'ECR', credentialSources: [] });
  };

  it('takes the token and its expiry (epoch seconds) from either API\'s shape', () => {
    assert.deepEqual(readDirectAnswer(direct, answer(200, '{"authorizationData":[{"authorizationToken":"QVdTOnB3","expiresAt":1.8934596E9,"proxyEndpoint":"https://x"}]}')), {
      kind: 'token',
      authorizationToken: 'QVdTOnB3',
      expiresAt: new Date(1893459600000),
    });
    assert.deepEqual(readDirectAnswer(publicCall, answer(200, '{"authorizationData":{"authorizationToken":"QVdTOnB3","expiresAt":"1893459600"}}')), {
      kind: 'token',
      authorizationToken: 'QVdTOnB3',
      expiresAt: new Date(1893459600000),
    });
    assert.deepEqual(readDirectAnswer(direct, answer(200, '{"authorizationData":[]}')), { kind: 'token', authorizationToken: undefined, expiresAt: undefined });
  });

  it('says a 200 that is not AWS JSON is not, with its status', () => {
    assert.equal(explained(readDirectAnswer(direct, answer(200, '{"authorizationData":[{"authorizationTok'))), 'HTTP 200 from the ECR API, with an answer that is not AWS JSON');
    assert.equal(explained(readDirectAnswer(direct, answer(200, '{"authorizationData":[{"expiresAt":"soon"}]}'))), 'HTTP 200 from the ECR API, with an answer that is not AWS JSON');
    assert.equal(explained(readDirectAnswer(direct, answer(403, '<html>denied</html>'))), 'HTTP 403 from the ECR API, with an answer that is not AWS JSON');
  });

  it('puts a failure the SDK does not retry as the SDK does: code, message, status', () => {
    const denied = readDirectAnswer(direct, answer(400, '{"__type":"AccessDeniedException","message":"User: arn:aws:iam::1:user/x is not authorized"}'));
    assert.equal(explained(denied), 'AccessDeniedException: User: arn:aws:iam::1:user/x is not authorized');
    const headerWins = readDirectAnswer(direct, answer(400, '{"__type":"com.amazon#Other","Message":"bad key"}', { 'x-amzn-errortype': 'UnrecognizedClientException:http://internal.amazon.com/' }));
    assert.equal(explained(headerWins), 'UnrecognizedClientException: bad key');
    assert.equal(explained(readDirectAnswer(direct, answer(400, '{"__type":"com.amazonaws.ecr#InvalidParameterException"}'))), 'InvalidParameterException');
  });

  it('hands throttling, 5xx and 429 to the SDK\'s retries, throttling with its longer pause', () => {
    assert.deepEqual(readDirectAnswer(direct, answer(400, '{"__type":"ThrottlingException","message":"Rate exceeded"}')), { kind: 'retry', reason: 'ThrottlingException', throttled: true });
    assert.deepEqual(readDirectAnswer(direct, answer(429, '')), { kind: 'retry', reason: 'HTTP 429', throttled: true });
    assert.deepEqual(readDirectAnswer(direct, answer(500, '{"__type":"ServerException","message":"x"}')), { kind: 'retry', reason: 'ServerException', throttled: false });
    assert.deepEqual(readDirectAnswer(direct, answer(503, '<html>busy</html>')), { kind: 'retry', reason: 'HTTP 503', throttled: false });
    assert.equal(handoverDelayMs({ throttled: true }, () => 0.999), 499);
    assert.equal(handoverDelayMs({ throttled: false }, () => 0.999), 99);
  });

  it('hands a failure whose Date shows the clock 5 minutes off to the SDK, with the offset to sign with', () => {
    const skewed = readDirectAnswer(direct, answer(403, '{"__type":"InvalidSignatureException","message":"Signature expired"}', { date: new Date(now + 3_600_000).toUTCString() }));
    assert.deepEqual(skewed, { kind: 'retry', reason: 'HTTP 403, the clock off by 3600 s', throttled: false, clockOffsetMs: 3_600_000 });
    const close = readDirectAnswer(direct, answer(403, '{"__type":"InvalidSignatureException","message":"bad"}', { date: new Date(now + 60_000).toUTCString() }));
    assert.equal(close.kind, 'failed');
    // As the SDK's isTransientError: an expired signature is retried even with the clock close.
    const expired = readDirectAnswer(direct, answer(400, '{"__type":"InvalidSignatureException","message":"Signature expired: 20300101T000000Z is now earlier than …"}'));
    assert.deepEqual(expired, { kind: 'retry', reason: 'InvalidSignatureException', throttled: false });
  });
});
