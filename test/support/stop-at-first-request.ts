/**
 * Loaded into a helper run with `NODE_OPTIONS=--require <this file>`: the process stops itself
 * (SIGSTOP) as its first HTTP request starts, before the helper's own listeners hear of it, and
 * goes on when the test sends SIGCONT. That is a helper starved of CPU between the start of its
 * AWS call and its first request, placed exactly.
 */
import { subscribe } from 'node:diagnostics_channel';

let stopped = false;
// Subscribed for good: leaving the channel while it publishes could skip the helper's listener.
subscribe('http.client.request.start', () => {
  if (stopped) return;
  stopped = true;
  process.kill(process.pid, 'SIGSTOP');
});
