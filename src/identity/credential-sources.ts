/**
 * The credential sources the AWS SDK's default Node chain will try, in its order, as a person
 * would name them. Used to say what was tried when none answered. Pure.
 */
import { join } from 'node:path';
import type { Environment } from '../config/settings';

/** The profile the SDK will read: AWS_PROFILE as given, else `default` (AWS_DEFAULT_PROFILE is not the SDK's). */
export function activeProfile(env: Environment): string {
  return env.AWS_PROFILE || 'default';
}

export function sharedConfigFiles(env: Environment, homeDir: string): { config: string; credentials: string } {
  return {
    config: env.AWS_CONFIG_FILE?.trim() || join(homeDir, '.aws', 'config'),
    credentials: env.AWS_SHARED_CREDENTIALS_FILE?.trim() || join(homeDir, '.aws', 'credentials'),
  };
}

export function describeCredentialSources(env: Environment, homeDir: string): string[] {
  const files = sharedConfigFiles(env, homeDir);
  const containerConfigured = Boolean(env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI);
  const metadataDisabled = env.AWS_EC2_METADATA_DISABLED?.trim().toLowerCase() === 'true';
  return [
    'environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY',
    `profile "${activeProfile(env)}" in ${files.credentials} and ${files.config}`,
    'web identity (AWS_WEB_IDENTITY_TOKEN_FILE)',
    containerConfigured
      ? 'ECS container credentials'
      : metadataDisabled
        ? 'EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)'
        : 'EC2 instance metadata',
  ];
}
