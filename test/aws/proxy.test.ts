/**
 * The proxy decision (src/aws/proxy.ts): HTTPS_PROXY, HTTP_PROXY and NO_PROXY as Go's
 * golang.org/x/net/http/httpproxy reads them, loopback never proxied. Unit tests: pure.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideProxy, readProxySettings, type ProxyTarget } from '../../src/aws/proxy';

type Env = Record<string, string>;

/** What Go's ProxyFunc would return for a URL: the proxy's URL without credentials, `direct`, or `unusable: …`. */
function proxyFor(env: Env, url: string): string {
  const settings = readProxySettings(env);
  if (settings === undefined) return 'direct';
  const parsed = new URL(url);
  const protocol = parsed.protocol as ProxyTarget['protocol'];
  const port = parsed.port === '' ? (protocol === 'https:' ? 443 : 80) : Number(parsed.port);
  const decision = decideProxy(settings, { protocol, host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port });
  if (decision.kind === 'direct') return 'direct';
  if (decision.kind === 'unusable') return `unusable: ${decision.setting.problem}`;
  return decision.proxy.display;
}

describe('which proxy variable applies', () => {
  it('sets no agents at all when neither proxy variable is set (NO_PROXY alone changes nothing)', () => {
    assert.equal(readProxySettings({}), undefined);
    assert.equal(readProxySettings({ NO_PROXY: '*', no_proxy: 'example.com' }), undefined);
    assert.equal(readProxySettings({ HTTPS_PROXY: '', https_proxy: '', HTTP_PROXY: '' }), undefined, 'empty counts as unset');
  });

  it('HTTPS_PROXY for https targets, HTTP_PROXY for http targets, never one for the other', () => {
    const env = { HTTP_PROXY: 'http.proxy.tld', HTTPS_PROXY: 'secure.proxy.tld' };
    assert.equal(proxyFor(env, 'http://insecure.tld/'), 'http://http.proxy.tld:80');
    assert.equal(proxyFor(env, 'https://api.ecr.eu-west-1.amazonaws.com/'), 'http://secure.proxy.tld:80');
    assert.equal(proxyFor({ HTTP_PROXY: 'http.proxy.tld' }, 'https://secure.tld/'), 'direct', 'https does not fall back to HTTP_PROXY');
    assert.equal(proxyFor({ HTTPS_PROXY: 'secure.proxy.tld' }, 'http://insecure.tld/'), 'direct');
  });

  it('upper case wins over lower case; lower case alone works; an empty upper-case value is unset', () => {
    assert.equal(proxyFor({ HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2' }, 'https://x.example/'), 'http://upper:1');
    assert.equal(proxyFor({ https_proxy: 'http://lower:2' }, 'https://x.example/'), 'http://lower:2');
    assert.equal(proxyFor({ HTTPS_PROXY: '', https_proxy: 'http://lower:2' }, 'https://x.example/'), 'http://lower:2');
    assert.equal(proxyFor({ HTTP_PROXY: 'http://upper:1', http_proxy: 'http://lower:2' }, 'http://x.example/'), 'http://upper:1');
    const settings = readProxySettings({ HTTPS_PROXY: 'p:1', NO_PROXY: 'a.example', no_proxy: 'b.example' });
    assert.ok(settings);
    assert.equal(decideProxy(settings, { protocol: 'https:', host: 'a.example', port: 443 }).kind, 'direct');
    assert.equal(decideProxy(settings, { protocol: 'https:', host: 'b.example', port: 443 }).kind, 'proxy', 'NO_PROXY hides no_proxy');
  });
});

describe('proxy URLs', () => {
  it('reads full URLs and bare host[:port] (meaning http), with the default port of the scheme', () => {
    for (const [value, display] of [
      ['127.0.0.1:8080', 'http://127.0.0.1:8080'],
      ['cache.corp.example.com:1234', 'http://cache.corp.example.com:1234'],
      ['cache.corp.example.com', 'http://cache.corp.example.com:80'],
      ['localhost', 'http://localhost:80'],
      ['https://cache.corp.example.com', 'https://cache.corp.example.com:443'],
      ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
      ['  http://proxy.corp:3128  ', 'http://proxy.corp:3128'],
      ['http://[2001:db8::1]:3128', 'http://[2001:db8::1]:3128'],
      ['HTTP://Proxy.Corp:3128', 'http://proxy.corp:3128'],
    ] as const) {
      assert.equal(proxyFor({ HTTPS_PROXY: value }, 'https://api.example/'), display, value);
    }
  });

  it('turns user:password in the URL into Basic credentials, percent-decoded, and never shows them', () => {
    const settings = readProxySettings({ HTTPS_PROXY: 'http://alice:p%40ss%3Aword@proxy.corp:3128' });
    assert.ok(settings);
    const decision = decideProxy(settings, { protocol: 'https:', host: 'api.example', port: 443 });
    assert.equal(decision.kind, 'proxy');
    if (decision.kind !== 'proxy') return;
    assert.equal(decision.proxy.authorization, `Basic ${Buffer.from('alice:p@ss:word').toString('base64')}`);
    assert.equal(decision.proxy.display, 'http://proxy.corp:3128');
    assert.equal(decision.proxy.variable, 'HTTPS_PROXY');
    assert.equal(JSON.stringify({ ...decision.proxy, authorization: undefined }).includes('p%40ss'), false);
    const userOnly = decideProxy(readProxySettings({ HTTPS_PROXY: 'http://bob@proxy.corp' })!, { protocol: 'https:', host: 'x', port: 443 });
    assert.equal(userOnly.kind === 'proxy' && userOnly.proxy.authorization, `Basic ${Buffer.from('bob:').toString('base64')}`);
    const none = decideProxy(readProxySettings({ HTTPS_PROXY: 'http://proxy.corp' })!, { protocol: 'https:', host: 'x', port: 443 });
    assert.equal(none.kind === 'proxy' && none.proxy.authorization, undefined);
  });

  it('a SOCKS proxy, another scheme or a value that is no URL is unusable, and says which variable', () => {
    assert.match(proxyFor({ HTTPS_PROXY: 'socks5://127.0.0.1' }, 'https://x/'), /^unusable: HTTPS_PROXY names a SOCKS proxy/);
    assert.match(proxyFor({ https_proxy: 'ftp://proxy.corp' }, 'https://x/'), /^unusable: https_proxy has the scheme ftp; only http:\/\/ and https:\/\//);
    assert.match(proxyFor({ HTTP_PROXY: 'http://[::1' }, 'http://x/'), /^unusable: HTTP_PROXY is not a proxy URL/);
    assert.equal(proxyFor({ HTTPS_PROXY: 'socks5://127.0.0.1', NO_PROXY: 'x' }, 'https://x/'), 'direct', 'only a call that would use it fails');
    assert.equal(proxyFor({ HTTPS_PROXY: 'socks5://127.0.0.1' }, 'http://x/'), 'direct');
  });
});

describe('NO_PROXY and loopback, as Go decides', () => {
  // Go's own table (httpproxy TestUseProxy), with the same NO_PROXY value.
  const noProxy =
    'foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64';
  const proxied: ReadonlyArray<readonly [string, boolean]> = [
    ['localhost', false],
    ['127.0.0.1', false],
    ['127.0.0.2', false],
    ['[::1]', false],
    ['[::2]', true],
    ['192.168.1.1', false],
    ['192.168.1.2', true],
    ['192.168.1.3', false],
    ['192.168.1.4', true],
    ['10.0.0.2', false],
    ['10.0.0.4', true],
    ['[2001:db8::52:0:1]', false],
    ['[2001:db8::52:0:2]', true],
    ['[2001:db8::52:0:3]', false],
    ['[2002:db8:a::123]', false],
    ['[fe80::424b:c8be:1643:a1b6]', true],
    ['barbaz.net', true],
    ['www.barbaz.net', false],
    ['foobar.com', false],
    ['www.foobar.com', false],
    ['foofoobar.com', true],
    ['baz.com', true],
    ['localhost.net', true],
    ['local.localhost', true],
    ['barbarbaz.net', true],
    ['wildcard.io', true],
    ['nested.wildcard.io', false],
    ['awildcard.io', true],
  ];

  it("matches Go's table entry by entry (targets on port 80)", () => {
    for (const [host, viaProxy] of proxied) {
      assert.equal(proxyFor({ HTTP_PROXY: 'proxy:3128', NO_PROXY: noProxy }, `http://${host}:80/`) !== 'direct', viaProxy, host);
    }
  });

  it('`*` sends nothing through the proxy, wherever it stands in the list', () => {
    for (const [host] of proxied) assert.equal(proxyFor({ HTTP_PROXY: 'proxy:3128', NO_PROXY: 'example.com, *' }, `http://${host}/`), 'direct', host);
  });

  it('names compare case-insensitively and in punycode; ports must match when given', () => {
    const env = (value: string): Env => ({ HTTPS_PROXY: 'proxy:3128', NO_PROXY: value });
    assert.equal(proxyFor(env('  EXAMPLE.com  '), 'https://api.Example.COM/'), 'direct');
    assert.equal(proxyFor(env('.示例.com'), 'https://www.示例.com/'), 'direct');
    assert.equal(proxyFor(env('xn--fsq092h.com'), 'https://www.示例.com/'), 'direct');
    assert.equal(proxyFor(env('示例.com'), 'https://www.xn--fsq092h.com/'), 'direct');
    assert.equal(proxyFor(env('example.com:8443'), 'https://example.com/'), 'http://proxy:3128', 'port 443 is not 8443');
    assert.equal(proxyFor(env('example.com:8443'), 'https://example.com:8443/'), 'direct');
    assert.equal(proxyFor(env('ample.com'), 'https://example.com/'), 'http://proxy:3128', 'a suffix that is not a label');
  });

  it('IP entries never match names (no lookups), and malformed entries are ignored', () => {
    assert.equal(proxyFor({ HTTPS_PROXY: 'proxy:1', NO_PROXY: '10.0.0.0/8' }, 'https://vpce.internal/'), 'http://proxy:1');
    assert.equal(proxyFor({ HTTPS_PROXY: 'proxy:1', NO_PROXY: '10.0.0.0/8' }, 'https://10.1.2.3/'), 'direct');
    assert.equal(proxyFor({ HTTPS_PROXY: 'proxy:1', NO_PROXY: ':1, ,, [], 10.0.0.0/99, example.com:x' }, 'https://example.com/'), 'http://proxy:1');
  });

  it('the endpoints of AWS itself go through the proxy unless NO_PROXY names them', () => {
    const env = { HTTPS_PROXY: 'http://proxy.corp:3128', NO_PROXY: '.amazonaws.com.cn' };
    assert.equal(proxyFor(env, 'https://api.ecr.eu-west-1.amazonaws.com/'), 'http://proxy.corp:3128');
    assert.equal(proxyFor(env, 'https://sts.eu-west-1.amazonaws.com/'), 'http://proxy.corp:3128');
    assert.equal(proxyFor(env, 'https://api.ecr.cn-north-1.amazonaws.com.cn/'), 'direct');
  });
});
