/**
 * Proxies end to end (issue 9): the real bin/ and AWS SDK, with HTTPS_PROXY / HTTP_PROXY /
 * NO_PROXY pointing at a loopback proxy that records what passed through it.
 *
 * The AWS endpoints are named `*.proxied.test`: the proxy routes those names to the emulators
 * (behind a TLS front whose certificate the helper trusts through NODE_EXTRA_CA_CERTS), and
 * nothing else can reach them. The loopback guard in every helper run refuses, and records, any
 * direct connection to such a name, so a call that bypassed the proxy shows up in `blocked()`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { HOST, ACCOUNT, STATIC_KEYS, assertOneLineFailure, assertServed, roleArn, secretOf, startCredentialWorld, type CredentialWorld, type Home } from '../support/credential-world';
import type { Env, HelperResult } from '../support/helper-process';
import { startRecordingProxy, startTlsFront, type RecordingProxy, type TlsFront } from '../support/recording-proxy';
import { writeSsoTokenCache } from '../support/sso-emulator';
import { makeTlsFiles, type TlsFiles } from '../support/tls';

const PROXY_USER = 'proxy-user';
const PROXY_PASSWORD = 'pr0xy p@ss:word';
/** As it must be written in a URL. */
const ENCODED_PASSWORD = encodeURIComponent(PROXY_PASSWORD);

const ENDPOINTS = {
  AWS_ENDPOINT_URL_ECR: 'https://ecr.proxied.test',
  AWS_ENDPOINT_URL_ECR_PUBLIC: 'https://ecr.proxied.test',
  AWS_ENDPOINT_URL_STS: 'https://sts.proxied.test',
  AWS_ENDPOINT_URL_SSO: 'https://sso.proxied.test',
  AWS_ENDPOINT_URL_SSO_OIDC: 'https://oidc.proxied.test',
};
const ENV_KEYS = { AWS_ACCESS_KEY_ID: 'AKIDENVALPHA', AWS_SECRET_ACCESS_KEY: STATIC_KEYS.AKIDENVALPHA };

const lines = (...text: string[]): string => `${text.join('\n')}\n`;

let world: CredentialWorld;
let tlsDir: string;
let tlsFiles: TlsFiles;
/** The endpoints' CA and the TLS proxy's CA, for NODE_EXTRA_CA_CERTS. */
let caBundle: string;
const fronts: TlsFront[] = [];
let proxy: RecordingProxy;
let other: RecordingProxy;
let guarded: RecordingProxy;
let secure: RecordingProxy;

before(async () => {
  world = await startCredentialWorld();
  tlsDir = mkdtempSync(join(tmpdir(), 'ecr-login-proxy-tls-'));
  tlsFiles = makeTlsFiles(tlsDir, '*.proxied.test');
  const front = async (port: number): Promise<number> => {
    const started = await startTlsFront(port, tlsFiles);
    fronts.push(started);
    return started.port;
  };
  const ecrPort = Number(new URL(world.ecr.url).port);
  const routes = {
    'ecr.proxied.test:443': await front(ecrPort),
    'sts.proxied.test:443': await front(world.sts.port),
    'sso.proxied.test:443': await front(world.sso.port),
    'oidc.proxied.test:443': await front(world.oidc.port),
    'ecr.proxied.test:80': ecrPort,
  };
  proxy = await startRecordingProxy({ routes });
  other = await startRecordingProxy({ routes });
  guarded = await startRecordingProxy({ routes, credentials: { user: PROXY_USER, password: PROXY_PASSWORD } });
  const proxyTls = makeTlsFiles(join(tlsDir, 'proxy'), 'localhost');
  secure = await startRecordingProxy({ routes, tls: proxyTls });
  caBundle = join(tlsDir, 'ca-bundle.pem');
  writeFileSync(caBundle, `${readFileSync(tlsFiles.caCert, 'utf8')}${readFileSync(proxyTls.caCert, 'utf8')}`);
});
after(async () => {
  await Promise.all([proxy, other, guarded, secure].map((started) => started?.close()));
  await Promise.all(fronts.map((front) => front.close()));
  await world?.close();
  rmSync(tlsDir, { recursive: true, force: true });
});
beforeEach(() => {
  for (const started of [proxy, other, guarded, secure]) started.reset();
});

/** A fresh HOME whose helper runs trust the test CA and call the `*.proxied.test` endpoints. */
function proxiedHome(): { home: Home; env: (extra?: Env) => Env } {
  const home = world.newHome();
  return { home, env: (extra = {}) => home.env({ ...ENDPOINTS, NODE_EXTRA_CA_CERTS: caBundle, AWS_ECR_LOG_LEVEL: 'debug', ...extra }) };
}

/**
 * What went through the proxy, one line a request. A request the proxy answered 200 and that
 * comes again at once is the SDK re-sending it after its 5 s request timeout: on a starved
 * machine the emulator, in this test's process, can answer that late. It is counted once: the
 * tests are about where requests go, not how often a slow answer is retried. A refusal repeated
 * stays two lines, as it must not be retried.
 */
const targets = (started: RecordingProxy): string[] =>
  started.requests
    .map((request) => `${request.method} ${request.target} → ${request.status}`)
    .filter((line, index, lines) => index === 0 || line !== lines[index - 1] || !line.endsWith('→ 200'));

function logText(home: Home): string {
  const dir = join(home.home, '.ecr', 'log');
  return readdirSync(dir)
    .map((name) => readFileSync(join(dir, name), 'utf8'))
    .join('');
}

/** Neither the proxy password (as given or as encoded) nor its Basic header is printed or logged. */
function assertPasswordKept(home: Home, result: HelperResult): void {
  const basic = Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64');
  for (const [where, text] of [
    ['stdout', result.stdout],
    ['stderr', result.stderr],
    ['the log', logText(home)],
  ] as const) {
    for (const secret of [PROXY_PASSWORD, ENCODED_PASSWORD, basic]) assert.equal(text.includes(secret), false, `${where} holds the proxy password`);
  }
}

describe('HTTPS_PROXY: every AWS API call through a CONNECT tunnel', () => {
  it('ECR and ECR Public: the token the emulator issued, one tunnel each, nothing direct', async () => {
    const { home, env } = proxiedHome();
    const run = env({ ...ENV_KEYS, HTTPS_PROXY: proxy.url });
    const privateGet = await world.get(run);
    assertServed(privateGet);
    assert.equal(secretOf(privateGet), world.ecr.issued.at(-1)?.password);
    assert.deepEqual(targets(proxy), ['CONNECT ecr.proxied.test:443 → 200']);
    proxy.reset();
    const publicGet = await world.get(run, 'public.ecr.aws');
    assertServed(publicGet, 'public.ecr.aws');
    assert.equal(world.ecr.calls.at(-1)?.service, 'ecr-public');
    assert.deepEqual(targets(proxy), ['CONNECT ecr.proxied.test:443 → 200']);
    assert.deepEqual(home.blocked(), [], 'no direct connection was tried');
  });

  it('an assumed role: STS, then ECR with the role keys, both through the proxy', async () => {
    const { home, env } = proxiedHome();
    home.writeCredentials(lines('[base]', 'aws_access_key_id = AKIDBASE', `aws_secret_access_key = ${STATIC_KEYS.AKIDBASE}`));
    home.writeConfig(lines('[profile ci]', `role_arn = ${roleArn('proxied')}`, 'source_profile = base'));
    assertServed(await world.get(env({ AWS_PROFILE: 'ci', HTTPS_PROXY: proxy.url })));
    assert.deepEqual(targets(proxy), ['CONNECT sts.proxied.test:443 → 200', 'CONNECT ecr.proxied.test:443 → 200']);
    assert.equal(world.sts.calls.at(-1)?.operation, 'AssumeRole');
    assert.match(world.ecr.calls.at(-1)?.accessKeyId ?? '', /^ASIASTSASSUMEDPROXIED/);
    assert.deepEqual(home.blocked(), []);
  });

  it('SSO: the token refresh (SSO-OIDC) and the SSO portal, then ECR, all through the proxy', async () => {
    const { home, env } = proxiedHome();
    home.writeConfig(
      lines(
        '[profile sso]', 'sso_session = corp', `sso_account_id = ${ACCOUNT}`, 'sso_role_name = proxied',
        '[sso-session corp]', 'sso_start_url = https://corp.awsapps.com/start', 'sso_region = us-east-1',
      ),
    );
    const refreshToken = `proxied-refresh-${home.home.slice(-6)}`;
    world.oidc.addRefreshToken(refreshToken);
    writeSsoTokenCache(home.home, {
      sessionName: 'corp',
      startUrl: 'https://corp.awsapps.com/start',
      region: 'us-east-1',
      accessToken: 'about-to-expire',
      expiresAt: new Date(Date.now() + 60_000),
      registration: { refreshToken },
    });
    assertServed(await world.get(env({ AWS_PROFILE: 'sso', HTTPS_PROXY: proxy.url })));
    assert.deepEqual(targets(proxy), ['CONNECT oidc.proxied.test:443 → 200', 'CONNECT sso.proxied.test:443 → 200', 'CONNECT ecr.proxied.test:443 → 200']);
    assert.match(world.ecr.calls.at(-1)?.accessKeyId ?? '', /^ASIASSOPROXIED/);
    assert.deepEqual(home.blocked(), []);
  });

  it('lower-case https_proxy works alone, and HTTPS_PROXY wins when both are set', async () => {
    const lower = proxiedHome();
    assertServed(await world.get(lower.env({ ...ENV_KEYS, https_proxy: other.url })));
    assert.deepEqual(targets(other), ['CONNECT ecr.proxied.test:443 → 200']);
    other.reset();
    const both = proxiedHome();
    assertServed(await world.get(both.env({ ...ENV_KEYS, HTTPS_PROXY: proxy.url, https_proxy: other.url })));
    assert.deepEqual(targets(proxy), ['CONNECT ecr.proxied.test:443 → 200']);
    assert.deepEqual(targets(other), []);
  });

  it('an https:// proxy: TLS to the proxy, then the tunnel inside it', async () => {
    const { home, env } = proxiedHome();
    assertServed(await world.get(env({ ...ENV_KEYS, HTTPS_PROXY: secure.url })));
    assert.deepEqual(targets(secure), ['CONNECT ecr.proxied.test:443 → 200']);
    assert.deepEqual(home.blocked(), []);
  });

  it('a proxy that cannot be reached: one line naming it; a proxy that drops connections: retried, as the network is', async () => {
    const { env } = proxiedHome();
    const closed = await startRecordingProxy({ routes: {} });
    await closed.close();
    const refused = assertOneLineFailure(await world.get(env({ ...ENV_KEYS, HTTPS_PROXY: closed.url })), /proxy/);
    assert.equal(refused, `ProxyError: cannot connect to the proxy ${closed.url} (HTTPS_PROXY): connection refused`);

    let connections = 0;
    const dropping = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(dropping.address() as AddressInfo).port}`;
      const reset = assertOneLineFailure(await world.get(env({ ...ENV_KEYS, HTTPS_PROXY: url })), /proxy/);
      assert.equal(reset, `ProxyError: cannot connect to the proxy ${url} (HTTPS_PROXY): connection reset`);
      assert.equal(connections, 3, 'the first attempt and two retries, as for ECR itself');
    } finally {
      await new Promise<void>((resolve) => dropping.close(() => resolve()));
    }
  });

  it('a proxy the helper cannot use (SOCKS): one line naming the variable, nothing sent anywhere', async () => {
    const { home, env } = proxiedHome();
    const cause = assertOneLineFailure(await world.get(env({ ...ENV_KEYS, HTTPS_PROXY: 'socks5://127.0.0.1:1080' })), /SOCKS/);
    assert.equal(cause, 'ProxyError: HTTPS_PROXY names a SOCKS proxy; only http:// and https:// proxies are supported');
    assert.deepEqual(home.blocked(), []);
  });

  it('a cache hit does not touch the proxy, and loads neither the proxy code nor TLS', async () => {
    const { home, env } = proxiedHome();
    const run = env({ ...ENV_KEYS, HTTPS_PROXY: proxy.url });
    const miss = await world.get(run);
    assertServed(miss);
    proxy.reset();
    const probe = join(home.home, 'probe.js');
    const loaded = join(home.home, 'loaded.json');
    writeFileSync(probe, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(process.moduleLoadList)));\n`);
    const hit = await world.get({ ...run, NODE_OPTIONS: `${run.NODE_OPTIONS ?? ''} --require ${probe}` });
    assertServed(hit);
    assert.equal(hit.stdout, miss.stdout, 'the cached token');
    assert.deepEqual(targets(proxy), []);
    const modules = JSON.parse(readFileSync(loaded, 'utf8')) as string[];
    assert.ok(modules.includes('NativeModule fs'), 'the probe saw the process');
    for (const builtin of ['tls', 'https', '_tls_wrap']) assert.equal(modules.includes(`NativeModule ${builtin}`), false, `${builtin} was loaded on a hit`);
  });
});

describe('HTTP_PROXY: a forward proxy for http endpoints', () => {
  it('an http ECR endpoint: the request in absolute form through the proxy, the emulator token back', async () => {
    const { home, env } = proxiedHome();
    const result = await world.get(env({ ...ENV_KEYS, AWS_ENDPOINT_URL_ECR: 'http://ecr.proxied.test', HTTP_PROXY: proxy.url, HTTPS_PROXY: other.url }));
    assertServed(result);
    assert.equal(secretOf(result), world.ecr.issued.at(-1)?.password);
    assert.deepEqual(targets(proxy), ['POST http://ecr.proxied.test:80/ → 200']);
    assert.deepEqual(targets(other), [], 'HTTPS_PROXY is for https targets only');
    assert.deepEqual(home.blocked(), []);
  });

  it('HTTPS_PROXY alone leaves an http endpoint direct', async () => {
    const { home, env } = proxiedHome();
    await world.get(env({ ...ENV_KEYS, AWS_ENDPOINT_URL_ECR: 'http://ecr.proxied.test', HTTPS_PROXY: proxy.url }));
    assert.deepEqual(targets(proxy), []);
    assert.deepEqual([...new Set(home.blocked())], ['ecr.proxied.test'], 'it went direct (and the guard stopped it)');
  });
});

describe('a proxy that wants a user name and password', () => {
  it('credentials in the URL become Proxy-Authorization, and are never printed or logged', async () => {
    const { home, env } = proxiedHome();
    const url = guarded.url.replace('http://', `http://${PROXY_USER}:${ENCODED_PASSWORD}@`);
    const result = await world.get(env({ ...ENV_KEYS, HTTPS_PROXY: url }));
    assertServed(result);
    assert.deepEqual(targets(guarded), ['CONNECT ecr.proxied.test:443 → 200']);
    assert.equal(guarded.requests[0]?.proxyAuthorization, `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64')}`);
    assertPasswordKept(home, result);
  });

  it('a wrong password: one line naming the proxy (never the password), no retry', async () => {
    const { home, env } = proxiedHome();
    const url = guarded.url.replace('http://', `http://${PROXY_USER}:wrong-${ENCODED_PASSWORD}@`);
    const result = await world.get(env({ ...ENV_KEYS, HTTPS_PROXY: url }));
    const cause = assertOneLineFailure(result, /proxy/);
    assert.equal(cause, `ProxyError: the proxy ${guarded.url} (HTTPS_PROXY) refused the user name and password in its URL (HTTP 407 Proxy Authentication Required)`);
    assert.deepEqual(targets(guarded), ['CONNECT ecr.proxied.test:443 → 407'], 'a refusal is not retried');
    assertPasswordKept(home, result);
    for (const text of [result.stdout, logText(home)]) assert.equal(text.includes(`wrong-${ENCODED_PASSWORD}`), false);
  });

  it('no credentials at all: one line saying where they go', async () => {
    const { env } = proxiedHome();
    const cause = assertOneLineFailure(await world.get(env({ ...ENV_KEYS, HTTPS_PROXY: guarded.url })), /proxy/);
    assert.match(cause, /wants a user name and password \(HTTP 407 Proxy Authentication Required\): put them in the proxy URL/);
  });
});

describe('what never goes through the proxy', () => {
  it('a NO_PROXY match goes direct', async () => {
    const { home, env } = proxiedHome();
    const settings: Env[] = [{ NO_PROXY: '.proxied.test' }, { no_proxy: 'ecr.proxied.test' }, { NO_PROXY: 'example.com, *' }];
    for (const noProxy of settings) {
      const result = await world.get(env({ ...ENV_KEYS, HTTPS_PROXY: proxy.url, ...noProxy }));
      assert.equal(result.code, 1, JSON.stringify(noProxy));
    }
    assert.deepEqual(targets(proxy), []);
    assert.deepEqual([...new Set(home.blocked())], ['ecr.proxied.test'], 'each went straight to the endpoint');
  });

  it('EC2 instance metadata and the container credentials endpoint are reached directly, whatever the proxy variables say', async () => {
    // NODE_USE_ENV_PROXY=1 (Node 22.21+, 24.5+) would send Node's global agent, which the SDK's
    // metadata clients use, through HTTP_PROXY.
    const proxies = { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NODE_USE_ENV_PROXY: '1' };
    const imds = proxiedHome();
    const imdsRun = imds.env({ ...proxies, AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://imds.proxied.test' });
    assert.equal((await world.get(imdsRun)).code, 1);
    const ecs = proxiedHome();
    const ecsRun = ecs.env({ ...proxies, AWS_CONTAINER_CREDENTIALS_FULL_URI: 'https://ecs.proxied.test/v2/credentials/alpha' });
    assert.equal((await world.get(ecsRun)).code, 1);
    assert.deepEqual(targets(proxy), [], 'the proxy saw neither');
    assert.ok(imds.home.blocked().includes('imds.proxied.test'), `IMDS was tried directly: ${imds.home.blocked().join(', ')}`);
    assert.ok(ecs.home.blocked().includes('ecs.proxied.test'), `ECS was tried directly: ${ecs.home.blocked().join(', ')}`);
  });

  it('loopback endpoints (the emulators as the rest of the suite uses them) are never proxied', async () => {
    const { home } = proxiedHome();
    const result = await world.get(home.env({ ...ENV_KEYS, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url }), HOST);
    assertServed(result);
    assert.deepEqual(targets(proxy), []);
  });
});
