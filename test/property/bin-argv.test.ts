/**
 * The command line through the real bin/, generated: verbs, flags, extra arguments, junk, in any
 * order, with nothing on stdin. Every run well behaved (bin-runs.ts), and as docs/SPEC.md
 * section 1 says: a protocol verb runs only alone (with anything after it, a usage error, or its
 * help); no command, or an unknown one, prints the usage line and exits 1 (unless help is asked for).
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
const PROTOCOL_VERBS = ['get', 'store', 'erase', 'list', 'version', 'get-credentials'];

const word = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PROTOCOL_VERBS, 'help') },
  { weight: 3, arbitrary: fc.constantFrom('-h', '--help', '-v', '--version', '--', '-', '--bogus', '-x', '--json', 'GET', 'extra', '', ' ', '-vh', '--help=1') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }).filter((text) => !text.includes('\u0000')) },
);

it('argv: every run well behaved; a verb runs only alone; no command or an unknown one is a usage error', async (t) => {
  const outcomes = new Map<string, number>();
  await runGenerated(
    t,
    'argv',
    fc.array(word, { maxLength: 4 }),
    200,
    (argv) => runHelper(argv, { env, input: '', timeoutMs: RUN_BOUND_MS + 5000 }),
    (argv, result) => {
      const [first, ...rest] = argv;
      const verbAlone = argv.length === 1 && PROTOCOL_VERBS.includes(first ?? '');
      assertWellBehaved(result, { stdoutOnError: first === 'get-credentials' && verbAlone ? 'empty' : 'one-line' });
      const kind = result.code === 0 ? 'success' : verbAlone ? 'a verb with nothing on stdin' : result.stdout === USAGE ? 'usage' : 'other error';
      outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
      const helpAsked = argv.some((arg) => arg === '--help' || /^-[^-]*h/.test(arg));
      // A `--` right after the verb only ends its (absent) options.
      const afterVerb = rest[0] === '--' ? rest.slice(1) : rest;
      if (first !== undefined && PROTOCOL_VERBS.includes(first) && afterVerb.length > 0) {
        assert.ok((result.code === 1 && result.stdout === USAGE) || (result.code === 0 && helpAsked), 'a verb with anything after it does not run');
      }
      if (argv.length === 0) assert.deepEqual([result.code, result.stdout], [1, USAGE]);
      // Help, when asked for anywhere, wins over what else is wrong, as in most command lines.
      if (first !== undefined && !first.startsWith('-') && first !== 'help' && !PROTOCOL_VERBS.includes(first) && !helpAsked) {
        assert.deepEqual([result.code, result.stdout], [1, USAGE], 'an unknown command');
        assert.match(result.stderr, /^docker-credential-ecr-login: unknown verb '/);
      }
    },
  );
  t.diagnostic(JSON.stringify(Object.fromEntries(outcomes)));
});
