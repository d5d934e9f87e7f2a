/**
 * Secrets never leak: every scenario kind of the suite (each verb and command, success, each
 * failure class, cache hits), run through the real bin/ at trace level, the most verbose, with
 * canary values for every secret the helper may hold — secret access keys (the environment's, a
 * profile's, a credential_process's), session tokens, a web identity token, a pod's service
 * account token, an SSO access token, the ECS authorization token, a Secret handed to `store`, a
 * password in a server URL, and every credential the emulators issued (STS, SSO, ECS, EC2 and
 * every ECR token). Then every byte the helper wrote is searched for each:
 *
 * - stdout, beyond the protocol answer itself: an ECR token may appear only as `get`'s Secret and
 *   `get-credentials`' password, and only the token of that very answer (and `get` gives back
 *   the server URL as the client wrote it, password and all);
 * - stderr, all of it;
 * - every file under each cache directory: the log files, failure records, locks, leftovers; an
 *   ECR token may live only in a token entry, and that entry must be 0600;
 * - the argument list of every process the helper started (a credential_process records its own
 *   and its parent shell's from inside).
 *
 * Each canary must be found 0 times outside those places.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { ACCOUNT, ECS_AUTH_TOKEN, HOST, roleArn, startCredentialWorld, type CredentialWorld, type Home } from '../support/credential-world';
import { runHelper, type Env, type HelperResult } from '../support/helper-process';
import { kubeletRequest, V1 } from '../support/kubelet-plugin';
import { writeSsoTokenCache } from '../support/sso-emulator';
import { makeWebIdentityToken } from '../support/sts-emulator';

const lines = (...text: string[]): string => `${text.join('\n')}\n`;
const unique = (label: string): string => `CANARY${label}${Math.random().toString(36).slice(2, 10).toUpperCase()}`;

/** The secrets the helper is given, by kind. Those the emulators issue are added as they are issued. */
const CANARY = {
  environmentSecretKey: unique('ENVSECRET'),
  temporarySecretKey: unique('TEMPSECRET'),
  sessionToken: unique('SESSIONTOKEN'),
  profileSecretKey: unique('PROFILESECRET'),
  processSecretKey: unique('PROCESSSECRET'),
  processSessionToken: unique('PROCESSTOKEN'),
  webIdentityToken: unique('WEBIDENTITY'),
  podServiceAccountToken: unique('PODTOKEN'),
  ssoAccessToken: unique('SSOACCESS'),
  storeSecret: unique('STORESECRET'),
  serverUrlPassword: unique('URLPASSWORD'),
};
const KEY = { environment: 'AKIDCANARYENV', temporary: 'ASIACANARYTEMP', profile: 'AKIDCANARYPROFILE', process: 'ASIACANARYPROCESS' };

let world: CredentialWorld;
const homes: Home[] = [];
/** Every run, with what of its stdout is the protocol's answer. */
const runs: Array<{ scenario: string; result: HelperResult }> = [];
/** Where the processes the helper started record their argument lists. */
let argvLog = '';

before(async () => {
  world = await startCredentialWorld();
  world.ecr.addCredentials(KEY.environment, CANARY.environmentSecretKey);
  world.ecr.addCredentials(KEY.temporary, CANARY.temporarySecretKey, CANARY.sessionToken);
  world.sts.addCredentials(KEY.profile, CANARY.profileSecretKey);
  world.ecr.addCredentials(KEY.profile, CANARY.profileSecretKey);
  world.addTemporaryKey(KEY.process, CANARY.processSecretKey, CANARY.processSessionToken);
  world.sso.addAccessToken(CANARY.ssoAccessToken);
});
after(() => world.close());

function newHome(): Home {
  const home = world.newHome();
  homes.push(home);
  return home;
}

async function run(scenario: string, args: readonly string[], env: Env, input: string): Promise<HelperResult> {
  const result = await runHelper(args, { env: { ...env, AWS_ECR_LOG_LEVEL: 'trace' }, input, timeoutMs: 40_000 });
  assert.equal(result.signal, null, `${scenario}: ended by itself`);
  runs.push({ scenario, result });
  return result;
}

const environmentKeys: Env = { AWS_ACCESS_KEY_ID: KEY.environment, AWS_SECRET_ACCESS_KEY: CANARY.environmentSecretKey };
const temporaryKeys: Env = { AWS_ACCESS_KEY_ID: KEY.temporary, AWS_SECRET_ACCESS_KEY: CANARY.temporarySecretKey, AWS_SESSION_TOKEN: CANARY.sessionToken };
const jwt = (signature: string, claims: Record<string, unknown>): string => `${makeWebIdentityToken(claims).split('.').slice(0, 2).join('.')}.${signature}`;

/** Every scenario kind, in turn; each run is kept for the search. */
async function runEveryScenario(): Promise<void> {
  const expectExit = (result: HelperResult, code: number, scenario: string): void => assert.equal(result.code, code, `${scenario}: ${result.stdout}${result.stderr}`);

  // Environment keys: each verb, a miss and a hit, ECR Public, and the failures of the ECR API.
  const plain = newHome();
  const keysEnv = plain.env(environmentKeys);
  expectExit(await run('get, a miss', ['get'], keysEnv, HOST), 0, 'get');
  expectExit(await run('get, a hit', ['get'], keysEnv, `https://AWS:${CANARY.serverUrlPassword}@${HOST}/v2/`), 0, 'get hit');
  expectExit(await run('get, ECR Public', ['get'], keysEnv, 'public.ecr.aws'), 0, 'get public');
  expectExit(await run('list', ['list'], keysEnv, ''), 0, 'list');
  expectExit(await run('version', ['version'], keysEnv, ''), 0, 'version');
  expectExit(await run('store', ['store'], keysEnv, JSON.stringify({ ServerURL: HOST, Username: 'AWS', Secret: CANARY.storeSecret })), 0, 'store');
  expectExit(await run('store, not ECR', ['store'], keysEnv, JSON.stringify({ ServerURL: 'docker.io', Username: 'me', Secret: CANARY.storeSecret })), 1, 'store not ECR');
  expectExit(await run('store, not JSON', ['store'], keysEnv, `{"Secret":"${CANARY.storeSecret}"`), 1, 'store not JSON');
  expectExit(await run('erase', ['erase'], keysEnv, HOST), 0, 'erase');
  expectExit(await run('get, a near miss with a password', ['get'], keysEnv, `https://me:${CANARY.serverUrlPassword}@12345678901.dkr.ecr.eu-west-1.amazonaws.com`), 1, 'near miss');
  expectExit(await run('get, a password with a slash', ['get'], keysEnv, `me:public${CANARY.serverUrlPassword}/@${HOST}`), 1, 'password with slash');
  expectExit(await run('get, stdin too large', ['get'], keysEnv, `${HOST} ${CANARY.serverUrlPassword}`.padEnd(5000, ' ')), 1, 'too large');
  expectExit(await run('usage error', ['get', CANARY.serverUrlPassword], keysEnv, ''), 1, 'usage');
  for (const [fault, kind] of [['throttling', 'throttle'], ['access denied', 'access-denied'], ['an unusable token', 'malformed-token'], ['HTTP 503', 'http-503-html']] as const) {
    world.ecr.inject({ kind });
    expectExit(await run(`get, ECR ${fault}`, ['get'], keysEnv, `${ACCOUNT}.dkr.ecr.us-west-1.amazonaws.com`), 1, fault);
    expectExit(await run(`get, ECR Public ${fault}`, ['get'], keysEnv, 'ecr-public.aws.com'), 1, fault);
    world.ecr.clearFaults();
  }

  // Temporary keys with a session token.
  const temporary = newHome();
  expectExit(await run('get, temporary keys', ['get'], temporary.env(temporaryKeys), HOST), 0, 'temporary');

  // A profile assuming a role from a profile's static keys, then STS refusing it.
  const role = newHome();
  role.writeCredentials(lines('[base]', `aws_access_key_id = ${KEY.profile}`, `aws_secret_access_key = ${CANARY.profileSecretKey}`));
  role.writeConfig(lines('[profile role]', `role_arn = ${roleArn('canary')}`, 'source_profile = base', '[profile base]', 'region = eu-west-1'));
  expectExit(await run('get, an assumed role', ['get'], role.env({ AWS_PROFILE: 'role' }), HOST), 0, 'role');
  expectExit(await run('get, the base profile itself', ['get'], role.env({ AWS_PROFILE: 'base' }), HOST), 0, 'base');
  world.sts.inject({ kind: 'access-denied', times: 1 });
  expectExit(await run('get, STS refusing the role', ['get'], role.env({ AWS_PROFILE: 'role' }), `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`), 1, 'sts denied');

  // SSO, and the portal refusing the session.
  const sso = newHome();
  writeSsoTokenCache(sso.home, { sessionName: 'corp', startUrl: 'https://corp.awsapps.com/start', region: 'us-east-1', accessToken: CANARY.ssoAccessToken, expiresAt: new Date(Date.now() + 3600_000) });
  sso.writeConfig(lines('[profile sso]', 'sso_session = corp', `sso_account_id = ${ACCOUNT}`, 'sso_role_name = canary', '[sso-session corp]', 'sso_start_url = https://corp.awsapps.com/start', 'sso_region = us-east-1'));
  expectExit(await run('get, SSO', ['get'], sso.env({ AWS_PROFILE: 'sso' }), HOST), 0, 'sso');
  world.sso.inject({ kind: 'unauthorized', times: 1 });
  expectExit(await run('get, the SSO portal refusing', ['get'], sso.env({ AWS_PROFILE: 'sso' }), `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`), 1, 'sso refused');

  // Web identity from the environment, and STS refusing the token.
  const web = newHome();
  const tokenFile = web.write('token', jwt(CANARY.webIdentityToken, { sub: 'system:serviceaccount:ci:canary' }));
  const webEnv = web.env({ AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: roleArn('web') });
  expectExit(await run('get, web identity', ['get'], webEnv, HOST), 0, 'web identity');
  world.sts.inject({ kind: 'invalid-identity-token', times: 1 });
  expectExit(await run('get, STS refusing the web identity token', ['get'], webEnv, `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`), 1, 'web refused');

  // A credential_process that answers, one that fails after printing a secret (set -x), each recording its argv.
  const process = newHome();
  argvLog = join(process.home, 'argv.log');
  const record = `{ printf 'argv:'; printf ' %s' "$0" "$@"; printf '\\nparent:'; tr '\\0' ' ' < /proc/$PPID/cmdline; echo; } >> '${argvLog}'`;
  const expiration = new Date(Date.now() + 3600_000).toISOString();
  const answering = process.write(
    'bin/creds.sh',
    lines('#!/bin/sh', record, `printf '{"Version": 1, "AccessKeyId": "${KEY.process}", "SecretAccessKey": "${CANARY.processSecretKey}", "SessionToken": "${CANARY.processSessionToken}", "Expiration": "${expiration}"}\\n'`),
    0o700,
  );
  const failing = process.write('bin/fails.sh', lines('#!/bin/sh', record, 'set -x', `TOKEN=${CANARY.processSecretKey}`, 'echo "login --token $TOKEN" >&2', 'exit 7'), 0o700);
  process.writeConfig(lines('[profile p]', `credential_process = ${answering} --flag`, '[profile broken]', `credential_process = ${failing}`));
  expectExit(await run('get, a credential_process', ['get'], process.env({ AWS_PROFILE: 'p' }), HOST), 0, 'process');
  expectExit(await run('get, a credential_process failing', ['get'], process.env({ AWS_PROFILE: 'broken' }), HOST), 1, 'process failing');

  // The container and instance metadata endpoints, and no credentials at all.
  const metadata = newHome();
  expectExit(await run('get, ECS container credentials', ['get'], metadata.env({ AWS_CONTAINER_CREDENTIALS_FULL_URI: world.ecs[0].fullUri, AWS_CONTAINER_AUTHORIZATION_TOKEN: ECS_AUTH_TOKEN }), HOST), 0, 'ecs');
  expectExit(await run('get, EC2 instance metadata', ['get'], metadata.env({ AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: world.imds[0].url }), `${ACCOUNT}.dkr.ecr.us-east-2.amazonaws.com`), 0, 'imds');
  expectExit(await run('get, no credentials anywhere', ['get'], metadata.env(), `${ACCOUNT}.dkr.ecr.ap-south-1.amazonaws.com`), 1, 'none');

  // The kubelet: the node's identity, a pod's service account token with a role, and refusals.
  const kubelet = newHome();
  const nodeEnv = kubelet.env(environmentKeys);
  const podToken = jwt(CANARY.podServiceAccountToken, { iss: 'https://oidc.example/cluster', sub: 'system:serviceaccount:team:app' });
  const annotations = { 'eks.amazonaws.com/ecr-role-arn': roleArn('pod') };
  expectExit(await run('get-credentials, the node', ['get-credentials'], nodeEnv, kubeletRequest(`${HOST}/team/app:1`)), 0, 'kubelet node');
  expectExit(await run('get-credentials, a pod', ['get-credentials'], nodeEnv, kubeletRequest(`${HOST}/team/app:1`, { token: podToken, annotations })), 0, 'kubelet pod');
  expectExit(await run('get-credentials, a pod, a hit', ['get-credentials'], nodeEnv, kubeletRequest(`${HOST}/team/app:2`, { token: podToken, annotations })), 0, 'kubelet pod hit');
  world.sts.inject({ kind: 'invalid-identity-token', times: 1 });
  expectExit(await run('get-credentials, STS refusing the pod token', ['get-credentials'], nodeEnv, kubeletRequest(`${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/app`, { token: podToken, annotations })), 1, 'kubelet refused');
  expectExit(await run('get-credentials, a token that is not a JWT', ['get-credentials'], nodeEnv, kubeletRequest(`${HOST}/app`, { token: `x.${CANARY.podServiceAccountToken}`, annotations })), 1, 'not a JWT');
  expectExit(await run('get-credentials, not JSON', ['get-credentials'], nodeEnv, `{"apiVersion":"${V1}","serviceAccountToken":"${podToken}"`), 1, 'not JSON');
  expectExit(await run('get-credentials, not ECR', ['get-credentials'], nodeEnv, kubeletRequest('docker.io/library/busybox', { token: podToken, annotations })), 1, 'not ECR');
  expectExit(await run('list, as the kubelet node', ['list'], nodeEnv, ''), 0, 'list');
}

/** Every file under `dir`, with its text and mode. */
function filesUnder(dir: string): Array<{ path: string; text: string; mode: number }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, text: readFileSync(path, 'latin1'), mode: statSync(path).mode & 0o777 }));
}

/** Occurrences in any case: a message may lowercase what it quotes (a host is compared lowercased). */
const count = (text: string, needle: string): number => (needle === '' ? 0 : text.toLowerCase().split(needle.toLowerCase()).length - 1);

it('every scenario kind at trace level: each canary is found 0 times outside the answer and the 0600 token entries', async (t) => {
  await runEveryScenario();

  // What the emulators issued is secret too: every credential, and every ECR token (as the helper
  // prints it, and as ECR sent it, base64 of AWS:password).
  const issued = [world.sts, world.sso, ...world.ecs, ...world.imds].flatMap((emulator) => emulator.issued);
  const ecrTokens = world.ecr.issued.flatMap((token) => [token.password, token.authorizationToken]);
  const canaries: Array<[string, string]> = [
    ...Object.entries(CANARY),
    ['ecsAuthorizationToken', ECS_AUTH_TOKEN],
    ...issued.flatMap((credential): Array<[string, string]> => [
      [`${credential.source} secret key`, credential.secretAccessKey],
      [`${credential.source} session token`, credential.sessionToken],
    ]),
    ...ecrTokens.map((token): [string, string] => ['ECR token', token]),
  ];
  assert.ok(issued.length >= 5 && world.ecr.issued.length >= 10, `the scenarios reached every source (${issued.length} credentials, ${world.ecr.issued.length} ECR tokens issued)`);

  // Where each may be: an ECR token as the answer of its own run, and in 0600 token entries.
  const places: Array<{ where: string; text: string }> = [];
  for (const { scenario, result } of runs) {
    let stdout = result.stdout;
    if (result.code === 0 && stdout.startsWith('{"ServerURL"')) {
      // The answer: the server URL the client wrote, given back as written (SPEC section 1), and the token.
      const answer = JSON.parse(stdout) as { ServerURL: string; Secret: string };
      assert.ok(world.ecr.issued.some((token) => token.password === answer.Secret), `${scenario}: the Secret is an ECR token`);
      stdout = stdout.replace(JSON.stringify(answer.ServerURL), '').replace(answer.Secret, '');
    } else if (result.code === 0 && stdout.includes('"kind":"CredentialProviderResponse"')) {
      const response = JSON.parse(stdout) as { auth: Record<string, { password: string }> };
      for (const { password } of Object.values(response.auth)) {
        assert.ok(world.ecr.issued.some((token) => token.password === password), `${scenario}: the password is an ECR token`);
        stdout = stdout.replace(password, '');
      }
    }
    places.push({ where: `stdout of "${scenario}"`, text: stdout }, { where: `stderr of "${scenario}"`, text: result.stderr });
  }
  let entries = 0;
  for (const home of homes) {
    for (const file of filesUnder(join(home.home, '.ecr'))) {
      const isEntry = /\/tokens\/ecr(?:-public)?_[^/]+\.json$/.test(file.path);
      if (isEntry) {
        entries += 1;
        assert.equal(file.mode, 0o600, `${file.path} is 0600`);
      }
      // A token entry holds its own token, and nothing else of any canary.
      places.push({ where: file.path, text: isEntry ? ecrTokens.reduce((text, token) => text.split(token).join(''), file.text) : file.text });
    }
  }
  const argvRecords = readFileSync(argvLog, 'utf8').split('\n').filter(Boolean);
  assert.ok(argvRecords.length >= 4, `both credential_processes recorded their argv and their shell's (${argvRecords.length} lines)`);
  places.push({ where: 'the argv of every process the helper started', text: argvRecords.join('\n') });

  const found = canaries.map(([kind, value]) => ({ kind, found: places.filter((place) => count(place.text, value) > 0).map((place) => place.where) }));
  const byKind = new Map<string, number>();
  for (const { kind, found: where } of found) byKind.set(kind, (byKind.get(kind) ?? 0) + where.length);
  const scanned = places.reduce((total, place) => total + place.text.length, 0);
  t.diagnostic(`${runs.length} runs, ${canaries.length} canaries of ${byKind.size} kinds, ${places.length} places (${scanned} bytes; ${entries} token entries, ${argvRecords.length} argv records) searched`);
  t.diagnostic(`found: ${[...byKind].map(([kind, times]) => `${kind} ${times}`).join(', ')}`);
  assert.deepEqual(
    found.filter((canary) => canary.found.length > 0),
    [],
    'a secret was written where it must never be',
  );
});
