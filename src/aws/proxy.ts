/**
 * Which proxy, if any, an AWS API call goes through: HTTPS_PROXY, HTTP_PROXY and NO_PROXY read
 * as Go programs read them (golang.org/x/net/http/httpproxy, which the Go helper uses), with the
 * differences docs/SPEC.md section 7 lists. Pure: the environment and the target are passed in.
 *
 * The metadata endpoints (EC2 instance metadata, container credentials) never ask this module:
 * the SDK reaches them with clients of their own, and only the AWS API clients get the agents
 * of proxy-agent.ts.
 */
import { BlockList, isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import type { Environment } from '../config/settings';

export type TargetProtocol = 'http:' | 'https:';

/** Where a request is going. */
export interface ProxyTarget {
  readonly protocol: TargetProtocol;
  /** Host name or IP address, without brackets. */
  readonly host: string;
  readonly port: number;
}

/** A usable proxy, as one variable names it. */
export interface Proxy {
  /** The variable it came from (`HTTPS_PROXY`, `https_proxy`, …), for messages. */
  readonly variable: string;
  readonly protocol: TargetProtocol;
  /** Host name or IP address, without brackets. */
  readonly host: string;
  readonly port: number;
  /** `Basic …` when the URL carries a user name or password: never logged, never shown. */
  readonly authorization?: string;
  /** The proxy's URL without its credentials: the only form of it that messages show. */
  readonly display: string;
}

/** A proxy variable that is set but cannot be used. */
export interface UnusableProxy {
  readonly variable: string;
  readonly problem: string;
}

type ProxySetting = Proxy | UnusableProxy;

export type ProxyDecision =
  | { readonly kind: 'direct' }
  | { readonly kind: 'proxy'; readonly proxy: Proxy }
  | { readonly kind: 'unusable'; readonly setting: UnusableProxy };

export interface ProxySettings {
  readonly https?: ProxySetting;
  readonly http?: ProxySetting;
  readonly noProxy: NoProxyRules;
}

interface NoProxyRules {
  /** `NO_PROXY=*`: nothing goes through a proxy. */
  readonly all: boolean;
  readonly addresses: ReadonlyArray<{ readonly list: BlockList; readonly port?: number }>;
  /** `.example.com` (subdomains), plus the name itself when `matchesName` (`example.com`). */
  readonly domains: ReadonlyArray<{ readonly suffix: string; readonly matchesName: boolean; readonly port?: number }>;
}

/**
 * The proxy settings of an environment, or undefined when neither proxy variable is set (then
 * no agent is made and the SDK's own is used). Upper case wins over lower case, as in Go; an
 * empty value counts as unset.
 */
export function readProxySettings(env: Environment): ProxySettings | undefined {
  const https = firstSet(env, 'HTTPS_PROXY', 'https_proxy');
  const http = firstSet(env, 'HTTP_PROXY', 'http_proxy');
  if (https === undefined && http === undefined) return undefined;
  const noProxy = firstSet(env, 'NO_PROXY', 'no_proxy');
  return {
    ...(https === undefined ? {} : { https: parseProxy(https.variable, https.value) }),
    ...(http === undefined ? {} : { http: parseProxy(http.variable, http.value) }),
    noProxy: parseNoProxy(noProxy?.value ?? ''),
  };
}

/** Where an http:// or https:// URL goes, as decideProxy takes it: the host unbracketed, the port defaulted. */
export function targetOfUrl(url: URL & { readonly protocol: TargetProtocol }): ProxyTarget {
  return { protocol: url.protocol, host: unbracket(url.hostname), port: url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port) };
}

/**
 * HTTPS_PROXY for https targets, HTTP_PROXY for http targets (never the other way round), unless
 * the target is loopback or NO_PROXY names it.
 */
export function decideProxy(settings: ProxySettings, target: ProxyTarget): ProxyDecision {
  const setting = target.protocol === 'https:' ? settings.https : settings.http;
  if (setting === undefined || bypassesProxy(settings.noProxy, target)) return { kind: 'direct' };
  return 'problem' in setting ? { kind: 'unusable', setting } : { kind: 'proxy', proxy: setting };
}

function firstSet(env: Environment, ...names: string[]): { variable: string; value: string } | undefined {
  for (const variable of names) {
    const value = env[variable];
    if (value !== undefined && value !== '') return { variable, value };
  }
  return undefined;
}

const DEFAULT_PORTS: Record<TargetProtocol, number> = { 'http:': 80, 'https:': 443 };

/** `http://[user:pass@]host[:port]`, `https://…`, or a bare `host[:port]` meaning http. */
function parseProxy(variable: string, value: string): ProxySetting {
  const url = parseUrl(value.trim());
  if (url === undefined) return { variable, problem: `${variable} is not a proxy URL` };
  if (url.protocol === 'socks5:' || url.protocol === 'socks5h:') {
    return { variable, problem: `${variable} names a SOCKS proxy; only http:// and https:// proxies are supported` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { variable, problem: `${variable} has the scheme ${url.protocol.slice(0, -1)}; only http:// and https:// proxies are supported` };
  }
  if (url.hostname === '') return { variable, problem: `${variable} names no proxy host` };
  const { protocol, host, port } = targetOfUrl(url as URL & { protocol: TargetProtocol });
  const display = `${protocol}//${url.hostname}:${port}`;
  if (url.username === '' && url.password === '') return { variable, protocol, host, port, display };
  const credentials = `${decodeUserInfo(url.username)}:${decodeUserInfo(url.password)}`;
  return { variable, protocol, host, port, display, authorization: `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}` };
}

/** As Go: a value without a `scheme://` (`proxy.corp:3128`, `localhost`) means `http://<value>`. */
function parseUrl(value: string): URL | undefined {
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    return undefined;
  }
}

function decodeUserInfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * NO_PROXY as Go reads it: comma-separated, case-insensitive entries; `*` alone turns proxies
 * off; an IP address or a CIDR block matches targets given as IP addresses (no name is ever
 * resolved to compare); `example.com` matches it and its subdomains, `.example.com` and
 * `*.example.com` only subdomains; `:port` after an entry limits it to that port. Entries that
 * cannot be read are ignored.
 */
function parseNoProxy(value: string): NoProxyRules {
  const addresses: Array<{ list: BlockList; port?: number }> = [];
  const domains: Array<{ suffix: string; matchesName: boolean; port?: number }> = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return { all: true, addresses: [], domains: [] };
    const cidr = parseCidr(entry);
    if (cidr !== undefined) {
      addresses.push({ list: cidr });
      continue;
    }
    const { host, port } = splitHostPort(entry);
    if (host === '' || (port !== undefined && !/^\d+$/.test(port))) continue;
    const portNumber = port === undefined ? {} : { port: Number(port) };
    const family = isIP(host);
    if (family !== 0) {
      const list = new BlockList();
      list.addAddress(host, family === 4 ? 'ipv4' : 'ipv6');
      addresses.push({ list, ...portNumber });
      continue;
    }
    const name = host.startsWith('*.') ? host.slice(1) : host;
    const matchesName = !name.startsWith('.');
    const suffix = toAscii(matchesName ? `.${name}` : name);
    if (suffix === '.') continue;
    domains.push({ suffix, matchesName, ...portNumber });
  }
  return { all: false, addresses, domains };
}

function parseCidr(entry: string): BlockList | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(entry);
  if (match === null) return undefined;
  const [, address = '', bits = ''] = match;
  const family = isIP(address);
  const prefix = Number(bits);
  if (family === 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
  const list = new BlockList();
  list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return list;
}

/** `host`, `host:port`, `[v6]:port`; a bare IPv6 address has no port. */
function splitHostPort(entry: string): { host: string; port?: string } {
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
  if (bracketed !== null) return { host: bracketed[1] ?? '', ...(bracketed[2] === undefined ? {} : { port: bracketed[2] }) };
  const colons = entry.split(':').length - 1;
  if (colons !== 1) return { host: entry };
  const [host = '', port = ''] = entry.split(':');
  return { host, port };
}

/** Names compare in their ASCII (punycode) form, so `示例.com` and `xn--fsq092h.com` are one name. */
function toAscii(name: string): string {
  if (/^[\x00-\x7f]*$/.test(name)) return name;
  const dot = name.startsWith('.') ? '.' : '';
  const converted = domainToASCII(dot === '' ? name : name.slice(1));
  return converted === '' ? name : `${dot}${converted}`;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Loopback is never proxied (as in Go: a proxy elsewhere cannot reach this machine's loopback). */
function bypassesProxy(rules: NoProxyRules, target: ProxyTarget): boolean {
  const host = toAscii(target.host.toLowerCase());
  if (host === 'localhost') return true;
  const family = isIP(host);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (family !== 0 && LOOPBACK.check(host, type)) return true;
  if (rules.all) return true;
  const portMatches = (port: number | undefined): boolean => port === undefined || port === target.port;
  if (family !== 0 && rules.addresses.some((rule) => rule.list.check(host, type) && portMatches(rule.port))) return true;
  // As in Go, name entries are compared with IP addresses too, as text.
  return rules.domains.some(
    (rule) => (host.endsWith(rule.suffix) || (rule.matchesName && host === rule.suffix.slice(1))) && portMatches(rule.port),
  );
}
