/**
 * Which API endpoint variant a registry host asks for, and when the user's own endpoint
 * override takes the choice away. Pure: the environment is passed in.
 */
import type { Environment } from '../config/settings';
import type { EcrRegistry } from '../registry/parse';

export interface EndpointVariant {
  readonly useFipsEndpoint: boolean;
  readonly useDualstackEndpoint: boolean;
}

const OVERRIDE_VARIABLES = {
  private: ['AWS_ENDPOINT_URL_ECR', 'AWS_ENDPOINT_URL'],
  public: ['AWS_ENDPOINT_URL_ECR_PUBLIC', 'AWS_ENDPOINT_URL'],
  sts: ['AWS_ENDPOINT_URL_STS', 'AWS_ENDPOINT_URL'],
} as const;

/** The endpoint override the SDK will use for this registry's API, if the environment sets one. */
export function endpointOverride(registry: EcrRegistry, env: Environment): string | undefined {
  return configuredEndpoint(registry.kind, env);
}

/** The endpoint override for STS (GetCallerIdentity), if the environment sets one. */
export function stsEndpointOverride(env: Environment): string | undefined {
  return configuredEndpoint('sts', env);
}

function configuredEndpoint(service: keyof typeof OVERRIDE_VARIABLES, env: Environment): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.trim().toLowerCase() === 'true') return undefined;
  for (const name of OVERRIDE_VARIABLES[service]) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

/**
 * FIPS and dual-stack come from the host (docs/SPEC.md section 2). An explicit endpoint wins:
 * the SDK refuses to combine a custom endpoint with either flag.
 */
export function endpointVariant(registry: EcrRegistry, env: Environment): EndpointVariant {
  if (endpointOverride(registry, env) !== undefined) return { useFipsEndpoint: false, useDualstackEndpoint: false };
  return {
    useFipsEndpoint: registry.kind === 'private' && registry.fips,
    useDualstackEndpoint: registry.dualStack,
  };
}
