/**
 * `npm run bench`: how long Docker waits for the helper, against bare Node and against the Go
 * helper (docs/performance.md holds the table and the machine it was measured on).
 *
 * What runs: the npm-installed helper (bin/, exec'd as Docker execs it) on each Node present —
 * the machine's, and every `.cache/node/node-linux-<arch>-<version>` that `.ci/run` or
 * build-standalone put there (the newest of each major) — and the standalone executable
 * (dist/standalone), all interleaved round by round so that machine noise hits each alike. Each
 * is compared with bare `node -e 0` of the same Node (the standalone with the Node it embeds).
 * Every run is a fresh process with its payload on a real pipe and an environment built from
 * scratch: NODE_EXTRA_CA_CERTS and the machine's AWS_* and SSL settings are left out.
 *
 * Cases: a cache hit and `list` (each with and without a settings file), a miss (cache off)
 * against the ECR emulator, the peak RSS of a hit, and bursts of cold gets started at once — 32
 * for one registry, and 8 registries × 8 — with their wall time and ECR calls.
 *
 * The Go helper (Debian's amazon-ecr-credential-helper, /usr/bin/docker-credential-ecr-login)
 * ignores endpoint overrides. Where it is installed and network namespaces can be made (root),
 * the bench runs itself inside a private namespace whose /etc/hosts maps ECR's API host to
 * 127.0.0.1, where the emulator listens behind TLS on port 443 with a throwaway CA: both helpers
 * call https://api.ecr.eu-west-1.amazonaws.com as they would in AWS, Go trusting the CA through
 * SSL_CERT_FILE, ours through AWS_CA_BUNDLE. Elsewhere ours use an endpoint override, and the
 * Go rows are left out.
 *
 * Budgets (the script exits 1 when one does not hold; medians):
 * - a cache hit ≤ 1.10× bare Node for the npm-installed helper on every Node, ≤ 1.00× for the
 *   standalone executable; `list` ≤ 1.15×;
 * - 32 parallel cold gets make exactly 1 ECR call, and 8 × 8 exactly 8;
 * - with the Go helper: a miss ≤ 2× its miss; the bursts end in no more wall time than its.
 *
 * Options: `--runs N` (rounds; default 100, or BENCH_RUNS), `--instructions` (count instead of
 * timing: the instructions each case executes under valgrind's callgrind, which a loaded machine
 * does not change; no budget is checked; Node runs with --predictable, except the standalone
 * executable, which takes no flags, and its bare start: those two are medians of five counts),
 * `--no-netns` (never enter a namespace), `--only TEXT` (only the cases whose runtime or name
 * contains TEXT, with their bare starts; and only the bursts whose label, after the word
 * "bursts", contains it: `--only bursts` runs the bursts alone).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EMBEDDED_NODE, hostArch, standalonePath } from './artifacts';
import { childrenCpuMs, countInstructions, peakRssKiB, Pipes, PREDICTABLE_NODE, runOnce, runTogether, type Job } from './bench-process';
import { startEcrEmulator, type EcrEmulator } from '../test/support/ecr-emulator';
import { createNetns, netnsUnavailable } from '../test/support/netns';
import { startTlsFront, type TlsFront } from '../test/support/recording-proxy';
import { makeTlsFiles } from '../test/support/tls';

const REPO_ROOT = resolve(__dirname, '..', '..');
const HELPER_BIN = join(REPO_ROOT, 'bin', 'docker-credential-ecr-login');
const GO_HELPER = '/usr/bin/docker-credential-ecr-login';
const KEY_ID = 'AKIDBENCH';
const SECRET = 'bench-secret';
const REGION = 'eu-west-1';
const API_HOST = `api.ecr.${REGION}.amazonaws.com`;
const registryHost = (index: number): string => `${String(123456789012 + index)}.dkr.ecr.${REGION}.amazonaws.com`;
const PRIVATE_HOST = registryHost(0);
const WARMUP = 3;
const BURST_REPEATS = 5;

const BUDGET = { hit: 1.1, standaloneHit: 1.0, list: 1.15, missOverGo: 2.0 } as const;

const args = process.argv.slice(2);
const RUNS = Number(valueOf('--runs') ?? process.env.BENCH_RUNS ?? 100);
const ONLY = valueOf('--only');

function valueOf(flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
}

/** One way the helper is installed, and the bare Node start it is compared with. */
interface Runtime {
  readonly name: string;
  /** The `node` binary: for `node -e 0`, and first on PATH for bin/'s `#!/usr/bin/env node`. */
  readonly node: string;
  /** How Docker would run it: the executable, then the verb. */
  readonly helper: string;
  readonly standalone: boolean;
}

function runtimes(): Runtime[] {
  const found: Runtime[] = [{ name: `npm, node ${process.version} (machine)`, node: process.execPath, helper: HELPER_BIN, standalone: false }];
  const cache = join(REPO_ROOT, '.cache', 'node');
  const byMajor = new Map<string, { version: string; node: string }>();
  for (const dir of existsSync(cache) ? readdirSync(cache) : []) {
    const version = new RegExp(`^node-linux-${hostArch()}-(\\d+)\\.(\\d+)\\.(\\d+)$`).exec(dir);
    const node = join(cache, dir, 'bin', 'node');
    if (version === null || !existsSync(node) || `v${version.slice(1).join('.')}` === process.version) continue;
    const [major = '', minor = '', patch = ''] = version.slice(1);
    const best = byMajor.get(major);
    const rank = (v: string): number => v.split('.').reduce((sum, part) => sum * 1000 + Number(part), 0);
    if (best === undefined || rank(`${major}.${minor}.${patch}`) > rank(best.version)) byMajor.set(major, { version: `${major}.${minor}.${patch}`, node });
  }
  for (const { version, node } of [...byMajor.values()].sort((a, b) => Number(a.version.split('.')[0]) - Number(b.version.split('.')[0]))) {
    found.push({ name: `npm, node v${version}`, node, helper: HELPER_BIN, standalone: false });
  }
  const standalone = standalonePath(hostArch());
  const embedded = join(cache, `node-linux-${hostArch()}-${EMBEDDED_NODE.version}`, 'bin', 'node');
  if (existsSync(standalone) && existsSync(embedded)) found.push({ name: `standalone (node v${EMBEDDED_NODE.version})`, node: embedded, helper: standalone, standalone: true });
  return found;
}

/** Where the emulator is reached, and how the helpers trust it. */
interface World {
  readonly emulator: EcrEmulator;
  /** For our helper: an endpoint override, or AWS_CA_BUNDLE for the real API host. */
  readonly ourEndpoint: Record<string, string>;
  /** For the Go helper, present only inside the namespace. */
  readonly goTrust?: Record<string, string>;
  readonly home: string;
  close(): Promise<void>;
}

async function startWorld(inNetns: boolean): Promise<World> {
  const emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET } });
  const home = mkdtempSync(join(tmpdir(), 'ecr-login-bench-'));
  let front: TlsFront | undefined;
  let ourEndpoint: Record<string, string> = { AWS_ENDPOINT_URL_ECR: emulator.url, AWS_ENDPOINT_URL_ECR_PUBLIC: emulator.url };
  let goTrust: Record<string, string> | undefined;
  if (inNetns) {
    const tls = makeTlsFiles(join(home, 'tls'), API_HOST);
    front = await startTlsFront(Number(new URL(emulator.url).port), tls, 443);
    ourEndpoint = { AWS_CA_BUNDLE: tls.caCert };
    goTrust = { SSL_CERT_FILE: tls.caCert };
  }
  return {
    emulator,
    ourEndpoint,
    ...(goTrust === undefined ? {} : { goTrust }),
    home,
    close: async () => {
      await front?.close();
      await emulator.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh home (and so a fresh cache), with the environment both helpers get: keys, no metadata,
 * and ~/.aws/credentials with a profile `bench` holding the same keys, as many users have one.
 * ~/.ecr exists, as wherever a `get` has run: a read-only command (`list`) creates no cache
 * directory, so without one it would keep no code cache, and a `--only list` run would measure that.
 */
function homeEnv(world: World, name: string, extra: Record<string, string> = {}): Record<string, string> {
  const home = join(world.home, name);
  mkdirSync(join(home, '.aws'), { recursive: true });
  mkdirSync(join(home, '.ecr'), { mode: 0o700 });
  writeFileSync(join(home, '.aws', 'credentials'), `[bench]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`);
  return { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET, AWS_EC2_METADATA_DISABLED: 'true', ...extra };
}

interface Case {
  readonly runtime: string;
  readonly name: string;
  readonly job: Job;
  /** The runtime's bare start, for the ratio; undefined for the bare case itself and the Go helper. */
  readonly bare?: Case;
  readonly budget?: number;
}

function casesFor(runtime: Runtime, world: World, settingsFile: string): Case[] {
  const env = homeEnv(world, runtime.name.replace(/\W+/g, '-'), { ...world.ourEndpoint, PATH: `${resolve(runtime.node, '..')}:/usr/local/bin:/usr/bin:/bin` });
  const bare: Case = { runtime: runtime.name, name: 'node -e 0 (bare Node start)', job: { command: runtime.node, args: ['-e', '0'], env } };
  const helper = (verb: string, input?: string, extra: Record<string, string> = {}): Job => ({ command: runtime.helper, args: [verb], env: { ...env, ...extra }, ...(input === undefined ? {} : { input }) });
  return [
    bare,
    { runtime: runtime.name, name: 'get, cache hit', job: helper('get', PRIVATE_HOST), bare, budget: runtime.standalone ? BUDGET.standaloneHit : BUDGET.hit },
    { runtime: runtime.name, name: 'get, cache hit, settings file', job: helper('get', PRIVATE_HOST, { AWS_ECR_CONFIG: settingsFile }), bare, budget: runtime.standalone ? BUDGET.standaloneHit : BUDGET.hit },
    { runtime: runtime.name, name: 'list', job: helper('list'), bare, budget: BUDGET.list },
    { runtime: runtime.name, name: 'list, settings file', job: helper('list', undefined, { AWS_ECR_CONFIG: settingsFile }), bare, budget: BUDGET.list },
    { runtime: runtime.name, name: 'get, miss (cache off)', job: helper('get', PRIVATE_HOST, { AWS_ECR_DISABLE_CACHE: '1' }), bare },
  ];
}

function goCases(world: World): Case[] {
  if (world.goTrust === undefined) return [];
  const env = homeEnv(world, 'go-helper', world.goTrust);
  const job = (extra: Record<string, string> = {}): Job => ({ command: GO_HELPER, args: ['get'], env: { ...env, ...extra }, input: PRIVATE_HOST });
  return [
    { runtime: 'Go helper 0.6 (Debian)', name: 'get, cache hit', job: job() },
    { runtime: 'Go helper 0.6 (Debian)', name: 'get, miss (cache off)', job: job({ AWS_ECR_DISABLE_CACHE: '1' }) },
  ];
}

interface Stats {
  readonly median: number;
  readonly p90: number;
  readonly min: number;
}

function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  return { median: at(0.5), p90: at(0.9), min: sorted[0] ?? NaN };
}

/**
 * Where the ratio of two medians lies, 19 times in 20: the 2.5th and 97.5th percentiles of the
 * ratio over 2000 resamplings of both sample sets (a percentile bootstrap), drawn from a fixed
 * seed so that the same samples give the same interval. A bare start here takes 20–60 ms, and a
 * run's spread is as wide as the budget's margin: the interval says whether this run's samples
 * could have given the other verdict. It does not count the machine's drift from one run to the
 * next, which has moved a ratio by more (docs/performance.md).
 */
function ratioInterval(samples: readonly number[], bareSamples: readonly number[]): readonly [number, number] {
  let seed = 0x9e3779b9;
  const next = (): number => {
    // xorshift32: small, seeded, good enough to pick indices.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x100000000;
  };
  const resampledMedian = (values: readonly number[]): number => stats(Array.from(values, () => values[Math.floor(next() * values.length)] ?? NaN)).median;
  const ratios = Array.from({ length: 2000 }, () => resampledMedian(samples) / resampledMedian(bareSamples)).sort((a, b) => a - b);
  return [ratios[Math.floor(0.025 * ratios.length)] ?? NaN, ratios[Math.floor(0.975 * ratios.length)] ?? NaN];
}

const failures: string[] = [];

function check(met: boolean, what: string): string {
  if (!met) failures.push(what);
  return met ? 'met' : 'NOT met';
}

async function warm(pipes: Pipes, cases: readonly Case[]): Promise<void> {
  for (const item of cases) {
    for (let i = 0; i < WARMUP; i += 1) {
      const ran = await runOnce(pipes, item.job, true);
      if (item.name.startsWith('get') && !ran.stdout.includes('"Secret"')) throw new Error(`${item.runtime}, ${item.name}: no credentials in the answer: ${ran.stdout.slice(0, 300)}`);
    }
  }
}

async function timeCases(pipes: Pipes, cases: readonly Case[], world: World): Promise<void> {
  await warm(pipes, cases);
  const wall = new Map<Case, number[]>(cases.map((item) => [item, []]));
  const cpu = new Map<Case, number[]>(cases.map((item) => [item, []]));
  const loads = [loadavg()[0] ?? NaN];
  // A miss leaves the emulator, in this process, answering and collecting its garbage after the
  // helper has exited, and the case timed next would pay for it: the misses (each runtime's, the
  // Go helper's) take rounds of their own, after the hits, `list` and the bare starts.
  const isMiss = (item: Case): boolean => item.name.includes('miss');
  for (const group of [cases.filter((item) => !isMiss(item)), cases.filter(isMiss)]) {
    for (let round = 0; round < RUNS; round += 1) {
      for (const item of group) {
        const before = childrenCpuMs();
        const ran = await runOnce(pipes, item.job);
        const after = childrenCpuMs();
        if (ran.code !== 0) throw new Error(`${item.runtime}, ${item.name} exited ${ran.code}`);
        wall.get(item)?.push(ran.wallMs);
        if (before !== undefined && after !== undefined) cpu.get(item)?.push(after - before);
      }
      loads.push(loadavg()[0] ?? NaN);
    }
  }
  console.log(`${RUNS} interleaved rounds after ${WARMUP} warm-ups (the misses in rounds of their own); wall time; CPU (user + system) is a mean; load average during: ${stats(loads).min.toFixed(1)}–${Math.max(...loads).toFixed(1)}\n`);
  const header = `${'runtime'.padEnd(34)} ${'case'.padEnd(30)} ${'median'.padStart(9)} ${'p90'.padStart(9)} ${'min'.padStart(9)} ${'CPU'.padStart(9)} ${'× bare'.padStart(7)} ${'95% interval'.padStart(13)}  budget`;
  console.log(header);
  console.log('-'.repeat(header.length + 8));
  const medians = new Map<Case, number>();
  for (const item of cases) {
    const s = stats(wall.get(item) ?? []);
    medians.set(item, s.median);
    const cpuSamples = cpu.get(item) ?? [];
    const cpuMean = cpuSamples.length === 0 ? NaN : cpuSamples.reduce((a, b) => a + b, 0) / cpuSamples.length;
    const bare = item.bare === undefined ? undefined : medians.get(item.bare);
    const ratio = bare === undefined ? undefined : s.median / bare;
    const interval = item.bare === undefined ? undefined : ratioInterval(wall.get(item) ?? [], wall.get(item.bare) ?? []);
    const verdict = ratio === undefined || item.budget === undefined ? '' : `≤ ${item.budget.toFixed(2)}× ${check(ratio <= item.budget, `${item.runtime}, ${item.name}: ${ratio.toFixed(2)}× bare Node, budget ${item.budget}×`)}`;
    const ms = (value: number): string => `${value.toFixed(1)} ms`.padStart(9);
    const intervalText = interval === undefined ? '' : `${interval[0].toFixed(2)}–${interval[1].toFixed(2)}×`;
    console.log(`${item.runtime.padEnd(34)} ${item.name.padEnd(30)} ${ms(s.median)} ${ms(s.p90)} ${ms(s.min)} ${ms(cpuMean)} ${(ratio === undefined ? '' : `${ratio.toFixed(2)}×`).padStart(7)} ${intervalText.padStart(13)}  ${verdict}`);
  }
  const goMiss = [...medians.entries()].find(([item]) => item.runtime.startsWith('Go') && isMiss(item))?.[1];
  if (goMiss !== undefined) {
    console.log(`\nA miss against the Go helper's (${goMiss.toFixed(1)} ms), budget ≤ ${BUDGET.missOverGo}×:`);
    for (const [item, median] of medians) {
      if (item.runtime.startsWith('Go') || !isMiss(item)) continue;
      const ratio = median / goMiss;
      console.log(`  ${item.runtime.padEnd(34)} ${ratio.toFixed(2)}× ${check(ratio <= BUDGET.missOverGo, `${item.runtime}: a miss is ${ratio.toFixed(2)}× the Go helper's`)}`);
    }
  }
  const ecrCalls = world.emulator.calls.length;
  console.log(`\nECR calls so far: ${ecrCalls}`);
}

async function peakRss(pipes: Pipes, cases: readonly Case[]): Promise<void> {
  console.log('\nPeak RSS of one run (GNU time, median of 5)');
  const medianOf = async (job: Job): Promise<number | undefined> => {
    const samples: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const kib = await peakRssKiB(pipes, job);
      if (kib === undefined) return undefined;
      samples.push(kib);
    }
    return stats(samples).median;
  };
  for (const item of cases.filter((c) => c.name === 'get, cache hit' && c.bare !== undefined)) {
    const hit = await medianOf(item.job);
    const bare = item.bare === undefined ? undefined : await medianOf(item.bare.job);
    if (hit === undefined || bare === undefined) {
      console.log('  /usr/bin/time is not installed (Debian package `time`): not measured');
      return;
    }
    console.log(`  ${item.runtime.padEnd(34)} hit ${(hit / 1024).toFixed(1)} MiB, bare Node ${(bare / 1024).toFixed(1)} MiB: ${(hit / bare).toFixed(2)}×`);
  }
}

interface Burst {
  readonly name: string;
  readonly jobs: (run: number) => Job[];
  readonly expectedCalls: number;
}

/** `processes` cold gets per registry for `registries` registries, all started at once, each burst in a fresh cache. */
function burst(name: string, command: string, env: (run: number) => Record<string, string>, registries: number, processes: number, expectedCalls: number): Burst {
  return {
    name,
    expectedCalls,
    jobs: (run) => {
      const runEnv = env(run);
      return Array.from({ length: registries * processes }, (_, i) => ({ command, args: ['get'], env: runEnv, input: registryHost(i % registries) }));
    },
  };
}

const BURST_SHAPES = [
  { label: '32 parallel cold gets, 1 registry', registries: 1, processes: 32 },
  { label: '8 registries × 8 parallel cold gets', registries: 8, processes: 8 },
];

/** The bursts to run: every one, or with `--only` those it names (`--only bursts`: all of them). */
function selectedBursts(): typeof BURST_SHAPES {
  return BURST_SHAPES.filter((shape) => ONLY === undefined || `bursts ${shape.label}`.includes(ONLY));
}

async function bursts(pipes: Pipes, runtimeList: readonly Runtime[], world: World, shapes: typeof BURST_SHAPES): Promise<void> {
  let homes = 0;
  const fresh = (name: string, extra: Record<string, string>) => (): Record<string, string> => homeEnv(world, `burst-${name}-${homes++}`, extra);
  console.log(
    `\nBursts: every process started at once, a fresh cache each time; wall time until the last answered and CPU (user + system, summed over the burst's processes; medians of ${BURST_REPEATS}), ECR calls per burst`,
  );
  for (const shape of shapes) {
    // `reference`: measured for comparison, no budget of its own.
    const entries: Array<{ runtime: string; burst: Burst; reference: boolean }> = runtimeList.map((runtime) => ({
      runtime: runtime.name,
      reference: false,
      burst: burst(shape.label, runtime.helper, fresh(runtime.name.replace(/\W+/g, '-'), { ...world.ourEndpoint, PATH: `${resolve(runtime.node, '..')}:/usr/local/bin:/usr/bin:/bin` }), shape.registries, shape.processes, shape.registries),
    }));
    if (world.goTrust !== undefined) {
      entries.push({ runtime: 'Go helper 0.6 (Debian)', reference: true, burst: burst(shape.label, GO_HELPER, fresh('go', world.goTrust), shape.registries, shape.processes, NaN) });
    }
    // The floor for any Node program: as many bare starts of the machine's Node, at once.
    const machine = runtimeList[0];
    if (machine !== undefined) {
      const count = shape.registries * shape.processes;
      entries.push({
        runtime: `node -e 0 × ${count} (${process.version})`,
        reference: true,
        burst: { name: shape.label, expectedCalls: 0, jobs: () => Array.from({ length: count }, () => ({ command: machine.node, args: ['-e', '0'], env: { PATH: '/usr/bin:/bin' } })) },
      });
    }
    const walls = new Map<string, number[]>(entries.map((entry) => [entry.runtime, []]));
    const calls = new Map<string, number[]>(entries.map((entry) => [entry.runtime, []]));
    // Load inflates wall time far more than CPU time: on a busy machine the saving shows here.
    const cpu = new Map<string, number[]>(entries.map((entry) => [entry.runtime, []]));
    const loads = [loadavg()[0] ?? NaN];
    const retries = new Map<string, number>(entries.map((entry) => [entry.runtime, 0]));
    for (let repeat = 0; repeat < BURST_REPEATS; repeat += 1) {
      for (const entry of entries) {
        const before = world.emulator.calls.length;
        const cpuBefore = childrenCpuMs();
        const { wallMs, runs } = await runTogether(pipes, entry.burst.jobs(repeat));
        const cpuAfter = childrenCpuMs();
        if (cpuBefore !== undefined && cpuAfter !== undefined) cpu.get(entry.runtime)?.push(cpuAfter - cpuBefore);
        loads.push(loadavg()[0] ?? NaN);
        // Every helper answers with credentials; bare Node (expecting no call) answers nothing.
        const bad = runs.filter((ran) => ran.code !== 0 || (entry.burst.expectedCalls !== 0 && !ran.stdout.includes('"Secret"')));
        if (bad.length > 0) throw new Error(`${entry.runtime}, ${shape.label}: ${bad.length} answers without credentials: ${bad[0]?.stdout.slice(0, 200)}`);
        walls.get(entry.runtime)?.push(wallMs);
        const made = world.emulator.calls.slice(before);
        calls.get(entry.runtime)?.push(made.length);
        // A leader starved past the SDK's request timeout retries: more calls, one flight still.
        retries.set(entry.runtime, (retries.get(entry.runtime) ?? 0) + made.filter((call) => call.attempt !== undefined).length);
      }
    }
    console.log(`\n  ${shape.label} (load average during: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)})`);
    const goWall = world.goTrust === undefined ? undefined : stats(walls.get('Go helper 0.6 (Debian)') ?? []).median;
    for (const entry of entries) {
      const s = stats(walls.get(entry.runtime) ?? []);
      const callList = calls.get(entry.runtime) ?? [];
      const retried = retries.get(entry.runtime) ?? 0;
      const callText = `${callList.join(', ')}${retried > 0 ? ` (${retried} SDK retries)` : ''}`;
      let verdict = '';
      if (!entry.reference) {
        verdict = `calls: ${check(callList.every((count) => count === entry.burst.expectedCalls), `${entry.runtime}, ${shape.label}: ${callText} ECR calls, expected ${entry.burst.expectedCalls} each`)}`;
        if (goWall !== undefined) verdict += `; wall ≤ Go's: ${check(s.median <= goWall, `${entry.runtime}, ${shape.label}: ${s.median.toFixed(0)} ms, the Go helper ${goWall.toFixed(0)} ms`)} (${(s.median / goWall).toFixed(2)}×)`;
      }
      const cpuSamples = cpu.get(entry.runtime) ?? [];
      const cpuText = cpuSamples.length === 0 ? 'CPU ?' : `CPU ${stats(cpuSamples).median.toFixed(0)} ms`;
      console.log(`    ${entry.runtime.padEnd(34)} ${`${s.median.toFixed(0)} ms`.padStart(8)} (p90 ${s.p90.toFixed(0)}, min ${s.min.toFixed(0)})  ${cpuText.padStart(12)}  ECR calls ${callText.padEnd(18)} ${verdict}`);
    }
  }
}

async function instructions(pipes: Pipes, cases: readonly Case[]): Promise<void> {
  await warm(pipes, cases);
  console.log(
    `Instructions per run (valgrind --tool=callgrind; npm-installed: node ${PREDICTABLE_NODE.join(' ')}; the standalone executable, which takes no Node flags, and its own Node's bare start without them: the median of ${UNFLAGGED_COUNTS} counts)\n`,
  );
  console.log(`${'runtime'.padEnd(34)} ${'case'.padEnd(30)} ${'instructions'.padStart(13)} ${'× bare'.padStart(7)}`);
  const counts = new Map<Case, number>();
  const runtimeByName = new Map(runtimes().map((runtime) => [runtime.name, runtime]));
  // valgrind 3.19 stops the Go binary at its first RDTSCP ("unrecognised instruction"): a count would be a lie.
  if (cases.some((item) => item.runtime.startsWith('Go'))) console.log('(the Go helper is left out: valgrind cannot run it to the end)\n');
  for (const item of cases.filter((c) => !c.runtime.startsWith('Go'))) {
    const runtime = runtimeByName.get(item.runtime);
    // Scripts run under their Node with the predictable flags. The standalone executable cannot
    // take them, so its bare start runs without them too: like is compared with like. Counted
    // that way, a run varies by a few M instructions from the next, and the median is shown.
    const count = runtime !== undefined && !runtime.standalone ? await countInstructions(pipes, item.job, runtime.node) : await medianUnflaggedCount(pipes, item.job);
    counts.set(item, count);
    const bare = item.bare === undefined ? undefined : counts.get(item.bare);
    const ratio = bare === undefined ? '' : `${(count / bare).toFixed(2)}×`;
    console.log(`${item.runtime.padEnd(34)} ${item.name.padEnd(30)} ${`${(count / 1e6).toFixed(1)} M`.padStart(13)} ${ratio.padStart(7)}`);
  }
}

/** How often an executable is counted without the predictable flags; its median is shown. */
const UNFLAGGED_COUNTS = 5;

async function medianUnflaggedCount(pipes: Pipes, job: Job): Promise<number> {
  const counts: number[] = [];
  for (let run = 0; run < UNFLAGGED_COUNTS; run += 1) counts.push(await countInstructions(pipes, job, undefined));
  return stats(counts).median;
}

/**
 * A settings file as a team might have one: the benched registry under a profile of its own,
 * twenty other registries, and an alias. The profile's keys are the bench keys.
 */
function writeSettingsFile(world: World): string {
  const registries: Record<string, object> = { [PRIVATE_HOST]: { profile: 'bench' }, 'registry.example.com': { registry: PRIVATE_HOST } };
  for (let i = 0; i < 20; i += 1) registries[`${String(100000000000 + i)}.dkr.ecr.us-east-1.amazonaws.com`] = { roleArn: `arn:aws:iam::${100000000000 + i}:role/pull` };
  const file = join(world.home, 'ecr-settings.json');
  writeFileSync(file, JSON.stringify({ registries }, null, 2));
  return file;
}

/** With `--only`: the cases it names, and the bare starts they are compared with. */
function selected(cases: readonly Case[]): Case[] {
  if (ONLY === undefined) return [...cases];
  const named = cases.filter((item) => item.bare !== undefined && `${item.runtime} ${item.name}`.includes(ONLY));
  return cases.filter((item) => named.includes(item) || named.some((other) => other.bare === item));
}

async function bench(inNetns: boolean): Promise<void> {
  const world = await startWorld(inNetns);
  const pipes = new Pipes();
  try {
    const runtimeList = runtimes();
    const settingsFile = writeSettingsFile(world);
    const cases = selected([...runtimeList.flatMap((runtime) => casesFor(runtime, world, settingsFile)), ...goCases(world)]);
    console.log(`${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg().map((load) => load.toFixed(1)).join(' ')}; ${inNetns ? `in a network namespace, ECR at https://${API_HOST} (TLS, port 443)` : `ECR at ${world.emulator.url} (endpoint override; no Go helper comparison${existsSync(GO_HELPER) ? `: ${netnsUnavailable() ?? 'run without --no-netns'}` : ': it is not installed'})`}\n`);
    if (args.includes('--instructions')) {
      await instructions(pipes, cases);
      return;
    }
    if (cases.length > 0) {
      await timeCases(pipes, cases, world);
      await peakRss(pipes, cases);
    }
    const shapes = selectedBursts();
    if (shapes.length > 0) await bursts(pipes, runtimeList, world, shapes);
    console.log(failures.length === 0 ? '\nEvery budget met.' : `\nBudgets NOT met:\n${failures.map((failure) => `  - ${failure}`).join('\n')}`);
    if (failures.length > 0) process.exitCode = 1;
  } finally {
    pipes.remove();
    await world.close();
  }
}

/** Runs this script again inside a namespace where ECR's API host is 127.0.0.1; its exit status is ours. */
function reenterInNetns(): number {
  const netns = createNetns({ [API_HOST]: '127.0.0.1' });
  try {
    const [command, argv] = netns.argv(process.execPath, [__filename, '--inside-netns', ...args]);
    return spawnSync(command, argv, { stdio: 'inherit', env: process.env }).status ?? 1;
  } finally {
    netns.remove();
  }
}

function main(): void {
  if (args.includes('--inside-netns')) {
    void bench(true);
    return;
  }
  const canEnter = !args.includes('--no-netns') && existsSync(GO_HELPER) && netnsUnavailable() === undefined;
  if (canEnter) process.exitCode = reenterInNetns();
  else void bench(false);
}

main();
