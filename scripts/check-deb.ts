/**
 * `node dist/scripts/check-deb.js` (as root; run by .ci/run after the test suite, never inside
 * it, since it changes the machine's packages): the .deb of this architecture, installed and
 * used and removed for real.
 *
 * 1. `apt-get install ./….deb`: it installs, and takes the place of Debian's Go helper
 *    (Conflicts/Replaces), which apt removes.
 * 2. /usr/bin/docker-credential-ecr-login is the package's file, byte for byte the standalone
 *    executable, and answers `version`.
 * 3. The real Docker CLI, with a PATH that holds only the installed command, pulls through it
 *    from the fake daemon and hands the daemon exactly the ECR emulator's token.
 * 4. `apt-get purge`: no file of the package is left, nor any package state.
 * 5. The Go helper is installed again (for the next run and for the bench), whatever happened.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerCliUnavailable } from '../test/support/docker-cli';
import { dockerPullThrough, PULL_HOST } from '../test/support/docker-pull';
import { COMMAND, debPath, GO_HELPER_PACKAGE, hostArch, packageVersion, sha256File, standalonePath } from './artifacts';

const PACKAGE = COMMAND;
const INSTALLED = `/usr/bin/${COMMAND}`;

function run(command: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, [...args], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return { status: result.status, stdout: result.stdout ?? '', stderr: `${result.stderr ?? ''}${result.error?.message ?? ''}` };
}

function apt(args: readonly string[]): void {
  const result = run('apt-get', ['-q', '-y', '-o', 'DPkg::Lock::Timeout=300', '-o', 'Dpkg::Use-Pty=0', ...args]);
  if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
}

/** `install ok installed <version>`, or '' when dpkg knows nothing of the package. */
function packageState(name: string): string {
  return run('dpkg-query', ['-W', '-f', '${Status} ${Version}', name]).stdout.trim();
}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(`not so: ${what}`);
  console.log(`ok: ${what}`);
}

async function check(work: string): Promise<void> {
  const deb = debPath(hostArch());
  expect(existsSync(deb), `${deb} exists (npm run build:deb makes it)`);
  console.log(`${deb}: ${(statSync(deb).size / 1024 / 1024).toFixed(1)} MiB`);

  apt(['install', '--no-install-recommends', deb]);
  expect(packageState(PACKAGE) === `install ok installed ${packageVersion()}`, `${PACKAGE} ${packageVersion()} is installed`);
  expect(!packageState(GO_HELPER_PACKAGE).startsWith('install ok'), `${GO_HELPER_PACKAGE} made way for it`);
  const owned = run('dpkg-query', ['-L', PACKAGE]).stdout.split('\n').filter(Boolean);
  const files = owned.filter((path) => existsSync(path) && statSync(path).isFile());
  expect(run('dpkg-query', ['-S', INSTALLED]).stdout.startsWith(`${PACKAGE}: `), `${INSTALLED} belongs to ${PACKAGE}`);
  expect(sha256File(INSTALLED) === sha256File(standalonePath(hostArch())), `${INSTALLED} is the standalone executable`);
  for (const doc of ['copyright', 'changelog.gz', 'README.md.gz']) {
    expect(files.includes(`/usr/share/doc/${PACKAGE}/${doc}`), `/usr/share/doc/${PACKAGE}/${doc} is installed`);
  }
  const version = run(INSTALLED, ['version']);
  expect(version.status === 0 && version.stdout === `${COMMAND} ${packageVersion()}\n` && version.stderr === '', `${INSTALLED} version: ${version.stdout.trim()}`);

  const unavailable = dockerCliUnavailable();
  if (unavailable !== undefined) throw new Error(unavailable);
  const onlyHelper = join(work, 'path');
  mkdirSync(onlyHelper);
  symlinkSync(INSTALLED, join(onlyHelper, COMMAND));
  const pull = await dockerPullThrough(join(work, 'docker'), onlyHelper);
  expect(pull.result.code === 0, `docker pull ${PULL_HOST}/app:tag through ${INSTALLED} (exit ${pull.result.code}: ${pull.result.stderr.trim()})`);
  const token = pull.issued.length === 1 ? pull.issued[0]?.password : undefined;
  expect(
    token !== undefined && pull.auth?.username === 'AWS' && pull.auth.password === token && pull.auth.serveraddress === PULL_HOST,
    'the daemon got username AWS and exactly the token the emulator issued',
  );

  apt(['purge', PACKAGE]);
  expect(packageState(PACKAGE) === '', `${PACKAGE} is purged: dpkg keeps no state of it`);
  const left = owned.filter((path) => existsSync(path) && (files.includes(path) || path.includes(`/${PACKAGE}`)));
  expect(left.length === 0, `none of its ${files.length} files or its directories is left${left.length ? `: ${left.join(', ')}` : ''}`);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('installing packages needs root: run it as root (.ci/run does)');
  const work = mkdtempSync(join(tmpdir(), 'ecr-login-deb-check-'));
  let failure: unknown;
  try {
    await check(work);
  } catch (error) {
    failure = error;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // Whatever happened above, the machine gets its Go helper back.
  if (packageState(PACKAGE) !== '') apt(['purge', PACKAGE]);
  apt(['install', '--no-install-recommends', GO_HELPER_PACKAGE]);
  expect(run('dpkg-query', ['-S', INSTALLED]).stdout.startsWith(`${GO_HELPER_PACKAGE}: `), `${GO_HELPER_PACKAGE} is back at ${INSTALLED}`);
  if (failure !== undefined) throw failure;
}

main().catch((error: unknown) => {
  console.error(`check-deb: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
