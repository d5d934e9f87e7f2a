/**
 * The one way to a registry token, shared by every protocol the helper speaks (Docker's `get`,
 * the kubelet's `get-credentials`, `get-login-password`): the cache and its single flight, the
 * AWS call under a deadline, and a failure put into one line. Callers say which registry and
 * whose credentials (the plan); what they print is theirs.
 */
import type { RegistryToken } from '../aws/authorization-token';
import { explainAwsFailure, withDeadlineFromFirstRequest } from '../aws/errors';
import { endpointOverride } from '../aws/endpoints';
import { whenFirstOutbound } from '../aws/outbound';
import { getTokenThroughCache, type FlightLimits, type ServedToken } from '../cache/cached-token';
import { FlightLocks } from '../cache/single-flight';
import { openTokenStore } from '../cache/token-store';
import { describeCredentialSources } from '../identity/credential-sources';
import type { SharedConfigTexts } from '../identity/fingerprint';
import { chainEnvironment, type CredentialPlan } from '../identity/plan';
import { readSharedConfigTexts } from '../identity/shared-files';
import { HELPER_NAME } from '../protocol/messages';
import type { EcrRegistry } from '../registry/parse';
import { cacheSlotFor, type TokenRequest } from './cache-slot';
import type { HelperContext } from './context';

/**
 * The longest a token request waits on AWS in all, retries included, from its first request (or
 * credential_process) on: a hang must not block a pull.
 */
export const GET_DEADLINE_MS = 15_000;

/**
 * The single flight's bounds (docs/SPEC.md section 4). A leader's AWS call ends by
 * GET_DEADLINE_MS after its first request; twice that lets a starved leader store what it got,
 * and still bounds a waiter behind a holder that never lets go. Before its call a leader loads
 * the AWS SDK, which has no deadline and at a load average of 40 on 2 cores has taken more than
 * 30 s: a leader that has not marked its call yet is waited on for up to 2 minutes. Waiters wake when the
 * lock file changes; the poll behind that starts at 50 ms and backs off to 1 s, which is also how
 * soon a leader killed with SIGKILL is noticed.
 */
export const FLIGHT_LIMITS: FlightLimits = {
  firstPollMs: 50,
  maxPollMs: 1_000,
  lockMaxAgeMs: 2 * GET_DEADLINE_MS,
  callWaitMs: 2 * GET_DEADLINE_MS,
  maxWaitMs: 8 * GET_DEADLINE_MS,
};

export type { TokenRequest } from './cache-slot';

export interface ObtainedToken {
  readonly served: ServedToken;
  /** A line for the user's terminal, when the token came but something deserves a word. */
  readonly warning?: string;
}

/** A token could not be had; `message` is one line for a person, naming the cause. */
export class TokenUnavailableError extends Error {
  override readonly name = 'TokenUnavailableError';
  constructor(
    message: string,
    readonly registry: EcrRegistry,
  ) {
    super(message);
  }
}

/** Serves the registry's token for the plan's identity, from the cache or from AWS; throws TokenUnavailableError. */
export async function obtainToken(request: TokenRequest, context: HelperContext): Promise<ObtainedToken> {
  const { registry } = request;
  const explain = (error: unknown): string => explainTokenFailure(error, request, context);
  const fetch = (calling?: () => void): Promise<RegistryToken> => fetchWithDeadline(request, context, calling);
  try {
    // Read before anything else, cache or not: the SDK reads these files too, and one it must
    // not be given (too large, a FIFO) fails the request here, at once.
    const files = readSharedConfigTexts(context.env, context.homeDir);
    const obtained = await serveToken(request, files, fetch, explain, context);
    const { token, origin } = obtained.served;
    const fields = { registry: registry.host, origin, expiresAt: token.expiresAt.toISOString() };
    // Info is for what asked AWS. A token another process just fetched is, like a hit, only read:
    // at debug, the waiters of a burst load no pino and write no log (about 45 ms of CPU each).
    if (origin === 'cache' || origin === 'another-process') context.logger.debug(fields, 'token served');
    else context.logger.info(fields, 'token served');
    return obtained;
  } catch (error) {
    const cause = explain(error);
    context.logger.error({ registry: registry.host, cause, err: error }, 'cannot get a token');
    throw new TokenUnavailableError(cause, registry);
  }
}

/**
 * One call to AWS for the registry's token, bypassing the cache, within GET_DEADLINE_MS of its
 * first request. It begins after the AWS SDK is loaded, when `calling` is told.
 */
export function fetchWithDeadline(request: TokenRequest, context: HelperContext, calling?: () => void): Promise<RegistryToken> {
  return withinGetDeadline(() => {
    const call = context.fetchToken()(request.registry, { env: context.env, logger: context.logger, plan: request.plan });
    calling?.();
    return call;
  });
}

/**
 * Any call to AWS a command makes, `start`ed and bounded as a token request is: a hang must not
 * block anyone.
 *
 * From the start of a call (the AWS SDK loaded) to its first request, the helper only computes
 * and reads files: a few tens of milliseconds of CPU, which a helper starved at a load of 60 on
 * 2 cores has taken more than 15 s to get. That stretch has a bound of its own, four times the
 * deadline, for what nobody foresaw (a FIFO where the SDK reads a file).
 */
export function withinGetDeadline<T>(start: () => Promise<T>): Promise<T> {
  const sendMs = 4 * GET_DEADLINE_MS;
  const limits = {
    answerMs: GET_DEADLINE_MS,
    answerMessage: `no answer from AWS within ${GET_DEADLINE_MS / 1000} s`,
    sendMs,
    sendMessage: `the request to AWS was not sent within ${sendMs / 1000} s`,
  };
  return withDeadlineFromFirstRequest(start, limits, whenFirstOutbound);
}

/** A failure to get the registry's token, in one line for a person. */
export function explainTokenFailure(error: unknown, request: TokenRequest, context: HelperContext): string {
  const { registry, plan } = request;
  return explainAwsFailure(error, {
    api: registry.kind === 'private' ? 'ECR' : 'ECR Public',
    endpoint: endpointOverride(registry, context.env),
    credentialSources: credentialSourcesOf(plan, context),
  });
}

/** The sources the SDK's chain tries under the plan, for a "no credentials" message. */
export function credentialSourcesOf(plan: CredentialPlan, context: HelperContext): string[] {
  return describeCredentialSources(plan.kind === 'default-chain' ? chainEnvironment(plan, context.env) : context.env, context.homeDir);
}

async function serveToken(
  request: TokenRequest,
  files: SharedConfigTexts,
  fetch: (calling?: () => void) => Promise<RegistryToken>,
  explain: (error: unknown) => string,
  context: HelperContext,
): Promise<ObtainedToken> {
  if (context.settings.cacheDisabled) return { served: { token: await fetch(), origin: 'fetched' } };
  const opening = openTokenStore(context.settings.cacheDir, context.logger);
  if (opening.store === undefined) {
    context.logger.warn({ reason: opening.reason }, 'token cache not trusted; running uncached');
    return {
      served: { token: await fetch(), origin: 'fetched' },
      warning: `${HELPER_NAME}: token cache off: ${opening.reason}`,
    };
  }
  const { key, id } = cacheSlotFor(request, context.env, files);
  const { heldFlight } = context;
  // The lock of the slot the fast path worked out: another one's (the files changed in between) goes at once.
  const held = heldFlight?.id === id ? heldFlight : undefined;
  if (held === undefined) heldFlight?.release();
  try {
    const served = await getTokenThroughCache({
      store: opening.store,
      locks: new FlightLocks(opening.store.dir, context.logger),
      key,
      id,
      fetch,
      explain,
      now: context.clock.now,
      sleep: context.clock.sleep,
      logger: context.logger,
      limits: FLIGHT_LIMITS,
      ...(context.flightWaitingSince === undefined ? {} : { waitingSince: context.flightWaitingSince }),
      ...(held === undefined ? {} : { held: held.owner }),
    });
    return { served };
  } finally {
    // Led with and let go already, unless the cache served first or the lock was no longer ours.
    held?.release();
  }
}
