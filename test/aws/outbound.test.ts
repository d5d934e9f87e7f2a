import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, get, request as httpRequest, type ClientRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { whenFirstOutbound, whenRequestStarts } from '../../src/aws/outbound';

describe('whenFirstOutbound', () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = createServer((_, response) => response.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => server.close());
  const request = (): Promise<void> =>
    new Promise((resolve, reject) => {
      get(url, (response) => response.resume().on('end', resolve)).on('error', reject);
    });

  it('tells once, at the first HTTP request', async () => {
    let told = 0;
    const stop = whenFirstOutbound(() => (told += 1));
    try {
      assert.equal(told, 0);
      await request();
      assert.equal(told, 1);
      await request();
      assert.equal(told, 1);
    } finally {
      stop();
    }
  });
  it('tells at the first process started (a credential_process)', async () => {
    let told = 0;
    const stop = whenFirstOutbound(() => (told += 1));
    try {
      await promisify(execFile)(process.execPath, ['-e', '0']);
      assert.equal(told, 1);
    } finally {
      stop();
    }
  });
  it('tells nothing once stopped', async () => {
    let told = 0;
    whenFirstOutbound(() => (told += 1))();
    await request();
    await promisify(execFile)(process.execPath, ['-e', '0']);
    assert.equal(told, 0);
  });

  it('tells when the request made from a shape starts, with that request, and for no other', async () => {
    const shape = { method: 'POST', headers: { 'x-amz-date': '20261202T000000Z', authorization: 'signature-one' } };
    const heard: ClientRequest[] = [];
    const stop = whenRequestStarts(shape, (started) => heard.push(started));
    const send = (headers: Record<string, string>): Promise<ClientRequest> =>
      new Promise((resolve, reject) => {
        const sent = httpRequest(url, { method: 'POST', headers }, (response) => response.resume().on('end', () => resolve(sent)));
        sent.on('error', reject).end('{}');
      });
    try {
      await send({ ...shape.headers, authorization: 'signature-two' });
      await request();
      assert.equal(heard.length, 0);
      const made = await send(shape.headers);
      await send(shape.headers);
      assert.deepEqual(heard, [made]);
    } finally {
      stop();
    }
  });
});
