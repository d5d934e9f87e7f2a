/**
 * Help for every command of the command table (`<command> --help`), and the man page: listed in
 * package.json, rendered by `man -l` without a warning, and naming every command and every
 * AWS_ECR_* variable the helper reads.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { COMMANDS } from '../../src/cli/commands';
import { findOnPath } from '../support/docker-cli';
import { cleanEnv, makeTempHome, REPO_ROOT, runCommand, runHelper } from '../support/helper-process';

const { home, cleanup } = makeTempHome();
after(cleanup);
const env = cleanEnv(home);
const MAN_PAGE = join(REPO_ROOT, 'man', 'docker-credential-ecr-login.1');

describe('--help', () => {
  for (const entry of COMMANDS) {
    it(`${entry.name} --help: its usage and summary on stdout, exit 0`, async () => {
      const result = await runHelper([entry.name, '--help'], { env });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.ok(result.stdout.startsWith(`Usage: docker-credential-ecr-login ${entry.name}`), result.stdout);
      assert.ok(result.stdout.includes(entry.summary.slice(0, 40)), result.stdout);
      assert.equal(result.stderr, '');
    });
  }

  it('--help lists every command', async () => {
    const result = await runHelper(['--help'], { env });
    assert.equal(result.code, 0);
    for (const entry of COMMANDS) assert.match(result.stdout, new RegExp(`\\n  ${entry.name}\\b`), entry.name);
  });
});

describe('the man page', () => {
  const page = readFileSync(MAN_PAGE, 'utf8');
  const plain = page.replace(/\\-/g, '-').replace(/\\f[BIRP]/g, '');

  it('is listed in package.json "man" and shipped in "files"', () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { man?: string[]; files?: string[] };
    assert.deepEqual(manifest.man, ['./man/docker-credential-ecr-login.1']);
    assert.ok(manifest.files?.includes('man/'));
  });

  it('names every command, and the settings file with its three settings', () => {
    for (const entry of COMMANDS) assert.match(plain, new RegExp(`^\\.B ${entry.name}\\b|^\\.BR? "?${entry.name}\\b|^\\.BI? ${entry.name}\\b`, 'm'), entry.name);
    assert.match(plain, /^\.SH SETTINGS FILE$/m);
    for (const setting of ['profile', 'roleArn', 'registry']) assert.match(plain, new RegExp(`^\\.B ${setting}$`, 'm'), setting);
  });

  it('names every AWS_ECR_* variable the helper reads, and DOCKER_CONFIG', () => {
    const settingsSource = readFileSync(join(REPO_ROOT, 'src', 'config', 'settings.ts'), 'utf8');
    const variables = [...new Set(settingsSource.match(/\b(?:AWS_ECR_[A-Z_]+|DOCKER_CONFIG)\b/g) ?? [])];
    assert.ok(variables.length >= 6, variables.join(' '));
    for (const variable of variables) assert.match(plain, new RegExp(`^\\.B ${variable}$`, 'm'), variable);
  });

  const man = findOnPath('man');
  it('renders with man -l at 80 columns without a warning', { skip: man === undefined ? 'man is not installed (apt-get install man-db)' : false }, async () => {
    const result = await runCommand(man!, ['--warnings', '-l', MAN_PAGE], { env: { ...env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat' } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '', 'no warning from troff');
    assert.match(result.stdout, /docker-credential-ecr-login\s+-\s+Docker\s+credential\s+helper\s+for\s+Amazon\s+ECR/);
    for (const section of ['SYNOPSIS', 'PROTOCOL VERBS', 'COMMANDS', 'SETTINGS FILE', 'ENVIRONMENT', 'FILES', 'EXIT STATUS']) assert.match(result.stdout, new RegExp(`\\n${section}\\n`));
  });
});
