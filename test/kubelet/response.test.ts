import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheDurationFor, credentialProviderResponse, goDuration, kubeletRefusal } from '../../src/kubelet/response';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const ISSUED = Date.UTC(2026, 0, 1, 8, 0, 0);
const EXPIRES = new Date(ISSUED + 12 * HOUR);
/** Our cache refreshes a token half its life after issue. */
const FRESH_UNTIL = new Date(ISSUED + 6 * HOUR);

describe('credentialProviderResponse', () => {
  it('is exactly the fields the kubelet decodes strictly, keyed by the registry as the image names it', () => {
    assert.equal(
      credentialProviderResponse('credentialprovider.kubelet.k8s.io/v1beta1', '111122223333.dkr.ecr.eu-west-1.amazonaws.com:443', { username: 'AWS', secret: 'pa55' }, '5h59m58s'),
      '{"apiVersion":"credentialprovider.kubelet.k8s.io/v1beta1","kind":"CredentialProviderResponse","cacheKeyType":"Registry","cacheDuration":"5h59m58s",' +
        '"auth":{"111122223333.dkr.ecr.eu-west-1.amazonaws.com:443":{"username":"AWS","password":"pa55"}}}\n',
    );
  });
});

describe('kubeletRefusal', () => {
  it('is one line on stderr, nothing on stdout, exit 1', () => {
    assert.deepEqual(kubeletRefusal('bad\nrequest'), { exitCode: 1, stdout: '', stderr: 'docker-credential-ecr-login: bad request\n' });
  });
});

describe('cacheDurationFor: until our cache would refresh the token, never past expiry', () => {
  it('a token just fetched: until half its life', () => {
    assert.equal(cacheDurationFor(EXPIRES, FRESH_UNTIL, ISSUED), '6h0m0s');
    assert.equal(cacheDurationFor(EXPIRES, FRESH_UNTIL, ISSUED + 2 * SECOND), '5h59m58s');
  });

  it('a token served from the cache later: only what is left until the refresh', () => {
    assert.equal(cacheDurationFor(EXPIRES, FRESH_UNTIL, ISSUED + 2 * HOUR), '4h0m0s');
    assert.equal(cacheDurationFor(EXPIRES, FRESH_UNTIL, ISSUED + 6 * HOUR - 59 * SECOND), '59s');
  });

  it('rounds down, so the kubelet never keeps it a moment longer', () => {
    assert.equal(cacheDurationFor(EXPIRES, FRESH_UNTIL, ISSUED + 1), '5h59m59s');
    assert.equal(cacheDurationFor(EXPIRES, FRESH_UNTIL, FRESH_UNTIL.getTime() - 999), '0s');
  });

  it('served after AWS failed (past its refresh, before expiry): 0s, the kubelet asks again next time', () => {
    assert.equal(cacheDurationFor(EXPIRES, FRESH_UNTIL, ISSUED + 8 * HOUR), '0s');
  });

  it('never past expiry, whatever the refresh moment says', () => {
    assert.equal(cacheDurationFor(EXPIRES, new Date(EXPIRES.getTime() + HOUR), ISSUED + 11 * HOUR), '1h0m0s');
  });

  it('cache off: half the remaining life', () => {
    assert.equal(cacheDurationFor(EXPIRES, undefined, ISSUED), '6h0m0s');
    assert.equal(cacheDurationFor(EXPIRES, undefined, ISSUED + 10 * HOUR), '1h0m0s');
    assert.equal(cacheDurationFor(EXPIRES, undefined, ISSUED + 12 * HOUR + SECOND), '0s');
  });

  it('never ends after the refresh moment nor after expiry, from any moment', () => {
    for (let now = ISSUED - HOUR; now <= ISSUED + 13 * HOUR; now += 7 * 60 * SECOND + 13) {
      for (const fresh of [FRESH_UNTIL, undefined]) {
        const seconds = parseGoDuration(cacheDurationFor(EXPIRES, fresh, now));
        const refreshAt = fresh === undefined ? now + (EXPIRES.getTime() - now) / 2 : fresh.getTime();
        const limit = Math.min(refreshAt, EXPIRES.getTime());
        assert.ok(seconds >= 0);
        assert.ok(now + seconds * SECOND <= Math.max(now, limit), `${new Date(now).toISOString()} ${seconds}s`);
      }
    }
  });
});

describe('goDuration: Go time.Duration text', () => {
  for (const [seconds, text] of [
    [0, '0s'],
    [42, '42s'],
    [60, '1m0s'],
    [3599, '59m59s'],
    [3600, '1h0m0s'],
    [21598, '5h59m58s'],
    [43200, '12h0m0s'],
    [-5, '0s'],
  ] as const) {
    it(`${seconds} → ${text}`, () => assert.equal(goDuration(seconds), text));
  }
});

/** Reads the subset of Go duration text goDuration writes. */
function parseGoDuration(text: string): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(\d+)s$/.exec(text);
  assert.ok(match, text);
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3]);
}
