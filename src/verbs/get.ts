/**
 * `get`: the server URL on stdin, the registry's credentials as JSON on stdout.
 */
import { DEFAULT_CHAIN } from '../identity/plan';
import { HELPER_NAME, MISSING_SERVER_URL, NOT_FOUND } from '../protocol/messages';
import { failure, success, type Outcome } from '../protocol/outcome';
import { parseRegistry } from '../registry/parse';
import type { HelperContext } from '../service/context';
import { obtainToken, TokenUnavailableError } from '../service/token-service';

export async function get(input: string, context: HelperContext): Promise<Outcome> {
  const serverUrl = input.trim();
  if (serverUrl === '') return failure(MISSING_SERVER_URL);

  const registry = parseRegistry(serverUrl);
  if (registry === undefined) {
    const { explainNearMiss } = await import('../registry/near-miss');
    const nearMiss = explainNearMiss(serverUrl);
    if (nearMiss === undefined) {
      context.logger.debug({ serverUrl }, 'not an ECR registry');
      return failure(NOT_FOUND);
    }
    // Still Docker's "go on without credentials"; the person at the terminal learns why.
    context.logger.warn({ serverUrl, reason: nearMiss }, 'looks like ECR but is not an ECR registry');
    return failure(NOT_FOUND, `${HELPER_NAME}: ${nearMiss}`);
  }

  try {
    const { served, warning } = await obtainToken({ registry, plan: DEFAULT_CHAIN }, context);
    const { token } = served;
    return success(`${JSON.stringify({ ServerURL: serverUrl, Username: token.username, Secret: token.secret })}\n`, warning);
  } catch (error) {
    if (!(error instanceof TokenUnavailableError)) throw error;
    if (registry.kind === 'public') {
      // Anonymous pulls work on ECR Public: let Docker go on without credentials.
      return failure(NOT_FOUND, `${HELPER_NAME}: cannot get an ECR Public token, pulling anonymously: ${error.message}`);
    }
    const message = `cannot get an ECR token for ${registry.host}: ${error.message}`;
    return failure(message, `${HELPER_NAME}: ${message}`);
  }
}
