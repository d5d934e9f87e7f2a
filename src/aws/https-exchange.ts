/**
 * One HTTP(S) request and its whole answer, within the limits the SDK's attempts have here
 * (fetch-token.ts, NETWORK_LIMITS): a connection within `connectionTimeoutMs`, an answer within
 * `requestTimeoutMs` of the request's start, counted again once it is all sent, as
 * request-handler.ts counts the SDK's. No keep-alive: the helper makes one call and exits.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import { unbracket } from './proxy';
import { afterTimeLimit } from './time-limit';

export interface HttpAnswer {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** The local time the answer came. */
  readonly receivedAt: number;
}

export interface Exchange {
  readonly url: URL;
  readonly method: string;
  /** As it goes on the wire (signed as such). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** PEM text of the CAs to trust instead of Node's, from AWS_CA_BUNDLE. */
  readonly ca?: string;
}

export interface ExchangeLimits {
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/** The name and code the SDK's handler gives its timeouts, which errors.ts words. */
function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError', code: 'ETIMEDOUT' });
}

export function exchange(request: Exchange, limits: ExchangeLimits, now: () => number = Date.now): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const secure = request.url.protocol === 'https:';
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const transport = (secure ? require('node:https') : require('node:http')) as typeof import('node:https');
    let settled = false;
    let cancelAnswer = (): void => undefined;
    let cancelConnect = (): void => undefined;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      cancelAnswer();
      cancelConnect();
      outgoing.destroy();
      reject(error);
    };
    const armAnswerLimit = (): void => {
      cancelAnswer();
      cancelAnswer = afterTimeLimit(limits.requestTimeoutMs, () => fail(timeoutError(`no answer within ${limits.requestTimeoutMs} ms`)));
    };
    const outgoing: ClientRequest = transport.request(
      {
        protocol: request.url.protocol,
        hostname: unbracket(request.url.hostname),
        port: request.url.port === '' ? undefined : Number(request.url.port),
        method: request.method,
        path: request.path,
        headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
        agent: false,
        ...(secure && request.ca !== undefined ? { ca: request.ca } : {}),
      },
      (incoming: IncomingMessage) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', fail);
        incoming.on('end', () => {
          if (settled) return;
          settled = true;
          cancelAnswer();
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: now() });
        });
      },
    );
    armAnswerLimit();
    outgoing.once('finish', armAnswerLimit);
    // No agent: the socket is always a new one, still connecting.
    outgoing.once('socket', (socket) => {
      cancelConnect = afterTimeLimit(limits.connectionTimeoutMs, () =>
        fail(timeoutError(`Socket timed out without establishing a connection within ${limits.connectionTimeoutMs} ms`)),
      );
      socket.once(secure ? 'secureConnect' : 'connect', () => cancelConnect());
    });
    outgoing.on('error', fail);
    outgoing.end(request.body);
  });
}
