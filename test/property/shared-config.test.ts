/**
 * The AWS shared config and credentials files, generated line by line (headers of every kind,
 * settings, comments, nested blocks, odd white space and line ends), against the AWS SDK's own
 * reader (@smithy/core's config loader, fed the text through its file interceptor, so nothing is
 * read from disk): the same sections and settings, and for every profile the SDK would merge,
 * the same identity-deciding settings in the fingerprint's decision. And the fingerprint itself:
 * never a throw, whatever the files, and two identities never share a hash, however long the
 * chain of source profiles between them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { externalDataInterceptor, loadSharedConfigFiles, parseKnownFiles } from '@smithy/core/config';
import fc from 'fast-check';
import { decideCredentialSource, IDENTITY_SETTINGS } from '../../src/identity/credential-chain';
import { identityFingerprint } from '../../src/identity/fingerprint';
import { IniRejectedError, parseIni } from '../../src/identity/ini';
import { seedNote, TEST_SEED } from '../support/seed';

/** Where the SDK's loader is told the files are: their text comes from the interceptor, never the disk. */
const CONFIG_PATH = '/nonexistent/ecr-login-property/config';
const CREDENTIALS_PATH = '/nonexistent/ecr-login-property/credentials';

const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/**
 * Profile names. No name of a property every object has (`constructor`, `toString`): the SDK's
 * parser writes such a section's settings onto that property, which would corrupt this very
 * process (the fingerprint's own handling of those names is held to the SDK by
 * test/credentials/sdk-agreement).
 */
const profileName = fc.oneof(fc.constantFrom('default', 'dev', 'prod', 'a', 'B', 'x.y', 'team-1', 'p@q', 'with space'), fc.stringMatching(/^[\w.@+-]{1,8}$/)).filter((name) => !(name in Object.prototype));

const header = fc.oneof(
  profileName.map((name) => `[${name}]`),
  profileName.map((name) => `[profile ${name}]`),
  profileName.map((name) => `[profile "${name}"]`),
  profileName.map((name) => `[profile '${name}']`),
  profileName.map((name) => `[sso-session ${name}]`),
  profileName.map((name) => `[services ${name}]`),
  profileName.map((name) => `[plugins ${name}]`),
  fc.constantFrom('[profile default]', '[default]', '[]', '[profile]', '[profile  two]', '[ profile spaced ]', '[profile a b]', '[__proto__]', '[profile __proto__]', '[default] # comment', '[profile x'),
);

const settingKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...IDENTITY_SETTINGS, 'aws_secret_access_key', 'region', 'output', 'endpoint_url') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z_][\w.-]{0,10}$/) },
);
const settingValue = fc.oneof(
  fc.constantFrom('AKIDPROPERTY', 'arn:aws:iam::111122223333:role/r', 'dev', 'prod', 'Environment', 'Ec2InstanceMetadata', 'EcsContainer', '/bin/creds --x', 'a=b=c', 'v # not a comment?', 'v#x', 'http://h/#f', ''),
  profileName,
  fc.string({ maxLength: 12 }),
);
const space = fc.constantFrom('', ' ', '  ', '\t');
const setting = fc.tuple(space, settingKey, space, settingValue, fc.constantFrom('', ' # c', '\t; c', ';x', '#y')).map(([indent, key, gap, value, comment]) => `${indent}${key}${gap}=${gap}${value}${comment}`);
const nestedBlock = fc
  .tuple(settingKey, fc.array(fc.tuple(fc.constantFrom('  ', '\t', ' '), settingKey, settingValue), { minLength: 1, maxLength: 3 }))
  .map(([parent, children]) => [`${parent} =`, ...children.map(([indent, key, value]) => `${indent}${key} = ${value}`)].join('\n'));
const otherLine = fc.constantFrom('', '   ', '# comment', '; comment', '= no key', 'no equals sign', '  [not a header', 'key=', '\ufeff[default]');

/** A header and the settings under it, the way people write profiles. */
const section = fc.tuple(header, fc.array(setting, { minLength: 1, maxLength: 4 })).map(([first, settings]) => [first, ...settings].join('\n'));

const iniText = fc
  .tuple(
    fc.constantFrom('', '', '\ufeff'),
    fc.array(fc.oneof({ weight: 3, arbitrary: section }, { weight: 1, arbitrary: header }, { weight: 2, arbitrary: setting }, { weight: 1, arbitrary: nestedBlock }, { weight: 1, arbitrary: otherLine }), { maxLength: 16 }),
    fc.constantFrom('\n', '\r\n', '\n', '\r'),
  )
  .map(([bom, lines, end]) => bom + lines.join('\n').replace(/\n/g, end));

/** Our reader's sections as plain data; `undefined` where the SDK refuses the whole file (as it then reads it: empty). */
function ours(text: string): unknown {
  try {
    return plain(parseIni(text));
  } catch (error) {
    assert.ok(error instanceof IniRejectedError, String(error));
    return {};
  }
}

async function sdkReads(config: string, credentials: string): Promise<{ credentialsFile: unknown; merged: Record<string, Record<string, string>> }> {
  externalDataInterceptor.interceptFile(CONFIG_PATH, config);
  externalDataInterceptor.interceptFile(CREDENTIALS_PATH, credentials);
  const paths = { filepath: CREDENTIALS_PATH, configFilepath: CONFIG_PATH };
  const { credentialsFile } = await loadSharedConfigFiles(paths);
  return { credentialsFile: plain(credentialsFile), merged: (await parseKnownFiles(paths)) as Record<string, Record<string, string>> };
}

describe('the shared files, as the AWS SDK reads them', () => {
  it('parseIni finds the sections and settings the SDK finds, in any text', async (t) => {
    await fc.assert(
      fc.asyncProperty(iniText, async (text) => {
        // The credentials file is the one the SDK keeps as parsed, sections under their own names.
        const { credentialsFile } = await sdkReads('', text);
        assert.deepEqual(ours(text), credentialsFile, JSON.stringify(text));
      }),
      { seed: TEST_SEED, numRuns: 600 },
    );
    t.diagnostic(seedNote(600, "parseIni against the SDK's parser"));
  });

  it("every profile the SDK merges from both files has the same identity-deciding settings in the fingerprint's decision", async (t) => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(iniText, iniText, async (config, credentials) => {
        const { merged } = await sdkReads(config, credentials);
        for (const [name, settings] of Object.entries(merged)) {
          if (name.startsWith('sso-session.') || name.startsWith('services.')) continue;
          const decision = decideCredentialSource({ AWS_PROFILE: name }, { config, credentials });
          if (decision.source !== 'profile') continue;
          compared += 1;
          const [, described] = decision.profile.description[0] as [string, Array<[string, string]>];
          const sdkSettings = IDENTITY_SETTINGS.filter((key) => settings[key] !== undefined).map((key) => [key, settings[key]]);
          assert.deepEqual(described, sdkSettings, `profile ${JSON.stringify(name)} of ${JSON.stringify({ config, credentials })}`);
        }
      }),
      { seed: TEST_SEED, numRuns: 450 },
    );
    t.diagnostic(`${seedNote(450, 'the merge of config and credentials against the SDK')}: ${compared} profiles compared`);
    assert.ok(compared > 150, 'the generator makes profiles the chain takes');
  });
});

describe('the identity fingerprint', () => {
  it('never throws, and is the same hash for the same configuration, whatever the files and the environment', (t) => {
    const env = fc.record(
      {
        AWS_PROFILE: fc.oneof(profileName, fc.constantFrom('constructor', 'toString', '__proto__', '', 'hasOwnProperty')),
        AWS_ACCESS_KEY_ID: fc.constantFrom('AKIDENV', ''),
        AWS_SECRET_ACCESS_KEY: fc.constantFrom('secret', ''),
        AWS_WEB_IDENTITY_TOKEN_FILE: fc.constantFrom('/var/run/token', ''),
        AWS_ROLE_ARN: fc.constantFrom('arn:aws:iam::111122223333:role/web', ''),
        AWS_CONTAINER_CREDENTIALS_FULL_URI: fc.constantFrom('http://127.0.0.1:1/creds', ''),
        AWS_EC2_METADATA_DISABLED: fc.constantFrom('true', 'false', ''),
      },
      { requiredKeys: [] },
    );
    // Any text at all, and texts with the names every object has as profiles and sources.
    const oddText = fc.oneof(
      iniText,
      fc.string({ maxLength: 200 }),
      fc
        .tuple(fc.constantFrom('constructor', 'toString', 'valueOf', '__proto__', 'hasOwnProperty', 'p'), fc.constantFrom('constructor', 'toString', 'p', 'q'))
        .map(([name, source]) => `[profile ${name}]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = ${source}\nsso_session = ${source}\n[${name}]\nsso_start_url = x\n[profile p]\nsource_profile = ${name}\nrole_arn = r`),
    );
    fc.assert(
      fc.property(env, oddText, oddText, (environment, config, credentials) => {
        const first = identityFingerprint(environment, { config, credentials });
        assert.match(first.hash, /^[0-9a-f]{32}$/);
        assert.deepEqual(identityFingerprint({ ...environment }, { config: `${config}`, credentials: `${credentials}` }), first);
      }),
      { seed: TEST_SEED, numRuns: 600 },
    );
    t.diagnostic(seedNote(600, 'identityFingerprint'));
  });

  it('a chain of source profiles of any length: the key at its end decides the hash, and no depth overflows', (t) => {
    const chain = fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.boolean(), fc.constantFrom('\n', '\r\n'));
    const files = (length: number, keyId: string, inConfig: boolean, end: string): { config: string; credentials: string } => {
      const roles = Array.from({ length }, (_, index) => [`[profile p${index}]`, `role_arn = arn:aws:iam::111122223333:role/r${index}`, `source_profile = p${index + 1}`].join(end));
      const key = [`[${inConfig ? `profile p${length}` : `p${length}`}]`, `aws_access_key_id = ${keyId}`, 'aws_secret_access_key = s'].join(end);
      return inConfig ? { config: [...roles, key].join(end), credentials: '' } : { config: roles.join(end), credentials: key };
    };
    fc.assert(
      fc.property(chain, ([length, inConfig, end]) => {
        const env = { AWS_PROFILE: 'p0' };
        const alpha = identityFingerprint(env, files(length, 'AKIDALPHA', inConfig, end));
        const bravo = identityFingerprint(env, files(length, 'AKIDBRAVO', inConfig, end));
        assert.equal(alpha.source, 'profile');
        assert.notEqual(alpha.hash, bravo.hash, `a chain of ${length}: two keys at its end, two identities`);
        assert.equal(identityFingerprint(env, files(length, 'AKIDALPHA', inConfig, end)).hash, alpha.hash);
      }),
      { seed: TEST_SEED, numRuns: 20 },
    );
    t.diagnostic(seedNote(20, 'identityFingerprint on source-profile chains up to 5,000 long'));
  });
});
