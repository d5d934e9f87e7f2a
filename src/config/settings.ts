/**
 * The helper's own settings, read from the environment it was started with (docs/SPEC.md section 7).
 * Pure: the environment and the home directory are passed in.
 */
import { isAbsolute } from 'node:path';
import { joinPath } from '../fs/join-path';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

interface CommonSettings {
  /** `AWS_ECR_IGNORE_CREDS_STORAGE=true`: store and erase succeed for every host. */
  readonly ignoreCredsStorage: boolean;
  readonly logLevel: LogLevel;
  /** `AWS_ECR_ROLE_ARN`: for the kubelet, the role a service account token assumes when its annotations name none. */
  readonly podRoleArn?: string;
  /** One line each for the user's terminal: a setting that was refused, and what the helper does instead. */
  readonly notices: readonly string[];
  /** The per-registry settings file: `AWS_ECR_CONFIG`, else `~/.ecr/config.json` (src/config/registry-settings.ts). */
  readonly settingsFile: string;
}

/**
 * Where the cache and the log live: `AWS_ECR_CACHE_DIR` (an absolute path), else `~/.ecr`. With
 * neither usable there is no directory at all, and then no cache and no log.
 */
type CacheSettings =
  | { readonly cacheDisabled: false; readonly cacheDir: string; readonly logDir: string }
  | {
      /** `AWS_ECR_DISABLE_CACHE` set to anything non-empty, or no directory to keep a cache in. */
      readonly cacheDisabled: true;
      readonly cacheDir: string | undefined;
      readonly logDir: string | undefined;
    };

export type Settings = CommonSettings & CacheSettings;

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * In the cache directory: V8's code cache of the fast path and of the npm package's dependencies
 * (every Node, src/cli/code-cache-script.ts), made by the runs that used them, whatever
 * AWS_ECR_DISABLE_CACHE says; only where the cache directory already is, so that a read-only
 * command on a machine with no cache creates nothing.
 */
export const FAST_PATH_CACHE_DIR_NAME = 'fast-path-cache';

/**
 * The home of a user who has none (Debian's convention): what the AWS SDK is given as HOME, and
 * where the settings file is looked for, so that nothing is ever read relative to the directory
 * a client happened to run us from.
 */
export const NO_HOME_DIR = '/nonexistent';

export function readSettings(env: Environment, homeDir: string | undefined): Settings {
  const notices: string[] = [];
  const cacheDir = chooseCacheDir(env, homeDir, notices);
  const podRoleArn = nonEmpty(env.AWS_ECR_ROLE_ARN)?.trim();
  const common = {
    ignoreCredsStorage: env.AWS_ECR_IGNORE_CREDS_STORAGE?.trim().toLowerCase() === 'true',
    logLevel: parseLogLevel(env.AWS_ECR_LOG_LEVEL),
    notices,
    ...(podRoleArn === undefined ? {} : { podRoleArn }),
    settingsFile: nonEmpty(env.AWS_ECR_CONFIG) ?? joinPath(homeDir !== undefined && isAbsolute(homeDir) ? homeDir : NO_HOME_DIR, '.ecr', 'config.json'),
  };
  if (cacheDir === undefined) return { ...common, cacheDisabled: true, cacheDir: undefined, logDir: undefined };
  const logDir = joinPath(cacheDir, 'log');
  return nonEmpty(env.AWS_ECR_DISABLE_CACHE) === undefined
    ? { ...common, cacheDisabled: false, cacheDir, logDir }
    : { ...common, cacheDisabled: true, cacheDir, logDir };
}

/**
 * The cache directory, undefined where there is none: AWS_ECR_CACHE_DIR when it is set (absolute
 * only), else ~/.ecr. Also what the launcher's loader runs on every run, compiled from source
 * (src/cli/loader.ts), before anything else: hence one function.
 */
export function cacheDirectory(env: Environment, homeDir: string | undefined): string | undefined {
  const configured = nonEmpty(env.AWS_ECR_CACHE_DIR);
  if (configured !== undefined) return isAbsolute(configured) ? configured : undefined;
  return homeDir !== undefined && isAbsolute(homeDir) ? joinPath(homeDir, '.ecr') : undefined;
}

function chooseCacheDir(env: Environment, homeDir: string | undefined, notices: string[]): string | undefined {
  const cacheDir = cacheDirectory(env, homeDir);
  if (cacheDir === undefined) notices.push(noCacheDirNotice(env, homeDir));
  return cacheDir;
}

function noCacheDirNotice(env: Environment, homeDir: string | undefined): string {
  const configured = nonEmpty(env.AWS_ECR_CACHE_DIR);
  // A relative directory would put a cache (tokens) in whatever directory the client ran us from.
  if (configured !== undefined) return `AWS_ECR_CACHE_DIR must be an absolute path, not ${JSON.stringify(configured)}: running without a cache or log`;
  const why = homeDir === undefined ? 'no home directory (HOME is unset and the user has no passwd entry)' : `HOME is not an absolute path (${JSON.stringify(homeDir)})`;
  return `${why}: running without a cache or log; set AWS_ECR_CACHE_DIR to an absolute path`;
}

/**
 * The user's home directory as the AWS SDK finds it: HOME, USERPROFILE, else the passwd entry's
 * (`passwdHome`, undefined for a uid without an entry, as in many containers and systemd units).
 */
export function homeDirectory(env: Environment, passwdHome: () => string | undefined): string | undefined {
  return nonEmpty(env.HOME) ?? nonEmpty(env.USERPROFILE) ?? passwdHome();
}

/** The Docker CLI's configuration file: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigFile(env: Environment, homeDir: string): string {
  return joinPath(nonEmpty(env.DOCKER_CONFIG) ?? joinPath(homeDir, '.docker'), 'config.json');
}

function parseLogLevel(value: string | undefined): LogLevel {
  const wanted = value?.trim().toLowerCase();
  return LOG_LEVELS.find((level) => level === wanted) ?? 'info';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
