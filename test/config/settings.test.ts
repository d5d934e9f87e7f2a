import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'node:test';
import { cacheDirectory, dockerConfigFile, homeDirectory, readSettings } from '../../src/config/settings';

describe('readSettings', () => {
  it('defaults to ~/.ecr, cache on, storage not ignored, level info', () => {
    assert.deepEqual(readSettings({}, '/home/u'), {
      cacheDir: '/home/u/.ecr',
      logDir: '/home/u/.ecr/log',
      cacheDisabled: false,
      ignoreCredsStorage: false,
      logLevel: 'info',
      notices: [],
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
      notices: [],
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
  it('AWS_ECR_ROLE_ARN: the kubelet role for service account tokens whose annotations name none', () => {
    assert.equal(readSettings({ AWS_ECR_ROLE_ARN: ' arn:aws:iam::111122223333:role/pull ' }, '/h').podRoleArn, 'arn:aws:iam::111122223333:role/pull');
    assert.equal(readSettings({ AWS_ECR_ROLE_ARN: '  ' }, '/h').podRoleArn, undefined);
  });

  it('refuses a relative AWS_ECR_CACHE_DIR: no cache, no log, and one line saying why', () => {
    for (const relative of ['cache', './cache', '~/.ecr', '.ecr']) {
      const settings = readSettings({ AWS_ECR_CACHE_DIR: relative }, '/home/u');
      assert.equal(settings.cacheDisabled, true, relative);
      assert.equal(settings.cacheDir, undefined, relative);
      assert.equal(settings.logDir, undefined, relative);
      assert.deepEqual(settings.notices, [`AWS_ECR_CACHE_DIR must be an absolute path, not ${JSON.stringify(relative)}: running without a cache or log`]);
    }
  });

  it('without a home works in AWS_ECR_CACHE_DIR, silently', () => {
    const settings = readSettings({ AWS_ECR_CACHE_DIR: '/var/lib/ecr' }, undefined);
    assert.deepEqual([settings.cacheDisabled, settings.cacheDir, settings.logDir, settings.notices], [false, '/var/lib/ecr', '/var/lib/ecr/log', []]);
  });

  it('without a home or AWS_ECR_CACHE_DIR runs uncached and says how to fix it', () => {
    const settings = readSettings({}, undefined);
    assert.deepEqual([settings.cacheDisabled, settings.cacheDir, settings.logDir], [true, undefined, undefined]);
    assert.equal(settings.notices.length, 1);
    assert.match(settings.notices[0] ?? '', /^no home directory .*running without a cache or log; set AWS_ECR_CACHE_DIR to an absolute path$/);
    assert.equal(settings.settingsFile, '/nonexistent/.ecr/config.json', 'never a settings file relative to the working directory');
  });

  it('never keeps ~/.ecr under a relative HOME', () => {
    const settings = readSettings({}, 'home');
    assert.equal(settings.cacheDir, undefined);
    assert.match(settings.notices[0] ?? '', /^HOME is not an absolute path \("home"\)/);
  });
});

describe('homeDirectory', () => {
  const noPasswd = (): undefined => undefined;
  it('is HOME when set, without asking the passwd database', () => {
    assert.equal(homeDirectory({ HOME: '/home/u' }, () => assert.fail('passwd looked up')), '/home/u');
  });
  it('falls back to USERPROFILE, then the passwd entry, as the AWS SDK does', () => {
    assert.equal(homeDirectory({ HOME: '', USERPROFILE: '/profile' }, noPasswd), '/profile');
    assert.equal(homeDirectory({}, () => '/from/passwd'), '/from/passwd');
  });
  it('is undefined for a user with neither HOME nor a passwd entry', () => {
    assert.equal(homeDirectory({ HOME: ' ' }, noPasswd), undefined);
  });
});

describe('dockerConfigFile', () => {
  it('is $DOCKER_CONFIG/config.json, else ~/.docker/config.json', () => {
    assert.equal(dockerConfigFile({}, '/home/u'), '/home/u/.docker/config.json');
    assert.equal(dockerConfigFile({ DOCKER_CONFIG: '/etc/docker-client' }, '/home/u'), '/etc/docker-client/config.json');
    assert.equal(dockerConfigFile({ DOCKER_CONFIG: '' }, '/home/u'), '/home/u/.docker/config.json');
  });
});

describe('cacheDirectory', () => {
  // The launcher's loader finds the code cache with cacheDirectory alone; every other part of the
  // helper with readSettings. They must name the same directory, or none, for every environment.
  it('names the directory readSettings does, for any AWS_ECR_CACHE_DIR, AWS_ECR_DISABLE_CACHE and home', () => {
    const value = fc.option(fc.oneof(fc.constantFrom('', ' ', '/', '/var/cache/ecr', 'relative/dir', './x', '/a/../b', ' /padded '), fc.string()), { nil: undefined });
    fc.assert(
      fc.property(value, value, value, (cacheDir, disable, home) => {
        const env = { ...(cacheDir === undefined ? {} : { AWS_ECR_CACHE_DIR: cacheDir }), ...(disable === undefined ? {} : { AWS_ECR_DISABLE_CACHE: disable }) };
        assert.equal(cacheDirectory(env, home), readSettings(env, home).cacheDir);
      }),
      { numRuns: 500 },
    );
  });
  it('is AWS_ECR_CACHE_DIR when absolute, none when relative, else ~/.ecr', () => {
    assert.equal(cacheDirectory({ AWS_ECR_CACHE_DIR: '/var/cache/ecr' }, '/home/u'), '/var/cache/ecr');
    assert.equal(cacheDirectory({ AWS_ECR_CACHE_DIR: 'cache' }, '/home/u'), undefined);
    assert.equal(cacheDirectory({ AWS_ECR_CACHE_DIR: ' ' }, '/home/u'), '/home/u/.ecr');
    assert.equal(cacheDirectory({}, 'home'), undefined);
    assert.equal(cacheDirectory({}, undefined), undefined);
  });
});
