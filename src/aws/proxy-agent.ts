/**
 * The HTTP agents that take the AWS API calls (ECR, ECR Public, STS, SSO, SSO-OIDC) through the
 * proxy that proxy.ts chooses per target: an https target through a CONNECT tunnel, an http
 * target as an absolute-form request to the proxy, anything else straight to the target. Made
 * only when a proxy variable is set, on a miss; a cache hit never loads this module.
 *
 * Our own rather than a library's: the choice of proxy must follow Go's rules (proxy.ts), the
 * tunnel is Node's own CONNECT support plus `tls.connect`, and a proxy's refusal must become one
 * line that names the proxy but never its password.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { Environment } from '../config/settings';
import { afterTimeLimit } from './time-limit';
import { MetadataAgent } from './metadata-agent';
import { decideProxy, readProxySettings, type Proxy, type ProxySettings, type ProxyTarget, type TargetProtocol } from './proxy';

/** A proxy that is unusable, unreachable, or refused the call: the message names it, never its credentials. */
export class ProxyError extends Error {
  override readonly name = 'ProxyError';
}

export interface ProxyAgents {
  readonly httpAgent: http.Agent;
  readonly httpsAgent: https.Agent;
}

/** Agents for the SDK's request handler (`httpAgent`, `httpsAgent`). */
function proxyAgents(settings: ProxySettings, connectTimeoutMs: number, ca: string | undefined): ProxyAgents {
  const trust = ca === undefined ? {} : { ca };
  return { httpAgent: new ForwardingAgent(settings, trust), httpsAgent: new TunnellingAgent(settings, connectTimeoutMs, trust) };
}

type ConnectionCallback = (error: Error | null, stream: Duplex) => void;

/** A failed connection: Node's agent takes the error alone, which its type does not say. */
function fail(callback: ConnectionCallback | undefined, error: Error): void {
  (callback as ((error: Error) => void) | undefined)?.(error);
}

function targetOf(protocol: TargetProtocol, options: http.ClientRequestArgs): ProxyTarget {
  const host = options.host ?? options.hostname ?? 'localhost';
  return { protocol, host: host.replace(/^\[(.*)\]$/, '$1'), port: Number(options.port ?? (protocol === 'https:' ? 443 : 80)) };
}

/** `host:port` as a request line and a Host header write it (IPv6 in brackets). */
function authorityOf(target: { host: string; port: number }): string {
  return `${isIP(target.host) === 6 ? `[${target.host}]` : target.host}:${target.port}`;
}

/** https targets: a CONNECT tunnel through the proxy, then TLS with the target inside it. */
class TunnellingAgent extends https.Agent {
  constructor(
    private readonly settings: ProxySettings,
    private readonly connectTimeoutMs: number,
    private readonly trust: { readonly ca?: string },
  ) {
    super({ keepAlive: true, ...trust });
  }

  override createConnection(options: http.ClientRequestArgs, callback?: ConnectionCallback): Duplex | null | undefined {
    const target = targetOf('https:', options);
    const decision = decideProxy(this.settings, target);
    if (decision.kind === 'direct') return super.createConnection(options, callback);
    if (decision.kind === 'unusable') {
      process.nextTick(() => fail(callback, new ProxyError(decision.setting.problem)));
      return undefined;
    }
    openTunnel(decision.proxy, target, this.connectTimeoutMs, this.trust).then(
      (socket) => {
        const servername = (options as tls.ConnectionOptions).servername ?? (isIP(target.host) === 0 ? target.host : undefined);
        callback?.(null, tls.connect({ ...(options as tls.ConnectionOptions), socket, ...(servername === undefined ? {} : { servername }) }));
      },
      (error: Error) => fail(callback, error),
    );
    return undefined;
  }
}

function openTunnel(proxy: Proxy, target: ProxyTarget, timeoutMs: number, trust: { readonly ca?: string }): Promise<Duplex> {
  const authority = authorityOf(target);
  return new Promise((resolve, reject) => {
    const request = connectionTo(proxy).request({
      host: proxy.host,
      port: proxy.port,
      method: 'CONNECT',
      path: authority,
      agent: false,
      headers: { host: authority, ...(proxy.authorization === undefined ? {} : { 'proxy-authorization': proxy.authorization }) },
      ...proxyServerName(proxy),
      ...(proxy.protocol === 'https:' ? trust : {}),
    });
    const cancelTimeLimit = afterTimeLimit(timeoutMs, () =>
      request.destroy(new ProxyError(`the proxy ${proxy.display} (${proxy.variable}) did not answer within ${timeoutMs / 1000} s`)),
    );
    // Node hands any answer to CONNECT, 200 or not, to 'connect' with the raw socket.
    request.once('connect', (response: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      cancelTimeLimit();
      if (response.statusCode === 200) {
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
        return;
      }
      socket.destroy();
      reject(new ProxyError(refusal(proxy, authority, response)));
    });
    request.once('error', (error: Error) => {
      cancelTimeLimit();
      reject(error instanceof ProxyError ? error : unreachable(proxy, error));
    });
    request.end();
  });
}

function refusal(proxy: Proxy, authority: string, response: http.IncomingMessage): string {
  const status = `HTTP ${response.statusCode ?? '?'}${response.statusMessage ? ` ${response.statusMessage}` : ''}`;
  const which = `the proxy ${proxy.display} (${proxy.variable})`;
  if (response.statusCode === 407) {
    return proxy.authorization === undefined
      ? `${which} wants a user name and password (${status}): put them in the proxy URL, http://user:password@host:port`
      : `${which} refused the user name and password in its URL (${status})`;
  }
  return `${which} would not connect to ${authority} (${status})`;
}

const SOCKET_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'name lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/**
 * The proxy could not be reached. Marked retryable for the SDK (as its own network errors are),
 * and worded without the error code, so that the message keeps saying it was the proxy.
 */
function unreachable(proxy: Proxy, error: Error): ProxyError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = (code === undefined ? undefined : SOCKET_FAILURES[code]) ?? error.message;
  return Object.assign(new ProxyError(`cannot connect to the proxy ${proxy.display} (${proxy.variable}): ${reason}`), { $retryable: {} });
}

function connectionTo(proxy: Proxy): typeof http | typeof https {
  return proxy.protocol === 'https:' ? https : http;
}

function proxyServerName(proxy: Proxy): { servername?: string } {
  return proxy.protocol === 'https:' && isIP(proxy.host) === 0 ? { servername: proxy.host } : {};
}

type AddRequest = (this: http.Agent, request: http.ClientRequest, options: http.ClientRequestArgs) => void;
const addRequest = (http.Agent.prototype as unknown as { addRequest: AddRequest }).addRequest;

/** Set on the options of a connection to an https proxy (for an http target). */
const TLS_TO_PROXY = Symbol('tls to the proxy');

/** http targets: the request in absolute form (`POST http://host:port/ HTTP/1.1`) to the proxy. */
class ForwardingAgent extends http.Agent {
  constructor(
    private readonly settings: ProxySettings,
    trust: { readonly ca?: string },
  ) {
    // The options reach createConnection: `ca` for TLS to an https:// proxy.
    super({ keepAlive: true, ...trust });
  }

  // Node's (undocumented but stable) hook between a request and its socket: the one place where
  // the request line can still be rewritten and the connection sent elsewhere.
  addRequest(request: http.ClientRequest, options: http.ClientRequestArgs): void {
    const target = targetOf('http:', options);
    const decision = decideProxy(this.settings, target);
    if (decision.kind === 'direct') {
      addRequest.call(this, request, options);
      return;
    }
    if (decision.kind === 'unusable') {
      process.nextTick(() => request.destroy(new ProxyError(decision.setting.problem)));
      return;
    }
    const { proxy } = decision;
    request.path = `http://${authorityOf(target)}${request.path}`;
    if (proxy.authorization !== undefined) request.setHeader('proxy-authorization', proxy.authorization);
    const toProxy = { ...options, host: proxy.host, port: proxy.port, ...proxyServerName(proxy) };
    addRequest.call(this, request, proxy.protocol === 'https:' ? { ...toProxy, [TLS_TO_PROXY]: true } : toProxy);
  }

  override createConnection(options: http.ClientRequestArgs, callback?: ConnectionCallback): Duplex | null | undefined {
    if ((options as { [TLS_TO_PROXY]?: boolean })[TLS_TO_PROXY]) return tls.connect(options as tls.ConnectionOptions);
    return super.createConnection(options, callback);
  }
}

/**
 * The agents for an environment's proxy variables, trusting `ca` (AWS_CA_BUNDLE) instead of
 * Node's list when given; none (the SDK's own) when no proxy is set.
 */
export function proxyAgentsFor(env: Environment, connectTimeoutMs: number, ca?: string): Partial<ProxyAgents> {
  const settings = readProxySettings(env);
  return settings === undefined ? {} : proxyAgents(settings, connectTimeoutMs, ca);
}

/**
 * The SDK reaches EC2 instance metadata and the container credentials endpoint with a bare
 * `http.request`, so through Node's global agent, which NODE_USE_ENV_PROXY=1 (Node 22.21+ and
 * 24.5+) sends to HTTP_PROXY. Those endpoints must never go through a proxy, whose own metadata
 * would answer (docs/SPEC.md section 7): this process gets a global agent that goes direct,
 * and whose sockets judge their timeout after the answer at hand (metadata-agent.ts).
 */
export function keepMetadataDirect(): void {
  http.globalAgent = new MetadataAgent({ keepAlive: true });
}
