/**
 * `get`: the server URL on stdin, the registry's credentials as JSON on stdout.
 */
import type { RegistryToken } from '../aws/authorization-token';
import { explainAwsFailure, withDeadline } from '../aws/errors';
import { endpointOverride } from '../aws/endpoints';
import { getTokenThroughCache, type ServedToken } from '../cache/cached-token';
import { entryId } from '../cache/entry';
import { cacheKeyFor } from '../cache/key';
import { FlightLocks } from '../cache/single-flight';
import { openTokenStore } from '../cache/token-store';
import { describeCredentialSources } from '../identity/credential-sources';
import { identityFingerprint } from '../identity/fingerprint';
import { readSharedConfigTexts } from '../identity/shared-files';
import { HELPER_NAME, MISSING_SERVER_URL, NOT_FOUND } from '../protocol/messages';
import { failure, success, type Outcome } from '../protocol/outcome';
import { parseRegistry, type EcrRegistry } from '../registry/parse';
import type { VerbContext } from './context';

/** The longest a `get` waits on AWS in all, retries included: a hang must not block a pull. */
export const GET_DEADLINE_MS = 15_000;

export const FLIGHT_LIMITS = {
  pollMs: 25,
  // A leader's fetch ends by GET_DEADLINE_MS; its lock cannot legitimately be much older.
  lockMaxAgeMs: GET_DEADLINE_MS + 5_000,
  maxWaitMs: GET_DEADLINE_MS + 5_000,
} as const;

export async function get(input: string, context: VerbContext): Promise<Outcome> {
  const serverUrl = input.trim();
  if (serverUrl === '') return failure(MISSING_SERVER_URL);

  const registry = parseRegistry(serverUrl);
  if (registry === undefined) {
    context.logger.debug({ serverUrl }, 'not an ECR registry');
    return failure(NOT_FOUND);
  }

  const api = registry.kind === 'private' ? 'ECR' : 'ECR Public';
  const explain = (error: unknown): string =>
    explainAwsFailure(error, {
      api,
      endpoint: endpointOverride(registry, context.env),
      credentialSources: describeCredentialSources(context.env, context.homeDir),
    });
  const fetch = (): Promise<RegistryToken> =>
    withDeadline(
      context.fetchToken()(registry, { env: context.env, logger: context.logger }),
      GET_DEADLINE_MS,
      `no answer from AWS within ${GET_DEADLINE_MS / 1000} s`,
    );

  try {
    const { served, warning } = await serveToken(registry, fetch, explain, context);
    const { token, origin } = served;
    const fields = { registry: registry.host, origin, expiresAt: token.expiresAt.toISOString() };
    if (origin === 'cache') context.logger.debug(fields, 'token served');
    else context.logger.info(fields, 'token served');
    return success(`${JSON.stringify({ ServerURL: serverUrl, Username: token.username, Secret: token.secret })}\n`, warning);
  } catch (error) {
    const cause = explain(error);
    context.logger.error({ registry: registry.host, cause, err: error }, 'cannot get a token');
    if (registry.kind === 'public') {
      // Anonymous pulls work on ECR Public: let Docker go on without credentials.
      return failure(NOT_FOUND, `${HELPER_NAME}: cannot get an ECR Public token, pulling anonymously: ${cause}`);
    }
    const message = `cannot get an ECR token for ${registry.host}: ${cause}`;
    return failure(message, `${HELPER_NAME}: ${message}`);
  }
}

async function serveToken(
  registry: EcrRegistry,
  fetch: () => Promise<RegistryToken>,
  explain: (error: unknown) => string,
  context: VerbContext,
): Promise<{ served: ServedToken; warning?: string }> {
  if (context.settings.cacheDisabled) return { served: { token: await fetch(), origin: 'fetched' } };
  const opening = openTokenStore(context.settings.cacheDir, context.logger);
  if (opening.store === undefined) {
    context.logger.warn({ reason: opening.reason }, 'token cache not trusted; running uncached');
    return {
      served: { token: await fetch(), origin: 'fetched' },
      warning: `${HELPER_NAME}: token cache off: ${opening.reason}`,
    };
  }
  const identity = identityFingerprint(context.env, readSharedConfigTexts(context.env, context.homeDir));
  const key = cacheKeyFor(registry, context.env, identity.hash);
  const served = await getTokenThroughCache({
    store: opening.store,
    locks: new FlightLocks(opening.store.dir, context.logger),
    key,
    id: entryId(key),
    fetch,
    explain,
    now: context.clock.now,
    sleep: context.clock.sleep,
    logger: context.logger,
    limits: FLIGHT_LIMITS,
  });
  return { served };
}
