import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeAuthorizationToken, TOKEN_LIFETIME_MS, TokenFormatError, trustedExpiry } from '../../src/aws/authorization-token';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('decodeAuthorizationToken', () => {
  it('splits at the first colon: the password may hold colons of its own', () => {
    assert.deepEqual(decodeAuthorizationToken(b64('AWS:pa:ss:word')), { username: 'AWS', secret: 'pa:ss:word' });
  });
  for (const [label, token] of [
    ['missing', undefined],
    ['empty', ''],
    ['not base64', 'not*base64!'],
    ['badly padded', 'QVdTOnBhc3M'],
    ['no colon', b64('AWSpassword')],
    ['no username', b64(':password')],
    ['no password', b64('AWS:')],
  ] as const) {
    it(`refuses a token that is ${label}`, () => {
      assert.throws(() => decodeAuthorizationToken(token), TokenFormatError);
    });
  }
});

describe('trustedExpiry: when a token dies, by the local clock', () => {
  const HOUR = 60 * 60 * 1000;
  const asked = Date.UTC(2030, 5, 1, 12, 0, 0);

  it('is the expiry AWS gave, when it is within 12 hours of the request', () => {
    assert.equal(trustedExpiry(asked, asked + 12 * HOUR), asked + 12 * HOUR);
    assert.equal(trustedExpiry(asked, asked + HOUR), asked + HOUR);
  });

  it('is never later than 12 hours after the local time of the request', () => {
    // A local clock a day behind AWS's sees a 36-hour token; a bogus answer, a century.
    assert.equal(trustedExpiry(asked, asked + 36 * HOUR), asked + TOKEN_LIFETIME_MS);
    assert.equal(trustedExpiry(asked, asked + 100 * 365 * 24 * HOUR), asked + TOKEN_LIFETIME_MS);
    assert.equal(trustedExpiry(asked, 8.64e15), asked + TOKEN_LIFETIME_MS);
  });

  it('keeps an expiry the local clock sees passed (a clock ahead of AWS): such a token is not kept', () => {
    assert.equal(trustedExpiry(asked, asked - 12 * HOUR), asked - 12 * HOUR);
    assert.equal(trustedExpiry(asked, asked), asked);
  });

  it('is 12 hours when AWS said nothing', () => {
    assert.equal(trustedExpiry(asked, undefined), asked + TOKEN_LIFETIME_MS);
  });

  it('is the epoch for an expiry that is no time at all, and never throws or gives an invalid Date', () => {
    for (const odd of [Number.NaN, Infinity, -Infinity, 1e23, -1e23, 8.64e15 + 1, Number.MAX_VALUE]) {
      assert.equal(trustedExpiry(asked, odd), 0, String(odd));
    }
    for (const odd of [Number.NaN, 1e23, -1e23, 0, asked + 1e15]) {
      assert.doesNotThrow(() => new Date(trustedExpiry(asked, odd)).toISOString(), String(odd));
    }
  });
});
