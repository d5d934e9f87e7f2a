/**
 * Turns whatever the AWS SDK threw into one line a person can act on. Pure: it reads only
 * the error and the facts passed in. The AWS error code is kept whenever there is one,
 * because that is what people search for.
 */
import { errorCode } from '../fs/private-dir';
import { SharedFileError } from '../identity/shared-files';
import { TokenFormatError } from './authorization-token';
import { afterTimeLimit } from './time-limit';
import type { WhenOutbound } from './outbound';

export interface FailureContext {
  /** Which API was called: `ECR` or `ECR Public`. */
  readonly api: string;
  /** The endpoint override in force, if any, so "cannot reach" names where it looked. */
  readonly endpoint?: string;
  /** Credential sources the SDK tried, in its order, for the "no credentials" case. */
  readonly credentialSources: readonly string[];
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED',
]);

const NO_CREDENTIALS_MESSAGE = /could not load credentials from any providers/i;

export function explainAwsFailure(error: unknown, context: FailureContext): string {
  if (error instanceof TokenFormatError) return `${context.api} answered with an unusable token: ${error.message}`;
  if (error instanceof DeadlineError || error instanceof ExplainedError || error instanceof SharedFileError) return error.message;
  if (!(error instanceof Error)) return `unexpected failure: ${String(error)}`;

  if (error.name === 'CredentialsProviderError' || error.name === 'ProviderError') {
    if (NO_CREDENTIALS_MESSAGE.test(error.message)) {
      return `no AWS credentials found (tried ${context.credentialSources.join(', ')})`;
    }
    return `cannot load AWS credentials: ${error.message}`;
  }

  const unreachable = networkFailure(error);
  if (unreachable !== undefined) {
    const where = context.endpoint === undefined ? `the ${context.api} API` : `the ${context.api} API at ${context.endpoint}`;
    return `cannot reach ${where}: ${unreachable}`;
  }

  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined && (error.name === 'SyntaxError' || /deserialization error/i.test(error.message))) {
    // A proxy or load balancer page rather than an AWS answer.
    return `HTTP ${status} from the ${context.api} API, with an answer that is not AWS JSON`;
  }
  if (status !== undefined) {
    const named = error.name && error.name !== 'Error' && !/^Unknown/.test(error.name) ? error.name : `HTTP ${status}`;
    const message = error.message && error.message !== 'UnknownError' && error.message !== error.name ? `: ${error.message}` : '';
    const suffix = named.startsWith('HTTP') || status < 500 ? '' : ` (HTTP ${status})`;
    return `${named}${message}${suffix}`;
  }
  return error.message ? `${error.name}: ${error.message}` : error.name;
}

/**
 * A failure met while the AWS SDK resolved credentials, before ECR was called. The SDK's own
 * error is kept as `sdkError`; `explainCredentialsFailure` puts it into words.
 */
export class CredentialsUnavailableError extends Error {
  override readonly name = 'CredentialsUnavailableError';
  constructor(
    readonly sdkError: unknown,
    /** Why the profile step and the container step gave nothing, as the SDK noted it on the way. */
    readonly reasons: ChainReasons = {},
  ) {
    // Not the SDK's message: it may repeat what a credential_process printed.
    super('the AWS SDK could not load credentials');
  }
}

/** What the credential chain left behind on its way down, for the failure message. */
export interface ChainReasons {
  /** The SDK's last note at the profile step and at the container step, unsanitised. */
  readonly profile?: string;
  readonly container?: string;
  /** How the last credential_process ended, when one ran. */
  readonly processExit?: ProcessExit;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: string | null;
}

export interface CredentialsFailureContext {
  /** The sources the chain tried, in its order, for the "no credentials" case. */
  readonly sourcesTried: readonly string[];
  /** The profile the chain took its credentials from, when it did. */
  readonly profile?: { readonly name: string; readonly kind: string };
  /** The role assumed at the top of the chain (the profile's `role_arn`, or AWS_ROLE_ARN). */
  readonly roleArn?: string;
  /** Where the web identity token came from, when the role is assumed with one: `in /path`, `of <subject>`. */
  readonly webIdentityToken?: string;
  /** How the last credential_process ended, when one ran. */
  readonly processExit?: ProcessExit;
}

const SSO_LOGIN_HINT = /aws sso login|SSO session|SSO Token|sso_session/i;
const SSO_EXPIRED = /expired|Cannot refresh/i;
const SSO_MISSING = /not found or is invalid|could not be found/i;
const SSO_REJECTED = /UnauthorizedException|Session token not found or invalid/;

/**
 * One line for a credentials failure: what to do about an SSO session, the AWS code and the role
 * for an STS refusal, the sources tried when none gave credentials. Never a secret: the SDK's
 * messages are cut to their first line, and neither a credential_process command line nor
 * anything it printed is ever repeated.
 */
export function explainCredentialsFailure(error: unknown, context: CredentialsFailureContext): string {
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : '';
  const profile = context.profile;
  const forProfile = profile === undefined ? '' : ` for profile "${profile.name}"`;

  if (NO_CREDENTIALS_MESSAGE.test(message)) {
    return `no AWS credentials found (tried ${context.sourcesTried.join(', ')})`;
  }

  if (profile?.kind === 'sso' || SSO_LOGIN_HINT.test(message)) {
    const unreachable = networkFailure(error);
    if (unreachable !== undefined) return `cannot get AWS credentials${forProfile}: cannot reach the AWS SSO portal: ${unreachable}`;
    const state = SSO_MISSING.test(message)
      ? 'has no SSO session'
      : SSO_EXPIRED.test(message)
        ? 'has an expired SSO session'
        : SSO_REJECTED.test(message)
          ? 'has an SSO session the SSO portal refuses (UnauthorizedException)'
          : SSO_LOGIN_HINT.test(message)
            ? 'has an SSO session that is not valid'
            : undefined;
    if (state !== undefined) {
      const login = profile === undefined || profile.name === 'default' ? 'aws sso login' : `aws sso login --profile ${profile.name}`;
      return `cannot get AWS credentials${forProfile}: it ${state}; run "${login}"`;
    }
    return `cannot get AWS credentials${forProfile} from AWS SSO: ${firstLine(message)}`;
  }

  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  if (status !== undefined) {
    // An answer from STS: AccessDenied, ExpiredToken, InvalidIdentityToken, InvalidClientTokenId…
    const code = name && name !== 'Error' && !/^Unknown/.test(name) ? name : `HTTP ${status}`;
    const detail = message && message !== name && message !== 'UnknownError' ? `${code}: ${firstLine(message)}` : code;
    if (context.roleArn !== undefined) {
      const how = context.webIdentityToken !== undefined ? ` with the web identity token ${context.webIdentityToken}` : forProfile;
      return `cannot assume role ${context.roleArn}${how}: ${detail}`;
    }
    return `cannot get AWS credentials${forProfile}: ${detail}`;
  }

  const unreachable = networkFailure(error);
  if (unreachable !== undefined) {
    const service = context.roleArn !== undefined ? 'STS' : 'the credentials endpoint';
    return `cannot get AWS credentials${forProfile}: cannot reach ${service}: ${unreachable}`;
  }

  if (profile?.kind === 'process' || /credential_process|^Command failed/.test(message)) {
    return `cannot get AWS credentials${forProfile}: its credential_process ${processFailureDetail(message, context.processExit)}`;
  }
  return `cannot get AWS credentials${forProfile}: ${firstLine(message.replace(/^Profile \S+ /, 'the profile ')) || name}`;
}

/**
 * ECONNREFUSED, `timed out`…: what happened on the network, or undefined when the error is not
 * about the network. The code decides: the SDK names a reset or refused connection a
 * TimeoutError too, after its retries.
 */
function networkFailure(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = errorCode(error);
  if (NETWORK_CODES.has(code)) return code === 'ETIMEDOUT' ? 'timed out' : code;
  if (error.name === 'TimeoutError' || /^TimeoutError\b/.test(error.message)) return 'timed out';
  const wrapped = /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b/.exec(error.message)?.[1];
  return wrapped === 'ETIMEDOUT' ? 'timed out' : wrapped;
}

/**
 * What became of a credential_process, as a clause after "its credential_process". Node's exec
 * error reads "Command failed: <the command line>\n<its stderr>": the command line may carry
 * anything the user put in it, and its stderr anything the process printed (a `set -x` wrapper
 * prints its secrets there), so neither is repeated: only how it ended, and how to see why.
 * The SDK's own complaints about its output ("returned invalid JSON"…) hold nothing of it.
 */
function processFailureDetail(message: string, exit: ProcessExit | undefined): string {
  if (message.startsWith('Command failed')) {
    const ended = exit?.signal ? `was ended by ${exit.signal}` : typeof exit?.code === 'number' ? `exited with status ${exit.code}` : 'failed';
    return `${ended}: run it by hand to see why`;
  }
  return `failed: ${firstLine(message.replace(/^Profile \S+ credential_process /, 'it '))}`;
}

/**
 * A failure the SDK noted on its way down the chain, as a short clause for the "tried" list, or
 * undefined when it says nothing the list does not (the profile simply holds no credentials).
 */
export function explainProviderNote(note: string, profileName: string, processExit?: ProcessExit): string | undefined {
  const text = note.replace(/^(?:(?:CredentialsProviderError|ProviderError|Error): )+/, '');
  if (text.startsWith(`Could not resolve credentials using profile: [${profileName}]`)) return undefined;
  if (/^Command failed|credential_process/.test(text)) return `its credential_process ${processFailureDetail(text, processExit)}`;
  return firstLine(text);
}

function firstLine(text: string, max = 300): string {
  const line = (text.split(/\r?\n/).find((part) => part.trim() !== '') ?? '').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A failure already put into words, such as one another helper process met and shared. */
export class ExplainedError extends Error {
  override readonly name = 'ExplainedError';
}

/** Raised when a step of a `get` outlives its time budget: a hang must never block Docker or Nomad. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

export interface OutboundDeadline {
  /** How long the call may take once its first request or process has gone out. */
  readonly answerMs: number;
  readonly answerMessage: string;
  /** How long it may take, after `start` returns, to send that first request. */
  readonly sendMs: number;
  readonly sendMessage: string;
}

/**
 * The call `start` begins, or a DeadlineError: `answerMs` after its first request or process
 * went out (whenOutbound), or `sendMs` after `start` returned if none went out by then. Both
 * judged after the I/O at hand (time-limit.ts). `start` runs inside the watch, so no request can
 * slip out unseen; what it does before it returns (loading the AWS SDK) is not timed.
 */
export async function withDeadlineFromFirstRequest<T>(start: () => Promise<T>, limits: OutboundDeadline, whenOutbound: WhenOutbound): Promise<T> {
  let fail: (error: DeadlineError) => void = () => undefined;
  const deadline = new Promise<never>((_, reject) => {
    fail = reject;
  });
  let gone = false;
  let cancel = (): void => undefined;
  const stopWatching = whenOutbound(() => {
    gone = true;
    cancel();
    cancel = afterTimeLimit(limits.answerMs, () => fail(new DeadlineError(limits.answerMessage)));
  });
  try {
    const work = start();
    if (!gone) cancel = afterTimeLimit(limits.sendMs, () => fail(new DeadlineError(limits.sendMessage)));
    return await Promise.race([work, deadline]);
  } finally {
    stopWatching();
    cancel();
  }
}
