/**
 * `get-login-password HOST`: the registry's password and a newline, nothing else, from the same
 * cache and the same identity as `get` — a stand-in for `aws ecr get-login-password` in scripts.
 */
import { success, type Outcome } from '../protocol/outcome';
import type { HelperContext } from '../service/context';
import { noTokenLine, resolveRegistry } from '../service/registry-target';
import { obtainToken, TokenUnavailableError } from '../service/token-service';
import { commandFailure, notARegistry } from './outcome';

export async function getLoginPassword(host: string, context: HelperContext): Promise<Outcome> {
  const resolution = resolveRegistry(host, context.settings.settingsFile);
  if (resolution.kind === 'not-ecr') return commandFailure(notARegistry(host, context.settings.settingsFile, resolution.settingsProblem));
  if (resolution.kind === 'bad-settings') return commandFailure(noTokenLine(resolution.registry, resolution.problem));
  const { registry, plan, alias } = resolution.target;
  try {
    const { served, warning } = await obtainToken({ registry, plan }, context);
    return success(`${served.token.secret}\n`, warning);
  } catch (error) {
    if (!(error instanceof TokenUnavailableError)) throw error;
    return commandFailure(noTokenLine(registry, error.message, alias));
  }
}
