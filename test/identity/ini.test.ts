import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IniRejectedError, parseIni } from '../../src/identity/ini';

/** parseIni returns null-prototype objects; compare them as plain data. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

// The expectations follow the AWS SDK for JavaScript's own parser (@smithy/core config parseIni):
// the fingerprint must see the same profiles and settings that the SDK will act on.
describe('parseIni, as the AWS SDK reads shared config files', () => {
  it('keys plain headers by name and [profile x] / [sso-session x] / [services x] as kind.name', () => {
    const text = ['[default]', 'aws_access_key_id = AKIADEFAULT', 'region=us-east-1', '', '[profile dev]', 'role_arn = arn:aws:iam::111122223333:role/dev', '[sso-session corp]', 'sso_region = eu-west-1', '[services local]', 'sts =', '  endpoint_url = http://127.0.0.1:1'].join('\n');
    assert.deepEqual(plain(parseIni(text)), {
      default: { aws_access_key_id: 'AKIADEFAULT', region: 'us-east-1' },
      'profile.dev': { role_arn: 'arn:aws:iam::111122223333:role/dev' },
      'sso-session.corp': { sso_region: 'eu-west-1' },
      'services.local': { 'sts.endpoint_url': 'http://127.0.0.1:1' },
    });
  });

  it('reads a quoted profile name as the bare name', () => {
    assert.deepEqual(plain(parseIni('[profile "x"]\nk = 1\n[profile \'y\']\nk = 2')), { 'profile.x': { k: '1' }, 'profile.y': { k: '2' } });
  });

  it('ignores sections of an unknown kind and malformed prefixed headers', () => {
    assert.deepEqual(plain(parseIni('[plugins x]\nk = 1\n[profile  spaced]\nk = 2\n[ok]\nk = 3')), { 'profile  spaced': { k: '2' }, ok: { k: '3' } });
  });

  it('trims around keys and values, keeps "=" inside a value, and keeps key case', () => {
    const text = '[a]\n   Key1   =    spaced value   \nkey2\t=\tx=y=z\t\n';
    assert.deepEqual(plain(parseIni(text)), { a: { Key1: 'spaced value', key2: 'x=y=z' } });
  });

  it('drops comments at a line start or after white space, but not inside a word', () => {
    const text = ['# leading', '[a]', '; semicolon', 'k = v # trailing comment', 'url = http://h/#frag', '   # indented'].join('\n');
    assert.deepEqual(plain(parseIni(text)), { a: { k: 'v', url: 'http://h/#frag' } });
  });

  it('reads CRLF line endings and a byte order mark', () => {
    const parsed = parseIni('\uFEFF[default]\r\naws_access_key_id = AKIACRLF\r\n[profile x]\r\nk = v\r\n');
    assert.deepEqual(plain(parsed), { default: { aws_access_key_id: 'AKIACRLF' }, 'profile.x': { k: 'v' } });
  });

  it('nests indented settings under a key with an empty value, until a line that is not indented', () => {
    const text = ['[default]', 's3 =', '  max_concurrent_requests = 20', '  addressing_style = path', 'region = us-west-2'].join('\n');
    assert.deepEqual(plain(parseIni(text)), {
      default: { 's3.max_concurrent_requests': '20', 's3.addressing_style': 'path', region: 'us-west-2' },
    });
  });

  it('reads an indented line after a key with a value as a setting of its own', () => {
    const text = ['[profile ind]', 'region = us-east-1', '  role_arn = arn:aws:iam::1:role/x', '  credential_source = Ec2InstanceMetadata'].join('\n');
    assert.deepEqual(plain(parseIni(text)), {
      'profile.ind': { region: 'us-east-1', role_arn: 'arn:aws:iam::1:role/x', credential_source: 'Ec2InstanceMetadata' },
    });
  });

  it('does not carry a nested block across a section header', () => {
    const parsed = parseIni('[a]\ns3 =\n  x = 1\n[b]\n  y = 2\n');
    assert.deepEqual(plain(parsed), { a: { 's3.x': '1' }, b: { y: '2' } });
  });

  it('merges a section that appears twice, the later value of a key winning', () => {
    const text = ['[a]', 'x = 1', 'y = 2', '[b]', 'q = 9', '[a]', 'x = 3', 'z = 4'].join('\n');
    assert.deepEqual(plain(parseIni(text)), { a: { x: '3', y: '2', z: '4' }, b: { q: '9' } });
  });

  it('ignores lines before any section, lines without a key, and keeps no empty sections', () => {
    const text = 'aws_access_key_id = AKIAORPHAN\n[empty]\n[a]\njust words\n= value without key\nk = v';
    assert.deepEqual(plain(parseIni(text)), { a: { k: 'v' } });
  });

  it('returns nothing for empty text', () => {
    assert.deepEqual(plain(parseIni('')), {});
    assert.deepEqual(plain(parseIni('\n\n# only a comment\n')), {});
  });

  it('refuses the whole text at a [__proto__] or [profile __proto__] header, as the SDK does', () => {
    assert.throws(() => parseIni('[a]\nk = v\n[__proto__]\npolluted = yes'), IniRejectedError);
    assert.throws(() => parseIni('[profile __proto__]\np = 1'), IniRejectedError);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('keeps other odd names, a quoted __proto__ among them, as plain data', () => {
    const parsed = parseIni('[profile "__proto__"]\np = 1\n[constructor]\n__proto__ = x');
    assert.deepEqual(Object.keys(parsed), ['profile.__proto__', 'constructor']);
    assert.equal(({} as Record<string, unknown>).p, undefined);
    assert.equal(Object.getOwnPropertyDescriptor(parsed.constructor ?? {}, '__proto__')?.value, 'x');
  });

  it('skips the settings of an empty [] section, as the SDK does', () => {
    assert.deepEqual(plain(parseIni('[]\nk = v\n[a]\nk = w')), { a: { k: 'w' } });
  });
});
