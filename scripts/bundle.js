#!/usr/bin/env node
'use strict';
// Bundles src/ into dist/bin/docker-credential-ecr-login.js, the one file bin/ loads.
// Why: a cache hit is a fresh Node process, and one file compiles faster than twenty-odd
// modules (about 4 ms of the ~16 ms the helper adds to Node's start). The AWS SDK, pino and
// commander stay outside, loaded from node_modules only when a call needs them.
// The operator commands (configure, doctor, get-login-password, cache) go into a second file,
// dist/bin/docker-credential-ecr-login-commands.js, loaded only when one of them runs: every
// byte of the first file is parsed on every `get` (about 130 instructions a byte, measured
// with callgrind), and a `get` has no use for them.
// Plain JavaScript, so that `npm install` (prepare) can run it before anything is compiled.
const { build } = require('esbuild');
const { join } = require('node:path');

const root = join(__dirname, '..');
const COMMANDS_FILE = 'docker-credential-ecr-login-commands.js';
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['@aws-sdk/*', '@smithy/*', 'pino', 'commander'],
  // A lazy `import()` becomes a lazy `require()`: the commands file is found next to this one.
  supported: { 'dynamic-import': false },
  legalComments: 'none',
  logLevel: 'warning',
};

/** The command table's `import('../commands')` points at the second file instead of inlining it. */
const commandsApart = {
  name: 'operator-commands-apart',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^\.\.\/commands$/ }, (args) =>
      args.importer === join(root, 'src', 'cli', 'commands.ts') ? { path: `./${COMMANDS_FILE}`, external: true } : undefined,
    );
  },
};

Promise.all([
  build({ ...common, entryPoints: [join(root, 'src', 'cli', 'main.ts')], outfile: join(root, 'dist', 'bin', 'docker-credential-ecr-login.js'), plugins: [commandsApart] }),
  build({ ...common, entryPoints: [join(root, 'src', 'commands', 'index.ts')], outfile: join(root, 'dist', 'bin', COMMANDS_FILE) }),
]).catch(() => {
  process.exitCode = 1;
});
