import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MAX_SHARED_FILE_BYTES, readSharedConfigTexts, SharedFileError } from '../../src/identity/shared-files';

const home = mkdtempSync(join(tmpdir(), 'ecr-login-shared-files-'));
after(() => rmSync(home, { recursive: true, force: true }));

let serial = 0;
/** A fresh file under the temporary home, with `text` in it; its path. */
function file(text: string | Buffer): string {
  serial += 1;
  const path = join(home, `file-${serial}`);
  writeFileSync(path, text);
  return path;
}

const read = (config: string, credentials = join(home, 'absent')) =>
  readSharedConfigTexts({ AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials }, home);

describe('readSharedConfigTexts: what the SDK will read, whole', () => {
  it('reads both files whole', () => {
    const config = file('[profile a]\nregion = x\n');
    const credentials = file('[a]\naws_access_key_id = AKIA\n');
    assert.deepEqual(read(config, credentials), { config: '[profile a]\nregion = x\n', credentials: '[a]\naws_access_key_id = AKIA\n' });
  });

  it('reads ~/.aws/config and ~/.aws/credentials when the variables are not set', () => {
    mkdirSync(join(home, '.aws'), { recursive: true });
    writeFileSync(join(home, '.aws', 'config'), '[default]\nregion = y\n');
    assert.deepEqual(readSharedConfigTexts({}, home), { config: '[default]\nregion = y\n', credentials: undefined });
  });

  it('reads a file of exactly the limit, to its last byte', () => {
    const text = `[a]\nk = v\n${'#'.repeat(MAX_SHARED_FILE_BYTES - 11)}\n`;
    assert.equal(Buffer.byteLength(text), MAX_SHARED_FILE_BYTES);
    assert.equal(read(file(text)).config, text);
  });

  it('reads a symlink to a file, as the SDK does', () => {
    const target = file('[default]\nregion = z\n');
    const link = join(home, 'link-to-config');
    symlinkSync(target, link);
    assert.equal(read(link).config, '[default]\nregion = z\n');
  });

  it('reads invalid UTF-8 as the SDK does (replacement characters)', () => {
    assert.equal(read(file(Buffer.from([0x5b, 0x61, 0x5d, 0x0a, 0xff, 0x0a]))).config, '[a]\n\uFFFD\n');
  });
});

describe('readSharedConfigTexts: absent where the SDK finds nothing', () => {
  it('a missing file, or one under a path that is not a directory', () => {
    assert.equal(read(join(home, 'no-such-file')).config, undefined);
    assert.equal(read(join(file('x'), 'below-a-file')).config, undefined);
  });

  it('a directory', () => {
    const dir = join(home, 'a-directory');
    mkdirSync(dir);
    assert.equal(read(dir).config, undefined);
  });

  it('/dev/null, read as empty (a common way to switch a file off)', () => {
    assert.deepEqual(read('/dev/null', '/dev/null'), { config: '', credentials: '' });
  });
});

describe('readSharedConfigTexts: refused, with one line naming the file', () => {
  it('a file larger than the limit: its path and its size', () => {
    const path = file(Buffer.alloc(MAX_SHARED_FILE_BYTES + 1, 0x23));
    assert.throws(
      () => read(join(home, 'absent'), path),
      (error: unknown) =>
        error instanceof SharedFileError &&
        error.message === `the AWS credentials file ${path} is ${MAX_SHARED_FILE_BYTES + 1} bytes (4.0 MiB), more than the 4 MiB this helper reads: ` +
          'make it smaller, or point AWS_SHARED_CREDENTIALS_FILE at a smaller file',
    );
  });
  // A FIFO and /dev/zero are tried through bin/ (test/credentials/shared-files.test.ts), where a
  // reader that blocks or reads without end is killed, rather than hang or exhaust this runner.
});
