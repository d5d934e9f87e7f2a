import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HELPER_NAME } from '../protocol/messages';

/**
 * `<name> <version>`, the version read from the installed package.json: the nearest one above
 * this file that is ours (the code runs from dist/src/ in tests and from the dist/bin/ bundle
 * when installed).
 */
export function versionLine(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === HELPER_NAME) return `${HELPER_NAME} ${manifest.version ?? 'unknown'}`;
    } catch {
      // No package.json here: look further up.
    }
    if (dirname(dir) === dir) return `${HELPER_NAME} unknown`;
  }
}
