/**
 * .ci/run runs the whole suite on each supported Node by putting that Node first on PATH. The
 * suite proves something about that Node only if the helper processes it starts run on it too:
 * bin/ starts with `#!/usr/bin/env node`, and every test builds its helper's PATH from the
 * runner's.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanEnv, makeTempHome, runHelper } from '../support/helper-process';

describe('the Node under test', () => {
  const { home, cleanup } = makeTempHome();
  after(cleanup);

  it("is the one the helper's launcher runs on", async () => {
    const probe = join(home, 'node-version-probe.js');
    const seen = join(home, 'node-version');
    writeFileSync(probe, `require('node:fs').writeFileSync(${JSON.stringify(seen)}, process.version);\n`);
    const result = await runHelper(['version'], { env: cleanEnv(home, { NODE_OPTIONS: `--require ${probe}` }) });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(readFileSync(seen, 'utf8'), process.version);
  });
});
