/**
 * `list`: the registries this identity holds an unexpired cached token for, as
 * `{"https://host":"AWS"}`. Answered from the cache alone: no AWS call, no SDK (the Go helper
 * calls AWS here, and hangs on closed networks).
 */
import { isUnexpired } from '../cache/entry';
import { openTokenStore } from '../cache/token-store';
import { identityFingerprint, type SharedConfigTexts } from '../identity/fingerprint';
import { readSharedConfigTexts, SharedFileError } from '../identity/shared-files';
import { success, type Outcome } from '../protocol/outcome';
import type { HelperContext } from '../service/context';

export function list(context: HelperContext): Outcome {
  const registries: Record<string, string> = {};
  if (!context.settings.cacheDisabled) {
    const { store } = openTokenStore(context.settings.cacheDir, context.logger, { create: false });
    if (store !== undefined) {
      let files: SharedConfigTexts;
      try {
        files = readSharedConfigTexts(context.env, context.homeDir);
      } catch (error) {
        if (!(error instanceof SharedFileError)) throw error;
        // Without the files there is no telling whose tokens these are: none is listed.
        context.logger.warn({ reason: error.message }, 'cannot tell the AWS identity; listing nothing');
        return success('{}\n');
      }
      const identity = identityFingerprint(context.env, files).hash;
      const now = context.clock.now();
      const hosts = store
        .entries()
        .filter((entry) => entry.identity === identity && isUnexpired(entry, now))
        .map((entry) => entry.registry)
        .sort();
      for (const host of hosts) registries[`https://${host}`] = 'AWS';
    }
  }
  return success(`${JSON.stringify(registries)}\n`);
}
