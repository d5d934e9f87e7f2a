/**
 * Refuses every TCP connection to a host that is not loopback, before any DNS lookup or byte
 * is sent, and reports the host it refused. Two uses:
 *  - loaded into a helper run with `NODE_OPTIONS=--require <this file>` and
 *    `ECR_LOGIN_TEST_LOOPBACK_GUARD=<file>`: refused hosts are appended to <file>, one a line,
 *    so a test can prove a run stayed on loopback, or see where the SDK would have gone (the
 *    SSO portal of the right region, say) without going there;
 *  - `installLoopbackGuard(onRefused)` in a test process or a child it starts.
 */
import { appendFileSync } from 'node:fs';
import net from 'node:net';

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

let installed = false;
const listeners: Array<(host: string) => void> = [];

export function installLoopbackGuard(onRefused: (host: string) => void): void {
  listeners.push(onRefused);
  if (installed) return;
  installed = true;
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]): net.Socket {
    let first = args[0];
    if (Array.isArray(first)) first = first[0]; // net's internal normalized form
    let host: string | undefined;
    let isPipe = false;
    if (first !== null && typeof first === 'object') {
      const options = first as { host?: string; hostname?: string; path?: string | null };
      if (options.path) isPipe = true; // as net decides: a truthy `path` means an IPC socket
      host = options.host ?? options.hostname;
    } else if (typeof first === 'string' && !/^\d+$/.test(first)) {
      isPipe = true;
    } else if (typeof args[1] === 'string') {
      host = args[1];
    }
    const target = host ?? 'localhost';
    if (!isPipe && !isLoopback(target)) {
      for (const listener of listeners) listener(target);
      const error = Object.assign(new Error(`loopback guard: refused connection to ${target}`), { code: 'ELOOPBACKGUARD' });
      process.nextTick(() => this.destroy(error));
      return this;
    }
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof original;
}

const record = process.env.ECR_LOGIN_TEST_LOOPBACK_GUARD;
if (record) installLoopbackGuard((host) => appendFileSync(record, `${host}\n`));
