/**
 * Everything a verb may touch of the outside world, passed in so that verbs stay testable.
 */
import type { TokenFetcher } from '../aws/fetch-token';
import type { HeldFlight } from '../cache/single-flight';
import type { Environment, Settings } from '../config/settings';
import type { Logger } from '../logging/logger';

export interface Clock {
  readonly now: () => number;
  readonly sleep: (milliseconds: number) => Promise<void>;
}

export interface HelperContext {
  readonly env: Environment;
  readonly homeDir: string;
  readonly settings: Settings;
  readonly logger: Logger;
  /** Loads the AWS SDK on first use; a verb that needs no token never pays for it. */
  readonly fetchToken: () => TokenFetcher;
  readonly clock: Clock;
  /**
   * When this process began waiting on another's flight for its token, before this context was
   * made (the fast path waits on a live leader, then hands over): the wait goes on from there.
   */
  readonly flightWaitingSince?: number;
  /** The slot's flight lock, taken before this context was made (the fast path, on a miss nobody was fetching). */
  readonly heldFlight?: HeldFlight;
}
