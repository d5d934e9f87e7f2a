/**
 * Reads the AWS shared config and credentials files for the identity fingerprint. Missing or
 * unreadable files are simply absent, as they are to the SDK.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Environment } from '../config/settings';
import { sharedConfigFiles } from './credential-sources';
import type { SharedConfigTexts } from './fingerprint';

const MAX_SHARED_FILE_BYTES = 1024 * 1024;

export function readSharedConfigTexts(env: Environment, homeDir: string): SharedConfigTexts {
  const paths = sharedConfigFiles(env, homeDir);
  return { config: readSmallFile(paths.config), credentials: readSmallFile(paths.credentials) };
}

function readSmallFile(path: string): string | undefined {
  try {
    if (statSync(path).size > MAX_SHARED_FILE_BYTES) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
