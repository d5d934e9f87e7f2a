import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkPrivateDir, ensurePrivateDir, isPrivateDir, readPrivateBytes } from '../../src/fs/private-dir';

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

describe('isPrivateDir, and checkPrivateDir saying why not', () => {
  const cases: Array<{ name: string; make: () => string; reason?: RegExp }> = [
    { name: 'a directory of ours, mode 0700', make: () => made('ours', 0o700) },
    { name: 'one only we can write, mode 0755', make: () => made('readable', 0o755) },
    { name: 'a symbolic link to a good directory', make: () => linked('link-to-good', made('good', 0o700)), reason: /symbolic link/ },
    { name: 'a directory its group can write to', make: () => made('group', 0o770), reason: /writable by group or others \(mode 770\)/ },
    { name: 'a directory others can write to', make: () => made('others', 0o703), reason: /writable by group or others \(mode 703\)/ },
    { name: 'a file', make: () => filed('plain-file'), reason: /is not a directory/ },
    { name: 'nothing at all', make: () => join(root, 'missing'), reason: /cannot inspect .*missing: ENOENT/ },
    { name: "another user's directory", make: othersDir, reason: /is owned by uid \d+, not by this user/ },
  ];
  for (const { name, make, reason } of cases) {
    it(`${reason === undefined ? 'trusts' : 'refuses'} ${name}`, () => {
      const path = make();
      assert.equal(isPrivateDir(path), reason === undefined);
      const check = checkPrivateDir(path);
      assert.equal(check.trusted, reason === undefined);
      if (reason !== undefined) assert.match(check.trusted ? '' : check.reason, reason);
    });
  }

  function made(name: string, mode: number): string {
    const dir = join(root, 'checked', name);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, mode);
    return dir;
  }
  function linked(name: string, target: string): string {
    const link = join(root, 'checked', name);
    symlinkSync(target, link);
    return link;
  }
  function filed(name: string): string {
    mkdirSync(join(root, 'checked'), { recursive: true });
    const file = join(root, 'checked', name);
    writeFileSync(file, '');
    return file;
  }
  // As root, a directory given away to nobody; as anyone else, /, which root owns.
  function othersDir(): string {
    if (process.getuid?.() !== 0) return '/';
    const dir = made('given-away', 0o700);
    chownSync(dir, 65534, 65534);
    return dir;
  }
});

describe('readPrivateBytes', () => {
  it('reads a small file of ours', () => {
    const file = join(root, 'entry.json');
    writeFileSync(file, '{"a":1}', { mode: 0o600 });
    assert.equal(readPrivateBytes(file, 1024)?.toString('utf8'), '{"a":1}');
  });
  it('reads nothing from a file over the limit, a directory, a FIFO or through a symbolic link', () => {
    const big = join(root, 'big');
    writeFileSync(big, 'x'.repeat(2048));
    const fifo = join(root, 'fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const link = join(root, 'entry-link');
    writeFileSync(join(root, 'target'), 'secret');
    symlinkSync(join(root, 'target'), link);
    for (const path of [big, root, fifo, link]) assert.equal(readPrivateBytes(path, 1024), undefined, path);
  });
});
