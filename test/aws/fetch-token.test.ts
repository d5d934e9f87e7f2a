import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { ECRPUBLICClient, GetAuthorizationTokenCommand as GetPublicAuthorizationTokenCommand } from '@aws-sdk/client-ecr-public';
import { directCallFor } from '../../src/aws/direct-token';
import { clientConfig, expiryDoubt, toRegistryToken } from '../../src/aws/fetch-token';
import { DEFAULT_CHAIN } from '../../src/identity/plan';
import { silentLogger, type Logger } from '../../src/logging/logger';
import { parseRegistry, type EcrRegistry } from '../../src/registry/parse';

/**
 * Which URL the real SDK would call for a registry, found by stopping the request after the
 * endpoint is resolved and before it is signed: no credentials are resolved, nothing is sent.
 */
async function resolvedEndpoint(host: string, env: Record<string, string> = {}): Promise<string> {
  const registry = parseRegistry(host) as EcrRegistry;
  assert.ok(registry, `${host} should be ECR`);
  // Static keys: the chain the helper uses must not be consulted in a unit test.
  const config = { ...clientConfig(registry, { env, logger: silentLogger }), credentials: { accessKeyId: 'AKIDUNIT', secretAccessKey: 'unit' } };
  class Captured extends Error {
    constructor(readonly url: string) {
      super(url);
    }
  }
  const capture = (next: unknown, context: unknown) => async (args: { request: { protocol: string; hostname: string; port?: number; path: string } }) => {
    void next;
    void context;
    const { protocol, hostname, port, path } = args.request;
    throw new Captured(`${protocol}//${hostname}${port ? `:${port}` : ''}${path}`);
  };
  const send = async (): Promise<unknown> => {
    if (registry.kind === 'private') {
      const client = new ECRClient(config);
      client.middlewareStack.add(capture as never, { step: 'build', priority: 'low' });
      return client.send(new GetAuthorizationTokenCommand({ registryIds: [registry.accountId] })).finally(() => client.destroy());
    }
    const client = new ECRPUBLICClient(config);
    client.middlewareStack.add(capture as never, { step: 'build', priority: 'low' });
    return client.send(new GetPublicAuthorizationTokenCommand({})).finally(() => client.destroy());
  };
  try {
    await send();
  } catch (error) {
    if (error instanceof Captured) return error.url;
    throw error;
  }
  throw new Error('the request was not stopped');
}

describe('endpoint chosen from the registry host, with the real SDK', () => {
  const cases: Array<[string, string]> = [
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'https://api.ecr.eu-west-1.amazonaws.com/'],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', 'https://api.ecr.cn-north-1.amazonaws.com.cn/'],
    ['123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', 'https://api.ecr-fips.us-gov-west-1.amazonaws.com/'],
    ['123456789012.dkr-ecr.us-east-1.on.aws', 'https://ecr.us-east-1.api.aws/'],
    ['123456789012.dkr-ecr.eu-west-1.amazonaws.com', 'https://ecr.eu-west-1.api.aws/'],
    ['123456789012.dkr-ecr-fips.us-east-1.amazonaws.com', 'https://ecr-fips.us-east-1.api.aws/'],
    ['public.ecr.aws', 'https://api.ecr-public.us-east-1.amazonaws.com/'],
    ['ecr-public.aws.com', 'https://ecr-public.us-east-1.api.aws/'],
  ];
  for (const [host, expected] of cases) {
    it(`${host} → ${expected}`, async () => {
      assert.equal(await resolvedEndpoint(host), expected);
    });
  }

  it('an explicit endpoint override wins over FIPS and dual-stack', async () => {
    const env = { AWS_ENDPOINT_URL_ECR: 'http://127.0.0.1:4566', AWS_ENDPOINT_URL_ECR_PUBLIC: 'http://127.0.0.1:4567' };
    assert.equal(await resolvedEndpoint('123456789012.dkr-ecr-fips.us-east-1.amazonaws.com', env), 'http://127.0.0.1:4566/');
    assert.equal(await resolvedEndpoint('ecr-public.aws.com', env), 'http://127.0.0.1:4567/');
  });

  it('a call made without the SDK goes where the SDK would send it, or is left to the SDK', async () => {
    const keys = { AWS_ACCESS_KEY_ID: 'AKIDUNIT', AWS_SECRET_ACCESS_KEY: 'unit' };
    const overrides = { AWS_ENDPOINT_URL_ECR: 'http://127.0.0.1:4566', AWS_ENDPOINT_URL_ECR_PUBLIC: 'https://localhost:4567' };
    const made: string[] = [];
    for (const [host] of cases) {
      for (const env of [keys, { ...keys, ...overrides }]) {
        const registry = parseRegistry(host) as EcrRegistry;
        const direct = directCallFor(registry, DEFAULT_CHAIN, env, {});
        if (direct === undefined) continue;
        made.push(host);
        assert.equal(direct.url.href, await resolvedEndpoint(host, env), host);
      }
    }
    // Every host with an override, and the standard ones without.
    assert.deepEqual([...new Set(made)], cases.map(([host]) => host));
    assert.equal(made.length, cases.length + 3);
  });
});

describe('toRegistryToken: the expiry AWS gave, made safe for the local clock', () => {
  const HOUR = 60 * 60 * 1000;
  const asked = Date.UTC(2030, 5, 1, 12, 0, 0);
  const authorizationToken = Buffer.from('AWS:registry-password').toString('base64');
  function convert(expiresAt: Date | undefined): { expiresAt: number; warnings: string[] } {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (_fields, message) => void warnings.push(message) };
    const token = toRegistryToken(authorizationToken, expiresAt, asked, logger);
    assert.deepEqual([token.username, token.secret], ['AWS', 'registry-password']);
    assert.doesNotThrow(() => token.expiresAt.toISOString());
    return { expiresAt: token.expiresAt.getTime(), warnings };
  }

  it('keeps an ordinary 12-hour expiry, without a word', () => {
    assert.deepEqual(convert(new Date(asked + 12 * HOUR + 250)), { expiresAt: asked + 12 * HOUR, warnings: [] });
    assert.deepEqual(convert(new Date(asked + HOUR)), { expiresAt: asked + HOUR, warnings: [] });
  });

  it('gives 12 hours when the answer has no expiry', () => {
    assert.deepEqual(convert(undefined), { expiresAt: asked + 12 * HOUR, warnings: [] });
  });

  it('an Invalid Date (ECR said 1e20 seconds): the epoch, no RangeError, and a warning', () => {
    const { expiresAt, warnings } = convert(new Date(1e23));
    assert.equal(expiresAt, 0);
    assert.match(warnings.join('\n'), /no time at all: serving it once, not caching it/);
  });

  it('a century ahead, or a clock a day behind: 12 hours after the request, and a warning', () => {
    for (const ahead of [100 * 365 * 24 * HOUR, 36 * HOUR]) {
      const { expiresAt, warnings } = convert(new Date(asked + ahead));
      assert.equal(expiresAt, asked + 12 * HOUR);
      assert.match(warnings.join('\n'), /is the clock behind\?\): trusting 12 hours/);
    }
  });

  it('already passed by the local clock (a clock ahead of AWS): kept as given, and a warning', () => {
    const { expiresAt, warnings } = convert(new Date(asked - HOUR));
    assert.equal(expiresAt, asked - HOUR);
    assert.match(warnings.join('\n'), /is the clock ahead\?\): serving it once, not caching it/);
  });
});

describe('expiryDoubt', () => {
  const asked = Date.UTC(2030, 5, 1, 12, 0, 0);
  it('leaves the request latency alone, and speaks up past a few minutes beyond 12 hours', () => {
    assert.equal(expiryDoubt(asked, asked + 12 * 60 * 60 * 1000 + 60_000), undefined);
    assert.notEqual(expiryDoubt(asked, asked + 12 * 60 * 60 * 1000 + 10 * 60_000), undefined);
  });
});
