/**
 * ECR answers with `authorizationToken` = base64("user:password"). Docker wants the two halves,
 * so the token is split here — and refused when it is not what it claims to be, rather than
 * handing Docker an empty password that fails later with a confusing registry error.
 */
export interface RegistryCredentials {
  readonly username: string;
  readonly secret: string;
}

export interface RegistryToken extends RegistryCredentials {
  /** When the registry stops accepting the token. */
  readonly expiresAt: Date;
}

/** ECR tokens live 12 hours from issue. */
export const TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;

/**
 * When a token stops working, by the local clock, from when it was asked for (`requestedAt`,
 * local) and what AWS said (`expiresAt`, by AWS's clock; undefined when it said nothing: then
 * the 12 hours ECR gives). AWS's time is trusted for no more than it can tell: never later than
 * 12 hours after the local time of the request, so that a local clock behind AWS's, or an expiry
 * a century ahead, cannot stretch a token's life. An expiry that is no time at all (NaN,
 * infinite, beyond what a Date holds) is taken as long passed: the epoch, or the request itself
 * on a clock that reads before 1970. Always a time a Date can hold, so nothing downstream throws
 * on it.
 */
export function trustedExpiry(requestedAt: number, expiresAt: number | undefined): number {
  if (expiresAt === undefined) return requestedAt + TOKEN_LIFETIME_MS;
  if (!isDateTime(expiresAt)) return Math.min(0, requestedAt);
  return Math.min(requestedAt + TOKEN_LIFETIME_MS, expiresAt);
}

/** Epoch milliseconds that a Date can hold. */
export function isDateTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_DATE_MS;
}

const MAX_DATE_MS = 8.64e15;

export class TokenFormatError extends Error {
  override readonly name = 'TokenFormatError';
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function decodeAuthorizationToken(authorizationToken: string | undefined): RegistryCredentials {
  if (authorizationToken === undefined || authorizationToken === '') {
    throw new TokenFormatError('the ECR answer holds no authorization token');
  }
  if (!BASE64.test(authorizationToken) || authorizationToken.length % 4 !== 0) {
    throw new TokenFormatError('the ECR authorization token is not base64');
  }
  const decoded = Buffer.from(authorizationToken, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) {
    throw new TokenFormatError('the ECR authorization token is not of the form user:password');
  }
  return { username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}
