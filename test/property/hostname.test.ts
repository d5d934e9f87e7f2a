/**
 * The hostname grammar (docs/SPEC.md section 2) against generated server URLs: registry hosts as
 * clients write them, near misses (a character changed, a label added or lost, look-alikes, ports,
 * schemes, userinfo), other registries and junk. The helper must give the reference model's
 * answer for every one, and say what is wrong with a near miss in one line that never repeats a
 * password.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { withoutUserinfo } from '../../src/logging/logger';
import { explainNearMiss } from '../../src/registry/near-miss';
import { parseRegistry } from '../../src/registry/parse';
import { seedNote, TEST_SEED } from '../support/seed';
import { modelRegistry } from './ecr-host-model';
import { ecrHost, nearEcrHost, PASSWORD_CANARY, serverUrl } from './generators';

/**
 * Sized to the minimum for the suite (10,000 generated cases through the pure functions,
 * test/property all told), not beyond: the suite runs on loaded 2-core machines.
 */
const RUNS = 1200;

it('parseRegistry answers as the reference model of section 2, for every generated server URL', (t) => {
  fc.assert(
    fc.property(serverUrl, (url) => {
      assert.deepEqual(parseRegistry(url), modelRegistry(url), JSON.stringify(url));
    }),
    // Found by this property with a random seed: the names every object has were ECR Public.
    { seed: TEST_SEED, numRuns: RUNS, examples: [['__proto__'], ['constructor'], ['https://Constructor:443/v2/']] },
  );
  t.diagnostic(seedNote(RUNS, 'parseRegistry against the reference model'));
});

it('near misses of real hosts: the same answer as the model, and most are told apart', (t) => {
  let ecr = 0;
  let explained = 0;
  let notEcr = 0;
  fc.assert(
    fc.property(nearEcrHost, (host) => {
      const parsed = parseRegistry(host);
      assert.deepEqual(parsed, modelRegistry(host), JSON.stringify(host));
      if (parsed !== undefined) {
        ecr += 1;
        return;
      }
      notEcr += 1;
      if (explainNearMiss(host) !== undefined) explained += 1;
    }),
    { seed: TEST_SEED, numRuns: RUNS },
  );
  t.diagnostic(`${seedNote(RUNS, 'parseRegistry on near misses')}: ${ecr} still ECR, ${notEcr} not, ${explained} of those explained`);
  // The mutations are meant to stay near ECR: a grammar that stopped explaining them would show here.
  assert.ok(ecr > 0 && notEcr > 0, 'the generator makes both kinds');
  assert.ok(explained / notEcr > 0.8, `${explained} of ${notEcr} near misses explained`);
});

it('a registry keeps its identity however a client writes it', (t) => {
  const written = fc.tuple(
    fc.constantFrom('', 'https://', 'http://', 'HTTPS://'),
    fc.constantFrom('', 'AWS@', `user:${PASSWORD_CANARY}@`),
    fc.mixedCase(ecrHost),
    fc.constantFrom('', ':443', ':5000', ':65535'),
    fc.constantFrom('', '/', '/v2/', '/v2/team/app/manifests/latest', '?q=1'),
    fc.constantFrom('', '\n', ' \r\n'),
  );
  fc.assert(
    fc.property(written, (parts) => {
      const bare = parseRegistry(parts[2].toLowerCase());
      assert.ok(bare !== undefined);
      assert.deepEqual(parseRegistry(parts.join('')), bare, JSON.stringify(parts.join('')));
    }),
    { seed: TEST_SEED, numRuns: 400 },
  );
  t.diagnostic(seedNote(400, 'parseRegistry on written forms of one registry'));
});

it('what is said about a near miss is one bounded line, and never repeats a password', (t) => {
  fc.assert(
    fc.property(serverUrl, (url) => {
      if (parseRegistry(url) !== undefined) return;
      const explanation = explainNearMiss(url);
      if (explanation === undefined) return;
      assert.doesNotMatch(explanation, /[\r\n]/, 'one line');
      assert.ok(explanation.length <= 1000, `${explanation.length} characters`);
      assert.equal(explanation.toLowerCase().includes(PASSWORD_CANARY.toLowerCase()), false, `${JSON.stringify(url)} → ${explanation}`);
      assert.equal(String(withoutUserinfo(url)).toLowerCase().includes(PASSWORD_CANARY.toLowerCase()), false, `the log's serverUrl of ${JSON.stringify(url)}`);
    }),
    {
      seed: TEST_SEED,
      numRuns: RUNS,
      // Found by this property with random seeds: a password holding a `/` ends the URL's authority
      // early, and the explanation used to read the password as the host.
      examples: [
        [`u:public${PASSWORD_CANARY}/@000000000000.dkr.ecr.us-east-1.amazonaws.com`],
        [`https://u:dkr.ecr${PASSWORD_CANARY}/@a00000000000.dkr.ecr.us-east-1.amazonaws.com:443`],
        [`public.ecr.aws:${PASSWORD_CANARY}/@aublic.ecr.aws`],
        [`x.dkr.ecr.${PASSWORD_CANARY}/@123456789012.dkr.ecr.us-east-1.amazonaws.com`],
      ],
    },
  );
  t.diagnostic(seedNote(RUNS, 'explainNearMiss and the log serializer'));
});
