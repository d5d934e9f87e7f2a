/**
 * The AWS SDK's Node HTTP handler, with the time limit of each attempt judged after the I/O at
 * hand (time-limit.ts) instead of by the handler's own `requestTimeout`.
 *
 * Why: that `requestTimeout` is a bare timer. A helper starved of CPU past it (a loaded host;
 * shown by stopping the helper with SIGSTOP while ECR answers) runs the timer before it reads the
 * answer already in its socket: it drops an answer that came in time and sends the request again,
 * and after three such attempts fails with "timed out" although AWS answered every one. The
 * limit also counts from when the attempt's request starts, and again once it is all sent, not
 * from when the SDK hands it over: a helper starved in between sends late and is answered late.
 * The connection timeout stays the handler's: it sets that timer only for a connection still
 * pending a second in, so a helper starved through a quick connect finds the connection made.
 */
import type { NodeHttpHandler, NodeHttpHandlerOptions } from '@smithy/node-http-handler';
import { whenRequestStarts } from './outbound';
import { afterTimeLimit } from './time-limit';

/** What the SDK's clients call on a request handler. */
export type RequestHandler = Pick<NodeHttpHandler, 'metadata' | 'handle' | 'updateHttpClientConfig' | 'httpHandlerConfigs' | 'destroy'>;
type Handle = NodeHttpHandler['handle'];

/** A NodeHttpHandler made with `options`, each attempt of which ends with a TimeoutError after `requestTimeoutMs`. */
export function timeLimitedRequestHandler(options: Omit<NodeHttpHandlerOptions, 'requestTimeout'>, requestTimeoutMs: number): RequestHandler {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { NodeHttpHandler } = require('@smithy/node-http-handler') as typeof import('@smithy/node-http-handler');
  const handler = new NodeHttpHandler(options);
  return {
    metadata: handler.metadata,
    handle: (request, handlerOptions) => handleWithinTimeLimit(handler, request, handlerOptions ?? {}, requestTimeoutMs),
    updateHttpClientConfig: (key, value) => handler.updateHttpClientConfig(key, value),
    httpHandlerConfigs: () => handler.httpHandlerConfigs(),
    destroy: () => handler.destroy(),
  };
}

function handleWithinTimeLimit(handler: NodeHttpHandler, request: Parameters<Handle>[0], options: NonNullable<Parameters<Handle>[1]>, limitMs: number): ReturnType<Handle> {
  const attempt = new AbortController();
  const caller = options.abortSignal;
  if (caller?.aborted) attempt.abort();
  else if (caller !== undefined && 'addEventListener' in caller) caller.addEventListener('abort', () => attempt.abort(), { once: true });
  return new Promise((resolve, reject) => {
    let settled = false;
    let cancel = (): void => undefined;
    const startLimit = (): void => {
      if (settled) return;
      cancel();
      cancel = afterTimeLimit(limitMs, () => {
        // The name and code the handler gives its own timeouts: the SDK retries it, errors.ts words it.
        const timedOut = Object.assign(new Error(`no answer within ${limitMs} ms`), { name: 'TimeoutError', code: 'ETIMEDOUT' });
        reject(timedOut);
        attempt.abort(timedOut);
      });
    };
    // Counted from when the request starts, and again once it is all sent: time the helper spent
    // starved before then is not the server's (a request sent late gets its answer late).
    const stopWatching = whenRequestStarts(request, (started) => {
      startLimit();
      started.once('finish', startLimit);
    });
    const settle = (): void => {
      settled = true;
      stopWatching();
      cancel();
    };
    handler.handle(request, { ...options, abortSignal: attempt.signal, requestTimeout: 0 }).then(
      (answer) => {
        settle();
        resolve(answer);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}
