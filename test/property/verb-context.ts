/**
 * A verb's world for the property tests, with no process around it: the settings read from an
 * environment as the helper reads them, an empty HOME, no cache, and a token fetcher that stands
 * in for AWS and records what it was asked for.
 */
import type { RegistryToken } from '../../src/aws/authorization-token';
import type { TokenFetcher } from '../../src/aws/fetch-token';
import { readSettings, type Environment } from '../../src/config/settings';
import { silentLogger } from '../../src/logging/logger';
import type { EcrRegistry } from '../../src/registry/parse';
import type { HelperContext } from '../../src/service/context';

export interface VerbWorld {
  readonly context: HelperContext;
  /** The registries a token was asked for, in order. */
  readonly asked: EcrRegistry[];
}

/** The secret the stand-in for AWS answers for a registry: it names the registry it was minted for. */
export const secretFor = (registry: { readonly host: string }): string => `secret-of-${registry.host}`;

const HOUR_MS = 60 * 60 * 1000;

/** `answer: 'token'`: AWS answers; `'failure'`: every call fails with an AWS error. */
export function verbWorld(home: string, answer: 'token' | 'failure', env: Environment = {}): VerbWorld {
  const asked: EcrRegistry[] = [];
  const fetcher: TokenFetcher = async (registry): Promise<RegistryToken> => {
    asked.push(registry);
    if (answer === 'failure') throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    return { username: 'AWS', secret: secretFor(registry), expiresAt: new Date(Date.now() + 12 * HOUR_MS) };
  };
  const fullEnv: Environment = { HOME: home, AWS_ECR_DISABLE_CACHE: '1', ...env };
  return {
    asked,
    context: {
      env: fullEnv,
      homeDir: home,
      settings: readSettings(fullEnv, home),
      logger: silentLogger,
      fetchToken: () => fetcher,
      clock: { now: Date.now, sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)) },
    },
  };
}
