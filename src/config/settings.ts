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
  /** `AWS_ECR_ROLE_ARN`: for the kubelet, the role a service account token assumes when its annotations name none. */
  readonly podRoleArn?: string;
}

export type Environment = Readonly<Record<string, string | undefined>>;

export function readSettings(env: Environment, homeDir: string): Settings {
  const cacheDir = nonEmpty(env.AWS_ECR_CACHE_DIR) ?? join(homeDir, '.ecr');
  const podRoleArn = nonEmpty(env.AWS_ECR_ROLE_ARN)?.trim();
  return {
    cacheDir,
    logDir: join(cacheDir, 'log'),
    cacheDisabled: nonEmpty(env.AWS_ECR_DISABLE_CACHE) !== undefined,
    ignoreCredsStorage: env.AWS_ECR_IGNORE_CREDS_STORAGE?.trim().toLowerCase() === 'true',
    logLevel: parseLogLevel(env.AWS_ECR_LOG_LEVEL),
    ...(podRoleArn === undefined ? {} : { podRoleArn }),
  };
}

function parseLogLevel(value: string | undefined): LogLevel {
  const wanted = value?.trim().toLowerCase();
  return LOG_LEVELS.find((level) => level === wanted) ?? 'info';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
