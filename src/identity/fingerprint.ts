/**
 * Who the AWS SDK's default chain will act as, decided from local configuration alone (SPEC.md
 * section 5), so that a cached token can be found without resolving — or even loading — any
 * credentials. The order mirrors the SDK's `defaultProvider`: environment keys (skipped when
 * AWS_PROFILE is set), the profile in the shared files, web identity from the environment,
 * container credentials, instance metadata. Only hashes leave this module: never a key id.
 * Pure: the environment and the files' text are passed in.
 */
import { createHash } from 'node:crypto';
import type { Environment } from '../config/settings';
import { activeProfile } from './credential-sources';
import { parseIni, type IniSections } from './ini';

export interface SharedConfigTexts {
  readonly config?: string;
  readonly credentials?: string;
}

export type IdentitySource = 'environment' | 'profile' | 'web-identity' | 'container' | 'instance-metadata';

export interface IdentityFingerprint {
  readonly source: IdentitySource;
  /** A hash of what decides the identity; equal for one identity across runs. */
  readonly hash: string;
}

/** Profile settings that decide which principal a profile acts as. Region, output, retries do not. */
const IDENTITY_SETTINGS = [
  'aws_access_key_id',
  'role_arn',
  'source_profile',
  'credential_source',
  'external_id',
  'web_identity_token_file',
  'credential_process',
  'sso_session',
  'sso_start_url',
  'sso_region',
  'sso_account_id',
  'sso_role_name',
  'login_session',
] as const;

/** Enough to follow any sane role chain; deeper is a loop the SDK refuses too. */
const MAX_PROFILE_CHAIN = 10;

export function identityFingerprint(env: Environment, files: SharedConfigTexts): IdentityFingerprint {
  const shared = mergeProfiles(files);
  const explicitProfile = env.AWS_PROFILE;

  if (!explicitProfile && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return fingerprint('environment', ['env', env.AWS_ACCESS_KEY_ID]);
  }

  const profileName = activeProfile(env);
  const described = describeProfile(profileName, shared, 0);
  if (described !== undefined) return fingerprint('profile', ['profile', profileName, described]);

  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) {
    return fingerprint('web-identity', ['web-identity', env.AWS_ROLE_ARN, env.AWS_WEB_IDENTITY_TOKEN_FILE]);
  }
  // The SDK's container provider prefers the relative URI when both are set.
  const containerUri = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  if (containerUri) return fingerprint('container', ['container', containerUri]);

  return fingerprint('instance-metadata', ['instance-metadata', env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? '']);
}

/**
 * The identity-deciding settings of a profile and of the profiles it draws on, or undefined
 * when the profile does not exist or holds no way to get credentials (the SDK then goes on
 * down its chain, and so do we).
 */
function describeProfile(name: string, shared: SharedProfiles, depth: number): unknown[] | undefined {
  const profile = shared.profiles[name];
  if (profile === undefined || depth > MAX_PROFILE_CHAIN) return undefined;
  const settings = IDENTITY_SETTINGS.filter((key) => profile[key] !== undefined).map((key) => [key, profile[key]]);
  if (settings.length === 0) return undefined;
  const described: unknown[] = [settings];
  const sessionName = profile.sso_session;
  if (sessionName !== undefined) described.push(['sso-session', shared.ssoSessions[sessionName] ?? null]);
  const source = profile.source_profile;
  if (profile.role_arn !== undefined && source !== undefined && source !== name) {
    described.push(['source', describeProfile(source, shared, depth + 1) ?? null]);
  }
  return described;
}

interface SharedProfiles {
  readonly profiles: IniSections;
  readonly ssoSessions: IniSections;
}

/**
 * Profiles from both files, as the SDK merges them: `[profile x]` (and `[default]`) in config,
 * `[x]` in credentials, the credentials file winning key by key.
 */
function mergeProfiles(files: SharedConfigTexts): SharedProfiles {
  const profiles = Object.create(null) as IniSections;
  const ssoSessions = Object.create(null) as IniSections;
  const config = parseIni(files.config ?? '');
  for (const [section, values] of Object.entries(config)) {
    if (section === 'default') profiles.default = { ...profiles.default, ...values };
    else if (section.startsWith('profile.')) profiles[section.slice('profile.'.length)] = values;
    else if (section.startsWith('sso-session.')) ssoSessions[section.slice('sso-session.'.length)] = values;
  }
  for (const [section, values] of Object.entries(parseIni(files.credentials ?? ''))) {
    profiles[section] = { ...profiles[section], ...values };
  }
  return { profiles, ssoSessions };
}

function fingerprint(source: IdentitySource, parts: unknown[]): IdentityFingerprint {
  return { source, hash: createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32) };
}
