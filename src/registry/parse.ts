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

const escapeDots = (domain: string): string => domain.replace(/\./g, '\\.');

// What the AWS SDK accepts as a region (a DNS label): up to 63 letters, digits and inner `-`.
// A host naming any other region could only ever fail there, so it is not a registry.
const REGION = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
export const REGION_LABEL = new RegExp(`^${REGION}$`);

// `$` after the domain alternatives is what rejects `…amazonaws.com.evil.example`.
const PRIVATE_HOST = new RegExp(
  `^(\\d{12})\\.(dkr\\.ecr|dkr-ecr)(-fips)?\\.(${REGION})\\.(` +
    PRIVATE_DOMAINS.map(escapeDots).join('|') +
    ')$',
);

const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/**
 * The host part of a server URL as Docker, Nomad or a person would pass it, lowercased,
 * without scheme, userinfo, port or path; undefined when it is not a usable host.
 */
export function hostOf(serverUrl: string): string | undefined {
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
  const bare = serverUrl.includes('xn--') ? null : PRIVATE_HOST.exec(serverUrl);
  if (bare !== null) return privateRegistry(serverUrl, bare);
  const host = hostOf(serverUrl);
  if (host === undefined) return undefined;

  // Own keys only: `constructor` and `__proto__` are keys of every object, and no registry.
  const publicDualStack = Object.hasOwn(PUBLIC_HOSTS, host) ? PUBLIC_HOSTS[host] : undefined;
  if (publicDualStack !== undefined) return { kind: 'public', host, dualStack: publicDualStack };

  const match = PRIVATE_HOST.exec(host);
  return match === null ? undefined : privateRegistry(host, match);
}

function privateRegistry(host: string, match: RegExpExecArray): PrivateRegistry {
  const [, accountId, dkr, fipsSuffix, region, domain] = match as unknown as [string, string, string, string | undefined, string, string];
  return {
    kind: 'private',
    host,
    accountId,
    region,
    fips: fipsSuffix !== undefined,
    dualStack: dkr === 'dkr-ecr' || DUAL_STACK_DOMAINS.has(domain),
  };
}

export function isEcrHost(serverUrl: string): boolean {
  return parseRegistry(serverUrl) !== undefined;
}
