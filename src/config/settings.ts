/**
 * The helper's own settings, read from the environment it was started with (docs/SPEC.md section 7).
 * Pure: the environment and the home directory are passed in.
 */
import { join } from 'node:path';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export interface Settings {
  /** Cache and log directory: `AWS_ECR_CACHE_DIR`, else `~/.ecr`. */
  readonly cacheDir: string;
  readonly logDir: string;
  /** `AWS_ECR_DISABLE_CACHE` set to anything non-empty. */
  readonly cacheDisabled: boolean;
  /** `AWS_ECR_IGNORE_CREDS_STORAGE=true`: store and erase succeed for every host. */
  readonly ignoreCredsStorage: boolean;
  readonly logLevel: LogLevel;
  /** The per-registry settings file: `AWS_ECR_CONFIG`, else `~/.ecr/config.json` (src/config/registry-settings.ts). */
  readonly settingsFile: string;
}

export type Environment = Readonly<Record<string, string | undefined>>;

export function readSettings(env: Environment, homeDir: string): Settings {
  const cacheDir = nonEmpty(env.AWS_ECR_CACHE_DIR) ?? join(homeDir, '.ecr');
  return {
    cacheDir,
    logDir: join(cacheDir, 'log'),
    cacheDisabled: nonEmpty(env.AWS_ECR_DISABLE_CACHE) !== undefined,
    ignoreCredsStorage: env.AWS_ECR_IGNORE_CREDS_STORAGE?.trim().toLowerCase() === 'true',
    logLevel: parseLogLevel(env.AWS_ECR_LOG_LEVEL),
    settingsFile: nonEmpty(env.AWS_ECR_CONFIG) ?? join(homeDir, '.ecr', 'config.json'),
  };
}

/** The Docker CLI's configuration file: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigFile(env: Environment, homeDir: string): string {
  return join(nonEmpty(env.DOCKER_CONFIG) ?? join(homeDir, '.docker'), 'config.json');
}

function parseLogLevel(value: string | undefined): LogLevel {
  const wanted = value?.trim().toLowerCase();
  return LOG_LEVELS.find((level) => level === wanted) ?? 'info';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
