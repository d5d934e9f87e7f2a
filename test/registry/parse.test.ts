import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'node:test';
import { hostOf, parsedHostOf, parseRegistry } from '../../src/registry/parse';
import { NOT_ECR_INPUTS } from './hostname-cases';

describe('parseRegistry: private ECR hosts (docs/SPEC.md section 2)', () => {
  const cases: Array<[string, { accountId: string; region: string; fips: boolean; dualStack: boolean }]> = [
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com', { accountId: '123456789012', region: 'us-east-1', fips: false, dualStack: false }],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', { accountId: '123456789012', region: 'cn-north-1', fips: false, dualStack: false }],
    ['123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu', { accountId: '123456789012', region: 'eusc-de-east-1', fips: false, dualStack: false }],
    ['123456789012.dkr-ecr.us-west-2.on.aws', { accountId: '123456789012', region: 'us-west-2', fips: false, dualStack: true }],
    ['123456789012.dkr.ecr.us-west-2.on.aws', { accountId: '123456789012', region: 'us-west-2', fips: false, dualStack: true }],
    ['123456789012.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn', { accountId: '123456789012', region: 'cn-northwest-1', fips: false, dualStack: true }],
    ['123456789012.dkr-ecr.eu-west-1.amazonaws.com', { accountId: '123456789012', region: 'eu-west-1', fips: false, dualStack: true }],
    ['123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', { accountId: '123456789012', region: 'us-gov-west-1', fips: true, dualStack: false }],
    ['123456789012.dkr-ecr-fips.us-east-1.amazonaws.com', { accountId: '123456789012', region: 'us-east-1', fips: true, dualStack: true }],
    ['123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov', { accountId: '123456789012', region: 'us-iso-east-1', fips: false, dualStack: false }],
    ['123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov', { accountId: '123456789012', region: 'us-isob-east-1', fips: false, dualStack: false }],
    ['123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov', { accountId: '123456789012', region: 'us-isof-south-1', fips: false, dualStack: false }],
    ['123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk', { accountId: '123456789012', region: 'eu-isoe-west-1', fips: false, dualStack: false }],
    ['123456789012.dkr.ecr.a.amazonaws.com', { accountId: '123456789012', region: 'a', fips: false, dualStack: false }],
    [`123456789012.dkr.ecr.${'r'.repeat(63)}.amazonaws.com`, { accountId: '123456789012', region: 'r'.repeat(63), fips: false, dualStack: false }],
  ];
  for (const [host, expected] of cases) {
    it(`reads ${host}`, () => {
      assert.deepEqual(parseRegistry(host), { kind: 'private', host, ...expected });
    });
  }

  it('ignores scheme, userinfo, port, path, query, surrounding whitespace and case', () => {
    const host = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
    for (const input of [
      `https://${host}`,
      `http://${host}`,
      `HTTPS://${host.toUpperCase()}`,
      `${host}:443`,
      `${host}:5000/v2/`,
      `https://${host}/v2/repo/manifests/latest?x=1#frag`,
      `https://user:pa55@${host}/`,
      `  ${host}\n`,
      `\t${host}\r\n`,
    ]) {
      const parsed = parseRegistry(input);
      assert.equal(parsed?.kind, 'private', input);
      assert.equal(parsed?.host, host, input);
    }
  });

  it('a bare host, read without the URL parser, answers as the same host read through it, punycode labels included', () => {
    for (const region of ['eu-west-1', 'a--b', 'xn--80ak6aa92e', 'xn--ls8h', 'xn--a', 'xn--', 'xn--zz-']) {
      const host = `123456789012.dkr.ecr.${region}.amazonaws.com`;
      assert.deepEqual(parseRegistry(host), parseRegistry(`https://${host}/`), host);
    }
    // Whether punycode that does not decode is a host at all is the URL parser's to say, and its
    // answer differs between Node versions (Node 20 refuses `xn--a`, Node 24 takes it): above,
    // the bare host gets the same answer as the URL parser's on each.
    assert.deepEqual(parseRegistry('123456789012.dkr.ecr.xn--80ak6aa92e.amazonaws.com'), {
      kind: 'private',
      host: '123456789012.dkr.ecr.xn--80ak6aa92e.amazonaws.com',
      accountId: '123456789012',
      region: 'xn--80ak6aa92e',
      fips: false,
      dualStack: false,
    });
  });
});

describe('parseRegistry: ECR Public', () => {
  it('reads public.ecr.aws and its dual-stack name', () => {
    assert.deepEqual(parseRegistry('public.ecr.aws'), { kind: 'public', host: 'public.ecr.aws', dualStack: false });
    assert.deepEqual(parseRegistry('https://PUBLIC.ECR.AWS/v2/'), { kind: 'public', host: 'public.ecr.aws', dualStack: false });
    assert.deepEqual(parseRegistry('ecr-public.aws.com'), { kind: 'public', host: 'ecr-public.aws.com', dualStack: true });
  });
});

describe('parseRegistry: everything else is not ECR', () => {
  for (const input of NOT_ECR_INPUTS) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.equal(parseRegistry(input), undefined);
    });
  }

  it('accepts every valid port from 1 to 65535', () => {
    assert.equal(parseRegistry('123456789012.dkr.ecr.us-east-1.amazonaws.com:1')?.kind, 'private');
    assert.equal(parseRegistry('123456789012.dkr.ecr.us-east-1.amazonaws.com:65535')?.kind, 'private');
  });
});

describe('hostOf', () => {
  it('gives the lowercased host the registry identity is keyed on', () => {
    assert.equal(hostOf('HTTPS://Public.ECR.aws:443/v2/'), 'public.ecr.aws');
    assert.equal(hostOf('user@Example.COM:8443/x'), 'example.com');
    assert.equal(hostOf(''), undefined);
    assert.equal(hostOf('https://'), undefined);
  });
  it('reads a plain host without the URL parser, and gives what the parser gives', () => {
    assert.equal(hostOf(' https://index.docker.io/v1/ '), 'index.docker.io');
    assert.equal(hostOf('registry.example.com'), 'registry.example.com');
    // A last label that is a number is an IPv4 address to the parser; these go to it.
    assert.equal(hostOf('registry.1'), undefined);
    assert.equal(hostOf('0x7f.1'), '127.0.0.1');
  });
  it('gives what the URL parser gives, for any server URL (the plain-host shortcut included)', () => {
    const label = fc.oneof(
      fc.stringMatching(/^[a-z0-9-]{0,6}$/),
      fc.stringMatching(/^[a-zA-Z0-9_%-]{0,6}$/),
      fc.constantFrom('xn--bcher-kva', 'xn--a', '0x1f', '255', '08', 'a', 'A', ''),
    );
    const serverUrl = fc.oneof(
      fc
        .tuple(
          fc.constantFrom('', '', 'https://', 'http://', 'HTTPS://', 'ftp://', ' '),
          fc.array(label, { minLength: 1, maxLength: 4 }),
          fc.constantFrom('', '', '.', '/', '/v2/', '?q=1', '#f', ':443', ':0', ':x', '@h.io', '\\p', ' '),
        )
        .map(([scheme, labels, rest]) => `${scheme}${labels.join('.')}${rest}`),
      fc.string(),
    );
    fc.assert(
      fc.property(serverUrl, (input) => assert.equal(hostOf(input), parsedHostOf(input), JSON.stringify(input))),
      { numRuns: 3000 },
    );
  });
});
