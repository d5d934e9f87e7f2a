/**
 * The standalone executable (issue 9) of this machine's architecture, as built by
 * `npm run build:standalone` (`npm test` builds it first): copied alone into a directory that
 * is the whole PATH, with no `node` and no `node_modules` anywhere it could look, every verb
 * against the ECR emulator, and `NODE_OPTIONS` naming a preload that does not exist, which
 * would end any Node program that honoured it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMMAND, hostArch, packageVersion, standalonePath } from '../../scripts/artifacts';
import { describeRun, dockerCliUnavailable } from '../support/docker-cli';
import { dockerPullThrough, PULL_HOST } from '../support/docker-pull';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { runCommand, type Env, type HelperResult } from '../support/helper-process';
import { startRecordingProxy, startTlsFront } from '../support/recording-proxy';
import { makeTlsFiles } from '../support/tls';

const EXECUTABLE = standalonePath(hostArch());
const KEY_ID = 'AKIDSTANDALONE';
const SECRET_KEY = 'standalone-secret-access-key';
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const BROKEN_NODE_OPTIONS = '--require /nonexistent/preload.js --max-old-space-size=1';

let root: string;
let binDir: string;
let emulator: EcrEmulator;

before(async () => {
  assert.ok(existsSync(EXECUTABLE), `${EXECUTABLE} is missing: \`npm test\` builds it; to run this file alone, run \`npm run build:standalone\` first`);
  root = mkdtempSync(join(tmpdir(), 'ecr-login-standalone-'));
  binDir = join(root, 'bin');
  mkdirSync(binDir);
  copyFileSync(EXECUTABLE, join(binDir, COMMAND));
  chmodSync(join(binDir, COMMAND), 0o755);
  emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET_KEY } });
});
after(async () => {
  await emulator?.close();
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

function freshHome(): string {
  return mkdtempSync(join(root, 'home-'));
}

function envFor(home: string, extra: Env = {}): Env {
  return {
    PATH: binDir,
    HOME: home,
    LANG: 'C.UTF-8',
    AWS_ACCESS_KEY_ID: KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET_KEY,
    AWS_ENDPOINT_URL_ECR: emulator.url,
    AWS_ENDPOINT_URL_ECR_PUBLIC: emulator.url,
    AWS_EC2_METADATA_DISABLED: 'true',
    NODE_OPTIONS: BROKEN_NODE_OPTIONS,
    ...extra,
  };
}

/** Runs the executable by its name, found through PATH, as a client does. */
function helper(args: readonly string[], env: Env, input = ''): Promise<HelperResult> {
  return runCommand(COMMAND, args, { env, input, cwd: env.HOME, timeoutMs: 60_000 });
}

function assertAnswer(result: HelperResult, code: number, stdout: string | RegExp): void {
  assert.equal(result.code, code, describeRun(result));
  if (typeof stdout === 'string') assert.equal(result.stdout, stdout);
  else assert.match(result.stdout, stdout);
}

describe('the standalone executable', () => {
  it('has nothing to lean on: PATH is its own directory, no node, no node_modules above it or its working directory', () => {
    assert.deepEqual(readdirSync(binDir), [COMMAND]);
    assert.equal(spawnSync('node', ['-e', '0'], { env: { PATH: binDir } }).error?.message.includes('ENOENT'), true, 'no node on its PATH');
    for (const start of [binDir, freshHome()]) {
      for (let dir = start; ; dir = dirname(dir)) {
        assert.equal(existsSync(join(dir, 'node_modules')), false, `${dir} has a node_modules`);
        if (dirname(dir) === dir) break;
      }
    }
  });

  it('answers every verb as Docker calls it, with nothing on stderr, whatever NODE_OPTIONS says', async () => {
    const home = freshHome();
    const env = envFor(home);
    const issuedBefore = emulator.issued.length;

    const privateGet = await helper(['get'], env, HOST);
    const token = emulator.issued.at(-1);
    assert.equal(emulator.issued.length, issuedBefore + 1);
    assertAnswer(privateGet, 0, `${JSON.stringify({ ServerURL: HOST, Username: 'AWS', Secret: token?.password })}\n`);
    const publicGet = await helper(['get'], env, 'public.ecr.aws\n');
    assertAnswer(publicGet, 0, `${JSON.stringify({ ServerURL: 'public.ecr.aws', Username: 'AWS', Secret: emulator.issued.at(-1)?.password })}\n`);
    assert.equal(emulator.issued.at(-1)?.service, 'ecr-public');
    const hit = await helper(['get'], env, HOST);
    assertAnswer(hit, 0, privateGet.stdout);
    assert.equal(emulator.issued.length, issuedBefore + 2, 'the second get of the host was a cache hit');

    assertAnswer(await helper(['get'], env, 'registry-1.docker.io'), 1, 'credentials not found in native keychain\n');
    assertAnswer(await helper(['list'], env), 0, `${JSON.stringify({ [`https://${HOST}`]: 'AWS', 'https://public.ecr.aws': 'AWS' })}\n`);
    assertAnswer(await helper(['store'], env, JSON.stringify({ ServerURL: HOST, Username: 'AWS', Secret: 'x' })), 0, '');
    assertAnswer(await helper(['erase'], env, HOST), 0, '');
    for (const args of [['version'], ['-v'], ['--version']]) assertAnswer(await helper(args, env), 0, `${COMMAND} ${packageVersion()}\n`);
    assertAnswer(await helper(['--help'], env), 0, /^Usage: docker-credential-ecr-login <store\|get\|erase\|list\|version>\n/);
    const unknown = await helper(['frobnicate'], env);
    assertAnswer(unknown, 1, `Usage: ${COMMAND} <store|get|erase|list|version>\n`);
    assert.equal(unknown.stderr, `${COMMAND}: unknown verb 'frobnicate'\n`);

    for (const result of [privateGet, publicGet, hit]) assert.equal(result.stderr, '', 'no SEA warning, no experimental warning, no Node warning');
  });

  it('loads its packages from itself on a miss, V8 takes their code cache, and a node_modules at hand is ignored', async () => {
    const home = freshHome();
    // Packages a Node program would find from its working directory or HOME: each leaves a mark when loaded.
    const marker = join(home, 'loaded-from-disk');
    for (const name of ['pino', 'commander', join('@aws-sdk', 'client-ecr'), join('@aws-sdk', 'credential-providers')]) {
      const dir = join(home, 'node_modules', name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '0.0.0', main: 'index.js' }));
      writeFileSync(join(dir, 'index.js'), `require('node:fs').appendFileSync(${JSON.stringify(marker)}, ${JSON.stringify(`${name}\n`)});\n`);
    }
    const env = envFor(home, { AWS_ECR_DISABLE_CACHE: '1', AWS_ECR_LOG_LEVEL: 'debug' });
    const result = await helper(['get'], env, HOST);
    assertAnswer(result, 0, new RegExp(`^\\{"ServerURL":"${HOST.replace(/\./g, '\\.')}","Username":"AWS","Secret":"[^"]+"\\}\\n$`));
    assert.equal(result.stderr, '');
    const help = await helper(['--help'], env);
    assert.equal(help.code, 0, 'commander, from the executable');
    assert.equal(existsSync(marker), false, `loaded from node_modules: ${existsSync(marker) ? readFileSync(marker, 'utf8') : ''}`);
    const log = readFileSync(join(home, '.ecr', 'log', 'ecr-login.jsonl'), 'utf8');
    assert.match(log, /"msg":"token served"/, 'pino, from the executable, wrote the log');
    assert.doesNotMatch(log, /code cache/i, 'V8 accepted the code cache of the embedded packages');
  });

  it("compiles its fast path with a code cache the first hit leaves in the user's cache directory, named apart from the npm package's, and read by the next", async () => {
    const home = freshHome();
    const env = envFor(home);
    // stdin a pipe, as Docker gives it: the fast path leaves a socket to the full command line.
    const get = (): Promise<HelperResult> => runCommand(COMMAND, ['get'], { env, input: HOST, cwd: home, timeoutMs: 60_000, stdin: 'closed-pipe' });
    const miss = await get();
    assertAnswer(miss, 0, new RegExp(`^\\{"ServerURL":"${HOST.replace(/\./g, '\\.')}"`));
    const dir = join(home, '.ecr', 'fast-path-cache');
    const caches = (): string[] => readdirSync(dir).filter((name) => name.startsWith('standalone-fast-path.'));
    // The miss made ~/.ecr as it ran: the cache comes with the first run that finds it there.
    const hit = await get();
    assertAnswer(hit, 0, miss.stdout);
    const [name, ...others] = caches();
    assert.deepEqual(others, []);
    assert.match(name ?? '', /^standalone-fast-path\.v\d+\.\d+\.\d+\.[a-z0-9]+\.[0-9a-f]{16}\.cache$/);
    const file = join(dir, name ?? '');
    const made = statSync(file);
    assert.equal(made.mode & 0o777, 0o600);
    assert.ok(made.size > 10_000, `a cache of ${made.size} bytes holds the functions a hit compiled`);

    const again = await get();
    assertAnswer(again, 0, miss.stdout);
    assert.equal(again.stderr, '');
    const after = statSync(file);
    assert.deepEqual([after.ino, after.mtimeMs], [made.ino, made.mtimeMs], 'V8 took the cache: the run left it as it was');

    writeFileSync(file, 'not a code cache');
    const refused = await get();
    assertAnswer(refused, 0, miss.stdout);
    assert.equal(refused.stderr, '');
    assert.ok(statSync(file).size > 10_000, 'a cache V8 refused is made again');
  });

  it('goes through an HTTPS_PROXY tunnel to an endpoint it trusts through NODE_EXTRA_CA_CERTS', async () => {
    const tls = makeTlsFiles(join(root, 'tls'), '*.proxied.test');
    const front = await startTlsFront(Number(new URL(emulator.url).port), tls);
    const proxy = await startRecordingProxy({ routes: { 'ecr.proxied.test:443': front.port } });
    try {
      const env = envFor(freshHome(), { AWS_ENDPOINT_URL_ECR: 'https://ecr.proxied.test', HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: tls.caCert });
      const result = await helper(['get'], env, HOST);
      assertAnswer(result, 0, `${JSON.stringify({ ServerURL: HOST, Username: 'AWS', Secret: emulator.issued.at(-1)?.password })}\n`);
      assert.deepEqual(proxy.requests.map((request) => `${request.method} ${request.target} ${request.status}`), ['CONNECT ecr.proxied.test:443 200']);
    } finally {
      await proxy.close();
      await front.close();
    }
  });

  describe('under the real Docker CLI', { skip: dockerCliUnavailable() ?? false }, () => {
    it('docker pull with NODE_OPTIONS=--require <missing file> in its environment: the emulator token, exactly', async () => {
      const pull = await dockerPullThrough(mkdtempSync(join(root, 'docker-')), binDir, { NODE_OPTIONS: BROKEN_NODE_OPTIONS });
      assert.equal(pull.result.code, 0, describeRun(pull.result));
      assert.equal(pull.issued.length, 1);
      assert.deepEqual(pull.auth, { username: 'AWS', password: pull.issued[0]?.password, serveraddress: PULL_HOST });
    });
  });
});
