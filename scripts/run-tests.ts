/**
 * `npm test`: Node's test runner over every dist/test/**\/*.test.js, in an environment built
 * from scratch. The machine (and a developer's shell) may set AWS_PROFILE, keys,
 * AWS_CA_BUNDLE, NODE_EXTRA_CA_CERTS…: none of it may reach a test, and no test may reach EC2
 * metadata. Test files are listed explicitly: Node 21+ reads a directory argument as a glob.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const repoRoot = resolve(__dirname, '..', '..');
/**
 * A test that hangs fails after this long instead of stalling CI: a bound only a hang reaches.
 * Before Node 24 (nodejs/node#57672) --test-timeout bounds each test file as a whole, from
 * Node 24 each test; either way 10 minutes. A single test can take minutes on a loaded machine:
 * the 200 generated runs of bin/ in one property test took 120 s beside two other suites and two
 * `yes` on Node 24, where the bound was 2 minutes and failed it.
 */
const TEST_TIMEOUT_MS = 600_000;

/**
 * The compiled tests under `dir` whose source is still in test/: tsc never deletes what it
 * compiled before, so a test renamed or removed since the last build would otherwise run on.
 */
function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.js') && existsSync(sourceOf(path)) ? [path] : [];
  });
}

function sourceOf(compiled: string): string {
  return join(repoRoot, relative(join(repoRoot, 'dist'), compiled)).replace(/\.js$/, '.ts');
}

const targets = process.argv.slice(2).map((target) => resolve(repoRoot, target));
const files = (targets.length > 0 ? targets : [join(repoRoot, 'dist', 'test')])
  .flatMap((target) => (target.endsWith('.js') ? [target] : testFiles(target)))
  .map((path) => relative(repoRoot, path))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files found (is the project built?)');
  process.exit(1);
}

const home = mkdtempSync(join(tmpdir(), 'ecr-login-tests-home-'));
const env: Record<string, string> = {
  PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
  HOME: home,
  TMPDIR: tmpdir(),
  LANG: 'C.UTF-8',
  AWS_EC2_METADATA_DISABLED: 'true',
};
if (process.env.CI) env.CI = process.env.CI;
// The seed of generated inputs (test/support/seed.ts): a failure is replayed with the seed it printed.
if (process.env.ECR_LOGIN_TEST_SEED) env.ECR_LOGIN_TEST_SEED = process.env.ECR_LOGIN_TEST_SEED;

const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', `--test-timeout=${TEST_TIMEOUT_MS}`, ...files], {
  cwd: repoRoot,
  env,
  stdio: 'inherit',
});
rmSync(home, { recursive: true, force: true });
process.exit(result.status ?? 1);
