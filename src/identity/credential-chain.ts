/**
 * Which source the AWS SDK's default Node chain (`fromNodeProviderChain`, SDK v3.97x) will take
 * its credentials from, decided from the environment and the shared files alone, never from
 * the network. The identity fingerprint (docs/SPEC.md section 5) and the failure messages are built
 * on this one decision, so that both agree with the SDK.
 *
 * The SDK's order, which this follows step by step:
 *  1. environment keys, unless AWS_PROFILE is set (then skipped, with a warning if both are set);
 *  2. the profile (AWS_PROFILE, else `default`) as `fromIni` resolves it: role (`role_arn` with
 *     exactly one of `source_profile`/`credential_source`), static keys (id AND secret), web
 *     identity, `credential_process`, SSO, `login_session` — in that order;
 *  3. `credential_process` again (only after the profile failed softly);
 *  4. web identity from AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN;
 *  5. container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, else _FULL_URI);
 *  6. EC2 instance metadata, unless AWS_EC2_METADATA_DISABLED.
 * A profile that matches none of step 2's shapes is passed over, and so is one whose resolution
 * fails with an error the SDK lets the chain go on from (a missing source profile, a failing
 * `credential_process`, a `credential_source` that gives nothing…): then a later source may
 * answer, which `mayFallThrough` records. Pure.
 */
import type { Environment } from '../config/settings';
import { parseIni, type IniSections } from './ini';

export interface SharedConfigTexts {
  readonly config?: string;
  readonly credentials?: string;
}

export type ProfileKind = 'role' | 'static' | 'web-identity' | 'process' | 'sso' | 'login';

export interface ProfileUse {
  readonly name: string;
  readonly kind: ProfileKind;
  /** The profile's own `role_arn`, when it assumes a role (or takes a web identity). */
  readonly roleArn?: string;
  /** The identity-deciding settings of the profile and of every profile it draws on. */
  readonly description: unknown[];
  /** True when the SDK may pass this profile over on a soft failure and ask later sources. */
  readonly mayFallThrough: boolean;
}

/** Where credentials come from when neither environment keys nor a profile give them. */
export type FallbackSource =
  | { readonly source: 'web-identity'; readonly roleArn: string; readonly tokenFile: string }
  | { readonly source: 'container'; readonly uri: string }
  | { readonly source: 'instance-metadata'; readonly endpoint: string; readonly disabled: boolean };

export type ChainDecision =
  | { readonly source: 'environment'; readonly accessKeyId: string }
  | { readonly source: 'profile'; readonly profile: ProfileUse; readonly fallback: FallbackSource }
  | FallbackSource;

/** Profile settings that decide which principal a profile acts as. Region, output, retries do not. */
export const IDENTITY_SETTINGS = [
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

/** Deeper than any sane role chain; the SDK's own cycle check ends real loops sooner. */
const MAX_PROFILE_CHAIN = 10;

export const DEFAULT_METADATA_ENDPOINT = 'http://169.254.169.254';
const IPV6_METADATA_ENDPOINT = 'http://[fd00:ec2::254]';
/** Where the SDK sends AWS_CONTAINER_CREDENTIALS_RELATIVE_URI. */
const CONTAINER_HOST = 'http://169.254.170.2';

/** The profile the SDK reads: AWS_PROFILE as given, else `default` (AWS_DEFAULT_PROFILE is not the SDK's). */
export function activeProfile(env: Environment): string {
  return env.AWS_PROFILE || 'default';
}

export function decideCredentialSource(env: Environment, files: SharedConfigTexts): ChainDecision {
  if (!env.AWS_PROFILE && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { source: 'environment', accessKeyId: env.AWS_ACCESS_KEY_ID };
  }
  const shared = mergeProfiles(files);
  const name = activeProfile(env);
  const profile = resolveProfile(name, shared, env, new Set(), false, 0);
  const fallback = fallbackSource(env);
  if (profile === undefined) return fallback;
  return { source: 'profile', profile: { name, ...profile }, fallback };
}

/** Steps 4 to 6 of the chain. */
export function fallbackSource(env: Environment): FallbackSource {
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) {
    return { source: 'web-identity', roleArn: env.AWS_ROLE_ARN, tokenFile: env.AWS_WEB_IDENTITY_TOKEN_FILE };
  }
  const container = containerUri(env);
  if (container !== undefined) return { source: 'container', uri: container };
  return { source: 'instance-metadata', endpoint: metadataEndpoint(env), disabled: metadataDisabled(env) };
}

/** The container credentials URL the SDK will call; the relative URI wins when both are set. */
export function containerUri(env: Environment): string | undefined {
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) return `${CONTAINER_HOST}${env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}`;
  return env.AWS_CONTAINER_CREDENTIALS_FULL_URI || undefined;
}

export function metadataEndpoint(env: Environment): string {
  if (env.AWS_EC2_METADATA_SERVICE_ENDPOINT) return env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
  return env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE === 'IPv6' ? IPV6_METADATA_ENDPOINT : DEFAULT_METADATA_ENDPOINT;
}

/** As the SDK reads it: any value but `false` disables instance metadata. */
export function metadataDisabled(env: Environment): boolean {
  const value = env.AWS_EC2_METADATA_DISABLED;
  return Boolean(value) && value !== 'false';
}

type ResolvedProfile = Omit<ProfileUse, 'name'>;
type Section = Readonly<Record<string, string>>;

/**
 * `resolveProfileData` of @aws-sdk/credential-provider-ini, statically: undefined when the SDK
 * would not take the profile at all (it then goes on down the chain).
 */
function resolveProfile(
  name: string,
  shared: SharedProfiles,
  env: Environment,
  visited: ReadonlySet<string>,
  roleRecursion: boolean,
  depth: number,
): ResolvedProfile | undefined {
  const data = shared.profiles[name];
  if (data === undefined || depth > MAX_PROFILE_CHAIN) return undefined;
  const settings = identitySettings(data);
  const sourceProfiles = visited.size > 0;

  if (sourceProfiles && isStatic(data)) return { kind: 'static', description: [settings], mayFallThrough: false };
  if (roleRecursion || isAssumeRole(data)) return resolveRole(data, shared, env, visited, depth);
  if (isStatic(data)) return { kind: 'static', description: [settings], mayFallThrough: false };
  if (data.web_identity_token_file !== undefined && data.role_arn !== undefined) {
    return { kind: 'web-identity', roleArn: data.role_arn, description: [settings], mayFallThrough: false };
  }
  // The SDK turns every credential_process failure into an error the chain goes on from.
  if (data.credential_process !== undefined) return { kind: 'process', description: [settings], mayFallThrough: true };
  if (SSO_SETTINGS.some((key) => data[key] !== undefined)) {
    const session = data.sso_session === undefined ? undefined : (shared.ssoSessions[data.sso_session] ?? null);
    return { kind: 'sso', description: [settings, ['sso-session', session ?? null]], mayFallThrough: false };
  }
  if (data.login_session !== undefined) return { kind: 'login', description: [settings], mayFallThrough: true };
  return undefined;
}

function resolveRole(
  data: Section,
  shared: SharedProfiles,
  env: Environment,
  visited: ReadonlySet<string>,
  depth: number,
): ResolvedProfile {
  const own = identitySettings(data);
  const roleArn = data.role_arn;
  const sourceName = data.source_profile;
  let source: unknown;
  let mayFallThrough: boolean;
  if (sourceName !== undefined) {
    if (visited.has(sourceName)) {
      // The SDK reports the cycle with an error the chain goes on from.
      source = ['cycle', sourceName];
      mayFallThrough = true;
    } else {
      const sourceData = shared.profiles[sourceName] ?? {};
      const next = new Set(visited).add(sourceName);
      const resolved = resolveProfile(sourceName, shared, env, next, credentialSourceWithoutRole(sourceData), depth + 1);
      source = resolved === undefined ? ['unresolved', sourceName] : ['source', resolved.kind, resolved.description];
      mayFallThrough = resolved === undefined || resolved.mayFallThrough;
    }
  } else {
    const credentialSource = data.credential_source ?? '';
    source = ['credential_source', credentialSource, credentialSourceIdentity(credentialSource, env)];
    // Every credential_source can fail softly: no environment keys, no metadata answer, an unknown name.
    mayFallThrough = true;
  }
  return {
    kind: 'role',
    ...(roleArn === undefined ? {} : { roleArn }),
    description: [own, source],
    mayFallThrough,
  };
}

/** Who a `credential_source` is: the environment key id, the container URI, the metadata endpoint. */
function credentialSourceIdentity(credentialSource: string, env: Environment): unknown {
  switch (credentialSource) {
    case 'Environment':
      return env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY ? ['env', env.AWS_ACCESS_KEY_ID] : null;
    case 'EcsContainer':
      return ['container', containerUri(env) ?? null];
    case 'Ec2InstanceMetadata':
      return ['instance-metadata', metadataEndpoint(env)];
    default:
      return null;
  }
}

const SSO_SETTINGS = ['sso_start_url', 'sso_account_id', 'sso_session', 'sso_region', 'sso_role_name'] as const;

/** `isAssumeRoleProfile`: a role_arn and exactly one of source_profile and credential_source. */
function isAssumeRole(data: Section): boolean {
  return data.role_arn !== undefined && (data.source_profile !== undefined) !== (data.credential_source !== undefined);
}

/** `isStaticCredsProfile`: both the key id and the secret. */
function isStatic(data: Section): boolean {
  return data.aws_access_key_id !== undefined && data.aws_secret_access_key !== undefined;
}

/** `isCredentialSourceWithoutRoleArn`: such a source profile gives its credential_source's keys as they are. */
function credentialSourceWithoutRole(data: Section): boolean {
  return data.role_arn === undefined && Boolean(data.credential_source);
}

function identitySettings(data: Section): Array<[string, string]> {
  return IDENTITY_SETTINGS.filter((key) => data[key] !== undefined).map((key) => [key, data[key] as string]);
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
