/**
 * The npm package (issue 9): publishable, and `npm pack` ships only what runs. Installing the
 * tarball for real needs the registry, so that is checked by scripts/check-npm-package.ts in
 * CI; here, the package's contents and manifest, offline.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../support/helper-process';

interface Manifest {
  private?: boolean;
  repository?: { url?: string };
  bugs?: { url?: string };
  homepage?: string;
  engines?: { node?: string };
  bin?: Record<string, string>;
  man?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;

describe('the npm package', () => {
  it('npm pack ships the launcher, the seven bundles and the notices of what they bundle, the man page when there is one, README and LICENSE: nothing else', () => {
    const packed = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, encoding: 'utf8', env: process.env });
    assert.equal(packed.status, 0, packed.stderr);
    const [tarball] = JSON.parse(packed.stdout) as Array<{ files: Array<{ path: string }> }>;
    const manPages = existsSync(join(REPO_ROOT, 'man')) ? readdirSync(join(REPO_ROOT, 'man')).map((name) => `man/${name}`) : [];
    assert.deepEqual(
      tarball?.files.map((file) => file.path).sort(),
      ['LICENSE', 'README.md', 'bin/docker-credential-ecr-login', 'dist/bin/THIRD-PARTY-NOTICES', 'dist/bin/docker-credential-ecr-login-commands.js', 'dist/bin/docker-credential-ecr-login-dependencies.js', 'dist/bin/docker-credential-ecr-login-fast.js', 'dist/bin/docker-credential-ecr-login-full-loader.js', 'dist/bin/docker-credential-ecr-login-full.js', 'dist/bin/docker-credential-ecr-login-logging.js', 'dist/bin/docker-credential-ecr-login.js', 'package.json', ...manPages].sort(),
    );
  });

  it('the bundles need nothing but Node built-ins and each other: the packages are bundled, and none is installed with the helper', () => {
    const bundleFiles = [
      'docker-credential-ecr-login.js',
      'docker-credential-ecr-login-fast.js',
      'docker-credential-ecr-login-full-loader.js',
      'docker-credential-ecr-login-full.js',
      'docker-credential-ecr-login-commands.js',
      'docker-credential-ecr-login-dependencies.js',
      'docker-credential-ecr-login-logging.js',
    ];
    const bundle = bundleFiles.map((file) => readFileSync(join(REPO_ROOT, 'dist', 'bin', file), 'utf8')).join('\n');
    const required = new Set([...bundle.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1] ?? ''));
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    const shipped = bundleFiles.map((file) => `./${file}`);
    // Only the text of an SDK message about its optional CRT signer, not a call.
    const inMessages = ['@aws-sdk/signature-v4-crt'];
    assert.deepEqual([...required].filter((name) => !builtins.has(name) && !shipped.includes(name) && !inMessages.includes(name)), []);
    assert.ok(bundle.includes('GetAuthorizationTokenCommand') && bundle.includes('pino'), 'the AWS SDK and pino are in the bundles');
    assert.equal(manifest.dependencies, undefined);
    for (const name of ['@aws-sdk/client-ecr', 'pino', 'commander']) assert.ok(manifest.devDependencies?.[name] !== undefined, `${name} is a build-time dependency`);
  });

  it('ships the license of every package it bundles', () => {
    const notices = readFileSync(join(REPO_ROOT, 'dist', 'bin', 'THIRD-PARTY-NOTICES'), 'utf8');
    for (const name of ['@aws-sdk/client-ecr', '@smithy/core', 'pino', 'commander']) assert.match(notices, new RegExp(`^${name} \\d+\\.\\d+\\.\\d+ \\(`, 'm'), name);
    assert.match(notices, /Apache License/);
    assert.match(notices, /MIT License|Permission is hereby granted/);
  });

  it('installs without running a script: nothing at install time needs what the tarball lacks', () => {
    const installTime = ['preinstall', 'install', 'postinstall'].filter((name) => manifest.scripts?.[name] !== undefined);
    assert.deepEqual(installTime, []);
    // `prepare` bundles with esbuild (a devDependency): npm runs it in a checkout and before packing, never for a tarball.
    assert.match(manifest.scripts?.prepare ?? '', /scripts\/bundle\.js/);
  });

  it('is publishable: not private, says where it lives, which Node it runs on, and where its man page is', () => {
    assert.equal(manifest.private, undefined);
    assert.match(manifest.repository?.url ?? '', /^git\+https:\/\//);
    assert.match(manifest.bugs?.url ?? '', /^https:\/\//);
    assert.match(manifest.homepage ?? '', /^https:\/\//);
    for (const supported of ['^20.11.0', '^22.0.0', '>=24.0.0']) assert.ok(manifest.engines?.node?.split(' || ').includes(supported), supported);
    assert.deepEqual(manifest.bin, { 'docker-credential-ecr-login': 'bin/docker-credential-ecr-login' });
    assert.deepEqual(manifest.man, ['./man/docker-credential-ecr-login.1']);
  });
});
