import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Environment } from '../../src/config/settings';
import { identityFingerprint, type IdentityFingerprint, type SharedConfigTexts } from '../../src/identity/fingerprint';

const KEY_ID = 'AKIAENVKEY0000000001';
const SECRET = 'envSecret/ABCDEFGHIJKLMNOPQRSTUVWXYZ0123';
const SESSION = 'IQoJb3JpZ2luX2VjEnvSessionToken000000000000';
const envKeys: Environment = { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET };

function fp(env: Environment, files: SharedConfigTexts = {}): IdentityFingerprint {
  return identityFingerprint(env, files);
}

function lines(...text: string[]): string {
  return `${text.join('\n')}\n`;
}

/** Asserts the profile source and returns the hash. */
function profileHash(env: Environment, files: SharedConfigTexts): string {
  const result = fp(env, files);
  assert.equal(result.source, 'profile');
  return result.hash;
}

const staticDev: SharedConfigTexts = {
  credentials: lines('[dev]', 'aws_access_key_id = AKIADEV000000000001', 'aws_secret_access_key = devSecret'),
};

describe('identityFingerprint: stability and shape', () => {
  it('gives the same answer for the same inputs, call after call', () => {
    const files: SharedConfigTexts = {
      config: lines('[profile app]', 'role_arn = arn:aws:iam::111122223333:role/app', 'source_profile = base', 'region = us-east-1'),
      credentials: lines('[base]', 'aws_access_key_id = AKIABASE00000000001', 'aws_secret_access_key = s'),
    };
    for (const env of [envKeys, { AWS_PROFILE: 'app' }, { AWS_WEB_IDENTITY_TOKEN_FILE: '/t', AWS_ROLE_ARN: 'arn:r' }, { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/x' }, {}]) {
      const first = fp(env, files);
      const second = fp({ ...env }, { ...files });
      assert.deepEqual(second, first);
    }
  });

  it('returns only a source and a 32-hex-digit hash', () => {
    const result = fp(envKeys);
    assert.deepEqual(Object.keys(result).sort(), ['hash', 'source']);
    assert.match(result.hash, /^[0-9a-f]{32}$/);
  });

  it('gives different hashes to different sources', () => {
    const hashes = [
      fp(envKeys).hash,
      fp({ AWS_PROFILE: 'dev' }, staticDev).hash,
      fp({ AWS_WEB_IDENTITY_TOKEN_FILE: '/t', AWS_ROLE_ARN: 'arn:r' }).hash,
      fp({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/x' }).hash,
      fp({}).hash,
    ];
    assert.equal(new Set(hashes).size, hashes.length);
  });
});

describe('identityFingerprint: environment keys', () => {
  it('uses the environment keys when AWS_PROFILE is not set', () => {
    assert.equal(fp(envKeys).source, 'environment');
    assert.equal(fp({ ...envKeys, AWS_SESSION_TOKEN: SESSION }, staticDev).source, 'environment');
  });

  it('comes before a default profile in the shared files, as in the SDK', () => {
    const files = { credentials: lines('[default]', 'aws_access_key_id = AKIADEFAULT00000001', 'aws_secret_access_key = x') };
    assert.equal(fp(envKeys, files).source, 'environment');
    assert.deepEqual(fp(envKeys, files), fp(envKeys));
  });

  it('treats an empty AWS_PROFILE as not set, as the SDK does', () => {
    assert.deepEqual(fp({ ...envKeys, AWS_PROFILE: '' }), fp(envKeys));
  });

  it('gives another hash for another access key id', () => {
    assert.notEqual(fp({ ...envKeys, AWS_ACCESS_KEY_ID: 'AKIAENVKEY0000000002' }).hash, fp(envKeys).hash);
  });

  it('keeps the hash when the secret or the session token rotate under the same key id', () => {
    const base = fp({ ...envKeys, AWS_SESSION_TOKEN: SESSION });
    assert.deepEqual(fp({ ...envKeys, AWS_SECRET_ACCESS_KEY: 'rotatedSecret', AWS_SESSION_TOKEN: 'rotatedSession' }), base);
    assert.deepEqual(fp(envKeys), base);
  });

  it('needs both the key id and the secret, as the SDK does', () => {
    assert.equal(fp({ AWS_ACCESS_KEY_ID: KEY_ID }).source, 'instance-metadata');
    assert.equal(fp({ AWS_SECRET_ACCESS_KEY: SECRET }).source, 'instance-metadata');
    assert.deepEqual(fp({ AWS_ACCESS_KEY_ID: KEY_ID }), fp({}));
  });

  it('does not depend on unrelated variables', () => {
    assert.deepEqual(fp({ ...envKeys, AWS_REGION: 'eu-west-1', AWS_DEFAULT_OUTPUT: 'json', HOME: '/x' }), fp(envKeys));
  });

  it('never holds the key id, the secret or the session token in clear', () => {
    const json = JSON.stringify(fp({ ...envKeys, AWS_SESSION_TOKEN: SESSION }));
    for (const secret of [KEY_ID, SECRET, SESSION]) assert.ok(!json.includes(secret), `${secret} leaked`);
  });
});

describe('identityFingerprint: AWS_PROFILE together with environment keys', () => {
  it('uses the profile, not the environment keys (the SDK skips fromEnv when AWS_PROFILE is set)', () => {
    const result = fp({ ...envKeys, AWS_PROFILE: 'dev' }, staticDev);
    assert.equal(result.source, 'profile');
    assert.deepEqual(result, fp({ AWS_PROFILE: 'dev' }, staticDev));
  });

  it('ignores the environment key id then, whatever it is', () => {
    assert.deepEqual(
      fp({ ...envKeys, AWS_PROFILE: 'dev' }, staticDev),
      fp({ ...envKeys, AWS_ACCESS_KEY_ID: 'AKIAOTHERKEY00000009', AWS_PROFILE: 'dev' }, staticDev),
    );
  });

  it('falls past the environment keys even when the named profile does not exist', () => {
    const result = fp({ ...envKeys, AWS_PROFILE: 'ghost' }, staticDev);
    assert.equal(result.source, 'instance-metadata');
    assert.deepEqual(result, fp({ ...envKeys, AWS_ACCESS_KEY_ID: 'AKIAOTHERKEY00000009', AWS_PROFILE: 'ghost' }, staticDev));
  });
});

describe('identityFingerprint: profiles', () => {
  it('uses the default profile when AWS_PROFILE is not set', () => {
    const files = { credentials: lines('[default]', 'aws_access_key_id = AKIADEFAULT00000001', 'aws_secret_access_key = x') };
    assert.equal(fp({}, files).source, 'profile');
    assert.deepEqual(fp({ AWS_PROFILE: 'default' }, files), fp({}, files));
  });

  it('ignores AWS_DEFAULT_PROFILE, which the SDK v3 does not read (SPEC: AWS_PROFILE, else default)', () => {
    const files = {
      credentials: lines('[default]', 'aws_access_key_id = AKIADEFAULT00000001', 'aws_secret_access_key = x', '[other]', 'aws_access_key_id = AKIAOTHER0000000001', 'aws_secret_access_key = y'),
    };
    assert.deepEqual(fp({ AWS_DEFAULT_PROFILE: 'other' }, files), fp({}, files));
  });

  it('gives another hash when AWS_PROFILE names another profile', () => {
    const files = {
      credentials: lines('[a]', 'aws_access_key_id = AKIAAAAAAAAAAAAAAAA1', 'aws_secret_access_key = x', '[b]', 'aws_access_key_id = AKIABBBBBBBBBBBBBBB1', 'aws_secret_access_key = y'),
    };
    assert.notEqual(profileHash({ AWS_PROFILE: 'a' }, files), profileHash({ AWS_PROFILE: 'b' }, files));
  });

  it('gives another hash to another profile name even with identical settings', () => {
    const files = { credentials: lines('[a]', 'aws_access_key_id = AKIASAME000000000001', 'aws_secret_access_key = s', '[b]', 'aws_access_key_id = AKIASAME000000000001', 'aws_secret_access_key = s') };
    assert.notEqual(profileHash({ AWS_PROFILE: 'a' }, files), profileHash({ AWS_PROFILE: 'b' }, files));
  });

  const base = [
    '[profile app]',
    'role_arn = arn:aws:iam::111122223333:role/app',
    'source_profile = base',
    'external_id = ext-1',
    'region = us-east-1',
    'output = json',
    '[profile base]',
    'aws_access_key_id = AKIABASE00000000001',
    'aws_secret_access_key = baseSecret',
    '[profile other]',
    'aws_access_key_id = AKIAOTHER0000000001',
  ];
  const baseHash = (): string => profileHash({ AWS_PROFILE: 'app' }, { config: lines(...base) });
  const edited = (from: string, to: string): string => {
    const index = base.indexOf(from);
    assert.ok(index >= 0, from);
    const copy = [...base];
    copy[index] = to;
    return profileHash({ AWS_PROFILE: 'app' }, { config: lines(...copy) });
  };

  it('changes with role_arn, source_profile, external_id', () => {
    assert.notEqual(edited('role_arn = arn:aws:iam::111122223333:role/app', 'role_arn = arn:aws:iam::111122223333:role/admin'), baseHash());
    assert.notEqual(edited('source_profile = base', 'source_profile = other'), baseHash());
    assert.notEqual(edited('external_id = ext-1', 'external_id = ext-2'), baseHash());
  });

  it('changes with the source profile key id', () => {
    assert.notEqual(edited('aws_access_key_id = AKIABASE00000000001', 'aws_access_key_id = AKIABASE00000000002'), baseHash());
  });

  it('does not change with region, output, the source secret, or an unrelated profile', () => {
    assert.equal(edited('region = us-east-1', 'region = eu-central-1'), baseHash());
    assert.equal(edited('output = json', 'output = text'), baseHash());
    assert.equal(edited('aws_secret_access_key = baseSecret', 'aws_secret_access_key = rotated'), baseHash());
    assert.equal(edited('aws_access_key_id = AKIAOTHER0000000001', 'aws_access_key_id = AKIAOTHER0000000002'), baseHash());
  });

  it('does not change with the order of lines, comments or blank lines', () => {
    const reordered = lines(
      '# my profiles',
      '[profile other]',
      'aws_access_key_id = AKIAOTHER0000000001',
      '',
      '[profile base]',
      'aws_secret_access_key = baseSecret',
      'aws_access_key_id = AKIABASE00000000001',
      '[profile app]',
      'output = json',
      '; the role',
      'external_id = ext-1',
      'region = us-east-1',
      'source_profile = base',
      'role_arn = arn:aws:iam::111122223333:role/app',
    );
    assert.equal(profileHash({ AWS_PROFILE: 'app' }, { config: reordered }), baseHash());
  });

  it('for static keys: changes with the key id, not with the secret or session token', () => {
    const make = (keyId: string, secret: string, session: string): string =>
      profileHash({ AWS_PROFILE: 'k' }, { credentials: lines('[k]', `aws_access_key_id = ${keyId}`, `aws_secret_access_key = ${secret}`, `aws_session_token = ${session}`) });
    const one = make('AKIAKEY0000000000001', 's1', 't1');
    assert.equal(make('AKIAKEY0000000000001', 's2', 't2'), one);
    assert.notEqual(make('AKIAKEY0000000000002', 's1', 't1'), one);
  });

  it('changes with credential_source', () => {
    const make = (source: string): string =>
      profileHash({ AWS_PROFILE: 'r' }, { config: lines('[profile r]', 'role_arn = arn:aws:iam::1:role/r', `credential_source = ${source}`) });
    assert.notEqual(make('Ec2InstanceMetadata'), make('EcsContainer'));
    assert.notEqual(make('Ec2InstanceMetadata'), make('Environment'));
  });

  it('changes with credential_process', () => {
    const make = (command: string): string => profileHash({ AWS_PROFILE: 'p' }, { config: lines('[profile p]', `credential_process = ${command}`) });
    assert.notEqual(make('/usr/bin/creds --account a'), make('/usr/bin/creds --account b'));
  });

  it('changes with web_identity_token_file', () => {
    const make = (file: string): string =>
      profileHash({ AWS_PROFILE: 'w' }, { config: lines('[profile w]', 'role_arn = arn:aws:iam::1:role/w', `web_identity_token_file = ${file}`) });
    assert.notEqual(make('/var/run/a/token'), make('/var/run/b/token'));
  });

  it('changes with each legacy sso_* setting', () => {
    const settings = ['sso_start_url = https://a.awsapps.com/start', 'sso_region = us-east-1', 'sso_account_id = 111122223333', 'sso_role_name = Dev'];
    const make = (list: string[]): string => profileHash({ AWS_PROFILE: 's' }, { config: lines('[profile s]', ...list) });
    const original = make(settings);
    const variants = [
      'sso_start_url = https://b.awsapps.com/start',
      'sso_region = eu-west-1',
      'sso_account_id = 444455556666',
      'sso_role_name = Admin',
    ];
    variants.forEach((variant, index) => {
      const copy = [...settings];
      copy[index] = variant;
      assert.notEqual(make(copy), original, variant);
    });
  });

  it('changes with the sso_session name and with the contents of that [sso-session] section', () => {
    const make = (sessionName: string, startUrl: string, ssoRegion = 'us-east-1'): string =>
      profileHash(
        { AWS_PROFILE: 's' },
        {
          config: lines(
            '[profile s]',
            `sso_session = ${sessionName}`,
            'sso_account_id = 111122223333',
            'sso_role_name = Dev',
            `[sso-session ${sessionName}]`,
            `sso_start_url = ${startUrl}`,
            `sso_region = ${ssoRegion}`,
            '[sso-session unrelated]',
            'sso_start_url = https://zzz.awsapps.com/start',
          ),
        },
      );
    const original = make('corp', 'https://a.awsapps.com/start');
    assert.equal(make('corp', 'https://a.awsapps.com/start'), original);
    assert.notEqual(make('corp', 'https://b.awsapps.com/start'), original);
    assert.notEqual(make('corp', 'https://a.awsapps.com/start', 'eu-west-1'), original);
    assert.notEqual(make('corp2', 'https://a.awsapps.com/start'), original);
  });

  it('does not change with an unrelated [sso-session] section', () => {
    const make = (unrelatedUrl: string): string =>
      profileHash(
        { AWS_PROFILE: 's' },
        { config: lines('[profile s]', 'sso_session = corp', 'sso_role_name = Dev', '[sso-session corp]', 'sso_start_url = https://a/start', '[sso-session other]', `sso_start_url = ${unrelatedUrl}`) },
      );
    assert.equal(make('https://x/start'), make('https://y/start'));
  });

  it('follows a two-hop role chain down to the static keys', () => {
    const make = (innerKey: string, middleRole = 'arn:aws:iam::1:role/middle', innerSecret = 's'): string =>
      profileHash(
        { AWS_PROFILE: 'top' },
        {
          config: lines('[profile top]', 'role_arn = arn:aws:iam::1:role/top', 'source_profile = middle', '[profile middle]', `role_arn = ${middleRole}`, 'source_profile = inner'),
          credentials: lines('[inner]', `aws_access_key_id = ${innerKey}`, `aws_secret_access_key = ${innerSecret}`),
        },
      );
    const original = make('AKIAINNER0000000001');
    assert.notEqual(make('AKIAINNER0000000002'), original);
    assert.notEqual(make('AKIAINNER0000000001', 'arn:aws:iam::1:role/middle2'), original);
    assert.equal(make('AKIAINNER0000000001', 'arn:aws:iam::1:role/middle', 'rotated'), original);
  });

  it('ends on a source_profile loop, deterministically', () => {
    const files = {
      config: lines('[profile a]', 'role_arn = arn:aws:iam::1:role/a', 'source_profile = b', '[profile b]', 'role_arn = arn:aws:iam::1:role/b', 'source_profile = a'),
    };
    const first = fp({ AWS_PROFILE: 'a' }, files);
    assert.equal(first.source, 'profile');
    assert.deepEqual(fp({ AWS_PROFILE: 'a' }, files), first);
    assert.notEqual(fp({ AWS_PROFILE: 'b' }, files).hash, first.hash);
  });

  it('ends on a profile that is its own source_profile', () => {
    const make = (keyId: string): IdentityFingerprint =>
      fp({ AWS_PROFILE: 'self' }, { config: lines('[profile self]', 'role_arn = arn:aws:iam::1:role/self', 'source_profile = self', `aws_access_key_id = ${keyId}`) });
    assert.equal(make('AKIASELF000000000001').source, 'profile');
    assert.notEqual(make('AKIASELF000000000001').hash, make('AKIASELF000000000002').hash);
  });

  it('still describes a role whose source_profile does not exist', () => {
    const files = { config: lines('[profile r]', 'role_arn = arn:aws:iam::1:role/r', 'source_profile = missing') };
    assert.deepEqual(fp({ AWS_PROFILE: 'r' }, files), fp({ AWS_PROFILE: 'r' }, files));
    assert.equal(fp({ AWS_PROFILE: 'r' }, files).source, 'profile');
  });

  it('lets the credentials file override the config file key by key for the same profile', () => {
    const both = {
      config: lines('[profile x]', 'aws_access_key_id = AKIACONFIG000000001', 'region = us-east-1'),
      credentials: lines('[x]', 'aws_access_key_id = AKIACREDS0000000001', 'aws_secret_access_key = s'),
    };
    const credentialsOnly = { credentials: lines('[x]', 'aws_access_key_id = AKIACREDS0000000001', 'aws_secret_access_key = s') };
    assert.equal(profileHash({ AWS_PROFILE: 'x' }, both), profileHash({ AWS_PROFILE: 'x' }, credentialsOnly));
    // The overridden config value no longer matters.
    const bothEdited = { ...both, config: lines('[profile x]', 'aws_access_key_id = AKIACONFIG000000002') };
    assert.equal(profileHash({ AWS_PROFILE: 'x' }, bothEdited), profileHash({ AWS_PROFILE: 'x' }, both));
  });

  it('merges settings from both files for one profile', () => {
    const split = {
      config: lines('[profile x]', 'role_arn = arn:aws:iam::1:role/x'),
      credentials: lines('[x]', 'source_profile = base', '[base]', 'aws_access_key_id = AKIABASE00000000001'),
    };
    const together = { config: lines('[profile x]', 'role_arn = arn:aws:iam::1:role/x', 'source_profile = base', '[profile base]', 'aws_access_key_id = AKIABASE00000000001') };
    assert.equal(profileHash({ AWS_PROFILE: 'x' }, split), profileHash({ AWS_PROFILE: 'x' }, together));
  });

  it('reads [profile x] in config and [x] in credentials as the same profile', () => {
    const settings = ['aws_access_key_id = AKIASAME000000000001', 'aws_secret_access_key = s'];
    const inConfig = profileHash({ AWS_PROFILE: 'x' }, { config: lines('[profile x]', ...settings) });
    const inCredentials = profileHash({ AWS_PROFILE: 'x' }, { credentials: lines('[x]', ...settings) });
    assert.equal(inConfig, inCredentials);
  });

  it('reads [default] and [profile default] in config as the default profile', () => {
    const plainDefault = profileHash({}, { config: lines('[default]', 'aws_access_key_id = AKIADEF0000000000001', 'aws_secret_access_key = s') });
    const prefixed = profileHash({}, { config: lines('[profile default]', 'aws_access_key_id = AKIADEF0000000000001', 'aws_secret_access_key = s') });
    assert.equal(plainDefault, prefixed);
  });

  it('ignores [x] without the profile prefix in config, and [profile x] in credentials, as the SDK does', () => {
    assert.deepEqual(fp({ AWS_PROFILE: 'x' }, { config: lines('[x]', 'aws_access_key_id = AKIAX00000000000001') }), fp({ AWS_PROFILE: 'x' }));
    assert.deepEqual(fp({ AWS_PROFILE: 'x' }, { credentials: lines('[profile x]', 'aws_access_key_id = AKIAX00000000000001') }), fp({ AWS_PROFILE: 'x' }));
  });

  it('ignores a config [profile  x] header with two spaces, as the SDK does', () => {
    const spaced = fp({ AWS_PROFILE: 'x' }, { config: lines('[profile  x]', 'aws_access_key_id = AKIAX00000000000001') });
    assert.notEqual(spaced.source, 'profile');
  });

  it('reads a quoted profile name in a config header, as the SDK does', () => {
    const quoted = fp({ AWS_PROFILE: 'x' }, { config: lines('[profile "x"]', 'aws_access_key_id = AKIAX00000000000001') });
    const normal = fp({ AWS_PROFILE: 'x' }, { config: lines('[profile x]', 'aws_access_key_id = AKIAX00000000000001') });
    assert.deepEqual(quoted, normal);
  });

  it('reads an indented setting after a key with a value as a setting of its own, as the SDK does', () => {
    // The SDK's INI parser opens a nested block only after a key with an empty value (`s3 =`);
    // otherwise indentation means nothing to it, and it assumes this role.
    const make = (role: string): IdentityFingerprint =>
      fp({ AWS_PROFILE: 'ind' }, { config: lines('[profile ind]', 'region = us-east-1', `  role_arn = ${role}`, '  credential_source = Ec2InstanceMetadata') });
    assert.equal(make('arn:aws:iam::1:role/a').source, 'profile');
    assert.notEqual(make('arn:aws:iam::1:role/a').hash, make('arn:aws:iam::1:role/b').hash);
  });

  it('never holds key ids or secrets from the files in clear', () => {
    const files = {
      config: lines('[profile app]', 'role_arn = arn:aws:iam::1:role/app', 'source_profile = base'),
      credentials: lines('[base]', 'aws_access_key_id = AKIAFILEKEY00000001', 'aws_secret_access_key = fileSecret123', 'aws_session_token = fileSession123'),
    };
    const json = JSON.stringify(fp({ AWS_PROFILE: 'app' }, files));
    for (const secret of ['AKIAFILEKEY00000001', 'fileSecret123', 'fileSession123', 'arn:aws:iam::1:role/app']) assert.ok(!json.includes(secret), secret);
  });
});

describe('identityFingerprint: falling through a profile that cannot give credentials', () => {
  const webEnv: Environment = { AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token', AWS_ROLE_ARN: 'arn:aws:iam::1:role/web' };

  it('falls through when the profile does not exist', () => {
    const result = fp({ ...webEnv, AWS_PROFILE: 'ghost' }, staticDev);
    assert.equal(result.source, 'web-identity');
    assert.deepEqual(result, fp(webEnv));
  });

  it('falls through when the profile holds only region and output', () => {
    const files = { config: lines('[default]', 'region = us-east-1', 'output = json', '[profile r]', 'region = eu-west-1') };
    assert.equal(fp({}, files).source, 'instance-metadata');
    assert.deepEqual(fp({}, files), fp({}));
    assert.deepEqual(fp({ ...webEnv, AWS_PROFILE: 'r' }, files), fp(webEnv));
    assert.deepEqual(fp({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/c' }, files), fp({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/c' }));
  });

  it('falls through when the profile holds only a secret or a session token', () => {
    const files = { credentials: lines('[default]', 'aws_secret_access_key = s', 'aws_session_token = t') };
    assert.equal(fp({}, files).source, 'instance-metadata');
  });
});

describe('identityFingerprint: web identity, container, instance metadata', () => {
  const webEnv: Environment = { AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token', AWS_ROLE_ARN: 'arn:aws:iam::1:role/web' };

  it('uses web identity from the environment when both variables are set', () => {
    assert.equal(fp(webEnv).source, 'web-identity');
    assert.equal(fp({ AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token' }).source, 'instance-metadata');
    assert.equal(fp({ AWS_ROLE_ARN: 'arn:aws:iam::1:role/web' }).source, 'instance-metadata');
  });

  it('changes with the role ARN and with the token file path', () => {
    assert.notEqual(fp({ ...webEnv, AWS_ROLE_ARN: 'arn:aws:iam::1:role/other' }).hash, fp(webEnv).hash);
    assert.notEqual(fp({ ...webEnv, AWS_WEB_IDENTITY_TOKEN_FILE: '/other/token' }).hash, fp(webEnv).hash);
  });

  it('comes after environment keys and the profile, before the container', () => {
    assert.equal(fp({ ...webEnv, ...envKeys }).source, 'environment');
    assert.equal(fp({ ...webEnv, AWS_PROFILE: 'dev' }, staticDev).source, 'profile');
    assert.equal(fp({ ...webEnv, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/c' }).source, 'web-identity');
  });

  it('uses the container credentials URI, before instance metadata', () => {
    assert.equal(fp({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/abc' }).source, 'container');
    assert.equal(fp({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:9911/creds' }).source, 'container');
  });

  it('changes with the container URI', () => {
    assert.notEqual(fp({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/a' }).hash, fp({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/b' }).hash);
    assert.notEqual(fp({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1/a' }).hash, fp({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1/b' }).hash);
  });

  it('lets the relative URI decide when both container URIs are set, as the SDK does', () => {
    const full = 'http://127.0.0.1:9911/creds';
    assert.notEqual(
      fp({ AWS_CONTAINER_CREDENTIALS_FULL_URI: full, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/task-a' }).hash,
      fp({ AWS_CONTAINER_CREDENTIALS_FULL_URI: full, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/task-b' }).hash,
    );
  });

  it('uses instance metadata when nothing else is configured', () => {
    assert.equal(fp({}).source, 'instance-metadata');
    assert.equal(fp({}, { config: '', credentials: '' }).source, 'instance-metadata');
    assert.deepEqual(fp({}, { config: lines('[profile unrelated]', 'aws_access_key_id = AKIAUNRELATED0000001') }), fp({}));
  });
});

describe('identityFingerprint: profiles the SDK passes over, or may fall through from', () => {
  const webEnv: Environment = { AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token', AWS_ROLE_ARN: 'arn:aws:iam::1:role/web' };

  it('passes over a profile with a key id but no secret, as the SDK does (it is not a static profile)', () => {
    const files = { credentials: lines('[k]', 'aws_access_key_id = AKIAKEYONLY00000001') };
    assert.deepEqual(fp({ AWS_PROFILE: 'k' }, files), fp({}));
    assert.deepEqual(fp({ ...webEnv, AWS_PROFILE: 'k' }, files), fp(webEnv));
  });

  it('a self-referencing source_profile with static keys is a role on those keys, as the SDK resolves it', () => {
    const make = (keyId: string): IdentityFingerprint =>
      fp({ AWS_PROFILE: 'self' }, { config: lines('[profile self]', 'role_arn = arn:aws:iam::1:role/self', 'source_profile = self', `aws_access_key_id = ${keyId}`, 'aws_secret_access_key = s') });
    assert.equal(make('AKIASELF000000000001').source, 'profile');
    assert.notEqual(make('AKIASELF000000000001').hash, make('AKIASELF000000000002').hash);
  });

  it('a role on static keys cannot fall through: the fallback sources do not change its hash', () => {
    const files = {
      config: lines('[profile r]', 'role_arn = arn:aws:iam::1:role/r', 'source_profile = base'),
      credentials: lines('[base]', 'aws_access_key_id = AKIABASE00000000001', 'aws_secret_access_key = s'),
    };
    const alone = profileHash({ AWS_PROFILE: 'r' }, files);
    assert.equal(profileHash({ ...webEnv, AWS_PROFILE: 'r' }, files), alone);
    assert.equal(profileHash({ AWS_PROFILE: 'r', AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:1' }, files), alone);
  });

  it('a role whose source may fail softly also names what the SDK would go on to', () => {
    // A missing source profile, a credential_process, or a credential_source that gives nothing:
    // the SDK then asks web identity, container, metadata. Whichever answers, the hash differs.
    const cases = [
      { config: lines('[profile r]', 'role_arn = arn:aws:iam::1:role/r', 'source_profile = missing') },
      { config: lines('[profile r]', 'credential_process = /bin/creds') },
      { config: lines('[profile r]', 'role_arn = arn:aws:iam::1:role/r', 'credential_source = Ec2InstanceMetadata') },
      { config: lines('[profile r]', 'role_arn = arn:aws:iam::1:role/r', 'source_profile = p', '[profile p]', 'credential_process = /bin/creds') },
    ];
    for (const files of cases) {
      const hashes = [
        profileHash({ AWS_PROFILE: 'r' }, files),
        profileHash({ ...webEnv, AWS_PROFILE: 'r' }, files),
        profileHash({ ...webEnv, AWS_ROLE_ARN: 'arn:aws:iam::1:role/other', AWS_PROFILE: 'r' }, files),
        profileHash({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:1/c', AWS_PROFILE: 'r' }, files),
      ];
      assert.equal(new Set(hashes).size, hashes.length, files.config);
    }
  });

  it('credential_source names its source: the environment key id, the container URI, the metadata endpoint', () => {
    const role = (source: string): SharedConfigTexts => ({ config: lines('[profile r]', 'role_arn = arn:aws:iam::1:role/r', `credential_source = ${source}`) });
    const env = (keyId: string): Environment => ({ AWS_PROFILE: 'r', AWS_ACCESS_KEY_ID: keyId, AWS_SECRET_ACCESS_KEY: 'x' });
    assert.notEqual(profileHash(env('AKIAENV1'), role('Environment')), profileHash(env('AKIAENV2'), role('Environment')));
    assert.equal(profileHash({ ...env('AKIAENV1'), AWS_SECRET_ACCESS_KEY: 'rotated' }, role('Environment')), profileHash(env('AKIAENV1'), role('Environment')));
    assert.notEqual(
      profileHash({ AWS_PROFILE: 'r', AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:1/a' }, role('EcsContainer')),
      profileHash({ AWS_PROFILE: 'r', AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:1/b' }, role('EcsContainer')),
    );
    assert.notEqual(
      profileHash({ AWS_PROFILE: 'r', AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:1' }, role('Ec2InstanceMetadata')),
      profileHash({ AWS_PROFILE: 'r', AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:2' }, role('Ec2InstanceMetadata')),
    );
  });

  it('never holds the environment key id of a credential_source = Environment profile in clear', () => {
    const json = JSON.stringify(fp({ AWS_PROFILE: 'r', ...envKeys }, { config: lines('[profile r]', 'role_arn = arn:aws:iam::1:role/r', 'credential_source = Environment') }));
    assert.ok(!json.includes(KEY_ID));
  });

  it('gives every source of the issue-4 matrix its own hash', () => {
    const config = lines(
      '[profile static]', 'aws_access_key_id = AKIASTATIC00000001', 'aws_secret_access_key = s',
      '[profile role]', 'role_arn = arn:aws:iam::1:role/role', 'source_profile = static',
      '[profile hop]', 'role_arn = arn:aws:iam::1:role/hop', 'source_profile = role',
      '[profile envrole]', 'role_arn = arn:aws:iam::1:role/envrole', 'credential_source = Environment',
      '[profile process]', 'credential_process = /bin/creds',
      '[profile web]', 'role_arn = arn:aws:iam::1:role/web', 'web_identity_token_file = /t',
      '[profile sso]', 'sso_session = corp', 'sso_account_id = 111122223333', 'sso_role_name = R',
      '[sso-session corp]', 'sso_start_url = https://a/start', 'sso_region = us-east-1',
    );
    const hashes = [
      fp(envKeys).hash,
      ...['static', 'role', 'hop', 'envrole', 'process', 'web', 'sso'].map((name) => profileHash({ ...envKeys, AWS_PROFILE: name }, { config })),
      fp(webEnv).hash,
      fp({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:1/c' }).hash,
      fp({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:1' }).hash,
    ];
    assert.equal(new Set(hashes).size, hashes.length);
  });
});

describe('identityFingerprint: [default] and [profile default] in the config file, merged as the SDK merges them', () => {
  const keys = (id: string): string[] => [`aws_access_key_id = ${id}`, 'aws_secret_access_key = s'];
  const plain = ['[default]', ...keys('AKIAPLAINDEFAULT0001')];
  const prefixed = ['[profile default]', ...keys('AKIAPREFIXEDDEFAULT1')];
  const prefixedOnly = (): string => profileHash({}, { config: lines(...prefixed) });

  it('[profile default] wins, whichever of the two comes first', () => {
    assert.equal(profileHash({}, { config: lines(...plain, ...prefixed) }), prefixedOnly());
    assert.equal(profileHash({}, { config: lines(...prefixed, ...plain) }), prefixedOnly());
  });

  it('[profile default] replaces [default] whole: not one setting of [default] is kept', () => {
    const role = ['[default]', 'role_arn = arn:aws:iam::1:role/plain', 'credential_source = Environment'];
    assert.equal(profileHash({}, { config: lines(...role, ...prefixed) }), prefixedOnly());
    assert.equal(profileHash({}, { config: lines(...prefixed, ...role) }), prefixedOnly());
  });

  it('keeps [default] when [profile default] holds no setting', () => {
    const plainOnly = profileHash({}, { config: lines(...plain) });
    assert.equal(profileHash({}, { config: lines('[profile default]', ...plain) }), plainOnly);
    assert.equal(profileHash({}, { config: lines(...plain, '[profile default]') }), plainOnly);
  });

  it('lets [default] of the credentials file win key by key over either', () => {
    const credentials = lines('[default]', 'aws_access_key_id = AKIACREDSDEFAULT0001');
    const expected = profileHash({}, { config: lines('[profile default]', 'aws_access_key_id = AKIACREDSDEFAULT0001', 'aws_secret_access_key = s') });
    assert.equal(profileHash({}, { config: lines(...plain, ...prefixed), credentials }), expected);
    assert.equal(profileHash({}, { config: lines(...prefixed, ...plain), credentials }), expected);
  });
});

describe('identityFingerprint: role chains of any depth, as the SDK follows them', () => {
  const container: Environment = { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:1/task-a' };
  const otherContainer: Environment = { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:1/task-b' };
  /** p0 assumes r0 from p1, … p(depth-1) assumes its role from p(depth), which holds `leaf`. */
  function chain(depth: number, leaf: string[]): SharedConfigTexts {
    const text: string[] = [];
    for (let index = 0; index < depth; index += 1) {
      text.push(`[profile p${index}]`, `role_arn = arn:aws:iam::1:role/r${index}`, `source_profile = p${index + 1}`);
    }
    if (leaf.length > 0) text.push(`[profile p${depth}]`, ...leaf);
    return { config: lines(...text) };
  }
  const staticLeaf = ['aws_access_key_id = AKIALEAF000000000001', 'aws_secret_access_key = s'];

  for (const depth of [1, 10, 11, 12, 40]) {
    it(`depth ${depth}: a chain ending in keys cannot fall through; one ending in a missing profile can`, () => {
      const withKeys = chain(depth, staticLeaf);
      const missing = chain(depth, []);
      const env: Environment = { AWS_PROFILE: 'p0' };
      // The SDK assumes r0 from the leaf keys, whatever the later sources say…
      assert.equal(profileHash({ ...env, ...container }, withKeys), profileHash({ ...env, ...otherContainer }, withKeys));
      // …and goes on to the container when the far end is missing: another identity each time.
      assert.notEqual(profileHash({ ...env, ...container }, missing), profileHash({ ...env, ...otherContainer }, missing));
      assert.notEqual(profileHash({ ...env, ...container }, withKeys), profileHash({ ...env, ...container }, missing));
    });
  }

  it('changes with the key at the far end of a deep chain', () => {
    const make = (keyId: string): string => profileHash({ AWS_PROFILE: 'p0' }, chain(25, [`aws_access_key_id = ${keyId}`, 'aws_secret_access_key = s']));
    assert.notEqual(make('AKIALEAF000000000001'), make('AKIALEAF000000000002'));
  });

  it('walks a chain of 20,000 profiles without running out of stack', () => {
    const files = chain(20_000, staticLeaf);
    assert.equal(fp({ AWS_PROFILE: 'p0' }, files).source, 'profile');
    assert.notEqual(profileHash({ AWS_PROFILE: 'p0' }, files), profileHash({ AWS_PROFILE: 'p1' }, files));
  });
});

describe('identityFingerprint: profile names every JavaScript object inherits, as the SDK reads them', () => {
  const keys = ['aws_access_key_id = AKIAOBJECTNAME000001', 'aws_secret_access_key = s'];
  const container = (path: string): Environment => ({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:1/${path}` });

  it('a source_profile named constructor or toString is a cycle to the SDK, so the chain may fall through', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      const files = { config: lines('[profile r]', 'role_arn = arn:aws:iam::1:role/r', `source_profile = ${name}`, `[profile ${name}]`, ...keys) };
      assert.notEqual(profileHash({ AWS_PROFILE: 'r', ...container('a') }, files), profileHash({ AWS_PROFILE: 'r', ...container('b') }, files), name);
    }
  });

  it('a profile named toString or constructor holding keys is passed over, as the SDK passes it over', () => {
    for (const name of ['constructor', 'toString', 'valueOf']) {
      assert.deepEqual(fp({ AWS_PROFILE: name, ...container('a') }, { credentials: lines(`[${name}]`, ...keys) }), fp(container('a')), name);
      assert.deepEqual(fp({ AWS_PROFILE: name, ...container('a') }, { config: lines(`[profile ${name}]`, ...keys) }), fp(container('a')), name);
    }
  });

  it('an SSO profile named constructor is still an identity of its own, and may fall through', () => {
    const files = (role: string): SharedConfigTexts => ({ config: lines('[profile constructor]', 'sso_start_url = https://a/start', 'sso_account_id = 1', `sso_role_name = ${role}`, 'sso_region = us-east-1') });
    const env = { AWS_PROFILE: 'constructor', ...container('a') };
    assert.equal(fp(env, files('A')).source, 'profile');
    assert.notEqual(profileHash(env, files('A')), profileHash(env, files('B')));
    assert.notEqual(profileHash(env, files('A')), profileHash({ AWS_PROFILE: 'constructor', ...container('b') }, files('A')));
  });

  it('reads a file with a [__proto__] or [profile __proto__] header as empty, as the SDK does', () => {
    const credentials = lines('[a]', ...keys);
    assert.equal(fp({ AWS_PROFILE: 'a' }, { credentials }).source, 'profile');
    assert.deepEqual(fp({ AWS_PROFILE: 'a' }, { credentials: `${credentials}[__proto__]\nx = 1\n` }), fp({}));
    assert.deepEqual(fp({ AWS_PROFILE: 'a' }, { config: lines('[profile a]', ...keys, '[profile __proto__]', 'x = 1') }), fp({}));
  });
});
