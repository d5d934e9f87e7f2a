/**
 * Where a registry's token for a plan's identity lives in the cache: its key and its entry's id.
 * The token service and the cache-hit fast path (src/cli/cache-hit.ts) both find it here, so
 * that they always look in the same place. Pure: the environment and the files' text are given.
 */
import { entryId, type CacheKey } from '../cache/entry';
import { cacheKeyFor } from '../cache/key';
import type { Environment } from '../config/settings';
import type { SharedConfigTexts } from '../identity/fingerprint';
import { planFingerprint, type CredentialPlan } from '../identity/plan';
import type { EcrRegistry } from '../registry/parse';

export interface TokenRequest {
  readonly registry: EcrRegistry;
  readonly plan: CredentialPlan;
}

export interface CacheSlot {
  readonly key: CacheKey;
  readonly id: string;
}

export function cacheSlotFor(request: TokenRequest, env: Environment, files: SharedConfigTexts): CacheSlot {
  const key = cacheKeyFor(request.registry, env, planFingerprint(request.plan, env, files));
  return { key, id: entryId(key) };
}
