import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ensurePrivateDir } from '../../src/fs/private-dir';

const root = mkdtempSync(join(tmpdir(), 'private-dir-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('ensurePrivateDir', () => {
  it('creates missing directories with mode 0700', () => {
    const dir = join(root, 'a', 'b');
    assert.deepEqual(ensurePrivateDir(dir), { trusted: true });
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  });
  it('refuses a symbolic link, even to a good directory', () => {
    const target = join(root, 'real');
    mkdirSync(target, { mode: 0o700 });
    symlinkSync(target, join(root, 'link'));
    const check = ensurePrivateDir(join(root, 'link'));
    assert.equal(check.trusted, false);
    assert.match(check.trusted ? '' : check.reason, /symbolic link/);
  });
  it('refuses a directory others can write to, and leaves its mode alone', () => {
    const dir = join(root, 'open');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const check = ensurePrivateDir(dir);
    assert.match(check.trusted ? '' : check.reason, /writable by group or others/);
    assert.equal(statSync(dir).mode & 0o777, 0o777);
  });
  it('refuses a file where the directory should be', () => {
    const file = join(root, 'file');
    writeFileSync(file, '');
    assert.equal(ensurePrivateDir(file).trusted, false);
  });
});
