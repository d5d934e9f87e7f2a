/**
 * Loopback emulator of the EC2 Instance Metadata Service (IMDSv2, with v1
 * optionally allowed), for tests that drive the SDK's `fromInstanceMetadata`
 * (@smithy/credential-provider-imds) and the default provider chain.
 *
 * What the SDK does (credential-provider-imds 4.5.x), and so what is served:
 *   PUT /latest/api/token  (x-aws-ec2-metadata-token-ttl-seconds: 21600)  → token (text)
 *   GET /latest/meta-data/iam/security-credentials/        (x-aws-ec2-metadata-token) → role name
 *   GET /latest/meta-data/iam/security-credentials/<role>  (x-aws-ec2-metadata-token) → JSON
 * If the token PUT fails (not 400), the SDK retries the GETs without a token
 * (IMDSv1 fallback) — which this emulator answers 401 when `requireToken`
 * (the default, like an instance with HttpTokens=required). A 403/404/405 on
 * the token PUT makes the SDK stop asking for tokens until it gets a 401.
 * `security-credentials-extended/` (newer SDKs) answers 404 unless
 * `extendedCredentials: true`, as on IMDS that does not offer it.
 * Also served: iam/info, placement/region, placement/availability-zone,
 * dynamic/instance-identity/document. Everything else is 404.
 *
 * Point the SDK at it with `AWS_EC2_METADATA_SERVICE_ENDPOINT=<url>` (env), or
 * `ec2_metadata_service_endpoint = <url>` in the profile the SDK reads its
 * config from (AWS_PROFILE / `default` of AWS_CONFIG_FILE / ~/.aws/config —
 * the provider's `profile` option does not choose it). Issued key ids are
 * `ASIAIMDS` + role-derived suffix + counter.
 */
import { randomBytes } from 'node:crypto';
import { type BaseFault, type EmulatorBase, type EmulatorServer, exposeEmulator, type FaultScope, isoSeconds, type IssuedCredential, randomSecret, type Reply, type RequestContext, sessionTokenFor, sourceNamedAccessKeyId, startEmulatorServer } from './emulator-http';

export const IMDS_KEY_PREFIX = 'ASIAIMDS';
export const IMDS_TOKEN_PATH = '/latest/api/token';
export const IMDS_CREDENTIALS_PATH = '/latest/meta-data/iam/security-credentials/';
export const IMDS_EXTENDED_CREDENTIALS_PATH = '/latest/meta-data/iam/security-credentials-extended/';
const TOKEN_TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';

export type ImdsOperation =
  | 'GetToken'
  | 'ListRoles'
  | 'GetRoleCredentials'
  | 'ListRolesExtended'
  | 'GetRoleCredentialsExtended'
  | 'GetIamInfo'
  | 'GetRegion'
  | 'GetAvailabilityZone'
  | 'GetInstanceIdentityDocument'
  | 'Other';

export interface ImdsEmulatorOptions {
  /** Instance profile role name. Default `emulated-instance-role`; `null`: no role attached (404s). */
  roleName?: string | null;
  /** IMDSv2 only (HttpTokens=required): token-less GETs get 401. Default true. */
  requireToken?: boolean;
  /** Serve `security-credentials-extended/` (with AccountId). Default false: 404. */
  extendedCredentials?: boolean;
  /** Default `123456789012`. */
  accountId?: string;
  /** Default `us-east-1`. */
  region?: string;
  /** Lifetime of issued credentials. Default 21600 (6 hours, like EC2). */
  credentialTtlSeconds?: number;
}

export type ImdsFault =
  | BaseFault
  /** 401 whatever the token (as for an expired one). */
  | ({ kind: 'unauthorized' } & FaultScope)
  /** 404 (as for a path IMDS does not serve). */
  | ({ kind: 'not-found' } & FaultScope);

export interface ImdsEmulator extends EmulatorBase<ImdsFault> {
  readonly roleName: string | null;
  /** Tokens issued and not yet invalidated, with their expiry (ms since epoch). */
  readonly tokens: ReadonlyMap<string, number>;
  /** Next credentials request gets fresh credentials (a new access key id). */
  rotate(): void;
  /** Invalidates every token issued so far (GETs with them get 401). */
  expireTokens(): void;
  /** Changes (or removes, with null) the attached role. */
  setRoleName(roleName: string | null): void;
}

export async function startImdsEmulator(options: ImdsEmulatorOptions = {}): Promise<ImdsEmulator> {
  let roleName: string | null = options.roleName === undefined ? 'emulated-instance-role' : options.roleName;
  const requireToken = options.requireToken ?? true;
  const accountId = options.accountId ?? '123456789012';
  const region = options.region ?? 'us-east-1';
  const ttlSeconds = options.credentialTtlSeconds ?? 21600;
  const tokens = new Map<string, number>();
  let current: IssuedCredential | undefined;
  let counter = 0;
  let server: EmulatorServer;

  function credentialsFor(role: string): IssuedCredential {
    if (current && current.detail === role && current.expiration.getTime() > Date.now()) return current;
    counter += 1;
    current = server.recordIssued({
      accessKeyId: sourceNamedAccessKeyId(IMDS_KEY_PREFIX, role, counter),
      secretAccessKey: randomSecret(),
      sessionToken: sessionTokenFor('imds'),
      expiration: new Date(Math.floor(Date.now() / 1000) * 1000 + ttlSeconds * 1000),
      source: 'imds',
      detail: role,
      issuedAt: Date.now(),
    });
    return current;
  }

  function classify(method: string, path: string): ImdsOperation {
    if (path === IMDS_TOKEN_PATH) return 'GetToken';
    if (path === IMDS_CREDENTIALS_PATH) return 'ListRoles';
    if (path.startsWith(IMDS_CREDENTIALS_PATH)) return 'GetRoleCredentials';
    if (path === IMDS_EXTENDED_CREDENTIALS_PATH) return 'ListRolesExtended';
    if (path.startsWith(IMDS_EXTENDED_CREDENTIALS_PATH)) return 'GetRoleCredentialsExtended';
    if (path === '/latest/meta-data/iam/info') return 'GetIamInfo';
    if (path === '/latest/meta-data/placement/region') return 'GetRegion';
    if (path === '/latest/meta-data/placement/availability-zone') return 'GetAvailabilityZone';
    if (path === '/latest/dynamic/instance-identity/document') return 'GetInstanceIdentityDocument';
    void method;
    return 'Other';
  }

  function getToken(ctx: RequestContext): Reply {
    if (ctx.method !== 'PUT') return htmlError(405, 'Method Not Allowed');
    if (ctx.headers['x-forwarded-for'] !== undefined) return htmlError(403, 'Forbidden');
    const ttlHeader = ctx.headers[TOKEN_TTL_HEADER];
    const ttl = Number(ttlHeader);
    if (typeof ttlHeader !== 'string' || !/^\d+$/.test(ttlHeader) || ttl < 1 || ttl > 21600) return htmlError(400, 'Missing or Invalid Parameters');
    const token = `AQAEAIMDS${randomBytes(30).toString('base64url')}==`;
    tokens.set(token, Date.now() + ttl * 1000);
    ctx.call.params['ttlSeconds'] = String(ttl);
    return { status: 200, headers: { 'content-type': 'text/plain', [TOKEN_TTL_HEADER]: String(ttl) }, body: token };
  }

  /** 401 unless the request carries a live token, or none at all when v1 is allowed. */
  function checkToken(ctx: RequestContext): Reply | undefined {
    const token = ctx.headers[TOKEN_HEADER];
    if (typeof token === 'string') {
      const expiresAt = tokens.get(token);
      if (expiresAt === undefined || expiresAt <= Date.now()) return htmlError(401, 'Unauthorized');
      return undefined;
    }
    return requireToken ? htmlError(401, 'Unauthorized') : undefined;
  }

  function credentialsJson(credential: IssuedCredential, extended: boolean): Reply {
    const doc: Record<string, string> = {
      Code: 'Success',
      LastUpdated: isoSeconds(new Date(credential.issuedAt)),
      Type: 'AWS-HMAC',
      AccessKeyId: credential.accessKeyId,
      SecretAccessKey: credential.secretAccessKey,
      Token: credential.sessionToken,
      Expiration: isoSeconds(credential.expiration),
    };
    if (extended) doc['AccountId'] = accountId;
    // IMDS pretty-prints with " : " separators.
    const body = `{\n${Object.entries(doc)
      .map(([k, v]) => `  ${JSON.stringify(k)} : ${JSON.stringify(v)}`)
      .join(',\n')}\n}`;
    return { status: 200, headers: { 'content-type': 'text/plain' }, body };
  }

  function handle(ctx: RequestContext): Reply {
    const operation = ctx.call.operation as ImdsOperation;
    const forced = ctx.takeFault(['unauthorized', 'not-found'] as const);
    if (forced) {
      ctx.call.fault = forced.kind;
      return forced.kind === 'unauthorized' ? htmlError(401, 'Unauthorized') : htmlError(404, 'Not Found');
    }
    if (operation === 'GetToken') return getToken(ctx);
    if (ctx.method !== 'GET') return htmlError(405, 'Method Not Allowed');
    const denied = checkToken(ctx);
    if (denied) return denied;
    const path = ctx.url.pathname;
    switch (operation) {
      case 'ListRoles':
      case 'ListRolesExtended':
        if (operation === 'ListRolesExtended' && !options.extendedCredentials) return htmlError(404, 'Not Found');
        return roleName === null ? htmlError(404, 'Not Found') : text(roleName);
      case 'GetRoleCredentials':
      case 'GetRoleCredentialsExtended': {
        const extended = operation === 'GetRoleCredentialsExtended';
        if (extended && !options.extendedCredentials) return htmlError(404, 'Not Found');
        const requested = decodeURIComponent(path.slice((extended ? IMDS_EXTENDED_CREDENTIALS_PATH : IMDS_CREDENTIALS_PATH).length));
        ctx.call.params['roleName'] = requested;
        if (roleName === null || requested !== roleName) return htmlError(404, 'Not Found');
        return credentialsJson(credentialsFor(roleName), extended);
      }
      case 'GetIamInfo':
        if (roleName === null) return htmlError(404, 'Not Found');
        return {
          status: 200,
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify(
            {
              Code: 'Success',
              LastUpdated: isoSeconds(new Date()),
              InstanceProfileArn: `arn:aws:iam::${accountId}:instance-profile/${roleName}`,
              InstanceProfileId: 'AIPAEMULATEDPROFILE1',
            },
            null,
            2,
          ),
        };
      case 'GetRegion':
        return text(region);
      case 'GetAvailabilityZone':
        return text(`${region}a`);
      case 'GetInstanceIdentityDocument':
        return {
          status: 200,
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify(
            {
              accountId,
              architecture: 'x86_64',
              availabilityZone: `${region}a`,
              imageId: 'ami-0123456789abcdef0',
              instanceId: 'i-0123456789abcdef0',
              instanceType: 't3.micro',
              pendingTime: '2024-01-01T00:00:00Z',
              privateIp: '10.0.0.10',
              region,
              version: '2017-09-30',
            },
            null,
            2,
          ),
        };
      default:
        return htmlError(404, 'Not Found');
    }
  }

  server = await startEmulatorServer({
    classify(method, url, headers) {
      const token = headers[TOKEN_HEADER];
      return { operation: classify(method, url.pathname), ...(typeof token === 'string' ? { identity: token } : {}) };
    },
    handle,
    serverError(status) {
      return htmlError(status, status === 503 ? 'Service Unavailable' : 'Internal Server Error');
    },
    reset() {
      tokens.clear();
      current = undefined;
      counter = 0;
    },
  });

  return exposeEmulator<ImdsEmulator>(server, {
    get roleName() {
      return roleName;
    },
    tokens,
    rotate() {
      current = undefined;
    },
    expireTokens() {
      tokens.clear();
    },
    setRoleName(name) {
      roleName = name;
      current = undefined;
    },
  });
}

function text(body: string): Reply {
  return { status: 200, headers: { 'content-type': 'text/plain' }, body };
}

/** The little XHTML page IMDS answers errors with. */
function htmlError(status: number, title: string): Reply {
  return {
    status,
    errorCode: String(status),
    headers: { 'content-type': 'text/html' },
    body:
      '<?xml version="1.0" encoding="iso-8859-1"?>\n' +
      '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n' +
      '\t"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n' +
      '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n' +
      ` <head>\n  <title>${status} - ${title}</title>\n </head>\n <body>\n  <h1>${status} - ${title}</h1>\n </body>\n</html>\n`,
  };
}
