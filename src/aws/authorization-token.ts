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
