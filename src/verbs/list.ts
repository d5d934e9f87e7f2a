/**
 * `list`: the registries that `get` would answer from an unexpired cached token, as
 * `{"https://host":"AWS"}`: each registry under the identity its settings give, and each alias
 * of the settings file whose registry is cached so. Answered from the cache alone: no AWS call,
 * no SDK (the Go helper calls AWS here, and hangs on closed networks).
 */
import { isUnexpired } from '../cache/entry';
import { openTokenStore } from '../cache/token-store';
import { readRegistrySettings, SettingsFileError } from '../config/registry-settings';
import { planFingerprint } from '../identity/plan';
import type { SharedConfigTexts } from '../identity/fingerprint';
import { readSharedConfigTexts, SharedFileError } from '../identity/shared-files';
import { HELPER_NAME } from '../protocol/messages';
import { success, type Outcome } from '../protocol/outcome';
import type { HelperContext } from '../service/context';
import { targetFor } from '../service/registry-target';

export function list(context: HelperContext): Outcome {
  const registries: Record<string, string> = {};
  if (context.settings.cacheDisabled) return answer(registries);
  const { store } = openTokenStore(context.settings.cacheDir, context.logger, { create: false });
  if (store === undefined) return answer(registries);
  const settings = readRegistrySettings(context.settings.settingsFile);
  // Every get for an ECR host fails while the file is unusable: nothing to offer.
  if (settings instanceof SettingsFileError) return answer(registries, `${HELPER_NAME}: ${settings.message}`);

  const now = context.clock.now();
  const cached = store.entries().filter((entry) => isUnexpired(entry, now));
  let files: SharedConfigTexts;
  try {
    files = readSharedConfigTexts(context.env, context.homeDir);
  } catch (error) {
    if (!(error instanceof SharedFileError)) throw error;
    // Without the files there is no telling whose tokens these are: none is listed.
    context.logger.warn({ reason: error.message }, 'cannot tell the AWS identity; listing nothing');
    return answer(registries);
  }
  const cachedRegistries = new Set(cached.map((entry) => entry.registry));
  // One fingerprint per plan: registries without settings share the default chain's, and a
  // fingerprint parses the profiles and hashes what it finds.
  const identities = new Map<string, string>();
  for (const host of [...new Set([...cachedRegistries, ...settings.registries.keys()])].sort()) {
    const target = targetFor(host, settings);
    // A registry with no token cached is not listed, whoever asks: its identity is not worked out.
    if (target === undefined || !cachedRegistries.has(target.registry.host)) continue;
    const plan = JSON.stringify(target.plan);
    let identity = identities.get(plan);
    if (identity === undefined) identities.set(plan, (identity = planFingerprint(target.plan, context.env, files)));
    if (cached.some((entry) => entry.registry === target.registry.host && entry.identity === identity)) registries[`https://${host}`] = 'AWS';
  }
  return answer(registries);
}

function answer(registries: Record<string, string>, notice?: string): Outcome {
  return success(`${JSON.stringify(registries)}\n`, notice);
}
