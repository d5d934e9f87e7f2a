import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LOG_FILE_NAME, LOG_ROTATE_BYTES, openLogger } from '../../src/logging/logger';

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
});
