import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LOG_FILE_NAME, LOG_ROTATE_BYTES, openLogger, withoutUserinfo } from '../../src/logging/logger';

const root = mkdtempSync(join(tmpdir(), 'logger-'));
after(() => rmSync(root, { recursive: true, force: true }));
let count = 0;
const freshDir = (): string => join(root, `log${++count}`);
const lines = (dir: string): Array<Record<string, unknown>> =>
  readFileSync(join(dir, LOG_FILE_NAME), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('openLogger', () => {
  it('writes JSON lines with level and time into a private file', () => {
    const logDir = freshDir();
    openLogger({ logDir, level: 'info', verb: 'get' }).info({ registry: 'public.ecr.aws' }, 'token issued');
    const [line] = lines(logDir);
    assert.equal(line?.level, 30);
    assert.equal(typeof line?.time, 'number');
    assert.equal(line?.msg, 'token issued');
    assert.equal(line?.verb, 'get');
    assert.equal(statSync(logDir).mode & 0o777, 0o700);
    assert.equal(statSync(join(logDir, LOG_FILE_NAME)).mode & 0o777, 0o600);
  });

  it('creates nothing until a line passes the level', () => {
    const logDir = freshDir();
    const logger = openLogger({ logDir, level: 'warn', verb: 'get' });
    logger.info({}, 'quiet');
    logger.debug({}, 'quiet');
    assert.equal(existsSync(logDir), false);
    logger.warn({}, 'loud');
    assert.equal(lines(logDir).length, 1);
  });

  it('censors fields whose names say they hold secrets, at any level', () => {
    const logDir = freshDir();
    const logger = openLogger({ logDir, level: 'trace', verb: 'get' });
    logger.trace({ secret: 'S3CR3T', nested: { password: 'PA55', authorizationToken: 'T0KEN', secretAccessKey: 'K3Y' }, headers: { authorization: 'AWS4 x' } }, 'oops');
    const text = readFileSync(join(logDir, LOG_FILE_NAME), 'utf8');
    for (const secret of ['S3CR3T', 'PA55', 'T0KEN', 'K3Y', 'AWS4 x']) assert.equal(text.includes(secret), false, secret);
    assert.match(text, /\[redacted\]/);
  });

  it('never follows a symbolic link planted at the log name', () => {
    const logDir = freshDir();
    mkdirSync(logDir, { mode: 0o700 });
    const victim = join(root, 'victim');
    writeFileSync(victim, 'untouched');
    symlinkSync(victim, join(logDir, LOG_FILE_NAME));
    openLogger({ logDir, level: 'info', verb: 'get' }).info({}, 'hello');
    assert.equal(readFileSync(victim, 'utf8'), 'untouched');
  });

  it('writes nothing into a symlinked log directory', () => {
    const target = freshDir();
    mkdirSync(target, { mode: 0o700 });
    const logDir = freshDir();
    symlinkSync(target, logDir);
    openLogger({ logDir, level: 'info', verb: 'get' }).info({}, 'hello');
    assert.equal(existsSync(join(target, LOG_FILE_NAME)), false);
  });

  it('rotates a log past its size bound, keeping one old file', () => {
    const logDir = freshDir();
    mkdirSync(logDir, { mode: 0o700 });
    writeFileSync(join(logDir, LOG_FILE_NAME), 'x'.repeat(LOG_ROTATE_BYTES + 1), { mode: 0o600 });
    openLogger({ logDir, level: 'info', verb: 'get' }).info({}, 'fresh');
    assert.equal(statSync(join(logDir, `${LOG_FILE_NAME}.1`)).size, LOG_ROTATE_BYTES + 1);
    assert.equal(lines(logDir).length, 1);
  });

  it('keeps the size bound when a directory holds the old log\'s name: the old lines go instead', () => {
    const logDir = freshDir();
    mkdirSync(join(logDir, `${LOG_FILE_NAME}.1`, 'inside'), { recursive: true, mode: 0o700 });
    writeFileSync(join(logDir, LOG_FILE_NAME), 'x'.repeat(LOG_ROTATE_BYTES + 1), { mode: 0o600 });
    openLogger({ logDir, level: 'info', verb: 'get' }).info({}, 'fresh');
    assert.equal(lines(logDir).length, 1, 'the log holds the new line only');
    assert.ok(statSync(join(logDir, `${LOG_FILE_NAME}.1`, 'inside')).isDirectory(), 'the directory is left alone');
  });

  it('never writes to or chmods a log with another name (a hard link from outside)', () => {
    const logDir = freshDir();
    mkdirSync(logDir, { mode: 0o700 });
    const outside = join(root, `outside${count}`);
    writeFileSync(outside, 'untouched', { mode: 0o644 });
    linkSync(outside, join(logDir, LOG_FILE_NAME));
    openLogger({ logDir, level: 'info', verb: 'get' }).info({}, 'hello');
    assert.equal(readFileSync(outside, 'utf8'), 'untouched');
    assert.equal(statSync(outside).mode & 0o777, 0o644);
  });

  it('writes nothing into a FIFO at the log name, with or without a reader, and does not wait on it', () => {
    const logDir = freshDir();
    mkdirSync(logDir, { mode: 0o700 });
    const fifo = join(logDir, LOG_FILE_NAME);
    execFileSync('mkfifo', ['-m', '600', fifo]);
    // No reader: a blocking open would wait here forever.
    openLogger({ logDir, level: 'info', verb: 'get' }).info({}, 'nobody reads this');
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      openLogger({ logDir, level: 'info', verb: 'get' }).info({}, 'nor this');
      assert.equal(readSync(reader, Buffer.alloc(100)), 0, 'nothing was written into the FIFO, and no writer holds it open');
    } finally {
      closeSync(reader);
    }
  });

  it("writes a file of its own next to the Go helper's ecr-login.log, never into it", () => {
    const logDir = freshDir();
    mkdirSync(logDir, { mode: 0o700 });
    const goLog = join(logDir, 'ecr-login.log');
    writeFileSync(goLog, 'time="2024-01-01T00:00:00Z" level=debug msg="Retrieving credentials"\n', { mode: 0o600 });
    const before = readFileSync(goLog, 'utf8');
    openLogger({ logDir, level: 'info', verb: 'get' }).info({}, 'ours');
    assert.notEqual(LOG_FILE_NAME, 'ecr-login.log');
    assert.equal(readFileSync(goLog, 'utf8'), before);
    assert.equal(lines(logDir)[0]?.msg, 'ours');
  });

  it('logs a serverUrl without its userinfo', () => {
    const logDir = freshDir();
    openLogger({ logDir, level: 'trace', verb: 'store' }).trace({ serverUrl: 'https://alice:Pa55w0rd@public.ecr.aws/v2/' }, 'store');
    const text = readFileSync(join(logDir, LOG_FILE_NAME), 'utf8');
    assert.equal(text.includes('Pa55w0rd'), false);
    assert.equal(text.includes('alice'), false);
    assert.equal(lines(logDir)[0]?.serverUrl, 'https://[redacted]@public.ecr.aws/v2/');
  });
});

describe('withoutUserinfo', () => {
  it('drops everything between the scheme and the last @', () => {
    assert.equal(withoutUserinfo('https://user:pass@host.example:443/v2/'), 'https://[redacted]@host.example:443/v2/');
    assert.equal(withoutUserinfo('user:pass@host.example'), '[redacted]@host.example');
    assert.equal(withoutUserinfo('https://u:p@ss@host.example'), 'https://[redacted]@host.example');
    // The URL parser would end the authority at the `/`; the password may still hold it.
    assert.equal(withoutUserinfo('https://user:pa/ss@host.example'), 'https://[redacted]@host.example');
  });
  it('leaves a URL without userinfo, and anything that is not a string, as it is', () => {
    assert.equal(withoutUserinfo('https://public.ecr.aws/v2/'), 'https://public.ecr.aws/v2/');
    assert.equal(withoutUserinfo(42), 42);
  });
});
