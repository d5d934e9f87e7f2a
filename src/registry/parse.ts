/**
 * Which registry hosts are Amazon ECR, and what the host says about the API to call.
 * Pure: no I/O, no environment. The grammar is docs/SPEC.md section 2.
 */

export interface PrivateRegistry {
  readonly kind: 'private';
  /** Lowercased host without port: the registry's identity for caching and listing. */
  readonly host: string;
  readonly accountId: string;
  readonly region: string;
  readonly fips: boolean;
  readonly dualStack: boolean;
}

export interface PublicRegistry {
  readonly kind: 'public';
  readonly host: string;
  readonly dualStack: boolean;
}

export type EcrRegistry = PrivateRegistry | PublicRegistry;

/** ECR Public's API exists in this region only. */
export const ECR_PUBLIC_REGION = 'us-east-1';

export const PRIVATE_DOMAINS: readonly string[] = [
  'amazonaws.com',
  'amazonaws.com.cn',
  'amazonaws.eu',
  'on.aws',
  'on.amazonwebservices.com.cn',
  'c2s.ic.gov',
  'sc2s.sgov.gov',
  'csp.hci.ic.gov',
  'cloud.adc-e.uk',
];

/** Domains whose registry hosts are dual-stack by definition. */
const DUAL_STACK_DOMAINS = new Set(['on.aws', 'on.amazonwebservices.com.cn']);

export const PUBLIC_HOSTS: Readonly<Record<string, boolean>> = {
  'public.ecr.aws': false,
  'ecr-public.aws.com': true,
};

/** What may follow a private host's account ID up to its region: `<dkr>` in its four spellings, and what each says of the endpoint. */
const DKR_SPELLINGS: ReadonlyArray<{ readonly text: string; readonly fips: boolean; readonly dualStack: boolean }> = [
  { text: '.dkr.ecr.', fips: false, dualStack: false },
  { text: '.dkr-ecr.', fips: false, dualStack: true },
  { text: '.dkr.ecr-fips.', fips: true, dualStack: false },
  { text: '.dkr-ecr-fips.', fips: true, dualStack: true },
];

const ACCOUNT_ID_LENGTH = 12;
const PRIVATE_DOMAIN_SET: ReadonlySet<string> = new Set(PRIVATE_DOMAINS);

/**
 * What the AWS SDK accepts as a region (a DNS label): up to 63 letters, digits and inner `-`.
 * A host naming any other region could only ever fail there, so it is not a registry.
 */
export function isRegionName(name: string): boolean {
  if (name.length === 0 || name.length > 63 || name.startsWith('-') || name.endsWith('-')) return false;
  for (let at = 0; at < name.length; at += 1) {
    const char = name.charCodeAt(at);
    if (!((char >= 0x30 && char <= 0x39) || (char >= 0x61 && char <= 0x7a) || char === 0x2d)) return false;
  }
  return true;
}

/**
 * `<12 digits><dkr spelling><region>.<domain>`, the domain one of PRIVATE_DOMAINS exactly (so that
 * `…amazonaws.com.evil.example` is not one), in lowercase ASCII alone. Walked by hand, not matched
 * by a regular expression: V8 compiles an expression on its first use and again to machine code on
 * its second, which for this one cost a hit 0.3 M instructions and a settings file's hosts more.
 */
function privateRegistry(host: string): PrivateRegistry | undefined {
  // Digits are tested inline, not by a helper: on Node 24 a settings file's hosts called one
  // often enough for V8 to compile it with Maglev, 0.4 M instructions of a hit.
  for (let at = 0; at < ACCOUNT_ID_LENGTH; at += 1) {
    const char = host.charCodeAt(at);
    if (char < 0x30 || char > 0x39) return undefined;
  }
  const dkr = DKR_SPELLINGS.find((spelling) => host.startsWith(spelling.text, ACCOUNT_ID_LENGTH));
  if (dkr === undefined) return undefined;
  const regionStart = ACCOUNT_ID_LENGTH + dkr.text.length;
  const regionEnd = host.indexOf('.', regionStart);
  if (regionEnd === -1) return undefined;
  const region = host.slice(regionStart, regionEnd);
  const domain = host.slice(regionEnd + 1);
  if (!isRegionName(region) || !PRIVATE_DOMAIN_SET.has(domain)) return undefined;
  return { kind: 'private', host, accountId: host.slice(0, ACCOUNT_ID_LENGTH), region, fips: dkr.fips, dualStack: dkr.dualStack || DUAL_STACK_DOMAINS.has(domain) };
}

const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/**
 * A host the URL parser gives back as it is, with what it takes from a server URL: lowercase
 * ASCII letters, digits and hyphens in labels, the last label starting with a letter (one that
 * is a number makes the parser read an IPv4 address), after `https://` or `http://` if at all,
 * and before a path, query or fragment if any.
 */
const PLAIN_HOST = /^(?:https?:\/\/)?((?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*)(?:[/?#]|$)/;

/**
 * The host part of a server URL as Docker, Nomad or a person would pass it, lowercased,
 * without scheme, userinfo, port or path; undefined when it is not a usable host.
 *
 * A plain host (PLAIN_HOST, without punycode, which the parser checks) is read without the URL
 * parser, which costs more than the rest of a get for a host that is not ECR, on every such get
 * (Docker's `credsStore` asks about every registry), and for each alias of a settings file, on
 * every get.
 */
export function hostOf(serverUrl: string): string | undefined {
  const trimmed = serverUrl.trim();
  const plain = PLAIN_HOST.exec(trimmed)?.[1];
  return plain !== undefined && !plain.includes('xn--') ? plain : parsedHostOf(trimmed);
}

/** hostOf by the URL parser, for any server URL: the test of hostOf holds the plain hosts' shortcut to it. */
export function parsedHostOf(serverUrl: string): string | undefined {
  const withoutScheme = serverUrl.trim().replace(/^https?:\/\//i, '');
  if (withoutScheme === '') return undefined;
  // Judge the characters as typed: the URL parser would quietly map look-alikes
  // (full-width digits, other scripts) onto ASCII.
  const authority = withoutScheme.split(/[/?#\\]/, 1)[0] ?? '';
  if (!PRINTABLE_ASCII.test(authority)) return undefined;
  let url: URL;
  try {
    url = new URL(`https://${withoutScheme}`);
  } catch {
    return undefined;
  }
  if (url.port === '0') return undefined;
  const host = url.hostname.toLowerCase();
  if (host === '' || !PRINTABLE_ASCII.test(host)) return undefined;
  return host;
}

/** Reads a server URL; undefined when the host is not an ECR registry. */
export function parseRegistry(serverUrl: string): EcrRegistry | undefined {
  // A private host as Docker passes it and a settings file names it: the URL parser would give
  // it back as it is, since the grammar allows lowercase ASCII alone and nothing around it, so it
  // is not run (it costs more than the rest of a parse, on every get, for each host of a settings
  // file). Punycode labels (`xn--`) are the exception: the URL parser checks them.
  const bare = serverUrl.includes('xn--') ? undefined : privateRegistry(serverUrl);
  if (bare !== undefined) return bare;
  const host = hostOf(serverUrl);
  if (host === undefined) return undefined;

  // Own keys only: `constructor` and `__proto__` are keys of every object, and no registry.
  const publicDualStack = Object.hasOwn(PUBLIC_HOSTS, host) ? PUBLIC_HOSTS[host] : undefined;
  if (publicDualStack !== undefined) return { kind: 'public', host, dualStack: publicDualStack };

  return privateRegistry(host);
}

export function isEcrHost(serverUrl: string): boolean {
  return parseRegistry(serverUrl) !== undefined;
}
