/**
 * Loaded into a helper run with `NODE_OPTIONS=--require <this file>`: when the process exits,
 * it writes the list of modules that were loaded to $ECR_LOGIN_TEST_MODULE_PROBE, so a test
 * can prove that a cache hit never loaded the AWS SDK.
 */
import { writeFileSync } from 'node:fs';

const probeOutput = process.env.ECR_LOGIN_TEST_MODULE_PROBE;
if (probeOutput) {
  process.on('exit', () => writeFileSync(probeOutput, JSON.stringify(Object.keys(require.cache))));
}
