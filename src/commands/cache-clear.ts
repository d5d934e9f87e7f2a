/**
 * `cache clear [HOST]`: removes the helper's cached tokens, all of them or one registry's (for
 * every identity), and says how many. Only the token files in `<cache dir>/tokens/`: never the
 * Go helper's `cache.json`, never anything outside the cache directory.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openTokenStore, TOKENS_DIR_NAME } from '../cache/token-store';
import type { Outcome } from '../protocol/outcome';
import type { HelperContext } from '../service/context';
import { resolveRegistry } from '../service/registry-target';
import { commandFailure, notARegistry, report } from './outcome';

export function clearCache(host: string | undefined, context: HelperContext): Outcome {
  let registry: string | undefined;
  if (host !== undefined) {
    const resolution = resolveRegistry(host, context.settings.settingsFile);
    if (resolution.kind === 'not-ecr') return commandFailure(notARegistry(host, context.settings.settingsFile, resolution.settingsProblem));
    registry = resolution.kind === 'ecr' ? resolution.target.registry.host : resolution.registry.host;
  }
  const { cacheDir } = context.settings;
  if (cacheDir === undefined) return commandFailure(`no token cache: ${context.settings.notices.join('; ')}`);
  const tokensDir = join(cacheDir, TOKENS_DIR_NAME);
  if (!existsSync(tokensDir)) return report([`no token cache at ${tokensDir}: nothing to remove`]);
  const opening = openTokenStore(cacheDir, context.logger, { create: false });
  if (opening.store === undefined) return commandFailure(`the token cache is not trusted (${opening.reason}); nothing was removed`);
  const removed = opening.store.clear(registry === undefined ? undefined : (entry) => entry.registry === registry);
  context.logger.info({ registry, removed }, 'token cache cleared');
  const what = `${removed} cached token${removed === 1 ? '' : 's'}${registry === undefined ? '' : ` for ${registry}`}`;
  return report([`removed ${what} from ${tokensDir}`]);
}
