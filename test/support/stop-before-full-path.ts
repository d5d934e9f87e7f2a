/**
 * Loaded into a helper run with `NODE_OPTIONS=--require <this file>`: the process stops itself
 * (SIGSTOP) as it is about to load the full command line, once the fast path has declined, and
 * goes on when the test sends SIGCONT. A test sees what the fast path left behind at that moment,
 * as a helper starved of CPU there would leave it.
 */
import Module from 'node:module';

const FULL_COMMAND_LINE = /docker-credential-ecr-login-full-loader\.js$/;
const original = Module.prototype.require;
let stopped = false;
Module.prototype.require = function require(this: Module, id: string) {
  if (!stopped && FULL_COMMAND_LINE.test(id)) {
    stopped = true;
    process.kill(process.pid, 'SIGSTOP');
  }
  return original.call(this, id) as unknown;
} as typeof original;
