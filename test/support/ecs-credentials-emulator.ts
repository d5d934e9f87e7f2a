/**
 * Loopback emulator of the ECS / EKS Pod Identity container credentials
 * endpoint, for tests that drive the SDK's `fromHttp`
 * (@aws-sdk/credential-provider-http), `fromContainerMetadata`
 * (@smithy/credential-provider-imds) and the default provider chain.
 *
 *   GET <path>   Authorization: <token>   →
 *   {"AccessKeyId","SecretAccessKey","Token","Expiration","RoleArn"}
 *
 * What the SDK requires (verified against the installed versions):
 *   - fromHttp accepts a FULL_URI over plain http only for loopback hosts
 *     (127.0.0.0/8, localhost, [::1]) or the ECS/EKS link-local hosts; it sends
 *     `Authorization` from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (preferred) or
 *     AWS_CONTAINER_AUTHORIZATION_TOKEN (options: awsContainerCredentialsFullUri,
 *     awsContainerAuthorizationToken, awsContainerAuthorizationTokenFile), and
 *     requires string AccessKeyId, SecretAccessKey, Token and an RFC 3339 Expiration.
 *     It retries `maxRetries` (default 3) times, waiting `timeout` (default 1000 ms).
 *   - fromContainerMetadata reads only the environment and accepts only the hosts
 *     `localhost` and `127.0.0.1` for FULL_URI.
 *   - AWS_CONTAINER_CREDENTIALS_RELATIVE_URI always means http://169.254.170.2,
 *     so it cannot be pointed at this emulator.
 * Issued key ids are `ASIAECS` + role-derived suffix + counter.
 */
import { type BaseFault, type EmulatorBase, type EmulatorServer, exposeEmulator, type FaultScope, isoSeconds, type IssuedCredential, randomSecret, type Reply, type RequestContext, roleNameOf, sessionTokenFor, sourceNamedAccessKeyId, startEmulatorServer } from './emulator-http';

export const ECS_KEY_PREFIX = 'ASIAECS';

export interface EcsCredentialsEmulatorOptions {
  /** Required `Authorization` header value; undefined: no authorization required (like ECS RELATIVE_URI). */
  authToken?: string;
  /** Credentials path. Default `/v2/credentials/emulated-task`. */
  path?: string;
  /** Default `arn:aws:iam::123456789012:role/emulated-task-role`. */
  roleArn?: string;
  /** When set, answers also carry `AccountId` (as EKS Pod Identity does). */
  accountId?: string;
  /** Lifetime of issued credentials. Default 21600 (6 hours). */
  credentialTtlSeconds?: number;
}

export type EcsCredentialsFault =
  | BaseFault
  /** 403 whatever the Authorization header. */
  | ({ kind: 'access-denied' } & FaultScope)
  /** 200 with a body lacking `Token` (the SDK must reject it). */
  | ({ kind: 'malformed' } & FaultScope);

export interface EcsCredentialsEmulator extends EmulatorBase<EcsCredentialsFault> {
  /** `url` + path: the value for AWS_CONTAINER_CREDENTIALS_FULL_URI. */
  readonly fullUri: string;
  readonly path: string;
  readonly authToken: string | undefined;
  readonly roleArn: string;
  /** Changes the required Authorization value (undefined: none required). */
  setAuthToken(token: string | undefined): void;
  /** Next request gets fresh credentials (a new access key id). */
  rotate(): void;
}

export async function startEcsCredentialsEmulator(options: EcsCredentialsEmulatorOptions = {}): Promise<EcsCredentialsEmulator> {
  const path = options.path ?? '/v2/credentials/emulated-task';
  if (!path.startsWith('/')) throw new Error(`path must start with '/': ${path}`);
  const roleArn = options.roleArn ?? 'arn:aws:iam::123456789012:role/emulated-task-role';
  const ttlSeconds = options.credentialTtlSeconds ?? 21600;
  let authToken = options.authToken;
  let current: IssuedCredential | undefined;
  let counter = 0;
  let server: EmulatorServer;

  function credentials(): IssuedCredential {
    if (current && current.expiration.getTime() > Date.now()) return current;
    counter += 1;
    current = server.recordIssued({
      accessKeyId: sourceNamedAccessKeyId(ECS_KEY_PREFIX, roleNameOf(roleArn), counter),
      secretAccessKey: randomSecret(),
      sessionToken: sessionTokenFor('ecs'),
      expiration: new Date(Math.floor(Date.now() / 1000) * 1000 + ttlSeconds * 1000),
      source: 'ecs',
      detail: roleArn,
      issuedAt: Date.now(),
    });
    return current;
  }

  function handle(ctx: RequestContext): Reply {
    if (ctx.call.operation !== 'GetCredentials') {
      return json(404, { Code: 'NotFound', Message: `No credentials at ${ctx.url.pathname}` }, 'NotFound');
    }
    if (ctx.method !== 'GET') return json(405, { Code: 'MethodNotAllowed', Message: `${ctx.method} not allowed` }, 'MethodNotAllowed');
    if (authToken !== undefined) {
      const presented = ctx.headers['authorization'];
      if (presented === undefined || presented === '') {
        return json(401, { Code: 'Unauthorized', Message: 'Authorization header is missing' }, 'Unauthorized');
      }
      if (presented !== authToken) {
        return json(403, { Code: 'AccessDenied', Message: 'Authorization token is not valid' }, 'AccessDenied');
      }
    }
    const fault = ctx.takeFault(['access-denied', 'malformed'] as const);
    if (fault?.kind === 'access-denied') {
      ctx.call.fault = fault.kind;
      return json(403, { Code: 'AccessDenied', Message: 'Access denied' }, 'AccessDenied');
    }
    const credential = credentials();
    const doc: Record<string, string> = {
      AccessKeyId: credential.accessKeyId,
      SecretAccessKey: credential.secretAccessKey,
      Token: credential.sessionToken,
      Expiration: isoSeconds(credential.expiration),
      RoleArn: roleArn,
    };
    if (options.accountId !== undefined) doc['AccountId'] = options.accountId;
    if (fault?.kind === 'malformed') {
      ctx.call.fault = fault.kind;
      delete doc['Token'];
    }
    return json(200, doc);
  }

  server = await startEmulatorServer({
    classify(_method, url, headers) {
      const presented = headers['authorization'];
      return {
        operation: url.pathname === path ? 'GetCredentials' : 'NotFound',
        ...(typeof presented === 'string' ? { identity: presented } : {}),
      };
    },
    handle,
    serverError(status) {
      return json(status, { Code: 'InternalServerError', Message: 'Internal server error' }, 'InternalServerError');
    },
    reset() {
      current = undefined;
      counter = 0;
    },
  });

  return exposeEmulator<EcsCredentialsEmulator>(server, {
    get fullUri() {
      return `${server.url}${path}`;
    },
    path,
    get authToken() {
      return authToken;
    },
    roleArn,
    setAuthToken(token) {
      authToken = token;
    },
    rotate() {
      current = undefined;
    },
  });
}

function json(status: number, doc: unknown, errorCode?: string): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(doc),
    ...(errorCode !== undefined ? { errorCode } : {}),
  };
}
