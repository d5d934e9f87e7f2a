/**
 * Loopback emulator of the IAM Identity Center OIDC service's `CreateToken` with the
 * `refresh_token` grant: what the SDK calls (through the SSO token provider) when the access
 * token in ~/.aws/sso/cache expires within 5 minutes.
 *
 *   POST /token  {"clientId","clientSecret","grantType":"refresh_token","refreshToken"}  →
 *   {"accessToken","expiresIn","refreshToken","tokenType":"Bearer"}
 * A refresh token it does not know (as when the session behind it has ended) → 400,
 * `x-amzn-errortype: InvalidGrantException`, `{"error":"invalid_grant",…}`.
 *
 * Point the SDK at it with `AWS_ENDPOINT_URL_SSO_OIDC=<url>`. Each access token it issues is
 * passed to `onAccessToken` (so the SSO portal emulator can accept it).
 */
import { randomBytes } from 'node:crypto';
import { type BaseFault, type EmulatorBase, exposeEmulator, type Reply, restJsonError, startEmulatorServer } from './emulator-http';

export interface SsoOidcEmulatorOptions {
  /** Refresh tokens it accepts. Default: none (every refresh is refused with invalid_grant). */
  refreshTokens?: string[];
  /** Lifetime of issued access tokens. Default 28800 (8 hours). */
  expiresInSeconds?: number;
  onAccessToken?: (accessToken: string) => void;
}

export interface SsoOidcEmulator extends EmulatorBase<BaseFault> {
  addRefreshToken(token: string): void;
}

export async function startSsoOidcEmulator(options: SsoOidcEmulatorOptions = {}): Promise<SsoOidcEmulator> {
  const refreshTokens = new Set(options.refreshTokens ?? []);
  const expiresIn = options.expiresInSeconds ?? 28800;

  const server = await startEmulatorServer({
    classify(method, url) {
      return { operation: method === 'POST' && url.pathname === '/token' ? 'CreateToken' : 'Unknown' };
    },
    handle(ctx): Reply {
      if (ctx.call.operation !== 'CreateToken') return jsonError(404, 'UnknownOperationException', 'unknown_operation', 'Unknown operation');
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(ctx.body.toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        return jsonError(400, 'InvalidRequestException', 'invalid_request', 'Malformed JSON');
      }
      ctx.call.params['grantType'] = String(input['grantType'] ?? '');
      if (input['grantType'] !== 'refresh_token' || typeof input['refreshToken'] !== 'string' || !input['clientId'] || !input['clientSecret']) {
        return jsonError(400, 'InvalidRequestException', 'invalid_request', 'Missing parameters');
      }
      if (!refreshTokens.has(input['refreshToken'])) {
        return jsonError(400, 'InvalidGrantException', 'invalid_grant', 'Invalid refresh token provided');
      }
      refreshTokens.delete(input['refreshToken']);
      const accessToken = `oidc-refreshed-${randomBytes(24).toString('base64url')}`;
      const refreshToken = `oidc-refresh-${randomBytes(24).toString('base64url')}`;
      refreshTokens.add(refreshToken);
      options.onAccessToken?.(accessToken);
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ accessToken, expiresIn, refreshToken, tokenType: 'Bearer' }),
      };
    },
    serverError(status) {
      return jsonError(status, 'InternalServerException', 'server_error', 'An internal error occurred');
    },
  });

  return exposeEmulator<SsoOidcEmulator>(server, {
    addRefreshToken(token) {
      refreshTokens.add(token);
    },
  });
}

/** This service's error body, in AWS REST-JSON form. */
function jsonError(status: number, type: string, error: string, description: string): Reply {
  return restJsonError(status, type, { error, error_description: description });
}
