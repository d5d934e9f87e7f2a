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
 *     identity, `credential_process`, SSO, `login_session` — in that order; a role's
 *     `source_profile` chain to any depth, ended only by a cycle;
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
import { IniRejectedError, KNOWN_SECTION_KINDS, parseIni, type IniSections } from './ini';

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
  const profile = resolveProfile(name, shared, env);
  const fallback = fallbackSource(env);
  if (profile === undefined) return fallback;
  return { source: 'profile', profile: { name, ...profile }, fallback };
}

/**
 * A static profile's own keys, as the SDK's `resolveStaticCredentials` takes them (with its
 * session token, if any); undefined when the profile does not hold both the key id and the secret.
 */
export function staticProfileKeys(name: string, files: SharedConfigTexts): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined {
  const data = mergeProfiles(files).profiles[name];
  if (data === undefined || !isStatic(data) || inheritedName(name)) return undefined;
  const { aws_access_key_id: accessKeyId, aws_secret_access_key: secretAccessKey, aws_session_token: sessionToken } = data;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
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
 * would not take the profile at all (it then goes on down the chain). A role's source profile
 * is followed to any depth, as the SDK follows it (it stops only at a cycle); the chain is
 * walked in a loop and described as a flat list of links, so that no depth overflows a stack.
 */
function resolveProfile(name: string, shared: SharedProfiles, env: Environment): ResolvedProfile | undefined {
  const first = profileStep(name, shared, env, false, false);
  if (first === undefined) return undefined;
  const links: unknown[] = [first.link];
  const visited = new Set<string>();
  let step = first;
  while (step.sourceProfile !== undefined) {
    const sourceName = step.sourceProfile;
    if (visited.has(sourceName) || inheritedName(sourceName)) {
      // The SDK reports the cycle with an error the chain goes on from. It keeps the names it
      // visited in a plain object, so a name such as `constructor` counts as visited from the start.
      links.push(['cycle', sourceName]);
      return chainResult(first, links, true);
    }
    visited.add(sourceName);
    const next = profileStep(sourceName, shared, env, true, credentialSourceWithoutRole(shared.profiles[sourceName] ?? {}));
    if (next === undefined) {
      links.push(['unresolved', sourceName]);
      return chainResult(first, links, true);
    }
    links.push(next.link);
    step = next;
  }
  return chainResult(first, links, step.mayFallThrough);
}

interface ProfileStep {
  readonly kind: ProfileKind;
  readonly roleArn?: string;
  /** What of this profile decides who the chain acts as. */
  readonly link: unknown;
  /** The profile this one draws its credentials from, when the chain goes on. */
  readonly sourceProfile?: string;
  /** For a step that ends the chain: whether the SDK may go on to later sources when it fails. */
  readonly mayFallThrough: boolean;
}

function chainResult(first: ProfileStep, links: unknown[], mayFallThrough: boolean): ResolvedProfile {
  return { kind: first.kind, ...(first.roleArn === undefined ? {} : { roleArn: first.roleArn }), description: links, mayFallThrough };
}

/** One profile of the chain, in the SDK's order of checks; undefined when the SDK cannot use it. */
function profileStep(
  name: string,
  shared: SharedProfiles,
  env: Environment,
  isSource: boolean,
  roleRecursion: boolean,
): ProfileStep | undefined {
  if (inheritedName(name)) return inheritedNameStep(name, shared);
  const data = shared.profiles[name];
  if (data === undefined) return undefined;
  const settings = identitySettings(data);
  if (isSource && isStatic(data)) return { kind: 'static', link: ['static', settings], mayFallThrough: false };
  if (roleRecursion || isAssumeRole(data)) {
    const role = data.role_arn === undefined ? {} : { roleArn: data.role_arn };
    if (data.source_profile !== undefined) return { kind: 'role', ...role, link: ['role', settings], sourceProfile: data.source_profile, mayFallThrough: false };
    const credentialSource = data.credential_source ?? '';
    // Every credential_source can fail softly: no environment keys, no metadata answer, an unknown name.
    return {
      kind: 'role',
      ...role,
      link: ['role', settings, ['credential_source', credentialSource, credentialSourceIdentity(credentialSource, env)]],
      mayFallThrough: true,
    };
  }
  if (isStatic(data)) return { kind: 'static', link: ['static', settings], mayFallThrough: false };
  if (data.web_identity_token_file !== undefined && data.role_arn !== undefined) {
    return { kind: 'web-identity', roleArn: data.role_arn, link: ['web-identity', settings], mayFallThrough: false };
  }
  // The SDK turns every credential_process failure into an error the chain goes on from.
  if (data.credential_process !== undefined) return { kind: 'process', link: ['process', settings], mayFallThrough: true };
  if (SSO_SETTINGS.some((key) => data[key] !== undefined)) {
    return { kind: 'sso', link: ['sso', settings, ['sso-session', ssoSessionOf(data, shared)]], mayFallThrough: false };
  }
  if (data.login_session !== undefined) return { kind: 'login', link: ['login', settings], mayFallThrough: true };
  return undefined;
}

/**
 * The SDK keeps profiles in plain objects, so a profile named after a property every object
 * inherits (`constructor`, `toString`, `__proto__`…) reads as that function: only its SSO and
 * login checks, which do not ask for an object, can match, with the settings the files gave that
 * name. What such a profile does next is the SDK's accident, so the hash takes the settings of
 * both files as written and the later sources too.
 */
function inheritedNameStep(name: string, shared: SharedProfiles): ProfileStep | undefined {
  const data = shared.profiles[name];
  if (data === undefined) return undefined;
  const kind: ProfileKind | undefined = SSO_SETTINGS.some((key) => data[key] !== undefined) ? 'sso' : data.login_session !== undefined ? 'login' : undefined;
  if (kind === undefined) return undefined;
  const perFile = shared.perFile.map((sections) => identitySettings(sections[name] ?? {}));
  return { kind, link: ['inherited-name', kind, perFile, ['sso-session', ssoSessionOf(data, shared)]], mayFallThrough: true };
}

function inheritedName(name: string): boolean {
  return name in Object.prototype;
}

function ssoSessionOf(data: Section, shared: SharedProfiles): Section | null {
  return data.sso_session === undefined ? null : (shared.ssoSessions[data.sso_session] ?? null);
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
  /** The profiles of the config file, then of the credentials file, each as the SDK names them. */
  readonly perFile: readonly [IniSections, IniSections];
}

/**
 * Profiles from both files, merged as the SDK merges them (`loadSharedConfigFiles`, then
 * `mergeConfigFiles`): from the config file `[default]`, then every `[profile x]` in the order
 * written, a `[profile default]` with settings replacing `[default]` whole; `[sso-session x]` and
 * `[services x]` kept under their full names; plain `[x]` sections dropped. From the credentials
 * file every section under its own name. The credentials file wins key by key. A file the SDK's
 * parser refuses reads as empty.
 */
function mergeProfiles(files: SharedConfigTexts): SharedProfiles {
  const config = parseOrEmpty(files.config);
  const fromConfig = Object.create(null) as IniSections;
  const ssoSessions = Object.create(null) as IniSections;
  if (config.default !== undefined) fromConfig.default = config.default;
  for (const [section, values] of Object.entries(config)) {
    const dot = section.indexOf('.');
    const kind = section.slice(0, dot);
    if (dot < 0 || !KNOWN_SECTION_KINDS.has(kind)) continue;
    const name = kind === 'profile' ? section.slice(dot + 1) : section;
    // The SDK's assignment to `__proto__` sets its object's prototype instead: no profile.
    if (name !== '__proto__') fromConfig[name] = values;
    if (kind === 'sso-session') ssoSessions[section.slice(dot + 1)] = values;
  }
  const fromCredentials = parseOrEmpty(files.credentials);
  const profiles = Object.create(null) as IniSections;
  for (const file of [fromConfig, fromCredentials]) {
    for (const [name, values] of Object.entries(file)) profiles[name] = { ...profiles[name], ...values };
  }
  return { profiles, ssoSessions, perFile: [fromConfig, fromCredentials] };
}

function parseOrEmpty(text: string | undefined): IniSections {
  try {
    return parseIni(text ?? '');
  } catch (error) {
    if (error instanceof IniRejectedError) return Object.create(null) as IniSections;
    throw error;
  }
}
