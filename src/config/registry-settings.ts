/**
 * The per-registry settings file (docs/SPEC.md section 7): `~/.ecr/config.json`, or the file
 * `AWS_ECR_CONFIG` names. For each registry host: the AWS `profile` its tokens come from, a
 * `roleArn` to assume first, or, for a host of the user's own, the ECR `registry` it stands for.
 *
 * Every `get` reads it, a cache hit included, so reading is one small synchronous read, one
 * JSON.parse and a validation that refuses anything it does not know: a typo must fail loudly
 * rather than quietly mint a token as someone else. A missing file is an empty one.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { errorCode } from '../fs/private-dir';
import { hostOf, parseRegistry } from '../registry/parse';

export interface RegistrySetting {
  /** The AWS profile this registry's tokens come from, whatever AWS_PROFILE says. */
  readonly profile?: string;
  /** A role assumed (from the profile's or the default credentials) before ECR is called. */
  readonly roleArn?: string;
  /** For an alias: the ECR registry host it stands for, lowercased. */
  readonly registry?: string;
}

export interface RegistrySettings {
  readonly file: string;
  /** Keyed by host: lowercased, without scheme, port or path. */
  readonly registries: ReadonlyMap<string, RegistrySetting>;
}

/** The file cannot be used; the message names the file and the problem, in one line. */
export class SettingsFileError extends Error {
  override readonly name = 'SettingsFileError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`settings file ${file}: ${problem}`);
  }
}

/** Far more than any real file; a larger one is refused rather than read on every `get`. */
const MAX_SETTINGS_BYTES = 256 * 1024;
const KNOWN_SETTINGS = ['profile', 'roleArn', 'registry'] as const;
/** The characters a profile name may have in a `[profile name]` header, as the SDK reads it. */
const PROFILE_NAME = /^[\w\-@+.%:/]+$/;
const ROLE_ARN = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** Reads and validates the file; a missing file is no settings, an unusable one a SettingsFileError. */
export function readRegistrySettings(file: string): RegistrySettings | SettingsFileError {
  const text = readSmallText(file);
  if (text === undefined) return { file, registries: new Map() };
  return text instanceof SettingsFileError ? text : parseRegistrySettings(text, file);
}

function readSmallText(file: string): string | undefined | SettingsFileError {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return errorCode(error) === 'ENOENT' ? undefined : new SettingsFileError(file, `cannot read it: ${errorCode(error)}`);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return new SettingsFileError(file, 'not a regular file');
    if (stats.size > MAX_SETTINGS_BYTES) return new SettingsFileError(file, `larger than ${MAX_SETTINGS_BYTES / 1024} KiB`);
    return readFileSync(fd, 'utf8');
  } catch (error) {
    return new SettingsFileError(file, `cannot read it: ${errorCode(error)}`);
  } finally {
    closeSync(fd);
  }
}

/** Pure: the file's text into settings, or a SettingsFileError naming the first problem. */
export function parseRegistrySettings(text: string, file: string): RegistrySettings | SettingsFileError {
  const registries = registriesOf(text);
  return typeof registries === 'string' ? new SettingsFileError(file, registries) : { file, registries };
}

function registriesOf(text: string): Map<string, RegistrySetting> | string {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return `not valid JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (!isObject(value)) return 'not a JSON object: expected {"registries": {…}}';
  const unknown = Object.keys(value).find((key) => key !== 'registries');
  if (unknown !== undefined) return `unknown setting ${JSON.stringify(unknown)} (the file holds "registries" only)`;
  const given = value.registries ?? {};
  if (!isObject(given)) return '"registries" is not an object of registry hosts';

  const registries = new Map<string, RegistrySetting>();
  const spelledAs = new Map<string, string>();
  // Not `Object.entries` with `[key, entry]`: V8's interpreter destructures each pair through the
  // iterator protocol, which cost a hit 12 K instructions a registry on Node 20.
  for (const key of Object.keys(given)) {
    const entry = given[key];
    // Parsed once as a registry, and only if it is none, as a host: this runs on every `get`.
    const ecrHost = parseRegistry(key)?.host;
    const host = ecrHost ?? hostOf(key);
    if (host === undefined) return `${entryName(key)}: not a registry host`;
    const earlier = spelledAs.get(host);
    if (earlier !== undefined) return `${entryName(key)} and ${entryName(earlier)} name the same registry`;
    spelledAs.set(host, key);
    const setting = validSetting(ecrHost !== undefined, entry);
    if (typeof setting === 'string') return `${entryName(key)}: ${setting}`;
    registries.set(host, setting);
  }
  return registries;
}

/** How an error names a registry's entry; built only for an error, since the loop runs on every `get`. */
function entryName(key: string): string {
  return `registries[${JSON.stringify(key)}]`;
}

/** The validated setting, or what is wrong with it. */
function validSetting(isEcrHost: boolean, entry: unknown): RegistrySetting | string {
  if (!isObject(entry)) return 'not an object: expected {"profile": …}, {"roleArn": …} or {"registry": …}';
  for (const key of Object.keys(entry)) {
    if (!(KNOWN_SETTINGS as readonly string[]).includes(key)) return `unknown setting ${JSON.stringify(key)} (known: ${KNOWN_SETTINGS.join(', ')})`;
  }
  const { profile, roleArn, registry } = entry;
  if (profile !== undefined && (typeof profile !== 'string' || !PROFILE_NAME.test(profile))) {
    return `"profile" is not a profile name: ${JSON.stringify(profile)}`;
  }
  if (roleArn !== undefined && (typeof roleArn !== 'string' || !ROLE_ARN.test(roleArn))) {
    return `"roleArn" is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>): ${JSON.stringify(roleArn)}`;
  }
  let target: string | undefined;
  if (registry !== undefined) {
    if (isEcrHost) return `an ECR registry cannot be an alias of another: remove "registry"`;
    const parsed = typeof registry === 'string' ? parseRegistry(registry) : undefined;
    if (parsed === undefined) return `"registry" is not an ECR registry host: ${JSON.stringify(registry)}`;
    target = parsed.host;
  } else if (!isEcrHost) {
    return `not an ECR registry host; to make it an alias, add "registry": "<account>.dkr.ecr.<region>.amazonaws.com"`;
  }
  // Set field by field: spreading conditional objects costs V8's interpreter more, once a registry.
  const setting: { profile?: string; roleArn?: string; registry?: string } = {};
  if (profile !== undefined) setting.profile = profile as string;
  if (roleArn !== undefined) setting.roleArn = roleArn as string;
  if (target !== undefined) setting.registry = target;
  return setting;
}

/** What the settings say for a server URL, matched by host (any case, any scheme, port or path). */
export function settingFor(settings: RegistrySettings, serverUrl: string): RegistrySetting | undefined {
  const host = hostOf(serverUrl);
  return host === undefined ? undefined : settings.registries.get(host);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
