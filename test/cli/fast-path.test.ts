/**
 * The fast path (src/cli/cache-hit.ts) answers exactly what the full command line answers: the
 * same inputs through both — hits, misses, hosts that are not ECR, near misses, aliases,
 * profiles, bad settings, bad input, notices, log levels — with stdin a pipe (as clients give
 * it), a regular file, a socket and /dev/null, compared on stdout, stderr and exit status. The
 * full path is run from its bundle directly (test/support/full-path.ts); the fast one is bin/.
 * And a miss while a live process holds the slot's lock: the fast path waits for that process's
 * token, and hands over to the full path on anything else.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseOwner } from '../../src/cache/single-flight';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { cleanEnv, HELPER_BIN, makeTempHome, type Env } from '../support/helper-process';

const KEY_ID = 'AKIDFASTPATH';
const SECRET = 'fast-path-secret';
const PROFILE_KEY_ID = 'AKIDFASTPATHPROFILE';
const PROFILE_SECRET = 'fast-path-profile-secret';
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const PROFILE_HOST = '210987654321.dkr.ecr.eu-west-1.amazonaws.com';
const ALIAS = 'registry.fast-path.example';
const FULL_PATH = join(__dirname, '..', 'support', 'full-path.js');
const PROBE = join(__dirname, '..', 'support', 'module-probe.js');
const RECORDER = join(__dirname, '..', 'support', 'require-recorder.js');
const STOP_BEFORE_FULL_PATH = join(__dirname, '..', 'support', 'stop-before-full-path.js');

type StdinKind = 'pipe' | 'file' | 'socket' | 'dev-null';

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let emulator: EcrEmulator;
let home: string;
let cleanupHome: () => void;
let env: Env;

before(async () => {
  emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET, [PROFILE_KEY_ID]: PROFILE_SECRET } });
  ({ home, cleanup: cleanupHome } = makeTempHome());
  mkdirSync(join(home, '.aws'));
  writeFileSync(join(home, '.aws', 'credentials'), `[other]\naws_access_key_id = ${PROFILE_KEY_ID}\naws_secret_access_key = ${PROFILE_SECRET}\n`);
  mkdirSync(join(home, '.ecr'), { mode: 0o700 });
  writeFileSync(join(home, '.ecr', 'config.json'), JSON.stringify({ registries: { [PROFILE_HOST]: { profile: 'other' }, [ALIAS]: { registry: HOST } } }));
  env = cleanEnv(home, { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET, AWS_ENDPOINT_URL_ECR: emulator.url, AWS_ENDPOINT_URL_ECR_PUBLIC: emulator.url });
});

after(async () => {
  await emulator?.close();
  cleanupHome?.();
});

/** Runs `command args` with `input` on the given kind of stdin. */
function run(command: string, args: readonly string[], input: string | Buffer, kind: StdinKind, runEnv: Env): Promise<Ran> {
  const [file, argv] = command === FULL_PATH ? [process.execPath, [FULL_PATH, ...args]] : [command, [...args]];
  let stdin: 'pipe' | 'ignore' | number;
  let shell: string[] | undefined;
  const inputFile = join(home, `stdin-${process.hrtime.bigint()}`);
  if (kind === 'file') {
    writeFileSync(inputFile, input);
    stdin = openSync(inputFile, 'r');
  } else if (kind === 'pipe') {
    // A real pipe, as Docker and Nomad give: the shell's, from a file through cat.
    writeFileSync(inputFile, input);
    shell = ['sh', '-c', 'cat "$0" | exec "$@"', inputFile, file, ...argv];
    stdin = 'ignore';
  } else {
    stdin = kind === 'socket' ? 'pipe' : 'ignore';
  }
  const [spawnFile, spawnArgs] = shell === undefined ? [file, argv] : [shell[0] ?? 'sh', shell.slice(1)];
  return new Promise((resolve, reject) => {
    const child = spawn(spawnFile, spawnArgs, { env: runEnv, cwd: home, stdio: [stdin, 'pipe', 'pipe'] });
    if (typeof stdin === 'number') closeSync(stdin);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
    child.on('error', reject);
    child.on('close', (code) => {
      rmSync(inputFile, { force: true });
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

/** A token the emulator minted differs run by run: for a miss, only its place is compared. */
const masked = (ran: Ran): Ran => ({ ...ran, stdout: ran.stdout.replace(/"Secret":"[^"]*"/, '"Secret":"…"') });

async function both(args: readonly string[], input: string | Buffer, kind: StdinKind, runEnv = env): Promise<{ fast: Ran; full: Ran }> {
  const full = await run(FULL_PATH, args, input, kind, runEnv);
  const fast = await run(HELPER_BIN, args, input, kind, runEnv);
  return { fast, full };
}

const KINDS: readonly StdinKind[] = ['pipe', 'file', 'socket'];

describe('the fast path and the full path answer alike', () => {
  before(async () => {
    // Tokens in the cache for the default identity, the profile's, and ECR Public.
    for (const host of [HOST, PROFILE_HOST, 'public.ecr.aws']) assert.equal((await run(HELPER_BIN, ['get'], host, 'pipe', env)).code, 0);
  });

  const cases: Array<{ name: string; input: string | Buffer; env?: Env; expect: (ran: Ran) => void; mask?: boolean }> = [
    { name: 'a cache hit', input: HOST, expect: (ran) => assert.match(ran.stdout, /^\{"ServerURL":"123456789012[^"]*","Username":"AWS","Secret":"[^"]+"\}\n$/) },
    { name: 'a hit, with https://, a path and a newline', input: `https://${HOST.toUpperCase()}/v2/\n`, expect: (ran) => assert.match(ran.stdout, /"ServerURL":"https:\/\/123456789012/) },
    { name: 'a hit for a registry under a profile of the settings file', input: PROFILE_HOST, expect: (ran) => assert.equal(ran.code, 0) },
    { name: 'a hit through an alias', input: ALIAS, expect: (ran) => assert.match(ran.stdout, /"ServerURL":"registry\.fast-path\.example"/) },
    { name: 'an ECR Public hit', input: 'public.ecr.aws', expect: (ran) => assert.equal(ran.code, 0) },
    { name: 'a miss', input: '111122223333.dkr.ecr.eu-west-1.amazonaws.com', mask: true, expect: (ran) => assert.equal(ran.code, 0) },
    { name: 'a host that is not ECR', input: 'registry-1.docker.io', expect: (ran) => assert.deepEqual([ran.code, ran.stdout, ran.stderr], [1, 'credentials not found in native keychain\n', '']) },
    { name: 'a near miss', input: '12345678901.dkr.ecr.us-east-1.amazonaws.com', expect: (ran) => assert.match(ran.stderr, /account ID must be 12 digits, not 11/) },
    { name: 'empty input', input: '\n', expect: (ran) => assert.equal(ran.stdout, 'no credentials server URL\n') },
    { name: 'input that is not UTF-8', input: Buffer.from([0xff, 0xfe, 0x41]), expect: (ran) => assert.equal(ran.code, 1) },
    { name: 'input that holds control characters', input: `${HOST}\u0007`, expect: (ran) => assert.equal(ran.code, 1) },
    { name: 'input over 4 KiB', input: `${HOST}${' '.repeat(5000)}`, expect: (ran) => assert.match(ran.stdout, /^input too large/) },
    { name: 'a hit at log level debug', input: HOST, env: { AWS_ECR_LOG_LEVEL: 'debug' }, expect: (ran) => assert.equal(ran.code, 0) },
    { name: 'a host that is not ECR at log level debug', input: 'ghcr.io', env: { AWS_ECR_LOG_LEVEL: 'debug' }, expect: (ran) => assert.equal(ran.code, 1) },
    { name: 'a hit with the cache off', input: HOST, env: { AWS_ECR_DISABLE_CACHE: '1' }, mask: true, expect: (ran) => assert.equal(ran.code, 0) },
    { name: 'a relative AWS_ECR_CACHE_DIR (a notice)', input: 'registry-1.docker.io', env: { AWS_ECR_CACHE_DIR: 'relative/dir' }, expect: (ran) => assert.match(ran.stderr, /AWS_ECR_CACHE_DIR must be an absolute path/) },
    { name: 'a settings file that is not JSON, for an ECR host', input: HOST, env: { AWS_ECR_CONFIG: '/dev/null/nope.json' }, expect: (ran) => assert.match(ran.stdout, /settings file/) },
    { name: 'a settings file that is not JSON, for a host that is not ECR', input: 'docker.io', env: { AWS_ECR_CONFIG: 'BAD' }, expect: (ran) => assert.match(ran.stderr, /settings file/) },
    { name: 'a settings file that is not JSON, for a host that is not ECR, log level error', input: 'docker.io', env: { AWS_ECR_CONFIG: 'BAD', AWS_ECR_LOG_LEVEL: 'error' }, expect: (ran) => assert.match(ran.stderr, /settings file/) },
    { name: 'a near miss at log level silent', input: '12345678901.dkr.ecr.us-east-1.amazonaws.com', env: { AWS_ECR_LOG_LEVEL: 'silent' }, expect: (ran) => assert.match(ran.stderr, /account ID must be 12 digits/) },
  ];

  for (const item of cases) {
    it(`get, ${item.name}: the same stdout, stderr and exit status, stdin a pipe, a file or a socket`, async () => {
      let runEnv = item.env === undefined ? env : { ...env, ...item.env };
      if (runEnv.AWS_ECR_CONFIG === 'BAD') {
        const bad = join(home, 'bad-settings.json');
        writeFileSync(bad, '{"registries": ');
        runEnv = { ...runEnv, AWS_ECR_CONFIG: bad };
      }
      for (const kind of KINDS) {
        const { fast, full } = await both(['get'], item.input, kind, runEnv);
        assert.deepEqual(item.mask ? masked(fast) : fast, item.mask ? masked(full) : full, `stdin a ${kind}`);
        item.expect(fast);
      }
    });
  }

  it('get with /dev/null for stdin, list and version: the same', async () => {
    for (const args of [['get'], ['list'], ['version']]) {
      const { fast, full } = await both(args, '', 'dev-null');
      assert.deepEqual(fast, full, args.join(' '));
    }
    assert.match((await run(HELPER_BIN, ['list'], '', 'dev-null', env)).stdout, /"https:\/\/123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com":"AWS"/);
  });

  it('list with a settings file that is not JSON: the same (its problem on stderr)', async () => {
    const bad = join(home, 'bad-for-list.json');
    writeFileSync(bad, '[');
    const { fast, full } = await both(['list'], '', 'dev-null', { ...env, AWS_ECR_CONFIG: bad });
    assert.deepEqual(fast, full);
    assert.match(fast.stderr, /settings file/);
  });

  for (const [what, input, code] of [['a hit', HOST, 0], ['a host that is not ECR', 'registry-1.docker.io', 1]] as const) {
    it(`${what} from a pipe is answered by the fast path alone: the full command line is never loaded`, async () => {
      const probe = join(home, 'modules.json');
      const ran = await run(HELPER_BIN, ['get'], input, 'pipe', { ...env, NODE_OPTIONS: `--require ${PROBE}`, ECR_LOGIN_TEST_MODULE_PROBE: probe });
      assert.equal(ran.code, code);
      const modules = JSON.parse(readFileSync(probe, 'utf8')) as string[];
      assert.ok(modules.some((path) => path.endsWith(join('bin', 'docker-credential-ecr-login'))));
      assert.deepEqual(modules.filter((path) => /docker-credential-ecr-login-(full|commands)\.js|node_modules/.test(path)), []);
    });
  }
});

/**
 * A `get` that misses while a live process holds its slot's lock waits for that process's token.
 * The leader here is a process of the test's (FlightLocks from the build) whose acts the test
 * chooses; the waiters are bin/ (fast path first) and the full path, started together, compared.
 * A waiter is known to be waiting when it watches the lock: it holds an inotify descriptor.
 */
describe('a miss while a live process fetches the same token: the fast path waits, and answers as the full path', () => {
  const SINGLE_FLIGHT = join(__dirname, '..', '..', 'src', 'cache', 'single-flight.js');
  const LOGGER = join(__dirname, '..', '..', 'src', 'logging', 'logger.js');
  const tokens = (): string => join(home, '.ecr', 'tokens');
  let hosts = 0;

  /** A registry of its own for each test, whose entry a first get made; the entry is taken away and kept. */
  async function coldSlot(): Promise<{ host: string; id: string; entry: string }> {
    const host = `${String(100000000000 + hosts++)}.dkr.ecr.eu-west-1.amazonaws.com`;
    const before = new Set(readdirSync(tokens()));
    assert.equal((await run(HELPER_BIN, ['get'], host, 'file', env)).code, 0);
    const name = readdirSync(tokens()).find((file) => file.endsWith('.json') && !before.has(file));
    assert.ok(name, 'the first get stored an entry');
    const entry = readFileSync(join(tokens(), name), 'utf8');
    rmSync(join(tokens(), name));
    return { host, id: name.replace(/\.json$/, ''), entry };
  }

  /** A live process holding the slot's lock, until told to release it or killed. */
  async function leader(id: string): Promise<{ release: () => Promise<void>; kill: () => Promise<void> }> {
    const script = `
      const { FlightLocks } = require(${JSON.stringify(SINGLE_FLIGHT)});
      const { silentLogger } = require(${JSON.stringify(LOGGER)});
      const attempt = new FlightLocks(${JSON.stringify(tokens())}, silentLogger).tryAcquire(${JSON.stringify(id)}, Date.now());
      process.stdout.write(attempt.state + '\\n');
      process.stdin.once('data', () => { attempt.release(); process.exit(0); });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const state = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
    assert.equal(state, 'acquired');
    return {
      release: async () => {
        child.stdin.write('release\n');
        await exited;
      },
      kill: async () => {
        child.kill('SIGKILL');
        await exited;
      },
    };
  }

  /** Resolves once `holds(pid)` is true of process `pid`, looking every 50 ms for a minute; `what` says what it never did. */
  async function untilProcess(pid: number | undefined, holds: (pid: number) => boolean, what: string): Promise<void> {
    assert.ok(pid);
    for (let look = 0; look < 1200; look += 1) {
      try {
        if (holds(pid)) return;
      } catch {
        // Not started yet, or already gone.
      }
      await sleep(50);
    }
    assert.fail(`process ${pid} never ${what}`);
  }

  /** Resolves once process `pid` watches a file (holds an inotify descriptor). */
  const watching = (pid: number | undefined): Promise<void> =>
    untilProcess(
      pid,
      (live) =>
        readdirSync(`/proc/${live}/fd`).some((fd) => {
          try {
            return readlinkSync(`/proc/${live}/fd/${fd}`) === 'anon_inode:inotify';
          } catch {
            return false;
          }
        }),
      'began to wait',
    );

  /** Starts `command get` with `input` on a regular file for stdin (so that its pid is the helper's own). */
  function start(command: string, input: string, runEnv: Env): { pid: number | undefined; done: Promise<Ran> } {
    const inputFile = join(home, `stdin-${process.hrtime.bigint()}`);
    writeFileSync(inputFile, input);
    const stdin = openSync(inputFile, 'r');
    const [file, argv] = command === FULL_PATH ? [process.execPath, [FULL_PATH, 'get']] : [command, ['get']];
    const child = spawn(file, argv, { env: runEnv, cwd: home, stdio: [stdin, 'pipe', 'pipe'] });
    closeSync(stdin);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    const done = new Promise<Ran>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        rmSync(inputFile, { force: true });
        resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
      });
    });
    return { pid: child.pid, done };
  }

  /** The fast waiter's environment: the recorder writes down each module it loads, as it loads it. */
  function probed(): { env: Env; modules: () => string[] } {
    const record = join(home, `modules-${process.hrtime.bigint()}.txt`);
    writeFileSync(record, '');
    return { env: { ...env, NODE_OPTIONS: `--require ${RECORDER}`, ECR_LOGIN_TEST_REQUIRE_RECORD: record }, modules: () => readFileSync(record, 'utf8').split('\n').filter((line) => line !== '') };
  }

  const loadedFull = (modules: readonly string[]): boolean => modules.some((path) => /docker-credential-ecr-login-(full|full-loader|commands)\.js/.test(path));

  /**
   * A fast waiter and a full one on the live leader's lock; `act` is what the leader does once
   * both wait. While it waits, the fast waiter has loaded nothing of the full command line.
   */
  async function waitersOn(act: (slot: { id: string; entry: string }, holder: Awaited<ReturnType<typeof leader>>) => Promise<void>): Promise<{ fast: Ran; full: Ran; modules: string[]; calls: number }> {
    const slot = await coldSlot();
    const holder = await leader(slot.id);
    try {
      const callsBefore = emulator.calls.length;
      const fastEnv = probed();
      const fast = start(HELPER_BIN, slot.host, fastEnv.env);
      const full = start(FULL_PATH, slot.host, env);
      await Promise.all([watching(fast.pid), watching(full.pid)]);
      assert.deepEqual(fastEnv.modules().filter((path) => /docker-credential-ecr-login-(full|commands)\.js|node_modules/.test(path)), [], 'loaded while it waits');
      await act(slot, holder);
      const [fastRan, fullRan] = await Promise.all([fast.done, full.done]);
      return { fast: fastRan, full: fullRan, modules: fastEnv.modules(), calls: emulator.calls.length - callsBefore };
    } finally {
      await holder.kill();
    }
  }

  it('the leader stores its token: both answer it, no call, and the fast waiter never loads the full command line', async () => {
    const { fast, full, modules, calls } = await waitersOn(async ({ id, entry }, holder) => {
      // As a leader does: the entry written whole (a temp file renamed), then the lock released.
      const temp = join(tokens(), `.leader-${id}.tmp`);
      writeFileSync(temp, entry, { mode: 0o600 });
      renameSync(temp, join(tokens(), `${id}.json`));
      await holder.release();
    });
    assert.deepEqual(fast, full);
    assert.match(fast.stdout, /^\{"ServerURL":"1000000000\d\d[^"]*","Username":"AWS","Secret":"[^"]+"\}\n$/);
    assert.equal(calls, 0);
    assert.ok(modules.some((path) => path.endsWith(join('bin', 'docker-credential-ecr-login'))));
    assert.deepEqual(modules.filter((path) => /docker-credential-ecr-login-(full|commands)\.js|node_modules/.test(path)), []);
  });

  it('the leader fails: both answer its failure, no call; the fast waiter hands over to the full path', async () => {
    const { fast, full, modules, calls } = await waitersOn(async ({ id }, holder) => {
      const { FlightLocks } = require(SINGLE_FLIGHT) as typeof import('../../src/cache/single-flight');
      const { silentLogger } = require(LOGGER) as typeof import('../../src/logging/logger');
      new FlightLocks(tokens(), silentLogger).recordFailure(id, { at: Date.now(), message: 'AccessDeniedException: not authorized to pull' });
      await holder.release();
    });
    assert.deepEqual(fast, full);
    assert.match(fast.stdout, /^cannot get an ECR token for 1000000000\d\d\.dkr\.ecr\.eu-west-1\.amazonaws\.com: AccessDeniedException: not authorized to pull\n$/);
    assert.equal(fast.code, 1);
    assert.equal(calls, 0, 'the waiter that waited in the fast path answers the failure recorded since, and does not fetch');
    assert.ok(loadedFull(modules));
  });

  it('the leader dies: one of the two takes over, both answer its token, one call', async () => {
    // Whichever takes the dead leader's place first leads. The fast waiter loads the full command
    // line when it is the one; when the full waiter is, it waits on it in the fast path.
    const { fast, full, calls } = await waitersOn((_slot, holder) => holder.kill());
    assert.deepEqual(fast, full);
    assert.match(fast.stdout, /"Username":"AWS","Secret":"[^"]+"/);
    assert.equal(calls, 1);
  });

  /** Resolves once process `pid` has stopped itself (stop-before-full-path.ts). */
  const stoppedItself = (pid: number | undefined): Promise<void> =>
    untilProcess(
      pid,
      (live) => {
        const stat = readFileSync(`/proc/${live}/stat`, 'latin1');
        return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
      },
      'stopped before the full command line',
    );

  /** Kills `pid`, unless it has ended already. */
  function killGone(pid: number | undefined): void {
    try {
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
    } catch {
      // Answered and gone.
    }
  }

  /** The locks in the tokens directory that `pid` holds, by name. */
  const locksOf = (pid: number | undefined): string[] =>
    readdirSync(tokens()).filter((name) => name.endsWith('.lock') && parseOwner(readFileSync(join(tokens(), name), 'utf8'))?.pid === pid);

  it('a miss nobody is fetching: the fast path takes the lock before it loads the full command line, which fetches under it; a miss meanwhile waits in the fast path', async () => {
    const slot = await coldSlot();
    const callsBefore = emulator.calls.length;
    const first = start(HELPER_BIN, slot.host, { ...env, NODE_OPTIONS: `--require ${STOP_BEFORE_FULL_PATH}` });
    try {
      await stoppedItself(first.pid);
      assert.deepEqual(locksOf(first.pid), [`${slot.id}.lock`], 'the lock is taken, by the helper that has not loaded the full command line yet');
      const second = probed();
      const waiter = start(HELPER_BIN, slot.host, second.env);
      await watching(waiter.pid);
      process.kill(first.pid ?? 0, 'SIGCONT');
      const [led, waited] = await Promise.all([first.done, waiter.done]);
      assert.equal(led.code, 0, led.stdout + led.stderr);
      assert.deepEqual(waited, led);
      assert.equal(emulator.calls.length - callsBefore, 1);
      assert.equal(loadedFull(second.modules()), false, 'the second waited in the fast path');
      assert.equal(existsSync(join(tokens(), `${slot.id}.lock`)), false);
    } finally {
      killGone(first.pid);
      await first.done.catch(() => undefined);
    }
  });

  it('the full path ends before its flight (a FIFO where ~/.aws/config was): the lock it was handed goes with the process', async () => {
    const slot = await coldSlot();
    const config = join(home, '.aws', 'config');
    const first = start(HELPER_BIN, slot.host, { ...env, NODE_OPTIONS: `--require ${STOP_BEFORE_FULL_PATH}` });
    try {
      await stoppedItself(first.pid);
      assert.deepEqual(locksOf(first.pid), [`${slot.id}.lock`]);
      assert.equal(spawnSync('mkfifo', [config]).status, 0);
      process.kill(first.pid ?? 0, 'SIGCONT');
      const ran = await first.done;
      assert.equal(ran.code, 1);
      assert.match(ran.stdout, /config/);
      assert.deepEqual(locksOf(first.pid), []);
      assert.equal(existsSync(join(tokens(), `${slot.id}.lock`)), false);
    } finally {
      rmSync(config, { force: true });
      killGone(first.pid);
      await first.done.catch(() => undefined);
    }
  });

  it('the full path finds the lock is for another slot (the credentials changed in between): it lets it go at once, before its own call', async () => {
    const host = `${String(100000000000 + hosts++)}.dkr.ecr.eu-west-1.amazonaws.com`;
    const credentials = join(home, '.aws', 'credentials');
    const original = readFileSync(credentials, 'utf8');
    const profileEnv = cleanEnv(home, { AWS_PROFILE: 'other', AWS_ENDPOINT_URL_ECR: emulator.url });
    const callsBefore = emulator.calls.length;
    const first = start(HELPER_BIN, host, { ...profileEnv, NODE_OPTIONS: `--require ${STOP_BEFORE_FULL_PATH}` });
    try {
      await stoppedItself(first.pid);
      const [taken] = locksOf(first.pid);
      assert.ok(taken, 'the fast path took a lock');
      writeFileSync(credentials, `[other]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`);
      emulator.inject({ kind: 'hang', times: 1 });
      process.kill(first.pid ?? 0, 'SIGCONT');
      for (let look = 0; look < 1200 && emulator.calls.length === callsBefore; look += 1) await sleep(50);
      assert.equal(emulator.calls.length - callsBefore, 1, 'its call reached ECR');
      const held = locksOf(first.pid);
      assert.equal(held.length, 1, 'the lock of the slot it fetches for');
      assert.notEqual(held[0], taken, 'the lock the fast path took is let go');
      assert.equal(existsSync(join(tokens(), taken)), false);
    } finally {
      writeFileSync(credentials, original);
      killGone(first.pid);
      await first.done.catch(() => undefined);
      for (const name of locksOf(first.pid)) rmSync(join(tokens(), name));
    }
  });

  for (const [label, make] of [
    ['an empty directory', (path: string) => mkdirSync(path)],
    ['a lock that does not parse', (path: string) => writeFileSync(path, '{"pid":', { mode: 0o600 })],
  ] as const) {
    it(`the lock name holds ${label}: the fast path declines at once, and both answer alike`, async () => {
      const slot = await coldSlot();
      const answers: Ran[] = [];
      let modules: string[] = [];
      for (const command of [FULL_PATH, HELPER_BIN]) {
        rmSync(join(tokens(), `${slot.id}.json`), { force: true });
        make(join(tokens(), `${slot.id}.lock`));
        const callsBefore = emulator.calls.length;
        const probe = probed();
        answers.push(await start(command, slot.host, command === FULL_PATH ? env : probe.env).done);
        assert.equal(emulator.calls.length - callsBefore, 1, 'cleared, and led');
        assert.equal(existsSync(join(tokens(), `${slot.id}.lock`)), false);
        if (command === HELPER_BIN) modules = probe.modules();
      }
      const [full, fast] = answers.map(masked);
      assert.deepEqual(fast, full);
      assert.equal(fast?.code, 0);
      assert.ok(loadedFull(modules));
    });
  }
});
