/**
 * The command line through the real bin/, generated: verbs, flags, extra arguments, junk, in any
 * order, with nothing on stdin. Every run well behaved (bin-runs.ts); a usage error prints the
 * usage line on stdout; nothing but a protocol verb alone, a help or version flag, or a command
 * with what it takes succeeds.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import fc from 'fast-check';
import { cleanEnv, makeTempHome, runHelper } from '../support/helper-process';
import { assertWellBehaved, RUN_BOUND_MS, runGenerated } from './bin-runs';

const { home, cleanup } = makeTempHome('ecr-login-property-argv-');
after(cleanup);
const env = cleanEnv(home);
const USAGE = 'Usage: docker-credential-ecr-login <store|get|erase|list|version>\n';

const word = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('get', 'store', 'erase', 'list', 'version', 'get-credentials', 'help') },
  { weight: 3, arbitrary: fc.constantFrom('-h', '--help', '-v', '--version', '--', '-', '--bogus', '-x', '--json', 'GET', 'extra', '', ' ', '-vh', '--help=1') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }).filter((text) => !text.includes('\u0000')) },
);

it('argv: every run well behaved, usage errors on stdout as the usage line', async (t) => {
  const outcomes = new Map<string, number>();
  await runGenerated(
    t,
    'argv',
    fc.array(word, { maxLength: 4 }),
    200,
    (argv) => runHelper(argv, { env, input: '', timeoutMs: RUN_BOUND_MS + 5000 }),
    (argv, result) => {
      assertWellBehaved(result, { stdoutOnError: argv[0] === 'get-credentials' && argv.length === 1 ? 'empty' : 'one-line' });
      const verbAlone = argv.length === 1 && ['get', 'store', 'erase', 'list', 'version', 'get-credentials'].includes(argv[0] ?? '');
      const kind = result.code === 0 ? 'success' : verbAlone ? 'verb error' : result.stdout === USAGE ? 'usage' : 'other error';
      outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
      if (verbAlone) return;
      // Anything else is help, a version, or the usage line.
      if (result.code === 0) assert.ok(result.stdout.startsWith(USAGE) || /^docker-credential-ecr-login \S+\n$/.test(result.stdout), result.stdout);
      else assert.equal(result.stdout, USAGE);
    },
  );
  t.diagnostic(JSON.stringify(Object.fromEntries(outcomes)));
});
