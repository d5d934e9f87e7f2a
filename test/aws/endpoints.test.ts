import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpointOverride, endpointVariant } from '../../src/aws/endpoints';
import { parseRegistry, type EcrRegistry } from '../../src/registry/parse';

const registry = (host: string): EcrRegistry => parseRegistry(host) as EcrRegistry;

describe('endpoint overrides', () => {
  it('reads the service variable first, then the global one', () => {
    const env = { AWS_ENDPOINT_URL: 'http://127.0.0.1:1', AWS_ENDPOINT_URL_ECR: 'http://127.0.0.1:2' };
    assert.equal(endpointOverride(registry('123456789012.dkr.ecr.us-east-1.amazonaws.com'), env), 'http://127.0.0.1:2');
    assert.equal(endpointOverride(registry('public.ecr.aws'), env), 'http://127.0.0.1:1');
    assert.equal(endpointOverride(registry('public.ecr.aws'), { ...env, AWS_ENDPOINT_URL_ECR_PUBLIC: 'http://127.0.0.1:3' }), 'http://127.0.0.1:3');
  });
  it('is ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true', () => {
    const env = { AWS_ENDPOINT_URL_ECR: 'http://127.0.0.1:2', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' };
    assert.equal(endpointOverride(registry('123456789012.dkr.ecr.us-east-1.amazonaws.com'), env), undefined);
  });
  it('turns FIPS and dual-stack off, since the SDK refuses to combine them with a custom endpoint', () => {
    const fipsDual = registry('123456789012.dkr-ecr-fips.us-east-1.amazonaws.com');
    assert.deepEqual(endpointVariant(fipsDual, {}), { useFipsEndpoint: true, useDualstackEndpoint: true });
    assert.deepEqual(endpointVariant(fipsDual, { AWS_ENDPOINT_URL_ECR: 'http://127.0.0.1:2' }), { useFipsEndpoint: false, useDualstackEndpoint: false });
  });
});
