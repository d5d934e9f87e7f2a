/**
 * Who a web identity token (a Kubernetes service account token) speaks for, read from its
 * claims. The signature is not checked here: STS verifies the token against the issuer's keys
 * when it is exchanged. The claims only name the cache entry and the role session, so that two
 * service accounts, or two clusters, never share a token. Pure; never echoes the token.
 */
import { sha256Hex } from '../hash/sha256';

export class WebIdentityTokenError extends Error {
  override readonly name = 'WebIdentityTokenError';
}

export interface WebIdentityClaims {
  /** `iss`: the cluster's service account issuer. */
  readonly issuer: string;
  /** `sub`: `system:serviceaccount:<namespace>:<name>` for a Kubernetes service account. */
  readonly subject: string;
}

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** The issuer and subject of a JWT in compact form (`header.claims.signature`); throws WebIdentityTokenError. */
export function readWebIdentityClaims(token: string): WebIdentityClaims {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) {
    throw new WebIdentityTokenError('the service account token is not a JWT (three base64url parts joined by dots)');
  }
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    throw new WebIdentityTokenError('the service account token is not a JWT: its claims are not JSON');
  }
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
    throw new WebIdentityTokenError('the service account token is not a JWT: its claims are not a JSON object');
  }
  const { iss, sub } = claims as Record<string, unknown>;
  if (typeof iss !== 'string' || iss === '') throw new WebIdentityTokenError('the service account token has no issuer (iss claim)');
  if (typeof sub !== 'string' || sub === '') throw new WebIdentityTokenError('the service account token has no subject (sub claim)');
  return { issuer: iss, subject: sub };
}

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';
/** STS: RoleSessionName is 2 to 64 characters of `[\w+=,.@-]`. */
const MAX_SESSION_NAME = 64;
const SESSION_NAME_FORBIDDEN = /[^\w+=,.@-]/g;
const HASH_CHARS = 8;

/**
 * A role session name for a token subject, as CloudTrail will show it: `<namespace>.<name>`
 * for a service account (a namespace holds no dot, so the first dot splits them), the subject
 * with its forbidden characters replaced otherwise. A name past STS's 64 characters keeps its
 * start and ends in a hash of the whole subject, so that long names stay apart.
 */
export function sessionNameFor(subject: string): string {
  const readable = subject.startsWith(SERVICE_ACCOUNT_PREFIX) ? subject.slice(SERVICE_ACCOUNT_PREFIX.length).replace(':', '.') : subject;
  const name = readable.replace(SESSION_NAME_FORBIDDEN, '-');
  if (name.length >= 2 && name.length <= MAX_SESSION_NAME) return name;
  const hash = sha256Hex(subject).slice(0, HASH_CHARS);
  return `${name.slice(0, MAX_SESSION_NAME - HASH_CHARS - 1)}-${hash}`;
}
