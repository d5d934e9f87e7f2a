/**
 * Run inside a network namespace by netns.ts (`node netns-forwarder.js <unix socket>`): listens
 * on the namespace's 127.0.0.1, prints the port, and pipes every connection to the unix
 * socket, behind which the test process reaches its own loopback. Ends when its stdin closes
 * (the test process went away) or on SIGTERM. Does nothing when loaded any other way.
 */
import { createConnection, createServer } from 'node:net';

function main(socketPath: string): void {
  const server = createServer((inbound) => {
    const outbound = createConnection(socketPath);
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') process.exit(1);
    process.stdout.write(`${address.port}\n`);
  });
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

const socketPath = process.argv[2];
if (require.main === module && socketPath !== undefined) main(socketPath);
