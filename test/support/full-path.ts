/**
 * Runs the full command line as the fast path hands over to it, without the fast path:
 * `node full-path.js <args…>`, for tests that compare the two (test/cli/fast-path.test.ts).
 */
import { join } from 'node:path';
import { REPO_ROOT } from './helper-process';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const full = require(join(REPO_ROOT, 'dist', 'bin', 'docker-credential-ecr-login-full.js')) as typeof import('../../src/cli/main');
void full.main(process.argv.slice(2));
