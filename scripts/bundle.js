#!/usr/bin/env node
'use strict';
// Bundles src/ into the files bin/ loads, in dist/bin/:
// - docker-credential-ecr-login.js: the loader (src/cli/loader.ts), which compiles the fast path
//   with V8's code cache; a few KB, the only code parsed on every run;
// - docker-credential-ecr-login-fast.js: the fast path (src/cli/entry.ts, cache-hit.ts), which
//   answers a cache hit, `list` and `version`, minified. Its SHA-256 is written into the loader,
//   which names its code cache after it;
// - docker-credential-ecr-login-full-loader.js: what the fast path requires when it declines (a
//   miss, an error, a flag): a few KB (src/cli/full-loader.ts) that compile the next one with
//   V8's code cache (src/cli/code-cache-load.ts), named after its SHA-256, written in;
// - docker-credential-ecr-login-full.js: the command line and every verb;
// - docker-credential-ecr-login-commands.js: the operator commands (configure, doctor,
//   get-login-password, cache), loaded only when one of them runs;
// - docker-credential-ecr-login-dependencies.js and docker-credential-ecr-login-logging.js: the
//   packages the last two use (the AWS SDK and commander; pino), minified, compiled with V8's code
//   cache (src/cli/bundled-dependencies.ts) on the first call that needs one of them. Their
//   SHA-256s are written into the two, which name the code caches after them. THIRD-PARTY-NOTICES
//   next to them holds the licenses of what they bundle.
// One file compiles faster than twenty-odd modules, and one with a code cache is not compiled.
// Plain JavaScript, so that `npm install` (prepare) can run it before anything is compiled.
// The standalone executable (scripts/build-standalone.ts) builds its bundles from the same options.
const { build } = require('esbuild');
const { createHash } = require('node:crypto');
const { readdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const FULL_FILE = 'docker-credential-ecr-login-full.js';
const FAST_FILE = 'docker-credential-ecr-login-fast.js';
const FULL_LOADER_FILE = 'docker-credential-ecr-login-full-loader.js';
const LOADER_FILE = 'docker-credential-ecr-login.js';
const COMMANDS_FILE = 'docker-credential-ecr-login-commands.js';

/**
 * Packages left out of the helper's bundle, for bundles of their own, each loaded only when a
 * call needs one of its packages. pino is apart: a miss that signs its own call logs it, and
 * need not read the AWS SDK's megabyte to do so.
 */
const DEPENDENCY_GROUPS = {
  dependencies: ['@aws-sdk/*', '@smithy/*', 'commander'],
  logging: ['pino'],
};
const EXTERNAL_PACKAGES = Object.values(DEPENDENCY_GROUPS).flat();

/** The npm package's file of a group of packages. */
const dependencyFile = (group) => `docker-credential-ecr-login-${group}.js`;

/** Each group with the pattern of its packages' names. */
const GROUP_PATTERNS = Object.entries(DEPENDENCY_GROUPS).map(([group, patterns]) => [group, packagePattern(patterns)]);

/** The group a package's bundle is: the first whose patterns match its name. */
function dependencyGroup(name) {
  const found = GROUP_PATTERNS.find(([, pattern]) => pattern.test(name));
  if (found === undefined) throw new Error(`${name} is in no dependency group`);
  return found[0];
}

/** The names of `names` in each group that has any. */
function namesByGroup(names) {
  const groups = new Map();
  for (const name of [...names].sort()) {
    const group = dependencyGroup(name);
    groups.set(group, [...(groups.get(group) ?? []), name]);
  }
  return groups;
}

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
      const filter = new RegExp(`^${escapeRegExp(specifier)}$`);
      esbuild.onResolve({ filter }, (args) => (args.importer === importer ? { path: `./${file}`, external: true } : undefined));
    },
  };
}

/** `@aws-sdk/*` → /^@aws-sdk\//; `pino` → /^pino(\/|$)/. */
function packagePattern(patterns) {
  const alternatives = patterns.map((pattern) => (pattern.endsWith('/*') ? escapeRegExp(pattern.slice(0, -1)) : `${escapeRegExp(pattern)}(?:/|$)`));
  return new RegExp(`^(?:${alternatives.join('|')})`);
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Each require of a package of EXTERNAL_PACKAGES becomes `require(<loader>).<load>('<package>',
 * '<group>')`: the package comes from its group's bundle. The names are collected into `names`, for them.
 */
function packagesThrough(loader, load, names) {
  return {
    name: 'packages-through-loader',
    setup(esbuild) {
      esbuild.onResolve({ filter: packagePattern(EXTERNAL_PACKAGES) }, (args) => {
        names.add(args.path);
        return { path: args.path, namespace: 'bundled-package' };
      });
      esbuild.onLoad({ filter: /.*/, namespace: 'bundled-package' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(loader)}).${load}(${JSON.stringify(args.path)}, ${JSON.stringify(dependencyGroup(args.path))});`,
        resolveDir: root,
        loader: 'js',
      }));
    },
  };
}

/** The dependencies bundle: a table of package name → its module, each loaded on first use. */
function dependenciesBundleOptions(target, names) {
  const table = [...names].sort().map((name) => `  ${JSON.stringify(name)}: () => require(${JSON.stringify(name)}),`);
  return {
    stdin: { contents: `module.exports = {\n${table.join('\n')}\n};\n`, resolveDir: root, loader: 'js', sourcefile: 'dependencies-table.js' },
    bundle: true,
    platform: 'node',
    target,
    format: 'cjs',
    ...MINIFY,
    legalComments: 'none',
    logLevel: 'warning',
  };
}

/**
 * A few SDK modules `import()` a built-in; in a script compiled with node:vm that needs a loader
 * neither the SEA nor src/cli/code-cache-script.ts gives, and `require` gives the same module.
 */
function requireBuiltinImports(file) {
  const text = readFileSync(file, 'utf8').replace(/\bimport\((["'])(node:[\w/]+)\1\)/g, 'Promise.resolve().then(() => require("$2"))');
  writeFileSync(file, text);
}

const NOTICE_RULE = '='.repeat(78);

/**
 * The license of each npm package esbuild put in a bundle (from its metafiles), packages with the
 * same text grouped: one section each, for a THIRD-PARTY-NOTICES file.
 */
function packageNotices(metafiles) {
  const packages = new Map();
  for (const input of metafiles.flatMap((metafile) => Object.keys(metafile.inputs))) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match?.[1] === undefined || packages.has(match[1])) continue;
    const dir = join(root, match[1]);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const licenseFile = readdirSync(dir).find((name) => /^(licen[cs]e|copying)/i.test(name));
    const text = licenseFile === undefined ? `(the package ships no license file; its package.json says ${manifest.license ?? 'nothing'})` : readFileSync(join(dir, licenseFile), 'utf8').trim();
    packages.set(match[1], { name: manifest.name, version: manifest.version, license: manifest.license ?? 'see below', text });
  }
  const byText = new Map();
  for (const pkg of [...packages.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    byText.set(pkg.text, [...(byText.get(pkg.text) ?? []), `${pkg.name} ${pkg.version} (${pkg.license})`]);
  }
  return [...byText.entries()].map(([text, names]) => `${NOTICE_RULE}\n${names.join('\n')}\n${NOTICE_RULE}\n${text}`);
}

/**
 * Rewrites each top-level `function f(…){…}` of a bundle as `var f=(function f(…){…});`. V8
 * compiles a function in parentheses with the script; any other it pre-parses with the script,
 * then parses again and compiles on its first call. For the bundles Node compiles from source,
 * on every run (the loader) or every miss (the full loader), the loader's seventeen cost a hit
 * about 0.5 M instructions more that way (callgrind, Node 20, 22 and 24). The standalone
 * executable's main script (scripts/build-standalone.ts) has a code cache made as it is compiled:
 * rewritten, it holds every function, and a hit compiles none of them. Each of these bundles only
 * defines functions until its last statement: none is called before its definition runs.
 */
function compileEagerly(file) {
  const ts = require('typescript');
  const text = readFileSync(file, 'utf8');
  const script = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  let rewritten = '';
  let copied = 0;
  for (const statement of script.statements) {
    if (!ts.isFunctionDeclaration(statement) || statement.name === undefined) continue;
    const start = statement.getStart(script);
    rewritten += `${text.slice(copied, start)}var ${statement.name.text}=(${text.slice(start, statement.end)});`;
    copied = statement.end;
  }
  writeFileSync(file, rewritten + text.slice(copied));
}

const sha256File = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The full command line and the operator commands, their packages in the dependencies bundle. */
async function buildHelperAndDependencies(bin) {
  const names = new Set();
  const loader = join(root, 'src', 'cli', 'bundled-dependencies.ts');
  const bundles = (define, write) => [
    build({
      ...helperBundleOptions('node20'),
      define,
      write,
      outfile: join(bin, FULL_FILE),
      plugins: [apart('../commands', join(root, 'src', 'cli', 'commands.ts'), COMMANDS_FILE), packagesThrough(loader, 'bundledDependency', names)],
    }),
    build({
      ...commonOptions('node20'),
      define,
      write,
      entryPoints: [join(root, 'src', 'commands', 'index.ts')],
      outfile: join(bin, COMMANDS_FILE),
      plugins: [packagesThrough(loader, 'bundledDependency', names)],
    }),
  ];
  // First which packages they use, then the bundles of those, then the two with their digests.
  await Promise.all(bundles(commonOptions('node20').define, false));
  const groups = [...namesByGroup(names)];
  const metafiles = await Promise.all(
    groups.map(async ([group, groupNames]) => {
      const file = join(bin, dependencyFile(group));
      const { metafile } = await build({ ...dependenciesBundleOptions('node20', groupNames), outfile: file, metafile: true });
      requireBuiltinImports(file);
      return metafile;
    }),
  );
  const header = `docker-credential-ecr-login ${version}, npm package: third-party software bundled in ${groups.map(([group]) => dependencyFile(group)).join(' and ')}`;
  writeFileSync(join(bin, 'THIRD-PARTY-NOTICES'), `${[header, ...packageNotices(metafiles)].join('\n\n')}\n`);
  const digests = Object.fromEntries(groups.map(([group]) => [group, sha256File(join(bin, dependencyFile(group)))]));
  await Promise.all(bundles({ ...commonOptions('node20').define, DEPENDENCY_DIGESTS: JSON.stringify(digests) }, true));
}

if (require.main === module) {
  const bin = join(root, 'dist', 'bin');
  // Each bundle after the one it names the code cache of by its digest. Plugins need esbuild's asynchronous API.
  Promise.all([
    buildHelperAndDependencies(bin).then(() =>
      build({
        ...commonOptions('node20'),
        ...MINIFY,
        entryPoints: [join(root, 'src', 'cli', 'full-loader.ts')],
        outfile: join(bin, FULL_LOADER_FILE),
        define: { ...commonOptions('node20').define, FULL_DIGEST: JSON.stringify(sha256File(join(bin, FULL_FILE))) },
      }).then(() => compileEagerly(join(bin, FULL_LOADER_FILE))),
    ),
    build({
      ...fastPathBundleOptions('node20'),
      outfile: join(bin, FAST_FILE),
      external: EXTERNAL_PACKAGES,
      plugins: [apart('./main', join(root, 'src', 'cli', 'entry.ts'), FULL_LOADER_FILE)],
    }).then(() =>
      build({
        ...commonOptions('node20'),
        ...MINIFY,
        entryPoints: [join(root, 'src', 'cli', 'loader.ts')],
        outfile: join(bin, LOADER_FILE),
        define: { ...commonOptions('node20').define, FAST_PATH_DIGEST: JSON.stringify(sha256File(join(bin, FAST_FILE))) },
      }).then(() => compileEagerly(join(bin, LOADER_FILE))),
    ),
  ]).catch(() => {
    process.exitCode = 1;
  });
}

module.exports = {
  EXTERNAL_PACKAGES,
  compileEagerly,
  namesByGroup,
  MINIFY,
  NOTICE_RULE,
  dependenciesBundleOptions,
  fastPathBundleOptions,
  helperBundleOptions,
  packageNotices,
  packagesThrough,
  requireBuiltinImports,
  version,
};
