#!/usr/bin/env node
'use strict';
// Bundles src/ into dist/bin/docker-credential-ecr-login.js, the one file bin/ loads.
// Why: a cache hit is a fresh Node process, and one file compiles faster than twenty-odd
// modules (about 4 ms of the ~16 ms the helper adds to Node's start). The AWS SDK, pino and
// commander stay outside, loaded from node_modules only when a call needs them.
// Plain JavaScript, so that `npm install` (prepare) can run it before anything is compiled.
// The standalone executable (scripts/build-standalone.ts) builds its bundle from the same options.
const { buildSync } = require('esbuild');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Packages left out of the helper's bundle: loaded only when a call needs them. */
const EXTERNAL_PACKAGES = ['@aws-sdk/*', '@smithy/*', 'pino', 'commander'];

/** The helper's bundle, for a Node target: its version written in (src/verbs/version.ts). */
function helperBundleOptions(target) {
  return {
    entryPoints: [join(root, 'src', 'cli', 'main.ts')],
    bundle: true,
    platform: 'node',
    target,
    format: 'cjs',
    define: { EMBEDDED_VERSION: JSON.stringify(version) },
    legalComments: 'none',
    logLevel: 'warning',
  };
}

if (require.main === module) {
  buildSync({
    ...helperBundleOptions('node20'),
    outfile: join(root, 'dist', 'bin', 'docker-credential-ecr-login.js'),
    external: EXTERNAL_PACKAGES,
  });
}

module.exports = { EXTERNAL_PACKAGES, helperBundleOptions, version };
