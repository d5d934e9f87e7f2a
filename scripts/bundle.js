#!/usr/bin/env node
'use strict';
// Bundles src/ into the files bin/ loads, in dist/bin/:
// - docker-credential-ecr-login.js: the loader (src/cli/loader.ts), which compiles the fast path
//   with V8's code cache; a few KB, the only code parsed on every run;
// - docker-credential-ecr-login-fast.js: the fast path (src/cli/entry.ts, cache-hit.ts), which
//   answers a cache hit, `list` and `version`, minified. Its SHA-256 is written into the loader,
//   which names its code cache after it;
// - docker-credential-ecr-login-full.js: the command line and every verb, loaded when the fast
//   path declines (a miss, a host that is not ECR, an error, a flag);
// - docker-credential-ecr-login-commands.js: the operator commands (configure, doctor,
//   get-login-password, cache), loaded only when one of them runs.
// The AWS SDK, pino and commander stay outside, loaded from node_modules only when a call needs
// them. One file compiles faster than twenty-odd modules.
// Plain JavaScript, so that `npm install` (prepare) can run it before anything is compiled.
// The standalone executable (scripts/build-standalone.ts) builds its bundles from the same options.
const { build } = require('esbuild');
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const FULL_FILE = 'docker-credential-ecr-login-full.js';
const FAST_FILE = 'docker-credential-ecr-login-fast.js';
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

/** Fewer bytes to parse on every run; names are kept, for the rare stack in a log. */
const MINIFY = { minifyWhitespace: true, minifySyntax: true };

/** The fast path: what bin/ loads on every run. */
function fastPathBundleOptions(target) {
  return { ...commonOptions(target), ...MINIFY, entryPoints: [join(root, 'src', 'cli', 'entry.ts')] };
}

/** The full command line and everything it loads, the operator commands included. */
function helperBundleOptions(target) {
  return { ...commonOptions(target), entryPoints: [join(root, 'src', 'cli', 'main.ts')] };
}

/** `import('<specifier>')` (or require) in `importer` loads `file`, a bundle of its own next to this one. */
function apart(specifier, importer, file) {
  return {
    name: `${file}-apart`,
    setup(esbuild) {
      const filter = new RegExp(`^${specifier.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
      esbuild.onResolve({ filter }, (args) => (args.importer === importer ? { path: `./${file}`, external: true } : undefined));
    },
  };
}

if (require.main === module) {
  const bin = join(root, 'dist', 'bin');
  // Plugins need esbuild's asynchronous API.
  Promise.all([
    build({
      ...fastPathBundleOptions('node20'),
      outfile: join(bin, FAST_FILE),
      external: EXTERNAL_PACKAGES,
      plugins: [apart('./main', join(root, 'src', 'cli', 'entry.ts'), FULL_FILE)],
    }).then(() => {
      const digest = createHash('sha256').update(readFileSync(join(bin, FAST_FILE))).digest('hex');
      return build({
        ...commonOptions('node20'),
        ...MINIFY,
        entryPoints: [join(root, 'src', 'cli', 'loader.ts')],
        outfile: join(bin, 'docker-credential-ecr-login.js'),
        define: { ...commonOptions('node20').define, FAST_PATH_DIGEST: JSON.stringify(digest) },
      });
    }),
    build({
      ...helperBundleOptions('node20'),
      outfile: join(bin, FULL_FILE),
      external: EXTERNAL_PACKAGES,
      plugins: [apart('../commands', join(root, 'src', 'cli', 'commands.ts'), COMMANDS_FILE)],
    }),
    build({
      ...commonOptions('node20'),
      entryPoints: [join(root, 'src', 'commands', 'index.ts')],
      outfile: join(bin, COMMANDS_FILE),
      external: EXTERNAL_PACKAGES,
    }),
  ]).catch(() => {
    process.exitCode = 1;
  });
}

module.exports = { EXTERNAL_PACKAGES, MINIFY, fastPathBundleOptions, helperBundleOptions, version };
