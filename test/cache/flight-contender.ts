/**
 * One contender of the takeover test (takeover.test.ts), run as its own process: for each round
 * it waits for the round's start time, then gets that round's token through the real single
 * flight with the helper's own limits, its fetch appending a line to a shared log.
 *
 *   node flight-contender.js plant <dir> <rounds>
 *     takes every round's lock and exits without releasing any: a leader that died holding them.
 *   node flight-contender.js contend <dir> <rounds> <first round at, epoch ms> <period ms> <fetch log>
 *     prints `<round> <secret> <origin>` per round.
 */
import { appendFileSync } from 'node:fs';
import { getTokenThroughCache } from '../../src/cache/cached-token';
import type { CacheKey } from '../../src/cache/entry';
import { FlightLocks } from '../../src/cache/single-flight';
import { TokenStore } from '../../src/cache/token-store';
import { silentLogger } from '../../src/logging/logger';
import { FLIGHT_LIMITS } from '../../src/service/token-service';

const HOUR = 60 * 60 * 1000;
/** Long enough for late contenders to find the lock held, not the token stored. */
const FETCH_MS = 40;

const roundKey = (round: number): CacheKey => ({ service: 'ecr', registry: `round-${round}.example`, region: 'eu-west-1', endpoint: 'standard', identity: 'contenders' });
const roundId = (round: number): string => `round-${round}`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function contend(dir: string, rounds: number, firstAt: number, periodMs: number, fetchLog: string): Promise<void> {
  const store = new TokenStore(dir, silentLogger);
  const lines: string[] = [];
  for (let round = 0; round < rounds; round += 1) {
    await sleep(firstAt + round * periodMs - Date.now());
    const served = await getTokenThroughCache({
      store,
      locks: new FlightLocks(dir, silentLogger),
      key: roundKey(round),
      id: roundId(round),
      fetch: async () => {
        appendFileSync(fetchLog, `${round}\n`);
        await sleep(FETCH_MS);
        return { username: 'AWS', secret: `${round}-${process.pid}`, expiresAt: new Date(Date.now() + 12 * HOUR) };
      },
      explain: (error) => String(error),
      now: Date.now,
      sleep,
      logger: silentLogger,
      limits: FLIGHT_LIMITS,
    });
    lines.push(`${round} ${served.token.secret} ${served.origin}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (require.main === module) {
  const [mode, dir = '', rounds = '0', firstAt = '0', periodMs = '0', fetchLog = ''] = process.argv.slice(2);
  if (mode === 'plant') {
    const locks = new FlightLocks(dir, silentLogger);
    for (let round = 0; round < Number(rounds); round += 1) locks.tryAcquire(roundId(round), Date.now());
  } else {
    void contend(dir, Number(rounds), Number(firstAt), Number(periodMs), fetchLog);
  }
}
