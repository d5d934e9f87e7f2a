/**
 * `configure [HOST...]`: adds `"<host>": "ecr-login"` under `credHelpers` (or `"credsStore"`) of
 * the Docker config, a Docker-format file of the user's choice, or a Marathon `docker.tar.gz`.
 * The decisions are docker-config.ts's (pure); this file reads, asks STS and writes.
 */
import { chownSync, lstatSync, mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readRegistrySettings, SettingsFileError } from '../config/registry-settings';
import { dockerConfigFile } from '../config/settings';
import { errorCode } from '../fs/private-dir';
import { replaceFile } from '../fs/replace-file';
import { DEFAULT_CHAIN } from '../identity/plan';
import { configuredRegion } from '../identity/region';
import { readSharedConfigTexts } from '../identity/shared-files';
import type { Outcome } from '../protocol/outcome';
import { accountRegistryHost } from '../registry/account-registry';
import { hostOf, isEcrHost } from '../registry/parse';
import type { HelperContext } from '../service/context';
import { askCallerIdentity } from '../service/caller-identity';
import { addHelperEntries, credHelpersKey, DockerConfigError, dockerConfigArchive, HELPER_SUFFIX, type HelperEntries } from './docker-config';
import { commandFailure, notARegistry, report } from './outcome';

interface ConfigureOptions {
  readonly file?: string;
  readonly store?: boolean;
  readonly archive?: string;
  readonly dryRun?: boolean;
}

/** A failure already put into the words the user will read. */
class ConfigureError extends Error {}

export async function configure(given: readonly string[], options: Readonly<Record<string, unknown>>, context: HelperContext): Promise<Outcome> {
  const { file, store = false, archive, dryRun = false } = options as ConfigureOptions;
  if (file !== undefined && archive !== undefined) return commandFailure('--file and --archive name two places to write: give one');
  if (store && given.length > 0) return commandFailure('--store sends every registry to the helper: give no HOST with it');
  const notes: string[] = [];
  let entries: HelperEntries;
  try {
    entries = { store, hosts: store ? [] : given.length > 0 ? helperHosts(given, context) : [await ownRegistry(context, notes)] };
  } catch (error) {
    if (error instanceof ConfigureError) return commandFailure(error.message);
    throw error;
  }
  return archive !== undefined ? writeArchive(archive, entries, dryRun, notes, context) : editConfig(file, entries, dryRun, notes, context);
}

/** The credHelpers keys for the hosts given: ECR hosts, or aliases the settings file names. */
function helperHosts(given: readonly string[], context: HelperContext): string[] {
  const { settingsFile } = context.settings;
  let settings: ReturnType<typeof readRegistrySettings> | undefined;
  return given.map((host) => {
    const key = credHelpersKey(host);
    if (isEcrHost(key)) return key;
    settings ??= readRegistrySettings(settingsFile);
    if (settings instanceof SettingsFileError) throw new ConfigureError(notARegistry(host, settingsFile, settings.message));
    if (!settings.registries.has(hostOf(key) ?? '')) throw new ConfigureError(notARegistry(host, settingsFile));
    return key;
  });
}

/** The caller's own registry: the account STS names, in the configured region. */
async function ownRegistry(context: HelperContext, notes: string[]): Promise<string> {
  const { env, homeDir } = context;
  const found = configuredRegion(env, readSharedConfigTexts(env, homeDir));
  if (found === undefined) {
    throw new ConfigureError(
      'no AWS region is configured, so your registry cannot be named: set AWS_REGION (or "region" in your AWS profile), or give the registry host: configure <account>.dkr.ecr.<region>.amazonaws.com',
    );
  }
  const answer = await askCallerIdentity(DEFAULT_CHAIN, found.region, context);
  if ('cause' in answer) throw new ConfigureError(`cannot ask STS which account you are in: ${answer.cause}`);
  const host = accountRegistryHost(answer.caller.account, found.region);
  notes.push(`STS GetCallerIdentity: ${answer.caller.arn}; region ${found.region} (from ${found.from}): ${host}`);
  return host;
}

function editConfig(file: string | undefined, entries: HelperEntries, dryRun: boolean, notes: readonly string[], context: HelperContext): Outcome {
  const target = resolve(file ?? dockerConfigFile(context.env, context.homeDir));
  // Through a symlink to the file it names, so that the link stays a link.
  const real = existingRealPath(target) ?? target;
  let oldText: string | undefined;
  let mode = 0o600;
  let owner: { uid: number; gid: number } | undefined;
  try {
    oldText = readFileSync(real, 'utf8');
    const stats = statSync(real);
    mode = stats.mode & 0o7777;
    owner = { uid: stats.uid, gid: stats.gid };
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') return commandFailure(`cannot read ${target}: ${errorCode(error)}`);
  }
  let edit;
  try {
    edit = addHelperEntries(oldText, entries, target);
  } catch (error) {
    if (error instanceof DockerConfigError) return commandFailure(error.message);
    throw error;
  }
  if (dryRun) return printed(edit.text, [...notes, ...edit.changes.map((change) => `${target} (dry run, nothing written): ${change}`)]);
  if (edit.changes.length === 0) return report([...notes, `${target}: already set up (${edit.unchanged.join(', ')}); nothing changed`]);
  try {
    mkdirSync(dirname(real), { recursive: true, mode: 0o700 });
    replaceFile(dirname(real), real, edit.text, mode);
    keepOwner(real, owner);
  } catch (error) {
    return commandFailure(`cannot write ${target}: ${errorCode(error)}; it was left as it is`);
  }
  context.logger.info({ file: target, changes: edit.changes }, 'configured');
  return report([...notes, ...edit.changes.map((change) => `${target}: ${change}`)]);
}

function writeArchive(archive: string, entries: HelperEntries, dryRun: boolean, notes: readonly string[], context: HelperContext): Outcome {
  const configText = addHelperEntries(undefined, entries, '.docker/config.json').text;
  if (dryRun) return printed(configText, notes);
  const target = resolve(archive);
  try {
    // Readable by the agent that fetches it: it holds no secret, only the helper's name.
    replaceFile(dirname(target), target, dockerConfigArchive(configText, Math.floor(context.clock.now() / 1000)), 0o644);
  } catch (error) {
    return commandFailure(`cannot write ${target}: ${errorCode(error)}`);
  }
  const what = entries.store ? `"credsStore": "${HELPER_SUFFIX}"` : `credHelpers for ${entries.hosts.join(', ')}`;
  return report([...notes, `${target}: wrote .docker/config.json with ${what}`]);
}

/** --dry-run: the file itself on stdout, for a pipe; what it would change on stderr. */
function printed(text: string, notes: readonly string[]): Outcome {
  return { ...report([], 0, notes), stdout: text };
}

function existingRealPath(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? realpathSync(path) : path;
  } catch {
    return undefined;
  }
}

/** Root editing another user's file (sudo) must not leave it root's. */
function keepOwner(path: string, owner: { uid: number; gid: number } | undefined): void {
  if (owner === undefined || process.getuid?.() !== 0 || owner.uid === 0) return;
  try {
    chownSync(path, owner.uid, owner.gid);
  } catch {
    // The content is written; only the owner could not be restored, which root never meets.
  }
}
