/**
 * Getting a registry token from AWS: ECR `GetAuthorizationToken` for private registries,
 * ECR Public's for public.ecr.aws. This is the only module that loads the AWS SDK, and it is
 * loaded only when a token must really be fetched.
 */
import type { Environment } from '../config/settings';
import type { Logger } from '../logging/logger';
import { ECR_PUBLIC_REGION, type EcrRegistry, type PrivateRegistry, type PublicRegistry } from '../registry/parse';
import { decodeAuthorizationToken, type RegistryToken } from './authorization-token';
import { endpointOverride, endpointVariant } from './endpoints';

/** ECR tokens live 12 hours; used only if an answer ever lacks `expiresAt`. */
const DEFAULT_TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;

/**
 * Network budgets. The SDK's defaults wait for ever on a silent socket; Docker and Nomad
 * give the helper no time limit, so every wait here has one.
 */
export const NETWORK_LIMITS = {
  /** Per attempt at the EC2 metadata and container credential endpoints. */
  credentialEndpointTimeoutMs: 1000,
  connectionTimeoutMs: 3000,
  requestTimeoutMs: 5000,
  maxAttempts: 3,
} as const;

export interface FetchContext {
  readonly env: Environment;
  readonly logger: Logger;
}

export type TokenFetcher = (registry: EcrRegistry, context: FetchContext) => Promise<RegistryToken>;

export const fetchRegistryToken: TokenFetcher = (registry, context) =>
  registry.kind === 'private' ? fetchPrivateToken(registry, context) : fetchPublicToken(registry, context);

/** The SDK client configuration for a registry's API: region, endpoint variant, credentials, limits. */
export function clientConfig(registry: EcrRegistry, context: FetchContext) {
  const region = registry.kind === 'private' ? registry.region : ECR_PUBLIC_REGION;
  const requestHandler = {
    connectionTimeout: NETWORK_LIMITS.connectionTimeoutMs,
    requestTimeout: NETWORK_LIMITS.requestTimeoutMs,
    // Without it the SDK only warns when requestTimeout passes, and goes on waiting.
    throwOnRequestTimeout: true,
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { fromNodeProviderChain } = require('@aws-sdk/credential-providers') as typeof import('@aws-sdk/credential-providers');
  const credentials = fromNodeProviderChain({
    timeout: NETWORK_LIMITS.credentialEndpointTimeoutMs,
    maxRetries: 1,
    clientConfig: { region, requestHandler },
  });
  const variant = endpointVariant(registry, context.env);
  // Passed explicitly rather than left to the SDK's own reading of process.env, so that the
  // environment this module was given is the whole truth.
  const endpoint = endpointOverride(registry, context.env);
  context.logger.debug({ registry: registry.host, region, ...variant, endpoint }, 'calling GetAuthorizationToken');
  return {
    region,
    credentials,
    requestHandler,
    maxAttempts: NETWORK_LIMITS.maxAttempts,
    ...variant,
    ...(endpoint === undefined ? {} : { endpoint }),
  };
}

async function fetchPrivateToken(registry: PrivateRegistry, context: FetchContext): Promise<RegistryToken> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ECRClient, GetAuthorizationTokenCommand } = require('@aws-sdk/client-ecr') as typeof import('@aws-sdk/client-ecr');
  const client = new ECRClient(clientConfig(registry, context));
  try {
    const answer = await client.send(new GetAuthorizationTokenCommand({ registryIds: [registry.accountId] }));
    const data = answer.authorizationData?.[0];
    return toRegistryToken(data?.authorizationToken, data?.expiresAt);
  } finally {
    client.destroy();
  }
}

async function fetchPublicToken(registry: PublicRegistry, context: FetchContext): Promise<RegistryToken> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ECRPUBLICClient, GetAuthorizationTokenCommand } = require('@aws-sdk/client-ecr-public') as typeof import('@aws-sdk/client-ecr-public');
  const client = new ECRPUBLICClient(clientConfig(registry, context));
  try {
    const answer = await client.send(new GetAuthorizationTokenCommand({}));
    return toRegistryToken(answer.authorizationData?.authorizationToken, answer.authorizationData?.expiresAt);
  } finally {
    client.destroy();
  }
}

function toRegistryToken(authorizationToken: string | undefined, expiresAt: Date | undefined): RegistryToken {
  const credentials = decodeAuthorizationToken(authorizationToken);
  return { ...credentials, expiresAt: expiresAt ?? new Date(Date.now() + DEFAULT_TOKEN_LIFETIME_MS) };
}
