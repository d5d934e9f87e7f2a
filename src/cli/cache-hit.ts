/**
 * The fast path: what most runs are, answered by a small bundle of its own (scripts/bundle.js)
 * so that Docker waits for little more than Node's start. It answers exactly these:
 *
 * - `get` for an ECR registry (or an alias) whose token is fresh in the cache, or, on a miss,
 *   whose token a live process is fetching at this moment (it holds the slot's lock): it waits
 *   for that token by the full path's own rules (cached-token.ts), as a burst's waiters do, so
 *   that they never load the full command line just to wait. A miss that nobody is fetching yet
 *   takes the slot's lock first, and hands it to the full path, which fetches: so in a burst one
 *   process loads the full command line, not every one that missed before any held the lock;
 * - `get` for a host that is not ECR (Docker's `credsStore` asks about every registry);
 * - `list`, which reads nothing but the cache and the settings file;
 * - `version`.
 *
 * Anything else — a miss it leads, bad input or settings, a near miss, a notice for the terminal,
 * a log line the level lets through, a wait that ends without the leader's token — it declines,
 * having written nothing but the lock it leads with (and the cache directories that needs, as
 * the full path would make them), and the full command line (main.ts) runs as if the fast path
 * had not been there, given the stdin already read, the lock, and when the wait began, so that
 * its own wait goes on from there. Both paths answer with the very same functions, so that they
 * cannot disagree (test/cli/fast-path.test.ts runs them side by side).
 *
 * It reads stdin only where a read with system calls alone can be bounded (a pipe, a file): a
 * socket is left whole to the full path's stream reader.
 */
import { openTokenStore } from '../cache/token-store';
import { joinFlight, readFresh, type FlightTurn } from '../cache/cached-token';
import { entryToken, type CacheEntry } from '../cache/entry';
import { FlightLocks, type HeldFlight } from '../cache/single-flight';
import { homeDirectory, readSettings, type Environment, type LogLevel, type Settings } from '../config/settings';
import { readSharedConfigTexts } from '../identity/shared-files';
import { LOG_METHODS, writesAt, type Logger } from '../logging/logger';
import { decodeText, INPUT_TIME_LIMIT_MS, InputError, MAX_INPUT_BYTES } from '../protocol/input';
import { KUBELET_PLUGIN_NAME, linkName } from '../protocol/messages';
import { credentialsFound, type Outcome } from '../protocol/outcome';
import { cacheSlotFor } from '../service/cache-slot';
import type { HelperContext } from '../service/context';
import { parseRegistrySettings } from '../config/registry-settings';
import { resolveRegistry, targetFor } from '../service/registry-target';
import { FLIGHT_LIMITS } from '../service/token-service';
import { list } from '../verbs/list';
import { notEcr } from '../verbs/not-ecr';
import { version } from '../verbs/version';
import { readStdinSync } from './stdio';

/**
 * What the fast path read of stdin, for the full path to take as its own: the bytes, or what
 * reading threw. An InputError crosses as its message: the full path is another bundle, with
 * classes of its own.
 */
export type PrefetchedStdin = { readonly bytes: Buffer } | { readonly inputError: string } | { readonly error: unknown };

/** What the fast path hands the full command line when it declines. */
export interface Handover {
  readonly stdin?: PrefetchedStdin;
  /** When it began waiting on another process's flight, if it did. */
  readonly waitingSince?: number;
  /** The slot's lock it took on a miss nobody was fetching: the full path fetches holding it. */
  readonly heldFlight?: HeldFlight;
}

export type FastRun = { readonly kind: 'answered'; readonly outcome: Outcome } | ({ readonly kind: 'declined' } & Handover);

export interface FastIo {
  readonly env: Environment;
  readonly now: () => number;
  /** Only a wait on another process's flight sleeps. */
  readonly sleep: (milliseconds: number) => Promise<void>;
  /** The descriptor to read a `get`'s payload from: 0. */
  readonly stdinFd: number;
}

const DECLINED: FastRun = { kind: 'declined' };

/**
 * Answers the run, or declines it; never throws (nor rejects), never writes. A promise only when
 * it waits on another process's flight: a hit is answered synchronously.
 */
export function runFast(argv: readonly string[], invokedAs: string | undefined, io: FastIo): FastRun | Promise<FastRun> {
  if (argv.length !== 1 || linkName(invokedAs) === KUBELET_PLUGIN_NAME) return DECLINED;
  try {
    switch (argv[0]) {
      case 'get':
        return fastGet(io);
      case 'list':
        return fastList(io);
      case 'version':
        return { kind: 'answered', outcome: version() };
      default:
        return DECLINED;
    }
  } catch {
    return DECLINED;
  }
}

function fastGet(io: FastIo): FastRun | Promise<FastRun> {
  let stdin: PrefetchedStdin;
  try {
    const bytes = readStdinSync({ fd: io.stdinFd, limitBytes: MAX_INPUT_BYTES, timeLimitMs: INPUT_TIME_LIMIT_MS });
    if (bytes === undefined) return DECLINED;
    stdin = { bytes };
  } catch (error) {
    return { kind: 'declined', stdin: error instanceof InputError ? { inputError: error.message } : { error } };
  }
  const declined: FastRun = { kind: 'declined', stdin };
  try {
    const serverUrl = decodeText(stdin.bytes).trim();
    const answer = getOutcome(serverUrl, io);
    if (answer === undefined) return declined;
    if (!('flight' in answer)) return { kind: 'answered', outcome: answer };
    const { flight, logger } = answer;
    const turnRun = (turn: FlightTurn): FastRun => {
      if (turn.kind === 'stored') return { kind: 'answered', outcome: served(serverUrl, turn.entry, logger) };
      return turn.kind === 'lead' ? { ...declined, heldFlight: turn.held } : { ...declined, ...(turn.waitingSince === undefined ? {} : { waitingSince: turn.waitingSince }) };
    };
    // A wait ends in a run too, however it ends: a thrown tripwire declines, as for a hit.
    return flight instanceof Promise ? flight.then(turnRun).catch(() => declined) : turnRun(flight);
  } catch {
    return declined;
  }
}

/** A miss: where this process stands in the slot's flight, with the logger to serve a token with. */
interface Miss {
  readonly flight: FlightTurn | Promise<FlightTurn>;
  readonly logger: Logger;
}

/**
 * What `get` answers, when it is a fresh cached token or a host that is not ECR; on a miss, the
 * slot's flight, joined; undefined otherwise.
 */
function getOutcome(serverUrl: string, io: FastIo): Outcome | Miss | undefined {
  if (serverUrl === '') return undefined;
  const quiet = quietSettings(io.env);
  if (quiet === undefined) return undefined;
  const { settings, homeDir } = quiet;
  const logger = tripwireLogger(settings.logLevel);
  const resolution = resolveRegistry(serverUrl, settings.settingsFile);
  if (resolution.kind === 'not-ecr') return notEcr(serverUrl, resolution.settingsProblem, logger);
  if (resolution.kind !== 'ecr' || settings.cacheDisabled) return undefined;
  const files = readSharedConfigTexts(io.env, homeDir);
  const { key, id } = cacheSlotFor(resolution.target, io.env, files);
  // Missing directories hold nothing to read: a hit creates nothing.
  const existing = openTokenStore(settings.cacheDir, logger, { create: false }).store;
  const entry = existing === undefined ? undefined : readFresh(existing, key, id, io.now());
  if (entry !== undefined) return served(serverUrl, entry, logger);
  // A miss, whose flight needs the directories: the full path would create them now too.
  const store = existing ?? openTokenStore(settings.cacheDir, logger).store;
  if (store === undefined) return undefined;
  const slot = { store, locks: new FlightLocks(store.dir, logger), key, id, now: io.now, sleep: io.sleep, limits: FLIGHT_LIMITS };
  return { flight: joinFlight(slot), logger };
}

function served(serverUrl: string, entry: CacheEntry, logger: Logger): Outcome {
  // The full path logs each token it serves, whether from the cache or another process, at debug level.
  logger.debug({}, 'token served');
  return credentialsFound(serverUrl, entryToken(entry));
}

/**
 * Runs, on made-up input, what a hit with a settings file and profiles runs, which this run may
 * not have: loader.ts calls it before it makes the fast path's code cache, so that the cache holds
 * that code compiled too (V8 caches only functions already compiled). Pure: reads and writes nothing.
 */
export function exerciseForCodeCache(): void {
  const ecr = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
  const text = JSON.stringify({
    registries: { [ecr]: { profile: 'p' }, 'registry.example.com': { registry: ecr, roleArn: 'arn:aws:iam::123456789012:role/r' } },
  });
  const settings = parseRegistrySettings(text, 'settings.json');
  if (!('registries' in settings)) return;
  const files = { config: '[profile p]\nregion = eu-west-1\n', credentials: '[p]\naws_access_key_id = A\naws_secret_access_key = S\n' };
  for (const host of [ecr, 'registry.example.com']) {
    const target = targetFor(host, settings);
    if (target !== undefined) cacheSlotFor(target, {}, files);
  }
}

function fastList(io: FastIo): FastRun {
  const quiet = quietSettings(io.env);
  if (quiet === undefined) return DECLINED;
  const context: HelperContext = {
    env: io.env,
    homeDir: quiet.homeDir,
    settings: quiet.settings,
    logger: tripwireLogger(quiet.settings.logLevel),
    fetchToken: decline,
    clock: { now: io.now, sleep: decline },
  };
  return { kind: 'answered', outcome: list(context) };
}

/**
 * The settings, when they give the terminal nothing to hear (a refused setting) and the user has
 * a home directory without asking the passwd database (which the full path does).
 */
function quietSettings(env: Environment): { settings: Settings; homeDir: string } | undefined {
  const homeDir = homeDirectory(env, () => undefined);
  if (homeDir === undefined) return undefined;
  const settings = readSettings(env, homeDir);
  return settings.notices.length === 0 ? { settings, homeDir } : undefined;
}

class Declined extends Error {}

function decline(): never {
  throw new Declined('the fast path declines');
}

/**
 * A logger that declines the run at the first line the log level lets through: writing the log
 * is the full path's, so the fast path never opens it (nor loads pino).
 */
function tripwireLogger(level: LogLevel): Logger {
  const logger = {} as Record<(typeof LOG_METHODS)[number], Logger['info']>;
  for (const method of LOG_METHODS) logger[method] = writesAt(level, method) ? decline : () => undefined;
  return logger;
}
