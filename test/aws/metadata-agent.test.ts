/**
 * The agent of the metadata endpoints (src/aws/metadata-agent.ts): requests with a socket
 * timeout, as the SDK's instance metadata provider makes them, against a server on loopback.
 */
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { MetadataAgent } from '../../src/aws/metadata-agent';
import { blockEventLoop } from '../support/event-loop';

/** A GET through a MetadataAgent with the SDK's kind of timeout: its body, or 'timeout'. */
async function getThroughAgent(onRequest: (req: IncomingMessage, res: ServerResponse) => void, timeoutMs: number): Promise<string> {
  const server = http.createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new MetadataAgent({ keepAlive: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/latest/api/token', method: 'PUT', timeout: timeoutMs, agent });
      req.on('timeout', () => {
        resolve('timeout');
        req.destroy();
      });
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      });
      req.end();
    });
  } finally {
    agent.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A timeout within which a server in this process surely reads the request, and a starved spell past it. */
const TIMEOUT_MS = 2_000;
const STARVED_MS = 3_000;

describe('MetadataAgent', () => {
  it('takes an answer that came in time in a process starved past the socket timeout', async () => {
    // The server answers, then the process is blocked past the timeout, as a starved helper is:
    // Node's idle timer is due before the answer in the socket is read. The timeout is generous
    // so that the server, in this same process, gets the request within it however loaded the
    // machine; the block is longer still.
    const body = await getThroughAgent((_req, res) => {
      res.end('the token');
      blockEventLoop(STARVED_MS);
    }, TIMEOUT_MS);
    assert.equal(body, 'the token');
  });

  it('still times out a server that stays silent', async () => {
    assert.equal(await getThroughAgent(() => undefined, 100), 'timeout');
  });

  it('answers as any agent does when nothing is starved', async () => {
    assert.equal(await getThroughAgent((_req, res) => res.end('the token'), 5_000), 'the token');
  });
});
