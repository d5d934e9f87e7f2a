/**
 * `doctor [HOST]`: what the helper would do, and what is wrong, in plain lines; each problem on
 * a line of its own that starts with `problem:` and says what to do; exit 1 when there is one.
 * It looks at this helper and the one first on PATH, the Docker config, the settings file, the
 * credential source, the token cache and the log; with HOST, the registry's API and identity,
 * then (unless --offline) one live call to STS and ECR. It never prints a key, a secret or a
 * token, and loads the AWS SDK only for the live call.
 */
import { accessSync, closeSync, constants, openSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { openTokenStore, TOKENS_DIR_NAME } from '../cache/token-store';
import { readRegistrySettings, settingFor, SettingsFileError, type RegistrySettings } from '../config/registry-settings';
import { dockerConfigFile } from '../config/settings';
import { errorCode } from '../fs/private-dir';
import { DEFAULT_CHAIN, planFingerprint } from '../identity/plan';
import { readSharedConfigTexts } from '../identity/shared-files';
import { LOG_FILE_NAME } from '../logging/logger';
import { HELPER_NAME } from '../protocol/messages';
import type { Outcome } from '../protocol/outcome';
import { ECR_PUBLIC_REGION } from '../registry/parse';
import { askCallerIdentity } from '../service/caller-identity';
import type { HelperContext } from '../service/context';
import { targetFor, type RegistryTarget } from '../service/registry-target';
import { explainTokenFailure, fetchWithDeadline } from '../service/token-service';
import { versionLine } from '../verbs/version';
import { configuredHelpers, DockerConfigError, HELPER_SUFFIX, helperFor } from './docker-config';
import { describeApi, describeEntry, describePlanSource, describeSetting, shortHash } from './doctor-lines';
import { report } from './outcome';

class Findings {
  readonly lines: string[] = [];
  problems = 0;
  say(line: string): void {
    this.lines.push(line);
  }
  problem(line: string): void {
    this.lines.push(`problem: ${line}`);
    this.problems += 1;
  }
}

export async function doctor(host: string | undefined, options: { readonly offline: boolean }, context: HelperContext): Promise<Outcome> {
  const findings = new Findings();
  findings.say(`helper: ${versionLine()}, Node.js ${process.version} (${process.execPath})`);
  checkPath(findings, context);
  checkDockerConfig(findings, host, context);
  const settings = checkSettings(findings, host, context);
  const target = host === undefined || settings === undefined ? undefined : checkRegistry(findings, host, settings, context);
  checkCredentials(findings, target, context);
  checkCache(findings, context);
  const { logDir } = context.settings;
  findings.say(logDir === undefined ? 'log: none (no cache directory)' : `log: ${join(logDir, LOG_FILE_NAME)}`);
  if (target !== undefined) {
    if (options.offline) findings.say('live check: skipped (--offline)');
    else await liveCheck(findings, target, context);
  }
  findings.say(findings.problems === 0 ? 'no problems found' : `${findings.problems} problem${findings.problems === 1 ? '' : 's'} found`);
  return report(findings.lines, findings.problems === 0 ? 0 : 1);
}

/** Docker, Nomad and the rest run the first `docker-credential-ecr-login` on PATH: is it this one? */
function checkPath(findings: Findings, context: HelperContext): void {
  const launcher = process.argv[1] ?? HELPER_NAME;
  const self = realPath(launcher);
  const dirs = (context.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  const first = dirs.map((dir) => join(dir, HELPER_NAME)).find(isExecutable);
  if (first === undefined) {
    findings.problem(`${HELPER_NAME} is not on PATH, so Docker cannot run it: put ${dirname(launcher)} on PATH, or link ${launcher} into a directory that is`);
    return;
  }
  if (self !== undefined && realPath(first) === self) {
    findings.say(`on PATH: ${first} is this helper`);
    return;
  }
  const what = isNativeExecutable(first) ? 'a native program (the Go amazon-ecr-credential-helper?)' : `another program (${realPath(first) ?? first})`;
  findings.problem(`${first} comes first on PATH and is ${what}, not this helper (${launcher}): Docker will run that one; put ${dirname(launcher)} before ${dirname(first)} on PATH, or remove the other`);
}

function checkDockerConfig(findings: Findings, host: string | undefined, context: HelperContext): void {
  const file = dockerConfigFile(context.env, context.homeDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const missing = errorCode(error) === 'ENOENT';
    findings.say(`docker config: ${file}: ${missing ? 'none' : `cannot read it (${errorCode(error)})`}`);
    if (host !== undefined) findings.problem(`Docker will not ask this helper for ${host}: run "${HELPER_NAME} configure ${host}"`);
    return;
  }
  let helpers;
  try {
    helpers = configuredHelpers(text, file);
  } catch (error) {
    if (!(error instanceof DockerConfigError)) throw error;
    findings.problem(`${error.message.replace(/; it was left as it is$/, '')}: Docker cannot read it either; fix it or move it away`);
    return;
  }
  const ours = Object.keys(helpers.credHelpers).filter((registry) => helpers.credHelpers[registry] === HELPER_SUFFIX);
  const entries = [
    ...(helpers.credsStore === HELPER_SUFFIX ? [`"credsStore": "${HELPER_SUFFIX}"`] : []),
    ...(ours.length === 0 ? [] : [`credHelpers for ${ours.join(', ')}`]),
  ];
  findings.say(`docker config: ${file}: ${entries.length === 0 ? `no entry names ${HELPER_SUFFIX} (run "${HELPER_NAME} configure")` : entries.join('; ')}`);
  if (host === undefined) return;
  const runs = helperFor(helpers, host);
  if (runs === HELPER_SUFFIX) return;
  findings.problem(
    runs === undefined
      ? `Docker will not ask any helper for ${host}: run "${HELPER_NAME} configure ${host}"`
      : `Docker will ask docker-credential-${runs} for ${host}, not this helper: run "${HELPER_NAME} configure ${host}"`,
  );
}

function checkSettings(findings: Findings, host: string | undefined, context: HelperContext): RegistrySettings | undefined {
  const file = context.settings.settingsFile;
  const settings = readRegistrySettings(file);
  if (settings instanceof SettingsFileError) {
    findings.problem(`${settings.message}: every get for an ECR registry fails until it is fixed or removed`);
    return undefined;
  }
  const count = settings.registries.size;
  findings.say(`settings file: ${file}: ${count === 0 ? 'none (optional)' : `${count} registr${count === 1 ? 'y' : 'ies'}`}`);
  if (host !== undefined) findings.say(`settings for ${host}: ${describeSetting(settingFor(settings, host))}`);
  return settings;
}

function checkRegistry(findings: Findings, host: string, settings: RegistrySettings, context: HelperContext): RegistryTarget | undefined {
  const target = targetFor(host, settings);
  if (target === undefined) {
    findings.problem(`${host} is not an ECR registry, nor an alias in ${settings.file}: add it under "registries" with "registry": "<ECR host>" to make it one`);
    return undefined;
  }
  const { registry } = target;
  const where = registry.kind === 'private' ? `account ${registry.accountId}, region ${registry.region}` : `ECR Public, region ${ECR_PUBLIC_REGION}`;
  findings.say(`registry: ${registry.host} (${where})${target.alias === undefined ? '' : `, for the alias ${target.alias}`}`);
  findings.say(`api: ${describeApi(registry, context.env)}`);
  return target;
}

function checkCredentials(findings: Findings, target: RegistryTarget | undefined, context: HelperContext): void {
  const plan = target?.plan ?? DEFAULT_CHAIN;
  const files = readSharedConfigTexts(context.env, context.homeDir);
  const source = describePlanSource(plan, context.env, files);
  findings.say(`credentials${target === undefined ? '' : ` for ${target.registry.host}`}: ${source.text}; identity ${shortHash(planFingerprint(plan, context.env, files))}`);
  if (source.problem !== undefined) findings.problem(source.problem);
}

function checkCache(findings: Findings, context: HelperContext): void {
  const { cacheDir, cacheDisabled, notices } = context.settings;
  if (cacheDir === undefined) {
    for (const notice of notices) findings.problem(notice);
    return;
  }
  const tokensDir = join(cacheDir, TOKENS_DIR_NAME);
  if (cacheDisabled) {
    findings.say(`token cache: off (AWS_ECR_DISABLE_CACHE): every get calls AWS`);
    return;
  }
  if (!isDirectory(tokensDir)) {
    findings.say(`token cache: ${tokensDir}: empty (made by the first get)`);
    return;
  }
  const opening = openTokenStore(cacheDir, context.logger, { create: false });
  if (opening.store === undefined) {
    findings.problem(`the token cache is not used: ${opening.reason}; make ${cacheDir} and ${tokensDir} yours with mode 0700, or remove them`);
    return;
  }
  const now = context.clock.now();
  const entries = opening.store.entries().sort((a, b) => a.registry.localeCompare(b.registry) || a.expiresAt - b.expiresAt);
  findings.say(`token cache: ${tokensDir}: ${entries.length} token${entries.length === 1 ? '' : 's'}`);
  for (const entry of entries) findings.say(`  ${describeEntry(entry, now)}`);
}

/** STS GetCallerIdentity, then ECR GetAuthorizationToken, both as the registry's plan. */
async function liveCheck(findings: Findings, target: RegistryTarget, context: HelperContext): Promise<void> {
  const { registry, plan } = target;
  const region = registry.kind === 'private' ? registry.region : ECR_PUBLIC_REGION;
  const answer = await askCallerIdentity(plan, region, context);
  if ('caller' in answer) findings.say(`live: STS GetCallerIdentity: ${answer.caller.arn}`);
  else findings.problem(`STS GetCallerIdentity failed: ${answer.cause}`);
  const request = { registry, plan };
  try {
    const token = await fetchWithDeadline(request, context);
    findings.say(`live: ${registry.kind === 'private' ? 'ECR' : 'ECR Public'} GetAuthorizationToken: a token valid until ${token.expiresAt.toISOString()}`);
  } catch (error) {
    findings.problem(`${registry.kind === 'private' ? 'ECR' : 'ECR Public'} GetAuthorizationToken failed: ${explainTokenFailure(error, request, context)}`);
  }
}

function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** An ELF binary rather than a script: Debian's Go helper, not a Node launcher. */
function isNativeExecutable(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY);
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    return head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
