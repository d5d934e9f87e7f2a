/**
 * Turns whatever the AWS SDK threw into one line a person can act on. Pure: it reads only
 * the error and the facts passed in. The AWS error code is kept whenever there is one,
 * because that is what people search for.
 */
import { errorCode } from '../fs/private-dir';
import { TokenFormatError } from './authorization-token';

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
  if (error instanceof DeadlineError || error instanceof ExplainedError) return error.message;
  if (!(error instanceof Error)) return `unexpected failure: ${String(error)}`;

  if (error.name === 'CredentialsProviderError' || error.name === 'ProviderError') {
    if (NO_CREDENTIALS_MESSAGE.test(error.message)) {
      return `no AWS credentials found (tried ${context.credentialSources.join(', ')})`;
    }
    return `cannot load AWS credentials: ${error.message}`;
  }

  const code = errorCode(error);
  if (NETWORK_CODES.has(code) || error.name === 'TimeoutError') {
    const where = context.endpoint === undefined ? `the ${context.api} API` : `the ${context.api} API at ${context.endpoint}`;
    return `cannot reach ${where}: ${error.name === 'TimeoutError' ? 'timed out' : code}`;
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

/** A failure already put into words, such as one another helper process met and shared. */
export class ExplainedError extends Error {
  override readonly name = 'ExplainedError';
}

/** Raised when a step of a `get` outlives its time budget: a hang must never block Docker or Nomad. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

export async function withDeadline<T>(work: Promise<T>, milliseconds: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(message)), milliseconds);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
