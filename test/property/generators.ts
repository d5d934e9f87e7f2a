/**
 * Generated input for the property tests: registry hosts as clients and people write them, the
 * near misses a stranger (or a typo) makes of them, and payloads for every verb's stdin.
 */
import fc from 'fast-check';
import { DKR_SPELLINGS, ECR_DOMAINS, PUBLIC_REGISTRY_HOSTS } from './ecr-host-model';

const REGIONS = ['us-east-1', 'eu-west-1', 'cn-north-1', 'us-gov-west-1', 'us-iso-east-1', 'us-isob-east-1', 'eusc-de-east-1', 'il-central-1', 'ap-southeast-5'];

const digits = (length: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: length, maxLength: length });
const regionName = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...REGIONS) }, { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?$/) });

/** A private registry host of the grammar, lowercase. */
export const privateHost = fc
  .tuple(digits(12), fc.constantFrom(...DKR_SPELLINGS.map((spelling) => spelling.labels.join('.'))), regionName, fc.constantFrom(...ECR_DOMAINS))
  .map((labels) => labels.join('.'));

export const publicHost = fc.constantFrom(...PUBLIC_REGISTRY_HOSTS.map((entry) => entry.host));

export const ecrHost = fc.oneof({ weight: 4, arbitrary: privateHost }, { weight: 1, arbitrary: publicHost });

/** Characters a host can go wrong with: neighbours in the grammar, URL delimiters, and look-alikes. */
const LOOK_ALIKES: Readonly<Record<string, readonly string[]>> = {
  '0': ['O', 'o', '\uff10', '\u0660'],
  '1': ['l', 'I', '\uff11', '\u0661'],
  '2': ['\uff12', 'Z'],
  a: ['\u0430', '\u00e0', '\uff41'],
  c: ['\u0441', '\u00e7'],
  e: ['\u0435', '\u00e9'],
  i: ['\u0456', '\u0131', '1'],
  o: ['\u043e', '0', '\u00f6'],
  p: ['\u0440'],
  s: ['\u0455', '5'],
  m: ['rn', '\uff4d'],
  k: ['\u03ba'],
  '.': ['\uff0e', '\u3002', '\u2024', '..', ','],
  '-': ['\u2010', '\u2011', '\u2212', '_', '\u00ad'],
};
const STRAY_CHARACTERS = ['a', 'z', 'A', '0', '9', '.', '-', '_', ':', '@', '/', '%', '#', '?', '\\', ' ', '\t', '\u00a0', '\u200b', '\u0301', 'ß', 'É', '\ufeff', '%2e', '%31'];

type Mutation = (host: string, at: number, pick: number) => string;

const labelsOf = (host: string): string[] => host.split('.');
const cut = (host: string, at: number): number => (host.length === 0 ? 0 : at % (host.length + 1));

const MUTATIONS: readonly Mutation[] = [
  // Replace, insert or delete one character.
  (host, at, pick) => {
    const i = cut(host, at) % Math.max(host.length, 1);
    return host.slice(0, i) + (STRAY_CHARACTERS[pick % STRAY_CHARACTERS.length] ?? '') + host.slice(i + 1);
  },
  (host, at, pick) => host.slice(0, cut(host, at)) + (STRAY_CHARACTERS[pick % STRAY_CHARACTERS.length] ?? '') + host.slice(cut(host, at)),
  (host, at) => {
    const i = cut(host, at) % Math.max(host.length, 1);
    return host.slice(0, i) + host.slice(i + 1);
  },
  // Swap two neighbours.
  (host, at) => {
    const i = cut(host, at) % Math.max(host.length - 1, 1);
    return host.slice(0, i) + host.charAt(i + 1) + host.charAt(i) + host.slice(i + 2);
  },
  // A look-alike for one character.
  (host, at, pick) => {
    const positions = [...host].map((char, index) => [char, index] as const).filter(([char]) => LOOK_ALIKES[char] !== undefined);
    const chosen = positions[at % Math.max(positions.length, 1)];
    if (chosen === undefined) return host;
    const options = LOOK_ALIKES[chosen[0]] ?? [];
    return host.slice(0, chosen[1]) + (options[pick % options.length] ?? '') + host.slice(chosen[1] + 1);
  },
  // Remove, double or add a label.
  (host, at) => {
    const labels = labelsOf(host);
    labels.splice(at % labels.length, 1);
    return labels.join('.');
  },
  (host, at) => {
    const labels = labelsOf(host);
    const i = at % labels.length;
    labels.splice(i, 0, labels[i] ?? '');
    return labels.join('.');
  },
  (host, at, pick) => {
    const labels = labelsOf(host);
    labels.splice(at % (labels.length + 1), 0, ['evil', 'example', 'com', 'ecr', 'dkr', 'api', 'amazonaws', '123456789012', ''][pick % 9] ?? '');
    return labels.join('.');
  },
  // A region the grammar once took and the SDK refuses: an underscore, a hyphen at its end.
  (host, _, pick) => host.replace(/\.dkr([.-])ecr(-fips)?\.([^.]+)\./, (_match, separator: string, fips = '', region: string) => `.dkr${separator}ecr${fips}.${pick % 2 === 0 ? region.replace('-', '_') : `${region}-`}.`),
  // One digit more or less in the account, a trailing or leading dot.
  (host) => `1${host}`,
  (host) => host.slice(1),
  (host) => `${host}.`,
  (host) => `.${host}`,
  // A percent-encoded character, which the URL parser decodes in a host.
  (host, at) => {
    const i = cut(host, at) % Math.max(host.length, 1);
    return host.slice(0, i) + `%${host.charCodeAt(i).toString(16).padStart(2, '0')}` + host.slice(i + 1);
  },
];

/** Each host changed in one way (or two) that may or may not leave it in the grammar. */
export const nearMissesOf = (hosts: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .tuple(hosts, fc.array(fc.tuple(fc.nat(MUTATIONS.length - 1), fc.nat(200), fc.nat(100)), { minLength: 1, maxLength: 2 }))
    .map(([host, steps]) => steps.reduce((mutated, [mutation, at, pick]) => (MUTATIONS[mutation] as Mutation)(mutated, at, pick), host));

export const nearEcrHost = nearMissesOf(ecrHost);

/** The marker every generated password holds: it must never be repeated anywhere. */
export const PASSWORD_CANARY = 'Pw9canary';

const userinfo = fc.oneof(
  fc.constant(''),
  fc.constantFrom('user@', ':@', 'AWS@', 'public@', 'ecr:@'),
  fc
    .tuple(fc.constantFrom('u', 'AWS', 'ecr', 'public.ecr.aws', 'amazonaws'), fc.constantFrom('', 'x', 'public', 'dkr.ecr', '/', 'a/b', ':', '@', '%40', 'amazonaws.com'), fc.constantFrom('', '/', 'public', 'x'))
    .map(([user, before, after]) => `${user}:${before}${PASSWORD_CANARY}${after}@`),
);

const scheme = fc.constantFrom('', '', '', 'https://', 'http://', 'HTTPS://', 'Http://', 'ftp://', 'https:/', 'https:///', '//', 'oci://');
const port = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.constantFrom(':443', ':5000', ':1', ':65535', ':08080') },
  { weight: 1, arbitrary: fc.constantFrom(':0', ':00', ':65536', ':99999', ':', ':-1', ':abc', ':4 43', ':\uff14\uff14\uff13') },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 70000 }).map((number) => `:${number}`) },
);
const suffix = fc.constantFrom('', '', '/', '/v2/', '/v2/team/app/manifests/1.0', '?x=1', '#frag', '\\v2', '/%2e%2e/', '/a@b');
const padding = fc.constantFrom('', '', '', ' ', '\n', '\t', '\r\n', '  \n');

/** A host as a client might write it: scheme, userinfo, case, port, path and white space around it. */
export const decorated = (hosts: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .tuple(padding, scheme, userinfo, fc.mixedCase(hosts), port, suffix, padding)
    .map((parts) => parts.join(''));

/** Every kind of server URL: registry hosts, their near misses, other registries, and junk. */
export const serverUrl: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: decorated(ecrHost) },
  { weight: 4, arbitrary: decorated(nearEcrHost) },
  { weight: 3, arbitrary: nearEcrHost },
  { weight: 1, arbitrary: decorated(fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6().map((ip) => `[${ip}]`), fc.constantFrom('docker.io', 'ghcr.io', 'localhost', 'quay.io'))) },
  { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true, authoritySettings: { withUserInfo: true, withPort: true } }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
);

/** Any JSON value a payload's field might hold instead of the string it should. */
const strayJson = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string({ maxLength: 8 }), fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }));

/** The marker of every secret a client hands over on stdin (`store`'s Secret, a pod's token): never repeated. */
export const STDIN_SECRET_CANARY = 'Sk9canary';

/** `store`'s stdin: Docker's credentials JSON, its fields of every type, and what is not JSON at all. */
export const storePayload: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record(
        {
          ServerURL: fc.oneof({ weight: 3, arbitrary: serverUrl }, { weight: 1, arbitrary: strayJson }),
          Username: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('AWS', 'user', '', ' ') }, { weight: 1, arbitrary: strayJson }),
          Secret: fc.oneof(fc.constant(`${STDIN_SECRET_CANARY}-store`), strayJson),
        },
        { requiredKeys: [] },
      )
      .map((payload) => JSON.stringify(payload)),
  },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

const base64url = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A pod's service account token: a JWT with or without the claims that name it, or something that is not a JWT. */
export const serviceAccountToken: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record(
        {
          iss: fc.oneof(fc.constantFrom('https://oidc.eks.eu-west-1.amazonaws.com/id/ONE', 'https://kubernetes.default.svc'), strayJson),
          sub: fc.oneof(fc.constantFrom('system:serviceaccount:team:app', 'system:serviceaccount:kube-system:x', 'weird sub/ject'), fc.string({ maxLength: 80 }), strayJson),
          jti: fc.constant(STDIN_SECRET_CANARY),
        },
        { requiredKeys: ['jti'] },
      )
      .map((claims) => [base64url({ alg: 'RS256' }), base64url(claims), base64url(`${STDIN_SECRET_CANARY}-signature`)].join('.')),
  },
  { weight: 1, arbitrary: fc.constantFrom('', `${STDIN_SECRET_CANARY}`, `a.${STDIN_SECRET_CANARY}.c`, `${base64url('{}')}.${base64url('[1]')}.${STDIN_SECRET_CANARY}`) },
  { weight: 1, arbitrary: strayJson },
);

const ROLE_ARNS = ['arn:aws:iam::111122223333:role/pull', 'arn:aws-cn:iam::111122223333:role/path/pull', 'arn:aws:iam::1111:role/short', 'not an arn', ''];

const API_VERSION = fc.constantFrom('credentialprovider.kubelet.k8s.io/v1', 'credentialprovider.kubelet.k8s.io/v1beta1', 'credentialprovider.kubelet.k8s.io/v1alpha1');
const imageOf = (hosts: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .tuple(fc.oneof(hosts, nearMissesOf(hosts), decorated(hosts)), fc.constantFrom('', ':443', ':5000', ':0', ':99999'), fc.constantFrom('/team/app:1.0', '/app@sha256:' + 'a'.repeat(64), '', '/x'))
    .map((parts) => parts.join(''));

/**
 * What the kubelet writes on stdin: a CredentialProviderRequest of every version, each field
 * right or wrong, for images in the registries `hosts`: plain requests, pods' requests with a
 * service account token and a role, and requests with anything in any field.
 */
export const kubeletRequestOf = (hosts: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ apiVersion: API_VERSION, kind: fc.constant('CredentialProviderRequest'), image: fc.oneof(hosts.map((host) => `${host}/team/app:1.0`), imageOf(hosts)) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        apiVersion: fc.constant('credentialprovider.kubelet.k8s.io/v1'),
        kind: fc.constant('CredentialProviderRequest'),
        image: hosts.map((host) => `${host}/team/app:1.0`),
        serviceAccountToken,
        serviceAccountAnnotations: fc.record({ 'eks.amazonaws.com/ecr-role-arn': fc.constantFrom(...ROLE_ARNS) }),
      }),
    },
    {
      weight: 6,
      arbitrary: fc.record(
        {
          apiVersion: fc.oneof({ weight: 4, arbitrary: API_VERSION }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('credentialprovider.kubelet.k8s.io/v2', 'v1'), strayJson) }),
          kind: fc.oneof({ weight: 6, arbitrary: fc.constant('CredentialProviderRequest') }, { weight: 1, arbitrary: strayJson }),
          image: fc.oneof({ weight: 3, arbitrary: imageOf(hosts) }, { weight: 1, arbitrary: fc.oneof(serverUrl, strayJson) }),
          serviceAccountToken,
          serviceAccountAnnotations: fc.oneof(
            fc.record({ 'eks.amazonaws.com/ecr-role-arn': fc.constantFrom(...ROLE_ARNS) }),
            fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 2 }),
            strayJson,
          ),
          unknownField: strayJson,
        },
        { requiredKeys: [] },
      ),
    },
  ).map((request) => JSON.stringify(request));

export const kubeletRequest: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: kubeletRequestOf(ecrHost) },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);
