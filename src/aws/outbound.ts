/**
 * The moment a call to AWS leaves this process: its first HTTP request (ECR, STS, SSO, instance
 * metadata, a proxy's CONNECT) or the first process it starts (a profile's credential_process),
 * heard through Node's diagnostics channels, which every one of them goes through.
 *
 * Why: a call's deadline bounds how long AWS and the credential sources take to answer. Before
 * its first request the helper has asked nobody; a helper starved of CPU there (seen in 8 × 8
 * bursts at a load of 60 on 2 cores) must not fail with "no answer from AWS".
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

/** Tells `listener` once, at the first request or process from now on; returns the stop. */
export type WhenOutbound = (listener: () => void) => () => void;

const REQUEST_START = 'http.client.request.start';
const OUTBOUND_CHANNELS = [REQUEST_START, 'child_process'] as const;

export const whenFirstOutbound: WhenOutbound = (listener) => hearOnce(OUTBOUND_CHANNELS, () => true, () => listener());

/** What an HTTP request is made from: the SDK's request, before Node makes it a ClientRequest. */
export interface RequestShape {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Tells `listener` once, with the ClientRequest, when a request made from `shape` starts (its
 * method and every header the same: the SDK's signature and invocation id make that one
 * request); returns the stop.
 */
export function whenRequestStarts(shape: RequestShape, listener: (started: ClientRequest) => void): () => void {
  return hearOnce(
    [REQUEST_START],
    (message) => {
      const started = (message as { request?: ClientRequest }).request;
      return started !== undefined && madeFrom(started, shape) ? started : undefined;
    },
    listener,
  );
}

function madeFrom(started: ClientRequest, shape: RequestShape): boolean {
  return started.method === shape.method && Object.entries(shape.headers).every(([name, value]) => String(started.getHeader(name)) === value);
}

/** Tells `listener` what `pick` finds in the first message on `channels` it finds anything in; returns the stop. */
function hearOnce<T>(channels: readonly string[], pick: (message: unknown) => T | undefined, listener: (found: T) => void): () => void {
  let told = false;
  const hear = (message: unknown): void => {
    if (told) return;
    const found = pick(message);
    if (found === undefined) return;
    told = true;
    listener(found);
  };
  for (const name of channels) subscribe(name, hear);
  // Not from inside `hear`: leaving a channel while it publishes could skip the subscriber after us.
  return () => {
    for (const name of channels) unsubscribe(name, hear);
  };
}
