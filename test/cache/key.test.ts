import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { endpointOverride } from '../../src/aws/endpoints';
import { ENDPOINT_VARIANT_NAMES, entryId } from '../../src/cache/entry';
import { cacheKeyFor } from '../../src/cache/key';
import type { Environment } from '../../src/config/settings';
import { parseRegistry } from '../../src/registry/parse';
import { ecrHost } from '../property/generators';

const overrideUrl = fc.oneof(fc.constantFrom('http://127.0.0.1:4566', 'https://vpce-0a1b.api.ecr.us-east-1.vpce.amazonaws.com'), fc.webUrl(), fc.string({ minLength: 1 }));
const environment: fc.Arbitrary<Environment> = fc.record(
  { AWS_ENDPOINT_URL_ECR: overrideUrl, AWS_ENDPOINT_URL_ECR_PUBLIC: overrideUrl, AWS_ENDPOINT_URL: overrideUrl, AWS_USE_FIPS_ENDPOINT: fc.constantFrom('true', 'false') },
  { requiredKeys: [] },
);
const identity = fc.stringMatching(/^[0-9a-f]{32}$/);
const request = fc.tuple(ecrHost, environment, identity);

function registryOf(host: string) {
  const registry = parseRegistry(host);
  assert.ok(registry !== undefined, host);
  return registry;
}

function keyOf([host, env, id]: [string, Environment, string]) {
  return cacheKeyFor(registryOf(host), env, id);
}

describe('cacheKeyFor and entryId', () => {
  it('name an endpoint variant or the override, and give a short, plain file name', () => {
    fc.assert(
      fc.property(request, (generated) => {
        const key = keyOf(generated);
        const override = endpointOverride(registryOf(generated[0]), generated[1]);
        if (override === undefined) assert.ok(ENDPOINT_VARIANT_NAMES.has(key.endpoint), key.endpoint);
        else assert.equal(key.endpoint, override);
        const id = entryId(key);
        assert.match(id, /^[a-z0-9.+-]+(?:_[a-z0-9.+-]+){3}$/);
        assert.ok(id.length <= 200, `${id.length} characters`);
      }),
      { numRuns: 2000 },
    );
  });

  it('give two keys one file name only when they are the same key', () => {
    // The second request is the first with its host, environment or identity replaced.
    const pair = fc.tuple(request, request, fc.constantFrom(0, 1, 2)).map(([first, other, part]) => [first, first.map((value, at) => (at === part ? other[at] : value)) as typeof first] as const);
    fc.assert(
      fc.property(pair, ([first, second]) => {
        const [a, b] = [keyOf(first), keyOf(second)];
        assert.equal(entryId(a) === entryId(b), JSON.stringify(a) === JSON.stringify(b));
      }),
      { numRuns: 2000 },
    );
  });
});
