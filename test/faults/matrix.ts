/**
 * The fault matrix: what goes wrong around a `get`, and what the helper documents it does then
 * (docs/reliability.md). One row per fault, each driven and checked the same way (drive.ts)
 * through the real bin/ against the emulators: the exit status and the line or token on stdout,
 * what the cache holds afterwards, and the bound on time. The test files of this directory run
 * the rows group by group.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { FLIGHT_LIMITS, GET_DEADLINE_MS } from '../../src/service/token-service';
import { ACCOUNT, ECS_AUTH_TOKEN, HOST, roleArn, secretOf, STATIC_KEYS, type CredentialWorld, type Home } from '../support/credential-world';
import { HELPER_BIN, processState, runCommand, runHelper, type Env } from '../support/helper-process';
import { until } from '../support/event-loop';
import { TEST_SEED } from '../support/seed';
import { writeSsoTokenCache } from '../support/sso-emulator';
import { makeWebIdentityToken } from '../support/sts-emulator';
import type { ActResult, Scene } from './drive';

export type FaultGroup = 'the ECR API' | 'credential sources' | 'time' | 'disk' | 'processes';

export interface FaultRow {
  readonly group: FaultGroup;
  /** What goes wrong. */
  readonly fault: string;
  /** The credentials of the row's gets (environment keys when absent). */
  readonly credentials?: (world: CredentialWorld, home: Home) => Env;
  /** A token cached before the fault: fresh, or written `agedMs` ago. */
  readonly cached?: 'fresh' | { readonly agedMs: number };
  /** The fault: injected into an emulator, written to a file. */
  readonly arrange?: (scene: Scene) => void | Promise<void>;
  /** The get that meets the fault (one get of HOST when absent). */
  readonly act?: (scene: Scene) => Promise<ActResult>;
  readonly expect: {
    readonly exit: 0 | 1;
    /** A token ECR issued during the act, the token cached before the fault, or the failure line's cause. */
    readonly answer: 'new token' | 'cached token' | RegExp;
    /** Afterwards: exactly that token cached, nothing, or (after killed writers) only whole entries. */
    readonly cache: 'the new token' | 'the cached token' | 'nothing' | 'whole entries';
    /** The documented bound on the get's time. */
    readonly withinMs: number;
    readonly ecrCalls?: number;
    /** What the terminal gets besides the failure line (nothing when absent). */
    readonly stderr?: RegExp;
  };
  /** Anything else the row promises. */
  readonly check?: (scene: Scene, result: ActResult) => void;
}

const HOUR = 60 * 60 * 1000;
/** Docs/SPEC.md section 3: with no credential source answering, a get ends within 5 s. */
const NO_CREDENTIALS_MS = 5_000;
/**
 * A waiter behind a lock that is never released, its holder stopped in its AWS call: it waits
 * until that call is callWaitMs old (and it has waited that long itself), then fetches by itself.
 */
const LIVE_LOCK_MS = FLIGHT_LIMITS.callWaitMs + GET_DEADLINE_MS;
const KILL_ROUNDS = 8;
/** Longer than an attempt's limit (NETWORK_LIMITS.requestTimeoutMs) and than the deadline of a get. */
const STARVED_MS = GET_DEADLINE_MS + 1_500;
/** Longer than a request to the metadata endpoints may take (NETWORK_LIMITS.credentialEndpointTimeoutMs), and all their attempts. */
const METADATA_STARVED_MS = 2_000;
/** A call signed on a clock hours off: refused for the skew once, which the SDK corrects, then answered. */
const SKEWED_CALL = 2;
const STOP_AT_FIRST_REQUEST = join(__dirname, '..', 'support', 'stop-at-first-request.js');

/**
 * A get of HOST whose helper is stopped with SIGSTOP for `stoppedMs` once `reached` holds, then
 * continued: a helper starved of CPU. The emulator's answer, held back by the row's latency fault
 * (longer than this poll's 20 ms), reaches the helper's socket while it is stopped.
 */
async function getStarvedWhen(scene: Scene, reached: (helper: ChildProcess) => boolean, what: string, stoppedMs: number, env = scene.env): Promise<ActResult> {
  let helper: ChildProcess | undefined;
  const result = runHelper(['get'], { env, input: HOST, timeoutMs: 60_000 + stoppedMs, onSpawn: (child) => (helper = child) });
  await until(() => helper !== undefined && reached(helper), what);
  helper?.kill('SIGSTOP');
  await sleep(stoppedMs);
  helper?.kill('SIGCONT');
  return result;
}

const isStopped = (process: ChildProcess): boolean => process.pid !== undefined && processState(process.pid) === 'T';

const lines = (...text: string[]): string => `${text.join('\n')}\n`;
const SOURCES_TRIED = /^no AWS credentials found \(tried environment variables AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY, profile "default" in .*, web identity \(AWS_WEB_IDENTITY_TOKEN_FILE\), /;
const NOT_AWS_JSON = (status: number): RegExp => new RegExp(`^HTTP ${status} from the ECR API, with an answer that is not AWS JSON$`);

const metadata = (world: CredentialWorld): Env => ({ AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: world.imds[0].url });
const container = (world: CredentialWorld): Env => ({ AWS_CONTAINER_CREDENTIALS_FULL_URI: world.ecs[0].fullUri, AWS_CONTAINER_AUTHORIZATION_TOKEN: ECS_AUTH_TOKEN });
/** A profile assuming a role from static keys in another. */
function roleProfile(_: CredentialWorld, home: Home): Env {
  home.writeCredentials(lines('[base]', 'aws_access_key_id = AKIDBASE', `aws_secret_access_key = ${STATIC_KEYS.AKIDBASE}`));
  home.writeConfig(lines('[profile role]', `role_arn = ${roleArn('pull')}`, 'source_profile = base'));
  return { AWS_PROFILE: 'role' };
}
/** An SSO profile with a valid session in the token cache, as `aws sso login` leaves it. */
function ssoProfile(world: CredentialWorld, home: Home): Env {
  const accessToken = `sso-access-token-${home.home.slice(-6)}`;
  world.sso.addAccessToken(accessToken);
  writeSsoTokenCache(home.home, { sessionName: 'corp', startUrl: 'https://corp.awsapps.com/start', region: 'us-east-1', accessToken, expiresAt: new Date(Date.now() + HOUR) });
  home.writeConfig(lines('[profile sso]', 'sso_session = corp', `sso_account_id = ${ACCOUNT}`, 'sso_role_name = pull', '[sso-session corp]', 'sso_start_url = https://corp.awsapps.com/start', 'sso_region = us-east-1'));
  return { AWS_PROFILE: 'sso' };
}
const webIdentity = (_: CredentialWorld, home: Home): Env => ({ AWS_WEB_IDENTITY_TOKEN_FILE: home.write('token', makeWebIdentityToken()), AWS_ROLE_ARN: roleArn('web') });

/** What the cache directory is mounted on, in a private mount namespace; `$CACHE` is its path. */
interface PrivateMount {
  readonly setup: readonly string[];
  /** A file system of its own, gone with the namespace: what it holds is only seen from inside. */
  readonly ownFileSystem: boolean;
}

const FULL_DISK: PrivateMount = {
  setup: ['mkdir -p -m 0700 "$CACHE"', 'mount -t tmpfs -o size=64k,mode=0700 tmpfs "$CACHE"', 'mkdir -m 0700 "$CACHE/tokens" "$CACHE/log"', 'dd if=/dev/zero of="$CACHE/fill" bs=4k 2>/dev/null || true'],
  ownFileSystem: true,
};
const READ_ONLY: PrivateMount = { setup: ['mount --bind "$CACHE" "$CACHE"', 'mount -o remount,bind,ro "$CACHE"'], ownFileSystem: false };

/**
 * Runs gets of HOST in a private mount namespace where the cache directory sits on `mount`; the
 * act's result is the last get's (the others must succeed), with what the tokens directory held
 * when the file system was the namespace's own.
 */
async function getsInPrivateMount(scene: Scene, mount: PrivateMount, gets: number): Promise<ActResult> {
  const out = join(scene.home.home, 'mount-out');
  mkdirSync(out);
  writeFileSync(join(out, 'input'), HOST);
  const script = [
    'set -e',
    ...mount.setup,
    `for i in $(seq ${gets}); do`,
    '  start=$(date +%s%N)',
    '  if "$BIN" get < "$OUT/input" > "$OUT/$i.out" 2> "$OUT/$i.err"; then echo 0 > "$OUT/$i.code"; else echo $? > "$OUT/$i.code"; fi',
    '  echo $(( ($(date +%s%N) - start) / 1000000 )) > "$OUT/$i.ms"',
    'done',
    'ls -A "$CACHE/tokens" > "$OUT/files" 2>/dev/null || true',
  ].join('\n');
  const env = { ...scene.env, CACHE: scene.cacheDir, OUT: out, BIN: HELPER_BIN };
  const run = await runCommand('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { env, timeoutMs: 120_000 });
  assert.equal(run.code, 0, `the namespace's script: ${run.stdout}${run.stderr}`);
  const read = (name: string): string => readFileSync(join(out, name), 'utf8');
  const results = Array.from({ length: gets }, (_, index) => ({
    code: Number(read(`${index + 1}.code`)),
    signal: null,
    stdout: read(`${index + 1}.out`),
    stderr: read(`${index + 1}.err`),
    elapsedMs: Number(read(`${index + 1}.ms`)),
  }));
  for (const earlier of results.slice(0, -1)) assert.equal(earlier.code, 0, `an earlier get in the namespace: ${earlier.stdout}`);
  const last = results.at(-1) as ActResult;
  return mount.ownFileSystem ? { ...last, cacheFiles: read('files').split('\n').filter(Boolean) } : last;
}

/**
 * Helpers killed with `signal` at seeded random moments of a miss (process start, loading the
 * SDK, the ECR call, the write), a new registry each round: each ends within 10 s of the signal,
 * leaves every entry whole, and the next get of that registry answers at once. The act's result
 * is a get of HOST after all the rounds.
 */
async function killAtRandomMoments(scene: Scene, signal: NodeJS.Signals): Promise<ActResult> {
  scene.world.ecr.inject({ kind: 'latency', delayMs: 300 });
  const moments = fc.sample(fc.integer({ min: 0, max: 1499 }), { seed: TEST_SEED + (signal === 'SIGKILL' ? 9 : 15), numRuns: KILL_ROUNDS });
  for (const [round, moment] of moments.entries()) {
    const host = `${ACCOUNT}.dkr.ecr.xx-${signal.toLowerCase()}-${round}.amazonaws.com`;
    const child = spawn(HELPER_BIN, ['get'], { env: scene.env, stdio: ['pipe', 'ignore', 'ignore'] });
    const ended = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.stdin.end(host);
    await sleep(moment);
    const signalled = Date.now();
    child.kill(signal);
    await Promise.race([ended, sleep(10_000)]);
    assert.ok(child.exitCode !== null || child.signalCode !== null, `round ${round}: still running 10 s after ${signal}`);
    assert.ok(Date.now() - signalled <= 10_000 + 1000);
    scene.entries();
    const next = await scene.get({ host });
    assert.equal(next.code, 0, `round ${round}: the next get of ${host}: ${next.stdout}`);
    assert.ok(next.elapsedMs <= GET_DEADLINE_MS + 10_000, `round ${round}: the next get took ${Math.round(next.elapsedMs)} ms`);
  }
  return scene.get();
}

export const FAULT_ROWS: readonly FaultRow[] = [
  // ---- the ECR API: GetAuthorizationToken misbehaving; environment keys sign the calls ----
  {
    group: 'the ECR API',
    fault: 'a throttling storm: every call throttled',
    arrange: (scene) => scene.world.ecr.inject({ kind: 'throttle' }),
    expect: { exit: 1, answer: /^ThrottlingException: Rate exceeded$/, cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 3 },
  },
  {
    group: 'the ECR API',
    fault: 'a throttling storm, with a token cached 7 hours ago (due for refresh, still valid)',
    cached: { agedMs: 7 * HOUR },
    arrange: (scene) => scene.world.ecr.inject({ kind: 'throttle' }),
    expect: { exit: 0, answer: 'cached token', cache: 'the cached token', withinMs: GET_DEADLINE_MS, ecrCalls: 3 },
  },
  {
    group: 'the ECR API',
    fault: 'HTTP 500 on every call',
    arrange: (scene) => scene.world.ecr.inject({ kind: 'server-error' }),
    expect: { exit: 1, answer: /^ServerException: .* \(HTTP 500\)$/, cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 3 },
  },
  {
    group: 'the ECR API',
    fault: 'HTTP 500 twice, then an answer',
    arrange: (scene) => scene.world.ecr.inject({ kind: 'server-error', times: 2 }),
    expect: { exit: 0, answer: 'new token', cache: 'the new token', withinMs: GET_DEADLINE_MS, ecrCalls: 3 },
  },
  {
    group: 'the ECR API',
    fault: 'an HTML 503 page from a proxy on every call',
    arrange: (scene) => scene.world.ecr.inject({ kind: 'http-503-html' }),
    expect: { exit: 1, answer: NOT_AWS_JSON(503), cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 3 },
  },
  {
    group: 'the ECR API',
    fault: 'the connection reset on every call',
    arrange: (scene) => scene.world.ecr.inject({ kind: 'reset' }),
    expect: { exit: 1, answer: /^cannot reach the ECR API at http:\/\/127\.0\.0\.1:\d+: ECONNRESET$/, cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 3 },
  },
  {
    group: 'the ECR API',
    fault: 'the connection reset once, then an answer',
    arrange: (scene) => scene.world.ecr.inject({ kind: 'reset', times: 1 }),
    expect: { exit: 0, answer: 'new token', cache: 'the new token', withinMs: GET_DEADLINE_MS, ecrCalls: 2 },
  },
  {
    group: 'the ECR API',
    fault: 'truncated JSON: a 200 whose answer stops half way',
    arrange: (scene) => scene.world.ecr.inject({ kind: 'truncated-json' }),
    expect: { exit: 1, answer: NOT_AWS_JSON(200), cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 1 },
  },
  {
    group: 'the ECR API',
    fault: 'malformed JSON: a 200 whose body is not JSON',
    arrange: (scene) => scene.world.ecr.inject({ kind: 'malformed-json' }),
    expect: { exit: 1, answer: NOT_AWS_JSON(200), cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 1 },
  },
  {
    group: 'the ECR API',
    fault: 'a 200 whose token is not base64 of user:password',
    arrange: (scene) => scene.world.ecr.inject({ kind: 'malformed-token' }),
    expect: { exit: 1, answer: /^ECR answered with an unusable token: the ECR authorization token is not of the form user:password$/, cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 1 },
  },
  {
    group: 'the ECR API',
    fault: 'no answer at all: every call black-holed, slower than the deadline',
    arrange: (scene) => scene.world.ecr.inject({ kind: 'hang' }),
    expect: { exit: 1, answer: /^(no answer from AWS within 15 s|cannot reach the ECR API at \S+: timed out)$/, cache: 'nothing', withinMs: GET_DEADLINE_MS },
  },
  {
    group: 'the ECR API',
    fault: 'slow answers (2 s each) within the bounds',
    arrange: (scene) => scene.world.ecr.inject({ kind: 'latency', delayMs: 2000 }),
    expect: { exit: 0, answer: 'new token', cache: 'the new token', withinMs: GET_DEADLINE_MS, ecrCalls: 1 },
  },
  {
    group: 'the ECR API',
    fault: 'access denied by IAM',
    arrange: (scene) => scene.world.ecr.inject({ kind: 'access-denied' }),
    expect: { exit: 1, answer: /^AccessDeniedException: User: arn:aws:iam::\d+:user\/x is not authorized to perform: ecr:GetAuthorizationToken/, cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 1 },
  },

  // ---- credential sources: the chain's endpoints misbehaving; ECR itself is fine ----
  {
    group: 'credential sources',
    fault: 'EC2 instance metadata black-holed',
    credentials: metadata,
    arrange: (scene) => scene.world.imds[0].inject({ kind: 'hang' }),
    expect: { exit: 1, answer: new RegExp(`${SOURCES_TRIED.source}EC2 instance metadata at http://127\\.0\\.0\\.1:\\d+\\)$`), cache: 'nothing', withinMs: NO_CREDENTIALS_MS, ecrCalls: 0 },
  },
  {
    group: 'credential sources',
    fault: `a helper starved of CPU while EC2 instance metadata answers its token request (stopped for ${METADATA_STARVED_MS / 1000} s)`,
    credentials: metadata,
    arrange: (scene) => scene.world.imds[0].inject({ kind: 'latency', delayMs: 100, times: 1, operation: 'GetToken' }),
    act: (scene) => getStarvedWhen(scene, () => scene.world.imds[0].calls.length > 0, 'the helper reached instance metadata', METADATA_STARVED_MS),
    expect: { exit: 0, answer: 'new token', cache: 'the new token', withinMs: METADATA_STARVED_MS + GET_DEADLINE_MS, ecrCalls: 1 },
    // The token answer was taken: no request timed out, and none went without the token.
    check: (scene) => assert.deepEqual(scene.world.imds[0].calls.map((call) => call.operation), ['GetToken', 'ListRoles', 'GetRoleCredentials']),
  },
  {
    group: 'credential sources',
    fault: 'EC2 instance metadata failing with HTTP 500',
    credentials: metadata,
    arrange: (scene) => scene.world.imds[0].inject({ kind: 'server-error' }),
    expect: { exit: 1, answer: new RegExp(`${SOURCES_TRIED.source}EC2 instance metadata at http://127\\.0\\.0\\.1:\\d+\\)$`), cache: 'nothing', withinMs: NO_CREDENTIALS_MS, ecrCalls: 0 },
  },
  {
    group: 'credential sources',
    fault: 'EC2 instance metadata refusing every session token (401)',
    credentials: metadata,
    arrange: (scene) => scene.world.imds[0].inject({ kind: 'unauthorized' }),
    expect: { exit: 1, answer: new RegExp(`${SOURCES_TRIED.source}EC2 instance metadata at http://127\\.0\\.0\\.1:\\d+\\)$`), cache: 'nothing', withinMs: NO_CREDENTIALS_MS, ecrCalls: 0 },
  },
  {
    group: 'credential sources',
    fault: 'the ECS container credentials endpoint black-holed',
    credentials: container,
    arrange: (scene) => scene.world.ecs[0].inject({ kind: 'hang' }),
    expect: { exit: 1, answer: new RegExp(`${SOURCES_TRIED.source}container credentials at http://127\\.0\\.0\\.1:\\d+/\\S+ \\(no answer within 3 s\\)\\)$`), cache: 'nothing', withinMs: NO_CREDENTIALS_MS, ecrCalls: 0 },
  },
  {
    group: 'credential sources',
    fault: 'the ECS container credentials endpoint failing with HTTP 500',
    credentials: container,
    arrange: (scene) => scene.world.ecs[0].inject({ kind: 'server-error' }),
    expect: { exit: 1, answer: new RegExp(`${SOURCES_TRIED.source}container credentials at http://127\\.0\\.0\\.1:\\d+/\\S+\\)$`), cache: 'nothing', withinMs: NO_CREDENTIALS_MS, ecrCalls: 0 },
  },
  {
    group: 'credential sources',
    fault: 'the ECS container credentials endpoint answering without a token',
    credentials: container,
    arrange: (scene) => scene.world.ecs[0].inject({ kind: 'malformed' }),
    expect: { exit: 1, answer: /container credentials at http:\/\/127\.0\.0\.1:\d+\/\S+ \(Invalid response received from instance metadata service\.\)\)$/, cache: 'nothing', withinMs: NO_CREDENTIALS_MS, ecrCalls: 0 },
  },
  {
    group: 'credential sources',
    fault: 'STS refusing to assume the role (AccessDenied)',
    credentials: roleProfile,
    arrange: (scene) => scene.world.sts.inject({ kind: 'access-denied' }),
    expect: { exit: 1, answer: /^cannot assume role arn:aws:iam::111122223333:role\/pull for profile "role": AccessDenied: User: \S+ is not authorized to perform: sts:AssumeRole/, cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 0 },
  },
  {
    group: 'credential sources',
    fault: 'an STS throttling storm',
    credentials: roleProfile,
    arrange: (scene) => scene.world.sts.inject({ kind: 'throttling' }),
    expect: { exit: 1, answer: /^cannot assume role arn:aws:iam::111122223333:role\/pull for profile "role": Throttling: Rate exceeded$/, cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 0 },
  },
  {
    group: 'credential sources',
    fault: 'STS failing with HTTP 500',
    credentials: roleProfile,
    arrange: (scene) => scene.world.sts.inject({ kind: 'server-error' }),
    expect: { exit: 1, answer: /^cannot assume role arn:aws:iam::111122223333:role\/pull for profile "role": InternalFailure: /, cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 0 },
  },
  {
    group: 'credential sources',
    fault: 'STS black-holed',
    credentials: roleProfile,
    arrange: (scene) => scene.world.sts.inject({ kind: 'hang' }),
    expect: { exit: 1, answer: /^cannot get AWS credentials for profile "role": cannot reach STS: timed out$/, cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 0 },
  },
  {
    group: 'credential sources',
    fault: 'STS refusing the web identity token (InvalidIdentityToken)',
    credentials: webIdentity,
    arrange: (scene) => scene.world.sts.inject({ kind: 'invalid-identity-token' }),
    expect: { exit: 1, answer: /^cannot assume role arn:aws:iam::111122223333:role\/web with the web identity token in \S+: InvalidIdentityTokenException: /, cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 0 },
  },
  {
    group: 'credential sources',
    fault: 'the SSO portal refusing the session (401)',
    credentials: ssoProfile,
    arrange: (scene) => scene.world.sso.inject({ kind: 'unauthorized' }),
    expect: { exit: 1, answer: /^cannot get AWS credentials for profile "sso": it has an SSO session the SSO portal refuses \(UnauthorizedException\); run "aws sso login --profile sso"$/, cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 0 },
  },
  {
    group: 'credential sources',
    fault: 'an SSO portal throttling storm (429)',
    credentials: ssoProfile,
    arrange: (scene) => scene.world.sso.inject({ kind: 'too-many-requests' }),
    expect: { exit: 1, answer: /^cannot get AWS credentials for profile "sso" from AWS SSO: TooManyRequestsException: Rate exceeded$/, cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 0 },
  },
  {
    group: 'credential sources',
    fault: 'the SSO portal black-holed',
    credentials: ssoProfile,
    arrange: (scene) => scene.world.sso.inject({ kind: 'hang' }),
    expect: { exit: 1, answer: /^cannot get AWS credentials for profile "sso": cannot reach the AWS SSO portal: timed out$/, cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 0 },
  },

  // ---- time: odd expiry times, and the local clock moving between calls ----
  {
    group: 'time',
    fault: 'ECR says the token expired before it was asked for',
    arrange: (scene) => scene.world.ecr.setExpiresAt(Date.now() / 1000 - 60),
    expect: { exit: 0, answer: 'new token', cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 1 },
  },
  {
    group: 'time',
    fault: 'ECR says the token lives ten years',
    arrange: (scene) => scene.world.ecr.setExpiresAt(Date.now() / 1000 + 10 * 365 * 24 * 3600),
    expect: { exit: 0, answer: 'new token', cache: 'the new token', withinMs: GET_DEADLINE_MS, ecrCalls: 1 },
    check: (scene) => {
      const [entry] = scene.entries();
      assert.equal(entry !== undefined && entry.expiresAt - entry.issuedAt, 12 * HOUR, 'kept 12 hours, not ten years');
    },
  },
  {
    group: 'time',
    fault: 'the clock jumps 7 hours forward after a token was cached',
    cached: 'fresh',
    act: (scene) => scene.get({ clockOffsetMs: 7 * HOUR }),
    expect: { exit: 0, answer: 'new token', cache: 'the new token', withinMs: GET_DEADLINE_MS, ecrCalls: SKEWED_CALL },
  },
  {
    group: 'time',
    fault: 'the clock jumps 1 hour back after a token was cached (its age is unknown)',
    cached: 'fresh',
    act: (scene) => scene.get({ clockOffsetMs: -HOUR }),
    expect: { exit: 0, answer: 'new token', cache: 'the new token', withinMs: GET_DEADLINE_MS, ecrCalls: SKEWED_CALL },
  },
  {
    group: 'time',
    fault: 'the clock jumps 1 hour back after a token was cached, and ECR is throttling',
    cached: 'fresh',
    arrange: (scene) => scene.world.ecr.inject({ kind: 'throttle' }),
    act: (scene) => scene.get({ clockOffsetMs: -HOUR }),
    expect: { exit: 1, answer: /^ThrottlingException: Rate exceeded$/, cache: 'the cached token', withinMs: GET_DEADLINE_MS, ecrCalls: 3 },
  },
  {
    group: 'time',
    fault: 'the clock jumps 13 hours forward after a token was cached, and ECR is throttling',
    cached: 'fresh',
    arrange: (scene) => scene.world.ecr.inject({ kind: 'throttle' }),
    act: (scene) => scene.get({ clockOffsetMs: 13 * HOUR }),
    expect: { exit: 1, answer: /^ThrottlingException: Rate exceeded$/, cache: 'the cached token', withinMs: GET_DEADLINE_MS, ecrCalls: 3 },
  },
  {
    group: 'time',
    fault: 'the clock jumps back and forth around a token cached 3 hours ago',
    cached: { agedMs: 3 * HOUR },
    act: async (scene) => {
      // Forward by 2 hours (5 h old: fresh), back by 4 (before its issue, its age unknown: fetched anew), again.
      const issued = scene.world.ecr.issued.length;
      const forward = await scene.get({ clockOffsetMs: 2 * HOUR });
      assert.equal(scene.world.ecr.issued.length, issued, 'forward: a hit');
      const back = await scene.get({ clockOffsetMs: -4 * HOUR });
      assert.equal(scene.world.ecr.issued.length, issued + 1, 'back before its issue: fetched anew');
      assert.notEqual(secretOf(back), secretOf(forward));
      const again = await scene.get({ clockOffsetMs: -4 * HOUR });
      assert.equal(secretOf(again), secretOf(back), 'the token fetched on the moved clock is a hit on it');
      return back;
    },
    expect: { exit: 0, answer: 'new token', cache: 'the new token', withinMs: GET_DEADLINE_MS, ecrCalls: SKEWED_CALL },
  },

  // ---- disk: the cache directory full or read-only (a private mount namespace each) ----
  {
    group: 'disk',
    fault: 'a full disk (a 64 KiB tmpfs filled to the last byte): two gets in a row',
    act: (scene) => getsInPrivateMount(scene, FULL_DISK, 2),
    // A lock is created whole or not at all, so the second get never waits on one the first
    // could not write: each answers within the deadline.
    expect: { exit: 0, answer: 'new token', cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 2 },
  },
  {
    group: 'disk',
    fault: 'a read-only cache directory holding a fresh token',
    cached: 'fresh',
    act: (scene) => getsInPrivateMount(scene, READ_ONLY, 1),
    expect: { exit: 0, answer: 'cached token', cache: 'the cached token', withinMs: GET_DEADLINE_MS, ecrCalls: 0 },
  },
  {
    group: 'disk',
    fault: 'a read-only cache directory holding a token due for refresh',
    cached: { agedMs: 7 * HOUR },
    act: (scene) => getsInPrivateMount(scene, READ_ONLY, 1),
    expect: { exit: 0, answer: 'new token', cache: 'the cached token', withinMs: GET_DEADLINE_MS, ecrCalls: 1 },
  },
  {
    group: 'disk',
    fault: 'a read-only, empty cache directory',
    arrange: (scene) => void mkdirSync(join(scene.cacheDir, 'tokens'), { recursive: true, mode: 0o700 }),
    act: (scene) => getsInPrivateMount(scene, READ_ONLY, 1),
    expect: { exit: 0, answer: 'new token', cache: 'nothing', withinMs: GET_DEADLINE_MS, ecrCalls: 1 },
  },

  // ---- processes: a lock that is never released, helpers killed in the middle of a miss ----
  {
    group: 'processes',
    fault: 'a lock held by a live process that never lets go (a leader stopped with SIGSTOP mid-call)',
    act: async (scene) => {
      scene.world.ecr.inject({ kind: 'hang', times: 1 });
      const leader = spawn(HELPER_BIN, ['get'], { env: scene.env, stdio: ['pipe', 'ignore', 'ignore'] });
      scene.onCleanup(() => leader.kill('SIGKILL'));
      leader.stdin.end(HOST);
      await until(() => scene.world.ecr.calls.length > 0, 'the leader reached ECR');
      leader.kill('SIGSTOP');
      const result = await scene.get();
      assert.equal(leader.exitCode ?? leader.signalCode, null, 'the stopped leader is left alone');
      return result;
    },
    expect: { exit: 0, answer: 'new token', cache: 'the new token', withinMs: LIVE_LOCK_MS, ecrCalls: 2 },
  },
  {
    group: 'processes',
    fault: `a helper starved of CPU while ECR answers it (stopped for ${STARVED_MS / 1000} s: past each attempt's limit and the deadline)`,
    arrange: (scene) => scene.world.ecr.inject({ kind: 'latency', delayMs: 200, times: 1 }),
    act: (scene) => getStarvedWhen(scene, () => scene.world.ecr.calls.length > 0, 'the helper reached ECR', STARVED_MS),
    expect: { exit: 0, answer: 'new token', cache: 'the new token', withinMs: STARVED_MS + GET_DEADLINE_MS, ecrCalls: 1 },
  },
  {
    group: 'processes',
    fault: `a helper starved of CPU after its call began, before its request (stopped for ${STARVED_MS / 1000} s: past its attempt's limit and the deadline)`,
    act: (scene) =>
      getStarvedWhen(scene, isStopped, 'the helper stopped itself at its first request', STARVED_MS, {
        ...scene.env,
        NODE_OPTIONS: `${scene.env.NODE_OPTIONS ?? ''} --require ${STOP_AT_FIRST_REQUEST}`,
      }),
    // Nobody was asked until the helper went on: AWS had the whole deadline and a whole attempt, and answered the first.
    expect: { exit: 0, answer: 'new token', cache: 'the new token', withinMs: STARVED_MS + GET_DEADLINE_MS, ecrCalls: 1 },
  },
  {
    group: 'processes',
    fault: `SIGKILL at random moments of a miss (${KILL_ROUNDS} rounds)`,
    act: (scene) => killAtRandomMoments(scene, 'SIGKILL'),
    expect: { exit: 0, answer: 'new token', cache: 'whole entries', withinMs: GET_DEADLINE_MS },
  },
  {
    group: 'processes',
    fault: `SIGTERM at random moments of a miss (${KILL_ROUNDS} rounds)`,
    act: (scene) => killAtRandomMoments(scene, 'SIGTERM'),
    expect: { exit: 0, answer: 'new token', cache: 'whole entries', withinMs: GET_DEADLINE_MS },
  },
];
