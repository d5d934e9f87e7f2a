/**
 * A reference model of docs/SPEC.md section 2 ("Which hostnames are ECR"), written from the
 * text of the spec and apart from src/registry/parse.ts: no regular expression of the grammar,
 * the host walked label by label. The property tests hold the helper to the same answer for
 * every generated input. Where the spec says "as a URL would", the model asks the WHATWG URL
 * parser, as the spec does.
 */

export type ModelRegistry =
  | { readonly kind: 'private'; readonly host: string; readonly accountId: string; readonly region: string; readonly fips: boolean; readonly dualStack: boolean }
  | { readonly kind: 'public'; readonly host: string; readonly dualStack: boolean };

/** `<dkr>` in its four spellings, by the labels it takes, with what each says about the endpoint. */
export const DKR_SPELLINGS: ReadonlyArray<{ readonly labels: readonly string[]; readonly fips: boolean; readonly dualStack: boolean }> = [
  { labels: ['dkr', 'ecr'], fips: false, dualStack: false },
  { labels: ['dkr-ecr'], fips: false, dualStack: true },
  { labels: ['dkr', 'ecr-fips'], fips: true, dualStack: false },
  { labels: ['dkr-ecr-fips'], fips: true, dualStack: true },
];

export const ECR_DOMAINS: readonly string[] = [
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
const DUAL_STACK_DOMAINS: readonly string[] = ['on.aws', 'on.amazonwebservices.com.cn'];

export const PUBLIC_REGISTRY_HOSTS: ReadonlyArray<{ readonly host: string; readonly dualStack: boolean }> = [
  { host: 'public.ecr.aws', dualStack: false },
  { host: 'ecr-public.aws.com', dualStack: true },
];

const DIGITS = '0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';

/** The model's answer for a server URL: the registry, or undefined for "not ECR". */
export function modelRegistry(serverUrl: string): ModelRegistry | undefined {
  const host = modelHost(serverUrl);
  if (host === undefined) return undefined;
  const publicHost = PUBLIC_REGISTRY_HOSTS.find((candidate) => candidate.host === host);
  if (publicHost !== undefined) return { kind: 'public', host, dualStack: publicHost.dualStack };

  const labels = host.split('.');
  const accountId = labels[0] ?? '';
  if (accountId.length !== 12 || ![...accountId].every((char) => DIGITS.includes(char))) return undefined;
  for (const spelling of DKR_SPELLINGS) {
    const dkrEnd = 1 + spelling.labels.length;
    if (spelling.labels.some((label, index) => labels[1 + index] !== label)) continue;
    const region = labels[dkrEnd] ?? '';
    if (!isRegionName(region)) return undefined;
    const domain = labels.slice(dkrEnd + 1).join('.');
    if (!ECR_DOMAINS.includes(domain)) return undefined;
    return { kind: 'private', host, accountId, region, fips: spelling.fips, dualStack: spelling.dualStack || DUAL_STACK_DOMAINS.includes(domain) };
  }
  return undefined;
}

/**
 * The host of a server URL as section 2 reads it: a leading `https://` or `http://` removed (in
 * any case: schemes are case-insensitive), the authority (up to the first `/`, `?`, `#` or `\`)
 * holding printable ASCII only as typed, then the host as the URL parser finds it, lowercased; undefined when there is none, or the port
 * is not a number from 1 to 65535.
 */
export function modelHost(serverUrl: string): string | undefined {
  let rest = serverUrl.trim();
  for (const scheme of ['https://', 'http://']) {
    if (rest.slice(0, scheme.length).toLowerCase() === scheme) {
      rest = rest.slice(scheme.length);
      break;
    }
  }
  if (rest === '') return undefined;
  // The characters as typed: the URL parser would map look-alikes onto ASCII (full-width
  // digits) or drop them (a zero-width space), making a host nobody wrote.
  const authorityEnd = Math.min(...['/', '?', '#', '\\'].map((stop) => (rest.includes(stop) ? rest.indexOf(stop) : rest.length)));
  if (![...rest.slice(0, authorityEnd)].every(isPrintableAscii)) return undefined;
  let url: URL;
  try {
    url = new URL(`https://${rest}`);
  } catch {
    return undefined;
  }
  if (url.port !== '' && !(Number(url.port) >= 1 && Number(url.port) <= 65535)) return undefined;
  const host = url.hostname.toLowerCase();
  if (host === '' || ![...host].every(isPrintableAscii)) return undefined;
  return host;
}

function isPrintableAscii(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return code > 0x20 && code < 0x7f;
}

/** A region the AWS SDK will call: a DNS label of 1 to 63 letters, digits and `-`, no `-` at either end. */
function isRegionName(label: string): boolean {
  if (label.length < 1 || label.length > 63 || label.startsWith('-') || label.endsWith('-')) return false;
  return [...label].every((char) => (LOWER + DIGITS + '-').includes(char));
}
