import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readSettings } from '../../src/config/settings';

describe('readSettings', () => {
  it('defaults to ~/.ecr, cache on, storage not ignored, level info', () => {
    assert.deepEqual(readSettings({}, '/home/u'), {
      cacheDir: '/home/u/.ecr',
      logDir: '/home/u/.ecr/log',
      cacheDisabled: false,
      ignoreCredsStorage: false,
      logLevel: 'info',
    });
  });
  it('reads the AWS_ECR_* variables', () => {
    const settings = readSettings(
      { AWS_ECR_CACHE_DIR: '/var/cache/ecr', AWS_ECR_DISABLE_CACHE: '1', AWS_ECR_IGNORE_CREDS_STORAGE: 'TRUE', AWS_ECR_LOG_LEVEL: 'trace' },
      '/home/u',
    );
    assert.deepEqual(settings, { cacheDir: '/var/cache/ecr', logDir: '/var/cache/ecr/log', cacheDisabled: true, ignoreCredsStorage: true, logLevel: 'trace' });
  });
  it('treats empty values as unset and unknown levels as info', () => {
    const settings = readSettings({ AWS_ECR_CACHE_DIR: '', AWS_ECR_DISABLE_CACHE: '', AWS_ECR_IGNORE_CREDS_STORAGE: 'yes', AWS_ECR_LOG_LEVEL: 'loud' }, '/h');
    assert.equal(settings.cacheDir, '/h/.ecr');
    assert.equal(settings.cacheDisabled, false);
    assert.equal(settings.ignoreCredsStorage, false);
    assert.equal(settings.logLevel, 'info');
  });
  it('AWS_ECR_ROLE_ARN: the kubelet role for service account tokens whose annotations name none', () => {
    assert.equal(readSettings({ AWS_ECR_ROLE_ARN: ' arn:aws:iam::111122223333:role/pull ' }, '/h').podRoleArn, 'arn:aws:iam::111122223333:role/pull');
    assert.equal(readSettings({ AWS_ECR_ROLE_ARN: '  ' }, '/h').podRoleArn, undefined);
  });
});
