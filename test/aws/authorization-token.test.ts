import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeAuthorizationToken, TokenFormatError } from '../../src/aws/authorization-token';

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
