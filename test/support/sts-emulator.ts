/**
 * Loopback emulator of AWS STS (query protocol) for tests that drive the real
 * AWS SDK v3 credential providers: `AssumeRole` (SigV4-signed),
 * `AssumeRoleWithWebIdentity` (unsigned) and `GetCallerIdentity` (signed).
 *
 * Requests are form-encoded POSTs to `/` (`Action=AssumeRole&Version=2011-06-15&…`;
 * query-string GETs are accepted too). Answers are the XML documents STS sends,
 * in namespace `https://sts.amazonaws.com/doc/2011-06-15/`, with the element
 * names the SDK's awsQuery deserializer reads (`<AssumeRoleResult>` →
 * `Credentials/{AccessKeyId,SecretAccessKey,SessionToken,Expiration}` and
 * `AssumedRoleUser/{AssumedRoleId,Arn}`); errors are
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
 *
 * Signed requests are verified for real (./sigv4), against the static keys in
 * the options, the keys this emulator issued (their session token must match
 * too) and `options.lookupSecret` (keys issued by the other emulators).
 *
 * Point the SDK at it with `AWS_ENDPOINT_URL_STS=<url>` (env), or
 * `clientConfig: { endpoint: <url>, region }` on fromIni / fromTemporaryCredentials /
 * fromTokenFile / fromWebToken. Issued key ids name their source:
 * `ASIASTSASSUMED…` (AssumeRole), `ASIAWEBIDENTITY…` (AssumeRoleWithWebIdentity).
 */
import { createHash, randomUUID } from 'node:crypto';
import { accountOf, type BaseFault, chainSecretLookups, type EmulatorBase, type EmulatorServer, exposeEmulator, type FaultScope, isoSeconds, type IssuedCredential, randomSecret, type Reply, type RequestContext, roleNameOf, type SecretLookup, sessionTokenFor, sourceNamedAccessKeyId, startEmulatorServer } from './emulator-http';
import { SigV4Error, verifySigV4 } from './sigv4';

export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const ASSUME_ROLE_KEY_PREFIX = 'ASIASTSASSUMED';
export const WEB_IDENTITY_KEY_PREFIX = 'ASIAWEBIDENTITY';
export const DEFAULT_STS_ACCOUNT_ID = '123456789012';

export type StsOperation = 'AssumeRole' | 'AssumeRoleWithWebIdentity' | 'GetCallerIdentity';

/** A static key STS accepts. */
export interface StsStaticKey {
  secretAccessKey: string;
  /** When set, requests must carry exactly this `x-amz-security-token`. */
  sessionToken?: string;
  /** Caller ARN reported by GetCallerIdentity and in AccessDenied messages. */
  arn?: string;
}

export interface StsEmulatorOptions {
  /** Static keys: accessKeyId → secret, or → details. Default: none. */
  credentials?: Record<string, string | StsStaticKey>;
  /** Secrets of keys issued elsewhere (IMDS, ECS, SSO emulators…); consulted after the static and own keys. */
  lookupSecret?: SecretLookup;
  /** Account of callers whose ARN is otherwise unknown. Default `123456789012`. */
  accountId?: string;
  /** Lifetime when the request has no DurationSeconds. Default 3600. */
  defaultDurationSeconds?: number;
}

export type StsFault =
  | BaseFault
  /** 403 `AccessDenied` for AssumeRole / AssumeRoleWithWebIdentity (of `roleArn` only, when given). */
  | ({ kind: 'access-denied'; roleArn?: string } & FaultScope)
  /** 400 `InvalidIdentityToken` for AssumeRoleWithWebIdentity (with this `token` only, when given). */
  | ({ kind: 'invalid-identity-token'; token?: string; message?: string } & FaultScope)
  /** 400 `Throttling` "Rate exceeded" (the SDK retries it). */
  | ({ kind: 'throttling' } & FaultScope)
  /** 400 `ExpiredToken` for signed operations. */
  | ({ kind: 'expired-token' } & FaultScope);

export interface StsEmulator extends EmulatorBase<StsFault> {
  /** Accepts another static key. */
  addCredentials(accessKeyId: string, secretAccessKey: string, details?: Omit<StsStaticKey, 'secretAccessKey'>): void;
  /** Every secret STS accepts: static keys, own issued keys, then `options.lookupSecret`. */
  readonly lookupSecret: SecretLookup;
}

/** Builds an unsigned JWT (`alg: none`) to use as a web identity token. */
export function makeWebIdentityToken(claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return [
    b64({ alg: 'none', typ: 'JWT' }),
    b64({ iss: 'https://oidc.emulated.example', sub: 'system:serviceaccount:default:emulated', aud: 'sts.amazonaws.com', iat: now, exp: now + 3600, ...claims }),
    'emulated-signature',
  ].join('.');
}

const PARAMS_RECORDED = [
  'Version',
  'RoleArn',
  'RoleSessionName',
  'DurationSeconds',
  'ExternalId',
  'SerialNumber',
  'TokenCode',
  'SourceIdentity',
  'WebIdentityToken',
  'ProviderId',
] as const;

export async function startStsEmulator(options: StsEmulatorOptions = {}): Promise<StsEmulator> {
  const accountId = options.accountId ?? DEFAULT_STS_ACCOUNT_ID;
  const defaultDuration = options.defaultDurationSeconds ?? 3600;
  const staticKeys = new Map<string, StsStaticKey>();
  for (const [id, value] of Object.entries(options.credentials ?? {})) {
    staticKeys.set(id, typeof value === 'string' ? { secretAccessKey: value } : { ...value });
  }
  /** accessKeyId → caller ARN / user id of credentials this emulator issued. */
  const principals = new Map<string, { arn: string; userId: string }>();
  let counter = 0;
  let server: EmulatorServer;

  const lookupSecret = chainSecretLookups(
    (id) => staticKeys.get(id)?.secretAccessKey,
    (id) => server.secretFor(id),
    options.lookupSecret,
  );

  function callerOf(accessKeyId: string): { arn: string; userId: string; account: string } {
    const own = principals.get(accessKeyId);
    if (own) return { ...own, account: accountOf(own.arn) ?? accountId };
    const arn = staticKeys.get(accessKeyId)?.arn ?? `arn:aws:iam::${accountId}:user/${accessKeyId}`;
    return { arn, userId: `AIDA${hash(arn, 17)}`, account: accountOf(arn) ?? accountId };
  }

  function issue(source: 'sts:AssumeRole' | 'sts:AssumeRoleWithWebIdentity', roleArn: string, sessionName: string, durationSeconds: number) {
    counter += 1;
    const prefix = source === 'sts:AssumeRole' ? ASSUME_ROLE_KEY_PREFIX : WEB_IDENTITY_KEY_PREFIX;
    const roleName = roleNameOf(roleArn);
    const credential: IssuedCredential = {
      accessKeyId: sourceNamedAccessKeyId(prefix, roleName, counter),
      secretAccessKey: randomSecret(),
      sessionToken: sessionTokenFor(source),
      expiration: new Date(Math.floor(Date.now() / 1000) * 1000 + durationSeconds * 1000),
      source,
      detail: roleArn,
      issuedAt: Date.now(),
    };
    const assumedRoleId = `AROA${hash(roleArn, 17)}:${sessionName}`;
    const assumedArn = `arn:aws:sts::${accountOf(roleArn) ?? accountId}:assumed-role/${roleName}/${sessionName}`;
    principals.set(credential.accessKeyId, { arn: assumedArn, userId: assumedRoleId });
    server.recordIssued(credential);
    return { credential, assumedRoleId, assumedArn };
  }

  /** Verifies the signature; returns the caller's key id or an error reply. */
  function authenticate(ctx: RequestContext): { accessKeyId: string } | Reply {
    let identity;
    try {
      identity = verifySigV4({ method: ctx.method, url: ctx.rawUrl, headers: ctx.headers }, ctx.body, lookupSecret);
    } catch (err) {
      if (!(err instanceof SigV4Error)) throw err;
      switch (err.code) {
        case 'MissingAuthenticationToken':
          return xmlError(403, 'Sender', 'MissingAuthenticationToken', 'Request is missing Authentication Token');
        case 'IncompleteSignature':
          return xmlError(400, 'Sender', 'IncompleteSignature', err.message);
        case 'UnrecognizedClientException':
          return xmlError(403, 'Sender', 'InvalidClientTokenId', 'The security token included in the request is invalid.');
        case 'InvalidSignatureException':
          return xmlError(403, 'Sender', 'SignatureDoesNotMatch', err.message);
      }
    }
    ctx.call.params['signingRegion'] = identity.region;
    if (identity.service !== 'sts') {
      return xmlError(403, 'Sender', 'SignatureDoesNotMatch', `Credential should be scoped to correct service: 'sts'. `);
    }
    const expected = server.issuedFor(identity.accessKeyId) ?? staticKeys.get(identity.accessKeyId);
    if (expected?.sessionToken !== undefined && expected.sessionToken !== identity.sessionToken) {
      return xmlError(403, 'Sender', 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    }
    const issued = server.issuedFor(identity.accessKeyId);
    if (issued && issued.expiration.getTime() <= Date.now()) {
      return xmlError(400, 'Sender', 'ExpiredToken', 'The security token included in the request is expired');
    }
    return { accessKeyId: identity.accessKeyId };
  }

  function validate(params: URLSearchParams, required: string[]): Reply | undefined {
    const missing = required.filter((name) => !params.get(name));
    if (missing.length > 0) {
      const detail = missing.map((name) => `Value null at '${name[0]!.toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`);
      return xmlError(400, 'Sender', 'ValidationError', `${missing.length} validation error${missing.length > 1 ? 's' : ''} detected: ${detail.join('; ')}`);
    }
    const session = params.get('RoleSessionName');
    if (session !== null && !/^[\w+=,.@-]{2,64}$/.test(session)) {
      return xmlError(400, 'Sender', 'ValidationError', `1 validation error detected: Value '${session}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
    }
    const duration = params.get('DurationSeconds');
    if (duration !== null && !(Number(duration) >= 900 && Number(duration) <= 43200)) {
      return xmlError(400, 'Sender', 'ValidationError', `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`);
    }
    return undefined;
  }

  function commonFault(ctx: RequestContext): Reply | undefined {
    const fault = ctx.takeFault(['throttling'] as const);
    if (fault) {
      ctx.call.fault = fault.kind;
      return xmlError(400, 'Sender', 'Throttling', 'Rate exceeded');
    }
    return undefined;
  }

  function accessDenied(ctx: RequestContext, roleArn: string, message: string): Reply | undefined {
    const fault = ctx.takeFault(['access-denied'] as const, (f) => {
      const wanted = (f as { roleArn?: string }).roleArn;
      return wanted === undefined || wanted === roleArn;
    });
    if (!fault) return undefined;
    ctx.call.fault = fault.kind;
    return xmlError(403, 'Sender', 'AccessDenied', message);
  }

  function assumeRole(ctx: RequestContext, params: URLSearchParams): Reply {
    const auth = authenticate(ctx);
    if ('status' in auth) return auth;
    const invalid = validate(params, ['RoleArn', 'RoleSessionName']);
    if (invalid) return invalid;
    const expired = ctx.takeFault(['expired-token'] as const);
    if (expired) {
      ctx.call.fault = expired.kind;
      return xmlError(400, 'Sender', 'ExpiredToken', 'The security token included in the request is expired');
    }
    const throttled = commonFault(ctx);
    if (throttled) return throttled;
    const roleArn = params.get('RoleArn')!;
    const caller = callerOf(auth.accessKeyId);
    const denied = accessDenied(ctx, roleArn, `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    if (denied) return denied;
    const sessionName = params.get('RoleSessionName')!;
    const { credential, assumedRoleId, assumedArn } = issue('sts:AssumeRole', roleArn, sessionName, Number(params.get('DurationSeconds') ?? defaultDuration));
    const sourceIdentity = params.get('SourceIdentity');
    return xmlOk(
      'AssumeRole',
      [
        sourceIdentity ? el('SourceIdentity', sourceIdentity) : '',
        nest('AssumedRoleUser', el('AssumedRoleId', assumedRoleId) + el('Arn', assumedArn)),
        credentialsXml(credential),
      ].join(''),
    );
  }

  function assumeRoleWithWebIdentity(ctx: RequestContext, params: URLSearchParams): Reply {
    const invalid = validate(params, ['RoleArn', 'RoleSessionName', 'WebIdentityToken']);
    if (invalid) return invalid;
    const throttled = commonFault(ctx);
    if (throttled) return throttled;
    const roleArn = params.get('RoleArn')!;
    const token = params.get('WebIdentityToken')!;
    const rejected = ctx.takeFault(['invalid-identity-token'] as const, (f) => {
      const wanted = (f as { token?: string }).token;
      return wanted === undefined || wanted === token;
    }) as ({ kind: 'invalid-identity-token'; message?: string } & FaultScope) | undefined;
    if (rejected) {
      ctx.call.fault = rejected.kind;
      return xmlError(400, 'Sender', 'InvalidIdentityToken', rejected.message ?? "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements");
    }
    const denied = accessDenied(ctx, roleArn, 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
    if (denied) return denied;
    const claims = jwtClaims(token);
    const sessionName = params.get('RoleSessionName')!;
    const { credential, assumedRoleId, assumedArn } = issue(
      'sts:AssumeRoleWithWebIdentity',
      roleArn,
      sessionName,
      Number(params.get('DurationSeconds') ?? defaultDuration),
    );
    const audience = Array.isArray(claims['aud']) ? String(claims['aud'][0]) : String(claims['aud'] ?? 'sts.amazonaws.com');
    return xmlOk(
      'AssumeRoleWithWebIdentity',
      [
        el('SubjectFromWebIdentityToken', String(claims['sub'] ?? 'emulated-subject')),
        el('Audience', audience),
        nest('AssumedRoleUser', el('AssumedRoleId', assumedRoleId) + el('Arn', assumedArn)),
        credentialsXml(credential),
        el('Provider', String(claims['iss'] ?? params.get('ProviderId') ?? 'emulated-provider')),
      ].join(''),
    );
  }

  function getCallerIdentity(ctx: RequestContext): Reply {
    const auth = authenticate(ctx);
    if ('status' in auth) return auth;
    const throttled = commonFault(ctx);
    if (throttled) return throttled;
    const caller = callerOf(auth.accessKeyId);
    return xmlOk('GetCallerIdentity', el('Arn', caller.arn) + el('UserId', caller.userId) + el('Account', caller.account));
  }

  server = await startEmulatorServer({
    classify(method, url, headers, body) {
      const params = requestParams(method, url, headers['content-type'], body);
      const recorded: Record<string, string> = {};
      for (const name of PARAMS_RECORDED) {
        const value = params.get(name);
        if (value !== null) recorded[name] = value;
      }
      const credential = /Credential=([^/,\s]+)\//.exec(String(headers['authorization'] ?? ''));
      return {
        operation: params.get('Action') ?? 'Unknown',
        params: recorded,
        ...(credential ? { identity: credential[1]! } : {}),
      };
    },
    handle(ctx) {
      const params = requestParams(ctx.method, ctx.url, ctx.headers['content-type'], ctx.body);
      switch (ctx.call.operation) {
        case 'AssumeRole':
          return assumeRole(ctx, params);
        case 'AssumeRoleWithWebIdentity':
          return assumeRoleWithWebIdentity(ctx, params);
        case 'GetCallerIdentity':
          return getCallerIdentity(ctx);
        case 'Unknown':
          return xmlError(400, 'Sender', 'MissingAction', 'Missing Action');
        default:
          return xmlError(400, 'Sender', 'InvalidAction', `Could not find operation ${ctx.call.operation} for version ${params.get('Version') ?? 'NO_VERSION_SPECIFIED'}`);
      }
    },
    serverError(status) {
      return status === 503
        ? xmlError(503, 'Receiver', 'ServiceUnavailable', 'Service is unavailable. Please try again later.')
        : xmlError(status, 'Receiver', 'InternalFailure', 'An internal error has occurred. Please try again.');
    },
    reset() {
      principals.clear();
      counter = 0;
    },
  });

  return exposeEmulator<StsEmulator>(server, {
    lookupSecret,
    addCredentials(accessKeyId, secretAccessKey, details = {}) {
      staticKeys.set(accessKeyId, { ...details, secretAccessKey });
    },
  });
}

function requestParams(method: string, url: URL, contentType: string | string[] | undefined, body: Buffer): URLSearchParams {
  const params = new URLSearchParams(url.search);
  const isForm = String(contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
  if (method === 'POST' && (isForm || contentType === undefined)) {
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params.set(key, value);
  }
  return params;
}

function jwtClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (payload === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function credentialsXml(credential: IssuedCredential): string {
  return nest(
    'Credentials',
    el('AccessKeyId', credential.accessKeyId) +
      el('SecretAccessKey', credential.secretAccessKey) +
      el('SessionToken', credential.sessionToken) +
      el('Expiration', isoSeconds(credential.expiration)),
  );
}

function xmlOk(action: string, result: string): Reply {
  const requestId = randomUUID();
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<${action}Response xmlns="${STS_XMLNS}">\n` +
      `  <${action}Result>${result}</${action}Result>\n` +
      `  <ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>\n` +
      `</${action}Response>\n`,
  };
}

function xmlError(status: number, type: 'Sender' | 'Receiver', code: string, message: string): Reply {
  const requestId = randomUUID();
  return {
    status,
    errorCode: code,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<ErrorResponse xmlns="${STS_XMLNS}">\n` +
      `  <Error>\n    <Type>${type}</Type>\n    <Code>${escapeXml(code)}</Code>\n    <Message>${escapeXml(message)}</Message>\n  </Error>\n` +
      `  <RequestId>${requestId}</RequestId>\n` +
      `</ErrorResponse>\n`,
  };
}

/** An element with escaped text content. */
function el(name: string, text: string): string {
  return `<${name}>${escapeXml(text)}</${name}>`;
}

/** An element wrapping already-built XML. */
function nest(name: string, xml: string): string {
  return `<${name}>${xml}</${name}>`;
}

function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

function hash(value: string, length: number): string {
  return createHash('sha256').update(value).digest('hex').toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, length);
}
