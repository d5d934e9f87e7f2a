/**
 * `npm run marathon-docker-tar -- [--registry <ecr-host>]… [--creds-store] [--output <file>]`
 *
 * Writes the `docker.tar.gz` that Marathon apps fetch (`"fetch": [{"uri": "file:///etc/docker.tar.gz"}]`)
 * so that the Mesos Docker containerizer's `docker pull` uses docker-credential-ecr-login. The
 * archive holds `.docker/` (0700) and `.docker/config.json` (0600), owned by root, at its root —
 * what `cd ~ && tar czf docker.tar.gz .docker` gives after a `docker login`, in Marathon's
 * documentation. Mesos unpacks it into the task sandbox and runs `docker pull` with
 * HOME=<sandbox>. The config names the helper only; there is no secret in the archive.
 *
 * - `--registry <host>` (repeatable): a `credHelpers` entry for that ECR registry; other
 *   registries (Docker Hub…) are not sent to the helper.
 * - `--creds-store`: `"credsStore": "ecr-login"`: every registry is asked of the helper (the
 *   helper answers "not found" for non-ECR hosts, and Docker pulls those anonymously). The
 *   default when no --registry is given.
 * - `--output <file>`: default `docker.tar.gz` in the current directory.
 *
 * The tar writer is a minimal POSIX ustar writer, so the script needs nothing but Node.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isEcrHost } from '../src/registry/parse';

export const HELPER_SUFFIX = 'ecr-login';

export interface DockerConfigOptions {
  /** ECR registry hosts for `credHelpers`. */
  readonly registries: readonly string[];
  /** Add `"credsStore": "ecr-login"`. */
  readonly credsStore: boolean;
}

export interface DockerConfigFile {
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** The `.docker/config.json` content. Throws for a host that is not an ECR registry. */
export function dockerConfigFor(options: DockerConfigOptions): DockerConfigFile {
  const config: DockerConfigFile = {};
  if (options.credsStore) config.credsStore = HELPER_SUFFIX;
  if (options.registries.length > 0) {
    config.credHelpers = {};
    for (const given of options.registries) {
      // Docker looks credHelpers up by the image's registry as written: host, or host:port.
      const host = given.trim().replace(/^https?:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
      if (!isEcrHost(host)) throw new Error(`not an ECR registry host: ${JSON.stringify(given)}`);
      config.credHelpers[host] = HELPER_SUFFIX;
    }
  }
  if (config.credsStore === undefined && config.credHelpers === undefined) throw new Error('nothing to configure: give --registry <host> or --creds-store');
  return config;
}

export interface TarEntry {
  /** Relative path; directories end with `/`. */
  readonly path: string;
  readonly type: 'file' | 'directory';
  readonly mode: number;
  readonly content?: Buffer;
  /** Seconds since the epoch. */
  readonly mtime: number;
}

const BLOCK = 512;

/** A POSIX ustar archive (uncompressed) of the entries, owned by root:root. */
export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.type === 'file' ? (entry.content ?? Buffer.alloc(0)) : Buffer.alloc(0);
    parts.push(tarHeader(entry, content.length));
    if (content.length > 0) {
      parts.push(content);
      const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
      parts.push(Buffer.alloc(padding));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2)); // end of archive
  return Buffer.concat(parts);
}

function tarHeader(entry: TarEntry, size: number): Buffer {
  const header = Buffer.alloc(BLOCK);
  const name = entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: path too long for this writer: ${name}`);
  const octal = (value: number, width: number): string => `${value.toString(8).padStart(width - 1, '0')}\0`;
  header.write(name, 0, 100, 'utf8');
  header.write(octal(entry.mode & 0o7777, 8), 100, 8, 'ascii');
  header.write(octal(0, 8), 108, 8, 'ascii'); // uid
  header.write(octal(0, 8), 116, 8, 'ascii'); // gid
  header.write(octal(size, 12), 124, 12, 'ascii');
  header.write(octal(Math.floor(entry.mtime), 12), 136, 12, 'ascii');
  header.write('        ', 148, 8, 'ascii'); // checksum placeholder: spaces
  header.write(entry.type === 'directory' ? '5' : '0', 156, 1, 'ascii');
  header.write('ustar\0', 257, 6, 'ascii');
  header.write('00', 263, 2, 'ascii');
  header.write('root', 265, 32, 'ascii');
  header.write('root', 297, 32, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return header;
}

/** `docker.tar.gz`: `.docker/` (0700) and `.docker/config.json` (0600). */
export function dockerTarGz(config: DockerConfigFile, mtime = defaultMtime()): Buffer {
  const json = Buffer.from(`${JSON.stringify(config, null, 2)}\n`, 'utf8');
  return gzipSync(
    tarArchive([
      { path: '.docker/', type: 'directory', mode: 0o700, mtime },
      { path: '.docker/config.json', type: 'file', mode: 0o600, content: json, mtime },
    ]),
  );
}

/** SOURCE_DATE_EPOCH when set (reproducible archives), else now. */
function defaultMtime(): number {
  const fixed = Number(process.env.SOURCE_DATE_EPOCH);
  return Number.isInteger(fixed) && fixed >= 0 ? fixed : Math.floor(Date.now() / 1000);
}

const USAGE = `Usage: marathon-docker-tar [--registry <ecr-host>]... [--creds-store] [--output <file>]

Writes docker.tar.gz for Marathon's "fetch" (Mesos Docker containerizer): .docker/config.json
pointing Docker at docker-credential-ecr-login.

  --registry <host>  a credHelpers entry for this ECR registry (repeatable), e.g.
                     123456789012.dkr.ecr.eu-west-1.amazonaws.com or public.ecr.aws
  --creds-store      "credsStore": "ecr-login" for every registry (default without --registry)
  --output <file>    where to write (default: ./docker.tar.gz)
  -h, --help         this text
`;

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run` starts scripts in the package root; a relative --output means the caller's directory. */
function callerDirectory(): string {
  return process.env.npm_lifecycle_event === 'marathon-docker-tar' && process.env.INIT_CWD ? process.env.INIT_CWD : process.cwd();
}

export function runCli(argv: readonly string[], cwd = callerDirectory()): CliResult {
  const registries: string[] = [];
  let credsStore = false;
  let output = 'docker.tar.gz';
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const value = (): string => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      i += 1;
      return next;
    };
    try {
      if (arg === '--registry') registries.push(value());
      else if (arg.startsWith('--registry=')) registries.push(arg.slice('--registry='.length));
      else if (arg === '--creds-store') credsStore = true;
      else if (arg === '--output' || arg === '-o') output = value();
      else if (arg.startsWith('--output=')) output = arg.slice('--output='.length);
      else if (arg === '-h' || arg === '--help') return { code: 0, stdout: USAGE, stderr: '' };
      else throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    } catch (error) {
      if (error instanceof UsageError) return { code: 2, stdout: '', stderr: `marathon-docker-tar: ${error.message}\n${USAGE}` };
      throw error;
    }
  }
  let config: DockerConfigFile;
  try {
    config = dockerConfigFor({ registries, credsStore: credsStore || registries.length === 0 });
  } catch (error) {
    return { code: 2, stdout: '', stderr: `marathon-docker-tar: ${(error as Error).message}\n` };
  }
  const target = resolve(cwd, output);
  // Write next to the target, then rename: a fetch never sees half an archive.
  const partial = join(dirname(target), `.${basename(target)}.${process.pid}.partial`);
  writeFileSync(partial, dockerTarGz(config), { mode: 0o644 });
  renameSync(partial, target);
  return { code: 0, stdout: `${target}\n.docker/config.json: ${JSON.stringify(config)}\n`, stderr: '' };
}

class UsageError extends Error {}

if (require.main === module) {
  const result = runCli(process.argv.slice(2));
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.code;
}
