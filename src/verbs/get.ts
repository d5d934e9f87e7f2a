/**
 * `get`: the server URL on stdin, the registry's credentials as JSON on stdout.
 */
import { HELPER_NAME, MISSING_SERVER_URL, NOT_FOUND } from '../protocol/messages';
import { credentialsFound, failure, type Outcome } from '../protocol/outcome';
import type { EcrRegistry } from '../registry/parse';
import type { HelperContext } from '../service/context';
import { noTokenLine, resolveRegistry } from '../service/registry-target';
import { obtainToken, TokenUnavailableError } from '../service/token-service';
import { notEcr } from './not-ecr';

export async function get(input: string, context: HelperContext): Promise<Outcome> {
  const serverUrl = input.trim();
  if (serverUrl === '') return failure(MISSING_SERVER_URL);

  const resolution = resolveRegistry(serverUrl, context.settings.settingsFile);
  if (resolution.kind === 'not-ecr') return notEcr(serverUrl, resolution.settingsProblem, context.logger);
  if (resolution.kind === 'bad-settings') {
    context.logger.error({ serverUrl, problem: resolution.problem }, 'settings file unusable');
    return unavailable(resolution.registry, resolution.problem);
  }

  const { registry, plan, alias } = resolution.target;
  try {
    const { served, warning } = await obtainToken({ registry, plan }, context);
    return credentialsFound(serverUrl, served.token, warning);
  } catch (error) {
    if (!(error instanceof TokenUnavailableError)) throw error;
    return unavailable(registry, error.message, alias);
  }
}

function unavailable(registry: EcrRegistry, cause: string, alias?: string): Outcome {
  if (registry.kind === 'public') {
    // Anonymous pulls work on ECR Public: let Docker go on without credentials.
    return failure(NOT_FOUND, `${HELPER_NAME}: cannot get an ECR Public token, pulling anonymously: ${cause}`);
  }
  const message = noTokenLine(registry, cause, alias);
  return failure(message, `${HELPER_NAME}: ${message}`);
}
