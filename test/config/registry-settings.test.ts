import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseRegistrySettings, readRegistrySettings, settingFor, SettingsFileError, type RegistrySettings } from '../../src/config/registry-settings';

const FILE = '/home/u/.ecr/config.json';
const PROD = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const PULL = '210987654321.dkr.ecr.us-east-1.amazonaws.com';
function usable(settings: RegistrySettings | SettingsFileError): RegistrySettings {
  if (settings instanceof SettingsFileError) assert.fail(settings.message);
  return settings;
}
const parse = (value: unknown): RegistrySettings => usable(parseRegistrySettings(JSON.stringify(value), FILE));

function refused(value: unknown | string, pattern: RegExp): void {
  const error = parseRegistrySettings(typeof value === 'string' ? value : JSON.stringify(value), FILE);
  assert.ok(error instanceof SettingsFileError, 'refused');
  assert.ok(error.message.startsWith(`settings file ${FILE}: `), error.message);
  assert.match(error.message, pattern);
  assert.doesNotMatch(error.message, /\n/, 'one line');
}

describe('parseRegistrySettings: what the issue shows', () => {
  it('reads a profile, a role and an alias', () => {
    const settings = parse({
      registries: {
        [PROD]: { profile: 'prod' },
        [PULL]: { roleArn: 'arn:aws:iam::210987654321:role/pull' },
        'registry.example.com': { registry: PROD },
      },
    });
    assert.equal(settings.file, FILE);
    assert.deepEqual(Object.fromEntries(settings.registries), {
      [PROD]: { profile: 'prod' },
      [PULL]: { roleArn: 'arn:aws:iam::210987654321:role/pull' },
      'registry.example.com': { registry: PROD },
    });
  });

  it('keys hosts case-insensitively, with or without a scheme, a port or a path; targets too', () => {
    const settings = parse({ registries: { [`HTTPS://${PROD.toUpperCase()}/v2/`]: { profile: 'prod' }, 'Mirror.Example.COM:5000': { registry: `https://${PULL.toUpperCase()}` } } });
    assert.deepEqual([...settings.registries.keys()], [PROD, 'mirror.example.com']);
    assert.equal(settings.registries.get('mirror.example.com')?.registry, PULL);
    for (const spelling of [PROD, `https://${PROD}`, `${PROD.toUpperCase()}:443`, ` http://${PROD}/v2/ `]) {
      assert.deepEqual(settingFor(settings, spelling), { profile: 'prod' }, spelling);
    }
    assert.equal(settingFor(settings, PULL), undefined);
    assert.equal(settingFor(settings, ''), undefined);
  });

  it('takes a role with a profile as its source, and an alias with an identity of its own', () => {
    const settings = parse({ registries: { [PROD]: { profile: 'ci', roleArn: 'arn:aws-cn:iam::123456789012:role/team/pull' }, 'r.example': { registry: 'public.ecr.aws', profile: 'pub' } } });
    assert.deepEqual(settings.registries.get(PROD), { profile: 'ci', roleArn: 'arn:aws-cn:iam::123456789012:role/team/pull' });
    assert.deepEqual(settings.registries.get('r.example'), { registry: 'public.ecr.aws', profile: 'pub' });
  });

  it('an empty object, an empty "registries" and a BOM are fine', () => {
    assert.equal(parse({}).registries.size, 0);
    assert.equal(parse({ registries: {} }).registries.size, 0);
    assert.equal(usable(parseRegistrySettings(`\uFEFF${JSON.stringify({ registries: { [PROD]: { profile: 'p' } } })}`, FILE)).registries.size, 1);
  });
});

describe('parseRegistrySettings refuses, in one line naming the file and the problem', () => {
  it('text that is not JSON, with the parser reason', () => refused('{"registries": {', /not valid JSON: .*JSON/));
  it('JSON that is not an object', () => {
    refused([], /not a JSON object/);
    refused('"prod"', /not a JSON object/);
    refused('null', /not a JSON object/);
  });
  it('an unknown top-level setting', () => refused({ registry: {} }, /unknown setting "registry" \(the file holds "registries" only\)/));
  it('"registries" that is not an object', () => refused({ registries: [PROD] }, /"registries" is not an object/));
  it('an unknown setting of a registry (a typo)', () => refused({ registries: { [PROD]: { profil: 'prod' } } }, new RegExp(`registries\\["${PROD.replace(/\./g, '\\.')}"\\]: unknown setting "profil" \\(known: profile, roleArn, registry\\)`)));
  it('a setting that is not an object', () => refused({ registries: { [PROD]: 'prod' } }, /not an object/));
  for (const arn of ['arn:aws:iam::12345678901:role/x', 'arn:aws:iam::123456789012:user/x', 'arn:aws:sts::123456789012:assumed-role/x/y', 'role/pull', '', 42]) {
    it(`an invalid role ARN: ${JSON.stringify(arn)}`, () => refused({ registries: { [PROD]: { roleArn: arn } } }, /"roleArn" is not an IAM role ARN/));
  }
  for (const profile of ['', 'two words', 'a\nb', 7, null]) {
    it(`a profile that is not a profile name: ${JSON.stringify(profile)}`, () => refused({ registries: { [PROD]: { profile } } }, /"profile" is not a profile name/));
  }
  it('a host that is not ECR, without "registry"', () => refused({ registries: { 'ghcr.io': { profile: 'x' } } }, /registries\["ghcr\.io"\]: not an ECR registry host; to make it an alias, add "registry"/));
  it('an alias of something that is not ECR', () => refused({ registries: { 'r.example': { registry: 'ghcr.io' } } }, /"registry" is not an ECR registry host: "ghcr\.io"/));
  it('an ECR host made an alias', () => refused({ registries: { [PROD]: { registry: PULL } } }, /an ECR registry cannot be an alias/));
  it('a key that is no host at all', () => refused({ registries: { 'https://': { profile: 'p' } } }, /not a registry host/));
  it('two spellings of one registry', () => refused({ registries: { [PROD]: { profile: 'a' }, [`https://${PROD.toUpperCase()}`]: { profile: 'b' } } }, /name the same registry/));
});

describe('readRegistrySettings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecr-login-settings-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing file is no settings', () => {
    const settings = usable(readRegistrySettings(join(dir, 'missing.json')));
    assert.equal(settings.registries.size, 0);
  });
  it('reads a file', () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ registries: { [PROD]: { profile: 'prod' } } }));
    assert.deepEqual(settingFor(usable(readRegistrySettings(file)), PROD), { profile: 'prod' });
  });
  it('a directory in its place is refused', () => {
    const file = join(dir, 'a-directory');
    mkdirSync(file);
    assert.match(String(readRegistrySettings(file)), /settings file .*a-directory: not a regular file/);
  });
  it('a file far too large is refused, not read', () => {
    const file = join(dir, 'large.json');
    writeFileSync(file, `{"registries": {}}${' '.repeat(300 * 1024)}`);
    assert.match(String(readRegistrySettings(file)), /larger than 256 KiB/);
  });
  it('a file under a path that is not a directory cannot be read', () => {
    const file = join(dir, 'config.json', 'nested.json');
    assert.match(String(readRegistrySettings(file)), /cannot read it: ENOTDIR/);
  });
});
