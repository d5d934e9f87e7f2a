/**
 * `npm run bench`: how long Docker waits for the helper, per call, against bare Node.
 *
 * Every run is a fresh process, as Docker makes it, with an environment built from scratch —
 * NODE_EXTRA_CA_CERTS in particular is left out: it costs ~45 ms per Node start on this
 * machine and would hide what the helper itself costs. Bare `node -e 0` is measured in the
 * same run, interleaved, so machine noise hits both alike.
 *
 * Budget: a cache hit may cost at most HIT_BUDGET_MS over bare Node start (median), with and
 * without a settings file (which every get reads); the script exits 1 when it does not hold.
 *
 * `npm run bench -- --instructions` counts instead of timing: the instructions each case
 * executes, under valgrind's callgrind, with Node in its predictable mode and fixed seeds. The
 * count is the same run after run however busy the machine is, so that a change's cost can be
 * told on a loaded machine, where timings vary by more than the change. No budget is checked.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEcrEmulator } from '../test/support/ecr-emulator';

const HELPER = join(resolve(__dirname, '..', '..'), 'bin', 'docker-credential-ecr-login');
const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const WARMUP = 3;
const HIT_BUDGET_MS = 15;
const KEY_ID = 'AKIDBENCH';
const SECRET = 'bench-secret';
const PRIVATE_HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

interface Case {
  readonly name: string;
  readonly command: string;
  readonly args: string[];
  readonly input?: string;
  readonly env: Record<string, string>;
}

function timeOnce(job: Case): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(job.command, job.args, { env: job.env, stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', reject);
    child.on('close', () => resolvePromise(Number(process.hrtime.bigint() - started) / 1e6));
    child.stdin.end(job.input ?? '');
  });
}

/** Node flags that make a run repeat instruction for instruction: no background threads, fixed seeds. */
const PREDICTABLE_NODE = ['--predictable', '--hash-seed=1', '--random-seed=1'];

function countInstructions(job: Case): Promise<number> {
  // The helper's launcher is a Node script: run it with the flags, as `node -e 0` is.
  const nodeArgs = job.command === process.execPath ? job.args : [job.command, ...job.args];
  const args = ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, ...PREDICTABLE_NODE, ...nodeArgs];
  return new Promise((resolvePromise, reject) => {
    const child = spawn('valgrind', args, { env: job.env, stdio: ['pipe', 'ignore', 'pipe'] });
    let report = '';
    child.stderr.on('data', (chunk: Buffer) => (report += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const collected = /Collected : (\d+)/.exec(report);
      if (collected?.[1] === undefined) reject(new Error(`valgrind gave no count for ${job.name}: ${report.slice(-300)}`));
      else resolvePromise(Number(collected[1]));
    });
    child.stdin.end(job.input ?? '');
  });
}

async function countEach(cases: readonly Case[]): Promise<void> {
  for (const job of cases) for (let i = 0; i < WARMUP; i += 1) await timeOnce(job);
  const counts: number[] = [];
  for (const job of cases) counts.push(await countInstructions(job));
  const bare = counts[0] ?? NaN;
  console.log(`node ${process.version}, instructions per run (callgrind, node ${PREDICTABLE_NODE.join(' ')})\n`);
  console.log(`${'case'.padEnd(36)} ${'instructions'.padStart(14)} ${'over bare Node'.padStart(15)}`);
  cases.forEach((job, i) => {
    const count = counts[i] ?? NaN;
    const over = i === 0 ? '' : `+${((count - bare) / 1e6).toFixed(2)} M`;
    console.log(`${job.name.padEnd(36)} ${`${(count / 1e6).toFixed(2)} M`.padStart(14)} ${over.padStart(15)}`);
  });
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

async function bench(): Promise<void> {
  const emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET } });
  const home = mkdtempSync(join(tmpdir(), 'ecr-login-bench-'));
  const settingsFile = writeSettingsFile(home);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    AWS_ACCESS_KEY_ID: KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET,
    AWS_ENDPOINT_URL_ECR: emulator.url,
    AWS_ENDPOINT_URL_ECR_PUBLIC: emulator.url,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const cases: Case[] = [
    { name: 'node -e 0 (bare Node start)', command: process.execPath, args: ['-e', '0'], env },
    { name: 'get, cache hit (private ECR)', command: HELPER, args: ['get'], input: PRIVATE_HOST, env },
    { name: 'get, cache hit, settings file', command: HELPER, args: ['get'], input: PRIVATE_HOST, env: { ...env, AWS_ECR_CONFIG: settingsFile } },
    { name: 'get, cache hit (ECR Public)', command: HELPER, args: ['get'], input: 'public.ecr.aws', env },
    { name: 'get, not an ECR host', command: HELPER, args: ['get'], input: 'registry-1.docker.io', env },
    { name: 'list', command: HELPER, args: ['list'], env },
    { name: 'version', command: HELPER, args: ['version'], env },
    { name: 'get, miss (cache off, emulator)', command: HELPER, args: ['get'], input: PRIVATE_HOST, env: { ...env, AWS_ECR_DISABLE_CACHE: '1' } },
  ];
  const samples = new Map<string, number[]>(cases.map((job) => [job.name, []]));
  try {
    if (process.argv.includes('--instructions')) {
      await countEach(cases);
      return;
    }
    for (const job of cases) for (let i = 0; i < WARMUP; i += 1) await timeOnce(job);
    const callsBefore = emulator.calls.length;
    for (let i = 0; i < RUNS; i += 1) {
      for (const job of cases) samples.get(job.name)?.push(await timeOnce(job));
    }
    const missCalls = emulator.calls.length - callsBefore;
    const results = cases.map((job) => {
      const sorted = [...(samples.get(job.name) ?? [])].sort((a, b) => a - b);
      return { name: job.name, median: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), min: sorted[0] ?? NaN };
    });
    const bare = results[0]?.median ?? NaN;
    console.log(`node ${process.version}, ${RUNS} runs per case after ${WARMUP} warm-ups, NODE_EXTRA_CA_CERTS unset\n`);
    console.log(`${'case'.padEnd(36)} ${'median'.padStart(8)} ${'p90'.padStart(8)} ${'min'.padStart(8)} ${'over bare Node'.padStart(15)}`);
    for (const result of results) {
      const over = result.name.startsWith('node ') ? '' : `+${(result.median - bare).toFixed(1)} ms`;
      console.log(`${result.name.padEnd(36)} ${result.median.toFixed(1).padStart(6)} ms ${result.p90.toFixed(1).padStart(6)} ms ${result.min.toFixed(1).padStart(6)} ms ${over.padStart(15)}`);
    }
    console.log(`\nECR calls during the measured runs: ${missCalls} (all from the cache-off case: ${RUNS} expected)`);
    const hit = Math.max(results[1]?.median ?? NaN, results[2]?.median ?? NaN);
    const withinBudget = hit - bare <= HIT_BUDGET_MS && missCalls === RUNS;
    console.log(`budget: cache hit, with and without a settings file, ≤ bare Node + ${HIT_BUDGET_MS} ms → ${withinBudget ? 'met' : 'NOT met'} (+${(hit - bare).toFixed(1)} ms)`);
    if (!withinBudget) process.exitCode = 1;
  } finally {
    await emulator.close();
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * A settings file as a team might have one: the benched registry under a profile of its own,
 * twenty other registries, and an alias. The profile's keys are the bench keys.
 */
function writeSettingsFile(home: string): string {
  mkdirSync(join(home, '.aws'));
  writeFileSync(join(home, '.aws', 'credentials'), `[bench]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`);
  const registries: Record<string, object> = { [PRIVATE_HOST]: { profile: 'bench' }, 'registry.example.com': { registry: PRIVATE_HOST } };
  for (let i = 0; i < 20; i += 1) registries[`${String(100000000000 + i)}.dkr.ecr.us-east-1.amazonaws.com`] = { roleArn: `arn:aws:iam::${100000000000 + i}:role/pull` };
  const file = join(home, 'ecr-settings.json');
  writeFileSync(file, JSON.stringify({ registries }, null, 2));
  return file;
}

void bench();
