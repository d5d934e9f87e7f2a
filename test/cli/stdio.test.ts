/**
 * stdin and stdout: every kind of stdin a client can hand over (pipe, FIFO, regular file,
 * /dev/null, a closed fd, a socket), bounded in size and in time; stdout written in full to a
 * slow or non-blocking reader, and a failed write that exits non-zero. First the functions, then
 * the real bin/.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import { readStdin, writeAll } from '../../src/cli/stdio';
import { INPUT_TIME_LIMIT_MS, InputError, MAX_INPUT_BYTES } from '../../src/protocol/input';
import { startEcrEmulator, type EcrEmulator } from '../support/ecr-emulator';
import { cleanEnv, HELPER_BIN, makeTempHome, type Env } from '../support/helper-process';

const dir = mkdtempSync(join(tmpdir(), 'stdio-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let count = 0;

function makeFifo(): string {
  const path = join(dir, `fifo${++count}`);
  execFileSync('mkfifo', ['-m', '600', path]);
  return path;
}

/** A FIFO opened as a client would hand it over: a blocking read end, and a write end the test holds. */
function openFifo(): { read: number; write: number; close: () => void } {
  const path = makeFifo();
  // O_RDWR first, so that neither open waits for the other side.
  const write = openSync(path, constants.O_RDWR);
  const read = openSync(path, constants.O_RDONLY);
  return {
    read,
    write,
    close: () => {
      closeSync(read);
      closeSync(write);
    },
  };
}

const noStream = (): NodeJS.ReadableStream => assert.fail('the stream reader is for sockets only');
const reading = (fd: number, overrides: { limitBytes?: number; timeLimitMs?: number } = {}) => ({
  fd,
  limitBytes: overrides.limitBytes ?? MAX_INPUT_BYTES,
  timeLimitMs: overrides.timeLimitMs ?? 10_000,
  openStream: noStream,
});
const isInputError = (pattern: RegExp) => (error: unknown) => error instanceof InputError && pattern.test(error.message);
const fileStatusFlags = (fd: number): number => Number.parseInt(/^flags:\s+(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? 'NaN', 8);

describe('readStdin', () => {
  it('reads a regular file to its end', async () => {
    const path = join(dir, 'input.txt');
    writeFileSync(path, 'public.ecr.aws\n');
    const fd = openSync(path, 'r');
    try {
      assert.equal((await readStdin(reading(fd))).toString(), 'public.ecr.aws\n');
    } finally {
      closeSync(fd);
    }
  });

  it('refuses a regular file past the limit', async () => {
    const path = join(dir, 'large.txt');
    writeFileSync(path, 'x'.repeat(MAX_INPUT_BYTES + 1));
    const fd = openSync(path, 'r');
    try {
      await assert.rejects(readStdin(reading(fd)), isInputError(/^input too large: more than 4096 bytes on stdin$/));
    } finally {
      closeSync(fd);
    }
  });

  it('reads /dev/null as empty and stops /dev/zero at the limit', async () => {
    const devNull = openSync('/dev/null', 'r');
    const devZero = openSync('/dev/zero', 'r');
    try {
      assert.equal((await readStdin(reading(devNull))).length, 0);
      await assert.rejects(readStdin(reading(devZero, { limitBytes: 100 })), isInputError(/more than 100 bytes/));
    } finally {
      closeSync(devNull);
      closeSync(devZero);
    }
  });

  it('reads a closed descriptor as empty', async () => {
    const fd = openSync('/dev/null', 'r');
    closeSync(fd);
    assert.equal((await readStdin(reading(fd))).length, 0);
  });

  it('reads a pipe whose writer wrote and closed', async () => {
    const fifo = openFifo();
    try {
      writeSync(fifo.write, '123456789012.dkr.ecr.eu-west-1.amazonaws.com');
      closeSync(fifo.write);
      assert.equal((await readStdin(reading(fifo.read))).toString(), '123456789012.dkr.ecr.eu-west-1.amazonaws.com');
    } finally {
      closeSync(fifo.read);
    }
  });

  it('gives up on a pipe whose writer never closes, after the time limit, leaving the caller\'s descriptor blocking', async () => {
    const fifo = openFifo();
    try {
      writeSync(fifo.write, 'public.ecr.aws');
      const started = Date.now();
      await assert.rejects(
        readStdin(reading(fifo.read, { timeLimitMs: 300 })),
        isInputError(/^stdin was not closed within 0\.3 s: a client writes its payload and closes stdin$/),
      );
      assert.ok(Date.now() - started >= 290, 'not before the time limit');
      assert.equal(fileStatusFlags(fifo.read) & constants.O_NONBLOCK, 0, 'the descriptor the caller gave is not made non-blocking');
    } finally {
      fifo.close();
    }
  });

  it('stops a pipe at the first byte past the limit, even while its writer goes on', async () => {
    const fifo = openFifo();
    try {
      writeSync(fifo.write, Buffer.alloc(MAX_INPUT_BYTES + 10, ' '));
      await assert.rejects(readStdin(reading(fifo.read)), isInputError(/^input too large/));
    } finally {
      fifo.close();
    }
  });
});

describe('readStdin on a socket, in a process starved past the time limit', () => {
  // The child reads only on SIGUSR1, once the payload and the end of stdin are in the kernel,
  // then blocks its event loop past the limit, as a starved process is blocked: its expired timer
  // then runs before the read that was waiting.
  const child = `
    const { readStdin } = require(${JSON.stringify(require.resolve('../../src/cli/stdio'))});
    const keepAlive = setInterval(() => undefined, 1000);
    process.on('SIGUSR1', () => {
      const reading = readStdin({ fd: 0, limitBytes: Number(process.argv[1]), timeLimitMs: 50, openStream: () => process.stdin });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
      reading.then((bytes) => process.stdout.write('read ' + bytes), (error) => process.stdout.write('error ' + error.message)).finally(() => clearInterval(keepAlive));
    });
    process.stdout.write('ready');`;

  async function starvedRead(input: string, close: boolean, limitBytes = MAX_INPUT_BYTES): Promise<string> {
    const reader = spawn(process.execPath, ['-e', child, String(limitBytes)], { stdio: ['pipe', 'pipe', 'inherit'], env: {} });
    const timer = setTimeout(() => reader.kill('SIGKILL'), 60_000);
    let stdout = '';
    const ready = new Promise<void>((resolve) => reader.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()) === 'ready' && resolve()));
    const written = new Promise<void>((resolve) => reader.stdin.write(input, () => resolve()));
    const closed = close ? new Promise<void>((resolve) => reader.stdin.end(() => resolve())) : written;
    const exited = new Promise<void>((resolve) => reader.on('close', () => resolve()));
    await Promise.all([ready, written, closed]);
    reader.kill('SIGUSR1');
    await exited;
    clearTimeout(timer);
    if (!close) reader.stdin.destroy();
    return stdout.slice('ready'.length);
  }

  it('takes what a client wrote and closed before the limit', async () => {
    assert.equal(await starvedRead('123456789012.dkr.ecr.eu-west-1.amazonaws.com\n', true), 'read 123456789012.dkr.ecr.eu-west-1.amazonaws.com\n');
  });

  it('still refuses a writer that has not closed, and input past the limit', async () => {
    assert.equal(await starvedRead('public.ecr.aws', false), 'error stdin was not closed within 0.05 s: a client writes its payload and closes stdin');
    assert.equal(await starvedRead('x'.repeat(101), true, 100), 'error input too large: more than 100 bytes on stdin');
  });
});

describe('writeAll', () => {
  it('writes everything to a full non-blocking pipe as a slow reader drains it', async () => {
    const path = makeFifo();
    const read = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const write = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    const text = 'abcdefghij'.repeat(50_000);
    // The reader runs on another thread: writeAll blocks this one until the last byte is in.
    const reader = new Worker(
      `const { readSync } = require('node:fs');
       const { parentPort, workerData } = require('node:worker_threads');
       const cell = new Int32Array(new SharedArrayBuffer(4));
       const chunks = [];
       let size = 0;
       while (size < workerData.size) {
         Atomics.wait(cell, 0, 0, 5);
         const chunk = Buffer.alloc(8192);
         try { const n = readSync(workerData.fd, chunk); chunks.push(chunk.subarray(0, n)); size += n; }
         catch (error) { if (error.code !== 'EAGAIN') throw error; }
       }
       parentPort.postMessage(Buffer.concat(chunks).toString());`,
      { eval: true, workerData: { fd: read, size: text.length } },
    );
    const received = new Promise<string>((resolve, reject) => {
      reader.once('message', resolve);
      reader.once('error', reject);
    });
    try {
      writeAll(write, text);
      assert.equal(await received, text);
    } finally {
      await reader.terminate();
      closeSync(read);
      closeSync(write);
    }
  });

  it('throws EPIPE when the reader is gone', () => {
    const path = makeFifo();
    const read = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const write = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    closeSync(read);
    try {
      assert.throws(() => writeAll(write, 'answer\n'), { code: 'EPIPE' });
    } finally {
      closeSync(write);
    }
  });
});

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

interface SpawnOptions {
  readonly env: Env;
  readonly stdio: StdioOptions;
  /** Written to a piped stdin, which is then closed; `null` leaves it open. */
  readonly input?: string | null;
  readonly command?: readonly [string, ...string[]];
  /** Called once the process runs, before any input is written. */
  readonly onSpawn?: (child: ReturnType<typeof spawn>) => void;
}

/** The real bin/ (or a command that runs it) with the stdio a test chooses; killed after 60 s. */
function runWithStdio(args: readonly string[], options: SpawnOptions): Promise<Finished> {
  const [command, ...prefix] = options.command ?? [HELPER_BIN];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...prefix, ...args], { env: options.env, cwd: options.env.HOME, stdio: options.stdio });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stdout?.on('error', () => undefined);
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin?.on('error', () => undefined);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString(), elapsedMs: Date.now() - started });
    });
    options.onSpawn?.(child);
    if (options.input !== null) child.stdin?.end(options.input ?? '');
  });
}

const NOT_CLOSED = `stdin was not closed within ${INPUT_TIME_LIMIT_MS / 1000} s: a client writes its payload and closes stdin\n`;

describe('stdin through the real bin/', () => {
  const { home, cleanup } = makeTempHome();
  after(cleanup);
  const env = cleanEnv(home);

  it(`a writer that never closes stdin gets one line and exit 1 after ${INPUT_TIME_LIMIT_MS / 1000} s: pipe, pipe with a payload, socket`, async () => {
    const empty = openFifo();
    const withPayload = openFifo();
    writeSync(withPayload.write, 'public.ecr.aws\n');
    try {
      const results = await Promise.all([
        runWithStdio(['get'], { env, stdio: [empty.read, 'pipe', 'pipe'] }),
        runWithStdio(['get'], { env, stdio: [withPayload.read, 'pipe', 'pipe'] }),
        runWithStdio(['get'], { env, stdio: 'pipe', input: null }),
      ]);
      for (const result of results) {
        assert.deepEqual([result.code, result.stdout, result.stderr], [1, NOT_CLOSED, '']);
        assert.ok(result.elapsedMs >= INPUT_TIME_LIMIT_MS, `not before the bound (${result.elapsedMs} ms)`);
      }
    } finally {
      empty.close();
      withPayload.close();
    }
  });

  it('a terminal has no time bound: the person types the host late and ends with Ctrl-D', { skip: spawnSync('script', ['--version']).status === 0 ? false : 'script (util-linux) is not installed' }, async () => {
    // script(1) runs the helper on a pseudo-terminal and types what it reads from its stdin.
    const result = await runWithStdio([], {
      env,
      stdio: 'pipe',
      input: null,
      command: ['script', '-qec', `${HELPER_BIN} get`, '/dev/null'],
      onSpawn: (child) => {
        setTimeout(() => child.stdin?.write('docker.io\n'), INPUT_TIME_LIMIT_MS + 1000);
        setTimeout(() => child.stdin?.end('\x04'), INPUT_TIME_LIMIT_MS + 1500);
      },
    });
    assert.equal(result.code, 1);
    assert.equal(result.stdout.replace(/\r/g, ''), 'docker.io\ncredentials not found in native keychain\n', 'the echo of what was typed, then the answer');
  });

  it('a closed stdin reads as empty', async () => {
    const result = await runWithStdio(['get'], { env, stdio: ['ignore', 'pipe', 'pipe'], command: ['/bin/sh', '-c', 'exec "$0" "$@" <&-', HELPER_BIN] });
    assert.deepEqual([result.code, result.stdout, result.stderr], [1, 'no credentials server URL\n', '']);
  });

  it('/dev/null reads as empty; a regular file is read to its end', async () => {
    const nullResult = await runWithStdio(['get'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    assert.deepEqual([nullResult.code, nullResult.stdout], [1, 'no credentials server URL\n']);
    const path = join(dir, 'docker-io.txt');
    writeFileSync(path, 'docker.io\n');
    const fd = openSync(path, 'r');
    try {
      const fileResult = await runWithStdio(['get'], { env, stdio: [fd, 'pipe', 'pipe'] });
      assert.deepEqual([fileResult.code, fileResult.stdout], [1, 'credentials not found in native keychain\n']);
    } finally {
      closeSync(fd);
    }
  });
});

describe('stdout through the real bin/', () => {
  const { home, cleanup } = makeTempHome();
  const env = cleanEnv(home);
  const KEY_ID = 'AKIDSTDIOTESTS';
  const SECRET_KEY = 'stdio-tests-secret';
  const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
  let emulator: EcrEmulator;
  before(async () => {
    emulator = await startEcrEmulator({ credentials: { [KEY_ID]: SECRET_KEY } });
  });
  after(async () => {
    await emulator.close();
    cleanup();
  });

  it('a reader that is gone (EPIPE on a socket) makes the run exit 1, saying so on stderr', async () => {
    const result = await runWithStdio(['version'], { env, stdio: 'pipe', onSpawn: (child) => child.stdout?.destroy() });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^docker-credential-ecr-login: cannot write the answer to stdout: (EPIPE|ECONNRESET)\n$/);
  });

  it('a pipe whose reader is gone (EPIPE) makes the run exit 1, even when the answer was a success', async () => {
    const path = makeFifo();
    const read = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const write = openSync(path, constants.O_WRONLY);
    closeSync(read);
    try {
      const result = await runWithStdio(['version'], { env, stdio: ['pipe', write, 'pipe'] });
      assert.deepEqual([result.code, result.stderr], [1, 'docker-credential-ecr-login: cannot write the answer to stdout: EPIPE\n']);
    } finally {
      closeSync(write);
    }
  });

  it('a large answer reaches a slow reader whole through a full non-blocking pipe', async () => {
    const path = makeFifo();
    const read = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const write = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    // Fill the pipe, so that the helper meets EAGAIN and partial writes until the test reads.
    let filled = 0;
    for (;;) {
      try {
        filled += writeSync(write, Buffer.alloc(4096, '#'));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw error;
      }
    }
    const serverUrl = `https://${HOST}/v2/${'r'.repeat(3000)}`;
    try {
      const running = runWithStdio(['get'], {
        env: { ...env, AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_ENDPOINT_URL_ECR: emulator.url, AWS_ECR_DISABLE_CACHE: '1' },
        stdio: ['pipe', write, 'pipe'],
        input: serverUrl,
      });
      const received: Buffer[] = [];
      let exited: Finished | undefined;
      void running.then((result) => (exited = result));
      // Read slowly, a little at a time, until the helper has exited and the pipe is drained.
      for (let drained = false; !(exited !== undefined && drained); ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const chunk = Buffer.alloc(1024);
        try {
          received.push(chunk.subarray(0, readSync(read, chunk)));
          drained = false;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
          drained = true;
        }
      }
      const result = await running;
      assert.deepEqual([result.code, result.stderr], [0, '']);
      const all = Buffer.concat(received);
      assert.ok(all.subarray(0, filled).every((byte) => byte === '#'.charCodeAt(0)));
      const issued = emulator.issued.at(-1);
      assert.ok(issued);
      const answer = all.subarray(filled).toString();
      assert.ok(answer.length > 4096, 'larger than one atomic pipe write');
      assert.equal(answer, `{"ServerURL":${JSON.stringify(serverUrl)},"Username":"AWS","Secret":${JSON.stringify(issued.password)}}\n`);
    } finally {
      closeSync(read);
      closeSync(write);
    }
  });
});
