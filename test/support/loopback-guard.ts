/**
 * Loaded into a helper run with `NODE_OPTIONS=--require <this file>` and
 * `ECR_LOGIN_TEST_LOOPBACK_GUARD=<file>`: every TCP connection to a host that is not loopback
 * is refused before any DNS lookup or byte is sent, and the host is appended to <file> (one a
 * line). A test reads the file to prove that a run stayed on loopback, or to see where the SDK
 * would have gone (the SSO portal of the right region, say) without going there.
 */
import { appendFileSync } from 'node:fs';
import net from 'node:net';

const record = process.env.ECR_LOGIN_TEST_LOOPBACK_GUARD;

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

if (record) {
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]): net.Socket {
    let first = args[0];
    if (Array.isArray(first)) first = first[0]; // net's internal normalized form
    let host: string | undefined;
    let isPipe = false;
    if (first !== null && typeof first === 'object') {
      const options = first as { host?: string; hostname?: string; path?: string | null };
      if (options.path) isPipe = true;
      host = options.host ?? options.hostname;
    } else if (typeof first === 'string' && !/^\d+$/.test(first)) {
      isPipe = true;
    } else if (typeof args[1] === 'string') {
      host = args[1];
    }
    const target = host ?? 'localhost';
    if (!isPipe && !isLoopback(target)) {
      appendFileSync(record, `${target}\n`);
      const error = Object.assign(new Error(`loopback guard: refused connection to ${target}`), { code: 'ELOOPBACKGUARD' });
      process.nextTick(() => this.destroy(error));
      return this;
    }
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof original;
}
