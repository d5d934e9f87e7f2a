/**
 * `npm run build:standalone`: the helper as one executable per architecture, a Node.js single
 * executable application (SEA) that needs no `node` and no `node_modules` on the machine:
 * dist/standalone/docker-credential-ecr-login-linux-{x64,arm64}, each with a `.sha256` beside
 * it, and THIRD-PARTY-NOTICES for what they embed. docs/standalone.md says how and why.
 *
 *   node dist/scripts/build-standalone.js [--arch x64|arm64|host]…   (default: both)
 *
 * Steps: the Node binary of EMBEDDED_NODE from the npm registry (`node-linux-<arch>`, checked
 * against its pinned integrity, kept in .cache/node/), stripped of its symbols; five bundles
 * made with esbuild: `main` (which compiles the fast path, as bin/'s loader does), `fast-path`
 * (an asset: a hit, `list`, `version`), `helper` (the full command line, an asset loaded when the
 * fast path declines), `dependencies` (the AWS SDK and commander, an asset loaded when the SDK
 * makes a call) and `logging` (pino, loaded to log); V8's code cache for each asset (the fast
 * path's used until a run has made one in the user's cache directory), and the SEA blob with
 * the code cache of `main`, all made by the embedded Node itself (under
 * qemu-user for the other architecture: a code cache is only good on the architecture that
 * made it); the blob injected with postject (Node 24 has no --build-sea); a smoke run.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { ARCHES, COMMAND, EMBEDDED_NODE, hostArch, NOTICES_PATH, parseArches, REPO_ROOT, sha256File, STANDALONE_DIR, standalonePath, writeChecksum, type Arch } from './artifacts';
import { codeCacheAsset, dependencyAsset, FAST_PATH_ASSET, HELPER_ASSET } from '../src/standalone/embedded-dependencies';

/** Node's fixed sentinel: postject flips it so that the binary looks for its blob. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const NODE_CACHE_DIR = join(REPO_ROOT, '.cache', 'node');
const WORK_DIR = join(STANDALONE_DIR, 'build');

interface Bundling {
  readonly MINIFY: BuildOptions;
  readonly version: string;
  fastPathBundleOptions(target: string): BuildOptions;
  helperBundleOptions(target: string): BuildOptions;
  dependenciesBundleOptions(target: string, names: Iterable<string>): BuildOptions;
  packagesThrough(loader: string, load: string, names: Set<string>): Plugin;
  /** Group (`dependencies`, `logging`) → the names of `names` in it. */
  namesByGroup(names: Iterable<string>): Map<string, string[]>;
  requireBuiltinImports(file: string): void;
  compileEagerly(file: string): void;
  readonly NOTICE_RULE: string;
  packageNotices(metafiles: readonly Metafile[]): string[];
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bundling = require(join(REPO_ROOT, 'scripts', 'bundle.js')) as Bundling;

function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error !== undefined || result.status !== 0) {
    const output = `${String(result.stdout ?? '')}${String(result.stderr ?? '')}`.trim();
    throw new Error(`${[command, ...args].join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})${output ? `:\n${output}` : ''}`);
  }
  return String(result.stdout ?? '');
}

/** The full path of a command on PATH, or undefined. */
function onPath(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v "$0"', name], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** The `node` binary of EMBEDDED_NODE for an architecture, fetched once with `npm pack`. */
function embeddedNode(arch: Arch): string {
  const name = `node-linux-${arch}`;
  const dir = join(NODE_CACHE_DIR, `${name}-${EMBEDDED_NODE.version}`);
  const binary = join(dir, 'bin', 'node');
  if (existsSync(binary)) return binary;
  const download = join(NODE_CACHE_DIR, 'download');
  rmSync(download, { recursive: true, force: true });
  mkdirSync(download, { recursive: true });
  console.log(`fetching ${name}@${EMBEDDED_NODE.version} from the npm registry`);
  run('npm', ['pack', '--silent', `${name}@${EMBEDDED_NODE.version}`, '--pack-destination', download]);
  const tarball = join(download, `${name}-${EMBEDDED_NODE.version}.tgz`);
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  if (integrity !== EMBEDDED_NODE.integrity[arch]) throw new Error(`${tarball} is not the pinned ${name}@${EMBEDDED_NODE.version}: ${integrity}`);
  const unpacked = join(download, 'unpacked');
  mkdirSync(unpacked);
  run('tar', ['-xzf', tarball, '-C', unpacked]);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  copyTree(join(unpacked, 'package'), dir);
  rmSync(download, { recursive: true, force: true });
  return binary;
}

function copyTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) copyTree(join(from, entry.name), join(to, entry.name));
    else copyFileSync(join(from, entry.name), join(to, entry.name));
  }
  chmodSync(to, 0o755);
}

/** How to run a program built for `arch` here: directly, or through qemu-user with the cross libraries. */
function runnerFor(arch: Arch): string[] {
  if (arch === hostArch()) return [];
  const { qemu, triplet } = ARCHES[arch];
  const sysroot = `/usr/${triplet}`;
  const emulator = [`qemu-${qemu}-static`, `qemu-${qemu}`].map(onPath).find((path) => path !== undefined);
  if (emulator === undefined || !existsSync(join(sysroot, 'lib'))) {
    throw new Error(
      `the ${arch} executable is built by its own Node, and this is ${hostArch()}: install qemu-user-static and the ${arch} C++ runtime ` +
        `(apt-get install qemu-user-static libc6-${ARCHES[arch].deb}-cross libstdc++6-${ARCHES[arch].deb}-cross), or build with --arch host`,
    );
  }
  return [emulator, '-L', sysroot];
}

function stripTool(arch: Arch): string {
  const candidates = arch === hostArch() ? ['strip'] : [`${ARCHES[arch].triplet}-strip`];
  const tool = [...candidates, 'llvm-strip'].map(onPath).find((path) => path !== undefined);
  if (tool === undefined) {
    throw new Error(`no strip for ${arch}: install binutils${arch === hostArch() ? '' : ` and binutils-${ARCHES[arch].triplet.replace(/_/g, '-')}`}`);
  }
  return tool;
}

interface Bundles {
  readonly main: string;
  /** Asset name → its script, each embedded with the code cache made here. */
  readonly assets: Readonly<Record<string, string>>;
  /** What went into them, for the notices. */
  readonly metafiles: readonly Metafile[];
}

/** The scripts of the executable, the same for every architecture. */
async function makeBundles(nodeMajor: string): Promise<Bundles> {
  const target = `node${nodeMajor}`;
  const packages = new Set<string>();
  const main = join(WORK_DIR, 'main.js');
  const fastPathFile = join(WORK_DIR, FAST_PATH_ASSET);
  const minify = bundling.MINIFY;
  const fastPathOptions = bundling.fastPathBundleOptions(target);
  const fastPath = await build({
    ...fastPathOptions,
    entryPoints: [join(REPO_ROOT, 'src', 'standalone', 'fast-path.ts')],
    outfile: fastPathFile,
    metafile: true,
  });
  // The main script names the fast path's code cache after the asset's digest, as the npm loader does.
  await build({
    ...fastPathOptions,
    entryPoints: [join(REPO_ROOT, 'src', 'standalone', 'main.ts')],
    outfile: main,
    define: { ...fastPathOptions.define, FAST_PATH_DIGEST: JSON.stringify(sha256File(fastPathFile)) },
  });
  // Node makes the main script's code cache (useCodeCache) as it compiles it: with every function
  // in parentheses, the cache holds them all. A hit went from 99.37 to 98.10 M instructions
  // (callgrind, an executable built to run with --predictable for the measurement).
  bundling.compileEagerly(main);
  const helper = join(WORK_DIR, HELPER_ASSET);
  const full = await build({
    ...bundling.helperBundleOptions(target),
    ...minify,
    outfile: helper,
    // Each package the npm bundle takes from its dependencies bundle becomes a call to `embeddedDependency`.
    plugins: [bundling.packagesThrough(join(REPO_ROOT, 'src', 'standalone', 'embedded-dependencies.ts'), 'embeddedDependency', packages)],
    metafile: true,
  });
  const groups = await Promise.all(
    [...bundling.namesByGroup(packages)].map(async ([group, names]) => {
      const file = join(WORK_DIR, dependencyAsset(group));
      const result = await build({ ...bundling.dependenciesBundleOptions(target, names), outfile: file, metafile: true });
      bundling.requireBuiltinImports(file);
      return { asset: dependencyAsset(group), file, metafile: result.metafile };
    }),
  );
  const assets: Record<string, string> = { [FAST_PATH_ASSET]: fastPathFile, [HELPER_ASSET]: helper, ...Object.fromEntries(groups.map(({ asset, file }) => [asset, file])) };
  for (const [name, file] of [['main', main], ...Object.entries(assets)] as const) {
    const left = /\bimport\s*\(\s*[^)]/.exec(readFileSync(file, 'utf8'));
    if (left !== null) throw new Error(`${name} still has a dynamic import(), which a SEA cannot run: …${left.input.slice(left.index, left.index + 80)}…`);
  }
  return { main, assets, metafiles: [fastPath.metafile, full.metafile, ...groups.map(({ metafile }) => metafile)] };
}

async function buildStandalone(arch: Arch, bundles: Bundles): Promise<void> {
  const work = join(WORK_DIR, arch);
  mkdirSync(work, { recursive: true });
  const runner = runnerFor(arch);
  const node = join(work, 'node');
  copyFileSync(embeddedNode(arch), node);
  chmodSync(node, 0o755);
  run(stripTool(arch), [node]);
  const onTarget = (args: readonly string[], options: SpawnSyncOptions = {}): string =>
    runner.length === 0 ? run(node, args, options) : run(runner[0] ?? '', [...runner.slice(1), node, ...args], options);

  const assets: Record<string, string> = {};
  for (const [asset, script] of Object.entries(bundles.assets)) {
    const codeCache = join(work, codeCacheAsset(asset));
    onTarget([join(REPO_ROOT, 'dist', 'scripts', 'make-code-cache.js'), asset, script, codeCache]);
    Object.assign(assets, { [asset]: script, [codeCacheAsset(asset)]: codeCache });
  }
  const blob = join(work, 'sea.blob');
  const config = join(work, 'sea-config.json');
  writeFileSync(
    config,
    `${JSON.stringify(
      {
        main: bundles.main,
        output: blob,
        disableExperimentalSEAWarning: true,
        useSnapshot: false,
        useCodeCache: true,
        // The caller's NODE_OPTIONS must not reach the helper: a stray --require would break a pull.
        execArgv: [],
        execArgvExtension: 'none',
        assets,
      },
      null,
      2,
    )}\n`,
  );
  onTarget(['--experimental-sea-config', config]);

  const output = standalonePath(arch);
  copyFileSync(node, output);
  chmodSync(output, 0o755);
  // postject prints LIEF's notes about the stripped section table; they are noise unless it fails.
  run(process.execPath, [require.resolve('postject/dist/cli.js'), output, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
  smokeTest(arch, output, runner);
}

/** The executable runs by itself: its version, exactly, and nothing on stderr, whatever NODE_OPTIONS says. */
function smokeTest(arch: Arch, executable: string, runner: readonly string[]): void {
  const [command, ...prefix] = runner.length === 0 ? [executable] : [...runner, executable];
  const env = { PATH: '/nonexistent', HOME: WORK_DIR, NODE_OPTIONS: '--require /nonexistent/preload.js' };
  const result = spawnSync(command ?? executable, [...prefix, 'version'], { encoding: 'utf8', env, cwd: WORK_DIR });
  const expected = `${COMMAND} ${bundling.version}\n`;
  if (result.status !== 0 || result.stdout !== expected || result.stderr !== '') {
    throw new Error(`the ${arch} executable failed its smoke test: exit ${result.status}, stdout ${JSON.stringify(result.stdout)}, stderr ${JSON.stringify(result.stderr)}`);
  }
}

/** Node's license, then each embedded npm package's (scripts/bundle.js). */
function writeNotices(metafiles: readonly Metafile[], nodeLicense: string): void {
  const rule = bundling.NOTICE_RULE;
  const sections = [
    `${COMMAND} ${bundling.version}, standalone executable: third-party software it embeds`,
    `${rule}\nNode.js ${EMBEDDED_NODE.version} (the runtime)\n${rule}\n${nodeLicense.trim()}`,
    ...bundling.packageNotices(metafiles),
  ];
  writeFileSync(NOTICES_PATH, `${sections.join('\n\n')}\n`);
}

/**
 * What an executable is made of: its bundles, its Node, and the code that puts them together.
 * `npm test` builds the executable before every run; when none of this changed, it is kept.
 */
function inputsDigest(arch: Arch, bundles: Bundles): string {
  const hash = createHash('sha256').update(`${EMBEDDED_NODE.version} ${EMBEDDED_NODE.integrity[arch]}\n`);
  const code = [__filename, join(__dirname, 'make-code-cache.js'), join(REPO_ROOT, 'dist', 'src', 'standalone', 'embedded-dependencies.js')];
  for (const file of [bundles.main, ...Object.values(bundles.assets), ...code]) hash.update(readFileSync(file));
  return hash.digest('hex');
}

/** Where the inputs digest of an executable is kept, out of the artifacts' directory. */
function inputsRecord(output: string): string {
  return join(REPO_ROOT, '.cache', 'standalone', `${basename(output)}.inputs`);
}

function isUpToDate(output: string, inputs: string): boolean {
  try {
    const recorded = readFileSync(inputsRecord(output), 'utf8');
    const checksum = readFileSync(`${output}.sha256`, 'utf8').split(' ')[0];
    return recorded === inputs && checksum === sha256File(output);
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const arches = parseArches(process.argv.slice(2), 'build-standalone');
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  const bundles = await makeBundles(EMBEDDED_NODE.version.split('.')[0] ?? '');
  for (const arch of arches) {
    const started = Date.now();
    const output = standalonePath(arch);
    const inputs = inputsDigest(arch, bundles);
    if (isUpToDate(output, inputs)) {
      console.log(`${relative(REPO_ROOT, output)}: up to date`);
      continue;
    }
    rmSync(inputsRecord(output), { force: true });
    await buildStandalone(arch, bundles);
    const digest = writeChecksum(output);
    mkdirSync(dirname(inputsRecord(output)), { recursive: true });
    writeFileSync(inputsRecord(output), inputs);
    const megabytes = (statSync(output).size / 1024 / 1024).toFixed(1);
    console.log(`${relative(REPO_ROOT, output)}: ${megabytes} MiB, sha256 ${digest} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  writeNotices(bundles.metafiles, readFileSync(join(dirname(dirname(embeddedNode(arches[0] ?? hostArch()))), 'LICENSE'), 'utf8'));
  rmSync(WORK_DIR, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(`build-standalone: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
