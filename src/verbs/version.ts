import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HELPER_NAME } from '../protocol/messages';

/** `<name> <version>`, the version read from the installed package.json. */
export function versionLine(): string {
  try {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return `${HELPER_NAME} ${manifest.version ?? 'unknown'}`;
  } catch {
    return `${HELPER_NAME} unknown`;
  }
}
