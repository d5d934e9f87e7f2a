/**
 * The credential sources the AWS SDK's default Node chain will try, in its order, as a person
 * would name them. Used to say what was tried when none answered. Pure.
 */
import { joinPath } from '../fs/join-path';
import type { Environment } from '../config/settings';
import { activeProfile, containerUri, decideCredentialSource, metadataDisabled, metadataEndpoint, type SharedConfigTexts } from './credential-chain';

/** The files the SDK reads: the variables as given (it does not trim them), else under ~/.aws. */
export function sharedConfigFiles(env: Environment, homeDir: string): { config: string; credentials: string } {
  return {
    config: expandHome(env.AWS_CONFIG_FILE || joinPath(homeDir, '.aws', 'config'), homeDir),
    credentials: expandHome(env.AWS_SHARED_CREDENTIALS_FILE || joinPath(homeDir, '.aws', 'credentials'), homeDir),
  };
}

/** The SDK expands a leading `~/` in AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE. */
function expandHome(path: string, homeDir: string): string {
  return path.startsWith('~/') ? joinPath(homeDir, path.slice(2)) : path;
}

/**
 * One entry per step of the chain. With the files' text, a profile that is missing or holds no
 * credentials says so.
 */
export function describeCredentialSources(
  env: Environment,
  homeDir: string,
  files?: SharedConfigTexts,
  /** Why the profile and the container endpoint gave nothing, when known. */
  reasons: { readonly profile?: string | undefined; readonly container?: string | undefined } = {},
): string[] {
  const paths = sharedConfigFiles(env, homeDir);
  const name = activeProfile(env);
  let profileNote = '';
  if (files !== undefined) {
    const decision = decideCredentialSource({ ...env, AWS_ACCESS_KEY_ID: undefined }, files);
    profileNote = decision.source === 'profile' ? ' (gave no credentials)' : ' (no credentials there)';
  }
  if (reasons.profile !== undefined) profileNote = ` (${reasons.profile})`;
  const container = containerUri(env);
  return [
    env.AWS_PROFILE
      ? 'environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (skipped: AWS_PROFILE is set)'
      : 'environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY',
    `profile "${name}" in ${paths.credentials} and ${paths.config}${profileNote}`,
    env.AWS_WEB_IDENTITY_TOKEN_FILE && !env.AWS_ROLE_ARN
      ? 'web identity (AWS_WEB_IDENTITY_TOKEN_FILE is set, AWS_ROLE_ARN is not)'
      : 'web identity (AWS_WEB_IDENTITY_TOKEN_FILE)',
    container !== undefined
      ? `container credentials at ${container}${reasons.container === undefined ? '' : ` (${reasons.container})`}`
      : metadataDisabled(env)
        ? 'EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)'
        : `EC2 instance metadata at ${metadataEndpoint(env)}`,
  ];
}
