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

export const whenFirstOutbound: WhenOutbound = (listener) => {
  let told = false;
  const tell = (): void => {
    if (told) return;
    told = true;
    listener();
  };
  for (const name of OUTBOUND_CHANNELS) subscribe(name, tell);
  // Not from inside `tell`: leaving a channel while it publishes could skip the subscriber after us.
  return () => {
    for (const name of OUTBOUND_CHANNELS) unsubscribe(name, tell);
  };
};

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
  let told = false;
  const hear = (message: unknown): void => {
    const started = (message as { request?: ClientRequest }).request;
    if (told || started === undefined || !madeFrom(started, shape)) return;
    told = true;
    listener(started);
  };
  subscribe(REQUEST_START, hear);
  return () => {
    unsubscribe(REQUEST_START, hear);
  };
}

function madeFrom(started: ClientRequest, shape: RequestShape): boolean {
  return started.method === shape.method && Object.entries(shape.headers).every(([name, value]) => String(started.getHeader(name)) === value);
}
