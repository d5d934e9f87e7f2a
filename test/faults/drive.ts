/**
 * How every row of the fault matrix (matrix.ts) is driven and checked, the same way for each:
 * a world of emulators of its own (faults are the row's alone), a fresh HOME, the row's
 * arrangement, the get that meets the fault, then the checks of docs/reliability.md:
 *
 * - the exit status, and stdout: a token the emulator issued (the new one, or the one cached
 *   before the fault: nothing lost), or the one documented line, the same line on stderr;
 * - no stack trace, no hang: the get ends by itself within the documented bound (plus slack for a
 *   loaded machine: process start and loading the SDK);
 * - the cache afterwards: every entry whole (no torn entry, no leftover temp file), holding
 *   what the row says;
 * - nothing beyond loopback was called.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { parseEntry, type CacheEntry } from '../../src/cache/entry';
import { HOST, secretOf, STATIC_KEYS, startCredentialWorld, type CredentialWorld, type Home } from '../support/credential-world';
import type { Env, HelperResult } from '../support/helper-process';
import { FAULT_ROWS, type FaultGroup, type FaultRow } from './matrix';

/** What a loaded machine may add to any bound: starting Node, loading the SDK, a slow emulator. */
export const LOAD_SLACK_MS = 10_000;
const CLOCK_MODULE = join(__dirname, '..', 'support', 'clock-offset.js');

/** The environment keys the emulators know: the credentials of a row that names none. */
export const ENV_KEYS: Env = { AWS_ACCESS_KEY_ID: 'AKIDENVALPHA', AWS_SECRET_ACCESS_KEY: STATIC_KEYS.AKIDENVALPHA };

export interface Scene {
  readonly world: CredentialWorld;
  readonly home: Home;
  /** `<HOME>/.ecr`: the cache and log directory. */
  readonly cacheDir: string;
  /** The environment of the row's gets: its credentials and the emulators. */
  readonly env: Env;
  /** A get of HOST in this scene: `extra` added to its environment, its clock `clockOffsetMs` away from the true time. */
  get(options?: { extra?: Env; clockOffsetMs?: number; host?: string; timeoutMs?: number }): Promise<HelperResult>;
  /** A get that succeeds and caches its token (the arrangement of rows about a cached token); its Secret. */
  cacheToken(options?: { clockOffsetMs?: number }): Promise<string>;
  /** Every cache entry now, each parsed; a torn one fails the row. */
  entries(): CacheEntry[];
  /** Moves the times of every cached entry back by `ms`, as if it had been written that long ago. */
  age(ms: number): void;
  /** Runs when the row is over, pass or fail. */
  onCleanup(cleanup: () => void): void;
}

/** What the act gave: the get that met the fault; `cacheFiles` when the cache was only visible to the act (a private mount). */
export type ActResult = HelperResult & { readonly cacheFiles?: readonly string[] };

const tokensDir = (cacheDir: string): string => join(cacheDir, 'tokens');

function sceneFor(world: CredentialWorld, home: Home, credentials: Env, cleanups: Array<() => void>): Scene {
  const env = home.env(credentials);
  const cacheDir = join(home.home, '.ecr');
  const scene: Scene = {
    world,
    home,
    cacheDir,
    env,
    get: ({ extra = {}, clockOffsetMs, host = HOST, timeoutMs = 60_000 } = {}) => {
      const clock: Env = clockOffsetMs === undefined ? {} : { NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --require ${CLOCK_MODULE}`, ECR_LOGIN_TEST_CLOCK_OFFSET_MS: String(clockOffsetMs) };
      return world.get({ ...env, ...clock, ...extra }, host, timeoutMs);
    },
    cacheToken: async (options = {}) => {
      const result = await scene.get(options);
      assert.equal(result.code, 0, `the arrangement's get: ${result.stdout}`);
      assert.equal(scene.entries().length, 1, 'the token was cached');
      return secretOf(result);
    },
    entries: () => {
      const dir = tokensDir(cacheDir);
      if (!existsSync(dir)) return [];
      return readdirSync(dir)
        .filter((name) => name.endsWith('.json'))
        .map((name) => {
          const text = readFileSync(join(dir, name), 'utf8');
          const entry = parseEntry(text);
          assert.ok(entry !== undefined, `a torn or unreadable entry ${name}: ${text.slice(0, 80)}`);
          return entry;
        });
    },
    age: (ms) => {
      const dir = tokensDir(cacheDir);
      for (const name of readdirSync(dir).filter((file) => file.endsWith('.json'))) {
        const entry = JSON.parse(readFileSync(join(dir, name), 'utf8')) as CacheEntry;
        writeFileSync(join(dir, name), JSON.stringify({ ...entry, issuedAt: entry.issuedAt - ms, expiresAt: entry.expiresAt - ms }), { mode: 0o600 });
      }
    },
    onCleanup: (cleanup) => cleanups.push(cleanup),
  };
  return scene;
}

/** The one line of a failed get of HOST: stdout and stderr alike, no stack trace. */
function assertFailureLine(result: HelperResult, line: RegExp): void {
  const prefix = `cannot get an ECR token for ${HOST}: `;
  assert.match(result.stdout, /^[^\n]+\n$/, 'one line on stdout');
  assert.ok(result.stdout.startsWith(prefix), result.stdout);
  assert.match(result.stdout.slice(prefix.length).trimEnd(), line);
  assert.equal(result.stderr, `docker-credential-ecr-login: ${result.stdout}`, 'the same line on the terminal, and nothing else');
}

async function driveRow(row: FaultRow, t: TestContext): Promise<void> {
  const world = await startCredentialWorld();
  const cleanups: Array<() => void> = [];
  try {
    const home = world.newHome();
    const scene = sceneFor(world, home, row.credentials?.(world, home) ?? ENV_KEYS, cleanups);
    let cachedSecret: string | undefined;
    if (row.cached !== undefined) {
      cachedSecret = await scene.cacheToken();
      if (row.cached !== 'fresh') scene.age(row.cached.agedMs);
    }
    await row.arrange?.(scene);
    const issuedBefore = world.ecr.issued.length;
    const ecrCallsBefore = world.ecr.calls.length;
    const result: ActResult = await (row.act ?? ((s: Scene) => s.get()))(scene);
    const { expect } = row;

    // Ended by itself, within the bound, with the documented answer.
    assert.equal(result.signal, null, `killed after ${Math.round(result.elapsedMs)} ms: a hang`);
    assert.ok(result.elapsedMs <= expect.withinMs + LOAD_SLACK_MS, `took ${Math.round(result.elapsedMs)} ms; the bound is ${expect.withinMs} ms (+${LOAD_SLACK_MS} for load)`);
    for (const stream of [result.stdout, result.stderr]) assert.doesNotMatch(stream, /\n\s+at |node:internal|\(\S+\.js:\d+:\d+\)/, 'no stack trace');
    assert.equal(result.code, expect.exit, result.stdout + result.stderr);
    const newTokens = world.ecr.issued.slice(issuedBefore).map((token) => token.password);
    if (expect.answer instanceof RegExp) {
      assertFailureLine(result, expect.answer);
    } else {
      const answer = JSON.parse(result.stdout) as Record<string, string>;
      assert.deepEqual(Object.keys(answer), ['ServerURL', 'Username', 'Secret']);
      assert.equal(answer.ServerURL, HOST);
      if (expect.answer === 'cached token') assert.equal(answer.Secret, cachedSecret, 'the token cached before the fault: nothing lost');
      else assert.equal(answer.Secret, newTokens.at(-1), 'the token ECR issued during the act');
      if (expect.stderr === undefined) assert.equal(result.stderr, '', 'nothing on the terminal');
    }
    if (expect.stderr !== undefined) assert.match(result.stderr, expect.stderr);
    if (expect.ecrCalls !== undefined) assert.equal(world.ecr.calls.length - ecrCallsBefore, expect.ecrCalls, 'calls to ECR');

    // The cache afterwards: whole, holding what the row says. (A writer killed mid-write may
    // leave its temp file, which a later write prunes; nothing else may.)
    const tokens = tokensDir(scene.cacheDir);
    const files = result.cacheFiles ?? (existsSync(tokens) ? readdirSync(tokens) : []);
    if (expect.cache !== 'whole entries') assert.deepEqual(files.filter((name) => name.endsWith('.tmp')), [], 'no temp file left behind');
    const held = result.cacheFiles === undefined ? scene.entries().map((entry) => entry.secret) : result.cacheFiles.filter((name) => name.endsWith('.json'));
    switch (expect.cache) {
      case 'nothing':
        assert.deepEqual(held, [], 'nothing cached');
        break;
      case 'the new token':
        assert.deepEqual(held, [newTokens.at(-1)], 'the new token cached, and nothing else');
        break;
      case 'the cached token':
        assert.deepEqual(held, [cachedSecret], 'the token cached before, kept');
        break;
      case 'whole entries':
        break;
    }
    row.check?.(scene, result);
    t.diagnostic(`exit ${result.code} in ${Math.round(result.elapsedMs)} ms (bound ${expect.withinMs} ms), ${world.ecr.calls.length - ecrCallsBefore} ECR calls; cache files: ${files.join(' ') || 'none'}`);
    assert.deepEqual(home.blocked(), [], 'nothing beyond loopback was called');
  } finally {
    for (const cleanup of cleanups.reverse()) cleanup();
    await world.close();
  }
}

/** Registers the rows of `group`, run a few at a time (each waits mostly on its bound, not on the CPU). */
export function driveGroup(group: FaultGroup, concurrency = 4): void {
  describe(`fault matrix: ${group}`, { concurrency }, () => {
    for (const row of FAULT_ROWS.filter((candidate) => candidate.group === group)) {
      it(row.fault, (t) => driveRow(row, t));
    }
  });
}
