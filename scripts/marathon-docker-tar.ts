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
 * `docker-credential-ecr-login configure --archive <file>` writes the same archive; this script
 * shares its code (src/commands/docker-config.ts) and needs nothing but Node.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { addHelperEntries, credHelpersKey, dockerConfigArchive } from '../src/commands/docker-config';
import { isEcrHost } from '../src/registry/parse';

export interface DockerConfigOptions {
  /** ECR registry hosts for `credHelpers`. */
  readonly registries: readonly string[];
  /** Add `"credsStore": "ecr-login"`. */
  readonly credsStore: boolean;
}

/** The `.docker/config.json` text. Throws for a host that is not an ECR registry. */
export function dockerConfigFor(options: DockerConfigOptions): string {
  const hosts = options.registries.map((given) => {
    const host = credHelpersKey(given);
    if (!isEcrHost(host)) throw new Error(`not an ECR registry host: ${JSON.stringify(given)}`);
    return host;
  });
  if (!options.credsStore && hosts.length === 0) throw new Error('nothing to configure: give --registry <host> or --creds-store');
  return addHelperEntries(undefined, { hosts, store: options.credsStore }, '.docker/config.json').text;
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
  let config: string;
  try {
    config = dockerConfigFor({ registries, credsStore: credsStore || registries.length === 0 });
  } catch (error) {
    return { code: 2, stdout: '', stderr: `marathon-docker-tar: ${(error as Error).message}\n` };
  }
  const target = resolve(cwd, output);
  // Write next to the target, then rename: a fetch never sees half an archive.
  const partial = join(dirname(target), `.${basename(target)}.${process.pid}.partial`);
  writeFileSync(partial, dockerConfigArchive(config, defaultMtime()), { mode: 0o644 });
  renameSync(partial, target);
  return { code: 0, stdout: `${target}\n.docker/config.json: ${JSON.stringify(JSON.parse(config))}\n`, stderr: '' };
}

class UsageError extends Error {}

if (require.main === module) {
  const result = runCli(process.argv.slice(2));
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.code;
}
