import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeCredentialSources, sharedConfigFiles } from '../../src/identity/credential-sources';

const HOME = '/home/u';

describe('describeCredentialSources: what the chain tries, in its order', () => {
  it('the four steps, with the metadata endpoint it will call', () => {
    assert.deepEqual(describeCredentialSources({}, HOME), [
      'environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY',
      'profile "default" in /home/u/.aws/credentials and /home/u/.aws/config',
      'web identity (AWS_WEB_IDENTITY_TOKEN_FILE)',
      'EC2 instance metadata at http://169.254.169.254',
    ]);
  });

  it('says the environment keys were skipped when AWS_PROFILE is set, as the SDK does', () => {
    assert.match(describeCredentialSources({ AWS_PROFILE: 'x' }, HOME)[0] ?? '', /\(skipped: AWS_PROFILE is set\)$/);
  });

  it('names an overridden or IPv6 metadata endpoint, or that it is disabled', () => {
    assert.equal(describeCredentialSources({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' }, HOME)[3], 'EC2 instance metadata at http://127.0.0.1:9');
    assert.equal(describeCredentialSources({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' }, HOME)[3], 'EC2 instance metadata at http://[fd00:ec2::254]');
    assert.equal(describeCredentialSources({ AWS_EC2_METADATA_DISABLED: 'true' }, HOME)[3], 'EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)');
    assert.equal(describeCredentialSources({ AWS_EC2_METADATA_DISABLED: 'false' }, HOME)[3], 'EC2 instance metadata at http://169.254.169.254');
  });

  it('names the container endpoint instead of metadata when one is configured, with why it gave nothing', () => {
    assert.equal(describeCredentialSources({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/abc' }, HOME)[3], 'container credentials at http://169.254.170.2/v2/credentials/abc');
    assert.equal(
      describeCredentialSources({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:1/c' }, HOME, undefined, { container: 'connect ECONNREFUSED' })[3],
      'container credentials at http://127.0.0.1:1/c (connect ECONNREFUSED)',
    );
  });

  it('with the files: a profile with no credentials, or one that gave none, or why', () => {
    const files = { credentials: '[static]\naws_access_key_id = A\naws_secret_access_key = s\n', config: '[profile keyonly]\naws_access_key_id = A\n' };
    assert.match(describeCredentialSources({ AWS_PROFILE: 'missing' }, HOME, files)[1] ?? '', /\(no credentials there\)$/);
    assert.match(describeCredentialSources({ AWS_PROFILE: 'keyonly' }, HOME, files)[1] ?? '', /\(no credentials there\)$/);
    assert.match(describeCredentialSources({ AWS_PROFILE: 'static' }, HOME, files)[1] ?? '', /\(gave no credentials\)$/);
    assert.match(describeCredentialSources({ AWS_PROFILE: 'static' }, HOME, files, { profile: 'its credential_process failed' })[1] ?? '', /\(its credential_process failed\)$/);
  });

  it('says when web identity is half configured', () => {
    assert.equal(describeCredentialSources({ AWS_WEB_IDENTITY_TOKEN_FILE: '/t' }, HOME)[2], 'web identity (AWS_WEB_IDENTITY_TOKEN_FILE is set, AWS_ROLE_ARN is not)');
  });
});

describe('sharedConfigFiles', () => {
  it('the variables win, and ~/ in them is the home directory, as in the SDK', () => {
    assert.deepEqual(sharedConfigFiles({}, HOME), { config: '/home/u/.aws/config', credentials: '/home/u/.aws/credentials' });
    assert.deepEqual(sharedConfigFiles({ AWS_CONFIG_FILE: '~/c', AWS_SHARED_CREDENTIALS_FILE: '/etc/aws/k' }, HOME), { config: '/home/u/c', credentials: '/etc/aws/k' });
  });

  it('takes the variables as given, spaces and all, as the SDK does (it does not trim them)', () => {
    assert.deepEqual(sharedConfigFiles({ AWS_CONFIG_FILE: ' /etc/aws/c ', AWS_SHARED_CREDENTIALS_FILE: ' ' }, HOME), { config: ' /etc/aws/c ', credentials: ' ' });
    assert.deepEqual(sharedConfigFiles({ AWS_CONFIG_FILE: '', AWS_SHARED_CREDENTIALS_FILE: '' }, HOME), sharedConfigFiles({}, HOME));
  });
});
