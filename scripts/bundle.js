#!/usr/bin/env node
'use strict';
// Bundles src/ into dist/bin/docker-credential-ecr-login.js, the file bin/ loads.
// Why: a cache hit is a fresh Node process, and one file compiles faster than twenty-odd
// modules (about 4 ms of the ~16 ms the helper adds to Node's start). The AWS SDK, pino and
// commander stay outside, loaded from node_modules only when a call needs them.
// The operator commands (configure, doctor, get-login-password, cache) go into a second file,
// dist/bin/docker-credential-ecr-login-commands.js, loaded only when one of them runs: every
// byte of the first file is parsed on every `get` (about 130 instructions a byte, measured
// with callgrind), and a `get` has no use for them.
// Plain JavaScript, so that `npm install` (prepare) can run it before anything is compiled.
// The standalone executable (scripts/build-standalone.ts) builds its bundle from the same options.
const { build } = require('esbuild');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const COMMANDS_FILE = 'docker-credential-ecr-login-commands.js';

/** Packages left out of the helper's bundle: loaded only when a call needs them. */
const EXTERNAL_PACKAGES = ['@aws-sdk/*', '@smithy/*', 'pino', 'commander'];

/** Options every bundle of the helper's own code shares, for a Node target: its version written in (src/verbs/version.ts). */
function commonOptions(target) {
  return {
    bundle: true,
    platform: 'node',
    target,
    format: 'cjs',
    define: { EMBEDDED_VERSION: JSON.stringify(version) },
    // A lazy `import()` becomes a lazy `require()`, so that an external file is found next to this one.
    supported: { 'dynamic-import': false },
    legalComments: 'none',
    logLevel: 'warning',
  };
}

/** The helper's bundle: the command line and everything it loads, the operator commands included. */
function helperBundleOptions(target) {
  return { ...commonOptions(target), entryPoints: [join(root, 'src', 'cli', 'main.ts')] };
}

/** The command table's `import('../commands')` points at the second file instead of inlining it. */
const commandsApart = {
  name: 'operator-commands-apart',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^\.\.\/commands$/ }, (args) =>
      args.importer === join(root, 'src', 'cli', 'commands.ts') ? { path: `./${COMMANDS_FILE}`, external: true } : undefined,
    );
  },
};

if (require.main === module) {
  // Plugins need esbuild's asynchronous API.
  Promise.all([
    build({
      ...helperBundleOptions('node20'),
      outfile: join(root, 'dist', 'bin', 'docker-credential-ecr-login.js'),
      external: EXTERNAL_PACKAGES,
      plugins: [commandsApart],
    }),
    build({
      ...commonOptions('node20'),
      entryPoints: [join(root, 'src', 'commands', 'index.ts')],
      outfile: join(root, 'dist', 'bin', COMMANDS_FILE),
      external: EXTERNAL_PACKAGES,
    }),
  ]).catch(() => {
    process.exitCode = 1;
  });
}

module.exports = { EXTERNAL_PACKAGES, helperBundleOptions, version };
