/**
 * Self-test of the ECR / ECR Public emulator and its SigV4 verifier, driven by
 * the real AWS SDK v3 clients. Every client is built with explicit config
 * (endpoint, region, static credentials, retry and endpoint flags) so nothing
 * depends on the machine's AWS_* variables or ~/.aws files, and every request
 * goes to 127.0.0.1.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { createHash, createHmac } from 'node:crypto';
import {
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  type GetAuthorizationTokenCommandOutput,
} from '@aws-sdk/client-ecr';
import {
  ECRPUBLICClient,
  GetAuthorizationTokenCommand as GetPublicAuthorizationTokenCommand,
} from '@aws-sdk/client-ecr-public';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { SigV4Error, verifySigV4 } from '../support/sigv4';

const KEY = { accessKeyId: 'AKIDEXAMPLEENV', secretAccessKey: 'env-secret' } as const;
const ACCOUNT = '123456789012';

interface ClientOptions {
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  maxAttempts?: number;
  requestHandler?: Record<string, unknown>;
  systemClockOffset?: number;
}

/** Config shared by both clients; everything the SDK would otherwise read from the environment. */
function clientConfig(emulator: EcrEmulator, defaultRegion: string, options: ClientOptions) {
  const credentials = {
    accessKeyId: options.accessKeyId ?? KEY.accessKeyId,
    secretAccessKey: options.secretAccessKey ?? KEY.secretAccessKey,
    ...(options.sessionToken !== undefined ? { sessionToken: options.sessionToken } : {}),
  };
  return {
    endpoint: emulator.url,
    region: options.region ?? defaultRegion,
    credentials,
    maxAttempts: options.maxAttempts ?? 1,
    retryMode: 'standard',
    defaultsMode: 'standard' as const,
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    ...(options.requestHandler !== undefined ? { requestHandler: options.requestHandler } : {}),
    ...(options.systemClockOffset !== undefined ? { systemClockOffset: options.systemClockOffset } : {}),
  };
}

/** Clients made by a test, destroyed after it so keep-alive sockets never outlive the test. */
const clients: Array<{ destroy(): void }> = [];
function ecr(emulator: EcrEmulator, options: ClientOptions = {}): ECRClient {
  const client = new ECRClient(clientConfig(emulator, 'eu-west-1', options));
  clients.push(client);
  return client;
}
function ecrPublic(emulator: EcrEmulator, options: ClientOptions = {}): ECRPUBLICClient {
  const client = new ECRPUBLICClient(clientConfig(emulator, 'us-east-1', options));
  clients.push(client);
  return client;
}

function getToken(client: ECRClient, registryIds?: string[]): Promise<GetAuthorizationTokenCommandOutput> {
  return client.send(new GetAuthorizationTokenCommand(registryIds === undefined ? {} : { registryIds }));
}

/** Runs `fn`, expecting it to reject, and returns the error for inspection. */
async function rejection(fn: () => Promise<unknown>): Promise<Error & Record<string, any>> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof Error, `expected an Error, got ${String(err)}`);
    return err as Error & Record<string, any>;
  }
  assert.fail('expected the call to fail');
}

function decodeToken(token: string): { username: string; password: string } {
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  assert.ok(colon > 0, 'token should decode to user:password');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function assertNear(actual: Date | undefined, expectedMs: number, toleranceMs: number): void {
  assert.ok(actual instanceof Date, 'expected a Date');
  assert.ok(Math.abs(actual.getTime() - expectedMs) <= toleranceMs, `${actual.toISOString()} not within ${toleranceMs} ms of ${new Date(expectedMs).toISOString()}`);
}

describe('ECR emulator', () => {
  let emulator: EcrEmulator;

  before(async () => {
    emulator = await startEcrEmulator();
  });
  after(async () => {
    await emulator.close();
  });
  beforeEach(() => {
    emulator.reset();
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.destroy();
  });

  test('listens on loopback', () => {
    assert.match(emulator.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('ECR private token round trip', async () => {
    const before = Date.now();
    const out = await getToken(ecr(emulator), [ACCOUNT]);

    assert.equal(out.authorizationData?.length, 1);
    const data = out.authorizationData[0]!;
    const { username, password } = decodeToken(data.authorizationToken!);
    assert.equal(username, 'AWS');
    assert.equal(data.proxyEndpoint, `https://${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`);
    assertNear(data.expiresAt, before + 12 * 3600 * 1000, 5000);

    assert.equal(emulator.issued.length, 1);
    const issued = emulator.issued[0]!;
    assert.equal(issued.password, password);
    assert.equal(issued.authorizationToken, data.authorizationToken);
    assert.equal(issued.username, 'AWS');
    assert.equal(issued.service, 'ecr');
    assert.equal(issued.registryId, ACCOUNT);
    assert.equal(issued.region, 'eu-west-1');
    assert.equal(issued.accessKeyId, KEY.accessKeyId);
    // The SDK turns fractional epoch seconds into a Date with millisecond precision.
    assert.equal(data.expiresAt?.getTime(), issued.expiresAt.getTime());

    // Realistic shape: long base64 text, no colon, unique per issue.
    assert.ok(password.length >= 1500 && password.length <= 2100, `password length ${password.length}`);
    assert.match(password, /^[A-Za-z0-9+/]+=*$/);

    assert.equal(emulator.calls.length, 1);
    const call = emulator.calls[0]!;
    assert.equal(call.service, 'ecr');
    assert.equal(call.operation, 'GetAuthorizationToken');
    assert.equal(call.region, 'eu-west-1');
    assert.equal(call.accessKeyId, KEY.accessKeyId);
    assert.deepEqual(call.registryIds, [ACCOUNT]);
    assert.equal(call.status, 200);
    assert.equal(call.errorType, undefined);
    assert.equal(call.sessionToken, undefined);
  });

  test('ECR without registryIds answers for the default account', async () => {
    const out = await getToken(ecr(emulator, { region: 'ap-southeast-2' }));
    assert.equal(out.authorizationData?.[0]?.proxyEndpoint, 'https://000000000000.dkr.ecr.ap-southeast-2.amazonaws.com');
    assert.deepEqual(emulator.calls[0]?.registryIds, []);
    assert.equal(emulator.issued[0]?.registryId, '000000000000');
  });

  test('ECR answers one entry per registry id, each with its own password', async () => {
    const ids = ['111111111111', '222222222222'];
    const out = await getToken(ecr(emulator), ids);
    assert.deepEqual(
      out.authorizationData?.map((d) => d.proxyEndpoint),
      ids.map((id) => `https://${id}.dkr.ecr.eu-west-1.amazonaws.com`),
    );
    const passwords = out.authorizationData!.map((d) => decodeToken(d.authorizationToken!).password);
    assert.notEqual(passwords[0], passwords[1]);
    assert.deepEqual(emulator.issued.map((t) => t.registryId), ids);

    const again = await getToken(ecr(emulator), [ids[0]!]);
    assert.notEqual(decodeToken(again.authorizationData![0]!.authorizationToken!).password, passwords[0]);
  });

  test('ECR rejects malformed registry ids like the service does', async () => {
    const err = await rejection(() => getToken(ecr(emulator), ['not-an-account']));
    assert.equal(err.name, 'InvalidParameterException');
    assert.equal(err.$metadata.httpStatusCode, 400);
  });

  test('ECR Public token round trip', async () => {
    const before = Date.now();
    const out = await ecrPublic(emulator).send(new GetPublicAuthorizationTokenCommand({}));

    const data = out.authorizationData!;
    const { username, password } = decodeToken(data.authorizationToken!);
    assert.equal(username, 'AWS');
    assertNear(data.expiresAt, before + 12 * 3600 * 1000, 5000);

    const issued = emulator.issued[0]!;
    assert.equal(issued.service, 'ecr-public');
    assert.equal(issued.password, password);
    assert.equal(issued.registryId, undefined);
    assert.equal(issued.region, 'us-east-1');

    const call = emulator.calls[0]!;
    assert.equal(call.service, 'ecr-public');
    assert.equal(call.operation, 'GetAuthorizationToken');
    assert.equal(call.region, 'us-east-1');
    assert.equal(call.status, 200);
  });

  test('session token is signed, verified and recorded', async () => {
    await getToken(ecr(emulator, { sessionToken: 'FwoGZXIvYXdzEXAMPLESESSION' }), [ACCOUNT]);
    assert.equal(emulator.calls[0]?.sessionToken, 'FwoGZXIvYXdzEXAMPLESESSION');
    assert.equal(emulator.calls[0]?.status, 200);
  });

  test('temporary credentials registered with a session token require that token', async () => {
    emulator.addCredentials('ASIATEMPORARYKEY', 'temp-secret', 'the-session-token');
    await getToken(ecr(emulator, { accessKeyId: 'ASIATEMPORARYKEY', secretAccessKey: 'temp-secret', sessionToken: 'the-session-token' }));

    const err = await rejection(() =>
      getToken(ecr(emulator, { accessKeyId: 'ASIATEMPORARYKEY', secretAccessKey: 'temp-secret', sessionToken: 'stale-token' })),
    );
    assert.equal(err.name, 'UnrecognizedClientException');
    assert.deepEqual(emulator.calls.map((c) => c.status), [200, 400]);
  });

  test('wrong secret → InvalidSignatureException', async () => {
    const err = await rejection(() => getToken(ecr(emulator, { secretAccessKey: 'not-the-secret' })));
    assert.equal(err.name, 'InvalidSignatureException');
    assert.match(err.message, /signature we calculated does not match/);
    assert.equal(err.$metadata.httpStatusCode, 400);
    assert.equal(emulator.issued.length, 0);
    const call = emulator.calls[0]!;
    assert.equal(call.status, 400);
    assert.equal(call.errorType, 'InvalidSignatureException');
    assert.equal(call.accessKeyId, KEY.accessKeyId, 'rejected calls still record who they claimed to be');
  });

  test('unknown access key → UnrecognizedClientException', async () => {
    const err = await rejection(() => getToken(ecr(emulator, { accessKeyId: 'AKIDUNKNOWN' })));
    assert.equal(err.name, 'UnrecognizedClientException');
    assert.equal(emulator.calls[0]?.errorType, 'UnrecognizedClientException');
    assert.equal(emulator.calls[0]?.accessKeyId, 'AKIDUNKNOWN');
  });

  test('addCredentials accepts a new key at run time', async () => {
    await rejection(() => getToken(ecr(emulator, { accessKeyId: 'AKIDLATER', secretAccessKey: 'later' })));
    emulator.addCredentials('AKIDLATER', 'later');
    await getToken(ecr(emulator, { accessKeyId: 'AKIDLATER', secretAccessKey: 'later' }));
    assert.deepEqual(emulator.calls.map((c) => c.status), [400, 200]);
  });

  test('a clock more than 15 minutes off → InvalidSignatureException (signature expired)', async () => {
    const err = await rejection(() => getToken(ecr(emulator, { systemClockOffset: -60 * 60 * 1000 })));
    assert.equal(err.name, 'InvalidSignatureException');
    assert.match(err.message, /Signature expired/);
  });

  test('unsigned request → MissingAuthenticationTokenException', async () => {
    const { status, headers, body } = await rawPost(emulator.url, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken',
    }, '{}');
    assert.equal(status, 400);
    assert.equal(headers['x-amzn-errortype'], 'MissingAuthenticationTokenException');
    assert.deepEqual(JSON.parse(body), { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    assert.equal(emulator.calls[0]?.accessKeyId, '');
    assert.equal(emulator.calls[0]?.errorType, 'MissingAuthenticationTokenException');
  });

  test('operations other than GetAuthorizationToken → UnknownOperationException', async () => {
    const err = await rejection(() => ecr(emulator).send(new DescribeRepositoriesCommand({})));
    assert.equal(err.name, 'UnknownOperationException');
    assert.equal(emulator.calls[0]?.operation, 'DescribeRepositories');
    assert.equal(emulator.calls[0]?.service, 'ecr');
  });

  test('tokens signed for the wrong service are rejected', async () => {
    // An ECR Public client pointed at ECR's target would be a protocol bug; emulate
    // it by signing for 'ecr-public' while calling the private API.
    const { status, body } = await signedRawPost(emulator.url, 'ecr-public', 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken');
    assert.equal(status, 400);
    assert.equal(JSON.parse(body).__type, 'InvalidSignatureException');
  });

  describe('faults', () => {
    test('throttle → ThrottlingException "Rate exceeded"', async () => {
      emulator.inject({ kind: 'throttle' });
      const err = await rejection(() => getToken(ecr(emulator)));
      assert.equal(err.name, 'ThrottlingException');
      assert.equal(err.message, 'Rate exceeded');
      assert.equal(err.$metadata.httpStatusCode, 400);
      assert.equal(emulator.calls[0]?.errorType, 'ThrottlingException');
      // Without `times` it stays in force.
      assert.equal((await rejection(() => getToken(ecr(emulator)))).name, 'ThrottlingException');
    });

    test('access-denied → AccessDeniedException with an IAM-style message', async () => {
      emulator.inject({ kind: 'access-denied' });
      const err = await rejection(() => getToken(ecr(emulator)));
      assert.equal(err.name, 'AccessDeniedException');
      assert.match(err.message, /^User: arn:aws:iam::\d{12}:user\/x is not authorized to perform: ecr:GetAuthorizationToken on resource: \*/);

      const pub = await rejection(() => ecrPublic(emulator).send(new GetPublicAuthorizationTokenCommand({})));
      assert.equal(pub.name, 'AccessDeniedException');
      assert.match(pub.message, /ecr-public:GetAuthorizationToken/);
    });

    test('server-error → 500 ServerException', async () => {
      emulator.inject({ kind: 'server-error' });
      const err = await rejection(() => getToken(ecr(emulator)));
      assert.equal(err.name, 'ServerException');
      assert.equal(err.$metadata.httpStatusCode, 500);
      assert.equal(err.$fault, 'server');
      assert.equal(emulator.calls[0]?.status, 500);
    });

    test('http-503-html → an SDK error carrying httpStatusCode 503', async () => {
      emulator.inject({ kind: 'http-503-html' });
      const err = await rejection(() => getToken(ecr(emulator)));
      assert.equal(err.$metadata?.httpStatusCode, 503);
      // The JSON protocol cannot parse the HTML page: the SDK surfaces the parser's
      // SyntaxError (not a service exception), with the raw response attached.
      assert.equal(err.name, 'SyntaxError');
      assert.equal(err.$response?.statusCode, 503);
      assert.equal(emulator.calls[0]?.status, 503);
      assert.equal(emulator.calls[0]?.errorType, undefined);
    });

    test('latency delays an otherwise normal answer', async () => {
      emulator.inject({ kind: 'latency', delayMs: 300 });
      const started = Date.now();
      const out = await getToken(ecr(emulator), [ACCOUNT]);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 290, `answered after ${elapsed} ms`);
      assert.equal(decodeToken(out.authorizationData![0]!.authorizationToken!).password, emulator.issued[0]?.password);
    });

    test('malformed-token → 200 whose token is not base64 of user:password', async () => {
      emulator.inject({ kind: 'malformed-token', times: 1 });
      const out = await getToken(ecr(emulator), [ACCOUNT]);
      const token = out.authorizationData![0]!.authorizationToken!;
      assert.ok(!Buffer.from(token, 'base64').toString('utf8').includes(':'));
      assert.equal(out.authorizationData![0]!.proxyEndpoint, `https://${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`);
      assert.equal(emulator.calls[0]?.status, 200);
      assert.equal(emulator.issued.length, 0, 'malformed tokens are not recorded as issued');

      const pub = await ecrPublic(emulator).send(new GetPublicAuthorizationTokenCommand({}));
      assert.ok(Buffer.from(pub.authorizationData!.authorizationToken!, 'base64').toString('utf8').includes(':'), 'times: 1 was used up');
    });

    test('reset → the connection is reset before any answer', async () => {
      emulator.inject({ kind: 'reset', times: 1 });
      const err = await rejection(() => getToken(ecr(emulator), [ACCOUNT]));
      assert.equal((err as unknown as { code?: string }).code, 'ECONNRESET');
      assert.equal(emulator.calls[0]?.status, 0, 'recorded as unanswered');
    });

    test('truncated-json → a 200 whose body stops half way: the SDK cannot parse it', async () => {
      emulator.inject({ kind: 'truncated-json', times: 1 });
      const err = await rejection(() => getToken(ecr(emulator), [ACCOUNT]));
      assert.equal(err.$metadata?.httpStatusCode, 200);
      assert.equal(err.name, 'SyntaxError');
      assert.equal(emulator.calls[0]?.status, 200);
    });

    test('malformed-json → a 200 whose body is not JSON', async () => {
      emulator.inject({ kind: 'malformed-json', times: 1 });
      const err = await rejection(() => getToken(ecr(emulator), [ACCOUNT]));
      assert.equal(err.$metadata?.httpStatusCode, 200);
      assert.equal(err.name, 'SyntaxError');
    });

    test('hang + requestTimeout with throwOnRequestTimeout → TimeoutError; close() still works', async () => {
      const local = await startEcrEmulator();
      local.inject({ kind: 'hang' });
      const started = Date.now();
      const err = await rejection(() =>
        getToken(ecr(local, { requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true } })),
      );
      assert.equal(err.name, 'TimeoutError');
      assert.ok(Date.now() - started < 5000);
      assert.equal(local.calls[0]?.status, 0, 'a hung call is recorded as unanswered');
      await local.close();
    });

    test('hang + requestTimeout alone only warns (SDK default); close() frees the caller', async () => {
      const local = await startEcrEmulator();
      local.inject({ kind: 'hang' });
      const warnings: string[] = [];
      const logger = { debug() {}, info() {}, warn: (msg: string) => warnings.push(msg), error() {} };
      const pending = getToken(ecr(local, { requestHandler: { requestTimeout: 300, logger } })).then(
        () => assert.fail('a hung request cannot succeed'),
        (err: Error) => err,
      );
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal(local.calls.length, 1);
      assert.ok(warnings.some((w) => /exceeded the configured 300 ms requestTimeout/.test(w)), `warnings: ${warnings.join(' | ')}`);

      // The request is still open; closing the emulator destroys its socket.
      await local.close();
      const err = await pending;
      assert.ok(err instanceof Error);
    });

    test('hung sockets do not keep close() waiting', async () => {
      const local = await startEcrEmulator();
      local.inject({ kind: 'hang' });
      const pending = getToken(ecr(local)).catch((err: Error) => err);
      while (local.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const started = Date.now();
      await local.close();
      assert.ok(Date.now() - started < 1000);
      assert.ok((await pending) instanceof Error);
      await local.close(); // idempotent
    });

    test('times counts down, faults apply in injection order', async () => {
      emulator.inject({ kind: 'server-error', times: 1 });
      emulator.inject({ kind: 'throttle', times: 2 });
      const client = ecr(emulator);
      assert.equal((await rejection(() => getToken(client))).name, 'ServerException');
      assert.equal((await rejection(() => getToken(client))).name, 'ThrottlingException');
      assert.equal((await rejection(() => getToken(client))).name, 'ThrottlingException');
      await getToken(client);
      assert.deepEqual(emulator.calls.map((c) => c.errorType ?? c.status), ['ServerException', 'ThrottlingException', 'ThrottlingException', 200]);
    });

    test('a fault for one service leaves the other alone', async () => {
      emulator.inject({ kind: 'throttle', service: 'ecr-public', times: 1 });
      await getToken(ecr(emulator));
      const err = await rejection(() => ecrPublic(emulator).send(new GetPublicAuthorizationTokenCommand({})));
      assert.equal(err.name, 'ThrottlingException');
      await ecrPublic(emulator).send(new GetPublicAuthorizationTokenCommand({}));
    });

    test('rejected signatures do not use up faults', async () => {
      emulator.inject({ kind: 'throttle', times: 1 });
      assert.equal((await rejection(() => getToken(ecr(emulator, { secretAccessKey: 'wrong' })))).name, 'InvalidSignatureException');
      assert.equal((await rejection(() => getToken(ecr(emulator)))).name, 'ThrottlingException');
    });

    test('the SDK retries a throttle by itself when allowed to', async () => {
      emulator.inject({ kind: 'throttle', times: 1 });
      const out = await getToken(ecr(emulator, { maxAttempts: 2 }));
      assert.equal(out.$metadata.attempts, 2);
      assert.deepEqual(emulator.calls.map((c) => c.status), [400, 200]);
      // What tells a retry from another process's request (npm run bench counts them apart).
      assert.deepEqual(emulator.calls.map((c) => c.attempt), [undefined, 2]);
    });

    test('clearFaults and reset', async () => {
      emulator.inject({ kind: 'throttle' });
      emulator.clearFaults();
      await getToken(ecr(emulator));
      emulator.inject({ kind: 'throttle' });
      emulator.reset();
      assert.equal(emulator.calls.length, 0);
      assert.equal(emulator.issued.length, 0);
      await getToken(ecr(emulator));
    });
  });

  test('tokenLifetimeSeconds is respected', async () => {
    const local = await startEcrEmulator({ tokenLifetimeSeconds: 60, credentials: { AKIDOTHER: 'other-secret' } });
    try {
      const started = Date.now();
      const out = await getToken(ecr(local, { accessKeyId: 'AKIDOTHER', secretAccessKey: 'other-secret' }));
      assertNear(out.authorizationData?.[0]?.expiresAt, started + 60_000, 5000);
      assertNear(local.issued[0]?.expiresAt, started + 60_000, 5000);
      // `credentials` replaces the default key rather than adding to it.
      assert.equal((await rejection(() => getToken(ecr(local)))).name, 'UnrecognizedClientException');
    } finally {
      await local.close();
    }
  });

  test('lookupSecret accepts keys issued elsewhere (e.g. by an STS emulator)', async () => {
    const ledger = new Map([['ASIAFROMSTS', 'sts-secret']]);
    const local = await startEcrEmulator({ lookupSecret: (id) => ledger.get(id) });
    try {
      await getToken(ecr(local, { accessKeyId: 'ASIAFROMSTS', secretAccessKey: 'sts-secret', sessionToken: 'sts-token' }));
      await getToken(ecr(local)); // the default key still works
      assert.deepEqual(local.calls.map((c) => [c.accessKeyId, c.sessionToken, c.status]), [
        ['ASIAFROMSTS', 'sts-token', 200],
        [KEY.accessKeyId, undefined, 200],
      ]);
    } finally {
      await local.close();
    }
  });
});

describe('verifySigV4', () => {
  // The example request from the AWS SigV4 documentation (IAM ListUsers).
  const secret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  const exampleNow = Date.UTC(2015, 7, 30, 12, 36, 0);
  const request = (signature: string) => ({
    method: 'GET',
    url: '/?Action=ListUsers&Version=2010-05-08',
    headers: {
      host: 'iam.amazonaws.com',
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'x-amz-date': '20150830T123600Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, ' +
        `SignedHeaders=content-type;host;x-amz-date, Signature=${signature}`,
    },
  });
  const lookup = (id: string) => (id === 'AKIDEXAMPLE' ? secret : undefined);
  const documented = '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7';

  test('accepts the documented example signature', () => {
    const identity = verifySigV4(request(documented), Buffer.alloc(0), lookup, { now: exampleNow });
    assert.deepEqual(identity, { accessKeyId: 'AKIDEXAMPLE', region: 'us-east-1', service: 'iam', date: '20150830' });
  });

  test('rejects a tampered request, an old date and a missing header', () => {
    const tampered = request(documented);
    tampered.url = '/?Action=ListUsers&Version=2010-05-09';
    assert.throws(() => verifySigV4(tampered, Buffer.alloc(0), lookup, { now: exampleNow }), isSigV4('InvalidSignatureException'));
    assert.throws(() => verifySigV4(request(documented), Buffer.alloc(0), lookup), isSigV4('InvalidSignatureException'));
    const unsigned = { method: 'GET', url: '/', headers: {} };
    assert.throws(() => verifySigV4(unsigned, Buffer.alloc(0), lookup), isSigV4('MissingAuthenticationToken'));
    assert.throws(() => verifySigV4(request('abc'), Buffer.alloc(0), lookup, { now: exampleNow }), isSigV4('IncompleteSignature'));
    assert.throws(
      () => verifySigV4(request(documented), Buffer.alloc(0), () => undefined, { now: exampleNow }),
      isSigV4('UnrecognizedClientException'),
    );
  });

  test('a body that does not match x-amz-content-sha256 is rejected', () => {
    const body = Buffer.from('{}');
    const req = signRequest('POST', '/', { host: 'h', 'x-amz-content-sha256': sha256Hex('{"other":1}') }, body);
    assert.throws(() => verifySigV4(req, body, () => 's'), isSigV4('InvalidSignatureException'));
  });

  test('query strings are canonicalised (order and encoding)', () => {
    const body = Buffer.alloc(0);
    // Signed over the canonical form; sent unsorted and with a lower-case escape.
    const signed = signRequest('GET', '/', { host: 'h' }, body, 'a=1&b=c%2A&b=x%20y');
    const reordered = { ...signed, url: '/?b=x%20y&b=c%2a&a=1' };
    assert.equal(verifySigV4(reordered, body, () => 's').accessKeyId, 'AKID');
  });
});

function isSigV4(code: SigV4Error['code']) {
  return (err: unknown) => err instanceof SigV4Error && err.code === code;
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Minimal independent signer for verifier edge cases the SDK never produces.
 * `canonicalQuery` must already be in canonical form.
 */
function signRequest(method: string, path: string, headers: Record<string, string>, body: Buffer, canonicalQuery = '') {
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const date = amzDate.slice(0, 8);
  const all: Record<string, string> = { ...headers, 'x-amz-date': amzDate };
  const names = Object.keys(all).sort();
  const payloadHash = all['x-amz-content-sha256'] ?? sha256Hex(body);
  const canonical = [method, path, canonicalQuery, ...names.map((n) => `${n}:${all[n]}`), '', names.join(';'), payloadHash].join('\n');
  const scope = `${date}/us-east-1/svc/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  let key: Buffer = Buffer.from('AWS4s');
  for (const part of [date, 'us-east-1', 'svc', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return {
    method,
    url: canonicalQuery === '' ? path : `${path}?${canonicalQuery}`,
    headers: { ...all, authorization: `AWS4-HMAC-SHA256 Credential=AKID/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}` },
  };
}

/** Signs a JSON 1.1 POST for the emulator with the default key, for a chosen signing name. */
function signedRawPost(url: string, signingName: string, target: string) {
  const body = '{}';
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const date = amzDate.slice(0, 8);
  const host = new URL(url).host;
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    host,
    'x-amz-date': amzDate,
    'x-amz-target': target,
  };
  const names = Object.keys(headers).sort();
  const canonical = ['POST', '/', '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), sha256Hex(body)].join('\n');
  const scope = `${date}/us-east-1/${signingName}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  let key: Buffer = Buffer.from(`AWS4${KEY.secretAccessKey}`);
  for (const part of [date, 'us-east-1', signingName, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${KEY.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return rawPost(url, headers, body);
}

/** A plain HTTP POST to the loopback emulator, without the SDK. */
function rawPost(url: string, headers: Record<string, string>, body: string) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, connection: 'close' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
