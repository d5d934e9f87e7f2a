/**
 * GetAuthorizationToken without the AWS SDK, for the commonest miss: static keys (the
 * environment's, or the active profile's own), no proxy, and the region's standard endpoint or an
 * endpoint override. Loading the SDK is most of what a miss costs (docs/performance.md); this
 * one signed POST is all that the SDK would send.
 *
 * The SDK stays the authority on everything else. A call this module cannot make as the SDK
 * would (any other credential source, a proxy, FIPS or dual-stack, another partition, an
 * `endpoint_url` in the shared files) is not made here. A first attempt that fails in a way the
 * SDK retries (throttling, a 5xx, the network, a timeout, a clock the answer shows to be off) is
 * handed over to the SDK with one attempt fewer and the clock offset it showed, so that the
 * attempts, their messages and their count are the SDK's own. A failure the SDK does not retry
 * is put as the SDK puts it (the error's name, message and HTTP status), for errors.ts to word.
 */
import type { Environment } from '../config/settings';
import { decideCredentialSource, staticProfileKeys, type SharedConfigTexts } from '../identity/credential-chain';
import { chainEnvironment, type CredentialPlan } from '../identity/plan';
import { HELPER_NAME } from '../protocol/messages';
import { ECR_PUBLIC_REGION, type EcrRegistry } from '../registry/parse';
import { endpointOverride } from './endpoints';
import type { HttpAnswer } from './https-exchange';
import { decideProxy, readProxySettings, targetOfUrl, type TargetProtocol } from './proxy';
import { signRequest, type SigningKeys } from './sigv4';

/** A request this module can make as the SDK would, decided from local facts alone. */
export interface DirectCall {
  readonly url: URL;
  readonly region: string;
  /** The SigV4 signing name. */
  readonly service: 'ecr' | 'ecr-public';
  /** `X-Amz-Target`. */
  readonly target: string;
  readonly body: string;
  readonly keys: SigningKeys;
  /** What the SDK's chain would have warned of (for the log): a profile chosen over environment keys. */
  readonly warning?: string;
}

/** The SDK's default chain warns when a profile is chosen while environment keys are set too. */
const PROFILE_OVER_KEYS =
  'Multiple credential sources detected: both AWS_PROFILE (or the registry\'s profile) and the pair AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set; the profile is used';

type HttpUrl = URL & { readonly protocol: TargetProtocol };

/** The region's standard partition, whose API hosts this module knows: `aws` and `aws-cn`. */
const STANDARD_REGION = /^(?:us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d+$/;
const CHINA_REGION = /^cn-[a-z]+-\d+$/;

/**
 * The direct call for this registry and plan, or undefined when the SDK must make it. Pure: the
 * environment and the shared files' text are passed in.
 */
export function directCallFor(registry: EcrRegistry, plan: CredentialPlan, env: Environment, files: SharedConfigTexts): DirectCall | undefined {
  if (plan.kind !== 'default-chain') return undefined;
  const chainEnv = chainEnvironment(plan, env);
  const keys = staticKeys(chainEnv, files);
  if (keys === undefined) return undefined;
  // The SDK reads endpoint_url from the profile it merges from both files, or a services section.
  if (files.config?.includes('endpoint_url') || files.credentials?.includes('endpoint_url')) return undefined;
  const region = registry.kind === 'private' ? registry.region : ECR_PUBLIC_REGION;
  const override = endpointOverride(registry, env);
  // An override wins over FIPS and dual-stack, as in the SDK; without one, they are the SDK's.
  if (override === undefined && (registry.dualStack || (registry.kind === 'private' && registry.fips))) return undefined;
  const url = override === undefined ? standardEndpoint(registry, region) : bareOrigin(override);
  if (url === undefined || !viaNoProxy(url, env)) return undefined;
  const warning = chainEnv.AWS_PROFILE && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY ? { warning: PROFILE_OVER_KEYS } : {};
  return registry.kind === 'private'
    ? { url, region, service: 'ecr', target: 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken', body: JSON.stringify({ registryIds: [registry.accountId] }), keys, ...warning }
    : { url, region, service: 'ecr-public', target: 'SpencerFrontendService.GetAuthorizationToken', body: '{}', keys, ...warning };
}

/** The keys the SDK's chain signs with when they are static: the environment's, else the active profile's own. */
function staticKeys(env: Environment, files: SharedConfigTexts): SigningKeys | undefined {
  const decision = decideCredentialSource(env, files);
  if (decision.source === 'environment' && env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: decision.accessKeyId, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  }
  if (decision.source === 'profile' && decision.profile.kind === 'static') return staticProfileKeys(decision.profile.name, files);
  return undefined;
}

/** An override that is an http:// or https:// origin; anything more (a path, a query, a user) is the SDK's to interpret. */
function bareOrigin(override: string): HttpUrl | undefined {
  let url: URL;
  try {
    url = new URL(override);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  return (url.pathname === '/' || url.pathname === '') && url.search === '' && url.username === '' ? (url as HttpUrl) : undefined;
}

function standardEndpoint(registry: EcrRegistry, region: string): HttpUrl | undefined {
  const api = registry.kind === 'private' ? 'api.ecr' : 'api.ecr-public';
  if (STANDARD_REGION.test(region)) return new URL(`https://${api}.${region}.amazonaws.com`) as HttpUrl;
  if (CHINA_REGION.test(region)) return new URL(`https://${api}.${region}.amazonaws.com.cn`) as HttpUrl;
  return undefined;
}

/** True when no proxy applies to the URL: proxies are the SDK's (through our agents). */
function viaNoProxy(url: HttpUrl, env: Environment): boolean {
  const settings = readProxySettings(env);
  return settings === undefined || decideProxy(settings, targetOfUrl(url)).kind === 'direct';
}

/** The package version, written into the bundle at build time (scripts/bundle.js). */
declare const EMBEDDED_VERSION: string | undefined;

/** What the call says it is, as the Go helper does (`amazon-ecr-credential-helper/<version>`): seen in CloudTrail. */
export const DIRECT_USER_AGENT = `${HELPER_NAME}/${typeof EMBEDDED_VERSION === 'string' ? EMBEDDED_VERSION : 'unknown'}`;

/** The signed request: method, path and every header, for `now`. */
export function signedDirectRequest(call: DirectCall, now: Date): { method: 'POST'; path: '/'; headers: Record<string, string> } {
  const headers = {
    'content-type': 'application/x-amz-json-1.1',
    host: call.url.host,
    'x-amz-target': call.target,
  };
  const signed = signRequest({ method: 'POST', path: '/', headers, body: call.body }, call.keys, call, now);
  return { method: 'POST', path: '/', headers: { ...signed, 'user-agent': DIRECT_USER_AGENT } };
}

/** What an answer means, read as the SDK reads it. */
export type DirectAnswer =
  | { readonly kind: 'token'; readonly authorizationToken: string | undefined; readonly expiresAt: Date | undefined }
  /** A failure the SDK would not retry, as the SDK's error would be. */
  | { readonly kind: 'failed'; readonly error: Error }
  /** A failure the SDK retries: its remaining attempts take over. */
  | { readonly kind: 'retry'; readonly reason: string; readonly throttled: boolean; readonly clockOffsetMs?: number };

/** How the SDK's standard retry strategy sorts errors (`@smithy/core`, retry: THROTTLING and TRANSIENT are retried). */
const THROTTLING_CODES = new Set([
  'BandwidthLimitExceeded', 'EC2ThrottledException', 'LimitExceededException', 'PriorRequestNotComplete', 'ProvisionedThroughputExceededException',
  'RequestLimitExceeded', 'RequestThrottled', 'RequestThrottledException', 'SlowDown', 'ThrottledException', 'Throttling', 'ThrottlingException',
  'TooManyRequestsException', 'TransactionInProgressException',
]);
const TRANSIENT_CODES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TRANSIENT_STATUSES = new Set([500, 502, 503, 504]);
/** How far the local clock may be from the server's before the SDK corrects it (`isClockSkewed`). */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Reads an HTTP answer to the direct call as the SDK would. Pure. */
export function readDirectAnswer(call: DirectCall, answer: HttpAnswer): DirectAnswer {
  const parsed = parseJson(answer.body);
  const metadata = { httpStatusCode: answer.status };
  if (answer.status >= 200 && answer.status < 300) {
    if (parsed === undefined || typeof parsed !== 'object' || parsed === null) return { kind: 'failed', error: notAwsJson(answer.status) };
    const data = (parsed as { authorizationData?: unknown }).authorizationData;
    const entry = call.service === 'ecr' ? (Array.isArray(data) ? (data[0] as unknown) : undefined) : data;
    const fields = (typeof entry === 'object' && entry !== null ? entry : {}) as { authorizationToken?: unknown; expiresAt?: unknown };
    const expiresAt = epochSeconds(fields.expiresAt);
    if (expiresAt === 'invalid') return { kind: 'failed', error: notAwsJson(answer.status) };
    return { kind: 'token', authorizationToken: typeof fields.authorizationToken === 'string' ? fields.authorizationToken : undefined, expiresAt };
  }
  const clockOffsetMs = skewOffset(answer);
  if (clockOffsetMs !== undefined) return { kind: 'retry', reason: `HTTP ${answer.status}, the clock off by ${Math.round(clockOffsetMs / 1000)} s`, throttled: false, clockOffsetMs };
  const code = errorCode(answer.headers, parsed);
  if (code !== undefined && THROTTLING_CODES.has(code)) return { kind: 'retry', reason: code, throttled: true };
  if (answer.status === 429) return { kind: 'retry', reason: 'HTTP 429', throttled: true };
  if (TRANSIENT_STATUSES.has(answer.status) || (code !== undefined && TRANSIENT_CODES.has(code))) return { kind: 'retry', reason: code ?? `HTTP ${answer.status}`, throttled: false };
  if (parsed === undefined) return { kind: 'failed', error: notAwsJson(answer.status) };
  const body = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const message = stringField(body, 'message') ?? stringField(body, 'Message') ?? 'UnknownError';
  // The SDK retries an expired signature even when the clock is not 5 minutes off (a request sent late).
  if (code === 'InvalidSignatureException' && message.includes('Signature expired')) return { kind: 'retry', reason: code, throttled: false };
  const name = stringField(body, 'code') ?? stringField(body, 'Code') ?? code ?? String(answer.status);
  return { kind: 'failed', error: Object.assign(new Error(message), { name, $fault: 'client', $metadata: metadata }) };
}

/** A 2xx or error answer whose body is not the JSON AWS sends: what the SDK's parser throws. */
function notAwsJson(status: number): Error {
  return Object.assign(new SyntaxError('Deserialization error: the answer is not AWS JSON'), { $metadata: { httpStatusCode: status } });
}

function parseJson(body: string): unknown {
  if (body.trim() === '') return {};
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `parseEpochTimestamp` of the SDK: seconds since the epoch, a number or a numeric string. */
function epochSeconds(value: unknown): Date | undefined | 'invalid' {
  if (value === undefined || value === null) return undefined;
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (Number.isNaN(seconds)) return 'invalid';
  return new Date(Math.round(seconds * 1000));
}

/** The error code as the SDK's JSON protocol finds it: the header first, then `code`, then `__type`. */
function errorCode(headers: HttpAnswer['headers'], parsed: unknown): string | undefined {
  const header = headers['x-amzn-errortype'];
  const raw = typeof header === 'string' ? header : typeof parsed === 'object' && parsed !== null ? codeInBody(parsed as Record<string, unknown>) : undefined;
  if (raw === undefined || raw === '') return undefined;
  const beforeComma = raw.split(',')[0] ?? raw;
  const beforeColon = beforeComma.split(':')[0] ?? beforeComma;
  return beforeColon.includes('#') ? beforeColon.split('#')[1] : beforeColon;
}

function codeInBody(body: Record<string, unknown>): string | undefined {
  const key = Object.keys(body).find((name) => name.toLowerCase() === 'code');
  const value = key === undefined ? body.__type : body[key];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** The server's clock minus ours, when an error answer's Date shows them 5 minutes or more apart. */
function skewOffset(answer: HttpAnswer): number | undefined {
  const date = answer.headers.date;
  if (typeof date !== 'string') return undefined;
  const serverTime = Date.parse(date);
  if (Number.isNaN(serverTime)) return undefined;
  const offset = serverTime - answer.receivedAt;
  return Math.abs(offset) >= CLOCK_SKEW_MS ? offset : undefined;
}

/**
 * How long to wait before the SDK's attempts take over: the pause the SDK's standard retry
 * strategy makes before its first retry (full jitter over 100 ms, or 500 ms after a throttle).
 */
export function handoverDelayMs(answer: { readonly throttled: boolean }, random: () => number): number {
  return Math.floor(random() * (answer.throttled ? 500 : 100));
}
