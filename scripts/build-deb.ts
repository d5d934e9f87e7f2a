/**
 * `npm run build:deb`: a Debian package per architecture from the standalone executables,
 * dist/deb/docker-credential-ecr-login_<version>_<amd64|arm64>.deb with a `.sha256` beside it,
 * made with dpkg-deb alone (no network, no debhelper). docs/standalone.md describes it.
 *
 *   node dist/scripts/build-deb.js [--arch x64|arm64|host]…   (default: both)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ARCHES, COMMAND, DEB_DIR, debPath, EMBEDDED_NODE, GO_HELPER_PACKAGE, NOTICES_PATH, parseArches, REPO_ROOT, standalonePath, writeChecksum, type Arch } from './artifacts';

/** What Node's binary links against, by symbol version: glibc 2.28, GCC 7's libstdc++ (CXXABI_1.3.11). */
const DEPENDS = 'libc6 (>= 2.28), libgcc-s1 | libgcc1, libstdc++6 (>= 7)';
const MAN_PAGE = join(REPO_ROOT, 'man', `${COMMAND}.1`);

interface Manifest {
  readonly version: string;
  readonly author: string;
  readonly homepage: string;
  readonly license: string;
}

function manifest(): Manifest {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;
}

function writeFile(root: string, path: string, content: string | Buffer, mode = 0o644): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  writeFileSync(file, content);
  chmodSync(file, mode);
}

/** gzip -9n: no name, no timestamp. */
function gzip(content: string | Buffer): Buffer {
  return gzipSync(content, { level: 9 });
}

/** The date of the commit built, as a Debian changelog writes it (RFC 2822); now outside a checkout. */
function changelogDate(): string {
  const git = spawnSync('git', ['log', '-1', '--format=%cD'], { cwd: REPO_ROOT, encoding: 'utf8' });
  return git.status === 0 && git.stdout.trim() !== '' ? git.stdout.trim() : new Date().toUTCString().replace('GMT', '+0000');
}

function commit(): string {
  const git = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' });
  return git.status === 0 ? git.stdout.trim() : 'an unknown commit';
}

function changelog(pkg: Manifest): string {
  return [
    `${COMMAND} (${pkg.version}) unstable; urgency=medium`,
    '',
    `  * ${COMMAND} ${pkg.version}, built from ${commit()}: the standalone`,
    `    executable, with Node.js ${EMBEDDED_NODE.version} inside.`,
    '',
    ` -- ${pkg.author}  ${changelogDate()}`,
    '',
  ].join('\n');
}

function copyright(pkg: Manifest): string {
  return [
    `${COMMAND} ${pkg.version}`,
    `Source: ${pkg.homepage}`,
    '',
    `Copyright: the ${COMMAND} authors.`,
    `License: ${pkg.license}. On Debian systems the full text of the Apache License, Version 2.0,`,
    'is in /usr/share/common-licenses/Apache-2.0.',
    '',
    `/usr/bin/${COMMAND} is a Node.js single executable application: it embeds the Node.js`,
    'runtime and the npm packages the helper uses. Their licenses follow.',
    '',
    readFileSync(NOTICES_PATH, 'utf8'),
  ].join('\n');
}

/** Installed-Size: KiB, as dpkg counts them (each file rounded up, each directory one). */
function installedSize(root: string): number {
  let total = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'DEBIAN' && dir === root) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        total += 1;
        walk(path);
      } else {
        total += Math.ceil(statSync(path).size / 1024);
      }
    }
  };
  walk(root);
  return total;
}

function control(pkg: Manifest, arch: Arch, size: number): string {
  return [
    `Package: ${COMMAND}`,
    `Version: ${pkg.version}`,
    `Architecture: ${ARCHES[arch].deb}`,
    `Maintainer: ${pkg.author}`,
    `Installed-Size: ${size}`,
    `Depends: ${DEPENDS}`,
    `Conflicts: ${GO_HELPER_PACKAGE}`,
    `Replaces: ${GO_HELPER_PACKAGE}`,
    `Provides: ${GO_HELPER_PACKAGE}`,
    'Section: admin',
    'Priority: optional',
    `Homepage: ${pkg.homepage}`,
    'Description: Docker credential helper for Amazon ECR and ECR Public',
    ' docker-credential-ecr-login gives Docker, Nomad, Marathon/Mesos, skopeo and',
    ' podman fresh Amazon ECR tokens, minted with the AWS credentials of the',
    ' environment (keys, profiles, assumed roles, SSO, web identity, ECS and EC2',
    ' roles) and cached on disk per identity. A drop-in for the Go helper of',
    ` ${GO_HELPER_PACKAGE}: the same command, protocol and variables, with a`,
    ' one-line reason when a private registry cannot be served, and proxies read',
    ' as Go reads them.',
    ' .',
    ` This package holds the standalone executable (Node.js ${EMBEDDED_NODE.version} inside); it`,
    ' needs no Node.js on the machine.',
    '',
  ].join('\n');
}

function md5sums(root: string): string {
  const lines: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!(entry.name === 'DEBIAN' && dir === root)) walk(path);
      } else {
        lines.push(`${createHash('md5').update(readFileSync(path)).digest('hex')}  ${relative(root, path)}`);
      }
    }
  };
  walk(root);
  return `${lines.join('\n')}\n`;
}

function buildDeb(arch: Arch, pkg: Manifest): string {
  const executable = standalonePath(arch);
  if (!existsSync(executable) || !existsSync(NOTICES_PATH)) {
    throw new Error(`${relative(REPO_ROOT, executable)} is missing: run \`npm run build:standalone\` first`);
  }
  const root = join(DEB_DIR, `build-${arch}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const doc = `usr/share/doc/${COMMAND}`;
  mkdirSync(join(root, 'usr', 'bin'), { recursive: true, mode: 0o755 });
  copyFileSync(executable, join(root, 'usr', 'bin', COMMAND));
  chmodSync(join(root, 'usr', 'bin', COMMAND), 0o755);
  writeFile(root, `${doc}/copyright`, copyright(pkg));
  writeFile(root, `${doc}/changelog.gz`, gzip(changelog(pkg)));
  writeFile(root, `${doc}/README.md.gz`, gzip(readFileSync(join(REPO_ROOT, 'README.md'))));
  if (existsSync(MAN_PAGE)) writeFile(root, `usr/share/man/man1/${COMMAND}.1.gz`, gzip(readFileSync(MAN_PAGE)));
  writeFile(root, 'DEBIAN/control', control(pkg, arch, installedSize(root)));
  writeFile(root, 'DEBIAN/md5sums', md5sums(root));
  for (const dir of [root, ...walkDirs(root)]) chmodSync(dir, 0o755);

  const output = debPath(arch);
  const built = spawnSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, output], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`dpkg-deb failed: ${built.error?.message ?? ''}${built.stderr}`);
  rmSync(root, { recursive: true, force: true });
  return output;
}

function walkDirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => [join(dir, entry.name), ...walkDirs(join(dir, entry.name))]);
}

try {
  const pkg = manifest();
  mkdirSync(DEB_DIR, { recursive: true });
  for (const arch of parseArches(process.argv.slice(2), 'build-deb')) {
    const output = buildDeb(arch, pkg);
    const digest = writeChecksum(output);
    console.log(`${relative(REPO_ROOT, output)}: ${(statSync(output).size / 1024 / 1024).toFixed(1)} MiB, sha256 ${digest}`);
  }
} catch (error) {
  console.error(`build-deb: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
