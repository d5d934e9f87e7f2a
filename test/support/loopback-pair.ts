import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** A connected loopback pair: what the server side writes is in the client's socket at once. */
export async function loopbackPair(): Promise<{ client: Socket; serverSide: Socket; close: () => void }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const serverSide = await accepted;
  return {
    client,
    serverSide,
    close: () => {
      client.destroy();
      serverSide.destroy();
      server.close();
    },
  };
}
