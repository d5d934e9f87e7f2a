/**
 * The cache key of a registry for the current identity. Pure.
 */
import { endpointOverride, endpointVariant } from '../aws/endpoints';
import type { Environment } from '../config/settings';
import { ECR_PUBLIC_REGION, type EcrRegistry } from '../registry/parse';
import { ENDPOINT_VARIANTS, type CacheKey } from './entry';

export function cacheKeyFor(registry: EcrRegistry, env: Environment, identity: string): CacheKey {
  return {
    service: registry.kind === 'private' ? 'ecr' : 'ecr-public',
    registry: registry.host,
    region: registry.kind === 'private' ? registry.region : ECR_PUBLIC_REGION,
    endpoint: endpointOverride(registry, env) ?? variantName(registry, env),
    identity,
  };
}

function variantName(registry: EcrRegistry, env: Environment): string {
  const { useFipsEndpoint: fips, useDualstackEndpoint: dualstack } = endpointVariant(registry, env);
  if (fips) return dualstack ? ENDPOINT_VARIANTS.fipsDualstack : ENDPOINT_VARIANTS.fips;
  return dualstack ? ENDPOINT_VARIANTS.dualstack : ENDPOINT_VARIANTS.standard;
}
