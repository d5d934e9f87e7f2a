/**
 * path.join for the paths a run builds from a directory and names of its own: the same result,
 * for any input.
 *
 * Why: path.join normalizes the whole result character by character, in V8's interpreter. A cache
 * hit joins about ten paths: 0.3-0.4 M instructions on each Node (callgrind), and on Node 24 with a
 * short install path and home, the difference between that loop staying interpreted and V8
 * compiling it with Maglev (1.6 M). When the directory is absolute and normalized, without a
 * trailing separator, and each name is plain segments, which is every path a hit builds, there
 * is nothing to normalize: the parts are put together. Anything else goes to path.join.
 */
import { join, sep } from 'node:path';

export function joinPath(dir: string, name: string, ...more: string[]): string {
  const names = more.length === 0 ? name : [name, ...more].join('/');
  // With a separator after each part, an empty, `.` or `..` segment (a trailing separator too) shows as one of these three.
  const whole = `${dir}/${names}/`;
  const plain = sep === '/' && dir.startsWith('/') && !whole.includes('//') && !whole.includes('/./') && !whole.includes('/../');
  return plain ? whole.slice(0, -1) : join(dir, name, ...more);
}
