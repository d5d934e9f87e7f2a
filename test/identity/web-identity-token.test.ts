import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planFingerprint, webIdentityPlan } from '../../src/identity/plan';
import { readWebIdentityClaims, sessionNameFor, WebIdentityTokenError } from '../../src/identity/web-identity-token';

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/CLUSTERONE';
const ROLE = 'arn:aws:iam::111122223333:role/puller';

/** A service account token as the API server issues it, signature aside (nobody here checks it). */
function jwt(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'RS256', kid: 'k1' }): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part(header)}.${part(claims)}.c2lnbmF0dXJl`;
}
const serviceAccountToken = (sub: string, iss = ISSUER, extra: Record<string, unknown> = {}): string =>
  jwt({ iss, sub, aud: ['sts.amazonaws.com'], exp: 1_900_000_000, 'kubernetes.io': { namespace: 'team-a' }, ...extra });

describe('readWebIdentityClaims', () => {
  it('reads the issuer and subject of a service account token', () => {
    assert.deepEqual(readWebIdentityClaims(serviceAccountToken('system:serviceaccount:team-a:builder')), {
      issuer: ISSUER,
      subject: 'system:serviceaccount:team-a:builder',
    });
  });

  const claimsPart = (text: string): string => Buffer.from(text).toString('base64url');
  const refused: Array<[string, string, RegExp]> = [
    ['an opaque string', 'not-a-jwt-SECRETPART', /not a JWT \(three base64url parts/],
    ['two parts', 'eyJhbGciOiJub25lIn0.SECRETPART', /not a JWT \(three base64url parts/],
    ['five parts (an encrypted JWT)', 'a.b.c.d.SECRETPART', /not a JWT \(three base64url parts/],
    ['characters outside base64url', 'eyJh.SECRET+PART/.sig', /not a JWT \(three base64url parts/],
    ['claims that are not JSON', `eyJh.${claimsPart('SECRETPART{')}.sig`, /its claims are not JSON/],
    ['claims that are an array', `eyJh.${claimsPart('["SECRETPART"]')}.sig`, /not a JSON object/],
    ['no sub', jwt({ iss: ISSUER, note: 'SECRETPART' }), /no subject \(sub claim\)/],
    ['an empty sub', jwt({ iss: ISSUER, sub: '', note: 'SECRETPART' }), /no subject/],
    ['no iss', jwt({ sub: 'system:serviceaccount:a:b', note: 'SECRETPART' }), /no issuer \(iss claim\)/],
    ['a numeric iss', jwt({ iss: 7, sub: 'system:serviceaccount:a:b', note: 'SECRETPART' }), /no issuer/],
  ];
  for (const [what, token, message] of refused) {
    it(`refuses ${what} in one line that never repeats the token`, () => {
      assert.throws(
        () => readWebIdentityClaims(token),
        (error: unknown) => {
          assert.ok(error instanceof WebIdentityTokenError);
          assert.match(error.message, message);
          assert.doesNotMatch(error.message, /SECRET|\n/);
          return true;
        },
      );
    });
  }
});

describe('sessionNameFor: the role session name STS accepts (2 to 64 of [\\w+=,.@-])', () => {
  const STS_SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

  it('names a service account <namespace>.<name>', () => {
    assert.equal(sessionNameFor('system:serviceaccount:team-a:builder'), 'team-a.builder');
    assert.equal(sessionNameFor('system:serviceaccount:kube-system:aws.node'), 'kube-system.aws.node');
  });

  it('replaces what STS refuses in any other subject', () => {
    assert.equal(sessionNameFor('repo:org/app:ref:refs/heads/main'), 'repo-org-app-ref-refs-heads-main');
    assert.equal(sessionNameFor('user@example.com'), 'user@example.com');
    assert.match(sessionNameFor('ü'), /^--[0-9a-f]{8}$/, 'too short once replaced: a hash makes up the length');
  });

  it('keeps long names within 64 characters and apart from each other', () => {
    const longName = 'x'.repeat(200);
    const first = sessionNameFor(`system:serviceaccount:team-a:${longName}-one`);
    const second = sessionNameFor(`system:serviceaccount:team-a:${longName}-two`);
    assert.equal(first.length, 64);
    assert.ok(first.startsWith('team-a.xxxx'));
    assert.notEqual(first, second);
    assert.match(first, STS_SESSION_NAME);
  });

  it('always gives a name STS accepts', () => {
    const subjects = ['a', 'system:serviceaccount:', 'system:serviceaccount:n:s', ' ', '::::', 'é'.repeat(70), `${'n'.repeat(63)}:${'s'.repeat(253)}`, 'tab\there'];
    for (const subject of subjects) assert.match(sessionNameFor(subject), STS_SESSION_NAME, JSON.stringify(subject));
  });
});

describe('webIdentityPlan and its fingerprint', () => {
  const fingerprint = (roleArn: string, token: string): string => planFingerprint(webIdentityPlan(roleArn, token), {}, {});

  it('names the session after the subject and keeps the token for the exchange only', () => {
    const token = serviceAccountToken('system:serviceaccount:team-a:builder');
    assert.deepEqual(webIdentityPlan(ROLE, token), {
      kind: 'web-identity',
      roleArn: ROLE,
      sessionName: 'team-a.builder',
      token,
      issuer: ISSUER,
      subject: 'system:serviceaccount:team-a:builder',
    });
  });

  it('one service account keeps its cache entry while its tokens rotate', () => {
    const subject = 'system:serviceaccount:team-a:builder';
    assert.equal(fingerprint(ROLE, serviceAccountToken(subject, ISSUER, { exp: 1 })), fingerprint(ROLE, serviceAccountToken(subject, ISSUER, { exp: 2 })));
  });

  it('another service account, another cluster or another role never share one', () => {
    const hashes = [
      fingerprint(ROLE, serviceAccountToken('system:serviceaccount:team-a:builder')),
      fingerprint(ROLE, serviceAccountToken('system:serviceaccount:team-a:deployer')),
      fingerprint(ROLE, serviceAccountToken('system:serviceaccount:team-a:builder', 'https://oidc.eks.eu-west-1.amazonaws.com/id/CLUSTERTWO')),
      fingerprint('arn:aws:iam::111122223333:role/other', serviceAccountToken('system:serviceaccount:team-a:builder')),
      planFingerprint({ kind: 'default-chain' }, { AWS_ACCESS_KEY_ID: 'AKIDNODE' }, {}),
    ];
    assert.equal(new Set(hashes).size, hashes.length);
  });

  it('never holds the token, only a hash', () => {
    const token = serviceAccountToken('system:serviceaccount:team-a:builder');
    const hash = fingerprint(ROLE, token);
    assert.match(hash, /^[0-9a-f]{32}$/);
    for (const part of token.split('.')) assert.equal(hash.includes(part.slice(0, 16)), false);
  });
});
