/**
 * Every emulated AWS service a credential source may need, wired together on loopback, for the
 * end-to-end tests of test/credentials/: ECR (which accepts the keys every other emulator
 * issues, with their session tokens), STS, the SSO portal and SSO-OIDC, two EC2 metadata
 * services and two container credential endpoints (two instance roles, two task roles).
 *
 * `newHome()` gives a temporary HOME and the environment of a helper run in it: every AWS
 * endpoint pointed at an emulator, EC2 metadata off unless a test turns it on, and the loopback
 * guard loaded into the helper, which refuses (and records) any connection beyond loopback.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEcrEmulator, type EcrEmulator } from './ecr-emulator';
import { startEcsCredentialsEmulator, type EcsCredentialsEmulator } from './ecs-credentials-emulator';
import { chainSecretLookups, type IssuedCredential } from './emulator-http';
import { cleanEnv, makeTempHome, runHelper, type Env, type HelperResult } from './helper-process';
import { startImdsEmulator, type ImdsEmulator } from './imds-emulator';
import { startSsoEmulator, type SsoEmulator } from './sso-emulator';
import { startSsoOidcEmulator, type SsoOidcEmulator } from './sso-oidc-emulator';
import { startStsEmulator, type StsEmulator } from './sts-emulator';

export const ACCOUNT = '111122223333';
export const HOST = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
export const roleArn = (name: string): string => `arn:aws:iam::${ACCOUNT}:role/${name}`;

/** Static keys the emulators know from the start: accessKeyId → secret. */
export const STATIC_KEYS = {
  AKIDENVALPHA: 'env-alpha-secret',
  AKIDENVBRAVO: 'env-bravo-secret',
  AKIDSTATICALPHA: 'static-alpha-secret',
  AKIDSTATICBRAVO: 'static-bravo-secret',
  AKIDBASE: 'base-secret',
} as const;

export const ECS_AUTH_TOKEN = 'ecs-authorization-token-value';

export interface Home {
  readonly home: string;
  /** The environment of a helper run in this HOME, with `extra` on top. */
  env(extra?: Env): Env;
  writeConfig(text: string): void;
  writeCredentials(text: string): void;
  /** Writes a file under HOME and returns its path. */
  write(relative: string, text: string, mode?: number): string;
  /** Hosts beyond loopback the helper tried to reach (and was refused) in this HOME. */
  blocked(): string[];
}

export interface CredentialWorld {
  readonly ecr: EcrEmulator;
  readonly sts: StsEmulator;
  readonly sso: SsoEmulator;
  readonly oidc: SsoOidcEmulator;
  /** Instance roles `alpha` and `bravo`. */
  readonly imds: readonly [ImdsEmulator, ImdsEmulator];
  /** Task roles `alpha` and `bravo`. */
  readonly ecs: readonly [EcsCredentialsEmulator, EcsCredentialsEmulator];
  /** Calls received so far, per service. */
  counts(): Record<'ecr' | 'sts' | 'sso' | 'oidc' | 'imds' | 'ecs', number>;
  /** Accepts temporary keys handed out by something that is not an emulator (a credential_process). */
  addTemporaryKey(accessKeyId: string, secretAccessKey: string, sessionToken: string): void;
  newHome(): Home;
  get(env: Env, host?: string, timeoutMs?: number): Promise<HelperResult>;
  close(): Promise<void>;
}

const GUARD_MODULE = join(__dirname, 'loopback-guard.js');

export async function startCredentialWorld(): Promise<CredentialWorld> {
  const imds = [await startImdsEmulator({ roleName: 'alpha' }), await startImdsEmulator({ roleName: 'bravo' })] as const;
  const ecs = [
    await startEcsCredentialsEmulator({ authToken: ECS_AUTH_TOKEN, roleArn: roleArn('alpha'), path: '/v2/credentials/alpha' }),
    await startEcsCredentialsEmulator({ authToken: ECS_AUTH_TOKEN, roleArn: roleArn('bravo'), path: '/v2/credentials/bravo' }),
  ] as const;
  const sso = await startSsoEmulator();
  const oidc = await startSsoOidcEmulator({ onAccessToken: (token) => sso.addAccessToken(token) });
  const issuers = [...imds, ...ecs, sso];
  const sts = await startStsEmulator({
    credentials: { ...STATIC_KEYS },
    lookupSecret: chainSecretLookups(...issuers.map((issuer) => (id: string) => issuer.secretFor(id))),
  });
  const temporary = new Map<string, { secret: string; sessionToken: string }>();
  const issuedBy = (id: string): IssuedCredential | undefined =>
    [sts, ...issuers].map((issuer) => issuer.issued.find((credential) => credential.accessKeyId === id)).find(Boolean);
  const ecr = await startEcrEmulator({
    credentials: { ...STATIC_KEYS },
    lookupSecret: (id) => issuedBy(id)?.secretAccessKey ?? temporary.get(id)?.secret,
    lookupSessionToken: (id) => issuedBy(id)?.sessionToken ?? temporary.get(id)?.sessionToken,
  });
  const cleanups: Array<() => void> = [];

  const world: CredentialWorld = {
    ecr,
    sts,
    sso,
    oidc,
    imds,
    ecs,
    counts: () => ({
      ecr: ecr.calls.length,
      sts: sts.calls.length,
      sso: sso.calls.length,
      oidc: oidc.calls.length,
      imds: imds[0].calls.length + imds[1].calls.length,
      ecs: ecs[0].calls.length + ecs[1].calls.length,
    }),
    addTemporaryKey(accessKeyId, secret, sessionToken) {
      temporary.set(accessKeyId, { secret, sessionToken });
    },
    newHome() {
      const { home, cleanup } = makeTempHome('ecr-login-credentials-');
      cleanups.push(cleanup);
      const guardLog = join(home, 'loopback-guard.log');
      const write = (relative: string, text: string, mode = 0o600): string => {
        const path = join(home, relative);
        mkdirSync(join(path, '..'), { recursive: true });
        writeFileSync(path, text, { mode });
        return path;
      };
      return {
        home,
        env: (extra = {}) =>
          cleanEnv(home, {
            AWS_ENDPOINT_URL_ECR: ecr.url,
            AWS_ENDPOINT_URL_ECR_PUBLIC: ecr.url,
            AWS_ENDPOINT_URL_STS: sts.url,
            AWS_ENDPOINT_URL_SSO: sso.url,
            AWS_ENDPOINT_URL_SSO_OIDC: oidc.url,
            NODE_OPTIONS: `--require ${GUARD_MODULE}`,
            ECR_LOGIN_TEST_LOOPBACK_GUARD: guardLog,
            ...extra,
          }),
        writeConfig: (text) => void write('.aws/config', text),
        writeCredentials: (text) => void write('.aws/credentials', text),
        write,
        blocked: () => (existsSync(guardLog) ? readFileSync(guardLog, 'utf8').split('\n').filter(Boolean) : []),
      };
    },
    // Only a hang is killed: the helper's own bound (the 15 s AWS deadline) starts once it has
    // loaded the SDK, which on a starved machine takes seconds more.
    get: (env, host = HOST, timeoutMs = 60_000) => runHelper(['get'], { env, input: host, timeoutMs }),
    async close() {
      await Promise.all([ecr, sts, sso, oidc, ...imds, ...ecs].map((emulator) => emulator.close()));
      for (const cleanup of cleanups) cleanup();
    },
  };
  return world;
}

export const secretOf = (result: HelperResult): string => (JSON.parse(result.stdout) as { Secret: string }).Secret;

/** A get that answered with credentials, and said nothing on the terminal. */
export function assertServed(result: HelperResult, host = HOST): void {
  assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
  const answer = JSON.parse(result.stdout) as Record<string, string>;
  assert.equal(answer.ServerURL, host);
  assert.equal(answer.Username, 'AWS');
  assert.equal(result.stderr, '', 'nothing on the terminal: no SDK warning, no Node warning');
}

/** A get that failed with exactly one line on stdout, the same line on stderr, no stack trace. */
export function assertOneLineFailure(result: HelperResult, pattern: RegExp, host = HOST): string {
  assert.equal(result.signal, null, 'the helper ended by itself');
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stdout, /^[^\n]+\n$/, 'exactly one line');
  const prefix = `cannot get an ECR token for ${host}: `;
  assert.ok(result.stdout.startsWith(prefix), result.stdout);
  assert.match(result.stdout, pattern);
  assert.equal(result.stderr, `docker-credential-ecr-login: ${result.stdout}`, 'the same line on the terminal');
  assert.doesNotMatch(result.stdout + result.stderr, /\n\s+at |\(\S+\.js:\d+:\d+\)/, 'no stack trace');
  return result.stdout.slice(prefix.length).trimEnd();
}
