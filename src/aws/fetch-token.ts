/**
 * Getting a registry token from AWS: ECR `GetAuthorizationToken` for private registries,
 * ECR Public's for public.ecr.aws. This module (and caller-identity.ts, which shares its
 * credentials and limits) is the only one that loads the AWS SDK, and it is loaded only when a
 * token must really be fetched.
 *
 * Credentials come from the SDK's default Node chain (`fromNodeProviderChain`), with our own
 * time limits (below), its messages routed to our log, and its failures put into one line.
 * With static keys the first attempt is made without the SDK, which is then not loaded at all
 * unless that attempt fails in a way the SDK retries (direct-token.ts).
 */
import { homedir } from 'node:os';
import type { Environment } from '../config/settings';
import { activeProfile, decideCredentialSource } from '../identity/credential-chain';
import { describeCredentialSources } from '../identity/credential-sources';
import { chainEnvironment, DEFAULT_CHAIN, type CredentialPlan, type DefaultChainPlan } from '../identity/plan';
import { readSharedConfigTexts } from '../identity/shared-files';
import type { Logger } from '../logging/logger';
import { ECR_PUBLIC_REGION, type EcrRegistry, type PrivateRegistry, type PublicRegistry } from '../registry/parse';
import { decodeAuthorizationToken, isDateTime, TOKEN_LIFETIME_MS, trustedExpiry, type RegistryToken } from './authorization-token';
import { endpointOverride, endpointVariant } from './endpoints';
import { lastChildExit, watchChildProcesses } from './child-processes';
import { CredentialsUnavailableError, ExplainedError, explainCredentialsFailure, explainProviderNote, type ChainReasons, type CredentialsFailureContext } from './errors';
import { readCaBundle } from './ca-bundle';
import { directCallFor, handoverDelayMs, readDirectAnswer, signedDirectRequest, type DirectCall } from './direct-token';
import { exchange, type HttpAnswer } from './https-exchange';
import { afterTimeLimit } from './time-limit';
import { timeLimitedRequestHandler, type RequestHandler } from './request-handler';
import { keepMetadataDirect, proxyAgentsFor } from './proxy-agent';

/**
 * Network budgets. The SDK's defaults wait for ever on a silent socket; Docker and Nomad give
 * the helper no time limit, so every wait here has one.
 *
 * The metadata endpoints (EC2 instance metadata, container credentials) are the trade-off. On a
 * laptop with no credentials at all, the chain ends at 169.254.169.254, which nobody answers:
 * the packets are dropped, so each attempt waits its whole timeout. The SDK's IMDS provider then
 * makes 2 + maxRetries attempts (the IMDSv2 token PUT times out; it falls back to one IMDSv1 GET
 * of the role name, retried maxRetries times), so the wait there is
 * `credentialEndpointTimeoutMs × (2 + credentialEndpointRetries)` = 0.6 s × 3 = 1.8 s, and the whole
 * `get` ends in about 2 s with a line naming what was tried (the SDK defaults, 1 s × 3, make it 3.1 s).
 * On a real instance the endpoint answers within a few milliseconds, so 600 ms is still a
 * hundred times the usual answer; one retry absorbs a passing 5xx from IMDS or the ECS agent
 * (the SDK's default for IMDS is none). More retries or a longer timeout would buy resilience
 * against a sick metadata service at the price of every credential-less run, and the IMDSv1
 * fallback stays on, because behind a hop limit of 1 (Docker on EC2) the token PUT is the one
 * that never comes back. The container chain (fromHttp, then fromContainerMetadata) also uses
 * these two numbers.
 *
 * STS, the SSO portal and SSO-OIDC get the same connection and request timeouts as ECR and two
 * attempts in all (one retry for a throttle or a 5xx): a credential service that never answers
 * costs at most 2 × 5 s, inside the 15 s deadline of `get`.
 */
export const NETWORK_LIMITS = {
  /** Per attempt at the EC2 metadata and container credential endpoints. */
  credentialEndpointTimeoutMs: 600,
  /** Retries at those endpoints after a failed attempt (5xx, timeout, refused). */
  credentialEndpointRetries: 1,
  connectionTimeoutMs: 3000,
  requestTimeoutMs: 5000,
  /** ECR and ECR Public: the first attempt and two retries. */
  maxAttempts: 3,
  /** STS, SSO, SSO-OIDC: the first attempt and one retry. */
  credentialServiceMaxAttempts: 2,
} as const;

export interface FetchContext {
  readonly env: Environment;
  readonly logger: Logger;
  /** Whose credentials sign the call; the default chain when absent. */
  readonly plan?: CredentialPlan;
}

export type TokenFetcher = (registry: EcrRegistry, context: FetchContext) => Promise<RegistryToken>;

export const fetchRegistryToken: TokenFetcher = async (registry, context) => {
  const direct = directCallFor(registry, context.plan ?? DEFAULT_CHAIN, context.env, readSharedConfigTexts(context.env, homeDirOf(context.env)));
  let handover: SdkHandover = {};
  if (direct !== undefined) {
    const outcome = await callDirectly(direct, registry, context);
    if (outcome.kind === 'token') return outcome.token;
    handover = outcome.handover;
  }
  return registry.kind === 'private' ? fetchPrivateToken(registry, context, handover) : fetchPublicToken(registry, context, handover);
};

/** What the SDK's client is told when it takes over from a direct call: the attempts left, and the clock the answer showed. */
interface SdkHandover {
  readonly maxAttempts?: number;
  readonly systemClockOffset?: number;
}

type DirectOutcome = { readonly kind: 'token'; readonly token: RegistryToken } | { readonly kind: 'handover'; readonly handover: SdkHandover };

/** The call without the SDK (direct-token.ts); a failure the SDK would retry is handed over to it. */
async function callDirectly(call: DirectCall, registry: EcrRegistry, context: FetchContext): Promise<DirectOutcome> {
  const ca = readCaBundle(context.env);
  if (call.warning !== undefined) context.logger.warn({ registry: registry.host }, call.warning);
  context.logger.debug({ registry: registry.host, region: call.region, endpoint: call.url.origin, direct: true }, 'calling GetAuthorizationToken');
  const requestedAt = Date.now();
  const retry = async (reason: string, throttled: boolean, systemClockOffset?: number): Promise<DirectOutcome> => {
    context.logger.debug({ registry: registry.host, reason }, 'the AWS SDK makes the remaining attempts');
    await new Promise((resolve) => setTimeout(resolve, handoverDelayMs({ throttled }, Math.random)));
    return { kind: 'handover', handover: { maxAttempts: NETWORK_LIMITS.maxAttempts - 1, ...(systemClockOffset === undefined ? {} : { systemClockOffset }) } };
  };
  let answer: HttpAnswer;
  try {
    answer = await exchange({ url: call.url, ...signedDirectRequest(call, new Date(requestedAt)), body: call.body, ...(ca === undefined ? {} : { ca }) }, NETWORK_LIMITS);
  } catch (error) {
    // The SDK's own attempt then meets the same network, and words what it met.
    return retry(error instanceof Error ? `${error.name}: ${sanitizeSdkText(error.message)}` : 'network failure', false);
  }
  const read = readDirectAnswer(call, answer);
  switch (read.kind) {
    case 'token':
      return { kind: 'token', token: toRegistryToken(read.authorizationToken, read.expiresAt, requestedAt, context.logger) };
    case 'failed':
      throw read.error;
    case 'retry':
      return retry(read.reason, read.throttled, read.clockOffsetMs);
  }
}

/** Where the SDK looks for ~/.aws: HOME first, as its getHomeDir does. */
function homeDirOf(env: Environment): string {
  return env.HOME || env.USERPROFILE || homedir();
}

/**
 * The SDK's HTTP handler with our limits, the proxy agents when a proxy variable is set, and the
 * CAs of AWS_CA_BUNDLE when it names some (docs/SPEC.md section 7). Throws an ExplainedError
 * when AWS_CA_BUNDLE is unusable.
 */
export function requestHandler(env: Environment): RequestHandler {
  const ca = readCaBundle(env);
  const agents = proxyAgentsFor(env, NETWORK_LIMITS.connectionTimeoutMs, ca);
  const options = {
    connectionTimeout: NETWORK_LIMITS.connectionTimeoutMs,
    // Agent options, for the SDK to make its agent with (keeping its own keepAlive and sockets).
    ...(agents.httpsAgent === undefined && ca !== undefined ? { httpsAgent: { ca } } : agents),
  };
  return timeLimitedRequestHandler(options, NETWORK_LIMITS.requestTimeoutMs);
}

/**
 * The options given to `fromNodeProviderChain`. No `region` in `clientConfig`: the SSO client
 * would take it over the profile's `sso_region` (and call the portal of the wrong region); left
 * out, SSO uses `sso_region`, and STS the profile's region, else the registry's (the SDK passes
 * the calling client's region down).
 */
export function credentialChainOptions(env: Environment, logger: Logger, trace?: ChainTrace) {
  return {
    timeout: NETWORK_LIMITS.credentialEndpointTimeoutMs,
    maxRetries: NETWORK_LIMITS.credentialEndpointRetries,
    // STS, SSO and SSO-OIDC: through the proxy. The metadata endpoints use clients of their own.
    clientConfig: { requestHandler: requestHandler(env), maxAttempts: NETWORK_LIMITS.credentialServiceMaxAttempts },
    logger: sdkLogger(logger, trace),
  };
}

/** The SDK client configuration for a registry's API: region, endpoint variant, credentials, limits. */
export function clientConfig(registry: EcrRegistry, context: FetchContext) {
  const region = registry.kind === 'private' ? registry.region : ECR_PUBLIC_REGION;
  const variant = endpointVariant(registry, context.env);
  // Passed explicitly rather than left to the SDK's own reading of process.env, so that the
  // environment this module was given is the whole truth.
  const endpoint = endpointOverride(registry, context.env);
  context.logger.debug({ registry: registry.host, region, ...variant, endpoint }, 'calling GetAuthorizationToken');
  return {
    region,
    credentials: credentialsProvider(context.plan ?? { kind: 'default-chain' }, context),
    requestHandler: requestHandler(context.env),
    maxAttempts: NETWORK_LIMITS.maxAttempts,
    ...variant,
    ...(endpoint === undefined ? {} : { endpoint }),
  };
}

type CredentialsProvider = ReturnType<typeof import('@aws-sdk/credential-providers').fromNodeProviderChain>;

/**
 * The plan's credentials, with any failure marked as a credentials failure (not an ECR one) and
 * carrying what the chain said on its way down: why the profile or the container endpoint gave
 * nothing, which the SDK's final "Could not load credentials from any providers" no longer tells.
 */
export function credentialsProvider(plan: CredentialPlan, { env, logger }: FetchContext): CredentialsProvider {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const providers = require('@aws-sdk/credential-providers') as typeof import('@aws-sdk/credential-providers');
  // A credential_process the chain starts must not outlive the helper, nor its failure go unexplained.
  watchChildProcesses();
  // The metadata endpoints the chain may ask (IMDS, ECS) never go through a proxy.
  keepMetadataDirect();
  const trace: ChainTrace = { stage: '', notes: [] };
  const chainFor = (chainPlan: DefaultChainPlan): CredentialsProvider =>
    providers.fromNodeProviderChain({
      ...credentialChainOptions(env, logger, trace),
      ...(chainPlan.profile === undefined ? {} : { profile: chainPlan.profile }),
    });
  const stsOptions = { clientConfig: credentialChainOptions(env, logger).clientConfig, logger: sdkLogger(logger) };
  let provider: CredentialsProvider;
  switch (plan.kind) {
    case 'default-chain':
      provider = chainFor(plan);
      break;
    case 'assume-role':
      provider = providers.fromTemporaryCredentials({
        ...stsOptions,
        params: { RoleArn: plan.roleArn, RoleSessionName: plan.sessionName },
        masterCredentials: chainFor(plan.source),
      });
      break;
    case 'web-identity':
      provider = providers.fromWebToken({ ...stsOptions, roleArn: plan.roleArn, roleSessionName: plan.sessionName, webIdentityToken: plan.token });
      break;
  }
  return async (properties) => {
    try {
      return await withinContainerBudget(provider(properties), trace);
    } catch (error) {
      const processExit = lastChildExit();
      throw new CredentialsUnavailableError(error, { ...chainReasons(trace), ...(processExit === undefined ? {} : { processExit }) });
    }
  };
}

/** The chain's step (from the SDK's own tracing) and the failures it noted at each step. */
export interface ChainTrace {
  stage: string;
  readonly notes: Array<{ readonly stage: string; readonly text: string }>;
  /** Told of each step the chain enters. */
  onStage?: (stage: string) => void;
}

/**
 * How long the chain's container step may take: fromHttp, then fromContainerMetadata, each
 * 1 + credentialEndpointRetries attempts of credentialEndpointTimeoutMs, fromHttp pausing as long
 * between its attempts. The SDK's fromHttp does not end a request that its endpoint accepted and
 * never answers (its handler only warns, lacking throwOnRequestTimeout), so a black-holed
 * container endpoint would hold a `get` until its 15 s deadline, although no credential source
 * answered: past this budget the step has failed, with no answer.
 */
export const CONTAINER_STEP_BUDGET_MS =
  (2 * (NETWORK_LIMITS.credentialEndpointRetries + 1) + NETWORK_LIMITS.credentialEndpointRetries) * NETWORK_LIMITS.credentialEndpointTimeoutMs;

function withinContainerBudget<T>(work: Promise<T>, trace: ChainTrace): Promise<T> {
  let cancel: (() => void) | undefined;
  const silent = new Promise<never>((_, reject) => {
    trace.onStage = (stage) => {
      if (stage !== 'fromHttp' || cancel !== undefined) return;
      cancel = afterTimeLimit(CONTAINER_STEP_BUDGET_MS, () => {
        trace.notes.push({ stage, text: `no answer within ${CONTAINER_STEP_BUDGET_MS / 1000} s` });
        reject(new Error('Could not load credentials from any providers'));
      });
    };
  });
  return Promise.race([work, silent]).finally(() => cancel?.());
}

const STAGE_MARK = /(?:defaultProvider|remoteProvider)::(\w+)/;
const PROVIDER_NOTE = /^@smithy\/property-provider (?:->|\(!\)) ([\s\S]*)$/;

function recordTrace(trace: ChainTrace, text: string): void {
  const stage = STAGE_MARK.exec(text);
  if (stage?.[1] !== undefined) {
    trace.stage = stage[1];
    trace.onStage?.(stage[1]);
    return;
  }
  const note = PROVIDER_NOTE.exec(text);
  if (note?.[1] !== undefined) trace.notes.push({ stage: trace.stage, text: note[1] });
}

/** The last thing the profile step and the container step said, as they said it (unsanitised). */
function chainReasons(trace: ChainTrace): { profile?: string; container?: string } {
  const last = (stage: string): string | undefined =>
    trace.notes.filter((note) => note.stage === stage && !/Could not load credentials from any providers/.test(note.text)).at(-1)?.text;
  const profile = last('fromIni');
  const container = last('fromHttp');
  return { ...(profile === undefined ? {} : { profile }), ...(container === undefined ? {} : { container }) };
}

async function fetchPrivateToken(registry: PrivateRegistry, context: FetchContext, handover: SdkHandover): Promise<RegistryToken> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ECRClient, GetAuthorizationTokenCommand } = require('@aws-sdk/client-ecr') as typeof import('@aws-sdk/client-ecr');
  const client = new ECRClient({ ...clientConfig(registry, context), ...handover });
  try {
    const requestedAt = Date.now();
    const answer = await client.send(new GetAuthorizationTokenCommand({ registryIds: [registry.accountId] }));
    const data = answer.authorizationData?.[0];
    return toRegistryToken(data?.authorizationToken, data?.expiresAt, requestedAt, context.logger);
  } catch (error) {
    throw explainCredentials(error, context);
  } finally {
    client.destroy();
  }
}

async function fetchPublicToken(registry: PublicRegistry, context: FetchContext, handover: SdkHandover): Promise<RegistryToken> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ECRPUBLICClient, GetAuthorizationTokenCommand } = require('@aws-sdk/client-ecr-public') as typeof import('@aws-sdk/client-ecr-public');
  const client = new ECRPUBLICClient({ ...clientConfig(registry, context), ...handover });
  try {
    const requestedAt = Date.now();
    const answer = await client.send(new GetAuthorizationTokenCommand({}));
    return toRegistryToken(answer.authorizationData?.authorizationToken, answer.authorizationData?.expiresAt, requestedAt, context.logger);
  } catch (error) {
    throw explainCredentials(error, context);
  } finally {
    client.destroy();
  }
}

/** A credentials failure becomes one explained line; an ECR failure is left as it is. */
export function explainCredentials(error: unknown, context: FetchContext): unknown {
  if (!(error instanceof CredentialsUnavailableError)) return error;
  const cause = error.sdkError;
  const explained = explainCredentialsFailure(cause, planFailureContext(context, error.reasons));
  context.logger.debug(
    {
      sdkError: cause instanceof Error ? cause.name : typeof cause,
      httpStatusCode: (cause as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode,
    },
    `credentials failure: ${sanitizeSdkText(cause instanceof Error ? cause.message : String(cause))}`,
  );
  return new ExplainedError(explained);
}

function planFailureContext(context: FetchContext, reasons: ChainReasons): CredentialsFailureContext {
  const plan = context.plan ?? { kind: 'default-chain' };
  switch (plan.kind) {
    case 'default-chain':
      return credentialsFailureContext(chainEnvironment(plan, context.env), reasons);
    case 'assume-role':
      return { ...credentialsFailureContext(chainEnvironment(plan.source, context.env), reasons), roleArn: plan.roleArn };
    case 'web-identity':
      return { sourcesTried: [], roleArn: plan.roleArn, webIdentityToken: `of ${plan.subject}` };
  }
}

/** What the failure message may say about the chain: read from the environment and the shared files. */
export function credentialsFailureContext(env: Environment, reasons: ChainReasons = {}): CredentialsFailureContext {
  const homeDir = homeDirOf(env);
  const files = readSharedConfigTexts(env, homeDir);
  const profileName = activeProfile(env);
  const sourcesTried = describeCredentialSources(env, homeDir, files, {
    ...(reasons.profile === undefined ? {} : { profile: explainProviderNote(reasons.profile, profileName, reasons.processExit) }),
    ...(reasons.container === undefined ? {} : { container: explainProviderNote(reasons.container, profileName) }),
  });
  const known: CredentialsFailureContext = { sourcesTried, ...(reasons.processExit === undefined ? {} : { processExit: reasons.processExit }) };
  const decision = decideCredentialSource(env, files);
  if (decision.source === 'profile') {
    const { profile } = decision;
    return {
      ...known,
      profile: { name: profile.name, kind: profile.kind },
      ...(profile.roleArn === undefined ? {} : { roleArn: profile.roleArn }),
    };
  }
  if (decision.source === 'web-identity') {
    return { ...known, roleArn: decision.roleArn, webIdentityToken: `in ${decision.tokenFile}` };
  }
  return known;
}

type SdkLogArgument = unknown;

/**
 * The SDK's logger, routed to ours: its warnings (such as "both AWS_PROFILE and the environment
 * keys are set", which it would otherwise print with console.warn onto the user's terminal) at
 * warn, its tracing at debug, and nothing else. Only its text is kept, never an object it passes
 * (a request, a response, an error with its context), and a credential_process command line or
 * its output is cut away, since either may hold anything.
 */
export function sdkLogger(logger: Logger, trace?: ChainTrace) {
  const raw = (args: SdkLogArgument[]): string => args.filter((argument): argument is string => typeof argument === 'string').join(' ');
  const text = (args: SdkLogArgument[]): string => sanitizeSdkText(raw(args));
  const fields = { from: 'aws-sdk' };
  return {
    trace: (..._args: SdkLogArgument[]): void => undefined,
    debug: (...args: SdkLogArgument[]): void => {
      if (trace !== undefined) recordTrace(trace, raw(args));
      logger.debug(fields, text(args));
    },
    // The clients' own logger middleware logs inputs and outputs at info: never forwarded.
    info: (..._args: SdkLogArgument[]): void => undefined,
    warn: (...args: SdkLogArgument[]): void => logger.warn(fields, text(args)),
    error: (...args: SdkLogArgument[]): void => logger.debug(fields, text(args)),
  };
}

const MAX_SDK_TEXT = 1000;

export function sanitizeSdkText(text: string): string {
  const cut = text.replace(/Command failed:[\s\S]*/, 'Command failed: [command line and output withheld]');
  return cut.length > MAX_SDK_TEXT ? `${cut.slice(0, MAX_SDK_TEXT - 1)}…` : cut;
}

/** The token, with an expiry the local clock can trust (`trustedExpiry`); a doubtful one is logged. */
export function toRegistryToken(authorizationToken: string | undefined, expiresAt: Date | undefined, requestedAt: number, logger: Logger): RegistryToken {
  const credentials = decodeAuthorizationToken(authorizationToken);
  const given = expiresAt?.getTime();
  const doubt = expiryDoubt(requestedAt, given);
  if (doubt !== undefined) {
    logger.warn({ expiresAt: isDateTime(given) ? new Date(given).toISOString() : String(given), requestedAt: new Date(requestedAt).toISOString() }, doubt);
  }
  return { ...credentials, expiresAt: new Date(trustedExpiry(requestedAt, given)) };
}

/** Past this, an expiry beyond 12 hours is not the request's own latency: the clock is off. */
const CLOCK_DOUBT_MS = 5 * 60 * 1000;

/** What is wrong with the expiry AWS gave, said for the log, or undefined when nothing is. */
export function expiryDoubt(requestedAt: number, expiresAt: number | undefined): string | undefined {
  if (expiresAt === undefined) return undefined;
  if (!isDateTime(expiresAt)) return 'the token came with an expiry that is no time at all: serving it once, not caching it';
  if (expiresAt <= requestedAt) {
    return 'the token expires before the local time it was asked for (is the clock ahead?): serving it once, not caching it';
  }
  if (expiresAt > requestedAt + TOKEN_LIFETIME_MS + CLOCK_DOUBT_MS) {
    return 'the token expires more than 12 hours after the local time it was asked for (is the clock behind?): trusting 12 hours';
  }
  return undefined;
}
