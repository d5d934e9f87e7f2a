/**
 * A minimal POSIX ustar writer: enough for the few small files of a Marathon `docker.tar.gz`
 * or a test's OCI layout, with no dependency. Entries are owned by root:root, as an archive
 * made by root for an agent to unpack. Pure.
 */
export interface TarEntry {
  /** Relative path; directories end with `/`. */
  readonly path: string;
  readonly type: 'file' | 'directory';
  readonly mode: number;
  readonly content?: Buffer;
  /** Seconds since the epoch. */
  readonly mtime: number;
}

const BLOCK = 512;

/** A POSIX ustar archive (uncompressed) of the entries, owned by root:root. */
export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.type === 'file' ? (entry.content ?? Buffer.alloc(0)) : Buffer.alloc(0);
    parts.push(tarHeader(entry, content.length));
    if (content.length > 0) {
      parts.push(content);
      const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
      parts.push(Buffer.alloc(padding));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2)); // end of archive
  return Buffer.concat(parts);
}

function tarHeader(entry: TarEntry, size: number): Buffer {
  const header = Buffer.alloc(BLOCK);
  const name = entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: path too long for this writer: ${name}`);
  const octal = (value: number, width: number): string => `${value.toString(8).padStart(width - 1, '0')}\0`;
  header.write(name, 0, 100, 'utf8');
  header.write(octal(entry.mode & 0o7777, 8), 100, 8, 'ascii');
  header.write(octal(0, 8), 108, 8, 'ascii'); // uid
  header.write(octal(0, 8), 116, 8, 'ascii'); // gid
  header.write(octal(size, 12), 124, 12, 'ascii');
  header.write(octal(Math.floor(entry.mtime), 12), 136, 12, 'ascii');
  header.write('        ', 148, 8, 'ascii'); // checksum placeholder: spaces
  header.write(entry.type === 'directory' ? '5' : '0', 156, 1, 'ascii');
  header.write('ustar\0', 257, 6, 'ascii');
  header.write('00', 263, 2, 'ascii');
  header.write('root', 265, 32, 'ascii');
  header.write('root', 297, 32, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return header;
}
