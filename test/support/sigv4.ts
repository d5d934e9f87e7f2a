/**
 * Server-side verification of AWS Signature Version 4 (header form) for the
 * loopback AWS emulators used in tests.
 *
 * The point of verifying for real (rather than just parsing the header) is that
 * the tests then prove the code under test hands the SDK the right secret,
 * session token and region: a wrong secret fails exactly as it would against AWS.
 *
 * Reference: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Who signed a request, as stated by its credential scope. */
export interface SigV4Identity {
  accessKeyId: string;
  /** Region from the credential scope, e.g. `eu-west-1`. */
  region: string;
  /** Signing name from the credential scope, e.g. `ecr`, `ecr-public`, `sts`. */
  service: string;
  /** `yyyymmdd` from the credential scope. */
  date: string;
  /** The `x-amz-security-token` header, present when signed with temporary credentials. */
  sessionToken?: string;
}

/** Returns the secret access key for a key id, or undefined when the key is unknown. */
export type SecretLookup = (accessKeyId: string) => string | undefined;

export interface VerifyOptions {
  /**
   * The verifier's clock, in epoch ms, for the 15-minute skew check. Default
   * `Date.now()`; pass a fixed time to check published test vectors.
   */
  now?: number;
}

export type SigV4ErrorCode =
  | 'MissingAuthenticationToken'
  | 'IncompleteSignature'
  | 'UnrecognizedClientException'
  | 'InvalidSignatureException';

export class SigV4Error extends Error {
  constructor(
    public readonly code: SigV4ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SigV4Error';
  }
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const TERMINATOR = 'aws4_request';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** AWS rejects requests whose x-amz-date is more than 15 minutes away from its clock. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

// The messages below are the ones AWS JSON services return, so error output
// seen in tests reads like what users would see in production.
const MSG_BAD_SIGNATURE =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const MSG_UNKNOWN_KEY = 'The security token included in the request is invalid.';

/**
 * Verifies an AWS Signature Version 4 `Authorization` header on a received request;
 * returns who signed it or throws SigV4Error.
 *
 * `req.url` is the request target exactly as received (path plus optional query).
 * The canonical URI follows the rule for every service except S3: the path is
 * normalised and URI-encoded once more (so `%20` on the wire becomes `%2520`),
 * which for the `/` used by JSON and Query protocols is just `/`.
 */
export function verifySigV4(
  req: { method: string; url: string; headers: IncomingHttpHeaders },
  body: Buffer,
  lookupSecret: SecretLookup,
  options: VerifyOptions = {},
): SigV4Identity {
  const authorization = singleHeader(req.headers, 'authorization');
  if (authorization === undefined || authorization === '') {
    throw new SigV4Error('MissingAuthenticationToken', 'Missing Authentication Token');
  }
  const auth = parseAuthorization(authorization);

  const secret = lookupSecret(auth.accessKeyId);
  if (secret === undefined) {
    throw new SigV4Error('UnrecognizedClientException', MSG_UNKNOWN_KEY);
  }

  const amzDate = requireAmzDate(req.headers, auth, options.now ?? Date.now());
  const payloadHash = payloadHashOf(req.headers, body);
  const canonicalRequest = buildCanonicalRequest(req, auth.signedHeaders, payloadHash);
  const scope = `${auth.date}/${auth.region}/${auth.service}/${TERMINATOR}`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const expected = hmac(signingKey(secret, auth.date, auth.region, auth.service), stringToSign);

  if (!signaturesMatch(expected, auth.signature)) {
    throw new SigV4Error('InvalidSignatureException', MSG_BAD_SIGNATURE);
  }

  const identity: SigV4Identity = {
    accessKeyId: auth.accessKeyId,
    region: auth.region,
    service: auth.service,
    date: auth.date,
  };
  const sessionToken = singleHeader(req.headers, 'x-amz-security-token');
  if (sessionToken !== undefined) identity.sessionToken = sessionToken;
  return identity;
}

/** The parts of `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. */
interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(header: string): ParsedAuthorization {
  const trimmed = header.trim();
  if (!trimmed.startsWith(`${ALGORITHM} `)) {
    // A header AWS cannot parse counts as an incomplete signature, not a missing one.
    throw new SigV4Error('IncompleteSignature', `Unsupported AWS 'algorithm': '${trimmed.split(' ')[0]}'`);
  }

  // Components are comma separated; AWS tolerates spaces around them.
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(ALGORITHM.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  const missing = [
    credential === undefined ? 'Credential' : undefined,
    signedHeaders === undefined ? 'SignedHeaders' : undefined,
    signature === undefined ? 'Signature' : undefined,
  ].filter((name): name is string => name !== undefined);
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw new SigV4Error(
      'IncompleteSignature',
      `Authorization header requires ${missing.map((m) => `'${m}'`).join(', ')} parameter(s). Authorization=${header}`,
    );
  }

  // Credential=AKID/yyyymmdd/region/service/aws4_request. The key id itself
  // never contains '/', so a plain split is exact.
  const scope = credential.split('/');
  if (scope.length !== 5 || scope[4] !== TERMINATOR || !/^\d{8}$/.test(scope[1] ?? '') || scope.some((s) => s === '')) {
    throw new SigV4Error(
      'IncompleteSignature',
      `Credential should be scoped to a valid region, service and date: '${credential}'.`,
    );
  }
  const [accessKeyId, date, region, service] = scope as [string, string, string, string, string];

  if (!/^[0-9a-f]{64}$/.test(signature)) {
    throw new SigV4Error('IncompleteSignature', `Signature should be 64 lowercase hex characters. Authorization=${header}`);
  }

  return {
    accessKeyId,
    date,
    region,
    service,
    signedHeaders: signedHeaders.split(';').filter((h) => h !== ''),
    signature,
  };
}

/**
 * Returns the `x-amz-date` value after the checks AWS makes: it must be signed,
 * agree with the credential scope date, and be within the allowed clock skew.
 */
function requireAmzDate(headers: IncomingHttpHeaders, auth: ParsedAuthorization, now: number): string {
  const amzDate = singleHeader(headers, 'x-amz-date');
  if (amzDate === undefined || !/^\d{8}T\d{6}Z$/.test(amzDate)) {
    throw new SigV4Error('IncompleteSignature', 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.');
  }
  if (!auth.signedHeaders.includes('x-amz-date') || !auth.signedHeaders.includes('host')) {
    throw new SigV4Error('InvalidSignatureException', "'Host' and 'X-Amz-Date' must be signed headers.");
  }
  if (amzDate.slice(0, 8) !== auth.date) {
    throw new SigV4Error(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  const signedAt = Date.parse(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  if (Number.isNaN(signedAt) || Math.abs(now - signedAt) > MAX_CLOCK_SKEW_MS) {
    throw new SigV4Error('InvalidSignatureException', `Signature expired: ${amzDate} is outside the allowed 15 minute clock skew.`);
  }
  return amzDate;
}

/**
 * The hashed payload line of the canonical request. A client may declare it in
 * `x-amz-content-sha256` (the JS SDK does); when it claims a hash, the claim
 * must be true or a tampered body would still verify.
 */
function payloadHashOf(headers: IncomingHttpHeaders, body: Buffer): string {
  const actual = sha256Hex(body);
  const declared = singleHeader(headers, 'x-amz-content-sha256');
  if (declared === undefined) return actual;
  if (declared !== UNSIGNED_PAYLOAD && declared !== actual) {
    throw new SigV4Error('InvalidSignatureException', 'The provided x-amz-content-sha256 header does not match what was computed.');
  }
  return declared;
}

function buildCanonicalRequest(
  req: { method: string; url: string; headers: IncomingHttpHeaders },
  signedHeaders: string[],
  payloadHash: string,
): string {
  const queryAt = req.url.indexOf('?');
  const path = queryAt < 0 ? req.url : req.url.slice(0, queryAt);
  const query = queryAt < 0 ? '' : req.url.slice(queryAt + 1);
  const names = signedHeaders.map((h) => h.toLowerCase());
  return [
    req.method.toUpperCase(),
    canonicalUri(path),
    canonicalQuery(query),
    ...names.map((name) => `${name}:${canonicalHeaderValue(req.headers[name])}`),
    '',
    names.join(';'),
    payloadHash,
  ].join('\n');
}

/** Normalises `.`/`..`/empty segments, then encodes the path as sent once more. */
function canonicalUri(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailingSlash = segments.length > 0 && path.endsWith('/') ? '/' : '';
  const normalised = `/${segments.join('/')}${trailingSlash}`;
  return uriEncode(normalised).replace(/%2F/g, '/');
}

/** Pairs decoded from the wire, re-encoded the RFC 3986 way, sorted by key then value. */
function canonicalQuery(query: string): string {
  if (query === '') return '';
  const pairs = query
    .split('&')
    .filter((p) => p !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? '' : pair.slice(eq + 1);
      return [uriEncode(safeDecode(key)), uriEncode(safeDecode(value))] as const;
    });
  pairs.sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** Trims and folds runs of whitespace; repeated headers are joined with ','. */
function canonicalHeaderValue(value: string | string[] | undefined): string {
  const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return values.map((v) => v.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').trim()).join(',');
}

/** RFC 3986 percent-encoding: everything but unreserved characters. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // a stray '%' is signed literally by clients that send it
  }
}

function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  let key: Buffer = Buffer.from(`AWS4${secret}`, 'utf8');
  for (const part of [date, region, service, TERMINATOR]) key = hmac(key, part);
  return key;
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function signaturesMatch(expected: Buffer, providedHex: string): boolean {
  const provided = Buffer.from(providedHex, 'hex');
  // timingSafeEqual throws on a length mismatch; the format check already
  // guarantees 32 bytes, but keep the guard so this never throws.
  return provided.length === expected.length && timingSafeEqual(provided, expected);
}
