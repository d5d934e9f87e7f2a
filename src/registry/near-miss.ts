/**
 * Why a server URL that looks like an ECR registry is not one: an account ID with 11 digits, no
 * account at all, a misspelled domain, a bad region. Docker still gets `credentials not found in
 * native keychain` (docs/SPEC.md section 1); this line tells the person at the terminal why.
 * Pure, and loaded only once parseRegistry has said no.
 */
import { hostOf, isRegionName, PRIVATE_DOMAINS, PUBLIC_HOSTS } from './parse';

const PRIVATE_FORM = '<12-digit account>.dkr.ecr.<region>.<domain>';
const PUBLIC_NAMES = Object.keys(PUBLIC_HOSTS);
/** Two typos at most: `amazonaws.co`, `amazoneaws.com`, `pubic.ecr.aws`. */
const MAX_TYPOS = 2;

/** One line saying what is wrong, or undefined for a host that does not look like ECR (docker.io, ghcr.io). */
export function explainNearMiss(serverUrl: string): string | undefined {
  const text = serverUrl.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  // Everything before the last `@` may be a password, even one holding a `/`, which would end a
  // URL's authority early and leave the password to be read as the host: it is never read here,
  // as the log never shows it (docs/SPEC.md section 6).
  const rest = scheme === undefined ? text : text.slice(scheme.length + 3);
  const afterUserinfo = rest.slice(rest.lastIndexOf('@') + 1);
  const host = hostOf(afterUserinfo);
  if (host === undefined || (scheme !== undefined && scheme !== 'http' && scheme !== 'https')) {
    return explainUnusable(afterUserinfo, scheme);
  }
  const problems = publicProblems(host) ?? privateProblems(host.split('.'));
  if (problems === undefined) return undefined;
  return `${host} is not an ECR registry: ${problems.join('; ')}`;
}

/** A server URL that does not even give a usable host, when what it holds looks like ECR. */
function explainUnusable(afterUserinfo: string, scheme: string | undefined): string | undefined {
  const hostAndPort = (afterUserinfo.split(/[/?#\\]/, 1)[0] ?? '').toLowerCase();
  if (!/dkr[.-]ecr|\becr\b|public|amazonaws/.test(hostAndPort)) return undefined;
  const shown = JSON.stringify(hostAndPort.length > 100 ? `${hostAndPort.slice(0, 99)}…` : hostAndPort);
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    return `${shown} is not an ECR registry: only https:// or http:// may come before the host, not ${scheme}://`;
  }
  if (/[^\x21-\x7e]/.test(hostAndPort)) {
    return `${shown} is not an ECR registry: it holds characters outside printable ASCII (look-alike letters or digits, spaces)`;
  }
  const port = /:([^:\]]*)$/.exec(hostAndPort)?.[1];
  if (port !== undefined && !/^\d+$/.test(port)) return `${shown} is not an ECR registry: the port must be a number`;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    return `${shown} is not an ECR registry: the port must be from 1 to 65535`;
  }
  return `${shown} is not an ECR registry: the server URL around it is not a valid URL`;
}

function publicProblems(host: string): string[] | undefined {
  if (PUBLIC_NAMES.some((name) => host.startsWith(`${name}.`) || host.endsWith(`.${name}`))) {
    return [`ECR Public's registry host is exactly ${PUBLIC_NAMES.join(' or ')}`];
  }
  const near = closest(host, PUBLIC_NAMES);
  return near === undefined ? undefined : [`did you mean ${near}?`];
}

function privateProblems(hostLabels: readonly string[]): string[] | undefined {
  const trailingDot = hostLabels.at(-1) === '';
  const labels = trailingDot ? hostLabels.slice(0, -1) : hostLabels;
  const marker = findEcrMarker(labels);
  if (marker === undefined) return undefined;
  const account = labels.slice(0, marker.index);
  if (marker.missingDkr && (account.length === 0 || account.join('.') === 'api')) {
    return [`that is the ECR API's endpoint; a registry host reads ${PRIVATE_FORM}`];
  }
  const { region, domainProblems } = splitRegionAndDomain(labels.slice(marker.index + marker.length));
  const problems = [
    ...(marker.problem === undefined ? [] : [marker.problem]),
    ...accountProblems(account),
    ...regionProblems(region),
    ...domainProblems,
    ...(trailingDot ? ['the host must not end with a dot'] : []),
  ];
  return problems.length > 0 ? problems : [`expected ${PRIVATE_FORM}`];
}

interface EcrMarker {
  readonly index: number;
  readonly length: number;
  /** A lone `ecr` label: the host may be the ECR API's rather than a registry's. */
  readonly missingDkr: boolean;
  readonly problem?: string;
}

/** Where `dkr.ecr` (or `dkr-ecr`, either with `-fips`) is or should be: a misspelling of it, or a lone `ecr`. */
function findEcrMarker(labels: readonly string[]): EcrMarker | undefined {
  for (let index = 0; index < labels.length; index += 1) {
    const label = labels[index] ?? '';
    const next = labels[index + 1] ?? '';
    if (label === 'dkr' && next.startsWith('ecr')) {
      const problem = /^ecr(-fips)?$/.test(next) ? undefined : `expected dkr.ecr or dkr.ecr-fips, not "dkr.${next}"`;
      return { index, length: 2, missingDkr: false, ...(problem === undefined ? {} : { problem }) };
    }
    if (/^dkr.?ecr/.test(label)) {
      const problem = /^dkr-ecr(-fips)?$/.test(label) ? undefined : `expected dkr.ecr or dkr-ecr, not "${label}"`;
      return { index, length: 1, missingDkr: false, ...(problem === undefined ? {} : { problem }) };
    }
  }
  const lone = labels.findIndex((label) => /^ecr(-fips)?$/.test(label));
  // A lone `ecr` counts only on an AWS-looking domain: `ecr.example.com` is somebody else's.
  if (lone < 0 || matchDomain(labels.slice(lone + 1)) === undefined) return undefined;
  return { index: lone, length: 1, missingDkr: true, problem: 'expected dkr.ecr after the account ID' };
}

function accountProblems(account: readonly string[]): string[] {
  if (account.length === 0) return [`no account ID: a private ECR host reads ${PRIVATE_FORM}`];
  const [only] = account;
  if (account.length > 1 || only === undefined) return [`only the 12-digit account ID may come before dkr.ecr, not "${account.join('.')}"`];
  if (/^\d{12}$/.test(only)) return [];
  if (/^\d+$/.test(only)) return [`the account ID must be 12 digits, not ${only.length}`];
  return [`the account ID must be 12 digits, not "${only}"`];
}

function regionProblems(region: readonly string[]): string[] {
  if (region.length === 0 || region.join('') === '') return ['no region after dkr.ecr'];
  const name = region.join('.');
  if (region.length > 1 || !isRegionName(name)) return [`"${name}" is not a region name`];
  return [];
}

/** The labels after `dkr.ecr`: the region, then one of the ECR domains, which ends the host. */
function splitRegionAndDomain(rest: readonly string[]): { region: readonly string[]; domainProblems: string[] } {
  if (rest.length === 0) return { region: [], domainProblems: ['no domain after the region'] };
  const matched = matchDomain(rest);
  if (matched !== undefined) {
    const region = rest.slice(0, matched.start);
    if (matched.typo === undefined) return { region, domainProblems: [] };
    return { region, domainProblems: [`"${matched.typo}" is not an ECR domain (did you mean ${matched.domain}?)`] };
  }
  // An ECR domain with more after it (`amazonaws.com.evil.example`): the host must end there.
  for (let start = 1; start < rest.length; start += 1) {
    for (let end = rest.length - 1; end > start; end -= 1) {
      const domain = rest.slice(start, end).join('.');
      if (PRIVATE_DOMAINS.includes(domain)) {
        return { region: rest.slice(0, start), domainProblems: [`the host must end at ${domain}, not go on to "${rest.slice(end).join('.')}"`] };
      }
    }
  }
  const unknown = rest.slice(1).join('.');
  return {
    region: rest.slice(0, 1),
    domainProblems: [unknown === '' ? 'no domain after the region' : `"${unknown}" is not an ECR domain (${PRIVATE_DOMAINS.join(', ')})`],
  };
}

/** The ECR domain the labels end with, exactly or with a typo, and where it starts. */
function matchDomain(labels: readonly string[]): { start: number; domain: string; typo?: string } | undefined {
  for (let start = 0; start < labels.length; start += 1) {
    const tail = labels.slice(start).join('.');
    if (PRIVATE_DOMAINS.includes(tail)) return { start, domain: tail };
  }
  // The region is one label, so a misspelled domain is most likely everything after the first.
  for (let start = Math.min(1, labels.length - 1); start < labels.length; start += 1) {
    const tail = labels.slice(start).join('.');
    const domain = closest(tail, PRIVATE_DOMAINS);
    if (domain !== undefined) return { start, domain, typo: tail };
  }
  return undefined;
}

/** The candidate within MAX_TYPOS edits of `text`, nearest first; never `text` itself. */
function closest(text: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    if (candidate === text || Math.abs(candidate.length - text.length) > MAX_TYPOS) continue;
    const distance = editDistance(text, candidate);
    if (distance <= MAX_TYPOS && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** Levenshtein distance; the strings here are short host names. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
