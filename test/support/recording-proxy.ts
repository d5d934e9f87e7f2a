/**
 * A loopback HTTP proxy for tests, recording everything that passed through it: CONNECT tunnels
 * (for https targets) and absolute-form requests (a forward proxy, for http targets). It
 * resolves no name: each `host:port` a test wants reachable is routed to a port on 127.0.0.1,
 * and anything else is answered 502, so nothing ever leaves loopback through it.
 *
 * An https target needs TLS at the end of the tunnel: `startTlsFront` puts a TLS server (with a
 * certificate from tls.ts) in front of a plain-HTTP emulator.
 */
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import type { TlsFiles } from './tls';

/** One request the proxy received, in arrival order. */
export interface ProxiedRequest {
  /** `CONNECT`, or the method of a forwarded request. */
  readonly method: string;
  /** `host:port` of a CONNECT; the absolute URL of a forwarded request. */
  readonly target: string;
  /** The `Proxy-Authorization` header as sent, if any. */
  readonly proxyAuthorization?: string;
  /** What the proxy answered: 200 for an open tunnel, the upstream's status when forwarded. */
  status: number;
}

export interface RecordingProxyOptions {
  /** `host:port` → a port on 127.0.0.1. */
  readonly routes: Readonly<Record<string, number>>;
  /** Basic credentials the proxy demands (407 without them, or with others). */
  readonly credentials?: { readonly user: string; readonly password: string };
  /** Speak TLS to clients (an `https://` proxy) with this certificate. */
  readonly tls?: TlsFiles;
}

export interface RecordingProxy {
  /** `http://127.0.0.1:<port>`, or `https://localhost:<port>` for a TLS proxy. */
  readonly url: string;
  readonly port: number;
  readonly requests: ProxiedRequest[];
  reset(): void;
  close(): Promise<void>;
}

export async function startRecordingProxy(options: RecordingProxyOptions): Promise<RecordingProxy> {
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const expected =
    options.credentials === undefined ? undefined : `Basic ${Buffer.from(`${options.credentials.user}:${options.credentials.password}`).toString('base64')}`;
  const record = (req: IncomingMessage, target: string): ProxiedRequest => {
    const header = req.headers['proxy-authorization'];
    const entry: ProxiedRequest = { method: req.method ?? '', target, status: 0, ...(header === undefined ? {} : { proxyAuthorization: header }) };
    requests.push(entry);
    return entry;
  };
  const authorized = (req: IncomingMessage): boolean => expected === undefined || req.headers['proxy-authorization'] === expected;

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '';
    const entry = record(req, url);
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      entry.status = 400;
      res.writeHead(400).end('not a proxy request');
      return;
    }
    if (!authorized(req)) {
      entry.status = 407;
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test proxy"' }).end();
      return;
    }
    const port = options.routes[`${target.hostname}:${target.port || '80'}`];
    if (port === undefined) {
      entry.status = 502;
      res.writeHead(502).end(`no route to ${target.host}`);
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = httpRequest({ host: '127.0.0.1', port, method: req.method, path: `${target.pathname}${target.search}`, headers }, (answer) => {
      entry.status = answer.statusCode ?? 0;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  const server: Server =
    options.tls === undefined
      ? createHttpServer(handler)
      : createHttpsServer({ cert: readFileSync(options.tls.serverCert), key: readFileSync(options.tls.serverKey) }, handler);

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const target = req.url ?? '';
    const entry = record(req, target);
    const answer = (status: number, reason: string, extra = ''): void => {
      entry.status = status;
      client.end(`HTTP/1.1 ${status} ${reason}\r\n${extra}content-length: 0\r\n\r\n`);
    };
    if (!authorized(req)) {
      answer(407, 'Proxy Authentication Required', 'proxy-authenticate: Basic realm="test proxy"\r\n');
      return;
    }
    const port = options.routes[target];
    if (port === undefined) {
      answer(502, 'Bad Gateway');
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port }, () => {
      entry.status = 200;
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
  });
  server.on(options.tls === undefined ? 'connection' : 'secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: options.tls === undefined ? `http://127.0.0.1:${port}` : `https://localhost:${port}`,
    port,
    requests,
    reset: () => void (requests.length = 0),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface TlsFront {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A TLS server on 127.0.0.1 (on `listenPort`, else any free port) that passes the decrypted
 * stream to `127.0.0.1:<targetPort>`.
 */
export async function startTlsFront(targetPort: number, files: TlsFiles, listenPort = 0): Promise<TlsFront> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createTlsServer({ cert: readFileSync(files.serverCert), key: readFileSync(files.serverKey) }, (clear) => {
    track(clear);
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    track(upstream);
    clear.pipe(upstream).pipe(clear);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
