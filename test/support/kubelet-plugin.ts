/**
 * Driving the real bin/ as the kubelet does, for the tests of test/kubelet/: the
 * CredentialProviderRequest it writes, the service account tokens it sends, and the checks every
 * answer must pass (the exact response the kubelet decodes strictly, or one refusal line on
 * stderr with nothing on stdout).
 */
import assert from 'node:assert/strict';
import { HOST, STATIC_KEYS, type CredentialWorld, type Home } from './credential-world';
import { runHelper, type Env, type HelperResult } from './helper-process';
import { makeWebIdentityToken } from './sts-emulator';

export const GROUP = 'credentialprovider.kubelet.k8s.io';
export const V1 = `${GROUP}/v1`;
export const VERSIONS = [V1, `${GROUP}/v1beta1`, `${GROUP}/v1alpha1`] as const;
export const ROLE_ANNOTATION = 'eks.amazonaws.com/ecr-role-arn';
export const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/CLUSTERONE';
/** An image in the credential world's private registry. */
export const IMAGE = `${HOST}/team/app:1.4.2`;
/** The node's credentials: environment keys the emulators know. */
export const NODE_KEY = 'AKIDENVALPHA';

export interface RequestOptions {
  readonly apiVersion?: string;
  readonly token?: string;
  readonly annotations?: Record<string, string>;
}

/** A CredentialProviderRequest as the kubelet encodes it: type meta first, empty fields left out. */
export function kubeletRequest(image: string, options: RequestOptions = {}): string {
  return JSON.stringify({
    kind: 'CredentialProviderRequest',
    apiVersion: options.apiVersion ?? V1,
    image,
    ...(options.token === undefined ? {} : { serviceAccountToken: options.token }),
    ...(options.annotations === undefined ? {} : { serviceAccountAnnotations: options.annotations }),
  });
}

/** A projected service account token for the audience STS accepts. */
export const podToken = (serviceAccount: string, issuer = ISSUER): string =>
  makeWebIdentityToken({ iss: issuer, sub: `system:serviceaccount:${serviceAccount}`, aud: ['sts.amazonaws.com'] });

export const nodeEnv = (home: Home, extra: Env = {}): Env => home.env({ AWS_ACCESS_KEY_ID: NODE_KEY, AWS_SECRET_ACCESS_KEY: STATIC_KEYS[NODE_KEY], ...extra });

export const getCredentials = (env: Env, input: string | Buffer, args: readonly string[] = ['get-credentials']): Promise<HelperResult> =>
  runHelper(args, { env, input, timeoutMs: 60_000 });

const GO_DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(\d+)s$/;
export function seconds(duration: string): number {
  const match = GO_DURATION.exec(duration);
  assert.ok(match, `a Go duration: ${duration}`);
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3]);
}

export interface Served {
  readonly password: string;
  readonly cacheDuration: string;
}

/** Exit 0, nothing on stderr, and stdout exactly the response the kubelet decodes strictly. */
export function assertResponse(result: HelperResult, expected: { apiVersion?: string; key: string }): Served {
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal(result.stderr, '');
  const parsed = JSON.parse(result.stdout) as { cacheDuration: string; auth: Record<string, { password: string }> };
  const password = parsed.auth[expected.key]?.password ?? '';
  const duration = seconds(parsed.cacheDuration);
  assert.ok(duration > 6 * 3600 - 120 && duration <= 6 * 3600, `until our cache refreshes the 12-hour token: ${parsed.cacheDuration}`);
  assert.equal(
    result.stdout,
    `{"apiVersion":"${expected.apiVersion ?? V1}","kind":"CredentialProviderResponse","cacheKeyType":"Registry","cacheDuration":"${parsed.cacheDuration}",` +
      `"auth":{${JSON.stringify(expected.key)}:{"username":"AWS","password":${JSON.stringify(password)}}}}\n`,
  );
  return { password, cacheDuration: parsed.cacheDuration };
}

/** Exit 1, nothing on stdout, one line on stderr (the kubelet logs it), no stack trace. */
export function assertRefused(result: HelperResult, pattern: RegExp): string {
  assert.equal(result.signal, null);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^docker-credential-ecr-login: [^\n]+\n$/);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at |\(\S+\.js:\d+:\d+\)/);
  return result.stderr.trimEnd().replace(/^docker-credential-ecr-login: /, '');
}

/** What one run cost: calls to each emulator, and the last of each. */
export function callsDuring<T>(world: CredentialWorld, run: () => Promise<T>): Promise<{ result: T; ecr: CredentialWorld['ecr']['calls']; sts: CredentialWorld['sts']['calls'] }> {
  const ecrBefore = world.ecr.calls.length;
  const stsBefore = world.sts.calls.length;
  return run().then((result) => ({ result, ecr: world.ecr.calls.slice(ecrBefore), sts: world.sts.calls.slice(stsBefore) }));
}

export const issuedPassword = (world: CredentialWorld, accessKeyId: string): string | undefined => world.ecr.issued.filter((token) => token.accessKeyId === accessKeyId).at(-1)?.password;
