/**
 * The fast path: what most runs are, answered by a small bundle of its own (scripts/bundle.js)
 * so that Docker waits for little more than Node's start. It answers exactly three things:
 *
 * - `get` for an ECR registry (or an alias) whose token is fresh in the cache;
 * - `list`, which reads nothing but the cache and the settings file;
 * - `version`.
 *
 * Anything else — a miss, a host that is not ECR, bad input or settings, a notice for the
 * terminal, a log line the level lets through — it declines, having written nothing, and the
 * full command line (main.ts) runs as if the fast path had not been there, given the stdin
 * already read. Both paths answer with the very same functions, so that they cannot disagree
 * (test/cli/fast-path.test.ts runs them side by side).
 *
 * It reads stdin only where a read with system calls alone can be bounded (a pipe, a file): a
 * socket is left whole to the full path's stream reader.
 */
import { openTokenStore } from '../cache/token-store';
import { readFresh } from '../cache/cached-token';
import { entryToken } from '../cache/entry';
import { homeDirectory, readSettings, type Environment, type Settings } from '../config/settings';
import { readSharedConfigTexts } from '../identity/shared-files';
import type { Logger } from '../logging/logger';
import { decodeText, INPUT_TIME_LIMIT_MS, InputError, MAX_INPUT_BYTES } from '../protocol/input';
import { KUBELET_PLUGIN_NAME, linkName } from '../protocol/messages';
import { credentialsFound, type Outcome } from '../protocol/outcome';
import { cacheSlotFor } from '../service/cache-slot';
import type { HelperContext } from '../service/context';
import { resolveRegistry } from '../service/registry-target';
import { list } from '../verbs/list';
import { version } from '../verbs/version';
import { readStdinSync } from './stdio';

/**
 * What the fast path read of stdin, for the full path to take as its own: the bytes, or what
 * reading threw. An InputError crosses as its message: the full path is another bundle, with
 * classes of its own.
 */
export type PrefetchedStdin = { readonly bytes: Buffer } | { readonly inputError: string } | { readonly error: unknown };

export type FastRun = { readonly kind: 'answered'; readonly outcome: Outcome } | { readonly kind: 'declined'; readonly stdin?: PrefetchedStdin };

export interface FastIo {
  readonly env: Environment;
  readonly now: () => number;
  /** The descriptor to read a `get`'s payload from: 0. */
  readonly stdinFd: number;
}

const DECLINED: FastRun = { kind: 'declined' };

/** Answers the run, or declines it; never throws, never writes. */
export function runFast(argv: readonly string[], invokedAs: string | undefined, io: FastIo): FastRun {
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

function fastGet(io: FastIo): FastRun {
  let stdin: PrefetchedStdin;
  try {
    const bytes = readStdinSync({ fd: io.stdinFd, limitBytes: MAX_INPUT_BYTES, timeLimitMs: INPUT_TIME_LIMIT_MS });
    if (bytes === undefined) return DECLINED;
    stdin = { bytes };
  } catch (error) {
    return { kind: 'declined', stdin: error instanceof InputError ? { inputError: error.message } : { error } };
  }
  try {
    const token = freshToken(decodeText(stdin.bytes).trim(), io);
    return token === undefined ? { kind: 'declined', stdin } : { kind: 'answered', outcome: credentialsFound(token.serverUrl, token) };
  } catch {
    return { kind: 'declined', stdin };
  }
}

/** The cached token `get` would serve, when it would serve one without a word on stderr or in the log. */
function freshToken(serverUrl: string, io: FastIo): { serverUrl: string; username: string; secret: string } | undefined {
  if (serverUrl === '') return undefined;
  const quiet = quietSettings(io.env);
  if (quiet === undefined || quiet.settings.cacheDisabled) return undefined;
  const { settings, homeDir } = quiet;
  // The full path logs each token it serves at debug level.
  if (settings.logLevel === 'debug' || settings.logLevel === 'trace') return undefined;
  const resolution = resolveRegistry(serverUrl, settings.settingsFile);
  if (resolution.kind !== 'ecr') return undefined;
  const files = readSharedConfigTexts(io.env, homeDir);
  // The full path creates the directories when they are missing: only then is there nothing to read.
  const { store } = openTokenStore(settings.cacheDir, tripwireLogger, { create: false });
  if (store === undefined) return undefined;
  const { key, id } = cacheSlotFor(resolution.target, io.env, files);
  const entry = readFresh(store, key, id, io.now());
  return entry === undefined ? undefined : { serverUrl, ...entryToken(entry) };
}

function fastList(io: FastIo): FastRun {
  const quiet = quietSettings(io.env);
  if (quiet === undefined) return DECLINED;
  const context: HelperContext = {
    env: io.env,
    homeDir: quiet.homeDir,
    settings: quiet.settings,
    logger: tripwireLogger,
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

/** Whatever wants a log line written is the full path's to do: the fast path opens no log. */
const tripwireLogger: Logger = { trace: decline, debug: decline, info: decline, warn: decline, error: decline };
