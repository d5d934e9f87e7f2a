/**
 * Pointing a Docker-format config file (`~/.docker/config.json`, Nomad's `auth { config }` file,
 * podman's `auth.json`, a Marathon `docker.tar.gz`) at this helper. Pure: old text in, new text
 * out. Every key the edit does not touch keeps its value as it was (`auths`, `proxies`, other
 * `credHelpers`, keys Docker added after this was written); the result is indented with tabs,
 * as Docker writes it; an edit that changes nothing leaves the text exactly as it was.
 */
import { gzipSync } from 'node:zlib';
import { tarArchive } from '../fs/tar';

/** Docker runs `docker-credential-<this>`. */
export const HELPER_SUFFIX = 'ecr-login';

export interface HelperEntries {
  /** Registry hosts for `credHelpers`, as Docker looks them up (see credHelpersKey). */
  readonly hosts: readonly string[];
  /** `"credsStore": "ecr-login"`: every registry is asked of the helper. */
  readonly store: boolean;
}

export interface ConfigEdit {
  /** The file's new text; the old text itself when nothing changed. */
  readonly text: string;
  /** One line per change, for the person who asked. */
  readonly changes: readonly string[];
  /** The entries that were there already. */
  readonly unchanged: readonly string[];
}

/** The file cannot be edited; the message names the file and the reason. */
export class DockerConfigError extends Error {
  override readonly name = 'DockerConfigError';
}

/**
 * The `credHelpers` key Docker looks a registry up by: the registry part of an image name,
 * `host` or `host:port`, lowercased; a scheme or a path given by habit is dropped.
 */
export function credHelpersKey(given: string): string {
  return (given.trim().replace(/^https?:\/\//i, '').split('/', 1)[0] ?? '').toLowerCase();
}

/** Adds the helper's entries to a Docker config's text (`undefined`: no file yet). */
export function addHelperEntries(oldText: string | undefined, entries: HelperEntries, file: string): ConfigEdit {
  const config = parseDockerConfig(oldText, file);
  const changes: string[] = [];
  const unchanged: string[] = [];
  if (entries.store) {
    const before = config.credsStore;
    if (before === HELPER_SUFFIX) unchanged.push(`"credsStore": "${HELPER_SUFFIX}"`);
    else {
      config.credsStore = HELPER_SUFFIX;
      changes.push(`set "credsStore": "${HELPER_SUFFIX}"${before === undefined ? '' : ` (was ${JSON.stringify(before)})`}`);
    }
  }
  if (entries.hosts.length > 0) {
    const helpers = objectMember(config, 'credHelpers', file);
    for (const host of entries.hosts) {
      const before = helpers[host];
      if (before === HELPER_SUFFIX) unchanged.push(`"credHelpers": {"${host}": "${HELPER_SUFFIX}"}`);
      else {
        helpers[host] = HELPER_SUFFIX;
        changes.push(`added "credHelpers": {"${host}": "${HELPER_SUFFIX}"}${before === undefined ? '' : ` (was ${JSON.stringify(before)})`}`);
      }
    }
    config.credHelpers = helpers;
  }
  if (changes.length === 0 && oldText !== undefined) return { text: oldText, changes, unchanged };
  return { text: `${JSON.stringify(config, null, '\t')}\n`, changes, unchanged };
}

/** The helpers a Docker config names: `credsStore`, and `credHelpers` by registry. */
export interface ConfiguredHelpers {
  readonly credsStore?: string;
  readonly credHelpers: Readonly<Record<string, string>>;
}

export function configuredHelpers(text: string, file: string): ConfiguredHelpers {
  const config = parseDockerConfig(text, file);
  const helpers = objectMember(config, 'credHelpers', file);
  const named = Object.entries(helpers).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return {
    ...(typeof config.credsStore === 'string' ? { credsStore: config.credsStore } : {}),
    credHelpers: Object.fromEntries(named),
  };
}

/** The helper Docker runs for a registry: its `credHelpers` entry, else `credsStore`; undefined: none. */
export function helperFor(helpers: ConfiguredHelpers, registry: string): string | undefined {
  return helpers.credHelpers[credHelpersKey(registry)] ?? helpers.credsStore;
}

function parseDockerConfig(text: string | undefined, file: string): Record<string, unknown> {
  // Docker reads an empty file as an empty configuration.
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new DockerConfigError(`${file} is not valid JSON (${error instanceof Error ? error.message : String(error)}); it was left as it is`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DockerConfigError(`${file} is not a JSON object; it was left as it is`);
  }
  return value as Record<string, unknown>;
}

function objectMember(config: Record<string, unknown>, key: string, file: string): Record<string, unknown> {
  const member = config[key];
  if (member === undefined) return {};
  if (member === null || typeof member !== 'object' || Array.isArray(member)) {
    throw new DockerConfigError(`${file}: "${key}" is not an object; it was left as it is`);
  }
  return member as Record<string, unknown>;
}

/**
 * The Marathon/Mesos `docker.tar.gz`: `.docker/` (0700) and `.docker/config.json` (0600) at its
 * root, which Mesos unpacks into the sandbox it makes HOME for `docker pull`. It holds the text
 * given, never the user's own config: its `auths` are secrets.
 */
export function dockerConfigArchive(configText: string, mtimeSeconds: number): Buffer {
  return gzipSync(
    tarArchive([
      { path: '.docker/', type: 'directory', mode: 0o700, mtime: mtimeSeconds },
      { path: '.docker/config.json', type: 'file', mode: 0o600, content: Buffer.from(configText, 'utf8'), mtime: mtimeSeconds },
    ]),
  );
}
