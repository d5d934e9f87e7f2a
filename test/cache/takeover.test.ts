/**
 * Taking over the lock of a leader that died, under contention (issue 8): many helper processes
 * find the same dead lock at once, on a machine whose cores are kept busy. Exactly one of them
 * may fetch; the rest take its token. Earlier builds moved the dead lock aside and put back
 * whatever live lock they had moved by mistake, leaving the name empty for a moment: under load
 * a third process took it then, and two fetched (the `3 !== 2` of the leader-killed test).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startCpuLoad } from '../support/cpu-load';
import { cleanEnv, runCommand } from '../support/helper-process';

const CONTENDER = join(__dirname, 'flight-contender.js');
const root = mkdtempSync(join(tmpdir(), 'flight-takeover-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe("taking over a dead leader's lock", () => {
  it('24 processes × 100 rounds, each round a dead lock, cores kept busy: one fetch per round, one token for all', async () => {
    const CONTENDERS = 24;
    const ROUNDS = 100;
    const dir = join(root, 'tokens');
    const fetchLog = join(root, 'fetches');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(fetchLog, '');
    const env = cleanEnv(root);

    const planted = await runCommand(process.execPath, [CONTENDER, 'plant', dir, String(ROUNDS)], { env });
    assert.equal(planted.code, 0, planted.stderr);
    assert.equal(readdirSync(dir).filter((name) => name.endsWith('.lock')).length, ROUNDS, 'a dead lock for every round');

    const load = startCpuLoad(4);
    let results;
    try {
      // Time for every contender to start before the first round.
      const firstAt = Date.now() + 2_000;
      results = await Promise.all(
        Array.from({ length: CONTENDERS }, () =>
          runCommand(process.execPath, [CONTENDER, 'contend', dir, String(ROUNDS), String(firstAt), '80', fetchLog], { env, timeoutMs: 300_000 }),
        ),
      );
    } finally {
      await load.stop();
    }

    const fetchesPerRound = new Map<string, number>();
    for (const round of readFileSync(fetchLog, 'utf8').split('\n').filter(Boolean)) fetchesPerRound.set(round, (fetchesPerRound.get(round) ?? 0) + 1);
    const wrong = Array.from({ length: ROUNDS }, (_, round) => [round, fetchesPerRound.get(String(round)) ?? 0]).filter(([, count]) => count !== 1);
    assert.deepEqual(wrong, [], '[round, fetches] of every round that did not fetch exactly once');

    const secrets = new Map<string, Set<string>>();
    for (const result of results) {
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.trim().split('\n');
      assert.equal(lines.length, ROUNDS, 'a token for every round');
      for (const line of lines) {
        const [round = '', secret = ''] = line.split(' ');
        secrets.set(round, (secrets.get(round) ?? new Set()).add(secret));
      }
    }
    const split = [...secrets].filter(([, served]) => served.size !== 1).map(([round]) => round);
    assert.deepEqual(split, [], 'rounds whose contenders were served different tokens');
    assert.deepEqual(readdirSync(dir).filter((name) => !name.endsWith('.json')), [], 'no lock, marker or temp file left');
  });
});
