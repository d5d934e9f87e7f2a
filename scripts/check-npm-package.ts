/**
 * `node dist/scripts/check-npm-package.js` (run by .ci/run; needs the npm registry): the
 * tarball `npm pack` makes installs globally from an empty directory into an empty prefix,
 * without running a script, and the installed command answers `version` and gets a token from
 * the ECR emulator; `npx --package <tarball>` runs it too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEcrEmulator } from '../test/support/ecr-emulator';
import { runCommand } from '../test/support/helper-process';
import { COMMAND, packageVersion, REPO_ROOT } from './artifacts';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

function npm(args: readonly string[], cwd: string): string {
  const result = spawnSync('npm', [...args], { cwd, encoding: 'utf8', env: { ...process.env, NPM_CONFIG_UPDATE_NOTIFIER: 'false', NPM_CONFIG_FUND: 'false' } });
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
  console.log(`ok: ${what}`);
}

async function check(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'ecr-login-npm-check-'));
  try {
    const packDir = join(work, 'pack');
    mkdirSync(packDir);
    npm(['pack', '--silent', '--pack-destination', packDir], REPO_ROOT);
    const tarball = join(packDir, `${COMMAND}-${packageVersion()}.tgz`);
    console.log(`${tarball}: ${(statSync(tarball).size / 1024).toFixed(0)} KiB`);

    const empty = join(work, 'empty');
    const prefix = join(work, 'prefix');
    mkdirSync(empty);
    mkdirSync(prefix);
    const installed = npm(['install', '--global', '--prefix', prefix, '--foreground-scripts', tarball], empty);
    expect(!new RegExp(`> ${COMMAND}@\\S+ (preinstall|install|postinstall|prepare)`).test(installed), 'the install ran none of its scripts');
    const packageDir = join(prefix, 'lib', 'node_modules', COMMAND);
    // No node_modules: the packages the helper uses are bundled (scripts/bundle.js).
    const expected = ['LICENSE', 'README.md', 'bin', 'dist', 'package.json', ...(existsSync(join(REPO_ROOT, 'man')) ? ['man'] : [])];
    expect(readdirSync(packageDir).sort().join(' ') === expected.sort().join(' '), `installed: ${readdirSync(packageDir).sort().join(' ')}`);
    expect(readdirSync(join(packageDir, 'dist')).join(' ') === 'bin', 'dist/ holds only the bundle');

    const command = join(prefix, 'bin', COMMAND);
    const home = join(work, 'home');
    mkdirSync(home);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, AWS_EC2_METADATA_DISABLED: 'true' };
    const version = await runCommand(command, ['version'], { env, cwd: empty });
    expect(version.code === 0 && version.stdout === `${COMMAND} ${packageVersion()}\n` && version.stderr === '', `${command} version: ${version.stdout.trim()}`);

    const emulator = await startEcrEmulator({ credentials: { AKIDNPMCHECK: 'npm-check-secret' } });
    try {
      const get = await runCommand(command, ['get'], {
        env: { ...env, AWS_ACCESS_KEY_ID: 'AKIDNPMCHECK', AWS_SECRET_ACCESS_KEY: 'npm-check-secret', AWS_ENDPOINT_URL_ECR: emulator.url },
        input: HOST,
        cwd: empty,
      });
      const secret = get.code === 0 ? (JSON.parse(get.stdout) as { Secret?: string }).Secret : undefined;
      expect(secret !== undefined && secret === emulator.issued.at(-1)?.password, `${command} get: the emulator's token (exit ${get.code} ${get.stdout.slice(0, 80)}${get.stderr})`);
    } finally {
      await emulator.close();
    }

    const npx = spawnSync('npx', ['--yes', '--package', tarball, '--', COMMAND, 'version'], { cwd: empty, encoding: 'utf8', env: { ...process.env, NPM_CONFIG_UPDATE_NOTIFIER: 'false' } });
    expect(npx.status === 0 && npx.stdout === `${COMMAND} ${packageVersion()}\n`, `npx --package <tarball> ${COMMAND} version: ${npx.stdout.trim()}${npx.stderr.trim()}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

check().catch((error: unknown) => {
  console.error(`check-npm-package: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
