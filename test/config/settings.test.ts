import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dockerConfigFile, readSettings } from '../../src/config/settings';

describe('readSettings', () => {
  it('defaults to ~/.ecr, cache on, storage not ignored, level info', () => {
    assert.deepEqual(readSettings({}, '/home/u'), {
      cacheDir: '/home/u/.ecr',
      logDir: '/home/u/.ecr/log',
      cacheDisabled: false,
      ignoreCredsStorage: false,
      logLevel: 'info',
      settingsFile: '/home/u/.ecr/config.json',
    });
  });
  it('reads the AWS_ECR_* variables', () => {
    const settings = readSettings(
      { AWS_ECR_CACHE_DIR: '/var/cache/ecr', AWS_ECR_DISABLE_CACHE: '1', AWS_ECR_IGNORE_CREDS_STORAGE: 'TRUE', AWS_ECR_LOG_LEVEL: 'trace', AWS_ECR_CONFIG: '/etc/ecr-login.json' },
      '/home/u',
    );
    assert.deepEqual(settings, {
      cacheDir: '/var/cache/ecr',
      logDir: '/var/cache/ecr/log',
      cacheDisabled: true,
      ignoreCredsStorage: true,
      logLevel: 'trace',
      settingsFile: '/etc/ecr-login.json',
    });
  });
  it('treats empty values as unset and unknown levels as info', () => {
    const settings = readSettings({ AWS_ECR_CACHE_DIR: '', AWS_ECR_DISABLE_CACHE: '', AWS_ECR_IGNORE_CREDS_STORAGE: 'yes', AWS_ECR_LOG_LEVEL: 'loud', AWS_ECR_CONFIG: ' ' }, '/h');
    assert.equal(settings.cacheDir, '/h/.ecr');
    assert.equal(settings.settingsFile, '/h/.ecr/config.json');
    assert.equal(settings.cacheDisabled, false);
    assert.equal(settings.ignoreCredsStorage, false);
    assert.equal(settings.logLevel, 'info');
  });
});

describe('dockerConfigFile', () => {
  it('is $DOCKER_CONFIG/config.json, else ~/.docker/config.json', () => {
    assert.equal(dockerConfigFile({}, '/home/u'), '/home/u/.docker/config.json');
    assert.equal(dockerConfigFile({ DOCKER_CONFIG: '/etc/docker-client' }, '/home/u'), '/etc/docker-client/config.json');
    assert.equal(dockerConfigFile({ DOCKER_CONFIG: '' }, '/home/u'), '/home/u/.docker/config.json');
  });
});
