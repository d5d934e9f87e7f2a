import { HELPER_NAME } from '../protocol/messages';
import { success, type Outcome } from '../protocol/outcome';

/**
 * The package version, written into the bundle at build time (scripts/bundle.js), so that it is
 * right where no package.json is at hand: the standalone executable has none.
 */
declare const EMBEDDED_VERSION: string | undefined;

/** `<name> <version>`; the version is `unknown` only when the code runs unbundled. */
export function versionLine(): string {
  return `${HELPER_NAME} ${typeof EMBEDDED_VERSION === 'string' ? EMBEDDED_VERSION : 'unknown'}`;
}

/** `version`: that line. */
export function version(): Outcome {
  return success(`${versionLine()}\n`);
}
