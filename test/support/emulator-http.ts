/**
 * Shared plumbing for the loopback emulators of AWS credential sources
 * (STS, IMDS, ECS container credentials, SSO portal).
 *
 * Each emulator is a plain `node:http` server on 127.0.0.1:<ephemeral port>
 * that records every request, can be told to misbehave (latency, 5xx, hang,
 * plus service-specific errors) and keeps a ledger of the credentials it
 * issued, so that a downstream emulator (ECR, or STS itself) can verify SigV4
 * signatures made with them.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Looks up the secret access key of an access key id; undefined when unknown. */
export type SecretLookup = (accessKeyId: string) => string | undefined;

/** Where an issued credential came from; also encoded in its access key id. */
export type CredentialSource = 'sts:AssumeRole' | 'sts:AssumeRoleWithWebIdentity' | 'imds' | 'ecs' | 'sso';

/** One credential handed out by an emulator. */
export interface IssuedCredential {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  source: CredentialSource;
  /** Role ARN (STS, ECS), role name (IMDS), or `<account>/<role>` (SSO). */
  detail: string;
  /** `Date.now()` at issue. */
  issuedAt: number;
}

/** One request received, in arrival order; rejected and faulted ones included. */
export interface EmulatorCall {
  /** 1-based arrival number on this emulator. */
  seq: number;
  /** `Date.now()` when the request arrived. */
  at: number;
  method: string;
  /** Request target as received (path and query). */
  url: string;
  /** Emulator-specific operation name, e.g. `AssumeRole`, `GetToken`, `GetRoleCredentials`. */
  operation: string;
  /**
   * Who called: the SigV4 access key id as claimed, also when rejected (STS), the IMDS session token, the
   * `Authorization` header (ECS) or the SSO bearer token; undefined when none.
   */
  identity?: string;
  /** Request parameters of interest (RoleArn, RoleSessionName, role name, …). */
  params: Record<string, string>;
  /** HTTP status answered; 0 while unanswered (and forever for a `hang` fault). */
  status: number;
  /** Error code of an error answer (`AccessDenied`, `UnauthorizedException`, …). */
  errorCode?: string;
  /** The kind of fault that shaped this answer, when one did. */
  fault?: string;
  /** Milliseconds from arrival to the end of the answer; undefined while unanswered. */
  durationMs?: number;
}

/** Fault options common to every kind. */
export interface FaultScope {
  /** How many matching requests this fault applies to; default: every one until cleared. */
  times?: number;
  /** Only requests of this operation (see `EmulatorCall.operation`); default: all. */
  operation?: string;
}

/** Faults every emulator understands. */
export type BaseFault =
  | ({ kind: 'latency'; delayMs: number } & FaultScope)
  | ({ kind: 'server-error'; /** default 500 */ status?: number } & FaultScope)
  | ({ kind: 'hang' } & FaultScope);

/** The common surface of every credential emulator. */
export interface EmulatorBase<F, C extends EmulatorCall = EmulatorCall> {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order. */
  readonly calls: C[];
  /** Every credential issued, in issue order. */
  readonly issued: IssuedCredential[];
  /** Secret of a credential this emulator issued; undefined otherwise. */
  secretFor(accessKeyId: string): string | undefined;
  /** Calls `listener` for each credential issued from now on; returns an unsubscribe function. */
  onIssued(listener: (credential: IssuedCredential) => void): () => void;
  /**
   * Queues a fault. Per request, at most one `latency` fault and at most one
   * other fault are used, each the earliest-injected one that matches.
   */
  inject(fault: F): void;
  clearFaults(): void;
  /** Back to the freshly started state: clears calls, faults, issued credentials and per-service state. */
  reset(): void;
  /** Stops listening and destroys every open socket, hung ones included. */
  close(): Promise<void>;
}

/** An answer to send. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Recorded as the call's `errorCode`. */
  errorCode?: string;
}

/** What a handler sees of a request. */
export interface RequestContext {
  method: string;
  /** Request target as received. */
  rawUrl: string;
  /** Parsed against the emulator's own origin. */
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The call being recorded; handlers may fill in `identity`, `params`, … */
  call: EmulatorCall;
  /**
   * Takes (consumes one use of) the earliest-injected fault of one of `kinds`
   * that applies to this call's operation and satisfies `match`.
   */
  takeFault<K extends string>(kinds: readonly K[], match?: (fault: { kind: K } & FaultScope) => boolean): ({ kind: K } & FaultScope) | undefined;
}

interface QueuedFault {
  fault: { kind: string } & FaultScope;
  remaining: number;
}

/** Service hooks for `startEmulatorServer`. */
export interface ServiceDefinition {
  /** Operation name and initial params of a request, before any fault or auth. */
  classify(method: string, url: URL, headers: IncomingHttpHeaders, body: Buffer): { operation: string; params?: Record<string, string>; identity?: string };
  /** The normal answer (may itself consult service-specific faults via ctx.takeFault). */
  handle(ctx: RequestContext): Reply | Promise<Reply>;
  /** The answer for a `server-error` fault. */
  serverError(status: number, ctx: RequestContext): Reply;
  /** Called by `reset()` after the common state is cleared. */
  reset?(): void;
}

/** The common machinery behind each emulator; services wrap it. */
export class EmulatorServer {
  readonly calls: EmulatorCall[] = [];
  readonly issued: IssuedCredential[] = [];
  url = '';
  port = 0;
  private readonly faults: QueuedFault[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly secrets = new Map<string, IssuedCredential>();
  private readonly listeners = new Set<(credential: IssuedCredential) => void>();
  private readonly pendingTimers = new Set<NodeJS.Timeout>();
  private readonly server: Server;
  private seq = 0;
  private closed = false;

  constructor(private readonly service: ServiceDefinition) {
    this.server = createServer((req, res) => {
      this.onRequest(req, res).catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`emulator error: ${err instanceof Error ? err.stack : String(err)}`);
        } else {
          res.destroy();
        }
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
  }

  /** Records an issued credential and tells the listeners. */
  recordIssued(credential: IssuedCredential): IssuedCredential {
    this.issued.push(credential);
    this.secrets.set(credential.accessKeyId, credential);
    for (const listener of this.listeners) listener(credential);
    return credential;
  }

  issuedFor(accessKeyId: string): IssuedCredential | undefined {
    return this.secrets.get(accessKeyId);
  }

  secretFor(accessKeyId: string): string | undefined {
    return this.secrets.get(accessKeyId)?.secretAccessKey;
  }

  onIssued(listener: (credential: IssuedCredential) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  inject(fault: { kind: string } & FaultScope): void {
    const times = fault.times ?? Infinity;
    if (!(times > 0)) throw new Error(`fault.times must be positive, got ${String(fault.times)}`);
    this.faults.push({ fault: { ...fault }, remaining: times });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  reset(): void {
    this.calls.length = 0;
    this.issued.length = 0;
    this.secrets.clear();
    this.faults.length = 0;
    this.seq = 0;
    this.service.reset?.();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.pendingTimers) clearTimeout(timer);
    this.pendingTimers.clear();
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closing;
  }

  private take<K extends string>(
    call: EmulatorCall,
    kinds: readonly K[],
    match?: (fault: { kind: K } & FaultScope) => boolean,
  ): ({ kind: K } & FaultScope) | undefined {
    for (let i = 0; i < this.faults.length; i++) {
      const queued = this.faults[i]!;
      const fault = queued.fault as { kind: K } & FaultScope;
      if (!kinds.includes(fault.kind)) continue;
      if (fault.operation !== undefined && fault.operation !== call.operation) continue;
      if (match && !match(fault)) continue;
      queued.remaining -= 1;
      if (queued.remaining <= 0) this.faults.splice(i, 1);
      return fault;
    }
    return undefined;
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingTimers.delete(timer);
        resolve();
      }, ms);
      this.pendingTimers.add(timer);
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = Date.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const url = new URL(rawUrl, this.url || 'http://127.0.0.1');
    const classified = this.service.classify(method, url, req.headers, body);
    const call: EmulatorCall = {
      seq: ++this.seq,
      at: arrivedAt,
      method,
      url: rawUrl,
      operation: classified.operation,
      params: { ...(classified.params ?? {}) },
      status: 0,
    };
    if (classified.identity !== undefined) call.identity = classified.identity;
    this.calls.push(call);

    const ctx: RequestContext = {
      method,
      rawUrl,
      url,
      headers: req.headers,
      body,
      call,
      takeFault: (kinds, match) => this.take(call, kinds, match),
    };

    const latency = this.take(call, ['latency'] as const) as ({ kind: 'latency'; delayMs?: number } & FaultScope) | undefined;
    if (latency) {
      call.fault = 'latency';
      await this.delay(latency.delayMs ?? 0);
      if (this.closed || res.destroyed) return;
    }

    const outcome = this.take(call, ['server-error', 'hang'] as const) as ({ kind: 'server-error' | 'hang'; status?: number } & FaultScope) | undefined;
    let reply: Reply;
    if (outcome?.kind === 'hang') {
      call.fault = 'hang';
      // Never answer; close() destroys the socket.
      return;
    } else if (outcome?.kind === 'server-error') {
      call.fault = 'server-error';
      reply = this.service.serverError(outcome.status ?? 500, ctx);
    } else {
      reply = await this.service.handle(ctx);
    }
    if (this.closed || res.destroyed) return;
    call.status = reply.status;
    if (reply.errorCode !== undefined) call.errorCode = reply.errorCode;
    res.on('finish', () => {
      call.durationMs = Date.now() - arrivedAt;
    });
    send(res, reply);
  }
}

function send(res: ServerResponse, reply: Reply): void {
  const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(reply.body, 'utf8');
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(body.length) });
  res.end(body);
}

/** Starts a service on 127.0.0.1:0. */
/**
 * An emulator's public face: the members every emulator shares, delegated to its server, and
 * the emulator's own `extras`. Property descriptors are copied, so getters in `extras` stay live.
 */
export function exposeEmulator<E extends EmulatorBase<never>>(server: EmulatorServer, extras: Omit<E, keyof EmulatorBase<never>>): E {
  const base: EmulatorBase<{ kind: string } & FaultScope> = {
    get url() {
      return server.url;
    },
    get port() {
      return server.port;
    },
    calls: server.calls,
    issued: server.issued,
    secretFor: (id) => server.secretFor(id),
    onIssued: (listener) => server.onIssued(listener),
    inject: (fault) => server.inject(fault),
    clearFaults: () => server.clearFaults(),
    reset: () => server.reset(),
    close: () => server.close(),
  };
  return Object.defineProperties(base, Object.getOwnPropertyDescriptors(extras)) as unknown as E;
}

/** An AWS REST-JSON error: the type in `x-amzn-errortype`, the body as the service words it. */
export function restJsonError(status: number, type: string, body: object): Reply {
  return {
    status,
    errorCode: type,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': type },
    body: JSON.stringify(body),
  };
}

export async function startEmulatorServer(service: ServiceDefinition): Promise<EmulatorServer> {
  const server = new EmulatorServer(service);
  await server.listen();
  return server;
}

/** Combines secret lookups; the first that knows the key wins. */
export function chainSecretLookups(...lookups: Array<SecretLookup | undefined>): SecretLookup {
  return (accessKeyId) => {
    for (const lookup of lookups) {
      const secret = lookup?.(accessKeyId);
      if (secret !== undefined) return secret;
    }
    return undefined;
  };
}

/**
 * An access key id naming its source: `prefix` + up to 8 upper-case letters
 * and digits taken from `hint` (e.g. a role name) + a 3-character counter.
 * E.g. `ASIASTSASSUMED` + `ECRPULLE` + `001`.
 */
export function sourceNamedAccessKeyId(prefix: string, hint: string, counter: number): string {
  const suffix = hint.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 8);
  return `${prefix}${suffix}${counter.toString(36).toUpperCase().padStart(3, '0')}`;
}

/** A 40-character secret access key. */
export function randomSecret(): string {
  return randomBytes(30).toString('base64').replace(/[+/]/g, 'x');
}

/** A session token that also names its source. */
export function sessionTokenFor(source: string): string {
  return `Emulated/${source}/${randomBytes(24).toString('base64')}`;
}

/** ISO 8601 UTC without milliseconds, as AWS credential endpoints write it: `2024-01-01T00:00:00Z`. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Role name of an IAM role ARN (`arn:aws:iam::123:role/path/name` → `name`). */
export function roleNameOf(roleArn: string): string {
  const resource = roleArn.split(':').slice(5).join(':');
  const parts = resource.split('/');
  return parts[parts.length - 1] || roleArn;
}

/** Account id of an ARN, or undefined. */
export function accountOf(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account ? account : undefined;
}
