/**
 * The one request the helper sends itself (src/aws/https-exchange.ts): its whole answer, and the
 * limits of an SDK attempt here, each ending in the TimeoutError the SDK's handler would give.
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { exchange } from '../../src/aws/https-exchange';

const servers: Array<{ close(): unknown }> = [];
const sockets: Socket[] = [];
after(() => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers) server.close();
});

async function listening(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const LIMITS = { connectionTimeoutMs: 300, requestTimeoutMs: 400 };

describe('exchange', () => {
  it('sends the method, path, headers and body, and gives the whole answer with the time it came', async () => {
    const seen: Array<{ method?: string; url?: string; target?: string; length?: string; body: string }> = [];
    const port = await listening(
      createHttpServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          seen.push({ method: req.method, url: req.url, target: req.headers['x-amz-target'] as string, length: req.headers['content-length'], body });
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ThrottlingException' });
          res.end('{"message":"Rate exceeded"}');
        });
      }),
    );
    const answer = await exchange(
      { url: new URL(`http://127.0.0.1:${port}`), method: 'POST', path: '/', headers: { 'x-amz-target': 'T.Op' }, body: '{"registryIds":["1"]}' },
      LIMITS,
      () => 42,
    );
    assert.deepEqual(seen, [{ method: 'POST', url: '/', target: 'T.Op', length: '21', body: '{"registryIds":["1"]}' }]);
    assert.deepEqual([answer.status, answer.headers['x-amzn-errortype'], answer.body, answer.receivedAt], [400, 'ThrottlingException', '{"message":"Rate exceeded"}', 42]);
  });

  it('gives up on a connection that never completes its TLS handshake', async () => {
    const port = await listening(createTcpServer((socket) => void sockets.push(socket)));
    await assert.rejects(exchange({ url: new URL(`https://127.0.0.1:${port}`), method: 'POST', path: '/', headers: {}, body: '{}' }, LIMITS), {
      name: 'TimeoutError',
      code: 'ETIMEDOUT',
      message: 'Socket timed out without establishing a connection within 300 ms',
    });
  });

  it('gives up on a server that takes the request and never answers', async () => {
    const port = await listening(createHttpServer((req) => void sockets.push(req.socket)));
    await assert.rejects(exchange({ url: new URL(`http://127.0.0.1:${port}`), method: 'POST', path: '/', headers: {}, body: '{}' }, LIMITS), {
      name: 'TimeoutError',
      code: 'ETIMEDOUT',
      message: 'no answer within 400 ms',
    });
  });

  it('passes on what the network said', async () => {
    const port = await listening(createTcpServer((socket) => socket.resetAndDestroy()));
    await assert.rejects(exchange({ url: new URL(`http://127.0.0.1:${port}`), method: 'POST', path: '/', headers: {}, body: '{}' }, LIMITS), { code: 'ECONNRESET' });
  });
});
