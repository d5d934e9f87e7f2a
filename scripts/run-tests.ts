/**
 * `npm test`: Node's test runner over dist/test/, in an environment built from scratch.
 * The machine (and a developer's shell) may set AWS_PROFILE, keys, AWS_CA_BUNDLE,
 * NODE_EXTRA_CA_CERTS…: none of it may reach a test, and no test may reach EC2 metadata.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repoRoot = resolve(__dirname, '..', '..');
const home = mkdtempSync(join(tmpdir(), 'ecr-login-tests-home-'));
const env: Record<string, string> = {
  PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
  HOME: home,
  TMPDIR: tmpdir(),
  LANG: 'C.UTF-8',
  AWS_EC2_METADATA_DISABLED: 'true',
};
if (process.env.CI) env.CI = process.env.CI;

const targets = process.argv.slice(2);
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', ...(targets.length > 0 ? targets : [join('dist', 'test')])],
  { cwd: repoRoot, env, stdio: 'inherit' },
);
rmSync(home, { recursive: true, force: true });
process.exit(result.status ?? 1);
