/**
 * Loopback emulator of the Amazon ECR and ECR Public `GetAuthorizationToken`
 * APIs, for tests that drive the real AWS SDK v3 clients.
 *
 * One HTTP server answers both services. The SDK posts AWS JSON 1.1 to `/` and
 * names the operation in `X-Amz-Target`:
 *   - ECR:        `AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken`
 *   - ECR Public: `SpencerFrontendService.GetAuthorizationToken`
 * Every request must carry a valid SigV4 signature for a known access key, so a
 * test passes only if the code under test resolved the right credentials.
 *
 * Point a client at it with `endpoint: emulator.url`; the region the client
 * signs for is the region the emulator reports back in `proxyEndpoint`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SigV4Error, verifySigV4, type SecretLookup, type SigV4Identity } from './sigv4';

export type EcrService = 'ecr' | 'ecr-public';

/** One request received, in arrival order; rejected ones included. */
export interface EcrCall {
  service: EcrService;
  /** Operation name from `X-Amz-Target` (after the dot), '' when absent. */
  operation: string;
  /** Region from the SigV4 credential scope, '' when the request was not signed parseably. */
  region: string;
  /** Access key id from the SigV4 credential scope, '' when absent. */
  accessKeyId: string;
  sessionToken?: string;
  /** `registryIds` as sent (ECR only; always [] for ECR Public). */
  registryIds: string[];
  /** HTTP status answered; 0 while unanswered (and forever for a `hang` fault). */
  status: number;
  /** The `__type` of an error answer. */
  errorType?: string;
  /** `Date.now()` when the request arrived. */
  at: number;
  /** For an AWS SDK retry only: its attempt number (2 and up, from its `amz-sdk-request` header). */
  attempt?: number;
  /** The `User-Agent` header, '' when absent: tells the AWS SDK's requests from the helper's own. */
  userAgent: string;
}

/** A token the emulator handed out (malformed-token faults are not recorded). */
export interface IssuedToken {
  service: EcrService;
  /** ECR only. */
  registryId?: string;
  region: string;
  accessKeyId: string;
  username: 'AWS';
  password: string;
  /** base64("AWS:" + password), exactly as sent. */
  authorizationToken: string;
  expiresAt: Date;
}

export type EcrFaultKind =
  | 'throttle'
  | 'access-denied'
  | 'server-error'
  | 'http-503-html'
  | 'latency'
  | 'malformed-token'
  | 'hang'
  /** The connection is reset (TCP RST) once the request is read: no answer at all. */
  | 'reset'
  /** A 200 whose JSON body (the normal answer) stops half way, with a length that matches what is sent. */
  | 'truncated-json'
  /** A 200 with the JSON content type and a body that is not JSON. */
  | 'malformed-json';

export interface EcrFault {
  kind: EcrFaultKind;
  /** How many requests this fault applies to; default: every request until cleared. */
  times?: number;
  /** For `latency`: how long to hold back the otherwise normal answer. */
  delayMs?: number;
  /** Restrict the fault to one service; default: both. */
  service?: EcrService;
}

export interface EcrEmulatorOptions {
  /** accessKeyId → secret access key. Default `{ AKIDEXAMPLEENV: 'env-secret' }`. */
  credentials?: Record<string, string>;
  /** Lifetime of issued tokens. Default 43200 (12 hours, as ECR issues). */
  tokenLifetimeSeconds?: number;
  /**
   * Consulted for keys not in `credentials` (nor added later), e.g. the ledger
   * of an STS/IMDS emulator, so credentials those hand out work here too.
   */
  lookupSecret?: SecretLookup;
  /**
   * The session token that must come with a key found through `lookupSecret` (temporary
   * credentials issued elsewhere); undefined: none is checked for that key.
   */
  lookupSessionToken?: (accessKeyId: string) => string | undefined;
}

export interface EcrEmulator {
  /** e.g. `http://127.0.0.1:40123`, for the SDK's `endpoint` option. */
  readonly url: string;
  readonly calls: EcrCall[];
  readonly issued: IssuedToken[];
  /**
   * Accepts another key. With `sessionToken`, requests with this key must also
   * carry exactly that `x-amz-security-token`, as temporary credentials must.
   */
  addCredentials(accessKeyId: string, secretAccessKey: string, sessionToken?: string): void;
  /**
   * Answers with this `expiresAt` (epoch seconds, as the JSON protocol sends it: any number, even
   * one no Date can hold) instead of now + the lifetime; undefined goes back to the lifetime.
   */
  setExpiresAt(epochSeconds: number | undefined): void;
  /** Queues a fault; faults are used up per request in the order injected. */
  inject(fault: EcrFault): void;
  clearFaults(): void;
  /** Clears calls, issued tokens, faults and an expiresAt override (credentials stay). */
  reset(): void;
  /** Stops listening and destroys every open socket, hung ones included. */
  close(): Promise<void>;
}

/** Account used when an ECR request names no registry: the caller's own, in real AWS. */
export const DEFAULT_REGISTRY_ID = '000000000000';
export const DEFAULT_CREDENTIALS: Readonly<Record<string, string>> = { AKIDEXAMPLEENV: 'env-secret' };

const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const ECR_PUBLIC_TARGET_PREFIX = 'SpencerFrontendService.';
const JSON_11 = 'application/x-amz-json-1.1';
/** Target length of generated passwords; real ECR passwords are ~1.5–2 KB of base64. */
const PASSWORD_TARGET_LENGTH = 1600;

/** An answer to send: JSON 1.1 success or error, or a raw body (the 503 HTML page). */
interface Reply {
  status: number;
  body: string;
  contentType: string;
  errorType?: string;
}

/** What a fault asks the request handler to do instead of, or before, the normal answer. */
type FaultAction =
  | { kind: 'reply'; reply: Reply }
  | { kind: 'delay'; ms: number }
  | { kind: 'hang' }
  | { kind: 'malformed-token' }
  | { kind: 'reset' }
  | { kind: 'truncated-json' }
  | { kind: 'none' };

interface QueuedFault {
  fault: EcrFault;
  /** Remaining uses; Infinity when `times` was not given. */
  remaining: number;
}

export async function startEcrEmulator(options: EcrEmulatorOptions = {}): Promise<EcrEmulator> {
  const emulator = new EcrEmulatorServer(
    { ...(options.credentials ?? DEFAULT_CREDENTIALS) },
    options.tokenLifetimeSeconds ?? 43200,
    options.lookupSecret,
    options.lookupSessionToken,
  );
  await emulator.listen();
  return emulator;
}

class EcrEmulatorServer implements EcrEmulator {
  readonly calls: EcrCall[] = [];
  readonly issued: IssuedToken[] = [];
  url = '';

  private readonly server: Server;
  private readonly secrets = new Map<string, string>();
  private readonly sessionTokens = new Map<string, string>();
  private readonly sockets = new Set<Socket>();
  /** Pending `latency` timers, so close() need not wait for them. */
  private readonly timers = new Set<NodeJS.Timeout>();
  private faults: QueuedFault[] = [];
  private expiresAtOverride: number | undefined;
  private serial = 0;
  private closed = false;

  constructor(
    credentials: Record<string, string>,
    private readonly tokenLifetimeSeconds: number,
    private readonly fallbackLookup: SecretLookup | undefined,
    private readonly fallbackSessionToken?: (accessKeyId: string) => string | undefined,
  ) {
    for (const [id, secret] of Object.entries(credentials)) this.secrets.set(id, secret);
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        const { port } = this.server.address() as AddressInfo;
        this.url = `http://127.0.0.1:${port}`;
        resolve();
      });
    });
  }

  addCredentials(accessKeyId: string, secretAccessKey: string, sessionToken?: string): void {
    this.secrets.set(accessKeyId, secretAccessKey);
    if (sessionToken === undefined) this.sessionTokens.delete(accessKeyId);
    else this.sessionTokens.set(accessKeyId, sessionToken);
  }

  setExpiresAt(epochSeconds: number | undefined): void {
    this.expiresAtOverride = epochSeconds;
  }

  inject(fault: EcrFault): void {
    if (fault.times !== undefined && fault.times <= 0) return; // nothing to apply
    this.faults.push({ fault: { ...fault }, remaining: fault.times ?? Infinity });
  }

  clearFaults(): void {
    this.faults = [];
  }

  reset(): void {
    this.calls.length = 0;
    this.issued.length = 0;
    this.expiresAtOverride = undefined;
    this.clearFaults();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // server.close() only stops accepting; keep-alive and hung sockets would
    // keep it (and the test process) alive, so end them outright.
    for (const socket of this.sockets) socket.destroy();
    await stopped;
  }

  // ---- request handling -------------------------------------------------

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        this.handle(req, res, Buffer.concat(chunks));
      } catch (err) {
        // A bug in the emulator should surface as a 500, not a hung test.
        this.send(res, undefined, jsonError(500, 'InternalFailure', `emulator error: ${String(err)}`));
      }
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const target = headerValue(req, 'x-amz-target');
    const call = this.recordCall(req, target);

    // Authentication comes first, as in AWS: an unauthenticated request never
    // reaches the operation, so it does not use up an injected fault either.
    let identity: SigV4Identity;
    try {
      identity = verifySigV4(
        { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers },
        body,
        (id) => this.secrets.get(id) ?? this.fallbackLookup?.(id),
      );
      this.checkScopeAndToken(identity, call.service, target);
    } catch (err) {
      if (!(err instanceof SigV4Error)) throw err;
      this.send(res, call, jsonError(400, jsonErrorType(err.code), err.message));
      return;
    }
    if (identity.sessionToken !== undefined) call.sessionToken = identity.sessionToken;

    if (operationOf(target) !== 'GetAuthorizationToken' || serviceOfTarget(target) === undefined) {
      this.send(res, call, jsonError(400, 'UnknownOperationException', ''));
      return;
    }

    const parsed = parseRequestBody(body, call.service);
    if ('error' in parsed) {
      this.send(res, call, parsed.error);
      return;
    }
    call.registryIds = parsed.registryIds;

    this.respond(res, call, identity, this.takeFault(call.service));
  }

  /** Records the call at arrival, so a request that is never answered is still visible. */
  private recordCall(req: IncomingMessage, target: string | undefined): EcrCall {
    const scope = peekCredentialScope(headerValue(req, 'authorization'));
    const call: EcrCall = {
      // An unknown target still needs a service; the signing name is the best hint.
      service: serviceOfTarget(target) ?? (scope?.service === 'ecr-public' ? 'ecr-public' : 'ecr'),
      operation: operationOf(target),
      region: scope?.region ?? '',
      accessKeyId: scope?.accessKeyId ?? '',
      registryIds: [],
      status: 0,
      at: Date.now(),
      userAgent: headerValue(req, 'user-agent') ?? '',
    };
    const attempt = /\battempt=(\d+)/.exec(headerValue(req, 'amz-sdk-request') ?? '')?.[1];
    if (attempt !== undefined && Number(attempt) > 1) call.attempt = Number(attempt);
    this.calls.push(call);
    return call;
  }

  /** Checks AWS makes after the signature itself: right signing name, right session token. */
  private checkScopeAndToken(identity: SigV4Identity, service: EcrService, target: string | undefined): void {
    if (serviceOfTarget(target) !== undefined && identity.service !== service) {
      throw new SigV4Error('InvalidSignatureException', `Credential should be scoped to correct service: '${service}'. `);
    }
    const expectedToken = this.secrets.has(identity.accessKeyId)
      ? this.sessionTokens.get(identity.accessKeyId)
      : this.fallbackSessionToken?.(identity.accessKeyId);
    if (expectedToken !== undefined && identity.sessionToken !== expectedToken) {
      throw new SigV4Error('UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
  }

  /** Takes one use of the first queued fault that applies to this service. */
  private takeFault(service: EcrService): FaultAction {
    const index = this.faults.findIndex((q) => q.fault.service === undefined || q.fault.service === service);
    if (index < 0) return { kind: 'none' };
    const queued = this.faults[index]!;
    queued.remaining -= 1;
    if (queued.remaining <= 0) this.faults.splice(index, 1);
    return faultAction(queued.fault, service);
  }

  private respond(res: ServerResponse, call: EcrCall, identity: SigV4Identity, action: FaultAction): void {
    switch (action.kind) {
      case 'reply':
        this.send(res, call, action.reply);
        return;
      case 'hang':
        return; // never answer; close() destroys the socket
      case 'delay': {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.respond(res, call, identity, { kind: 'none' });
        }, action.ms);
        this.timers.add(timer);
        return;
      }
      case 'malformed-token':
        this.send(res, call, jsonOk(malformedTokenBody(call, identity.region, this.expiry())));
        return;
      case 'reset':
        res.socket?.resetAndDestroy();
        return;
      case 'truncated-json': {
        // Tokens are issued (the answer was made), then only half of it is sent.
        const whole = jsonOk(this.issueTokens(call, identity));
        this.send(res, call, { ...whole, body: whole.body.slice(0, Math.floor(whole.body.length / 2)) });
        return;
      }
      case 'none':
        this.send(res, call, jsonOk(this.issueTokens(call, identity)));
        return;
    }
  }

  // ---- tokens -----------------------------------------------------------

  private expiry(): Date {
    if (this.expiresAtOverride !== undefined) return new Date(this.expiresAtOverride * 1000);
    return new Date(Date.now() + this.tokenLifetimeSeconds * 1000);
  }

  /** `expiresAt` as sent: the override exactly as given, even where no Date can hold it. */
  private wireExpiry(expiresAt: Date): number {
    return this.expiresAtOverride ?? epochSeconds(expiresAt);
  }

  /** Issues tokens and returns the response body in each service's shape. */
  private issueTokens(call: EcrCall, identity: SigV4Identity): unknown {
    const expiresAt = this.expiry();
    if (call.service === 'ecr-public') {
      const token = this.issue('ecr-public', undefined, identity, expiresAt);
      // ECR Public answers a single object, not a list, and has no proxyEndpoint.
      return { authorizationData: { authorizationToken: token.authorizationToken, expiresAt: this.wireExpiry(expiresAt) } };
    }
    const registryIds = call.registryIds.length > 0 ? call.registryIds : [DEFAULT_REGISTRY_ID];
    return {
      authorizationData: registryIds.map((registryId) => ({
        authorizationToken: this.issue('ecr', registryId, identity, expiresAt).authorizationToken,
        expiresAt: this.wireExpiry(expiresAt),
        proxyEndpoint: `https://${registryId}.dkr.ecr.${identity.region}.amazonaws.com`,
      })),
    };
  }

  private issue(service: EcrService, registryId: string | undefined, identity: SigV4Identity, expiresAt: Date): IssuedToken {
    this.serial += 1;
    const password = makePassword({
      accessKeyId: identity.accessKeyId,
      registryId: registryId ?? null,
      region: identity.region,
      service,
      serial: this.serial,
      expiration: Math.floor(expiresAt.getTime() / 1000),
    });
    const token: IssuedToken = {
      service,
      region: identity.region,
      accessKeyId: identity.accessKeyId,
      username: 'AWS',
      password,
      authorizationToken: Buffer.from(`AWS:${password}`, 'utf8').toString('base64'),
      expiresAt,
    };
    if (registryId !== undefined) token.registryId = registryId;
    this.issued.push(token);
    return token;
  }

  // ---- wire -------------------------------------------------------------

  private send(res: ServerResponse, call: EcrCall | undefined, reply: Reply): void {
    if (call !== undefined) {
      call.status = reply.status;
      if (reply.errorType !== undefined) call.errorType = reply.errorType;
    }
    if (res.writableEnded || res.destroyed) return;
    const headers: Record<string, string> = {
      'content-type': reply.contentType,
      'content-length': String(Buffer.byteLength(reply.body)),
      'x-amzn-requestid': randomUUID(),
    };
    if (reply.errorType !== undefined) headers['x-amzn-errortype'] = reply.errorType;
    res.writeHead(reply.status, headers);
    res.end(reply.body);
  }
}

// ---- pure helpers ---------------------------------------------------------

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function serviceOfTarget(target: string | undefined): EcrService | undefined {
  if (target?.startsWith(ECR_TARGET_PREFIX)) return 'ecr';
  if (target?.startsWith(ECR_PUBLIC_TARGET_PREFIX)) return 'ecr-public';
  return undefined;
}

function operationOf(target: string | undefined): string {
  if (target === undefined) return '';
  const dot = target.indexOf('.');
  return dot < 0 ? target : target.slice(dot + 1);
}

/**
 * Reads key id, region and signing name from an Authorization header without
 * verifying it, so that even rejected calls are recorded with what they claimed.
 */
function peekCredentialScope(authorization: string | undefined): { accessKeyId: string; region: string; service: string } | undefined {
  const match = /Credential=([^/\s,]+)\/\d{8}\/([^/\s,]+)\/([^/\s,]+)\/aws4_request/.exec(authorization ?? '');
  if (match === null) return undefined;
  return { accessKeyId: match[1]!, region: match[2]!, service: match[3]! };
}

/** Error `__type`s as AWS JSON services spell them (STS, a Query service, drops the suffix). */
function jsonErrorType(code: SigV4Error['code']): string {
  switch (code) {
    case 'MissingAuthenticationToken':
      return 'MissingAuthenticationTokenException';
    case 'IncompleteSignature':
      return 'IncompleteSignatureException';
    default:
      return code;
  }
}

function parseRequestBody(body: Buffer, service: EcrService): { registryIds: string[] } | { error: Reply } {
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    return { error: jsonError(400, 'SerializationException', 'Start of structure or map found where not expected.') };
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { error: jsonError(400, 'SerializationException', 'Start of structure or map found where not expected.') };
  }
  // ECR Public's GetAuthorizationToken takes no input at all.
  if (service === 'ecr-public') return { registryIds: [] };
  const registryIds = (input as { registryIds?: unknown }).registryIds;
  if (registryIds === undefined || registryIds === null) return { registryIds: [] };
  if (!Array.isArray(registryIds) || !registryIds.every((id): id is string => typeof id === 'string' && /^[0-9]{12}$/.test(id))) {
    return {
      error: jsonError(
        400,
        'InvalidParameterException',
        `1 validation error detected: Value '${JSON.stringify(registryIds)}' at 'registryIds' failed to satisfy constraint: ` +
          'Member must satisfy constraint: [Member must satisfy regular expression pattern: [0-9]{12}]',
      ),
    };
  }
  return { registryIds };
}

function faultAction(fault: EcrFault, service: EcrService): FaultAction {
  const action = service === 'ecr-public' ? 'ecr-public:GetAuthorizationToken' : 'ecr:GetAuthorizationToken';
  switch (fault.kind) {
    case 'throttle':
      return { kind: 'reply', reply: jsonError(400, 'ThrottlingException', 'Rate exceeded') };
    case 'access-denied':
      return {
        kind: 'reply',
        reply: jsonError(
          400,
          'AccessDeniedException',
          `User: arn:aws:iam::123456789012:user/x is not authorized to perform: ${action} on resource: * ` +
            `because no identity-based policy allows the ${action} action`,
        ),
      };
    case 'server-error':
      return { kind: 'reply', reply: jsonError(500, 'ServerException', 'We encountered an internal error. Please try again.') };
    case 'http-503-html':
      // What a load balancer in front of the service sends: not JSON at all.
      return {
        kind: 'reply',
        reply: {
          status: 503,
          contentType: 'text/html',
          body: '<html><head><title>503 Service Temporarily Unavailable</title></head>' +
            '<body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>\n',
        },
      };
    case 'latency':
      return { kind: 'delay', ms: fault.delayMs ?? 0 };
    case 'malformed-token':
      return { kind: 'malformed-token' };
    case 'hang':
      return { kind: 'hang' };
    case 'reset':
      return { kind: 'reset' };
    case 'truncated-json':
      return { kind: 'truncated-json' };
    case 'malformed-json':
      return { kind: 'reply', reply: { status: 200, contentType: JSON_11, body: '<<< this is not JSON >>>' } };
  }
}

function jsonError(status: number, type: string, message: string): Reply {
  return { status, contentType: JSON_11, errorType: type, body: JSON.stringify({ __type: type, message }) };
}

function jsonOk(body: unknown): Reply {
  return { status: 200, contentType: JSON_11, body: JSON.stringify(body) };
}

/** The JSON protocol sends timestamps as epoch seconds, with a fractional part for milliseconds. */
function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

/** A 200 whose token decodes to text without the `user:password` colon. */
function malformedTokenBody(call: EcrCall, region: string, expiresAt: Date): unknown {
  const authorizationToken = Buffer.from('this-token-has-no-colon', 'utf8').toString('base64');
  if (call.service === 'ecr-public') return { authorizationData: { authorizationToken, expiresAt: epochSeconds(expiresAt) } };
  const registryIds = call.registryIds.length > 0 ? call.registryIds : [DEFAULT_REGISTRY_ID];
  return {
    authorizationData: registryIds.map((registryId) => ({
      authorizationToken,
      expiresAt: epochSeconds(expiresAt),
      proxyEndpoint: `https://${registryId}.dkr.ecr.${region}.amazonaws.com`,
    })),
  };
}

/**
 * A password shaped like ECR's: base64 of a JSON envelope with an opaque
 * payload and data key. It records who it was issued to (handy when a test
 * fails) and is padded with random bytes to a realistic size, so code that
 * mishandles long secrets fails here too. Base64 has no ':', so the password
 * survives `user:password` splitting.
 */
function makePassword(claims: {
  accessKeyId: string;
  registryId: string | null;
  region: string;
  service: EcrService;
  serial: number;
  expiration: number;
}): string {
  const envelope = {
    payload: '',
    datakey: randomBytes(184).toString('base64'),
    version: '2',
    type: 'DATA_KEY',
    expiration: claims.expiration,
    emulator: claims,
  };
  // base64 grows 4/3; size the random payload so the whole password lands near the target.
  const withoutPayload = Buffer.byteLength(JSON.stringify(envelope));
  const payloadChars = Math.max(0, Math.floor((PASSWORD_TARGET_LENGTH * 3) / 4) - withoutPayload);
  envelope.payload = randomBytes(Math.floor((payloadChars * 3) / 4)).toString('base64');
  return Buffer.from(JSON.stringify(envelope), 'utf8').toString('base64');
}
