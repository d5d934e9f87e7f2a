/**
 * The SDK's HTTP handler with each attempt's limit judged after the I/O at hand
 * (src/aws/request-handler.ts), against a plain HTTP server on loopback.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { timeLimitedRequestHandler, type RequestHandler } from '../../src/aws/request-handler';
import { blockEventLoop, until } from '../support/event-loop';

type HandledRequest = Parameters<RequestHandler['handle']>[0];

/** A server that hands each request to `onRequest`; its port, the requests' closings, and close. */
async function serving(onRequest: (req: IncomingMessage, res: ServerResponse) => void) {
  const closed: string[] = [];
  const server: Server = createServer((req, res) => {
    req.socket.once('close', () => closed.push(req.url ?? ''));
    onRequest(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    request: (path: string) => ({ protocol: 'http:', hostname: '127.0.0.1', port, method: 'POST', path, headers: { host: `127.0.0.1:${port}` }, query: {}, body: '{}' }) as unknown as HandledRequest,
    closed,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** `use` given a handler of that limit and a server answering with `onRequest`; both closed after. */
async function withHandler(
  onRequest: (req: IncomingMessage, res: ServerResponse) => void,
  limitMs: number,
  use: (handler: RequestHandler, server: Awaited<ReturnType<typeof serving>>) => Promise<void>,
): Promise<void> {
  const server = await serving(onRequest);
  const handler = timeLimitedRequestHandler({}, limitMs);
  try {
    await use(handler, server);
  } finally {
    handler.destroy();
    await server.close();
  }
}

/**
 * For the starved cases: a limit within which the server, in this same process, surely answers a
 * request however loaded the machine, and a starved spell past it.
 */
const LIMIT_MS = 2_000;
const STARVED_MS = 3_000;

describe('timeLimitedRequestHandler', () => {
  it('gives the answer that comes within the limit', () =>
    withHandler((_req, res) => res.end('{"ok":true}'), 5_000, async (handler, server) => {
      const { response } = await handler.handle(server.request('/fast'));
      assert.equal(response.statusCode, 200);
    }));

  it('ends a silent attempt with a TimeoutError the SDK retries, and closes its connection', () =>
    withHandler(() => undefined, 200, async (handler, server) => {
      await assert.rejects(handler.handle(server.request('/silent')), (error: Error & { code?: string }) => {
        assert.equal(error.name, 'TimeoutError');
        assert.equal(error.code, 'ETIMEDOUT');
        return true;
      });
      await until(() => server.closed.includes('/silent'), 'the connection was closed', 5_000);
    }));

  it('takes an answer that came in time in a process starved past the limit', () =>
    // The server answers, then the process is blocked past the limit, as a starved helper is:
    // the limit's timer is due before the answer in the socket is read.
    withHandler(
      (_req, res) => {
        res.end('{"ok":true}');
        blockEventLoop(STARVED_MS);
      },
      LIMIT_MS,
      async (handler, server) => {
        const { response } = await handler.handle(server.request('/starved'));
        assert.equal(response.statusCode, 200);
      },
    ));

  it('counts the limit from when the request is sent: a process starved before it sends is answered', () =>
    withHandler((_req, res) => res.end('{"ok":true}'), LIMIT_MS, async (handler, server) => {
      // Subscribed before the handler's own listener: the process is blocked past the limit after
      // the attempt began and before its request goes out, as a starved helper is.
      let blocked = false;
      const starve = (): void => {
        if (!blocked) blockEventLoop(STARVED_MS);
        blocked = true;
      };
      subscribe('http.client.request.start', starve);
      try {
        const { response } = await handler.handle(server.request('/starved-before-sending'));
        assert.equal(response.statusCode, 200);
        assert.equal(blocked, true);
      } finally {
        unsubscribe('http.client.request.start', starve);
      }
    }));

  it('stops when the caller aborts', () =>
    withHandler(() => undefined, 30_000, async (handler, server) => {
      const caller = new AbortController();
      const pending = handler.handle(server.request('/aborted'), { abortSignal: caller.signal });
      setTimeout(() => caller.abort(), 50);
      await assert.rejects(pending, { name: 'AbortError' });
    }));
});
