/**
 * The seed of every generated input in the suite (test/property, the kill moments of
 * test/faults): fixed by default, so that a run is reproducible and a failure can be replayed;
 * `ECR_LOGIN_TEST_SEED=<integer>` replays a given run, `ECR_LOGIN_TEST_SEED=random` asks for a
 * new one. Every test that uses it prints the seed, so that a failure names how to replay it.
 */
import { randomInt } from 'node:crypto';

/** Issue 8's number, in hex dress: any fixed value would do. */
const DEFAULT_SEED = 0x5eed08;

function chooseSeed(asked: string | undefined): number {
  if (asked === undefined || asked.trim() === '') return DEFAULT_SEED;
  if (asked.trim().toLowerCase() === 'random') return randomInt(0x7fffffff);
  const seed = Number(asked);
  if (!Number.isSafeInteger(seed)) throw new Error(`ECR_LOGIN_TEST_SEED must be an integer or "random", not ${JSON.stringify(asked)}`);
  return seed | 0;
}

export const TEST_SEED = chooseSeed(process.env.ECR_LOGIN_TEST_SEED);

/** One line for a test's diagnostics: the seed, and how to replay it. */
export const seedNote = (cases: number, path: string): string =>
  `${cases} generated cases through ${path}, seed ${TEST_SEED} (replay: ECR_LOGIN_TEST_SEED=${TEST_SEED}; a new one: ECR_LOGIN_TEST_SEED=random)`;
