/**
 * Loopback emulator of the IAM Identity Center (SSO) portal's
 * `GetRoleCredentials` (REST-JSON), for tests that drive the SDK's `fromSSO`
 * (@aws-sdk/credential-provider-sso), `fromIni` with SSO profiles and the
 * default provider chain.
 *
 *   GET /federation/credentials?role_name=<r>&account_id=<a>
 *   x-amz-sso_bearer_token: <access token from ~/.aws/sso/cache>
 *   → {"roleCredentials":{"accessKeyId","secretAccessKey","sessionToken","expiration":<epoch ms>}}
 * Unknown/revoked token → 401, `x-amzn-errortype: UnauthorizedException`,
 * `{"message":"Session token not found or invalid"}`.
 *
 * Point the SDK's SSO client at it with `AWS_ENDPOINT_URL_SSO=<url>` (env), or
 * `endpoint_url` / a `[services …]` section `sso = \n  endpoint_url = <url>` in
 * the profile the SDK takes its endpoint config from (the one named by
 * AWS_PROFILE, else `default`, in AWS_CONFIG_FILE or ~/.aws/config — NOT the
 * `profile`/`configFilepath` given to fromSSO/fromIni), or
 * `clientConfig: { endpoint: <url> }` on fromSSO/fromIni.
 * The token cache is read from $HOME/.aws/sso/cache (see `writeSsoTokenCache`).
 * Issued key ids are `ASIASSO` + role-derived suffix + counter.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BaseFault, type EmulatorBase, type EmulatorServer, exposeEmulator, type FaultScope, randomSecret, type Reply, type RequestContext, restJsonError, sessionTokenFor, sourceNamedAccessKeyId, startEmulatorServer } from './emulator-http';

export const SSO_KEY_PREFIX = 'ASIASSO';
const BEARER_HEADER = 'x-amz-sso_bearer_token';

export interface SsoEmulatorOptions {
  /** Access tokens (from the SSO token cache) the portal accepts. Default: none. */
  accessTokens?: string[];
  /** When given, only these account/role pairs are assigned; others get 403 ForbiddenException. Default: any. */
  roles?: Array<{ accountId: string; roleName: string }>;
  /** Lifetime of issued credentials. Default 3600. */
  credentialTtlSeconds?: number;
}

export type SsoFault =
  | BaseFault
  /** 401 UnauthorizedException whatever the token. */
  | ({ kind: 'unauthorized' } & FaultScope)
  /** 429 TooManyRequestsException. */
  | ({ kind: 'too-many-requests' } & FaultScope);

export interface SsoEmulator extends EmulatorBase<SsoFault> {
  readonly accessTokens: ReadonlySet<string>;
  addAccessToken(token: string): void;
  revokeAccessToken(token: string): void;
}

export async function startSsoEmulator(options: SsoEmulatorOptions = {}): Promise<SsoEmulator> {
  const accessTokens = new Set(options.accessTokens ?? []);
  const ttlSeconds = options.credentialTtlSeconds ?? 3600;
  let counter = 0;
  let server: EmulatorServer;

  function handle(ctx: RequestContext): Reply {
    if (ctx.call.operation !== 'GetRoleCredentials') {
      return jsonError(404, 'UnknownOperationException', 'Unknown operation');
    }
    if (ctx.method !== 'GET') return jsonError(405, 'UnknownOperationException', 'Unknown operation');
    const forced = ctx.takeFault(['unauthorized', 'too-many-requests'] as const);
    if (forced?.kind === 'unauthorized') {
      ctx.call.fault = forced.kind;
      return jsonError(401, 'UnauthorizedException', 'Session token not found or invalid');
    }
    const token = ctx.headers[BEARER_HEADER];
    if (typeof token !== 'string' || !accessTokens.has(token)) {
      return jsonError(401, 'UnauthorizedException', 'Session token not found or invalid');
    }
    if (forced?.kind === 'too-many-requests') {
      ctx.call.fault = forced.kind;
      return jsonError(429, 'TooManyRequestsException', 'Rate exceeded');
    }
    const roleName = ctx.url.searchParams.get('role_name');
    const accountId = ctx.url.searchParams.get('account_id');
    if (!roleName || !accountId) {
      return jsonError(400, 'InvalidRequestException', `${!roleName ? 'role_name' : 'account_id'} is required`);
    }
    if (options.roles && !options.roles.some((r) => r.accountId === accountId && r.roleName === roleName)) {
      return jsonError(403, 'ForbiddenException', 'No access');
    }
    counter += 1;
    const credential = server.recordIssued({
      accessKeyId: sourceNamedAccessKeyId(SSO_KEY_PREFIX, roleName, counter),
      secretAccessKey: randomSecret(),
      sessionToken: sessionTokenFor('sso'),
      expiration: new Date(Math.floor(Date.now() / 1000) * 1000 + ttlSeconds * 1000),
      source: 'sso',
      detail: `${accountId}/${roleName}`,
      issuedAt: Date.now(),
    });
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        roleCredentials: {
          accessKeyId: credential.accessKeyId,
          secretAccessKey: credential.secretAccessKey,
          sessionToken: credential.sessionToken,
          expiration: credential.expiration.getTime(),
        },
      }),
    };
  }

  server = await startEmulatorServer({
    classify(_method, url, headers) {
      const token = headers[BEARER_HEADER];
      const params: Record<string, string> = {};
      for (const name of ['role_name', 'account_id']) {
        const value = url.searchParams.get(name);
        if (value !== null) params[name] = value;
      }
      return {
        operation: url.pathname === '/federation/credentials' ? 'GetRoleCredentials' : 'Unknown',
        params,
        ...(typeof token === 'string' ? { identity: token } : {}),
      };
    },
    handle,
    serverError(status) {
      return jsonError(status, 'InternalServerException', 'An internal error occurred');
    },
    reset() {
      counter = 0;
    },
  });

  return exposeEmulator<SsoEmulator>(server, {
    accessTokens,
    addAccessToken(token) {
      accessTokens.add(token);
    },
    revokeAccessToken(token) {
      accessTokens.delete(token);
    },
  });
}

/** This service's error body, in AWS REST-JSON form. */
function jsonError(status: number, type: string, message: string): Reply {
  return restJsonError(status, type, { message });
}

export interface SsoTokenCacheOptions {
  /** `[sso-session <name>]` form: the file is keyed by this name. Absent: legacy form, keyed by `startUrl`. */
  sessionName?: string;
  startUrl: string;
  region: string;
  accessToken: string;
  expiresAt: Date;
  /**
   * sso-session form only: the OIDC client registration and refresh token
   * `aws sso login` (CLI v2) also stores. Defaults to emulated values; `false`
   * omits them. The SDK only reads them to refresh a token that expires within
   * 5 minutes (an SSO-OIDC CreateToken call, endpoint `AWS_ENDPOINT_URL_SSO_OIDC`,
   * not emulated); without them such a token fails with "Cannot refresh".
   */
  registration?: false | { clientId?: string; clientSecret?: string; registrationExpiresAt?: Date; refreshToken?: string };
}

/** `<home>/.aws/sso/cache/<sha1(key)>.json`, where the SDK and the CLI look for a token. */
export function ssoTokenCachePath(home: string, key: string): string {
  return join(home, '.aws', 'sso', 'cache', `${createHash('sha1').update(key).digest('hex')}.json`);
}

/**
 * Writes the SSO token cache file as AWS CLI v2 `aws sso login` does: for the
 * sso-session form the file name is the SHA-1 (hex) of the session name and the
 * registration fields are included; for the legacy form it is the SHA-1 of the
 * start URL. `expiresAt` is written as ISO 8601 UTC `2024-01-01T00:00:00Z`.
 * Returns the file path.
 */
export function writeSsoTokenCache(home: string, opts: SsoTokenCacheOptions): string {
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const doc: Record<string, string> = {
    startUrl: opts.startUrl,
    region: opts.region,
    accessToken: opts.accessToken,
    expiresAt: iso(opts.expiresAt),
  };
  if (opts.sessionName !== undefined && opts.registration !== false) {
    const reg = opts.registration ?? {};
    doc['clientId'] = reg.clientId ?? 'emulated-oidc-client-id';
    doc['clientSecret'] = reg.clientSecret ?? `emulated-oidc-client-secret-${randomSecret()}`;
    doc['registrationExpiresAt'] = iso(reg.registrationExpiresAt ?? new Date(Date.now() + 90 * 24 * 3600 * 1000));
    doc['refreshToken'] = reg.refreshToken ?? `emulated-refresh-token-${randomSecret()}`;
  }
  const file = ssoTokenCachePath(home, opts.sessionName ?? opts.startUrl);
  mkdirSync(join(home, '.aws', 'sso', 'cache'), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(doc, null, 2), { mode: 0o600 });
  return file;
}
